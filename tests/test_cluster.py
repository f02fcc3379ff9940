"""The same workflow on a cluster (issue 14): the profiles, and real SLURM runs.

The SLURM tests build through `sbatch` jobs and run only where SLURM answers with an idle
node (`make cluster-test` starts one with cluster/slurm-local.sh); elsewhere they skip.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import REPO, copy_workflow, run_snakemake
from test_resources import load_workflow

PROFILES = REPO / "profiles"
# The plugin's first status check comes 40 s after a submission; these runs are short.
FAST_POLL = ("--slurm-init-seconds-before-status-checks", "5")


def profile(name: str) -> dict:
    return yaml.safe_load((PROFILES / name / "config.yaml").read_text(encoding="utf-8"))


def locked_version(package: str) -> str:
    lock = (REPO / "requirements.lock").read_text(encoding="utf-8")
    return re.search(rf"^{package}==(\S+)", lock, re.M).group(1)


def test_profiles_choose_their_executor() -> None:
    assert "executor" not in profile("default")
    assert profile("slurm")["executor"] == "slurm"
    assert profile("kubernetes")["executor"] == "kubernetes"
    for name in ("slurm", "kubernetes"):
        assert profile(name)["retries"] >= 1, "a killed job gets no second, larger try"


def test_kubernetes_image_runs_the_locked_snakemake() -> None:
    image = profile("kubernetes")["container-image"]
    assert image == f"snakemake/snakemake:v{locked_version('snakemake')}"


def test_make_paper_takes_a_profile() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^paper:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert "--workflow-profile profiles/$(PROFILE)" in recipe
    assert re.search(r"^PROFILE \?= default$", makefile, re.M)
    assert "</dev/null" in recipe  # Snakemake in the foreground with stdin closed


def project_with_profiles(dest: Path, review: Path | None = None) -> Path:
    """A runnable copy of the workflow (the fixture review, or ``review``) with profiles/."""
    project = copy_workflow(dest, review) if review else copy_workflow(dest)
    shutil.copytree(PROFILES, project / "profiles")
    for made in (project / "data" / "processed").glob("*"):
        if made.name != "README.md":
            shutil.rmtree(made) if made.is_dir() else made.unlink()
    return project


def test_slurm_profile_plans_every_stage(tmp_path: Path) -> None:
    pytest.importorskip("snakemake_executor_plugin_slurm")
    project = project_with_profiles(tmp_path / "project")
    proc = run_snakemake(project, "--workflow-profile", "profiles/slurm", "-n")
    out = proc.stdout + proc.stderr
    for rule in ("import_records", "deduplicate", "render_manuscript"):
        assert re.search(rf"^\s*{rule}\s+1$", out, re.M), rule


def test_killed_jobs_are_named_with_their_limit_and_log(tmp_path: Path) -> None:
    """`onerror` reads the run's log and each failed job's SLURM log (rules/common.smk)."""
    logs = tmp_path / ".snakemake" / "slurm_logs"
    jobs = {
        "rule_deduplicate/41.log": "slurmstepd: error: StepId=41.batch exceeded memory limit"
        " (42881024 > 41943040), being killed\n",
        "group_review_prisma_.../42.log": "slurmstepd: error: *** JOB 42 ON vm CANCELLED AT"
        " 2026-11-30T09:05:38 DUE TO TIME LIMIT ***\n",
        "rule_import_records/43.log": "a job that failed for another reason\n",
    }
    for name, text in jobs.items():
        (logs / name).parent.mkdir(parents=True, exist_ok=True)
        (logs / name).write_text(text)
    run_log = tmp_path / "run.log"
    run_log.write_text(
        "".join(f"Job has been submitted (log: {logs / name}).\n" for name in jobs)
        + f"(log: {logs}/rule_export_library/44.log)\n"  # succeeded: its log was deleted
    )
    messages = load_workflow().globals["slurm_kills"]([str(run_log)])
    assert len(messages) == 2, messages
    memory, time = sorted(messages, key=lambda m: "42" in m)
    assert memory.startswith("SLURM killed rule deduplicate (SLURM job 41)")
    assert "mem_mb (limit " in memory and str(logs / "rule_deduplicate/41.log") in memory
    assert time.startswith("SLURM killed group review_prisma_...")
    assert "runtime (limit " in time


# --- Real SLURM ---------------------------------------------------------------------------


def slurm_idle() -> bool:
    if not shutil.which("sbatch"):
        return False
    proc = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
    return proc.returncode == 0 and "idle" in proc.stdout.split()


needs_slurm = pytest.mark.skipif(
    not slurm_idle(), reason="no SLURM with an idle node (cluster/slurm-local.sh up)"
)


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def slurm_jobs(output: str) -> list[str]:
    """The SLURM states, from sacct, of the jobs of the run that printed ``output``."""
    run_id = re.search(r"SLURM run ID: (\S+)", output).group(1)
    proc = subprocess.run(
        ["sacct", "-n", "-X", "-P", "--name", run_id, "-o", "State"],
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.split()


@pytest.mark.slow
@needs_slurm
def test_flagship_through_slurm_is_byte_identical_to_local(tmp_path: Path) -> None:
    local = project_with_profiles(tmp_path / "local", review=REPO)
    slurm = project_with_profiles(tmp_path / "slurm", review=REPO)
    run_snakemake(local)
    proc = run_snakemake(slurm, "--workflow-profile", "profiles/slurm", *FAST_POLL)
    states = slurm_jobs(proc.stdout + proc.stderr)
    assert len(states) >= 3 and set(states) == {"COMPLETED"}, states
    for part in ("data/processed", "manuscript/_output"):
        a, b = tree_hashes(local / part), tree_hashes(slurm / part)
        assert sorted(a) == sorted(b), part
        assert [k for k in a if a[k] != b[k]] == [], part


@pytest.mark.slow
@needs_slurm
def test_a_job_killed_for_memory_is_reported_and_a_rerun_resumes(tmp_path: Path) -> None:
    project = project_with_profiles(tmp_path / "project")
    slurm = ("--workflow-profile", "profiles/slurm", *FAST_POLL)
    limit = ("--set-resources", "deduplicate:mem_mb=40", "--retries", "0")
    proc = run_snakemake(project, *slurm, *limit, check=False)
    err = proc.stdout + proc.stderr
    assert proc.returncode != 0
    message = re.search(r"reviewflow: SLURM killed rule deduplicate .*", err)
    assert message, err[-3000:]
    assert "mem_mb (limit 40M)" in message.group(0)
    log = re.search(r"SLURM log: (\S+);", message.group(0)).group(1)
    assert Path(log).is_file() and "rule_deduplicate" in log
    records = project / "data" / "processed" / "records" / "records.csv"
    made = records.stat().st_mtime_ns
    proc = run_snakemake(project, *slurm)
    out = proc.stdout + proc.stderr
    assert "rule import_records:" not in out, "the rerun redid a finished job"
    assert "rule deduplicate:" in out
    assert records.stat().st_mtime_ns == made
    assert (project / "manuscript" / "_output" / "index.pdf").is_file()
