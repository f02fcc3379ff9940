"""Synthesis building blocks for any codebook: counts, evidence maps, figures, publishing."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from reviewflow import extraction as ex
from reviewflow import synthesis as sy
from reviewflow.errors import ReviewflowError
from reviewflow.files import read_csv
from reviewflow.publish import Publisher, merge_published

DATA = Path(__file__).parent / "data" / "extraction"


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


def test_evidence_map_groups_values_in_codebook_order(studies, codebook) -> None:
    emap = sy.evidence_map(studies, codebook, "factors")
    assert emap.columns.tolist() == [
        "group",
        "value",
        "Agency (2013)",
        "Jones and Lee (2012)",
        "Smith (2011)",
        "n_studies",
    ]
    # Groups in codebook order (economic, cultural, social), values as listed within each.
    assert emap["group"].tolist() == ["economic", "economic", "cultural", "social"]
    assert emap["value"].tolist() == [
        "household income",
        "employment",
        "education",
        "informal networks and support",
    ]
    grid = emap.set_index("value")
    assert grid.loc["education"].tolist()[1:] == [0, 1, 1, 2]
    assert grid.loc["employment"].tolist()[1:] == [1, 0, 0, 1]


def test_any_categorical_field_can_be_mapped(studies, codebook) -> None:
    """A field without groups maps too (one unnamed group), in its allowed order."""
    emap = sy.evidence_map(studies, codebook, "country")
    assert emap["group"].tolist() == ["", ""]
    assert emap.set_index("value")["n_studies"].to_dict() == {"Australia": 1, "England": 2}


def test_a_value_no_study_reports_stays_on_the_map(studies, codebook) -> None:
    studies.loc[studies["study_id"] == "scopus:2", "factors"] = "education"
    emap = sy.evidence_map(studies, codebook, "factors").set_index("value")
    assert emap.at["employment", "n_studies"] == 0


def test_changing_one_coded_value_changes_the_map_and_counts(studies, codebook) -> None:
    before = sy.evidence_map(studies, codebook, "factors").set_index("value")
    changed = studies.copy()
    changed.loc[changed["study_id"] == "pubmed:1", "factors"] = "employment; education"
    after = sy.evidence_map(changed, codebook, "factors").set_index("value")
    diff = (after["Smith (2011)"] - before["Smith (2011)"]).to_dict()
    assert diff == {
        "household income": -1,
        "employment": 1,
        "education": 0,
        "informal networks and support": 0,
    }
    counts = sy.value_counts(changed, codebook, "factors")
    assert counts["employment"] == {"label": "employment", "n": 2}
    assert "household_income" not in counts


def test_characteristics_counts_every_category_field(studies, codebook) -> None:
    chars = sy.characteristics(studies, codebook)
    got = {(r.characteristic, r.value): r.n_studies for r in chars.itertuples()}
    assert got == {
        ("country", "England"): 2,
        ("country", "Australia"): 1,
        ("scheme", "direct payments"): 2,
        ("scheme", "NDIS"): 1,
        ("design", "survey"): 2,
        ("design", "interviews"): 1,
    }
    assert sy.characteristics(studies, codebook, ["design"])["characteristic"].unique() == [
        "design"
    ]


def test_group_summary(studies, codebook) -> None:
    summary = sy.group_summary(studies, codebook, "factors")
    assert list(summary) == ["economic", "cultural", "social"]
    assert summary["economic"] == {
        "label": "Economic capital",
        "n_studies": 2,
        "n_mentions": 2,
        "n_values": 2,
        "values": "employment and household income",
        "studies": ["pubmed:1", "scopus:2"],
    }
    assert summary["social"]["n_studies"] == 1


def test_value_counts_and_counted_list(studies, codebook) -> None:
    counts = sy.value_counts(studies, codebook, "country")
    assert counts == {
        "england": {"label": "England", "n": 2},
        "australia": {"label": "Australia", "n": 1},
    }
    assert sy.counted_list(counts) == "England (2) and Australia (1)"
    assert sy.counted_list(sy.value_counts(studies, codebook, "scheme"), lower=True) == (
        "direct payments (2) and NDIS (1)"
    )


def test_labels_come_from_bibliographic_fields_without_a_label_column(studies) -> None:
    labels = sy.study_labels(studies.drop(columns=["label"]))
    assert all(label.endswith(")") for label in labels)
    assert sy.author_year("Smith, J; Jones, K", "2019") == "Smith & Jones (2019)"
    assert sy.author_year("Smith, J; Jones, K; Lee, M", "") == "Smith et al. (n.d.)"


def test_figures_are_deterministic(studies, codebook) -> None:
    import matplotlib.pyplot as plt

    sy.deterministic_matplotlib()
    emap = sy.evidence_map(studies, codebook, "factors")
    blobs = []
    for _ in range(2):
        fig = sy.plot_evidence_map(emap, codebook)
        blobs.append((sy.figure_bytes(fig, "svg"), sy.figure_bytes(fig, "png", dpi=50)))
        plt.close(fig)
    assert blobs[0] == blobs[1]
    svg, png = blobs[0]
    assert b"<dc:date>" not in svg
    assert png.startswith(b"\x89PNG") and b"tIME" not in png


def test_study_characteristics_figure_has_one_facet_per_field(studies, codebook) -> None:
    import matplotlib.pyplot as plt

    sy.deterministic_matplotlib()
    fig = sy.plot_study_characteristics(sy.characteristics(studies, codebook))
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["By country", "By scheme", "By design"]
    assert [len(ax.patches) for ax in fig.axes] == [2, 2, 2]
    plt.close(fig)


def test_no_included_studies_still_builds(codebook) -> None:
    import matplotlib.pyplot as plt

    empty = read_csv(DATA / "extraction.csv").iloc[:0].assign(study_id=[])
    emap = sy.evidence_map(empty, codebook, "factors")
    assert emap["n_studies"].tolist() == [0, 0, 0, 0]
    assert sy.value_counts(empty, codebook, "country") == {}
    for fig in (
        sy.plot_evidence_map(emap, codebook),
        sy.plot_study_characteristics(sy.characteristics(empty, codebook)),
    ):
        assert fig.axes[0].texts[0].get_text() == "No included studies"
        plt.close(fig)


# --- publish: from a notebook to the manuscript ---------------------------------------------


def test_publisher_writes_values_tables_and_figures(tmp_path: Path, studies, codebook) -> None:
    import matplotlib.pyplot as plt

    publish = Publisher(tmp_path)
    assert publish("themes.access.n_studies", pd.Series([4]).iloc[0]) == 4
    publish("themes.access.label", "Access")
    publish.table("counts", sy.characteristics(studies, codebook))
    publish.figure(
        "map", sy.plot_evidence_map(sy.evidence_map(studies, codebook, "factors"), codebook), dpi=30
    )
    plt.close("all")
    publish.save()
    values = json.loads((tmp_path / "published.json").read_text())
    assert values == {"themes": {"access": {"label": "Access", "n_studies": 4}}}
    assert {p.name for p in tmp_path.iterdir()} >= {"counts.csv", "map.svg", "map.png"}


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("prisma.n", "engine's namespace"),
        ("Bad Key", "lower-case words"),
        ("a..b", "lower-case words"),
    ],
)
def test_publisher_refuses_bad_and_engine_keys(tmp_path: Path, key: str, message: str) -> None:
    with pytest.raises(ReviewflowError, match=message):
        Publisher(tmp_path)(key, 1)


def test_publisher_refuses_to_turn_a_value_into_a_subtree(tmp_path: Path) -> None:
    publish = Publisher(tmp_path)
    publish("a.b", 1)
    with pytest.raises(ReviewflowError, match="already holds a value"):
        publish("a.b.c", 2)


def test_merge_published_refuses_overwrites() -> None:
    results = {"prisma": {}, "themes": {"n": 1}}
    merge_published(results, {"other": {"n": 2}}, "x/published.json")
    assert results["other"] == {"n": 2}
    for clash in ({"themes": {}}, {"search": {}}):
        with pytest.raises(ReviewflowError, match="already used"):
            merge_published(results, clash, "y/published.json")
