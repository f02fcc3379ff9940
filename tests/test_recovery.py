"""Recovery without a manual step (issue 13): after `kill -9` at any stage, `make paper`
unlocks the stale Snakemake lock, removes partial files and ends byte-identical to a build
that was never interrupted.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ENGINE_SNAKEFILE, REPO, copy_workflow

from reviewflow import recovery

# A rule has started once its --log file exists; kill then (render: while it writes).
KILL_POINTS = {
    "deduplicate": "logs/deduplicate.log",
    "synthesis": "logs/synthesis/synthesis.log",
    "render_manuscript": "logs/render_manuscript.log",
}
# What a killed atomic write leaves (files.atomic_path's naming).
PARTIAL = "manuscript/.index.typ.k1ll3d_0.tmp"


def outputs(project: Path) -> dict[str, str]:
    """sha256 of every build output that must not depend on an interruption."""
    paths = [*sorted((project / "data" / "processed").rglob("*")),
             project / "manuscript" / "_output" / "index.html"]  # fmt: skip
    return {
        p.relative_to(project).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in paths
        if p.is_file()
    }


def snakemake_env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}


def kill_when_started(project: Path, marker: str, timeout: float = 600) -> None:
    """Start a build and SIGKILL Snakemake and all its jobs once ``marker`` appears."""
    console = project.parent / "killed-build.log"
    with open(console, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "snakemake", "--snakefile", str(ENGINE_SNAKEFILE)]
            + ["--cores", "2", "--rerun-incomplete"],
            cwd=project,
            env=snakemake_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    while not (project / marker).exists():
        if proc.poll() is not None:
            tail = console.read_text(encoding="utf-8", errors="replace")[-3000:]
            raise AssertionError(f"the build ended before {marker} appeared:\n{tail}")
        assert time.monotonic() < deadline, f"{marker} never appeared"
        time.sleep(0.05)
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@pytest.fixture(scope="module")
def reference(built_review: Path) -> dict[str, str]:
    return outputs(built_review)  # an uninterrupted build


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")
@pytest.mark.parametrize("stage", sorted(KILL_POINTS))
def test_make_paper_recovers_from_kill_9(stage: str, reference, tmp_path: Path) -> None:
    project = copy_workflow(tmp_path / "project")
    kill_when_started(project, KILL_POINTS[stage])
    assert any((project / recovery.LOCK_DIR).iterdir()), "the kill left no lock to recover"
    (project / PARTIAL).write_bytes(b"")

    # As a user builds another review, from the engine's checkout; READY= : the test
    # interpreter's environment stands in for .venv.
    proc = subprocess.run(
        ["make", "-C", str(REPO), "paper", "READY=", "CORES=2", f"REVIEW={project}"],
        env=snakemake_env(),
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert not (project / PARTIAL).exists()
    assert recovery.partial_files(project) == []
    got = outputs(project)
    assert sorted(got) == sorted(reference)
    assert [name for name in got if got[name] != reference[name]] == []


# --- the recovery step alone (fast) ---------------------------------------------------------


def test_recover_removes_stale_lock_and_partial_files(tmp_path: Path) -> None:
    locks = tmp_path / recovery.LOCK_DIR
    locks.mkdir(parents=True)
    (locks / "0.input.lock").write_text("x\n", encoding="utf-8")
    partial = tmp_path / "data" / "processed" / ".records.csv.ab12cd_3.tmp"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"")
    keep = [tmp_path / "data" / "processed" / "records.csv", tmp_path / "notes.abcdefgh.tmp"]
    for path in keep:
        path.write_text("kept\n", encoding="utf-8")
    assert recovery.recover(tmp_path) is True
    assert list(locks.iterdir()) == [] and not partial.exists()
    assert all(path.exists() for path in keep)


def test_recover_leaves_a_running_build_alone(tmp_path: Path) -> None:
    """A live Snakemake in the folder keeps its lock (here a stand-in named snakemake)."""
    fake = tmp_path / "bin" / "snakemake"
    fake.parent.mkdir()
    fake.write_text("import time\ntime.sleep(60)\n", encoding="utf-8")
    locks = tmp_path / recovery.LOCK_DIR
    locks.mkdir(parents=True)
    (locks / "0.input.lock").write_text("x\n", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(fake)], cwd=tmp_path)
    try:
        deadline = time.monotonic() + 10
        while proc.pid not in recovery.live_snakemake(tmp_path):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert recovery.recover(tmp_path) is False
        assert list(locks.iterdir()) != []
    finally:
        proc.kill()
        proc.wait()
    assert recovery.recover(tmp_path) is True
    assert list(locks.iterdir()) == []
