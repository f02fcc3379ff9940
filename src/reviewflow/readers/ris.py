"""RIS (every vendor dialect) and Web of Science plain text.

Both need what a review cannot do without: the line each record starts on, and a record
that never ends refused instead of silently merged into the next one. Web of Science is
parsed with rispy's WokParser inside a structural pass; RIS, the bulk of most reviews, with
whole-text regexes following rispy's tag pattern (see ``read_ris`` for why).

Dialects handled: Scopus, Ovid (``1.`` numbering lines and link text between records),
EBSCO, ProQuest, PsycINFO/JSTOR (``Provider:`` preamble blocks), IEEE, Zotero, EndNote
(``Journal Article`` as TY, ``PMID  -`` style longer tags), Web of Science RIS.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import rispy

from reviewflow.errors import ReviewflowError
from reviewflow.readers.canon import FieldMap, Raw

RIS_FIELDS = FieldMap(
    type=("TY", "M3"),
    title=("TI", "T1", "CT", "ST", "BT"),
    authors=("AU", "A1"),
    year=("PY", "Y1", "DA", "Y2"),
    journal=("JF", "T2", "JO", "JA", "J2", "J1", "BT", "T3"),
    volume=("VL", "VO"),
    issue=("IS", "CP", "M1"),
    start_page=("SP",),
    end_page=("EP",),
    doi=("DO", "DI", "M3", "UR", "L3"),  # not N1: notes cite other papers' DOIs
    issn=("SN",),
    isbn=("BN",),
    abstract=("AB", "N2"),
    keywords=("KW",),
    keyword_split=r"\s*\n\s*",
    url=("UR", "L1", "L2", "LK"),
    language=("LA",),
)

WOS_FIELDS = FieldMap(
    type=("PT", "DT"),
    title=("TI",),
    authors=("AF", "AU"),
    year=("PY", "PD", "EA"),
    journal=("SO", "SE", "BS"),
    volume=("VL",),
    issue=("IS",),
    pages=("PS",),
    start_page=("BP", "AR"),
    end_page=("EP",),
    doi=("DI", "D2"),
    issn=("SN", "EI"),
    isbn=("BN",),
    abstract=("AB",),
    keywords=("DE", "ID"),
    keyword_split=r";\s*",
    author_split=None,
    url=("UR",),
    language=("LA",),
)


class _Everything(dict):
    """A mapping every tag maps to itself in, and a list-tag set containing every tag.

    So rispy keeps each tag under its own name as a list of values in file order (nothing
    overwritten by a repeated tag, nothing renamed): exactly the verbatim ``original``.
    """

    def __missing__(self, key):
        return key

    def __contains__(self, key):
        return True


_ALL = _Everything()


class _WosLines(rispy.WokParser):
    """rispy's Web of Science parser keeping every tag verbatim."""

    def parse_line(self, line):
        if line[:1] == " " or line[:1] == "\t":
            return None, line.strip()
        return line[0:2], line[3:].strip()


_WOS_PARSER = _WosLines(mapping=_ALL, list_tags=_ALL, delimiter_tags_mapping={}, ignore=[])


def _split_records(
    lines: list[str],
    path: str,
    *,
    is_start: Callable[[str], bool],
    is_end: Callable[[str], bool],
    is_stray_tag: Callable[[str], bool],
    start_name: str,
    end_name: str,
    skip: Callable[[str], bool] = lambda line: False,
    warnings: list[str],
) -> list[tuple[int, int, int]]:
    """(start line number, start index, end index exclusive) of each record.

    Text between records is allowed (numbering, preambles, links) and reported as a warning;
    a tag line outside any record, a start inside an open record or a file ending inside a
    record is an error naming the line, because a record would otherwise be lost or merged.
    """
    spans = []
    open_at = None
    stray = []
    for i, line in enumerate(lines):
        if open_at is None:
            if is_start(line):
                open_at = i
            elif not line.strip() or skip(line):
                continue
            elif is_stray_tag(line):
                raise ReviewflowError(
                    f"field {line[:40]!r} outside any record: expected {start_name!r} "
                    "to start a record first",
                    path=path,
                    line=i + 1,
                )
            else:
                stray.append(i + 1)
        elif is_end(line):
            spans.append((open_at + 1, open_at, i + 1))
            open_at = None
        elif is_start(line):
            raise ReviewflowError(
                f"a new record starts here but the record starting on line {open_at + 1} "
                f"was never closed: expected {end_name!r} before this line",
                path=path,
                line=i + 1,
                record=str(len(spans) + 1),
            )
    if open_at is not None:
        raise ReviewflowError(
            f"file ends inside the record starting on line {open_at + 1} "
            f"(truncated?): expected {end_name!r}",
            path=path,
            line=max(i + 1 for i, ln in enumerate(lines) if ln.strip()),
            record=str(len(spans) + 1),
        )
    if stray:
        shown = ", ".join(map(str, stray[:5])) + (" ..." if len(stray) > 5 else "")
        warnings.append(f"{len(stray)} line(s) of text between records ignored (lines {shown})")
    return spans


# Whole-text regexes (C speed): record boundaries, and every field with its continuation
# lines (lines that do not start with a tag). A longer tag needs a value, so a continuation
# line like "ERIC - the database" is not mistaken for ER (synthesisr's bug).
_TAG = r"(?:([A-Z][A-Z0-9]) {1,2}-(?: ([^\n]*))?|([A-Z][A-Z0-9]{2,3}) {1,2}- ([^\n]*))"
_NOT_TAG = r"(?![A-Z][A-Z0-9] {1,2}-(?: |\n)|[A-Z][A-Z0-9]{2,3} {1,2}- )"
_BOUNDARY = re.compile(r"^(?:(TY)|(ER)) {1,2}-(?: [^\n]*)?$", re.M)
_FIELD = re.compile(rf"^{_TAG}$", re.M)
# The same tag pattern with three groups, for the hot loop: tag, value, continuation lines.
_FIELD_CONT = re.compile(
    rf"^([A-Z][A-Z0-9](?:[A-Z0-9]{{1,2}}(?= {{1,2}}- ))?) {{1,2}}-(?: ([^\n]*))?\n"
    rf"((?:{_NOT_TAG}[^\n]*\n)*)",
    re.M,
)


def _gap_check(text: str, start: int, end: int, line: int, path: str, stray: list[int]):
    """Text between records: a field there is an error (its record has no TY), prose is not."""
    gap = text[start:end]
    if not gap.strip():
        return
    m = _FIELD.search(gap)
    if m:
        raise ReviewflowError(
            f"field {m.group(0)[:40]!r} outside any record: expected 'TY  - ' to start a "
            "record first",
            path=path,
            line=line + gap.count("\n", 0, m.start()),
        )
    for i, ln in enumerate(gap.split("\n")):
        if ln.strip():
            stray.append(line + i)


def _records(text: str) -> list[dict[str, list[str]]]:
    """Tag -> values in file order per record; continuation lines join the value with \\n.

    Call only on text whose structure ``read_ris`` has checked (TY ... ER, nothing between).
    """
    records = []
    rec: dict[str, list[str]] = {}
    # The hot loop of a 100k-record import: values keep their trailing spaces (verbatim);
    # the canonical mapping strips them.
    for tag, value, cont in _FIELD_CONT.findall(text):
        if cont and tag != "ER":
            more = [ln.strip() for ln in cont.split("\n") if ln.strip()]
            if more:
                value = "\n".join([value.strip(), *more]) if value.strip() else "\n".join(more)
        if tag == "TY":
            rec = {"TY": [value]}
            records.append(rec)
        elif tag == "ER":
            rec = {}
        else:
            vals = rec.get(tag)
            if vals is None:
                rec[tag] = [value]
            else:
                vals.append(value)
    return records


def read_ris(text: str, path: str, warnings: list[str]):
    """RIS records between ``TY  -`` and ``ER  -`` lines, each with the line it starts on.

    Tokenised with whole-text regexes rather than rispy's line loop: rispy silently merges a
    record that lacks ER into the next one, drops repeated non-list tags and keeps no line
    numbers, and its per-line Python is 3x too slow for 100,000 records in 10 s. The tag
    patterns follow rispy's (two-letter tag, two spaces, dash), loosened for vendor variants.
    """
    starts: list[int] = []
    stray: list[int] = []
    open_m = None
    pos, line = 0, 1  # scanned up to text offset ``pos``, which is on line ``line``
    gap_start, gap_line = 0, 1  # where the text after the last record starts
    for m in _BOUNDARY.finditer(text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        if m.group(1):  # TY
            if open_m is not None:
                raise ReviewflowError(
                    f"a new record starts here but the record starting on line {open_m[1]} "
                    "was never closed: expected 'ER  - ' before this line",
                    path=path,
                    line=line,
                    record=str(len(starts) + 1),
                )
            _gap_check(text, gap_start, m.start(), gap_line, path, stray)
            open_m = (m, line)
        else:  # ER
            if open_m is None:
                raise ReviewflowError(
                    "'ER  - ' (end of record) without a record: expected 'TY  - ' before it",
                    path=path,
                    line=line,
                )
            starts.append(open_m[1])
            open_m = None
            gap_start = m.end() + 1
            gap_line = line + 1
    if open_m is not None:
        last = len(text.rstrip().split("\n"))
        raise ReviewflowError(
            f"file ends inside the record starting on line {open_m[1]} (truncated?): "
            "expected 'ER  - '",
            path=path,
            line=last,
            record=str(len(starts) + 1),
        )
    _gap_check(text, gap_start, len(text), gap_line, path, stray)
    if stray:
        shown = ", ".join(map(str, stray[:5])) + (" ..." if len(stray) > 5 else "")
        warnings.append(f"{len(stray)} line(s) of text between records ignored (lines {shown})")
    records = _records(text if text.endswith("\n") else text + "\n")
    if len(records) != len(starts):  # both passes use the same tag pattern
        raise AssertionError(f"RIS passes disagree: {len(records)} != {len(starts)}")
    return [Raw(line, rec, RIS_FIELDS) for line, rec in zip(starts, records, strict=True)]


_WOS_TAG = re.compile(r"[A-Z][A-Z0-9](?: |$)")
_WOS_LINE = re.compile(r"[A-Z][A-Z0-9](?: |$)|[ \t]|$")  # a tag, a continuation or blank


def read_wos(text: str, path: str, warnings: list[str]):
    """Web of Science plain text: FN/VR header, PT ... ER records, EF end of file."""
    lines = text.split("\n")
    spans = _split_records(
        lines,
        path,
        is_start=lambda ln: ln[:3] == "PT " or ln.rstrip() == "PT",
        is_end=lambda ln: ln.rstrip() == "ER",
        is_stray_tag=lambda ln: bool(_WOS_TAG.match(ln)),
        skip=lambda ln: ln[:3] in ("FN ", "VR ") or ln.rstrip() == "EF",
        start_name="PT ",
        end_name="ER",
        warnings=warnings,
    )
    out = []
    parse = _WOS_PARSER.parse_lines
    for line_no, start, end in spans:
        for i in range(start + 1, end - 1):
            if not _WOS_LINE.match(lines[i]):
                # e.g. "PT-J": rispy would file it under a tag and lose the record's shape.
                raise ReviewflowError(
                    f"not a Web of Science field line: {lines[i][:40]!r}; expected a "
                    "two-letter tag and a space, or an indented continuation line",
                    path=path,
                    line=i + 1,
                    record=str(len(out) + 1),
                )
        (rec,) = parse(iter(lines[start:end]))
        rec["PT"] = [rec["PT"]]
        out.append(Raw(line_no, rec, WOS_FIELDS))
    return out
