"""ASReview LAB exports: one file per reviewer (LAB projects are single-user).

Accepted as LAB writes them (checked on real LAB 3.0.8 exports, see docs/screening-tools.md):
- the dataset export as CSV, TSV or XLSX: first an unnamed column with ASReview's row number,
  then every uploaded column, then ``asreview_label`` (1 relevant, 0 irrelevant, empty
  unlabelled), ``asreview_note`` and, when LAB runs with login, ``asreview_user_name``.
  LAB 1 wrote ``included`` and ``exported_notes_*`` instead;
- the ``.asreview`` project file (a zip): the labels and notes in ``results.db``, the uploaded
  dataset in ``data/``.

The reviewer is ``asreview_user_name`` when present, else the file name (``alice.csv``). The
study is named by the uploaded id column (``study_id``, as in our studies.csv; or
``record_id``, ``id``, ``key``), else by DOI, else by title. Notes stay notes: ASReview has no
exclusion reasons, so full-text exclusions need a reason from resolutions.csv or another tool.
LAB's export dialog ticks only "relevant" by default; such a file is refused, since every
study missing from it would silently count as undecided.
"""

from __future__ import annotations

import sqlite3
import tempfile
import zipfile
from pathlib import Path

import pandas as pd

from reviewflow.errors import ReviewflowError
from reviewflow.ids import StudyResolver
from reviewflow.screening.formats.common import finish, require_study
from reviewflow.screening.tables import TABLE_SUFFIXES, read_table

ID_COLUMNS = ("study_id", "record_id", "id", "key")
LABEL_COLUMNS = ("asreview_label", "included", "label_included")
ROW_NUMBER_COLUMNS = ("", "Unnamed: 0")
RELEVANT, IRRELEVANT = "1", "0"


def _label(value: str) -> str:
    value = value.strip()
    return {"1.0": RELEVANT, "0.0": IRRELEVANT, "-1": ""}.get(value, value)


def check_all_records(frame: pd.DataFrame, label_col: str, path: str | Path) -> None:
    """Refuse LAB's default "relevant only" export: every row relevant, row numbers with gaps."""
    labels = frame[label_col].map(_label)
    row_col = next((c for c in ROW_NUMBER_COLUMNS if c in frame), None)
    if not len(frame) or row_col is None or not (labels == RELEVANT).all():
        return
    numbers = pd.to_numeric(frame[row_col], errors="coerce")
    if numbers.isna().any() or sorted(numbers.astype(int)) != list(range(len(frame))):
        raise ReviewflowError(
            "this ASReview export holds only the studies labelled relevant (LAB's export "
            "dialog default), so every irrelevant and unlabelled study is missing; in LAB "
            "export again with all records ticked (relevant, irrelevant and not seen)",
            path=path,
            line=1,
        )


def votes_from_table(
    frame: pd.DataFrame, resolver: StudyResolver, *, path: str | Path, reviewer: str
) -> pd.DataFrame:
    """Votes from a table in ASReview's export layout (one row per dataset record)."""
    label_col = next((c for c in LABEL_COLUMNS if c in frame), None)
    if label_col is None:
        raise ReviewflowError(
            "not an ASReview export: no asreview_label column (LAB 2 and 3) or included "
            "(LAB 1); in LAB download the dataset from Export, with all records",
            path=path,
            line=1,
        )
    check_all_records(frame, label_col, path)
    note_cols = [c for c in frame.columns if c == "asreview_note" or c.startswith("exported_not")]
    rows = []
    for row in frame.to_dict("records"):
        label = _label(row[label_col])
        if label == "":
            continue  # unlabelled: no decision yet
        if label not in (RELEVANT, IRRELEVANT):
            raise ReviewflowError(
                f"ASReview label {row[label_col]!r} in column {label_col}; expected 1, 0 or empty",
                path=row["path"],
                line=row["line"],
            )
        study = require_study(
            resolver,
            path=row["path"],
            line=row["line"],
            what="ASReview record",
            ids=[row.get(c, "") for c in ID_COLUMNS],
            doi=row.get("doi", ""),
            title=row.get("title", ""),
            year=row.get("year", ""),
        )
        rows.append(
            {
                "id": study,
                "reviewer": (row.get("asreview_user_name") or "").strip() or reviewer,
                "decision": "include" if label == RELEVANT else "exclude",
                "note": " ".join(row[c].strip() for c in note_cols if row[c].strip()),
                "path": row["path"],
                "line": row["line"],
            }
        )
    return finish(rows)


def project_table(path: str | Path) -> pd.DataFrame:
    """An ``.asreview`` project as the export table: its dataset plus label and note."""
    try:
        with zipfile.ZipFile(path) as project, tempfile.TemporaryDirectory() as tmp:
            data = [n for n in project.namelist() if n.startswith("data/") and not n.endswith("/")]
            if "results.db" not in project.namelist() or len(data) != 1:
                raise ReviewflowError(
                    "not an ASReview LAB project: expected results.db and one dataset in data/",
                    path=path,
                )
            if Path(data[0]).suffix.lower() not in TABLE_SUFFIXES:
                raise ReviewflowError(
                    f"the project's dataset is {data[0]}; reviewflow reads CSV/TSV/XLSX "
                    "datasets: in LAB export the dataset (all records) as CSV instead",
                    path=path,
                )
            project.extract(data[0], tmp)
            project.extract("results.db", tmp)
            table = read_table(Path(tmp) / data[0])
            with sqlite3.connect(Path(tmp) / "results.db") as db:
                labels = db.execute(
                    "SELECT r.dataset_row, s.label, s.note FROM results s "
                    "JOIN record r ON r.record_id = s.record_id"
                ).fetchall()
    except (zipfile.BadZipFile, sqlite3.Error) as exc:
        raise ReviewflowError(f"not a readable ASReview project: {exc}", path=path) from None
    # results.db knows records by their row in the dataset; unlabelled rows are absent
    by_row = {int(row): ("" if lab is None else str(lab), note or "") for row, lab, note in labels}
    labelled = [by_row.get(i, ("", "")) for i in range(len(table))]
    table["asreview_label"] = [label for label, _ in labelled]
    table["asreview_note"] = [note for _, note in labelled]
    table["path"] = f"{path}:{data[0]}"
    return table


UPLOAD_COLUMNS = ["study_id", "title", "abstract", "authors", "year", "doi"]


def upload_table(studies: pd.DataFrame, decided: pd.DataFrame) -> pd.DataFrame:
    """Studies as a dataset LAB imports, labelled with the decisions so far (LAB's "prior
    knowledge"); ``study_id`` comes back in LAB's exports, so every row matches exactly.
    Not-retrieved and undecided studies stay unlabelled."""
    labels = {"include": RELEVANT, "exclude": IRRELEVANT}
    decision = dict(zip(decided["study_id"], decided["decision"], strict=True))
    table = studies.reindex(columns=UPLOAD_COLUMNS).fillna("")
    table["asreview_label"] = [labels.get(decision.get(s, ""), "") for s in table["study_id"]]
    return table


def load_asreview(path: str | Path, resolver: StudyResolver) -> pd.DataFrame:
    path = Path(path)
    table = project_table(path) if path.suffix.lower() == ".asreview" else read_table(path)
    return votes_from_table(table, resolver, path=path, reviewer=path.stem)
