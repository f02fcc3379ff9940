"""PRISMA 2020 counts, conservation checks and the diagram, on tests/data/screening/.

Screened outputs are written by hand here (not by the screening stage) so these tests pin
the counting rules alone.
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewflow import prisma
from reviewflow.errors import ReviewflowError
from reviewflow.files import read_csv

DATA = Path(__file__).parent / "data" / "screening"

TA = """study_id,decision,reason,reviewers,conflict,resolved_by
scopus:1,include,,alice; bob,false,
scopus:2,include,,alice; bob,true,carol
scopus:3,exclude,,alice; bob,false,
scopus:4,include,,alice; bob,true,carol
scopus:5,exclude,,alice; bob,false,
wos:4,include,,alice,false,
isrctn:1,exclude,,alice; bob,false,
citations:2,include,,alice; bob,false,
citations:3,include,,alice; bob,false,
"""
FT = """study_id,decision,reason,reviewers,conflict,resolved_by
scopus:1,include,,alice; bob,false,
scopus:2,exclude,wrong population,alice; bob,false,
scopus:4,not_retrieved,,alice,false,
wos:4,exclude,wrong intervention,alice; bob,true,carol
citations:2,include,,alice; bob,false,
citations:3,exclude,not a study of inequality,alice; bob,false,
"""


@pytest.fixture
def screened(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "ta.csv").write_text(TA)
    (tmp_path / "ft.csv").write_text(FT)
    return tmp_path / "ta.csv", tmp_path / "ft.csv"


def build(ta: Path, ft: Path, records: Path = DATA / "records.csv", links=DATA / "links.csv"):
    return prisma.build(
        prisma.load_records(records),
        read_csv(links),
        prisma.load_decisions(ta),
        prisma.load_decisions(ft),
    )


def test_counts(screened):
    counts, _ = build(*screened)
    left, right = counts["databases_registers"], counts["other_methods"]
    assert left["by_database"] == {"Scopus": 5, "Web of Science": 4}
    assert left["by_register"] == {"ISRCTN registry": 1}
    assert (left["identified"], left["identified_databases"], left["identified_registers"]) == (
        10,
        9,
        1,
    )
    assert left["duplicates_removed"] == 3
    assert (left["records_screened"], left["records_excluded"], left["reports_sought"]) == (
        7,
        3,
        4,
    )
    assert (left["reports_not_retrieved"], left["reports_assessed"]) == (1, 3)
    assert left["reports_excluded_by_reason"] == {"wrong intervention": 1, "wrong population": 1}
    assert left["studies_included"] == 1
    # citations:1 duplicates a database study: removed in the right-hand column
    assert right["by_method"] == {"citation searching": 3}
    assert (right["identified"], right["duplicates_removed"], right["reports_sought"]) == (3, 1, 2)
    assert right["reports_excluded_by_reason"] == {"not a study of inequality": 1}
    assert counts["identified_total"] == 13
    assert counts["duplicates_removed_total"] == 4
    assert counts["records_screened_total"] == 9
    assert counts["reports_assessed_total"] == 5
    assert counts["reports_excluded_total"] == 3
    assert counts["studies_included"] == counts["reports_included"] == 2
    assert counts["other_methods_present"] is True


def test_record_boxes_each_record_once(screened):
    _, boxes = build(*screened)
    assert list(boxes.columns) == prisma.BOX_COLUMNS
    assert boxes["record_id"].is_unique and len(boxes) == 13
    box = boxes.set_index("record_id")
    assert box.loc["wos:1", "box"] == "duplicate_removed"
    assert box.loc["citations:1", ["column", "box"]].tolist() == [
        "other_methods",
        "duplicate_removed",
    ]
    assert box.loc["wos:4", ["box", "reason"]].tolist() == [
        "reports_excluded",
        "wrong intervention",
    ]
    assert box.loc["scopus:4", "box"] == "reports_not_retrieved"
    assert sorted(box.index[box["box"] == "included"]) == ["citations:2", "scopus:1"]


def test_study_in_no_box_stops(screened, tmp_path):
    ta, ft = screened
    ta.write_text(TA.replace("scopus:3,exclude,,alice; bob,false,\n", ""))
    with pytest.raises(ReviewflowError, match="study scopus:3 has no title/abstract decision"):
        build(ta, ft)


def test_full_text_for_non_include_stops(screened):
    ta, ft = screened
    ft.write_text(FT + "scopus:5,include,,alice,false,\n")
    with pytest.raises(ReviewflowError, match="full-text decision for study scopus:5"):
        build(ta, ft)


def test_included_without_full_text_stops(screened):
    ta, ft = screened
    ft.write_text(FT.replace("citations:2,include,,alice; bob,false,\n", ""))
    with pytest.raises(ReviewflowError, match="citations:2 was included at title/abstract but"):
        build(ta, ft)


def test_record_missing_from_links_stops(screened, tmp_path):
    links = tmp_path / "links.csv"
    links.write_text("\n".join((DATA / "links.csv").read_text().splitlines()[:-1]) + "\n")
    with pytest.raises(ReviewflowError, match=r"1 record missing from links.csv"):
        build(*screened, links=links)


def test_conservation_check_names_the_broken_identity(screened):
    counts, boxes = build(*screened)
    records = prisma.load_records(DATA / "records.csv")
    bad = copy.deepcopy(counts)
    bad["databases_registers"]["reports_excluded_by_reason"]["wrong population"] = 2
    with pytest.raises(ReviewflowError) as exc:
        prisma.check_conservation(bad, boxes, records)
    assert (
        "databases_registers: reports assessed 3 != reports excluded (sum over reasons) + "
        "reports of included studies 4" in str(exc.value)
    )
    bad = copy.deepcopy(counts)
    bad["identified_total"] = 14
    with pytest.raises(
        ReviewflowError, match="total: identified 14 != records removed before screening"
    ):
        prisma.check_conservation(bad, boxes, records)
    twice = pd.concat([boxes, boxes.iloc[:1]])
    with pytest.raises(ReviewflowError, match="record scopus:1 is in 2 boxes"):
        prisma.check_conservation(counts, twice, records)


def test_cli_writes_deterministic_outputs(screened, tmp_path):
    ta, ft = screened
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    prisma.register(sub)
    for out in ("a", "b"):
        args = parser.parse_args(
            [
                "prisma",
                "--records",
                str(DATA / "records.csv"),
                "--links",
                str(DATA / "links.csv"),
                "--studies",
                str(DATA / "studies.csv"),
                "--title-abstract",
                str(ta),
                "--full-text",
                str(ft),
                "--out-dir",
                str(tmp_path / out),
            ]
        )
        args.func(args)
    names = ("counts.json", "record_boxes.csv", "excluded_full_text.csv", "flow.svg", "flow.png")
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    counts = json.loads((tmp_path / "a" / "counts.json").read_text())
    assert counts["identified_total"] == 13
    svg = (tmp_path / "a" / "flow.svg").read_text()
    assert "<dc:date>" not in svg
    assert "Reports of included studies" in svg  # text, not outlines: searchable in the paper
    png = (tmp_path / "a" / "flow.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_box_texts_follow_prisma_wording(screened):
    counts, _ = build(*screened)
    texts = prisma.box_texts(counts)
    nb = prisma.NBSP
    assert f"Scopus (n{nb}={nb}5)" in texts["databases_registers"]["identified"][2]
    assert texts["databases_registers"]["reasons"] == [
        "Reports excluded:",
        f"Wrong intervention (n{nb}={nb}1)",
        f"Wrong population (n{nb}={nb}1)",
    ]
    assert texts["other_methods"]["identified"][1] == f"Citation searching (n{nb}={nb}3)"


def test_diagram_without_other_methods(tmp_path):
    """Databases only: one column, drawn narrower; still every box."""
    records = read_csv(DATA / "records.csv")
    records = records[records["kind"] != "other"]
    records.to_csv(tmp_path / "records.csv", index=False)
    links = read_csv(DATA / "links.csv")
    links = links[links["record_id"].isin(records["record_id"])]
    links.to_csv(tmp_path / "links.csv", index=False)
    (tmp_path / "ta.csv").write_text("\n".join(TA.splitlines()[:-2]) + "\n")
    (tmp_path / "ft.csv").write_text("\n".join(FT.splitlines()[:-2]) + "\n")
    counts, _ = build(
        tmp_path / "ta.csv", tmp_path / "ft.csv", tmp_path / "records.csv", tmp_path / "links.csv"
    )
    assert counts["other_methods_present"] is False
    assert counts["other_methods"]["identified"] == 0
    fig = prisma.draw_flow(counts)
    width, _ = fig.get_size_inches()
    assert width < 6.5
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "Identification of studies via other methods" not in texts
    assert {"Identification", "Screening", "Included"} <= set(texts)


# --- PRISMA 2020 exactly: Page et al. BMJ 2021;372:n71, and the PRISMA2020 R package's node
# fields (inst/extdata/PRISMA.csv: database_results, register_results, duplicates,
# excluded_automatic, excluded_other, ..., new_studies, new_reports) -------------------------

# wos:4 becomes a further report of an included study.
FT_COMPANION = FT.replace("wos:4,exclude,wrong intervention", "wos:4,exclude,duplicate report")


def test_companion_reports_count_as_reports_of_included_studies(screened):
    ta, ft = screened
    ft.write_text(FT_COMPANION)
    counts, boxes = prisma.build(
        prisma.load_records(DATA / "records.csv"),
        read_csv(DATA / "links.csv"),
        prisma.load_decisions(ta),
        prisma.load_decisions(ft),
        companion_reasons=["duplicate report"],
    )
    assert counts["studies_included"] == 2
    assert counts["reports_included"] == 3
    assert counts["companion_reports_total"] == 1
    assert counts["reports_excluded_total"] == 2
    assert counts["reports_excluded_by_reason"] == {
        "not a study of inequality": 1,
        "wrong population": 1,
    }
    left = counts["databases_registers"]
    assert (left["reports_assessed"], left["reports_excluded"], left["reports_included"]) == (
        3,
        1,
        2,
    )
    assert boxes.set_index("record_id").loc["wos:4", "box"] == "companion_report"
    texts = prisma.box_texts(counts)["databases_registers"]
    nb = prisma.NBSP
    assert texts["included"] == [
        f"Studies included in review (n{nb}={nb}2)",
        f"Reports of included studies (n{nb}={nb}3)",
    ]
    # Without the config key the same row is an ordinary exclusion (default: none).
    plain, _ = build(ta, ft)
    assert plain["reports_included"] == 2 and plain["reports_excluded_total"] == 3


def test_companion_without_included_study_stops(screened):
    ta, ft = screened
    ft.write_text(FT_COMPANION.replace(",include,,", ",exclude,wrong population,"))
    with pytest.raises(ReviewflowError, match="wos:4 is excluded as 'duplicate report'") as exc:
        prisma.full_text_exclusions(prisma.load_decisions(ft), ["duplicate report"], str(ft))
    assert exc.value.line == 5


def test_unknown_full_text_decision_names_file_and_line(screened):
    ta, ft = screened
    ft.write_text(FT.replace("scopus:4,not_retrieved", "scopus:4,maybe"))
    with pytest.raises(ReviewflowError, match="scopus:4 has full-text decision 'maybe'") as exc:
        build(ta, ft)
    assert exc.value.line == 4 and str(ft) in str(exc.value)


@pytest.mark.parametrize("companions", [[], ["duplicate report"]])
def test_exclusions_table_and_diagram_agree_by_construction(screened, companions):
    ta, ft = screened
    ft.write_text(FT_COMPANION)
    decisions = prisma.load_decisions(ft)
    counts, _ = prisma.build(
        prisma.load_records(DATA / "records.csv"),
        read_csv(DATA / "links.csv"),
        prisma.load_decisions(ta),
        decisions,
        companion_reasons=companions,
    )
    table = prisma.exclusions_table(decisions, read_csv(DATA / "studies.csv"), companions)
    n = table["outcome"].value_counts()
    assert n.get(prisma.EXCLUDED, 0) == counts["reports_excluded_total"]
    assert n.get(prisma.NOT_RETRIEVED, 0) == counts["reports_not_retrieved_total"] == 1
    assert n.get(prisma.COMPANION, 0) == counts["companion_reports_total"] == len(companions)
    by_reason = table[table["outcome"] == prisma.EXCLUDED]["reason"].value_counts().to_dict()
    assert by_reason == counts["reports_excluded_by_reason"]
    # listed apart: every excluded row first, then not retrieved, then companion reports
    order = [prisma.EXCLUDED, prisma.NOT_RETRIEVED, prisma.COMPANION]
    ranks = [order.index(o) for o in table["outcome"]]
    assert ranks == sorted(ranks)
    assert table.loc[table["outcome"] == prisma.NOT_RETRIEVED, "reason"].tolist() == [""]
    assert set(table.columns) >= {"study_id", "outcome", "reason", "authors", "year", "title"}


def test_template_lines_shown_even_when_zero(screened):
    """Registers, automation tools and other reasons are printed with (n = 0)."""
    counts, _ = build(*screened)
    counts["databases_registers"]["identified_registers"] = 0
    counts["databases_registers"]["by_register"] = {}
    texts = prisma.box_texts(counts)["databases_registers"]
    nb = prisma.NBSP
    assert f"Registers (n{nb}={nb}0)" in texts["identified"]
    assert texts["removed"] == [
        "Records removed before screening:",
        f"Duplicate records removed (n{nb}={nb}3)",
        f"Records marked as ineligible by automation tools (n{nb}={nb}0)",
        f"Records removed for other reasons (n{nb}={nb}0)",
    ]
    assert counts["records_removed_automation_total"] == counts["records_removed_other_total"] == 0


def test_other_methods_column_has_the_template_boxes_only(screened):
    counts, _ = build(*screened)
    texts = prisma.box_texts(counts)
    assert set(texts["other_methods"]) == {
        "identified",
        "sought",
        "not_retrieved",
        "assessed",
        "reasons",
    }
    fig = prisma.draw_flow(counts)
    drawn = [t.get_text().replace("\n", " ") for t in fig.axes[0].texts]
    # one "Records screened" / "Duplicate records removed" box: the left column's
    assert sum(t.startswith("Records screened") for t in drawn) == 1
    assert sum("Duplicate records removed" in t for t in drawn) == 1
    assert sum(t.startswith("Reports sought for retrieval") for t in drawn) == 2


def test_every_template_box_is_drawn(screened):
    counts, _ = build(*screened)
    fig = prisma.draw_flow(counts)
    drawn = " ".join(t.get_text().replace("\n", " ") for t in fig.axes[0].texts)
    for phrase in prisma.TEMPLATE_BOXES:
        assert phrase in drawn, phrase


@st.composite
def reviews(draw):
    """Random reviews: studies of 1-3 records from any kind of source, random decisions."""
    records, links, ta, ft = [], [], [], []
    for s in range(draw(st.integers(1, 12))):
        kinds = draw(
            st.lists(st.sampled_from(["database", "register", "other"]), min_size=1, max_size=3)
        )
        ids = [f"{kind}:{s}.{j}" for j, kind in enumerate(kinds)]
        for rid, kind in zip(ids, kinds, strict=True):
            records.append({"record_id": rid, "source": kind.title(), "kind": kind, "method": ""})
            links.append({"record_id": rid, "study_id": ids[0]})
        first = draw(st.sampled_from(["include", "exclude"]))
        ta.append({"study_id": ids[0], "decision": first, "reason": "", "line": s + 2})
        if first == "include":
            decision, reason = draw(
                st.sampled_from(
                    [
                        ("include", ""),
                        ("exclude", "off topic"),
                        ("exclude", "dup"),
                        ("not_retrieved", ""),
                    ]
                )
            )
            ft.append({"study_id": ids[0], "decision": decision, "reason": reason, "line": s + 2})
    columns = ["study_id", "decision", "reason", "line"]
    return (
        pd.DataFrame(records),
        pd.DataFrame(links),
        pd.DataFrame(ta, columns=columns),
        pd.DataFrame(ft, columns=columns),
    )


@settings(max_examples=60, deadline=None)
@given(reviews())
def test_any_review_adds_up_and_the_table_matches_the_diagram(review):
    records, links, ta, ft = review
    has_companion = (ft["reason"] == "dup").any()
    if has_companion and not (ft["decision"] == "include").any():
        with pytest.raises(ReviewflowError, match="no study is included"):
            prisma.build(records, links, ta, ft, companion_reasons=["dup"])
        return
    counts, boxes = prisma.build(records, links, ta, ft, companion_reasons=["dup"])
    assert counts["identified_total"] == len(records) == len(boxes)
    table = prisma.full_text_exclusions(ft, ["dup"])["outcome"].value_counts()
    assert table.get(prisma.EXCLUDED, 0) == counts["reports_excluded_total"]
    assert table.get(prisma.NOT_RETRIEVED, 0) == counts["reports_not_retrieved_total"]
    assert table.get(prisma.COMPANION, 0) == counts["companion_reports_total"]
    assert counts["studies_included"] == (ft["decision"] == "include").sum()
    assert counts["reports_included"] == counts["studies_included"] + table.get(prisma.COMPANION, 0)
    lines = " ".join(line for box in prisma.box_texts(counts)[prisma.LEFT].values() for line in box)
    for phrase in prisma.TEMPLATE_BOXES[2:]:  # the two column headers are drawn, not boxes
        assert phrase in lines, phrase
