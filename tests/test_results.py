"""The manuscript's numbers (results.yml), bibliography and supplement tables from fixtures."""

from __future__ import annotations

import shutil
from pathlib import Path

import bibtexparser
import pandas as pd
import pytest
import yaml
from conftest import results_args as args_for

from reviewflow import results
from reviewflow.errors import ReviewflowError
from reviewflow.files import read_csv

FIXTURE = Path(__file__).parent / "data" / "manuscript"


@pytest.fixture
def built(tmp_path: Path) -> tuple[dict, Path]:
    out = tmp_path / "out"
    results.run(args_for(FIXTURE, out))
    return yaml.safe_load((out / "results.yml").read_text("utf-8"))["results"], out


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A writable copy of the fixture inputs, for planting bad data."""
    root = tmp_path / "proj"
    shutil.copytree(FIXTURE / "data", root / "data")
    return root


def test_counts_and_search_summary(built):
    r, _ = built
    assert r["counts"] == {
        "identified": 8,
        "duplicates_removed": 2,
        "screened": 6,
        "excluded_title_abstract": 1,
        "sought": 5,
        "not_retrieved": 0,
        "assessed": 5,
        "excluded_full_text": 1,
        "companion_reports": 0,
        "included": 4,
        "reports_included": 4,
    }
    s = r["search"]
    assert (s["n_databases"], s["n_other"], s["n_sources"]) == (2, 1, 3)
    assert s["databases_list"] == "Scopus and Web of Science Core Collection"
    assert (s["date_first"], s["date_last"]) == ("2019-02-14", "2019-03-01")
    assert s["by_source"]["wos"]["query"].startswith("TS=(personali*")
    assert s["by_source"]["scopus"]["n_records"] == 3
    assert r["dedup"]["n_multi_record_studies"] == 2
    assert s["sentence"] == (
        "We searched two bibliographic databases: Scopus and Web of Science Core Collection. "
        "We also used one other source: citation searching. "
        "The searches ran from 14 February to 1 March 2019."
    )


@pytest.mark.parametrize(
    ("databases", "others", "dates", "expected"),
    [
        ([], [], [], "No search has been recorded yet."),
        (
            ["PubMed"],
            [],
            ["2020-01-02"],
            "We searched one bibliographic database: PubMed. The search ran on 2 January 2020.",
        ),
        (
            [],
            ["Google Scholar", "Experts"],
            [],
            "We used two other sources: Google Scholar and experts.",
        ),
        (
            ["A (Ovid)", "B"],
            ["Websites and organisations", "Citation searching"],
            ["2019-01-01", "2020-02-02"],
            "We searched two bibliographic databases: A (Ovid) and B. "
            "We also used two other sources: websites and organisations; and citation searching. "
            "The searches ran from 1 January 2019 to 2 February 2020.",
        ),
    ],
)
def test_search_sentence_lists_each_kind_without_nested_parentheses(
    databases, others, dates, expected
):
    assert results.search_sentence(databases, others, dates) == expected


def test_other_methods_note_explains_the_column_the_template_leaves_bare():
    other = {"duplicates_removed": 5, "records_excluded": 59, "records_screened": 79}
    counts = {"other_methods_present": True, "other_methods": {**other, "reports_sought": 20}}
    assert results.other_methods_note(counts) == (
        "In the other-methods column, which the template gives no screening boxes, five "
        "duplicates were removed and 59 of the 79 records screened were excluded on title and "
        "abstract before 20 reports were sought."
    )
    assert results.other_methods_note({"other_methods_present": False}) == ""
    zero = {**other, "duplicates_removed": 0, "records_excluded": 0, "reports_sought": 1}
    text = results.other_methods_note({"other_methods_present": True, "other_methods": zero})
    assert "no duplicates were removed" in text and "none of the 79 records" in text
    assert "one report was sought" in text


def test_upstream_files_nested_as_is(built):
    r, _ = built
    assert r["prisma"]["identified_total"] == 8
    assert r["synthesis"]["n_studies"] == 4  # published by the notebook, nested as is
    assert r["screening"]["title_abstract"]["agreement"]["cohens_kappa"] == 0.72
    assert r["review"]["title"] == "A tiny fixture review"


def test_screening_derived_values(built):
    r, _ = built
    ft = r["screening"]["full_text"]
    assert (ft["n_included"], ft["n_excluded"], ft["n_conflicts"]) == (4, 1, 1)
    assert ft["reasons_text"] == "no empirical data (n = 1)"
    assert r["screening"]["title_abstract"]["kappa_text"] == "0.72"
    assert ft["kappa_text"] == "not estimable"  # null kappa


def test_included_keys_are_author_year_with_suffixes(built):
    r, _ = built
    inc = r["included"]
    assert inc["keys"] == ["alder2015a", "alder2015b", "cedar2017", "inventedauditoffice2013"]
    # Any record id of a study maps to its key (full_text.csv names one study by wos:1).
    assert inc["key_of"]["wos:1"] == inc["key_of"]["scopus:1"] == "alder2015a"
    assert "scopus:3" not in inc["key_of"]  # excluded at full text


def test_published_values_and_engine_phrases(built):
    r, _ = built
    assert r["themes"]["access"]["n_studies"] == 2  # nested as the notebook published it
    assert r["dedup"]["rules_text"] == "same DOI (2)"
    assert results.rule_words("title_authors_venue") == "same title, authors, and venue"


def test_published_key_may_not_overwrite_an_engine_namespace(project: Path, tmp_path: Path):
    published = project / "data" / "processed" / "synthesis" / "published.json"
    published.write_text('{"prisma": {"studies_included": 99}}', encoding="utf-8")
    with pytest.raises(ReviewflowError, match="already used by the engine"):
        results.run(args_for(project, tmp_path / "out"))


def test_included_bib(built):
    _, out = built
    lib = bibtexparser.parse_string((out / "included.bib").read_text("utf-8"))
    entries = {e.key: e for e in lib.entries}
    assert sorted(entries) == ["alder2015a", "alder2015b", "cedar2017", "inventedauditoffice2013"]
    a = entries["alder2015a"]
    assert a.entry_type == "article"
    assert a["author"] == "Alder, Jo and Birch, Kim"
    assert a["title"] == r"Budgets \& choice in home care"
    assert (a["pages"], a["doi"]) == ("10--20", "10.9999/fixture.1")
    report = entries["inventedauditoffice2013"]
    assert report.entry_type == "techreport"
    assert report["author"] == "{Invented Audit Office}"  # corporate author kept whole
    assert report["url"] == "https://example.org/report"
    # Publisher and place come from the raw RIS tags kept in records.csv `original`.
    assert report["institution"] == "Invented Audit Office Press"
    assert report["address"] == "Inventia City"


def test_supplement_tables(built):
    _, out = built
    trail = read_csv(out / "audit_trail.csv")
    alder = trail[trail["key"] == "alder2015a"]
    assert list(alder["record_id"]) == ["scopus:1", "wos:1"]
    assert list(alder["line"]) == ["1", "3"]
    assert list(alder["match_rule"]) == ["self", "doi"]
    assert set(trail["key"]) == {"alder2015a", "alder2015b", "cedar2017", "inventedauditoffice2013"}
    excluded = read_csv(out / "excluded_full_text.csv")
    assert excluded.to_dict("records") == [
        {
            "study_id": "scopus:3",
            "study": "Fir (2013)",
            "title": "A commentary on markets in care",
            "reason": "no empirical data",
        }
    ]
    strategies = read_csv(out / "search_strategies.csv")
    assert list(strategies["source"]) == [
        "Scopus",
        "Web of Science Core Collection",
        "Citation searching",
    ]
    sources = read_csv(out / "search_sources.csv")
    assert list(sources["records"]) == ["3", "3", "2"]


def test_byte_identical_rerun(tmp_path: Path):
    a, b = tmp_path / "a", tmp_path / "b"
    results.run(args_for(FIXTURE, a))
    results.run(args_for(FIXTURE, b))
    names = sorted(p.name for p in a.iterdir())
    assert len(names) == 7
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_prisma_disagreement_stops(project: Path, tmp_path: Path):
    counts = project / "data/processed/prisma/counts.json"
    counts.write_text(counts.read_text().replace('"studies_included": 4', '"studies_included": 5'))
    with pytest.raises(ReviewflowError, match="studies_included is 5 but"):
        results.run(args_for(project, tmp_path / "out"))


def test_unknown_full_text_id_names_file_and_line(project: Path, tmp_path: Path):
    ft = project / "data/processed/screening/full_text.csv"
    ft.write_text(ft.read_text().replace("scopus:3,exclude", "nowhere:9,exclude"))
    with pytest.raises(ReviewflowError) as err:
        results.run(args_for(project, tmp_path / "out"))
    assert err.value.path.endswith("full_text.csv")
    assert err.value.line == 6
    assert err.value.record == "nowhere:9"


def test_bad_decision_is_reported(project: Path, tmp_path: Path):
    ft = project / "data/processed/screening/title_abstract.csv"
    ft.write_text(ft.read_text().replace("wos:2,exclude", "wos:2,perhaps"))
    with pytest.raises(ReviewflowError, match="expected include, exclude or not_retrieved"):
        results.run(args_for(project, tmp_path / "out"))


def test_cite_keys_disambiguate_and_transliterate():
    studies = pd.DataFrame(
        {
            "study_id": ["x:1", "x:2", "x:3", "x:4"],
            "authors": ["Müller, Anna", "Muller, B", "O'Brien, C; Doe, J", "Lee, K"],
            "year": ["2010", "2010", "2012", ""],
            "title": ["Zeta", "Alpha", "T", "U"],
        }
    )
    keys = list(results.cite_keys(studies))
    assert keys == ["muller2010b", "muller2010a", "obrien2012", "leend"]


def test_join_words():
    assert results.join_words([]) == ""
    assert results.join_words(["a"]) == "a"
    assert results.join_words(["a", "b", "c"]) == "a, b, and c"  # the house style
