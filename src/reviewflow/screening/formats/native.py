"""Our own decision table, and a filled-in screening sheet read back as it is.

Native: ``id, reviewer, decision, reason, note`` (``reason``/``note`` optional); ``id`` is any
record id, the study id or ``doi:<doi>``. A sheet written by ``reviewflow screening-sheet``
(CSV or XLSX) names the study in ``study_id``; its rows nobody has filled in yet (no
reviewer, no decision) are skipped, so a half-done sheet is half the decisions.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from reviewflow.errors import ReviewflowError
from reviewflow.screening.formats.common import DECISION_COLUMNS, NATIVE_COLUMNS
from reviewflow.screening.tables import read_table


def load_native(path: str | Path) -> pd.DataFrame:
    frame = read_table(path)
    if "id" not in frame and "study_id" in frame:  # a screening sheet
        frame = frame.rename(columns={"study_id": "id"})
        for col in ("reviewer", "decision"):
            if col not in frame:
                frame[col] = ""
        untouched = (frame["reviewer"].str.strip() == "") & (frame["decision"].str.strip() == "")
        frame = frame[~untouched]
    missing = [c for c in ("id", "reviewer", "decision") if c not in frame]
    if missing:
        raise ReviewflowError(
            f"missing column(s) {', '.join(missing)}; expected id, reviewer, decision[, reason, "
            f"note] or a filled screening sheet (found {', '.join(frame.columns[:-2]) or 'none'})",
            path=path,
            line=1,
        )
    for col in ("reason", "note", "final"):
        if col not in frame:
            frame[col] = ""
    out = frame[DECISION_COLUMNS].copy()
    for col in NATIVE_COLUMNS:
        out[col] = out[col].str.strip()
    out["decision"] = out["decision"].str.lower()
    out["final"] = ""
    return out.reset_index(drop=True)
