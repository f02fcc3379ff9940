"""Rayyan, Covidence and ASReview exports give the same PRISMA counts as the native files.

The fixtures in tests/data/screening/ are hand-made in each tool's export layout, with the
tools' own quirks: Rayyan's votes inside ``notes``, a multi-line abstract, DOIs as URLs,
titles with other punctuation/case, no DOI for some (title match), Covidence's
Yes/No/Maybe votes and our record id kept in ``Ref``, ASReview's one file per reviewer with
LAB 1 (``included``) and LAB 2 (``asreview_label``) columns and unlabelled rows.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from reviewflow import prisma, screening
from reviewflow.errors import ReviewflowError
from reviewflow.files import read_csv
from reviewflow.screening_formats import (
    StudyMatcher,
    csv_line_numbers,
    load_rayyan,
    parse_rayyan_notes,
)

DATA = Path(__file__).parent / "data" / "screening"


def run_stage(stage: str, fmt: str, decisions: list[Path], out: Path, previous=None):
    args = argparse.Namespace(
        stage=stage,
        decisions=decisions,
        resolutions=DATA / "resolutions.csv",
        links=DATA / "links.csv",
        studies=DATA / "studies.csv",
        config=out / "config.yaml",
        previous=previous,
        out=out / f"{stage}.csv",
        agreement=out / f"{stage}_agreement.json",
    )
    out.mkdir(parents=True, exist_ok=True)
    text = (DATA / "config.yaml").read_text().replace("format: native", f"format: {fmt}")
    (out / "config.yaml").write_text(text)
    screening.run(args)


def counts_for(tmp_path: Path, fmt: str, ta: list[Path], ft: list[Path], ft_fmt=None) -> dict:
    out = tmp_path / fmt
    run_stage("title_abstract", fmt, ta, out)
    run_stage("full_text", ft_fmt or fmt, ft, out, previous=out / "title_abstract.csv")
    counts, _ = prisma.build(
        prisma.load_records(DATA / "records.csv"),
        read_csv(DATA / "links.csv"),
        prisma.load_decisions(out / "title_abstract.csv"),
        prisma.load_decisions(out / "full_text.csv"),
    )
    return counts


@pytest.fixture(scope="module")
def native_counts(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("native")
    return counts_for(tmp, "native", [DATA / "title_abstract.csv"], [DATA / "full_text.csv"])


def test_native_counts_are_the_expected_ones(native_counts):
    assert native_counts["identified_total"] == 13
    assert native_counts["studies_included"] == 2


def test_rayyan_matches_native(tmp_path, native_counts):
    counts = counts_for(
        tmp_path,
        "rayyan",
        [DATA / "rayyan_title_abstract.csv"],
        [DATA / "rayyan_full_text.csv"],
    )
    assert counts == native_counts


def test_covidence_matches_native(tmp_path, native_counts):
    counts = counts_for(
        tmp_path,
        "covidence",
        [DATA / "covidence_title_abstract.csv"],
        [DATA / "covidence_full_text.csv"],
    )
    assert counts == native_counts


def test_asreview_matches_native(tmp_path, native_counts):
    counts = counts_for(
        tmp_path,
        "asreview",
        sorted((DATA / "asreview_title_abstract").glob("*.csv")),
        sorted((DATA / "asreview_full_text").glob("*.csv")),
    )
    assert counts == native_counts
    out = tmp_path / "asreview"
    ta = read_csv(out / "title_abstract.csv").set_index("study_id")
    assert ta.loc["scopus:1", "reviewers"] == "alice; bob"  # reviewer = file name
    ft = read_csv(out / "full_text.csv").set_index("study_id")
    # the reason is the note; "not retrieved" in the note is the not_retrieved decision
    assert ft.loc["scopus:4", "decision"] == "not_retrieved"
    assert ft.loc["citations:2", "reason"] == ""  # notes of includes are not reasons


def test_rayyan_notes_parsing():
    votes, reasons, note = parse_rayyan_notes(
        'RAYYAN-INCLUSION: {"Ann Lee"=>"Excluded", "Bo"=>"Maybe"} | RAYYAN-LABELS: a,b'
        " | RAYYAN-EXCLUSION-REASONS: wrong population,wrong intervention | check again"
    )
    assert votes == {"Ann Lee": "Excluded", "Bo": "Maybe"}
    assert reasons == ["wrong population", "wrong intervention"]
    assert note == "check again"


def test_line_numbers_follow_multiline_fields():
    # the first Rayyan article's abstract spans two lines, so the second starts on line 4
    assert csv_line_numbers(DATA / "rayyan_title_abstract.csv")[:2] == [2, 4]


def test_matcher_doi_url_and_title_punctuation():
    matcher = StudyMatcher(read_csv(DATA / "studies.csv"), read_csv(DATA / "links.csv"))
    assert matcher.match(doi="https://doi.org/10.1000/DP.2") == "scopus:2"
    assert matcher.match(title="TRIAL OF INDIVIDUAL BUDGETS IN MENTAL HEALTH SERVICES.") == (
        "isrctn:1"
    )
    assert matcher.match(ids=["731000"], doi="", title="Unknown paper") is None
    assert matcher.match(ids=["wos:3"]) == "wos:3"


def test_unmatched_export_row_names_file_and_line(tmp_path):
    path = tmp_path / "rayyan.csv"
    path.write_text(
        "key,title,notes,doi\n"
        '1,Personal budgets and inequality in adult social care,"RAYYAN-INCLUSION: '
        '{""a""=>""Included""}",10.1000/pb.1\n'
        '2,A paper we never found,"RAYYAN-INCLUSION: {""a""=>""Excluded""}",\n'
    )
    matcher = StudyMatcher(read_csv(DATA / "studies.csv"), read_csv(DATA / "links.csv"))
    with pytest.raises(ReviewflowError) as exc:
        load_rayyan(path, matcher)
    assert exc.value.line == 3
    assert "Rayyan article matches no study" in str(exc.value)


def test_asreview_label_values_checked(tmp_path):
    path = tmp_path / "ann.csv"
    path.write_text("title,included\nA cost model for domiciliary care,yes\n")
    with pytest.raises(ReviewflowError, match="ASReview label 'yes' in column included"):
        run_stage("title_abstract", "asreview", [path], tmp_path / "out")
