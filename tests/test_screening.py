"""Screening stages 3 and 4 on the hand-made fixture review in tests/data/screening/.

The fixture: 13 records (Scopus 5, Web of Science 4, ISRCTN 1, citation searching 3) in 9
studies; two reviewers (alice, bob) with a conflict at each stage resolved by carol.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from reviewflow import prisma
from reviewflow.errors import ReviewflowError
from reviewflow.files import read_csv
from reviewflow.screening import decisions as screening
from reviewflow.screening import sheet as screening_sheet
from reviewflow.screening.formats import load_decisions
from reviewflow.screening.tables import read_table

DATA = Path(__file__).parent / "data" / "screening"


def run_cli(*argv: str) -> None:
    """Run one of this area's sub-commands as `reviewflow` would (errors propagate)."""
    parser = argparse.ArgumentParser(prog="reviewflow")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (screening, screening_sheet, prisma):
        module.register(sub)
    args = parser.parse_args([str(a) for a in argv])
    args.func(args)


def screen_args(stage: str, decisions, out: Path, *, data: Path = DATA, previous=None):
    argv = ["screen", "--stage", stage, "--decisions", *map(str, decisions)]
    argv += ["--resolutions", data / "resolutions.csv", "--links", data / "links.csv"]
    argv += ["--studies", data / "studies.csv", "--config", data / "config.yaml"]
    argv += ["--out", out / f"{stage}.csv", "--agreement", out / f"{stage}_agreement.json"]
    if previous is not None:
        argv += ["--previous", previous]
    return argv


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A writable copy of the fixture folder, for tests that edit inputs."""
    dest = tmp_path / "data"
    shutil.copytree(DATA, dest)
    return dest


def screen_both(tmp_path: Path, data: Path = DATA) -> Path:
    out = tmp_path / "out"
    run_cli(*screen_args("title_abstract", [data / "title_abstract.csv"], out, data=data))
    run_cli(
        *screen_args(
            "full_text",
            [data / "full_text.csv"],
            out,
            data=data,
            previous=out / "title_abstract.csv",
        )
    )
    return out


def test_title_abstract_final_decisions(tmp_path):
    out = screen_both(tmp_path)
    ta = read_csv(out / "title_abstract.csv")
    assert list(ta.columns) == screening.OUTPUT_COLUMNS
    # studies.csv order, one row per study
    assert list(ta["study_id"]) == [
        "scopus:1",
        "scopus:2",
        "scopus:3",
        "scopus:4",
        "scopus:5",
        "wos:4",
        "isrctn:1",
        "citations:2",
        "citations:3",
    ]
    row = ta.set_index("study_id")
    assert row.loc["scopus:1", "decision"] == "include"
    # alice's repeated vote under another record id collapsed into one
    assert row.loc["scopus:1", "reviewers"] == "alice; bob"
    assert row.loc["scopus:1", "conflict"] == "false"
    # conflict voted under wos:2 (a member record) resolved by carol
    assert tuple(row.loc["scopus:2", ["decision", "conflict", "resolved_by"]]) == (
        "include",
        "true",
        "carol",
    )
    # maybe + include is a conflict; resolved
    assert row.loc["scopus:4", "resolved_by"] == "carol"
    assert row.loc["wos:4", "reviewers"] == "alice"  # single-screened, unanimous
    assert (ta["decision"] == "include").sum() == 6


def test_full_text_decisions_and_reasons(tmp_path):
    out = screen_both(tmp_path)
    ft = read_csv(out / "full_text.csv").set_index("study_id")
    assert list(ft.index) == [
        "scopus:1",
        "scopus:2",
        "scopus:4",
        "wos:4",
        "citations:2",
        "citations:3",
    ]
    assert ft.loc["scopus:2", "reason"] == "wrong population"
    assert ft.loc["scopus:4", "decision"] == "not_retrieved"
    # reviewers both excluded but with different reasons: a conflict, resolution's reason wins
    assert tuple(ft.loc["wos:4", ["decision", "reason", "conflict"]]) == (
        "exclude",
        "wrong intervention",
        "true",
    )


def test_agreement_statistics(tmp_path):
    out = screen_both(tmp_path)
    ta = json.loads((out / "title_abstract_agreement.json").read_text())
    # 8 double-screened studies; alice/bob disagree on scopus:2 and scopus:4 (maybe vs include)
    assert ta["studies_double_screened"] == 8
    assert ta["studies_single_screened"] == 1
    assert ta["studies_agreed"] == 6
    assert ta["percent_agreement"] == 75.0
    # alice: include 4, exclude 3, maybe 1; bob: include 4, exclude 4 -> pe = 28/64
    assert ta["cohens_kappa"] == pytest.approx((0.75 - 28 / 64) / (1 - 28 / 64), abs=1e-4)
    assert ta["conflicts"] == 2
    assert ta["conflicts_resolved_to"] == {"include": 2}
    assert ta["conflicts_resolved_by"] == {"carol": 2}
    ft = json.loads((out / "full_text_agreement.json").read_text())
    assert ft["conflicts"] == 1  # same decision, different reasons
    assert ft["percent_agreement"] == 100.0
    assert ft["cohens_kappa"] == 1.0


def test_outputs_are_byte_identical(tmp_path):
    a = screen_both(tmp_path / "a")
    b = screen_both(tmp_path / "b")
    for name in ("title_abstract.csv", "full_text.csv", "title_abstract_agreement.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes()


# --- validation: each error and its message ------------------------------------------------


def append(path: Path, line: str) -> int:
    """Append a CSV line; return its line number."""
    text = path.read_text()
    path.write_text(text + line + "\n")
    return len(text.splitlines()) + 1


def ta_error(work: Path, tmp_path: Path) -> ReviewflowError:
    with pytest.raises(ReviewflowError) as exc:
        run_cli(*screen_args("title_abstract", [work / "title_abstract.csv"], tmp_path, data=work))
    return exc.value


def test_unknown_id(work, tmp_path):
    line = append(work / "title_abstract.csv", "embase:7,alice,include,,")
    err = ta_error(work, tmp_path)
    assert err.path.endswith("title_abstract.csv") and err.line == line
    assert "title/abstract decision for unknown id 'embase:7'" in str(err)


def test_unknown_decision_value(work, tmp_path):
    line = append(work / "title_abstract.csv", "scopus:3,carol,reject,,")
    err = ta_error(work, tmp_path)
    assert err.line == line
    assert "unknown title/abstract decision 'reject'; expected one of include, exclude, maybe" in (
        str(err)
    )


def test_not_retrieved_is_not_a_title_abstract_decision(work, tmp_path):
    append(work / "title_abstract.csv", "scopus:3,carol,not_retrieved,,")
    assert "unknown title/abstract decision 'not_retrieved'" in str(ta_error(work, tmp_path))


def test_missing_column(work, tmp_path):
    (work / "title_abstract.csv").write_text("id,decision\nscopus:1,include\n")
    err = ta_error(work, tmp_path)
    assert err.line == 1 and err.path.endswith("title_abstract.csv")
    assert "missing column(s) reviewer; expected id, reviewer, decision" in str(err)


def test_one_reviewer_two_decisions(work, tmp_path):
    line = append(work / "title_abstract.csv", "wos:1,bob,exclude,,")  # bob included scopus:1
    err = ta_error(work, tmp_path)
    assert "reviewer 'bob' gave study scopus:1 different decisions" in str(err)
    assert f"exclude at line {line}" in str(err)


def test_two_different_final_decisions(work, tmp_path):
    line = append(work / "resolutions.csv", "title_abstract,scopus:2,exclude,,dave,")
    err = ta_error(work, tmp_path)
    assert err.path.endswith("resolutions.csv") and err.line == line
    assert "two different final title/abstract decisions for study scopus:2" in str(err)


def test_missing_decision_writes_pending_and_stops(work, tmp_path):
    lines = (work / "title_abstract.csv").read_text().splitlines()
    kept = [x for x in lines if not x.startswith(("isrctn:1", "citations:3,bob"))]
    (work / "title_abstract.csv").write_text("\n".join(kept) + "\n")
    # and an unresolved conflict
    res = (work / "resolutions.csv").read_text().splitlines()
    (work / "resolutions.csv").write_text(
        "\n".join(x for x in res if not x.startswith("title_abstract,scopus:4")) + "\n"
    )
    err = ta_error(work, tmp_path)
    pending = tmp_path / "pending_title_abstract.csv"
    assert f"reviewers' work list written to {pending}" in str(err)
    assert "2 studies have no final title/abstract decision (1 conflict, 1 no decision)" in str(err)
    assert not (tmp_path / "title_abstract.csv").exists()
    sheet = read_csv(pending)
    assert list(sheet["study_id"]) == ["scopus:4", "isrctn:1"]
    assert list(sheet["status"]) == ["conflict", "no_decision"]
    assert sheet.loc[0, "votes"] == "alice: maybe; bob: include"
    assert sheet.loc[1, "title"] == "Trial of individual budgets in mental health services"
    # citations:3 still has alice's include: single-screened, decided, not pending


def test_maybe_without_resolution_is_pending(work, tmp_path):
    path = work / "title_abstract.csv"
    path.write_text(path.read_text().replace("wos:4,alice,include", "wos:4,alice,maybe"))
    err = ta_error(work, tmp_path)
    assert "1 study has no final title/abstract decision (1 maybe)" in str(err)


def test_exclusion_reason_not_in_list(work, tmp_path):
    line = append(work / "full_text.csv", "scopus:1,carol,exclude,too old,")
    with pytest.raises(ReviewflowError) as exc:
        screen_both(tmp_path, data=work)
    assert exc.value.line == line
    assert "exclusion reason 'too old' is not in config screening.exclusion_reasons" in str(
        exc.value
    )


def test_full_text_exclusion_needs_reason(work, tmp_path):
    append(work / "full_text.csv", "scopus:1,carol,exclude,,")
    with pytest.raises(ReviewflowError, match="full-text exclusion without a reason"):
        screen_both(tmp_path, data=work)


def test_full_text_decision_for_excluded_study(work, tmp_path):
    line = append(work / "full_text.csv", "wos:3,alice,include,,")  # scopus:5 was excluded
    with pytest.raises(ReviewflowError) as exc:
        screen_both(tmp_path, data=work)
    assert exc.value.line == line
    assert "full-text decision for study scopus:5, which was excluded at title/abstract" in str(
        exc.value
    )


def test_pending_file_removed_once_complete(work, tmp_path):
    stale = tmp_path / "pending_title_abstract.csv"
    stale.write_text("old\n")
    run_cli(*screen_args("title_abstract", [work / "title_abstract.csv"], tmp_path, data=work))
    assert not stale.exists()


def test_config_format_checked(work, tmp_path):
    (work / "config.yaml").write_text("screening:\n  format: excel\n  exclusion_reasons: []\n")
    with pytest.raises(ReviewflowError, match="screening.format is 'excel'"):
        ta_error_run = screen_args("title_abstract", [work / "title_abstract.csv"], tmp_path)
        ta_error_run[ta_error_run.index("--config") + 1] = work / "config.yaml"
        run_cli(*ta_error_run)


def test_pick_reason_uses_config_priority():
    allowed = ["wrong population", "wrong intervention"]
    assert screening.pick_reason("wrong intervention; wrong population", allowed) == (
        "wrong population"
    )
    assert screening.pick_reason("wrong intervention; other", allowed) is None


def test_kappa_undefined_when_all_votes_equal():
    votes = pd.DataFrame(
        {
            "study_id": ["a", "a", "b", "b"],
            "reviewer": ["x", "y", "x", "y"],
            "decision": ["include"] * 4,
        }
    )
    decided = pd.DataFrame(
        {
            "study_id": ["a", "b"],
            "decision": ["include"] * 2,
            "conflict": ["false"] * 2,
            "resolved_by": ["", ""],
        }
    )
    stats = screening.agreement(votes, decided, "title_abstract")
    assert stats["percent_agreement"] == 100.0
    assert stats["cohens_kappa"] is None


def test_error_lines_count_blank_lines(work, tmp_path):
    path = work / "title_abstract.csv"
    path.write_text("id,reviewer,decision\n\nscopus:1,alice,include\n\nnope:1,alice,include\n")
    err = ta_error(work, tmp_path)
    assert err.line == 5 and "unknown id 'nope:1'" in str(err)


# --- issue 10 and 13: missing files, sheets as decisions, hostile cells ---------------------


def test_no_decision_file_means_nothing_decided_yet(tmp_path):
    """No file is "nothing decided yet": the unresolved studies pending, a named error."""
    with pytest.raises(ReviewflowError) as exc:
        run_cli(*screen_args("title_abstract", [], tmp_path))
    message = str(exc.value)
    assert "7 studies have no final title/abstract decision (7 no decision)" in message
    assert "No title/abstract decision files yet: put them in" in message
    assert "data/raw/screening/title_abstract/" in message
    assert len(read_csv(tmp_path / "pending_title_abstract.csv")) == 7  # 2 resolved


def test_pending_list_neutralises_formulas(tmp_path):
    with pytest.raises(ReviewflowError):
        run_cli(*screen_args("title_abstract", [], tmp_path))
    pending = read_csv(tmp_path / "pending_title_abstract.csv").set_index("study_id")
    # citations:3's abstract is =HYPERLINK(...) in studies.csv
    assert pending.loc["citations:3", "abstract"].startswith("'=HYPERLINK(")


def fill_sheet(sheet: pd.DataFrame, decisions: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """A reviewer's filled sheet: (reviewer, decision) typed into some rows."""
    sheet = sheet.copy()
    for study, (reviewer, decision) in decisions.items():
        sheet.loc[sheet["study_id"] == study, ["reviewer", "decision"]] = [reviewer, decision]
    return sheet


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_filled_screening_sheet_is_read_as_decisions(tmp_path, suffix):
    partial = tmp_path / "votes.csv"
    lines = (DATA / "title_abstract.csv").read_text().splitlines()
    partial.write_text("\n".join(lines[:8]) + "\n")  # scopus:1..3 decided, the rest pending
    run_cli(
        *["screening-sheet", "--stage", "title_abstract", "--decisions", partial],
        *["--links", DATA / "links.csv", "--studies", DATA / "studies.csv"],
        *["--config", DATA / "config.yaml", "--out-dir", tmp_path],
    )
    sheet = read_csv(tmp_path / "screening_sheet_title_abstract.csv")
    picked = list(sheet["study_id"])[-2:]  # two pending studies, in sheet order
    filled = fill_sheet(sheet, {study: ("carol", "exclude") for study in picked})
    path = tmp_path / f"filled{suffix}"
    if suffix == ".xlsx":
        path.write_bytes(screening_sheet.xlsx_bytes(filled, "title_abstract"))
    else:
        filled.to_csv(path, index=False)
    votes = load_decisions([path], "native", resolver=None, stage="title_abstract")
    assert list(zip(votes["id"], votes["reviewer"], votes["decision"], strict=True)) == [
        (study, "carol", "exclude") for study in picked
    ]
    # each vote keeps its row's line in the sheet, for errors
    assert list(votes["line"]) == [len(sheet), len(sheet) + 1]


def test_whitespace_only_line_does_not_shift_line_numbers(work, tmp_path):
    path = work / "title_abstract.csv"
    path.write_text("id,reviewer,decision\n   \nscopus:1,alice,include\n , ,\nnope:1,alice,x\n")
    err = ta_error(work, tmp_path)
    assert err.line == 5


def test_200_kb_note_is_just_a_long_note(work, tmp_path):
    path = work / "title_abstract.csv"
    append(path, f'scopus:5,carol,exclude,,"{"long note " * 20_000}"')
    run_cli(*screen_args("title_abstract", [path], tmp_path, data=work))
    assert (
        "carol"
        in read_csv(tmp_path / "title_abstract.csv")
        .set_index("study_id")
        .loc["scopus:5", "reviewers"]
    )


def test_doi_names_a_study(work, tmp_path):
    append(work / "title_abstract.csv", "doi:https://doi.org/10.1000/CM.5.,carol,exclude,,")
    run_cli(*screen_args("title_abstract", [work / "title_abstract.csv"], tmp_path, data=work))
    row = read_csv(tmp_path / "title_abstract.csv").set_index("study_id").loc["scopus:5"]
    assert row["reviewers"] == "alice; bob; carol"


def test_format_per_stage(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(
        (DATA / "config.yaml")
        .read_text()
        .replace("format: native", "format: {title_abstract: asreview, full_text: covidence}")
    )
    assert screening.load_screening_config(config, "title_abstract")[0] == "asreview"
    assert screening.load_screening_config(config, "full_text")[0] == "covidence"
    assert screening.stage_format("rayyan", "full_text") == "rayyan"
    assert screening.stage_format({"title_abstract": "rayyan"}, "full_text") == "native"
    with pytest.raises(ReviewflowError, match="screening.format is 'excel' for full_text"):
        screening.stage_format({"full_text": "excel"}, "full_text")


def test_unsupported_file_type_is_named(tmp_path):
    path = tmp_path / "decisions.docx"
    path.write_text("x")
    with pytest.raises(ReviewflowError, match=r"not a native decision file \(\.docx\)"):
        run_cli(*screen_args("title_abstract", [path], tmp_path))


def test_format_and_reasons_as_arguments(tmp_path):
    """How the rule passes config values (params), without config.yaml."""
    argv = screen_args("full_text", [DATA / "full_text.csv"], tmp_path, previous=None)
    at = argv.index("--config")
    del argv[at : at + 2]
    run_cli(*screen_args("title_abstract", [DATA / "title_abstract.csv"], tmp_path))
    argv += ["--previous", tmp_path / "title_abstract.csv", "--format", "native"]
    with pytest.raises(ReviewflowError, match="is not in config screening.exclusion_reasons"):
        run_cli(*argv, "--exclusion-reasons", "wrong population")
    run_cli(
        *argv,
        "--exclusion-reasons",
        *screening.load_screening_config(DATA / "config.yaml", "full_text")[1],
    )
    assert len(read_csv(tmp_path / "full_text.csv")) == 6


def test_table_reader_trims_empty_trailing_columns(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["id", "reviewer", "decision", None, None])
    sheet.append(["scopus:1", "alice", "include", None, ""])
    sheet.append(["scopus:2", "alice", "exclude", None, "stray"])
    book.save(tmp_path / "votes.xlsx")
    with pytest.raises(ReviewflowError) as exc:
        read_table(tmp_path / "votes.xlsx")
    assert exc.value.line == 3 and "header has 3 columns" in str(exc.value)
    (tmp_path / "votes.csv").write_text("id,reviewer,decision,,\nscopus:1,alice,include,,\n")
    assert list(read_table(tmp_path / "votes.csv").columns) == [
        "id",
        "reviewer",
        "decision",
        "line",
        "path",
    ]
