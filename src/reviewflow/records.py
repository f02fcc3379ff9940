"""The canonical record: one row of ``records.csv`` (docs/architecture.md).

Readers map each database's fields onto these columns; everything the file said is also kept
verbatim in ``original`` (a JSON object) so that no information is lost at import.
"""

from __future__ import annotations

import re

import pandera.pandas as pa

from reviewflow.ids import normalise_doi  # noqa: F401  (the readers take it from here)

# Order is the column order of records.csv.
COLUMNS = [
    "record_id",
    "search_id",
    "source",
    "kind",
    "source_file",
    "position",
    "line",
    "format",
    "type",
    "title",
    "authors",
    "year",
    "journal",
    "volume",
    "issue",
    "pages",
    "doi",
    "issn",
    "isbn",
    "abstract",
    "keywords",
    "url",
    "language",
    "original",
]

# The bibliographic fields a reader fills (the rest come from the search log and position).
FIELDS = COLUMNS[COLUMNS.index("type") : COLUMNS.index("original")]

# Our small type vocabulary: what dedup and PRISMA need, not every vendor's distinction.

TYPES = ["article", "book", "chapter", "conference", "thesis", "report", "dataset", "web", "other"]

SEPARATOR = "; "  # joins authors and keywords in one cell

_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")


def extract_year(value: str | None) -> str:
    """First plausible four-digit year in a date field ("2016/09//", "DEC 16 2020"), or ""."""
    if not value:
        return ""
    match = _YEAR.search(str(value))
    return match.group(1) if match else ""


_INITIALS = re.compile(r"^(?:[A-Z]\.?-?){1,4}$")
_EMAIL = re.compile(r"\s*\([^()]*@[^()]*\)")  # WoS: "Fish, Alexander C. (a@b.edu)"


def family_given(name: str) -> str:
    """One author as "Family, Given" whatever order the export used.

    "Smith, John" stays; "Smith JA" / "Gutzwiller K.J." (family then initials, PubMed and
    Scopus style) and "John Smith" / "W Guo" (given first, IEEE and Scholar style) are turned
    round. Particles such as "van der" are not guessed at.
    """
    if "@" in name:
        name = _EMAIL.sub("", name)
    name = " ".join(name.split()).strip(" ;")
    if not name or "," in name:
        return name
    parts = name.split(" ")
    if len(parts) == 1:
        return name
    if _INITIALS.match(parts[-1]) and not _INITIALS.match(parts[0]):
        return f"{' '.join(parts[:-1])}, {parts[-1]}"
    return f"{parts[-1]}, {' '.join(parts[:-1])}"


def join(values) -> str:
    """Join non-empty values with the table's separator, keeping order, dropping repeats."""
    seen: dict[str, None] = {}
    for v in values:
        v = " ".join(str(v).split())
        if v:
            seen.setdefault(v, None)
    return SEPARATOR.join(seen)


_str = pa.Column(str, nullable=False)

RECORDS_SCHEMA = pa.DataFrameSchema(
    {
        **{c: _str for c in COLUMNS},
        "record_id": pa.Column(str, pa.Check.str_matches(r"^[a-z0-9_]+:[1-9]\d*$"), unique=True),
        "position": pa.Column(str, pa.Check.str_matches(r"^[1-9]\d*$")),
        "line": pa.Column(str, pa.Check.str_matches(r"^[1-9]\d*$")),
        "kind": pa.Column(str, pa.Check.isin(["database", "register", "other"])),
        "type": pa.Column(str, pa.Check.isin(TYPES)),
        "year": pa.Column(str, pa.Check.str_matches(r"^(\d{4})?$")),
        "doi": pa.Column(str, pa.Check.str_matches(r"^(10\.\S+)?$")),
        "original": pa.Column(str, pa.Check.str_startswith("{")),
    },
    strict=True,
    ordered=True,
)
