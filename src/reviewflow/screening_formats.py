"""Reviewer decisions as screening tools export them, mapped onto the native schema.

Every loader returns the native decision table, one row per vote:
``id, reviewer, decision, reason, note, path, line`` where ``id`` is a record or study id
(mapped to studies later, by :mod:`reviewflow.screening`), ``decision`` is one of
include | exclude | maybe | not_retrieved, and ``path``/``line`` say where the vote came from
so that every later error can point at it.

Supported exports (``config.screening.format``):

- ``native``: ``id, reviewer, decision, reason, note`` (``reason``/``note`` optional).
- ``rayyan``: Rayyan's article CSV export (``key, title, authors, ..., notes, doi``). Blind
  votes are in ``notes`` as ``RAYYAN-INCLUSION: {"Ann"=>"Included", "Bo"=>"Excluded"}``;
  reasons as ``RAYYAN-EXCLUSION-REASONS: reason one,reason two`` (given per article, so every
  excluding reviewer gets them). Undecided articles have no inclusion entry.
- ``covidence``: Covidence's per-vote export, one row per reviewer vote, with Covidence's
  reference columns (``Covidence #, Study, Title, Published Year, DOI, Ref``) and ``Reviewer
  Name, Vote, Exclusion Reason, Notes``. Votes: Yes | No | Maybe (title/abstract) and Include |
  Exclude (full text).
- ``asreview``: ASReview LAB's dataset export (CSV), one file per reviewer (ASReview projects
  are single-user; the reviewer is the ``asreview_user`` column if present, else the file
  name). Labels in ``asreview_label`` (LAB 2) or ``included`` (LAB 1): 1 relevant, 0 irrelevant,
  empty unlabelled. Notes (``asreview_note`` or ``exported_notes_*``) hold the exclusion reason.

Tools keep their own ids, so exported rows are matched to studies by the first that works:
a column holding one of our record ids (the ``ID``/``key`` we uploaded), then the DOI, then
the normalised title (+ year). An export row matching no study, or several, is an error.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from reviewflow.errors import ReviewflowError
from reviewflow.files import read_csv, require_columns

NATIVE_COLUMNS = ["id", "reviewer", "decision", "reason", "note"]
DECISION_COLUMNS = [*NATIVE_COLUMNS, "path", "line"]
FORMATS = ("native", "rayyan", "covidence", "asreview")


def csv_line_numbers(path: str | Path) -> list[int]:
    """The 1-based file line on which each data row starts (quoted fields may span lines)."""
    starts = []
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        previous_end = reader.line_num
        for row in reader:
            if row:  # pandas skips empty lines too
                starts.append(previous_end + 1)
            previous_end = reader.line_num
    return starts


def read_table(path: str | Path, required: Iterable[str]) -> pd.DataFrame:
    """Read a CSV (all strings) with a ``line`` column; stop if a required column is missing."""
    frame = read_csv(path)
    require_columns(frame, required, path)
    frame = frame.copy()
    frame["line"] = csv_line_numbers(path)[: len(frame)]
    frame["path"] = str(path)
    return frame


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in DECISION_COLUMNS})


def _finish(rows: list[dict]) -> pd.DataFrame:
    if not rows:
        return _empty()
    frame = pd.DataFrame(rows)
    for col in DECISION_COLUMNS:
        if col not in frame:
            frame[col] = ""
    return frame[DECISION_COLUMNS].astype({"line": int})


# --- native --------------------------------------------------------------------------------


def load_native(path: str | Path) -> pd.DataFrame:
    frame = read_table(path, ["id", "reviewer", "decision"])
    for col in ("reason", "note"):
        if col not in frame:
            frame[col] = ""
    out = frame[DECISION_COLUMNS].copy()
    for col in NATIVE_COLUMNS:
        out[col] = out[col].str.strip()
    out["decision"] = out["decision"].str.lower()
    return out.astype({"line": int})


# --- matching export rows to studies -------------------------------------------------------


def normalise_title(title: str) -> str:
    """Lower-case letters and digits only, so punctuation/case/accents changes still match."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def normalise_doi(doi: str) -> str:
    doi = doi.strip().lower()
    return re.sub(r"^(https?://(dx\.)?doi\.org/|doi:\s*)", "", doi)


class StudyMatcher:
    """Find the study id an exported row belongs to: by our id, by DOI, then by title."""

    def __init__(self, studies: pd.DataFrame, links: pd.DataFrame) -> None:
        self.ids = set(links["record_id"]) | set(links["study_id"])
        self.by_doi: dict[str, set[str]] = {}
        self.by_title: dict[str, set[str]] = {}
        self.by_title_year: dict[tuple[str, str], set[str]] = {}
        for row in studies.itertuples(index=False):
            doi = normalise_doi(getattr(row, "doi", "") or "")
            if doi:
                self.by_doi.setdefault(doi, set()).add(row.study_id)
            title = normalise_title(getattr(row, "title", "") or "")
            if title:
                self.by_title.setdefault(title, set()).add(row.study_id)
                year = (getattr(row, "year", "") or "").strip()[:4]
                self.by_title_year.setdefault((title, year), set()).add(row.study_id)

    def match(
        self, *, ids: Iterable[str] = (), doi: str = "", title: str = "", year: str = ""
    ) -> str | None:
        for candidate in ids:
            if candidate and candidate.strip() in self.ids:
                return candidate.strip()
        doi = normalise_doi(doi or "")
        if doi and len(self.by_doi.get(doi, ())) == 1:
            return next(iter(self.by_doi[doi]))
        title = normalise_title(title or "")
        if title:
            hits = self.by_title.get(title, set())
            if len(hits) > 1:
                hits = self.by_title_year.get((title, (year or "").strip()[:4]), set())
            if len(hits) == 1:
                return next(iter(hits))
        return None

    def require(self, row: pd.Series, *, path: str, what: str, **keys: object) -> str:
        found = self.match(**keys)  # type: ignore[arg-type]
        if found is None:
            raise ReviewflowError(
                f"{what} matches no study (by record id, DOI or title): "
                f"title {str(keys.get('title', ''))[:80]!r}",
                path=path,
                line=int(row["line"]),
            )
        return found


# --- Rayyan --------------------------------------------------------------------------------

_RAYYAN_VOTE = re.compile(r'"([^"]+)"\s*=>\s*"([^"]+)"')
_RAYYAN_DECISIONS = {"included": "include", "excluded": "exclude", "maybe": "maybe"}


def parse_rayyan_notes(notes: str) -> tuple[dict[str, str], list[str], str]:
    """Split Rayyan's ``notes`` into (votes by reviewer, exclusion reasons, free notes)."""
    votes: dict[str, str] = {}
    reasons: list[str] = []
    free = []
    for part in notes.split(" | "):
        key, _, value = part.partition(":")
        key = key.strip().upper()
        if key == "RAYYAN-INCLUSION":
            votes = dict(_RAYYAN_VOTE.findall(value))
        elif key == "RAYYAN-EXCLUSION-REASONS":
            reasons = [r.strip() for r in value.split(",") if r.strip()]
        elif key.startswith("RAYYAN-"):
            continue
        elif part.strip():
            free.append(part.strip())
    return votes, reasons, " | ".join(free)


def load_rayyan(path: str | Path, matcher: StudyMatcher) -> pd.DataFrame:
    frame = read_table(path, ["title", "notes"])
    rows = []
    for _, row in frame.iterrows():
        votes, reasons, note = parse_rayyan_notes(row["notes"])
        if not votes:
            continue
        study = matcher.require(
            row,
            path=str(path),
            what="Rayyan article",
            ids=[row.get("key", ""), row.get("url", "")],
            doi=row.get("doi", ""),
            title=row["title"],
            year=row.get("year", ""),
        )
        for reviewer, vote in sorted(votes.items()):
            decision = _RAYYAN_DECISIONS.get(vote.strip().lower(), vote.strip().lower())
            rows.append(
                {
                    "id": study,
                    "reviewer": reviewer.strip(),
                    "decision": decision,
                    "reason": "; ".join(reasons) if decision == "exclude" else "",
                    "note": note,
                    "path": str(path),
                    "line": int(row["line"]),
                }
            )
    return _finish(rows)


# --- Covidence -----------------------------------------------------------------------------

_COVIDENCE_DECISIONS = {
    "yes": "include",
    "include": "include",
    "no": "exclude",
    "exclude": "exclude",
    "maybe": "maybe",
}


def load_covidence(path: str | Path, matcher: StudyMatcher) -> pd.DataFrame:
    frame = read_table(path, ["Title", "Reviewer Name", "Vote"])
    rows = []
    for _, row in frame.iterrows():
        study = matcher.require(
            row,
            path=str(path),
            what="Covidence study",
            ids=[row.get("Ref", ""), row.get("Accession Number", "")],
            doi=row.get("DOI", ""),
            title=row["Title"],
            year=row.get("Published Year", ""),
        )
        vote = row["Vote"].strip().lower()
        rows.append(
            {
                "id": study,
                "reviewer": row["Reviewer Name"].strip(),
                "decision": _COVIDENCE_DECISIONS.get(vote, vote),
                "reason": row.get("Exclusion Reason", "").strip(),
                "note": row.get("Notes", "").strip(),
                "path": str(path),
                "line": int(row["line"]),
            }
        )
    return _finish(rows)


# --- ASReview ------------------------------------------------------------------------------


def load_asreview(path: str | Path, matcher: StudyMatcher) -> pd.DataFrame:
    frame = read_table(path, ["title"])
    label_col = next((c for c in ("asreview_label", "included") if c in frame), None)
    if label_col is None:
        raise ReviewflowError(
            "missing column asreview_label (ASReview LAB 2) or included (LAB 1)",
            path=path,
            line=1,
        )
    note_cols = [c for c in frame.columns if c == "asreview_note" or c.startswith("exported_not")]
    rows = []
    for _, row in frame.iterrows():
        label = row[label_col].strip()
        if label in ("", "-1"):  # unlabelled
            continue
        if label not in ("0", "1", "0.0", "1.0"):
            raise ReviewflowError(
                f"ASReview label {label!r} in column {label_col}; expected 1, 0 or empty",
                path=path,
                line=int(row["line"]),
            )
        study = matcher.require(
            row,
            path=str(path),
            what="ASReview record",
            ids=[row.get("record_id", ""), row.get("id", ""), row.get("key", "")],
            doi=row.get("doi", ""),
            title=row["title"],
            year=row.get("year", ""),
        )
        decision = "include" if label.startswith("1") else "exclude"
        note = " ".join(row[c].strip() for c in note_cols if row[c].strip())
        reviewer = (row.get("asreview_user", "") or "").strip() or Path(path).stem
        rows.append(
            {
                "id": study,
                "reviewer": reviewer,
                "decision": decision,
                "reason": note if decision == "exclude" else "",
                "note": note,
                "path": str(path),
                "line": int(row["line"]),
            }
        )
    return _finish(rows)


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


def load_decisions(
    paths: Iterable[str | Path],
    fmt: str,
    *,
    studies: pd.DataFrame,
    links: pd.DataFrame,
    stage: str = "title_abstract",
) -> pd.DataFrame:
    """Load one or more decision files in ``fmt`` as the native vote table."""
    if fmt not in FORMATS:
        raise ReviewflowError(f"unknown screening format {fmt!r}; expected one of {FORMATS}")
    matcher = StudyMatcher(studies, links) if fmt != "native" else None
    frames = []
    for path in paths:
        if fmt == "native":
            frames.append(load_native(path))
        else:
            loader = {"rayyan": load_rayyan, "covidence": load_covidence}.get(fmt, load_asreview)
            votes = loader(path, matcher)
            frames.append(not_retrieved_as_decision(votes) if stage == "full_text" else votes)
    frames = [f for f in frames if len(f)]
    if not frames:
        return _empty().astype({"line": int})
    return pd.concat(frames, ignore_index=True)
