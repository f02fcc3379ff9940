"""From a record's verbatim fields to the canonical columns, driven by mapping TABLES.

Every reader yields ``(line, original)`` where ``original`` maps the file's own tag or column
to a list of its values in file order. A ``FieldMap`` says, per canonical field, which tags to
look in (first non-empty wins), so vendor dialects are data, not branches.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from reviewflow.records import (
    extract_year,
    family_given,
    join,
    normalise_doi,
)


@dataclass(frozen=True)
class FieldMap:
    """Where each canonical field comes from in one format (tags or column names)."""

    type: tuple[str, ...] = ()
    title: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    year: tuple[str, ...] = ()
    journal: tuple[str, ...] = ()
    volume: tuple[str, ...] = ()
    issue: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    start_page: tuple[str, ...] = ()
    end_page: tuple[str, ...] = ()
    doi: tuple[str, ...] = ()
    issn: tuple[str, ...] = ()
    isbn: tuple[str, ...] = ()
    abstract: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    url: tuple[str, ...] = ()
    language: tuple[str, ...] = ()
    # How one value of an author / keyword tag splits into several (None: one per value).
    author_split: str | Callable[[str], list[str]] | None = None
    keyword_split: str | None = None
    default_type: str = ""
    extra: dict = field(default_factory=dict)

    def tags(self) -> set[str]:
        """Every tag or column name this map reads, so the others can be reported."""
        return {t for v in vars(self).values() if isinstance(v, tuple) for t in v}


class Raw(NamedTuple):
    """One record as a reader found it: where it starts, its verbatim fields, how to map them.

    ``lookup`` is what the FieldMap is applied to when it differs from ``original`` (BibTeX
    with LaTeX decoded, spreadsheets with lower-cased headers); None means ``original``.
    """

    line: int
    original: dict[str, list[str]]
    fields: FieldMap
    lookup: dict[str, list[str]] | None = None


# Vendor type words (lower case) to our vocabulary; RIS codes, WoS PT/DT, BibTeX entry
# types, EndNote reference types, Scopus/PubMed document types all go through this one table.
TYPE_WORDS = {
    **dict.fromkeys(
        [
            "jour",
            "jfull",
            "ejour",
            "mgzn",
            "news",
            "j",
            "article",
            "journal article",
            "review",
            "editorial",
            "letter",
            "note",
            "erratum",
            "magazine",
            "magazine article",
            "newspaper article",
            "article in press",
            "short survey",
            "journals",
            "journal",
            "journal articles",
            "magazines",
            "early access",
            "abstract",
            "abst",
            "inpress",
            "journalarticle",  # Zotero's item types are camelCase
            "magazinearticle",
            "newspaperarticle",
        ],
        "article",
    ),
    **dict.fromkeys(
        [
            "conf",
            "cpaper",
            "c",
            "inproceedings",
            "conference",
            "conference paper",
            "proceedings paper",
            "conference proceedings",
            "conference review",
            "proceedings",
            "conferences",
            "conference article",
            "meeting",
            "meeting abstract",
            "conferencepaper",
        ],
        "conference",
    ),
    **dict.fromkeys(
        [
            "chap",
            "echap",
            "book section",
            "book chapter",
            "incollection",
            "inbook",
            "chapter",
            "edited book",
            "booksection",
        ],
        "chapter",
    ),
    **dict.fromkeys(["book", "ebook", "b", "s", "book series", "books", "edbook"], "book"),
    **dict.fromkeys(
        [
            "thes",
            "thesis",
            "phdthesis",
            "mastersthesis",
            "dissertation",
            "dissertation/thesis",
            "thesis/dissertation",
        ],
        "thesis",
    ),
    **dict.fromkeys(["rprt", "report", "techreport", "government document", "gov"], "report"),
    **dict.fromkeys(["data", "dataset", "dbase"], "dataset"),
    **dict.fromkeys(
        ["elec", "web page", "online", "webpage", "blog", "blogpost", "online multimedia"], "web"
    ),
}


def _values(original: dict, tags: tuple[str, ...]) -> list[str]:
    """All non-blank values of the first tag that has any."""
    for tag in tags:
        vals = original.get(tag)
        if vals:
            if len(vals) == 1:  # the common case, kept cheap for 100k-record files
                v = vals[0].strip()
                if v:
                    return [v]
                continue
            vals = [v.strip() for v in vals if v and v.strip()]
            if vals:
                return vals
    return []


def _first(original: dict, tags: tuple[str, ...]) -> str:
    return " ".join(" ".join(_values(original, tags)).split())


def _map_type(original: dict, fm: FieldMap) -> str:
    for raw in _values(original, fm.type):
        mapped = TYPE_WORDS.get(raw.strip().lower())
        if mapped:
            return mapped
    if _values(original, fm.type):
        return "other"
    if fm.default_type:
        return fm.default_type
    return "article" if _values(original, fm.journal) else "other"


def _split(values: list[str], pattern) -> list[str]:
    if not pattern:
        return values
    out: list[str] = []
    for v in values:
        out.extend(pattern(v) if callable(pattern) else re.split(pattern, v))
    return out


_DASH = re.compile(r"\s*(?:--|–|—|-)\s*")


def _pages(original: dict, fm: FieldMap) -> str:
    pages = _first(original, fm.pages)
    if not pages:
        start, end = _first(original, fm.start_page), _first(original, fm.end_page)
        pages = f"{start}-{end}" if start and end and start != end else start or end
    return _DASH.sub("-", pages) if pages else ""


def _doi(original: dict, fm: FieldMap) -> str:
    for tag in fm.doi:
        for v in original.get(tag) or ():
            doi = normalise_doi(v)
            if doi:
                return doi
    return ""


def _issn_isbn(original: dict, fm: FieldMap) -> tuple[str, str]:
    """ISSN and ISBN; RIS ``SN`` holds either, so the value's shape decides."""
    issn, isbn = [], []
    for v in _values(original, fm.issn):
        for part in re.split(r"[;,]\s*|\s+(?=\d)", v):
            part = part.strip()
            if not part:
                continue
            digits = re.sub(r"[^0-9Xx]", "", part.split("(")[0])
            (issn if len(digits) == 8 else isbn).append(part)
    isbn.extend(_values(original, fm.isbn))
    return join(issn), join(isbn)


def build(original: dict[str, list[str]], fm: FieldMap) -> dict[str, str]:
    """The canonical bibliographic fields of one record (all strings, "" when absent)."""
    authors = [family_given(a) for a in _split(_values(original, fm.authors), fm.author_split)]
    keywords = _split(_values(original, fm.keywords), fm.keyword_split)
    issn, isbn = _issn_isbn(original, fm)
    return {
        "type": _map_type(original, fm),
        "title": _first(original, fm.title),
        "authors": join(authors),
        "year": extract_year(_first(original, fm.year)),
        "journal": _first(original, fm.journal),
        "volume": _first(original, fm.volume),
        "issue": _first(original, fm.issue),
        "pages": _pages(original, fm),
        "doi": _doi(original, fm),
        "issn": issn,
        "isbn": isbn,
        "abstract": _first(original, fm.abstract),
        "keywords": join(keywords),
        "url": " ".join((_values(original, fm.url) or [""])[0].split()),
        "language": _first(original, fm.language),
    }


def original_json(original: dict[str, list[str]]) -> str:
    """The verbatim fields as JSON; one-value lists are stored as the bare value."""
    # Keys stay in file order: deterministic, and closer to "verbatim" than sorted.
    return _dumps({k: v[0] if len(v) == 1 else v for k, v in original.items()})


_dumps = json.JSONEncoder(ensure_ascii=False).encode
