"""``reviewflow export``: the deduplicated library as RIS and BibTeX for reference managers.

RIS is written with rispy and BibTeX with bibtexparser v2, one entry per study, in study-id
order; the study id is the RIS ``ID`` and the BibTeX key, so a Zotero/EndNote library can be
matched back to the review's tables. Both files read back through our own readers to the
same fields (tests/test_export.py checks that property). Values are escaped for each format
(``bibliography.tex`` for BibTeX; one line per RIS value), so no field can add a tag or key.
"""

from __future__ import annotations

import logging

import bibtexparser
import pandas as pd
import rispy
from bibtexparser import model

from reviewflow import files
from reviewflow.bibliography import tex, verbatim
from reviewflow.records import SEPARATOR

log = logging.getLogger(__name__)

STUDY_COLUMNS = ["study_id", "type", "title", "authors", "year", "journal", "volume", "issue",
                 "pages", "doi", "abstract"]  # fmt: skip

RIS_TYPES = {
    "article": "JOUR", "book": "BOOK", "chapter": "CHAP", "conference": "CONF",
    "thesis": "THES", "report": "RPRT", "dataset": "DATA", "web": "ELEC", "other": "GEN",
}  # fmt: skip
BIBTEX_TYPES = {
    "article": "article", "book": "book", "chapter": "incollection",
    "conference": "inproceedings", "thesis": "phdthesis", "report": "techreport",
    "dataset": "dataset", "web": "online", "other": "misc",
}  # fmt: skip
# Where the container title goes in BibTeX for each entry type.
_BIB_CONTAINER = {"incollection": "booktitle", "inproceedings": "booktitle"}


def _one_line(value: str) -> str:
    """Collapse runs of whitespace: a line break in a RIS value would start a new tag."""
    return " ".join(str(value).split())


def _split_pages(pages: str) -> tuple[str, str]:
    start, _, end = _one_line(pages).partition("-")
    return start.strip(), end.strip()


def ris_entry(study: dict) -> dict:
    """One study as a rispy reference dict (rispy's own key names)."""
    start, end = _split_pages(study.get("pages", ""))
    entry = {
        "type_of_reference": RIS_TYPES.get(study.get("type", ""), "GEN"),
        "id": _one_line(study["study_id"]),
        "title": _one_line(study.get("title", "")),
        "authors": [a for a in (_one_line(x) for x in study.get("authors", "").split(";")) if a],
        "year": _one_line(study.get("year", "")),
        "secondary_title": _one_line(study.get("journal", "")),
        "volume": _one_line(study.get("volume", "")),
        "number": _one_line(study.get("issue", "")),
        "start_page": start,
        "end_page": end if end != start else "",
        "doi": _one_line(study.get("doi", "")),
        "abstract": _one_line(study.get("abstract", "")),
    }
    return {k: v for k, v in entry.items() if v}


def bibtex_entry(study: dict) -> model.Entry:
    etype = BIBTEX_TYPES.get(study.get("type", ""), "misc")
    authors = [a.strip() for a in study.get("authors", "").split(SEPARATOR.strip()) if a.strip()]
    values = {
        "title": study.get("title", ""),
        "author": " and ".join(authors),
        "year": study.get("year", ""),
        _BIB_CONTAINER.get(etype, "journal"): study.get("journal", ""),
        "volume": study.get("volume", ""),
        "number": study.get("issue", ""),
        "pages": study.get("pages", "").replace("-", "--"),
        "doi": study.get("doi", ""),
        "abstract": study.get("abstract", ""),
    }
    # bibtexparser's writer adds the enclosing braces.
    fields = [
        model.Field(k, verbatim(v) if k == "doi" else tex(v))
        for k, v in values.items()
        if v.strip()
    ]
    return model.Entry(etype, study["study_id"], fields)


def _studies(df: pd.DataFrame, path) -> list[dict]:
    files.require_columns(df, STUDY_COLUMNS, path)
    return df.sort_values("study_id", kind="stable").to_dict("records")


class _RisWriter(rispy.RisWriter):
    """rispy's writer without its "1." numbering line before each record (an Ovid-ism)."""

    def set_header(self, count: int) -> str:
        return ""


def to_ris(studies: list[dict]) -> str:
    return (
        rispy.dumps([ris_entry(s) for s in studies], implementation=_RisWriter) if studies else ""
    )


def to_bibtex(studies: list[dict]) -> str:
    library = bibtexparser.Library([bibtex_entry(s) for s in studies])
    return bibtexparser.write_string(library) if studies else ""


def run(args) -> None:
    df = files.read_csv(args.studies)
    studies = _studies(df, args.studies)
    log.info("exporting %d studies", len(studies))
    files.write_text(to_ris(studies), args.ris)
    files.write_text(to_bibtex(studies), args.bib)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "export", help="write the deduplicated library as RIS and BibTeX", description=__doc__
    )
    p.add_argument("--studies", required=True, help="data/processed/dedup/studies.csv")
    p.add_argument("--ris", required=True, help="library.ris to write")
    p.add_argument("--bib", required=True, help="library.bib to write")
    p.set_defaults(func=run)
