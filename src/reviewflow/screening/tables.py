"""Decision tables as people and tools save them: CSV, TSV or XLSX, each row with its line.

Read with the csv module (not pandas) so that every row keeps the line it starts on in the
file, quoted values may span lines, a whitespace-only line is skipped without shifting the
numbers, and a 200 KB abstract or note is just a long field. All cells are strings, empty
stays "", and surrounding whitespace is kept (the loaders strip what they use).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from reviewflow.errors import ReviewflowError
from reviewflow.files import require_columns

TABLE_SUFFIXES = (".csv", ".tsv", ".xlsx")


def _blank(cells: list[str]) -> bool:
    return not any(c.strip() for c in cells)


def _delimited_rows(path: Path) -> list[tuple[int, list[str]]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ReviewflowError("file not found", path=path) from None
    except UnicodeDecodeError as exc:
        raise ReviewflowError(
            f"not UTF-8 text (byte {exc.start}); save the file as UTF-8 CSV", path=path
        ) from None
    delimiter = "\t" if path.suffix.lower() == ".tsv" or "\t" in text.split("\n", 1)[0] else ","
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, start = [], 1
    try:
        for cells in reader:
            rows.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ReviewflowError(f"not a readable table: {exc}", path=path, line=start) from None
    return rows


def _xlsx_rows(path: Path) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise ReviewflowError("file not found", path=path) from None
    except Exception as exc:  # openpyxl raises zipfile/KeyError/ValueError for non-XLSX
        raise ReviewflowError(f"not a readable XLSX workbook: {exc}", path=path) from None
    sheet = book.worksheets[0]
    rows = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        rows.append((number, [_cell_text(v) for v in values]))
    book.close()
    return rows


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a label 1 typed in Excel is the number 1.0
    return str(value)


def read_rows(path: str | Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(header, [(line, cells), ...]) of a CSV/TSV/XLSX; blank rows dropped, lines kept."""
    path = Path(path)
    rows = _xlsx_rows(path) if path.suffix.lower() == ".xlsx" else _delimited_rows(path)
    rows = [(line, cells) for line, cells in rows if not _blank(cells)]
    if not rows:
        raise ReviewflowError("empty file: expected a header row", path=path, line=1)
    (_, header), body = rows[0], rows[1:]
    header = [h.strip() for h in header]
    while header and not header[-1]:  # spreadsheets report formatted but empty columns
        header.pop()
    for line, cells in body:
        if any(c.strip() for c in cells[len(header) :]):
            raise ReviewflowError(
                f"{len(cells)} cells but the header has {len(header)} columns",
                path=path,
                line=line,
            )
    return header, [(line, cells[: len(header)]) for line, cells in body]


def read_table(path: str | Path, required: Iterable[str] = ()) -> pd.DataFrame:
    """A table as strings, plus ``line`` (where the row starts) and ``path``."""
    header, body = read_rows(path)
    width = len(header)
    frame = pd.DataFrame(
        [cells + [""] * (width - len(cells)) for _, cells in body],
        columns=header,
        dtype=object,
    )
    if frame.columns.duplicated().any():
        dupes = sorted(set(frame.columns[frame.columns.duplicated()]))
        raise ReviewflowError(f"duplicate column(s) {', '.join(dupes)}", path=path, line=1)
    require_columns(frame, required, path)
    frame["line"] = [line for line, _ in body]
    frame["path"] = str(path)
    return frame.astype({"line": int})
