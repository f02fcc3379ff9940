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
    with pytest.raises(ReviewflowError, match=r"1 record\(s\) missing from links.csv"):
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
        "studies included 4" in str(exc.value)
    )
    bad = copy.deepcopy(counts)
    bad["identified_total"] = 14
    with pytest.raises(ReviewflowError, match="total: identified 14 != duplicates removed"):
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
                "--title-abstract",
                str(ta),
                "--full-text",
                str(ft),
                "--out-dir",
                str(tmp_path / out),
            ]
        )
        args.func(args)
    for name in ("counts.json", "record_boxes.csv", "flow.svg", "flow.png"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    counts = json.loads((tmp_path / "a" / "counts.json").read_text())
    assert counts["identified_total"] == 13
    svg = (tmp_path / "a" / "flow.svg").read_text()
    assert "<dc:date>" not in svg
    png = (tmp_path / "a" / "flow.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_box_texts_follow_prisma_wording(screened):
    counts, _ = build(*screened)
    texts = prisma.box_texts(counts)
    nb = prisma.NBSP
    assert f"Scopus (n{nb}={nb}5)" in texts["databases_registers"]["identified"][2]
    assert texts["databases_registers"]["reasons"] == [
        "Reports excluded:",
        f"wrong intervention (n{nb}={nb}1)",
        f"wrong population (n{nb}={nb}1)",
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
