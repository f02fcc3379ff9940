"""EndNote / Refer tagged text (``%0 Journal Article``, ``%A``, ``%T`` ...), e.g. AIS eLibrary.

No maintained Python library reads it, and the format is small: a record is a block of
``%X value`` lines separated by blank lines; lines without ``%`` continue the previous value.
"""

from __future__ import annotations

import re

from reviewflow.errors import ReviewflowError
from reviewflow.readers.canon import FieldMap, Raw

REFER_TAG = re.compile(r"%([0-9A-Z@!#$&()*+^~>\]|?])(?: (.*)|$)")

REFER_FIELDS = FieldMap(
    type=("0",),
    title=("T",),
    authors=("A",),
    year=("D", "8"),
    journal=("J", "B"),
    volume=("V",),
    issue=("N",),
    pages=("P",),
    doi=("R", "U"),
    issn=("@",),
    abstract=("X",),
    keywords=("K",),
    url=("U",),
    language=("G",),
)


def read_refer(text: str, path: str, warnings: list[str]):
    out = []
    record: dict[str, list[str]] = {}
    start = 0
    last = None
    for i, line in enumerate(text.split("\n")):
        if not line.strip():
            if record:
                out.append(Raw(start, record, REFER_FIELDS))
                record, last = {}, None
            continue
        m = REFER_TAG.match(line)
        if m:
            if not record:
                start = i + 1
            last = m.group(1)
            record.setdefault(last, []).append((m.group(2) or "").strip())
        elif last is not None:
            record[last][-1] = f"{record[last][-1]}\n{line.strip()}".strip()
        else:
            raise ReviewflowError(
                f"expected a Refer/EndNote field ('%X value'), found {line[:40]!r}",
                path=path,
                line=i + 1,
                record=str(len(out) + 1),
            )
    if record:
        out.append(Raw(start, record, REFER_FIELDS))
    return out
