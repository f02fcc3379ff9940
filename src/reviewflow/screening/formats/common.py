"""The vote table every loader returns, and the helpers the loaders share.

One row per vote: ``id, reviewer, decision, reason, note, final, path, line``. ``id`` is a
record or study id (the stage maps it to the study), ``decision`` is include | exclude |
maybe | not_retrieved, ``final`` is "true" for a team's consensus decision that a tool
exports without the reviewers' votes (Covidence), and ``path``/``line`` say where the vote
came from so that every later error can point at it.
"""

from __future__ import annotations

import pandas as pd

from reviewflow.errors import ReviewflowError
from reviewflow.ids import StudyResolver

NATIVE_COLUMNS = ["id", "reviewer", "decision", "reason", "note"]
DECISION_COLUMNS = [*NATIVE_COLUMNS, "final", "path", "line"]


def empty() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype=int if c == "line" else object) for c in DECISION_COLUMNS}
    )


def finish(rows: list[dict]) -> pd.DataFrame:
    """Rows (dicts) as the vote table, missing columns filled with ""."""
    if not rows:
        return empty()
    frame = pd.DataFrame(rows)
    for col in DECISION_COLUMNS:
        if col not in frame:
            frame[col] = ""
    return frame[DECISION_COLUMNS].astype({"line": int})


def require_study(
    resolver: StudyResolver, *, path: object, line: int, what: str, **keys: object
) -> str:
    """The study an exported row names (our id, DOI, then title), or a named error."""
    found = resolver.resolve(**keys)  # type: ignore[arg-type]
    if found is None:
        raise ReviewflowError(
            f"{what} matches no single study (by record or study id, DOI, or title): "
            f"title {str(keys.get('title', ''))[:80]!r}",
            path=str(path),
            line=line,
        )
    return found


NOT_RETRIEVED_REASONS = {
    "not retrieved",
    "full text not retrieved",
    "no full text",
    "not_retrieved",
}


def not_retrieved_as_decision(votes: pd.DataFrame) -> pd.DataFrame:
    """Tools without a "not retrieved" verdict record it as an exclusion with that reason."""
    hit = (votes["decision"] == "exclude") & votes["reason"].str.strip().str.lower().isin(
        NOT_RETRIEVED_REASONS
    )
    votes = votes.copy()
    votes.loc[hit, "decision"] = "not_retrieved"
    votes.loc[hit, "reason"] = ""
    return votes
