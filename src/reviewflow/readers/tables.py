"""Spreadsheet exports: CSV, TSV, XLSX (Scopus, PubMed, IEEE, Springer, WoS tab-delimited...).

The header decides the dialect: RIS or WoS two-letter tags as column names, Springer's
concatenated author list, or named columns (matched case-insensitively through one table).
CSV is read with the csv module rather than pandas so every row keeps its true line number
(quoted values may span lines) and a row with the wrong number of cells is an error.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re

from reviewflow import files  # noqa: F401 - sets the csv field size limit for big cells
from reviewflow.errors import ReviewflowError
from reviewflow.readers.canon import FieldMap, Raw
from reviewflow.readers.decode import CONTROL, control_warning, without_controls
from reviewflow.readers.ris import RIS_FIELDS, WOS_FIELDS


def _list_split(value: str) -> list[str]:
    """ "A; B" when semicolons are used, else "A, B" (PubMed "Smith A, Walter B", IEEE
    "J. Smith, A. Doe") when every part is a whole name; "Spicker, Paul" is one author."""
    if ";" in value:
        return re.split(r"\s*;\s*", value)
    parts = re.split(r",\s+", value)
    return parts if all(" " in p.strip() for p in parts) else [value]


# Named columns, lower case; first non-empty wins. Database exports (Scopus, PubMed, IEEE,
# Springer) and reference managers: Zotero ("Item Type", "Abstract Note", "Publication
# Title", "Manual Tags"), Mendeley ("Authors", "Journal", "Tags") and EndNote's tab-delimited
# export ("Reference Type", "Secondary Title", "Number", "ISBN/ISSN").
NAMED_FIELDS = FieldMap(
    type=(
        "document type",
        "content type",
        "publication type",
        "item type",
        "reference type",
        "type",
        "entrytype",
        "category",
    ),
    title=("title", "document title", "item title", "article title"),
    authors=("authors", "author", "author full names", "author(s)"),
    author_split=_list_split,
    year=("year", "publication year", "pubyear", "publication date", "date", "create date"),
    journal=(
        "source title",
        "journal/book",
        "publication title",
        "publication",
        "journal",
        "journal title",
        "booktitle",
        "secondary title",
    ),
    volume=("volume", "journal volume"),
    issue=("issue", "journal issue", "number"),
    pages=("pages", "page range"),
    start_page=("page start", "start page"),
    end_page=("page end", "end page"),
    doi=("doi", "item doi", "link", "url"),
    issn=("issn", "eissn", "e-issn", "isbn/issn"),
    isbn=("isbn", "isbns"),
    abstract=("abstract", "abstract note"),
    keywords=(
        "author keywords",
        "keywords",
        "index keywords",
        "ieee terms",
        "mesh terms",
        "manual tags",
        "automatic tags",
        "tags",
    ),
    keyword_split=r"\s*;\s*",
    url=("url", "link", "pdf link"),
    language=("language", "language of original document"),
)

# Springer writes all authors run together ("Andy SmithTom Weber").
SPRINGER_FIELDS = dataclasses.replace(
    NAMED_FIELDS, author_split=r"(?<=[a-z])(?=[A-Z][a-z])", default_type="article"
)
WOS_TABLE_FIELDS = dataclasses.replace(WOS_FIELDS, author_split=r"\s*;\s*")
RIS_TABLE_FIELDS = dataclasses.replace(RIS_FIELDS, author_split=r"\s+and\s+|\s*;\s*")


def _dialect(header: list[str]) -> tuple[str, FieldMap, bool]:
    """(name, field map, whether to match lower-cased header names)."""
    cols = {h.strip() for h in header}
    if "TY" in cols and cols & {"TI", "T1"}:
        return "ris columns", RIS_TABLE_FIELDS, False
    if "PT" in cols and "AU" in cols and cols & {"UT", "AN", "TI"}:
        return "wos columns", WOS_TABLE_FIELDS, False
    if "Item Title" in cols:
        return "springer", SPRINGER_FIELDS, True
    return "named columns", NAMED_FIELDS, True


def _records(header: list[str], rows, path: str, warnings: list[str]) -> list[Raw]:
    header = [h.strip() for h in header]
    while header and header[-1] == "":  # WoS tab-delimited ends every row with a tab
        header.pop()
    if not header or len(set(header)) != len(header):
        dup = sorted({h for h in header if header.count(h) > 1})
        raise ReviewflowError(
            f"expected a header row of distinct column names, found duplicates {dup}"
            if dup
            else "expected a header row of column names",
            path=path,
            line=1,
        )
    _, fm, lower = _dialect(header)
    n = len(header)
    mapped = {t.lower() for t in fm.tags()} if lower else fm.tags()
    unmapped = {h for h in header if (h.lower() if lower else h) not in mapped}
    used: set[str] = set()
    out = []
    for line, row in rows:
        if not any(c.strip() for c in row):
            continue
        extra = row[n:]
        if any(c.strip() for c in extra) or len(row) < n:
            raise ReviewflowError(
                f"expected {n} cells as in the header, found {len(row)}",
                path=path,
                line=line,
                record=str(len(out) + 1),
            )
        original = {h: [v] for h, v in zip(header, row, strict=False) if v != ""}
        lookup = {h.lower(): v for h, v in original.items()} if lower else None
        out.append(Raw(line, original, fm, lookup))
        used.update(h for h in unmapped if h in original and original[h][0].strip())
    if used:
        # Never silent: Zotero's "Abstract Note" once vanished this way, 1,128 abstracts.
        warnings.append(
            f"{len(used)} column(s) with values not mapped to a records.csv field (kept in "
            f"`original`): {', '.join(h for h in header if h in used)}"
        )
    return out


def read_delimited(text: str, path: str, warnings: list[str], delimiter: str | None = None):
    first = text.split("\n", 1)[0]
    if delimiter is None:
        delimiter = "\t" if first.count("\t") > first.count(",") else ","
    # Tab-delimited exports (Web of Science) do not quote; a stray '"' is just a character.
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting, strict=True
    )
    try:
        header = next(reader, None)
        if header is None:
            raise ReviewflowError("expected a header row, the file is empty", path=path)

        def rows():
            prev = reader.line_num
            for row in reader:
                yield prev + 1, row
                prev = reader.line_num

        return _records(header, rows(), path, warnings)
    except csv.Error as exc:
        raise ReviewflowError(
            f"not a well-formed table: {exc}", path=path, line=reader.line_num
        ) from None


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _sheet_rows(path: str, warnings: list[str]) -> list[list[str]]:
    """Every row of the first sheet as text; any damage to the workbook is a named error."""
    import openpyxl

    wb = None
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        ws = wb.worksheets[0]
        if len(wb.worksheets) > 1:
            warnings.append(f"only the first sheet ({ws.title!r}) was read")
        return [[_cell(v) for v in row] for row in ws.iter_rows(values_only=True)]
    except Exception as exc:  # noqa: BLE001 - openpyxl and its XML parser raise many types
        # A sheet cut short or with a DOCTYPE fails while the rows are read, not on open.
        raise ReviewflowError(
            f"not a readable XLSX workbook ({type(exc).__name__}: {exc}); save it again "
            "from the spreadsheet program or export CSV",
            path=path,
        ) from None
    finally:
        if wb is not None:
            wb.close()


def read_xlsx(path: str, warnings: list[str]):
    table = _sheet_rows(path, warnings)
    if not table or not any(table[0]):
        raise ReviewflowError("expected a header row, the first sheet is empty", path=path)
    dirty = [(i, c) for i, row in enumerate(table, 1) for c in row if CONTROL.search(c)]
    if dirty:
        n = sum(len(CONTROL.findall(c)) for _, c in dirty)
        first_row, first_cell = dirty[0]
        warnings.append(control_warning(n, CONTROL.search(first_cell).group(), "row", first_row))
        table = [[without_controls(c) for c in row] for row in table]
    return _records(table[0], enumerate(table[1:], start=2), path, warnings)
