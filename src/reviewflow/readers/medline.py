"""PubMed / MEDLINE (``.nbib``, ``.txt``; also ERIC's nbib) parsed with Biopython's Bio.Medline.

Bio.Medline splits fields; this module finds where each record starts (records are separated
by blank lines) and rejects lines that are neither a field nor a continuation, naming them.
"""

from __future__ import annotations

import re

from Bio import Medline

from reviewflow.errors import ReviewflowError
from reviewflow.readers.canon import FieldMap, Raw

FIELD_LINE = re.compile(r"[A-Z][A-Z0-9]{1,3} {0,3}- ")

MEDLINE_FIELDS = FieldMap(
    type=("PT",),
    title=("TI", "BTI"),
    authors=("FAU", "AU"),
    year=("DP", "DEP", "EDAT"),
    journal=("JT", "TA", "BTI"),
    volume=("VI",),
    issue=("IP",),
    pages=("PG",),
    doi=("AID", "LID", "SO"),
    issn=("IS", "ISSN"),
    isbn=("ISBN",),
    abstract=("AB",),
    keywords=("OT", "MH"),
    url=("URL",),
    language=("LA",),
)


# Bio.Medline keys a line by its first four characters, so a field line must be laid out as
# MEDLINE does: tag padded to four, then "- " (ERIC also writes "ISSN - ").
_FIELD = r"(?:[A-Z][A-Z0-9](?:[A-Z0-9]{2}|[A-Z0-9] | {2})-(?: |$)|[A-Z][A-Z0-9]{3} - )"
_BAD_LINE = re.compile(rf"^(?!$|      |{_FIELD}).+$", re.M)
_START = re.compile(r"(?:\A|\n\n)([^\n])")
_WS_ONLY = re.compile(r"^[ \t]+$", re.M)


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def read_medline(text: str, path: str, warnings: list[str]):
    """Records are blank-line separated; whole-text regexes find their starts and any line
    that is neither a field nor a six-space continuation, then Bio.Medline parses them all."""
    text = _WS_ONLY.sub("", text)
    lead = len(text) - len(text.lstrip("\n"))  # blank lines before the first record
    text = text.strip("\n")
    bad = _BAD_LINE.search(text)
    if bad:
        raise ReviewflowError(
            f"expected a MEDLINE field ('TAG - value', tag padded to four characters) or a "
            f"continuation line indented by six spaces, found {bad.group(0)[:40]!r}",
            path=path,
            line=lead + _line_of(text, bad.start()),
        )
    starts, pos, line = [], 0, 1 + lead
    for m in _START.finditer(text):
        line += text.count("\n", pos, m.start(1))
        pos = m.start(1)
        if text.startswith("      ", pos):
            raise ReviewflowError(
                "a record starts with a continuation line: expected a field 'TAG - value'",
                path=path,
                line=line,
                record=str(len(starts) + 1),
            )
        starts.append(line)
    records = list(Medline.parse(text.splitlines(keepends=True)))
    if len(records) != len(starts):  # both split on blank lines
        raise AssertionError(f"MEDLINE passes disagree: {len(records)} != {len(starts)}")
    return [
        Raw(line, {k: v if isinstance(v, list) else [v] for k, v in rec.items()}, MEDLINE_FIELDS)
        for line, rec in zip(starts, records, strict=True)
    ]
