"""The whole workflow on the tiny fixture review, as a user would run it.

Issue 2's "done when": `snakemake -n` lists every stage, a full build writes the paper, a
second build runs nothing, and editing one screening decision re-runs only what depends on it
and changes the number in the manuscript.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import copy_built, copy_workflow, run_snakemake

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("workflow")]

STAGES = [
    "verify_manifest",
    "import_records",
    "deduplicate",
    "screen",
    "prisma",
    "extraction",
    "synthesis",
    "manuscript_results",
    "render_manuscript",
    "export_library",
    "provenance",
]


def jobs_by_rule(workdir: Path, *args: str) -> dict[str, int]:
    """The rules a dry run would execute, with their number of jobs."""
    out = run_snakemake(workdir, "-n", "--quiet", "rules", *args).stdout
    found = {rule: re.search(rf"^\s*{rule}\s+(\d+)", out, re.M) for rule in STAGES}
    return {rule: int(m.group(1)) for rule, m in found.items() if m}


def jobs_planned(workdir: Path, *args: str) -> set[str]:
    """The rules a dry run would execute."""
    return set(jobs_by_rule(workdir, *args))


@pytest.fixture(scope="module")
def built(built_review: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_built(built_review, tmp_path_factory.mktemp("workflow"))


def test_dry_run_lists_every_stage(tmp_path: Path) -> None:
    project = copy_workflow(tmp_path / "project")
    assert jobs_planned(project) == set(STAGES)


def test_build_writes_paper_and_processed_data(built: Path) -> None:
    out = built / "manuscript" / "_output"
    html = (out / "index.html").read_text(encoding="utf-8")
    assert (out / "index.pdf").read_bytes().startswith(b"%PDF")
    for leftover in ("??", "{{<", "@fig-", "@tbl-"):
        assert leftover not in html
    processed = built / "data" / "processed"
    for name in (
        "records/records.csv",
        "dedup/links.csv",
        "screening/full_text.csv",
        "prisma/counts.json",
        "prisma/flow.svg",
        "notebooks/extraction.ipynb",
        "notebooks/synthesis.ipynb",
        "synthesis/published.json",
        "synthesis/characteristics_by_study.csv",
        "library/library.ris",
        "provenance.json",
    ):
        assert (processed / name).is_file(), name


def test_second_build_runs_nothing(built: Path) -> None:
    assert jobs_planned(built) == set()


def test_editing_a_decision_reruns_only_downstream(built: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(built, project, symlinks=True)
    decisions = project / "data" / "raw" / "screening" / "full_text.csv"
    # Both reviewers now give Spicker (scopus:4) a different exclusion reason.
    text = decisions.read_text(encoding="utf-8")
    for reviewer in ("R1", "R2"):
        text = text.replace(
            f"scopus:4,{reviewer},exclude,no empirical data,",
            f"scopus:4,{reviewer},exclude,not a personalisation scheme,",
        )
    decisions.write_text(text, encoding="utf-8")
    # The raw manifest guards the inputs: a user records a deliberate edit like this.
    from reviewflow.cli import main

    assert main(["manifest", "--update", "--raw-dir", str(project / "data" / "raw")]) == 0
    planned = jobs_by_rule(project)
    assert {"screen", "prisma", "render_manuscript"} <= set(planned)
    assert planned["screen"] == 1  # full text only: title/abstract did not change
    assert not set(planned) & {"import_records", "deduplicate"}

    before = (built / "manuscript" / "_output" / "index.html").read_text(encoding="utf-8")
    run_snakemake(project)
    after = (project / "manuscript" / "_output" / "index.html").read_text(encoding="utf-8")
    assert "not a personalisation scheme" not in before
    assert "not a personalisation scheme" in after


def test_report_holds_prisma_and_synthesis_figures(built: Path) -> None:
    run_snakemake(built, "--report", "report.html")
    report = (built / "report.html").read_text(encoding="utf-8")
    for figure in ("flow.svg", "evidence_map.svg", "study_characteristics.svg"):
        assert figure in report


def test_editing_a_coded_value_changes_the_evidence_map(built: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(built, project, symlinks=True)
    sheet = project / "data" / "raw" / "extraction" / "extraction.csv"
    text = sheet.read_text(encoding="utf-8")
    assert ",education; employment," in text  # Netten et al. (2012)
    sheet.write_text(
        text.replace(",education; employment,", ",education; employment; household income,"),
        encoding="utf-8",
    )
    from reviewflow.cli import main

    assert main(["manifest", "--update", "--raw-dir", str(project / "data" / "raw")]) == 0
    run_snakemake(project)

    def outputs(root: Path) -> tuple[str, str, bytes]:
        synthesis = root / "data" / "processed" / "synthesis"
        return (
            (root / "manuscript" / "_output" / "index.html").read_text(encoding="utf-8"),
            (synthesis / "evidence_map.csv").read_text(encoding="utf-8"),
            (synthesis / "evidence_map.svg").read_bytes(),
        )

    html_before, map_before, svg_before = outputs(built)
    html_after, map_after, svg_after = outputs(project)
    row = next(line for line in map_after.splitlines() if "household income" in line)
    assert row != next(line for line in map_before.splitlines() if "household income" in line)
    assert svg_after != svg_before
    assert html_after != html_before  # the figure is embedded in the paper


def test_paper_reads_as_written_and_follows_prisma_2020(built: Path) -> None:
    """Issue 15: no "(s)", "0 row" or "N of the N" in the PDF, every PRISMA 2020 box drawn,
    and the fixture's constructed inputs disclosed."""
    from paper_checks import check_paper_text, pdf_text

    from reviewflow.disclosure import check_disclosed, read_classes

    text = pdf_text(built / "manuscript" / "_output" / "index.pdf")
    check_paper_text(text, other_methods=True)
    check_disclosed(text, read_classes(built / "data" / "raw"))
