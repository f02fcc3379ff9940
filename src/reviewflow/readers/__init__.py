"""Readers for bibliographic search exports, one module per format family.

Entry points (the only ones other code should use)::

    read_file(path, format=None) -> list[dict]
    read_export(path, format=None) -> ReadResult   # records + format, encoding, warnings

Each record dict has the canonical fields of ``reviewflow.records.FIELDS`` (strings; authors
"Family, Given" and keywords joined with "; "), plus ``position`` (int, 1-based), ``line``
(int, where the record starts; CR, CRLF and "\\r\\r\\n" each count as one line end),
``format`` and ``original`` (JSON object of the verbatim fields, in file order). ``format``
overrides detection; names are in ``detect.FORMATS``. Bad input of any kind (empty, binary,
undecodable, truncated, malformed) raises only ``ReviewflowError`` naming the file and line.

Modules: ``decode`` (bytes to text), ``detect`` (format from content), ``canon`` (mapping
tables to canonical fields), ``ris`` (RIS dialects by
whole-text regexes, Web of Science via rispy's WokParser), ``medline``
(Bio.Medline), ``bibtex`` (bibtexparser v2), ``refer`` (EndNote %-tagged), ``tables``
(CSV/TSV/XLSX), ``others`` (Scholar JSON, EndNote XML, plain reference lists).
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from reviewflow.errors import ReviewflowError
from reviewflow.readers import bibtex, medline, others, refer, ris, tables
from reviewflow.readers.canon import build, original_json
from reviewflow.readers.decode import decode, looks_binary
from reviewflow.readers.detect import FORMATS, detect_format

log = logging.getLogger(__name__)

__all__ = ["FORMATS", "ReadResult", "detect_format", "read_export", "read_file"]

_TEXT_READERS = {
    "ris": ris.read_ris,
    "wos": ris.read_wos,
    "medline": medline.read_medline,
    "refer": refer.read_refer,
    "bibtex": bibtex.read_bibtex,
    "csv": lambda t, p, w: tables.read_delimited(t, p, w, ","),
    "tsv": lambda t, p, w: tables.read_delimited(t, p, w, "\t"),
    "endnote_xml": others.read_endnote_xml,
    "scholar_json": others.read_scholar_json,
    "reference_list": others.read_reference_list,
}
assert set(_TEXT_READERS) | {"xlsx"} == set(FORMATS)

_ZIP = b"PK\x03\x04"


@dataclass
class ReadResult:
    """What one export file gave: records plus what the import report says about it."""

    path: str
    format: str
    encoding: str
    records: list[dict]
    warnings: list[str] = field(default_factory=list)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a file's records are built.

    A 100k-record import allocates millions of small lists and dicts that form no cycles;
    the collector re-scanning them all repeatedly cost about half the import time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_export(path: str | Path, format: str | None = None) -> ReadResult:
    """Read one export file into canonical records (see the package docstring)."""
    with _gc_paused():
        return _read_export(str(path), format)


def _read_export(path: str, format: str | None) -> ReadResult:
    if format is not None and format not in FORMATS:
        raise ReviewflowError(
            f"unknown format {format!r}; expected one of {', '.join(FORMATS)}", path=path
        )
    if Path(path).exists() and not Path(path).is_file():  # reading a FIFO or device hangs
        raise ReviewflowError("not a regular file (a folder, FIFO or device?)", path=path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ReviewflowError("file not found", path=path) from None
    except OSError as exc:
        raise ReviewflowError(f"cannot read file: {exc.strerror}", path=path) from None
    warnings: list[str] = []
    if not data.strip():
        raise ReviewflowError("file is empty: expected exported records", path=path)
    if data.startswith(_ZIP) and format in (None, "xlsx"):
        fmt, encoding = "xlsx", "-"
        raws = tables.read_xlsx(path, warnings)
    else:
        if looks_binary(data):
            raise ReviewflowError(
                "binary file (contains NUL bytes): expected a text export "
                "(RIS, MEDLINE, BibTeX, CSV, ...) or an XLSX workbook",
                path=path,
            )
        text, encoding = decode(data, path, warnings)
        fmt = format or detect_format(text, path)
        if fmt is None:
            raise ReviewflowError(
                "cannot tell the export format from the content: expected RIS (TY  - ), "
                "MEDLINE (PMID- ), Web of Science (PT ), BibTeX (@article{), EndNote (%0 ), "
                "CSV/TSV with a header row, EndNote XML or JSON; set `format:` in the "
                "search log if it is one of these",
                path=path,
                line=1,
            )
        if fmt == "xlsx":
            raise ReviewflowError("format xlsx given but this is not an XLSX workbook", path=path)
        try:
            raws = _TEXT_READERS[fmt](text, path, warnings)
        except ReviewflowError:
            raise
        except (ValueError, KeyError, IndexError, TypeError, LookupError, RecursionError) as exc:
            # A library choking on malformed input must still end as a clear error.
            raise ReviewflowError(
                f"malformed {fmt} file: {type(exc).__name__}: {exc}", path=path
            ) from None
    if not raws:
        raise ReviewflowError(
            f"no records found (read as {fmt}); expected at least one record", path=path
        )
    records = []
    for pos, raw in enumerate(raws, start=1):
        rec = build(raw.lookup if raw.lookup is not None else raw.original, raw.fields)
        rec["position"] = pos
        rec["line"] = raw.line
        rec["format"] = fmt
        rec["original"] = original_json(raw.original)
        records.append(rec)
    for w in warnings:
        log.warning("%s: %s", path, w)
    return ReadResult(path, fmt, encoding, records, warnings)


def read_file(path: str | Path, format: str | None = None) -> list[dict]:
    """Records of one export file; raises only ReviewflowError for bad input."""
    return read_export(path, format).records
