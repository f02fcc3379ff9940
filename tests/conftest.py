"""Shared test fixtures.

`shared_dir` points at the third-party data beside the repository (`../shared`); tests that
use it skip cleanly on machines that do not have it (users' machines).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reviewflow.files import read_yaml

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def repo_dir() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is absent (third-party test data lives there only in CI)")
    return SHARED


def review_of(config: dict) -> dict:
    """What the manuscript_results rule passes as --review: the review section and draft."""
    return {**config["review"], "draft": config.get("manuscript", {}).get("draft", False)}


def results_args(root: Path, out_dir: Path) -> argparse.Namespace:
    """`reviewflow results` arguments for a project laid out like the repository."""
    d = root / "data" / "processed"
    return argparse.Namespace(
        review=json.dumps(
            review_of(read_yaml(REPO / "tests" / "data" / "manuscript" / "config.yaml"))
        ),
        search_log=str(root / "data" / "raw" / "searches.yaml"),
        records=str(d / "records" / "records.csv"),
        studies=str(d / "dedup" / "studies.csv"),
        links=str(d / "dedup" / "links.csv"),
        dedup_report=str(d / "dedup" / "dedup_report.json"),
        provenance_classes=str(root / "data" / "raw" / "provenance_classes.yaml"),
        prisma=str(d / "prisma" / "counts.json"),
        screening_dir=str(d / "screening"),
        published=[str(d / "synthesis" / "published.json")],
        companion_reasons=[],
        out_dir=str(out_dir),
    )


# --- Whole-workflow runs on the tiny fixture review ---------------------------------------
# A review holds only its own files; the engine's workflow runs in it (Snakemake's
# --snakefile). The fixture is a blank review (`reviewflow new`) with the fixture's data and
# config laid over it, exactly as a teaching lab starts its own.


FIXTURE_REVIEW = REPO / "tests" / "fixtures" / "review"
ENGINE_SNAKEFILE = REPO / "Snakefile"
REVIEW_PARTS = ["config", "data", "notebooks", "manuscript"]


def copy_workflow(dest: Path, review: Path = FIXTURE_REVIEW) -> Path:
    """Lay out a runnable review in ``dest``: a new review with ``review``'s parts over it."""
    from reviewflow.new import create

    create(dest, title="fixture")
    for part in REVIEW_PARTS:
        if (review / part).is_dir():
            shutil.rmtree(dest / part)
            shutil.copytree(review / part, dest / part)
    return dest


def run_snakemake(
    workdir: Path, *args: str, env: dict | None = None, check: bool = True
) -> subprocess.CompletedProcess:
    """Run Snakemake in ``workdir`` with the test interpreter's environment: the engine's
    workflow, unless the folder has a Snakefile of its own or ``args`` name one."""
    bindir = str(Path(sys.executable).parent)
    full_env = {**os.environ, **(env or {})}
    full_env["PATH"] = bindir + ":" + full_env.get("PATH", "")
    own = (workdir / "Snakefile").exists() or {"-s", "--snakefile"} & set(args)
    engine = [] if own else ["--snakefile", str(ENGINE_SNAKEFILE)]
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", *engine, "--cores", "2", *args],
        cwd=workdir,
        env=full_env,
        capture_output=True,
        text=True,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def built_review(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture review built once for the whole session, and once for all pytest-xdist
    workers (the first builds it under a lock; the others wait and reuse it). Read it, never
    write to it: a test that edits or re-runs takes ``copy_built(built_review, tmp_path)``."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's folder, above each worker's own
    done = shared / "built-review" / "done"
    project = shared / "built-review" / "project"
    done.parent.mkdir(exist_ok=True)
    with open(shared / "built-review.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(project, ignore_errors=True)
            run_snakemake(copy_workflow(project))
            done.touch()
    return project


def copy_built(built: Path, dest: Path) -> Path:
    """A copy of a built review with every mtime kept, so Snakemake finds it up to date."""
    project = dest / "project"
    shutil.copytree(built, project, symlinks=True)
    return project


@pytest.fixture
def review_project(tmp_path: Path) -> Path:
    """A fresh copy of the workflow with the tiny fixture review, ready to run."""
    return copy_workflow(tmp_path / "project")


def is_flagship(root: Path = REPO) -> bool:
    """Whether ``root``'s review is the flagship (a fork that replaced it skips its tests)."""
    config = root / "config" / "config.yaml"
    if not config.is_file():
        return False
    review = (read_yaml(config) or {}).get("review") or {}
    return review.get("short_title") == "personalisation-inequality"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Whole-review builds (``slow``) first: under pytest-xdist the quick tests then fill in
    around them, instead of one long build running alone at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
