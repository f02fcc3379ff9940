"""Identifiers: the one DOI normaliser and the one record -> study resolver.

Every stage that meets an id written by a person or a tool (screening decisions, tool exports,
extraction rows, manuscript citations) resolves it here, so that "which study is this?" has a
single answer. A study may be named by:

- any of its **record ids** (``scopus:12``) or its **study id** (the first record id);
- ``doi:<doi>``, or a bare DOI in a DOI field, in any spelling :func:`normalise_doi` accepts;
- as a last resort (tool exports only), its title, with the year to break ties.

A key that names no study, or several, resolves to ``None``; the caller raises the error,
because only it knows the file and line.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import unquote

import pandas as pd

DOI_ID_PREFIX = "doi:"
# A DOI is "10.<registrant>/<suffix>"; anything before it (https://doi.org/, doi:, DOI ) is
# a wrapper, and trailing sentence punctuation is not part of it.
_DOI = re.compile(r"10\.\d{4,9}/\S+")
_DOI_TRAILING = ".,;:)]}>\"'"


def normalise_doi(text: str | None) -> str:
    """The DOI in ``text``, lower case and bare (``10.1186/s12939-019-1069-4``), or "".

    Accepts ``https://doi.org/...``, ``http://dx.doi.org/...``, ``doi:...``, ``DOI ...``,
    URL-encoded slashes (``%2F``) and a trailing ".", "," or ";" from a citation.
    DOIs are case-insensitive (DOI Handbook 2.4), so lower case is the canonical form.
    """
    if not text:
        return ""
    match = _DOI.search(unquote(str(text)).strip())
    return match.group(0).rstrip(_DOI_TRAILING).lower() if match else ""


def doi_url(doi: str | None) -> str:
    """The resolvable link of a DOI (``https://doi.org/...``), or "" without one."""
    doi = normalise_doi(doi)
    return f"https://doi.org/{doi}" if doi else ""


def normalise_title(title: str | None) -> str:
    """Lower-case ASCII letters and digits only: punctuation, case and accents do not count."""
    text = unicodedata.normalize("NFKD", title or "").encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _only(found: set[str] | None) -> str | None:
    return next(iter(found)) if found and len(found) == 1 else None


class StudyResolver:
    """Resolve what a row carries (ids, DOI, title) to one study id.

    ``links`` is ``dedup/links.csv`` (``record_id, study_id``); ``studies`` is
    ``dedup/studies.csv`` and is needed only for DOI and title matching.
    """

    def __init__(self, links: pd.DataFrame, studies: pd.DataFrame | None = None) -> None:
        self.to_study = dict(zip(links["record_id"], links["study_id"], strict=True))
        self.to_study.update({s: s for s in links["study_id"]})
        self.by_doi: dict[str, set[str]] = {}
        self.by_title: dict[str, set[str]] = {}
        self.by_title_year: dict[tuple[str, str], set[str]] = {}
        for row in (studies if studies is not None else pd.DataFrame()).to_dict("records"):
            doi = normalise_doi(row.get("doi", ""))
            if doi:
                self.by_doi.setdefault(doi, set()).add(row["study_id"])
            title = normalise_title(row.get("title", ""))
            if title:
                self.by_title.setdefault(title, set()).add(row["study_id"])
                key = (title, str(row.get("year", "")).strip()[:4])
                self.by_title_year.setdefault(key, set()).add(row["study_id"])

    def study_of(self, key: str | None) -> str | None:
        """The study named by a record id, a study id or ``doi:<doi>``; else None."""
        key = (key or "").strip()
        if key in self.to_study:
            return self.to_study[key]
        if key.lower().startswith(DOI_ID_PREFIX):
            return self.by_doi_of(key[len(DOI_ID_PREFIX) :])
        return None

    def by_doi_of(self, doi: str | None) -> str | None:
        return _only(self.by_doi.get(normalise_doi(doi)))

    def by_title_of(self, title: str | None, year: str | None = "") -> str | None:
        title = normalise_title(title)
        hits = self.by_title.get(title)
        if hits and len(hits) > 1:
            hits = self.by_title_year.get((title, str(year or "").strip()[:4]))
        return _only(hits)

    def resolve(
        self, *, ids: Iterable[str] = (), doi: str = "", title: str = "", year: str = ""
    ) -> str | None:
        """The first that names exactly one study: an id, the DOI, the title (+ year)."""
        for key in ids:
            found = self.study_of(key)
            if found:
                return found
        return self.by_doi_of(doi) or (self.by_title_of(title, year) if title else None)
