"""Stage 1, ``reviewflow import``: every export the search log lists -> records.csv.

Each file is read by ``reviewflow.readers`` and its record count checked against the hits
the search log says the database reported; a difference stops the build unless the log's
``hits_note`` explains it. The import report says, per search, what was read and how.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from reviewflow import files
from reviewflow.errors import ReviewflowError
from reviewflow.readers import read_export
from reviewflow.records import COLUMNS, RECORDS_SCHEMA
from reviewflow.searchlog import Search, load_search_log

log = logging.getLogger(__name__)


def check_hits(search: Search, n_parsed: int, path: Path) -> list[str]:
    """Warnings for the report; an unexplained count difference is an error."""
    if n_parsed == search.hits:
        return []
    msg = (
        f"{n_parsed} records parsed but the search log says {search.source} reported "
        f"{search.hits} hits"
    )
    if not search.hits_note:
        raise ReviewflowError(
            f"{msg}; fix the file or explain the difference in `hits_note` for search "
            f"{search.id!r}",
            path=path,
        )
    return [f"{msg} ({search.hits_note})"]


def import_search(search: Search, raw_dir: Path) -> tuple[list[dict], dict]:
    """Rows for records.csv and the report entry of one search."""
    path = search.path(raw_dir)
    if not path.resolve().is_relative_to(Path(raw_dir).resolve()):
        raise ReviewflowError(
            f"search {search.id!r}: `file` leads outside data/raw (through a link)", path=path
        )
    log.info("importing %s (%s)", search.file, search.id)
    result = read_export(path, search.format)  # an empty file is an error, even for 0 hits
    warnings = [*result.warnings, *check_hits(search, len(result.records), path)]
    meta = {
        "search_id": search.id,
        "source": search.source,
        "kind": search.kind,
        "source_file": search.file,
    }
    rows = [
        {**rec, **meta, "record_id": f"{search.id}:{rec['position']}"} for rec in result.records
    ]
    report = {
        "id": search.id,
        "file": search.file,
        "format": result.format,
        "format_given": search.format,
        "encoding": result.encoding,
        "records": len(result.records),
        "hits": search.hits,
        "hits_note": search.hits_note,
        "warnings": warnings,
    }
    return rows, report


def records_frame(rows: list[dict]) -> pd.DataFrame:
    """All rows as the validated records table, in search-log then file order."""
    df = pd.DataFrame(rows, columns=COLUMNS).astype(str)
    return RECORDS_SCHEMA.validate(df)


def import_all(search_log: Path) -> tuple[pd.DataFrame, dict]:
    searches = load_search_log(search_log)
    raw_dir = Path(search_log).parent
    rows, reports = [], []
    for search in searches:
        r, rep = import_search(search, raw_dir)
        rows.extend(r)
        reports.append(rep)
    df = records_frame(rows)
    report = {"searches": reports, "total_records": len(df)}
    log.info("%d records from %d searches", len(df), len(searches))
    return df, report


def run(args) -> None:
    df, report = import_all(Path(args.search_log))
    files.write_csv(df, args.out)
    files.write_json(report, args.report)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "import", help="read every search export into records.csv", description=__doc__
    )
    p.add_argument("--search-log", required=True, help="data/raw/searches.yaml")
    p.add_argument("--out", required=True, help="records.csv to write")
    p.add_argument("--report", required=True, help="import_report.json to write")
    p.set_defaults(func=run)
