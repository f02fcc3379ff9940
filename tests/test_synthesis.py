"""Synthesis: Table 1, the evidence map, the comparison, the numbers and the figures."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest

from reviewflow import extraction as ex
from reviewflow import synthesis as sy
from reviewflow.errors import ReviewflowError
from reviewflow.files import read_csv

DATA = Path(__file__).parent / "data" / "extraction"
RAW = Path(__file__).resolve().parents[1] / "data" / "raw" / "extraction"


@pytest.fixture
def codebook() -> ex.Codebook:
    return ex.load_codebook(DATA / "codebook.yaml")


@pytest.fixture
def studies() -> pd.DataFrame:
    return ex.build_included_studies(
        DATA / "extraction.csv",
        DATA / "codebook.yaml",
        DATA / "full_text.csv",
        DATA / "studies.csv",
    )


def test_table1_lists_studies_by_label_with_methods_and_factors(studies, codebook) -> None:
    t1 = sy.table1(studies, codebook)
    assert t1.columns.tolist() == ["study_id", "study", "methods_and_sample", "factors"]
    assert t1["study"].tolist() == ["Agency (2013)", "Jones and Lee (2012)", "Smith (2011)"]
    assert t1["factors"].tolist() == [
        "employment",
        "informal networks and support; education",
        "household income; education",
    ]
    assert t1.at[2, "methods_and_sample"] == "Survey of 1,200 participants"


def test_evidence_map_groups_factors_by_capital(studies, codebook) -> None:
    emap = sy.evidence_map(studies, codebook)
    assert emap.columns.tolist() == [
        "capital",
        "factor",
        "Agency (2013)",
        "Jones and Lee (2012)",
        "Smith (2011)",
        "n_studies",
    ]
    # Capitals in codebook order (economic, cultural, social), factors as listed within each.
    assert emap["capital"].tolist() == ["economic", "economic", "cultural", "social"]
    assert emap["factor"].tolist() == [
        "household income",
        "employment",
        "education",
        "informal networks and support",
    ]
    grid = emap.set_index("factor")
    assert grid.loc["education"].tolist()[1:] == [0, 1, 1, 2]
    assert grid.loc["employment"].tolist()[1:] == [1, 0, 0, 1]


def test_factor_studies_long_form(studies, codebook) -> None:
    long = sy.factor_studies(studies, codebook)
    assert long.columns.tolist() == ["capital", "factor", "study_id", "study"]
    assert list(long.itertuples(index=False, name=None)) == [
        ("economic", "household income", "pubmed:1", "Smith (2011)"),
        ("economic", "employment", "scopus:2", "Agency (2013)"),
        ("cultural", "education", "scopus:1", "Jones and Lee (2012)"),
        ("cultural", "education", "pubmed:1", "Smith (2011)"),
        ("social", "informal networks and support", "scopus:1", "Jones and Lee (2012)"),
    ]


def test_a_factor_no_study_reports_stays_on_the_map(studies, codebook) -> None:
    studies.loc[studies["study_id"] == "scopus:2", "factors"] = "education"
    emap = sy.evidence_map(studies, codebook).set_index("factor")
    assert emap.at["employment", "n_studies"] == 0


def test_changing_one_coded_factor_changes_table1_and_evidence_map(studies, codebook) -> None:
    before_t1 = sy.table1(studies, codebook)
    before_map = sy.evidence_map(studies, codebook)
    changed = studies.copy()
    changed.loc[changed["study_id"] == "pubmed:1", "factors"] = "employment; education"
    after_t1 = sy.table1(changed, codebook)
    after_map = sy.evidence_map(changed, codebook)
    assert after_t1.at[2, "factors"] == "employment; education" != before_t1.at[2, "factors"]
    diff = (
        after_map.set_index("factor")["Smith (2011)"]
        - before_map.set_index("factor")["Smith (2011)"]
    )
    assert diff.to_dict() == {
        "household income": -1,
        "employment": 1,
        "education": 0,
        "informal networks and support": 0,
    }
    numbers = sy.synthesis_numbers(changed, codebook)
    assert numbers["top_factors"]["text"] == "employment and education"
    assert numbers["factors"]["employment"]["n"] == 2
    assert numbers["factors"]["household_income"]["n"] == 0


def test_characteristics_counts(studies) -> None:
    chars = sy.characteristics(studies)
    got = {(r.characteristic, r.value): r.n_studies for r in chars.itertuples()}
    assert got == {
        ("country", "England"): 2,
        ("country", "Australia"): 1,
        ("scheme", "direct payments"): 2,
        ("scheme", "NDIS"): 1,
        ("design", "survey"): 2,
        ("design", "interviews"): 1,
    }
    assert chars["characteristic"].tolist()[:2] == ["country", "country"]


def test_sample_numbers() -> None:
    assert sy.sample_numbers("surveys (6,246) and providers (2672); 50 others") == [50, 2672, 6246]
    assert sy.sample_numbers("no numbers") == []


def test_comparison_with_published(studies, codebook) -> None:
    published = sy.read_published(DATA / "published.csv")
    cmp = sy.comparison(published, sy.table1(studies, codebook), codebook).set_index("study")
    # Synonym ("Income") and case fold; "1,200" equals "1,200 participants".
    assert cmp.at["Smith (2011)", "match"] == "yes"
    assert cmp.at["Jones and Lee (2012)", "factors_match"] == "true"
    # Cut-off row: "Educ" must start a rebuilt factor; Agency codes only employment.
    assert cmp.at["Agency (2013)", "match"] == "no"
    assert cmp.at["Agency (2013)", "sample_numbers_match"] == "true"
    assert cmp.at["Missing (2015)", "match"] == "not rebuilt"
    assert cmp.at["Missing (2015)", "rebuilt_factors"] == ""

    studies.loc[studies["study_id"] == "scopus:2", "factors"] = "employment; education"
    cmp = sy.comparison(published, sy.table1(studies, codebook), codebook).set_index("study")
    assert cmp.at["Agency (2013)", "match"] == "consistent"

    only = sy.comparison(published.iloc[:1], sy.table1(studies, codebook), codebook)
    assert only["match"].tolist() == ["yes", "not in published", "not in published"]


def test_no_published_table(studies, codebook) -> None:
    cmp = sy.comparison(sy.read_published(""), sy.table1(studies, codebook), codebook)
    assert set(cmp["match"]) == {"not in published"}
    numbers = sy.synthesis_numbers(studies, codebook, cmp)
    assert numbers["comparison"]["n_published_rows"] == 0


def test_read_published_errors(tmp_path: Path) -> None:
    bad = tmp_path / "p.csv"
    bad.write_text("row,study,factors\n1,A (2000),x\n", encoding="utf-8")
    with pytest.raises(ReviewflowError, match="missing column"):
        sy.read_published(bad)
    text = (DATA / "published.csv").read_text(encoding="utf-8")
    bad.write_text(text + "5,Smith,Smith (2011),x,Education,true,\n", encoding="utf-8")
    with pytest.raises(ReviewflowError, match="appears twice") as info:
        sy.read_published(bad)
    assert info.value.line == 6


def test_synthesis_numbers(studies, codebook) -> None:
    cmp = sy.comparison(
        sy.read_published(DATA / "published.csv"), sy.table1(studies, codebook), codebook
    )
    n = sy.synthesis_numbers(studies, codebook, cmp)
    assert n["n_included"] == 3
    assert n["n_countries"] == 2
    assert n["countries"]["england"] == {"label": "England", "n": 2}
    assert n["schemes"]["direct_payments"]["n"] == 2
    assert n["factors"]["education"] == {"label": "education", "capital": "cultural", "n": 2}
    assert n["top_factors"] == {"n_studies": 2, "n_factors": 1, "text": "education"}
    assert n["n_factor_codings"] == 5
    assert n["capitals"]["economic"] == {
        "label": "Economic capital",
        "n_studies": 2,
        "n_mentions": 2,
        "n_factors": 2,
    }
    assert n["capitals"]["social"]["n_studies"] == 1
    assert n["n_measuring_inequality_directly"] == 0
    assert n["sample_size"] == {"n_reported": 2, "min": 30, "max": 1200, "median": 615.0}
    assert n["years"] == {"min": 2011, "max": 2013}
    assert n["factors_per_study"] == {"min": 1, "max": 2}
    assert n["comparison"] == {
        "n_published_rows": 4,
        "n_match": 2,
        "n_consistent": 0,
        "n_differ": 1,
        "n_not_rebuilt": 1,
        "n_not_in_published": 0,
    }
    assert all(re.fullmatch(r"[a-z0-9_]+", k) for k in n["factors"])


def test_real_data_rebuilds_the_published_table1() -> None:
    """The coded flagship data reproduce every published Table 1 row the corpus holds."""
    cb = ex.load_codebook(RAW / "codebook.yaml")
    data = read_csv(RAW / "extraction.csv")
    data = data.drop(columns=["id"]).assign(study_id=[f"s:{i}" for i in range(len(data))])
    cmp = sy.comparison(sy.read_published(RAW / "published_table1.csv"), sy.table1(data, cb), cb)
    got = dict(zip(cmp["study"], cmp["match"], strict=True))
    assert got.pop("Warr et al. (2017)") == "consistent"
    # Not identified in public metadata, so not in the reconstructed corpus.
    for study in (
        "Graham (2015)",
        "National Audit Office (2013)",
        "Stevens and Wilberforce (2008)",
    ):
        assert got.pop(study) == "not rebuilt"
    assert set(got.values()) == {"yes"}, got
    assert len(got) == 5


@pytest.mark.shared
def test_published_transcription_agrees_with_shared_facts(shared_dir: Path) -> None:
    """published_table1.csv against the corpus notes: same studies, years and factor sets."""
    cb = ex.load_codebook(RAW / "codebook.yaml")
    with open(shared_dir / "corpus" / "table1_studies.csv", encoding="utf-8") as fh:
        facts = [r for r in csv.DictReader(fh) if r["table1_row"].isdigit()]
    published = read_csv(RAW / "published_table1.csv")
    assert len(published) == len(facts) == 9
    for fact, row in zip(facts, published.itertuples(), strict=True):
        assert fact["year"] in row.label
        assert fact["short_cite"].split()[0] in row.label
        if row.complete == "true":
            shared = sy.normalise_factors(fact["factors_identified_in_Table1"], cb)
            assert sorted(sy.normalise_factors(row.factors, cb)) == sorted(shared)


def test_figures_are_deterministic(studies, codebook) -> None:
    import matplotlib.pyplot as plt

    sy.deterministic_matplotlib()
    emap = sy.evidence_map(studies, codebook)
    blobs = []
    for _ in range(2):
        fig = sy.plot_evidence_map(emap, codebook)
        blobs.append((sy.figure_bytes(fig, "svg"), sy.figure_bytes(fig, "png", dpi=50)))
        plt.close(fig)
    assert blobs[0] == blobs[1]
    svg, png = blobs[0]
    assert b"<dc:date>" not in svg
    assert png.startswith(b"\x89PNG") and b"tIME" not in png
    assert b"Economic" in svg or b"glyph" in svg  # text is drawn (as paths)


def test_study_characteristics_figure_has_three_facets(studies) -> None:
    import matplotlib.pyplot as plt

    sy.deterministic_matplotlib()
    fig = sy.plot_study_characteristics(sy.characteristics(studies))
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert titles == ["By country", "By scheme", "By design"]
    assert [len(ax.patches) for ax in fig.axes] == [2, 2, 2]
    plt.close(fig)


def test_save_figure_writes_svg_and_png(tmp_path: Path, studies, codebook) -> None:
    import matplotlib.pyplot as plt

    sy.deterministic_matplotlib()
    fig = sy.plot_evidence_map(sy.evidence_map(studies, codebook), codebook)
    paths = sy.save_figure(fig, tmp_path / "map", dpi=40)
    plt.close(fig)
    assert [p.name for p in paths] == ["map.svg", "map.png"]
    assert paths[0].read_bytes().startswith(b"<?xml")


def test_no_included_studies_still_builds(codebook) -> None:
    import matplotlib.pyplot as plt

    empty = read_csv(DATA / "extraction.csv").iloc[:0].assign(study_id=[])
    emap = sy.evidence_map(empty, codebook)
    assert emap["n_studies"].tolist() == [0, 0, 0, 0]
    assert sy.table1(empty, codebook).empty
    numbers = sy.synthesis_numbers(empty, codebook)
    assert numbers["n_included"] == 0 and numbers["top_factors"]["text"] == ""
    for fig in (
        sy.plot_evidence_map(emap, codebook),
        sy.plot_study_characteristics(sy.characteristics(empty)),
    ):
        assert fig.axes[0].texts[0].get_text() == "No included studies"
        plt.close(fig)
