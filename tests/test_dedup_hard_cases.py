"""Generated labelled hard cases (issue 11): one test per garbling pattern.

Each pattern in ``benchmarks/generate_records.HARD_CASES`` turns one record into a pair
labelled "one work" or "two works". The patterns are applied to hand-made works and, when
../shared is present, to every usable record of the real exports in ../shared/exports.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_dedup_benchmark import generator  # benchmarks/generate_records.py

from reviewflow.dedup import check_records, deduplicate
from reviewflow.dedup.normalise import simplify
from reviewflow.errors import ReviewflowError
from reviewflow.readers import read_export

FIELDS = ["type", "title", "authors", "year", "journal", "volume", "issue", "pages", "doi"]
HARD_CASES = generator.HARD_CASES

WORKS = [
    {"type": "JOUR", "title": "Personal budgets and inequality in adult social care: a "
     "mixed-methods study of three English councils", "authors": "Carey, Gemma Louise; "
     "Crammond, Brad; Malbon, Eleanor", "year": "2019", "journal": "Health and Social Care in "
     "the Community", "volume": "27", "issue": "4", "pages": "123-129",
     "doi": "10.1111/hsc.12345"},
    {"type": "JOUR", "title": "Myocardial perfusion imaging in chronic kidney disease: "
     "prognostic value in patients awaiting transplantation", "authors": "Akita, Keitaro; "
     "Isoda, Kikuo; Isobe, Satoshi", "year": "2012", "journal": "Journal of Cardiology",
     "volume": "61", "issue": "1", "pages": "45-52", "doi": ""},
    {"type": "JOUR", "title": "Interfacial forces between colloidal particles in aqueous "
     "media: measurements with an atomic force microscope", "authors": "Chan, Dick Y. W.; "
     "Kessel, Marieke Elisabeth; Wong, Ho Yin", "year": "2004",
     "journal": "Langmuir", "volume": "20", "issue": "12", "pages": "4890-4898", "doi": ""},
    {"type": "JOUR", "title": "Strategic alignment of information systems in public "
     "agencies: a longitudinal case study", "authors": "Jones, Ann Marie; Okafor, Chidi",
     "year": "2010", "journal": "MIS Quarterly", "volume": "34", "issue": "2",
     "pages": "301-322", "doi": ""},
]  # fmt: skip


def check_pattern(pattern: str, works: list[dict]) -> int:
    """Apply ``pattern`` to each work, deduplicate all pairs in one run and check each label
    (one study or two); return how many pairs the pattern applied to."""
    cases = [case for case in map(HARD_CASES[pattern], works) if case is not None]
    rows = [
        {"record_id": f"{k}{side}", **record}
        for k, (a, b, _) in enumerate(cases)
        for side, record in (("a", a), ("b", b))
    ]
    if not rows:
        return 0
    links = deduplicate(check_records(pd.DataFrame(rows).fillna(""))).links
    study = links.set_index("record_id")["study_id"]
    for k, (a, b, same) in enumerate(cases):
        verb = "should" if same else "must not"
        assert (study[f"{k}a"] == study[f"{k}b"]) is same, (pattern, verb, "merge", a, b)
    return len(cases)


def _exports_works(shared_dir: Path) -> list[dict]:
    """Records of the real exports, in records.csv fields, that carry a title of a work.

    One record per title start: the sample files repeat dummy records, and two pairs made
    from copies of one work would meet in the batch. Titles in other scripts are left out (they
    normalise to nothing and are never merged automatically).
    """
    works, titles = [], set()
    for path in sorted((shared_dir / "exports").rglob("*")):
        if not path.is_file() or "expected" in path.parts or path.suffix in (".md", ".csv"):
            continue
        try:
            records = read_export(path).records
        except (ReviewflowError, ValueError):
            continue  # formats the readers refuse are tested in test_readers_shared
        for record in records:
            row = {field: str(record.get(field) or "") for field in FIELDS}
            title = simplify(row["title"])
            start = " ".join(title.split()[:5])  # near-copies share it (a blocking key)
            if len(title) >= 30 and start not in titles:
                titles.add(start)
                works.append(row)
    return works


@pytest.mark.parametrize("pattern", sorted(HARD_CASES))
def test_pattern_on_hand_made_works(pattern: str) -> None:
    assert check_pattern(pattern, WORKS) >= 1


@pytest.mark.shared
@pytest.mark.parametrize("pattern", sorted(HARD_CASES))
def test_pattern_on_real_exports(pattern: str, shared_dir: Path) -> None:
    works = _exports_works(shared_dir)
    assert len(works) >= 20
    check_pattern(pattern, works)
