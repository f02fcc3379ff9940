"""`reviewflow --log FILE`: the one way every rule logs (issue 13, issue 10). The whole log
goes to the file; warnings and errors also to stderr, so Snakemake's console shows them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import copy_workflow, run_snakemake

from reviewflow import manifest


def reviewflow(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "reviewflow", *args], cwd=cwd, capture_output=True, text=True
    )


def test_log_file_has_everything_and_stderr_the_errors(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("a\n", encoding="utf-8")
    ok = reviewflow("--log", "logs/update.log", "manifest", "--update", "--raw-dir", "raw",
                    cwd=tmp_path)  # fmt: skip
    assert ok.returncode == 0 and ok.stderr == ""  # progress goes to the file only
    assert "wrote raw/MANIFEST.sha256" in (tmp_path / "logs" / "update.log").read_text("utf-8")

    (raw / "a.txt").write_text("changed\n", encoding="utf-8")
    bad = reviewflow("--log", "check.log", "manifest", "--check", "--raw-dir", "raw",
                     cwd=tmp_path)  # fmt: skip
    assert bad.returncode == 1
    assert bad.stderr.startswith("reviewflow: error: raw/MANIFEST.sha256: raw inputs differ")
    assert "Traceback" not in bad.stderr
    logged = (tmp_path / "check.log").read_text(encoding="utf-8")
    assert "hashing 1 raw file(s)" in logged and "reviewflow: error: raw/MANIFEST" in logged


@pytest.mark.slow
def test_a_failing_rule_shows_its_error_on_the_console(tmp_path: Path) -> None:
    """import_records once wrote its error only to its log; now the console shows it too."""
    project = copy_workflow(tmp_path / "project")
    export = project / "data" / "raw" / "exports" / "scopus.ris"
    with open(export, "a", encoding="utf-8") as fh:
        fh.write("TY  - JOUR\nTI  - A record that is never closed\n")
    manifest.update(project / "data" / "raw")
    proc = run_snakemake(project, "data/processed/records/records.csv", check=False)
    assert proc.returncode != 0
    error = next(line for line in proc.stderr.splitlines() if "reviewflow: error:" in line)
    assert "scopus.ris" in error
    assert error.strip() in (project / "logs" / "import_records.log").read_text("utf-8")


def test_each_command_is_registered_by_the_module_named_for_it():
    """A run imports only its command's module (cli.COMMANDS), so the table must be right."""
    from reviewflow import cli

    def commands(parser) -> list[str]:
        sub = next(a for a in parser._actions if a.dest == "command")
        return list(sub.choices)

    assert commands(cli.build_parser()) == list(cli.COMMANDS)
    for name in cli.COMMANDS:
        assert commands(cli.build_parser(name)) == [name]
