"""`reviewflow provenance`: what a build was made from, with no timestamps (issue 7)."""

from __future__ import annotations

import importlib.metadata as metadata
import json
import os
import platform
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from reviewflow import cli, manifest, provenance
from reviewflow.errors import ReviewflowError


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder outside git with two raw files, a manifest and a config."""
    root = tmp_path / "project"
    raw = root / "data" / "raw"
    (raw / "exports").mkdir(parents=True)
    (raw / "exports" / "a.ris").write_bytes(b"TY  - JOUR\nER  - \n")
    (raw / "searches.yaml").write_text("searches: []\n", encoding="utf-8")
    (root / "config").mkdir()
    (root / "config" / "config.yaml").write_text("review: {title: T}\n", encoding="utf-8")
    manifest.update(raw)
    monkeypatch.chdir(root)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    return root


def run_provenance(out: str = "data/processed/provenance.json", *extra: str) -> dict:
    argv = ["provenance", "--out", out, "--raw-dir", "data/raw", "--input", "config/config.yaml"]
    assert cli.main([*argv, *extra]) == 0
    return json.loads(Path(out).read_text(encoding="utf-8"))


def test_record_contents(project: Path) -> None:
    rec = run_provenance()
    raw = project / "data" / "raw"
    assert rec["inputs"]["raw"] == {
        "exports/a.ris": manifest.sha256_file(raw / "exports" / "a.ris"),
        "searches.yaml": manifest.sha256_file(raw / "searches.yaml"),
    }
    assert rec["inputs"]["manifest_sha256"] == manifest.sha256_file(raw / "MANIFEST.sha256")
    assert rec["inputs"]["other"] == {
        "config/config.yaml": manifest.sha256_file(project / "config" / "config.yaml")
    }
    assert rec["snakemake"] == metadata.version("snakemake")
    assert rec["python"]["version"] == platform.python_version()
    assert rec["packages"]["pandas"] == metadata.version("pandas")
    assert rec["packages"]["snakemake"] == metadata.version("snakemake")
    assert rec["packages"]["reviewflow"] == metadata.version("reviewflow")
    # Only run-time dependencies, not the dev tools.
    assert "pytest" not in rec["packages"] and "ruff" not in rec["packages"]
    assert rec["git"] == {"commit": "unknown", "dirty": "unknown"}


def test_renderer_is_quarto_or_pandoc_typst(project: Path) -> None:
    renderer = run_provenance()["renderer"]
    if shutil.which("quarto"):
        assert renderer["name"] == "quarto"
        assert re.fullmatch(r"\d+\.\d+.*", renderer["quarto"])
    else:
        import pypandoc

        assert renderer == {
            "name": "pandoc+typst",
            "pandoc": pypandoc.get_pandoc_version(),
            "typst": renderer["typst"],
        }
        assert re.match(r"\d+\.\d+", renderer["typst"])


def test_renderer_pandoc_when_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    assert provenance.renderer_info("pandoc")["name"] == "pandoc+typst"


def test_no_timestamps_or_absolute_paths(project: Path) -> None:
    run_provenance()
    text = (project / "data" / "processed" / "provenance.json").read_text(encoding="utf-8")
    assert str(project) not in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text)
    assert text.endswith("\n")
    # Sorted keys at every level.
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"


def test_byte_identical_in_two_locations(project: Path, tmp_path: Path) -> None:
    run_provenance()
    first = (project / "data" / "processed" / "provenance.json").read_bytes()
    other = tmp_path / "elsewhere" / "project"
    shutil.copytree(project, other)
    os.chdir(other)
    run_provenance()
    assert (other / "data" / "processed" / "provenance.json").read_bytes() == first


def test_manifest_option_and_missing_inputs(project: Path, capsys) -> None:
    verified = project / "data" / "processed" / "manifest" / "verified.sha256"
    verified.parent.mkdir(parents=True)
    verified.write_text(manifest.check("data/raw"), encoding="utf-8")
    rec = run_provenance("p.json", "--manifest", str(verified))
    assert set(rec["inputs"]["raw"]) == {"exports/a.ris", "searches.yaml"}

    argv = ["provenance", "--out", "q.json", "--raw-dir", "data/raw", "--input", "nope.yaml"]
    assert cli.main(argv) == 1
    assert "reviewflow: error: nope.yaml: input file not found" in capsys.readouterr().err
    assert not Path("q.json").exists()


def test_missing_manifest_is_a_clear_error(project: Path) -> None:
    (project / "data" / "raw" / "MANIFEST.sha256").unlink()
    with pytest.raises(ReviewflowError, match="manifest not found"):
        provenance.build(Path("data/raw"))


def git_commit_all(project: Path) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    for cmd in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "x"]):
        subprocess.run(["git", *cmd], cwd=project, env=env, check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_git_commit_recorded_inside_a_repository(project: Path) -> None:
    git_commit_all(project)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert provenance.git_info() == {"commit": head, "dirty": False}
    (project / "config" / "config.yaml").write_text("review: {title: U}\n", encoding="utf-8")
    assert provenance.git_info() == {"commit": head, "dirty": True}


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_git_stamp_changes_only_with_the_git_state(project: Path) -> None:
    """An uncommitted edit to any tracked file (here a notebook) makes the build dirty; the
    stamp the provenance rule takes as input is rewritten then, and only then."""
    notebook = project / "notebooks" / "synthesis.ipynb"
    notebook.parent.mkdir()
    notebook.write_text('{"cells": []}\n', encoding="utf-8")
    git_commit_all(project)
    stamp = project / "data" / "processed" / "manifest" / "git.json"
    assert provenance.refresh_git_stamp(stamp)["dirty"] is False
    before = stamp.stat().st_mtime_ns
    provenance.refresh_git_stamp(stamp)
    assert stamp.stat().st_mtime_ns == before
    notebook.write_text('{"cells": [], "x": 1}\n', encoding="utf-8")
    assert provenance.refresh_git_stamp(stamp)["dirty"] is True
    assert json.loads(stamp.read_text(encoding="utf-8"))["dirty"] is True


def test_key_packages_are_the_declared_runtime_dependencies() -> None:
    names = provenance.key_packages()
    for expected in ("pandas", "snakemake", "rispy", "papermill", "typst", "reviewflow"):
        assert expected in names
    assert names == sorted(names)
    assert "hypothesis" not in names


@pytest.mark.slow
def test_supplement_prints_the_build_provenance(tmp_path_factory) -> None:
    """Every value of provenance.json appears in the rendered manuscript (HTML and PDF)."""
    from test_offline import build_once

    build = build_once("guard", tmp_path_factory)
    build.assert_succeeded()
    rec = json.loads((build.project / "data/processed/provenance.json").read_text("utf-8"))
    html = (build.project / "manuscript/_output/index.html").read_text(encoding="utf-8")
    values = [
        rec["snakemake"],
        rec["python"]["version"],
        rec["inputs"]["manifest_sha256"],
        *rec["inputs"]["raw"].values(),
        *rec["packages"].values(),
        *(v for k, v in rec["renderer"].items() if k != "name"),
    ]
    missing = [v for v in values if str(v) not in html]
    assert missing == []
    if shutil.which("pdftotext"):
        pdf = subprocess.run(
            ["pdftotext", str(build.project / "manuscript/_output/index.pdf"), "-"],
            capture_output=True,
            text=True,
        ).stdout
        # Typst breaks long hashes with zero-width spaces.
        assert rec["inputs"]["manifest_sha256"] in pdf.replace("\u200b", "")
