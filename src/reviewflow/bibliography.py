"""BibTeX for the manuscript (``included.bib``) and the library export: keys, types, escaping.

Every value is escaped for BibTeX read as LaTeX (pandoc/citeproc, biber, reference managers),
so no field can close its braces and add a key or a link:
- a backslash becomes ``\\textbackslash{}`` (no LaTeX command such as ``\\url`` or ``\\}``
  can come from data), the other specials (``& % $ # _ ~ ^``) are escaped;
- braces that pair up are kept, escaped (``\\{ \\}``); an unpaired one is dropped, because
  BibTeX counts braces even when escaped and a lone ``}`` would end the field;
- URL and DOI fields keep only what a link may hold (no braces, backslashes or spaces; URLs
  only http, https or ftp).
"""

from __future__ import annotations

import json
import re
import unicodedata

import bibtexparser
import pandas as pd
from bibtexparser import model


def family_slug(authors: str) -> str:
    """Lower-case ASCII letters of the first author's family name ('Ottmann, G' -> ottmann)."""
    first = authors.split(";")[0].split(",")[0].strip()
    ascii_ = unicodedata.normalize("NFKD", first).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", ascii_.lower()) or "anon"


def cite_keys(studies: pd.DataFrame) -> pd.Series:
    """Stable keys: first author + year, with a/b/... when two share one (ordered by title)."""
    base = [
        family_slug(a) + (re.sub(r"\D", "", y)[:4] or "nd")
        for a, y in zip(studies["authors"], studies["year"], strict=True)
    ]
    frame = pd.DataFrame(
        {"base": base, "title": studies["title"].str.lower(), "sid": studies["study_id"]},
        index=studies.index,
    )
    keys = pd.Series("", index=studies.index)
    for b, group in frame.groupby("base", sort=True):
        if len(group) == 1:
            keys[group.index[0]] = b
            continue
        for i, idx in enumerate(group.sort_values(["title", "sid"]).index):
            keys[idx] = f"{b}{chr(ord('a') + i)}"
    return keys


BIB_TYPES = [
    (("jour", "article", "jfull", "ejour"), "article"),
    (("rprt", "report", "gov", "techreport"), "techreport"),
    (("chap", "incollection", "chapter"), "incollection"),
    (("book",), "book"),
    (("thes", "thesis"), "phdthesis"),
    (("conf", "cpaper", "inproceedings"), "inproceedings"),
]
_TEX_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$",
    "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}  # fmt: skip
_TEX_SPECIAL = re.compile("|".join(re.escape(k) for k in _TEX_ESCAPES))
_URL_SCHEMES = ("http://", "https://", "ftp://")


def bib_type(kind: str) -> str:
    kind = kind.strip().lower()
    for names, bibtype in BIB_TYPES:
        if any(kind.startswith(n) for n in names):
            return bibtype
    return "misc"


def paired_braces(value: str) -> str:
    """``value`` without the braces that have no partner (a ``}`` before any ``{``, and so on)."""
    opened: list[int] = []
    unpaired = set()
    for i, ch in enumerate(value):
        if ch == "{":
            opened.append(i)
        elif ch == "}":
            if opened:
                opened.pop()
            else:
                unpaired.add(i)
    unpaired.update(opened)
    return "".join(ch for i, ch in enumerate(value) if i not in unpaired)


def tex(value: str) -> str:
    """One line of text as a BibTeX value read as LaTeX: specials escaped, braces paired."""
    text = paired_braces(" ".join(str(value).split()))
    return _TEX_SPECIAL.sub(lambda m: _TEX_ESCAPES[m[0]], text)


def verbatim(value: str) -> str:
    """A DOI or URL: no character that could close the field or start a command."""
    return re.sub(r"[\s{}\\]", "", str(value))


def safe_url(value: str) -> str:
    """A web link or nothing: ``javascript:`` and other schemes never become a live link."""
    url = verbatim(value)
    return url if url.lower().startswith(_URL_SCHEMES) else ""


# Raw tags that name a publisher and its place, by export format (RIS, Web of Science).
PUBLISHER_TAGS = ("PB", "PU", "publisher")
PLACE_TAGS = ("CY", "PI", "PA", "place_published")


def _first_tag(original: dict, tags: tuple[str, ...]) -> str:
    for tag in tags:
        value = original.get(tag)
        if isinstance(value, list):
            value = value[0] if value else ""
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def study_extras(records: pd.DataFrame, record_to_study: dict) -> dict[str, dict[str, str]]:
    """url, publisher and place per study: the first member record (log order) that has one.

    studies.csv keeps no publisher, which reports and books need to be cited properly; the
    records' ``original`` column has the raw tags.
    """
    out: dict[str, dict[str, str]] = {}
    for rec in records.itertuples(index=False):
        study = record_to_study.get(rec.record_id)
        if study is None:
            continue
        try:
            original = json.loads(getattr(rec, "original", "") or "{}")
        except json.JSONDecodeError:
            original = {}  # enrichment only: the record itself is kept and cited as is
        if not isinstance(original, dict):
            original = {}
        found = {
            "url": str(getattr(rec, "url", "") or ""),
            "publisher": _first_tag(original, PUBLISHER_TAGS),
            "address": _first_tag(original, PLACE_TAGS),
        }
        extras = out.setdefault(study, {"url": "", "publisher": "", "address": ""})
        for k, v in found.items():
            if v and not extras[k]:
                extras[k] = v
    return out


def bib_entry(key: str, study: pd.Series, extras: dict[str, str]) -> model.Entry:
    bibtype = bib_type(study.get("type", ""))
    authors = [a.strip() for a in study["authors"].split(";") if a.strip()]
    # Corporate authors (no comma) are braced so they are not split into given/family names.
    names = [tex(a) if "," in a else "{" + tex(a) + "}" for a in authors]
    venue_field = {
        "article": "journal",
        "techreport": "institution",
        "incollection": "booktitle",
        "inproceedings": "booktitle",
        "book": "publisher",
        "phdthesis": "school",
    }.get(bibtype, "howpublished")
    venue = study.get("journal", "")
    publisher = extras.get("publisher", "")
    if venue_field in ("institution", "publisher") and not venue:
        venue, publisher = publisher, ""
    fields = {
        "author": " and ".join(names),
        "title": "{" + tex(study["title"]) + "}" if bibtype == "misc" else tex(study["title"]),
        "year": tex(study["year"]),
        venue_field: tex(venue),
        "publisher": tex(publisher) if bibtype in ("book", "incollection") else "",
        "address": tex(extras.get("address", "")) if bibtype != "article" else "",
        "volume": tex(study.get("volume", "")),
        "number": tex(study.get("issue", "")),
        "pages": tex(study.get("pages", "").replace("-", "--").replace("----", "--")),
        "doi": verbatim(study.get("doi", "")),
        "url": "" if study.get("doi", "") else safe_url(extras.get("url", "")),
    }
    return model.Entry(
        bibtype, key, [model.Field(k, v) for k, v in fields.items() if str(v).strip()]
    )


def included_bib(entries: list[model.Entry]) -> str:
    library = bibtexparser.Library(sorted(entries, key=lambda e: e.key))
    fmt = bibtexparser.BibtexFormat()
    fmt.indent = "  "
    fmt.block_separator = "\n"
    return bibtexparser.write_string(library, bibtex_format=fmt)
