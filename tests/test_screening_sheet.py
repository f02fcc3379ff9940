"""`reviewflow screening-sheet` and the relevance ranking behind `--rank`."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from reviewflow.files import read_csv
from reviewflow.screening import sheet as screening_sheet

DATA = Path(__file__).parent / "data" / "screening"


def sheet_cli(tmp_path: Path, decisions: Path, *extra: str) -> Path:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    screening_sheet.register(sub)
    out = tmp_path / "sheets"
    args = parser.parse_args(
        [
            "screening-sheet",
            "--stage",
            "title_abstract",
            "--decisions",
            str(decisions),
            "--links",
            str(DATA / "links.csv"),
            "--studies",
            str(DATA / "studies.csv"),
            "--config",
            str(DATA / "config.yaml"),
            "--out-dir",
            str(out),
            *extra,
        ]
    )
    args.func(args)
    return out


@pytest.fixture
def partial(tmp_path: Path) -> Path:
    """The first 7 votes only: scopus:1 decided, scopus:2 in conflict, the rest undecided."""
    path = tmp_path / "ta.csv"
    lines = (DATA / "title_abstract.csv").read_text().splitlines()
    path.write_text("\n".join(lines[:8]) + "\n")
    return path


def test_sheet_lists_pending_studies(tmp_path, partial):
    out = sheet_cli(tmp_path, partial)
    sheet = read_csv(out / "screening_sheet_title_abstract.csv")
    assert list(sheet.columns) == screening_sheet.SHEET_COLUMNS
    assert list(sheet["study_id"]) == [
        "scopus:2",
        "scopus:4",
        "scopus:5",
        "wos:4",
        "isrctn:1",
        "citations:2",
        "citations:3",
    ]
    row = sheet.set_index("study_id").loc["scopus:2"]
    assert row["status"] == "conflict"
    assert row["votes"] == "alice: include; bob: exclude"
    assert row["doi_link"] == "https://doi.org/10.1000/dp.2"
    assert row["authors"] == "Cole, Ann" and row["year"] == "2012"
    assert (sheet[["reviewer", "decision", "reason", "note"]] == "").all().all()


def test_formula_injection_neutralised(tmp_path, partial):
    out = sheet_cli(tmp_path, partial)
    sheet = read_csv(out / "screening_sheet_title_abstract.csv").set_index("study_id")
    assert sheet.loc["citations:3", "abstract"].startswith("'=HYPERLINK(")
    ws = load_workbook(out / "screening_sheet_title_abstract.xlsx").active
    header = [c.value for c in ws[1]]
    assert header == screening_sheet.SHEET_COLUMNS
    abstracts = {
        r[0]: r[header.index("abstract")] for r in ws.iter_rows(min_row=2, values_only=True)
    }
    assert abstracts["citations:3"].startswith("'=HYPERLINK(")
    assert ws["A2"].data_type == "s"


def test_sheet_outputs_deterministic(tmp_path, partial):
    a = sheet_cli(tmp_path / "a", partial, "--rank")
    b = sheet_cli(tmp_path / "b", partial, "--rank")
    for name in ("screening_sheet_title_abstract.csv", "screening_sheet_title_abstract.xlsx"):
        assert (a / name).read_bytes() == (b / name).read_bytes()


def test_rank_orders_by_relevance(tmp_path, partial):
    out = sheet_cli(tmp_path, partial, "--rank")
    sheet = read_csv(out / "screening_sheet_title_abstract.csv")
    scores = sheet["relevance"].astype(float).tolist()
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s < 1 for s in scores)


def test_rank_needs_both_classes(tmp_path):
    only_includes = tmp_path / "ta.csv"
    only_includes.write_text("id,reviewer,decision\nscopus:1,alice,include\n")
    out = sheet_cli(tmp_path, only_includes, "--rank")
    sheet = read_csv(out / "screening_sheet_title_abstract.csv")
    assert (sheet["relevance"] == "").all()
    assert sheet["study_id"].iloc[0] == "scopus:2"  # studies.csv order kept


def test_vote_labels():
    votes = pd.DataFrame(
        {
            "study_id": ["a", "a", "b", "c", "d"],
            "decision": ["include", "exclude", "exclude", "maybe", "not_retrieved"],
        }
    )
    assert screening_sheet.vote_labels(votes).to_dict() == {"a": 1, "b": 0}


def test_simulation_finds_relevant_first_and_wss():
    """A separable toy corpus: the model must beat random order by a wide margin."""
    rng = np.random.default_rng(1)
    relevant = [f"personal budget inequality outcome study {i}" for i in range(10)]
    other = [
        f"{w} hospital surgery trial {i}"
        for i, w in enumerate(rng.choice(["cardiac", "renal", "dental"], 90))
    ]
    texts, labels = relevant + other, [1] * 10 + [0] * 90
    order = screening_sheet.simulate(texts, labels, step=5, seed=0)
    assert sorted(order) == list(range(100))
    curve = screening_sheet.recall_curve(order, labels)
    assert curve[-1] == 1.0
    assert curve[19] == 1.0  # all ten found within the first 20 screened
    assert screening_sheet.wss(order, labels, 0.95) > 0.7


def test_wss_definition():
    labels = [1, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    assert screening_sheet.wss(list(range(10)), labels, 1.0) == pytest.approx(0.8)
    assert screening_sheet.wss(list(range(10))[::-1], labels, 1.0) == pytest.approx(0.0)
