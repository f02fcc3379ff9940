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


def read_medline(text: str, path: str, warnings: list[str]):
    lines = text.split("\n")
    chunks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for i, line in enumerate(lines):
        if not line.strip():
            if current:
                chunks.append((start, current))
                current = []
            continue
        if line[:6] == "      " and current:
            current.append(line + "\n")
            continue
        if not FIELD_LINE.match(line):
            raise ReviewflowError(
                f"expected a MEDLINE field ('TAG - value') or a continuation line indented "
                f"by six spaces, found {line[:40]!r}",
                path=path,
                line=i + 1,
                record=str(len(chunks) + 1),
            )
        if not current:
            start = i + 1
        current.append(line + "\n")
    if current:
        chunks.append((start, current))
    out = []
    for line_no, chunk in chunks:
        (rec,) = Medline.parse(chunk)
        original = {k: v if isinstance(v, list) else [v] for k, v in rec.items()}
        out.append(Raw(line_no, original, MEDLINE_FIELDS))
    return out
