"""Formats without a tag language: Publish-or-Perish / Google Scholar JSON, EndNote XML,
and a plain reference list (one free-text citation per line, e.g. a paper's bibliography).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from reviewflow.errors import ReviewflowError
from reviewflow.readers.canon import FieldMap, Raw

# ---------------------------------------------------------------- Google Scholar JSON
SCHOLAR_FIELDS = FieldMap(
    type=("type",),
    title=("title",),
    authors=("authors",),
    year=("year",),
    journal=("source", "journal"),
    volume=("volume",),
    issue=("issue",),
    start_page=("startpage",),
    end_page=("endpage",),
    doi=("doi", "article_url"),
    issn=("issn",),
    abstract=("abstract",),
    keywords=("keywords",),
    url=("article_url", "url", "fulltext_url"),
    language=("language",),
)


def _object_lines(text: str) -> list[int]:
    """Line of each top-level array element's opening brace (JSON keeps no positions)."""
    lines, depth, in_str, esc, line = [], 0, False, False, 1
    for ch in text:
        if ch == "\n":
            line += 1
        elif in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            if depth == 1 and ch == "{":
                lines.append(line)
            depth += 1
        elif ch in "]}":
            depth -= 1
    return lines


def _scalar(v) -> list[str]:
    if isinstance(v, list):
        return [str(x) for x in v if x is not None]
    if v is None:
        return []
    return [str(v)]


def read_scholar_json(text: str, path: str, warnings: list[str]):
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReviewflowError(f"invalid JSON: {exc.msg}", path=path, line=exc.lineno) from None
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise ReviewflowError(
            "expected a JSON array of record objects (Publish or Perish / Google Scholar)",
            path=path,
        )
    lines = _object_lines(text)
    if len(lines) != len(data):
        lines = [1] * len(data)
    out = []
    for line, obj in zip(lines, data, strict=True):
        original = {k: _scalar(v) for k, v in obj.items()}
        # Publish or Perish writes 0 for "unknown" volume/issue/pages.
        lookup = {k: v for k, v in original.items() if v not in (["0"], [])}
        out.append(Raw(line, original, SCHOLAR_FIELDS, lookup))
    return out


# ---------------------------------------------------------------- EndNote XML
ENDNOTE_XML_FIELDS = FieldMap(
    type=("ref-type",),
    title=("titles/title",),
    authors=("contributors/authors/author",),
    year=("dates/year", "dates/pub-dates/date"),
    journal=("periodical/full-title", "titles/secondary-title", "journal"),
    volume=("volume",),
    issue=("number", "issue"),
    pages=("pages",),
    doi=("electronic-resource-num", "urls/related-urls/url"),
    issn=("isbn",),
    abstract=("abstract",),
    keywords=("keywords/keyword",),
    url=("urls/related-urls/url", "urls/web-urls/url"),
    language=("language",),
)


def _flatten(elem: ET.Element, prefix: str, out: dict[str, list[str]]) -> None:
    for child in elem:
        key = f"{prefix}{child.tag}"
        if len(child) and not (child.text or "").strip() and child[0].tag != "style":
            _flatten(child, key + "/", out)
        else:
            text = "".join(child.itertext()).strip()
            if child.tag == "ref-type":
                text = child.get("name") or text
            if text:
                out.setdefault(key, []).append(text)


_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")


def read_endnote_xml(text: str, path: str, warnings: list[str]):
    # The text is already decoded: drop the declaration so a wrong or unknown
    # `encoding=` in it cannot make the parser decode a second time.
    body = _XML_DECL.sub("", text, count=1)
    try:
        root = ET.fromstring(body.encode("utf-8"))
    except ET.ParseError as exc:
        raise ReviewflowError(
            f"invalid XML: {exc.msg if hasattr(exc, 'msg') else exc}; expected EndNote XML",
            path=path,
            line=exc.position[0],
        ) from None
    records = root.findall(".//record")
    if root.tag not in ("xml", "records") or not records:
        raise ReviewflowError("expected EndNote XML (<xml><records><record>...)", path=path)
    starts = [text.count("\n", 0, m.start()) + 1 for m in re.finditer(r"<record\b", text)]
    if len(starts) != len(records):
        starts = [1] * len(records)
    out = []
    for line, rec in zip(starts, records, strict=True):
        original: dict[str, list[str]] = {}
        _flatten(rec, "", original)
        out.append(Raw(line, original, ENDNOTE_XML_FIELDS))
    return out


# ---------------------------------------------------------------- reference list
REFLIST_FIELDS = FieldMap(
    title=("title",),
    authors=("authors",),
    author_split=r",\s*and\s+|\s+and\s+|,\s*|\s*&\s*",
    year=("year",),
    journal=("journal",),
    volume=("volume",),
    issue=("issue",),
    pages=("pages",),
    doi=("text",),
)

_MARKER = re.compile(r"^\s*(?:[-*+]\s+|\d+[.)]\s+|\[\d+\]\s*)")
_CITATION = re.compile(
    r"^(?P<authors>.+?)\s*\((?P<year>\d{4})[a-z]?\)[.,]?\s*(?P<title>.+?[.?!])\s+(?P<rest>.*)$"
)
_SOURCE = re.compile(
    r"^(?:In:\s*)?(?P<journal>[^0-9]+?)[,.]?\s+(?P<volume>\d+)(?:\((?P<issue>[^)]+)\))?"
    r"(?::\s*(?P<pages>[\w–-]+))?"
)


def read_reference_list(text: str, path: str, warnings: list[str]):
    """Each non-blank line is one citation; fields are a best-effort parse of the common
    "Authors (Year) Title. Journal Volume(Issue): pages." layout, the line itself is kept."""
    out = []
    for i, line in enumerate(text.split("\n")):
        cite = _MARKER.sub("", line).strip()
        if not cite or cite.startswith("#"):
            continue
        original = {"text": [cite]}
        lookup = dict(original)
        m = _CITATION.match(cite)
        if m:
            authors = re.sub(r",?\s*et al\.?", "", m.group("authors"))
            lookup |= {
                "authors": [authors],
                "year": [m.group("year")],
                "title": [m.group("title").rstrip(".")],
            }
            s = _SOURCE.match(m.group("rest"))
            if s:
                lookup |= {k: [v] for k, v in s.groupdict().items() if v}
        else:
            lookup["title"] = [cite]
            warnings.append(f"line {i + 1}: citation not in 'Authors (Year) Title.' form")
        out.append(Raw(i + 1, original, REFLIST_FIELDS, lookup))
    return out
