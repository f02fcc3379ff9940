"""Rayyan exports: the zip Rayyan downloads, or the ``articles.csv`` inside it.

Layout (Rayyan help, "Understanding Your Rayyan Export Files"; columns as in Rayyan's
open-source exporter, rayyanqcri/rayyan-formats-core ``plugins/csv.rb``): ``key, title,
authors, journal, issn, volume, issue, pages, year, publisher, location, url, language,
abstract, notes``. The ``notes`` column bundles Rayyan's data after any imported notes,
separated by `` | ``:
- ``RAYYAN-INCLUSION: {"Ann"=>"Included", "Bo"=>"Excluded"}``: each member's decision;
- ``RAYYAN-LABELS: a,b`` (labels are not decisions; kept as notes);
- ``RAYYAN-EXCLUSION-REASONS: r1,r2``: per article, not per member, so every member who
  excluded the article gets them (PRISMA counts the first in config priority order);
- ``USER-NOTES: {"Ann"=>["note one", "note two"]}``: each member's notes.

``key`` is the id the article had when uploaded: upload our study list (``reviewflow
screening-sheet`` or studies.csv with ``key`` = study id) and every article matches exactly;
otherwise the DOI (a ``doi`` column or a doi.org ``url``) or the title is used.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from pathlib import Path

import pandas as pd

from reviewflow.errors import ReviewflowError
from reviewflow.ids import StudyResolver, doi_url
from reviewflow.screening.formats.common import finish, require_study
from reviewflow.screening.tables import read_table

_PAIR = re.compile(r'"((?:[^"\\]|\\.)*)"\s*=>\s*(\[[^\]]*\]|"(?:[^"\\]|\\.)*")')
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
DECISIONS = {"included": "include", "excluded": "exclude", "maybe": "maybe"}
ARTICLES = "articles.csv"
# The columns Rayyan's CSV importer reads (plugins/csv.rb), ours mapped onto them.
UPLOAD_COLUMNS = {"key": "study_id", "title": "title", "authors": "authors"}
UPLOAD_COLUMNS |= {"journal": "journal", "volume": "volume", "issue": "issue", "pages": "pages"}
UPLOAD_COLUMNS |= {"year": "year", "url": "doi_link", "abstract": "abstract"}


def _ruby_hash(text: str) -> dict[str, list[str]]:
    """``{"Ann"=>"x", "Bo"=>["y", "z"]}`` (Ruby's Hash#inspect) as {name: [values]}."""
    return {
        key.replace('\\"', '"'): [v.replace('\\"', '"') for v in _STRING.findall(value)]
        for key, value in _PAIR.findall(text)
    }


def parse_notes(notes: str) -> dict:
    """Split Rayyan's ``notes`` into votes, reasons, labels, per-member notes, other text."""
    out: dict = {"votes": {}, "reasons": [], "labels": [], "user_notes": {}, "other": []}
    for part in notes.split(" | "):
        key, sep, value = part.partition(":")
        key = key.strip().upper() if sep else ""
        if key == "RAYYAN-INCLUSION":
            out["votes"] = {k: v[0] for k, v in _ruby_hash(value).items() if v}
        elif key == "RAYYAN-EXCLUSION-REASONS":
            out["reasons"] = [r.strip() for r in value.split(",") if r.strip()]
        elif key == "RAYYAN-LABELS":
            out["labels"] = [r.strip() for r in value.split(",") if r.strip()]
        elif key == "USER-NOTES":
            out["user_notes"] = _ruby_hash(value)
        elif part.strip():
            out["other"].append(part.strip())
    return out


def articles_table(path: Path) -> pd.DataFrame:
    """``articles.csv``, read from Rayyan's zip when given the zip."""
    if path.suffix.lower() != ".zip":
        return read_table(path, ["title", "notes"])
    try:
        with zipfile.ZipFile(path) as archive, tempfile.TemporaryDirectory() as tmp:
            names = [n for n in archive.namelist() if Path(n).name.lower() == ARTICLES]
            if len(names) != 1:
                raise ReviewflowError(
                    f"no {ARTICLES} in this zip; expected Rayyan's export (articles.csv and "
                    "customizations_log.csv)",
                    path=path,
                )
            archive.extract(names[0], tmp)
            table = read_table(Path(tmp) / names[0], ["title", "notes"])
    except zipfile.BadZipFile as exc:
        raise ReviewflowError(f"not a readable zip: {exc}", path=path) from None
    table["path"] = f"{path}:{names[0]}"
    return table


def upload_table(studies: pd.DataFrame) -> pd.DataFrame:
    """Studies as a CSV Rayyan imports, ``key`` = our study id: Rayyan exports the key back,
    so every article matches its study exactly (no DOI or title guessing)."""
    table = studies.assign(
        doi_link=studies["doi"].fillna("").map(doi_url),
        authors=studies["authors"].fillna("").str.replace("; ", " and "),
    )
    return (
        table.reindex(columns=list(UPLOAD_COLUMNS.values()))
        .fillna("")
        .set_axis(list(UPLOAD_COLUMNS), axis=1)
    )


def load_rayyan(path: str | Path, resolver: StudyResolver) -> pd.DataFrame:
    table = articles_table(Path(path))
    rows = []
    for row in table.to_dict("records"):
        notes = parse_notes(row["notes"])
        if not notes["votes"]:
            continue  # nobody has decided this article yet
        study = require_study(
            resolver,
            path=row["path"],
            line=row["line"],
            what="Rayyan article",
            ids=[row.get("key", "")],
            doi=row.get("doi", "") or row.get("url", ""),
            title=row["title"],
            year=row.get("year", ""),
        )
        for reviewer, vote in sorted(notes["votes"].items()):
            decision = DECISIONS.get(vote.strip().lower(), vote.strip().lower())
            member_notes = notes["user_notes"].get(reviewer, [])
            rows.append(
                {
                    "id": study,
                    "reviewer": reviewer.strip(),
                    "decision": decision,
                    "reason": "; ".join(notes["reasons"]) if decision == "exclude" else "",
                    "note": " | ".join([*notes["other"], *member_notes]),
                    "path": row["path"],
                    "line": row["line"],
                }
            )
    return finish(rows)
