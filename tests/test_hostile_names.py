"""No command is ever built from data: file names holding `$()`, backticks, quotes, spaces and
newlines build the fixture review as plain names, and nothing they spell runs (issue 13).

Every placeholder in a rule's shell command is quoted (tests/test_lint.py checks the rule
files); this builds a review end to end with such names, in a project folder that has one too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import copy_workflow, run_snakemake

from reviewflow import manifest

pytestmark = pytest.mark.slow

# Each would create a file named PWNED* if it ever reached a shell unquoted.
HOSTILE = "x $(touch PWNED1) `touch PWNED2` 'q\" ;touch PWNED3;\nline two"


def rename_export(raw: Path, search_id: str, new_name: str) -> None:
    """Rename one search's export and point the search log at the new name."""
    log_path = raw / "searches.yaml"
    log = yaml.safe_load(log_path.read_text(encoding="utf-8"))
    search = next(s for s in log["searches"] if s["id"] == search_id)
    target = raw / "exports" / new_name
    (raw / search["file"]).rename(target)
    search["file"] = target.relative_to(raw).as_posix()
    log_path.write_text(yaml.safe_dump(log, sort_keys=False), encoding="utf-8")


def test_hostile_file_and_folder_names_build_and_run_nothing(tmp_path: Path) -> None:
    root = tmp_path / "a $(touch PWNED0) `touch PWNEDB` 'q\" ;touch PWNEDC;"
    project = copy_workflow(root / "project")
    raw = project / "data" / "raw"
    rename_export(raw, "scopus", HOSTILE + ".ris")
    rename_export(raw, "wos", "-rf --help " + HOSTILE + ".txt")  # a leading dash, too
    (raw / "extra $(touch PWNED4) `touch PWNED5`.txt").write_text("notes\n", encoding="utf-8")
    manifest.update(raw)

    proc = run_snakemake(project, check=False)
    pwned = sorted(p.name for p in tmp_path.rglob("PWNED*"))
    assert pwned == [], f"a file name ran as a command: {pwned}"
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (project / "manuscript" / "_output" / "index.html").is_file()
    records = (project / "data" / "processed" / "records" / "records.csv").read_text("utf-8")
    assert "touch PWNED1" in records  # the name is data: kept verbatim as the record's source


def test_hostile_asreview_export_name_runs_nothing(tmp_path: Path) -> None:
    """The probe's case: an ASReview export named `x$(touch PWNED).csv`."""
    project = copy_workflow(tmp_path / "project")
    config = project / "config" / "config.yaml"
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings["screening"]["format"] = "asreview"
    config.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    folder = project / "data" / "raw" / "screening" / "title_abstract"
    folder.mkdir()
    (folder / "x$(touch PWNED).csv").write_text("title,asreview_label\nT,1\n", encoding="utf-8")
    manifest.update(project / "data" / "raw")

    target = "data/processed/screening/title_abstract.csv"
    proc = run_snakemake(project, target, check=False)
    assert sorted(p.name for p in tmp_path.rglob("PWNED*")) == []
    assert proc.returncode == 0 or "reviewflow: error:" in proc.stderr, proc.stderr[-3000:]
