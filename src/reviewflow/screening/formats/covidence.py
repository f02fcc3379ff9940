"""Covidence: the references of one review list, exported as CSV or RIS.

Covidence exports the studies of a list ("Export" in the list's view), not reviewers' votes:
the CSV columns are ``Title, Authors, Abstract, Published Year, Published Month, Journal,
Volume, Issue, Pages, Accession Number, DOI, Ref, Covidence #, Study, Notes, Tags``, and a
full-text exclusion's reason is in ``Notes`` as ``Exclusion reason: X; ``. Covidence records
no reasons at title/abstract.

The list a file came from is the decision, and the file name must say which list it is
(e.g. ``review_123456_irrelevant.csv``; docs/screening-tools.md):

=====================  ======================  ==========================
file name contains     title/abstract          full text
=====================  ======================  ==========================
``irrelevant``         exclude                 (refused: a title/abstract list)
``full_text_review``   include                 no decision yet
``excluded``           include                 exclude, reason from Notes
``included``           include                 include
=====================  ======================  ==========================

These are the team's consensus decisions (Covidence resolves conflicts before a study moves
list), so they are final decisions without per-reviewer votes, and agreement is "not
available" for the stage.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from reviewflow.errors import ReviewflowError
from reviewflow.ids import StudyResolver
from reviewflow.screening.formats.common import finish, require_study
from reviewflow.screening.tables import read_table

REVIEWER = "Covidence consensus"
LISTS = {
    "irrelevant": {"title_abstract": "exclude"},
    "full_text_review": {"title_abstract": "include", "full_text": ""},
    "excluded": {"title_abstract": "include", "full_text": "exclude"},
    "included": {"title_abstract": "include", "full_text": "include"},
}
_REASON = re.compile(r"Exclusion reason:\s*([^;]*);?", re.IGNORECASE)
# rispy's names for the RIS tags Covidence writes, as the CSV's column names.
RIS_COLUMNS = {
    "title": "Title",
    "primary_title": "Title",
    "doi": "DOI",
    "year": "Published Year",
    "publication_year": "Published Year",
    "notes": "Notes",
    "accession_number": "Accession Number",
    "id": "Ref",
}


def list_of(path: Path) -> str:
    """The Covidence list named in the file name."""
    words = "_" + re.sub(r"[^a-z]+", "_", path.stem.lower()).replace("fulltext", "full_text") + "_"
    found = [name for name in LISTS if f"_{name}_" in words]
    if len(found) != 1:
        raise ReviewflowError(
            "a Covidence export's file name must name the list it was exported from: one of "
            f"{', '.join(LISTS)} (e.g. review_1_irrelevant_csv.csv); found "
            f"{', '.join(found) or 'none'}",
            path=path,
        )
    return found[0]


def exclusion_reason(notes: str) -> str:
    match = _REASON.search(notes or "")
    return match.group(1).strip() if match else ""


def ris_table(path: Path) -> pd.DataFrame:
    import rispy

    try:
        text = path.read_bytes().decode("utf-8-sig")
        entries = rispy.loads(text, skip_unknown_tags=True)
    except (UnicodeDecodeError, ValueError, OSError) as exc:
        raise ReviewflowError(f"not a readable RIS file: {exc}", path=path) from None
    starts = [i for i, line in enumerate(text.splitlines(), start=1) if line.startswith("TY  -")]
    if len(starts) != len(entries):
        raise ReviewflowError(
            f"{len(entries)} RIS records but {len(starts)} 'TY  -' lines", path=path
        )
    rows = []
    for number, entry in zip(starts, entries, strict=True):
        row = dict.fromkeys(RIS_COLUMNS.values(), "")
        for key, column in RIS_COLUMNS.items():
            value = entry.get(key)
            if value and not row.get(column):
                row[column] = "; ".join(value) if isinstance(value, list) else str(value)
        rows.append({**row, "line": number})
    table = pd.DataFrame(rows, columns=[*dict.fromkeys(RIS_COLUMNS.values()), "line"])
    table["path"] = str(path)
    return table.astype({"line": int})


def load_covidence(path: str | Path, resolver: StudyResolver, stage: str) -> pd.DataFrame:
    path = Path(path)
    name = list_of(path)
    if stage not in LISTS[name]:
        raise ReviewflowError(
            f"the Covidence {name} list holds title/abstract exclusions; put it with the "
            "title/abstract decisions (data/raw/screening/title_abstract/)",
            path=path,
        )
    decision = LISTS[name][stage]
    table = ris_table(path) if path.suffix.lower() == ".ris" else read_table(path)
    if "Title" not in table:
        raise ReviewflowError(
            "not a Covidence reference export: no Title column; in Covidence open the list "
            "and use Export (CSV or RIS)",
            path=path,
            line=1,
        )
    rows = []
    for row in table.to_dict("records"):
        if not decision:
            continue
        notes = row.get("Notes", "")
        reason = exclusion_reason(notes) if decision == "exclude" else ""
        study = require_study(
            resolver,
            path=path,
            line=row["line"],
            what="Covidence study",
            ids=[row.get("Ref", ""), row.get("Accession Number", ""), row.get("Study", "")],
            doi=row.get("DOI", ""),
            title=row["Title"],
            year=row.get("Published Year", ""),
        )
        rows.append(
            {
                "id": study,
                "reviewer": REVIEWER,
                "decision": decision,
                "reason": reason,
                "note": notes.strip(),
                "final": "true",
                "path": str(path),
                "line": row["line"],
            }
        )
    return finish(rows)
