"""Stage 1, ``reviewflow import``: every export the search log lists -> records.csv.

Each file is read by ``reviewflow.readers``; a search's record count (all its files
together) is checked against the hits the search log says the database reported; a
difference stops the build unless the log's ``hits_note`` explains it. The import report
says, per search, what was read and how.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from reviewflow import files
from reviewflow.errors import ReviewflowError
from reviewflow.readers import read_export
from reviewflow.records import COLUMNS, RECORDS_SCHEMA
from reviewflow.searchlog import Search, load_search_log, resolve_files

log = logging.getLogger(__name__)


def check_hits(search: Search, n_parsed: int, path: Path, line: int | None = None) -> list[str]:
    """Warnings for the report; an unexplained count difference is an error at ``path``
    (the export file, or the log entry's line when the search has several files)."""
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
            line=line,
        )
    return [f"{msg} ({search.hits_note})"]


def import_search(
    search: Search, paths: list[Path], raw_dir: Path, log_path: Path
) -> tuple[list[dict], dict]:
    """Rows for records.csv and the report entry of one search (all its files, in order).

    Positions, and so record ids, run on across a search's files; each record keeps its
    own ``source_file`` and ``line``.
    """
    rows: list[dict] = []
    files_report, warnings = [], []
    for path in paths:
        rel = path.relative_to(raw_dir).as_posix()
        log.info("importing %s (%s)", rel, search.id)
        result = read_export(path, search.format)  # an empty file is an error, even for 0 hits
        meta = {
            "search_id": search.id,
            "source": search.source,
            "kind": search.kind,
            "source_file": rel,
        }
        for rec in result.records:
            pos = len(rows) + 1
            rows.append({**rec, **meta, "position": pos, "record_id": f"{search.id}:{pos}"})
        files_report.append(
            {"file": rel, "format": result.format, "encoding": result.encoding,
             "records": len(result.records)}
        )  # fmt: skip
        prefix = f"{rel}: " if len(paths) > 1 else ""
        warnings.extend(prefix + w for w in result.warnings)
    if len(paths) == 1:
        warnings.extend(check_hits(search, len(rows), paths[0]))
    else:
        warnings.extend(check_hits(search, len(rows), log_path, search.line or None))
    report = {
        "id": search.id,
        "file": files_report[0]["file"] if len(paths) == 1 else [f["file"] for f in files_report],
        "files": files_report,
        "format": "; ".join(dict.fromkeys(f["format"] for f in files_report)),
        "format_given": search.format,
        "encoding": "; ".join(dict.fromkeys(f["encoding"] for f in files_report)),
        "records": len(rows),
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
    resolved = resolve_files(searches, raw_dir, search_log)
    rows, reports = [], []
    for search in searches:
        r, rep = import_search(search, resolved[search.id], raw_dir, search_log)
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
