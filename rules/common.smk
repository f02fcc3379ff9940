# Config validation and the small input functions the stage rules share.
import math
import re
import subprocess
import sys
from pathlib import Path

import yaml
from snakemake.utils import validate

validate(config, schema="../config/schemas/config.schema.yaml")

RAW = Path("data/raw")
PROCESSED = Path("data/processed")


def search_export_files(wildcards=None):
    """The export files the search log lists, so editing one re-runs the import."""
    with open(RAW / "searches.yaml", encoding="utf-8") as fh:
        log = yaml.safe_load(fh) or {}
    return sorted(str(RAW / s["file"]) for s in log.get("searches", []) if "file" in s)


# --- What each job needs on a cluster (docs/cluster.md) ------------------------------------
# Figures from benchmarks/resources_benchmark.py (peak summed RSS and wall time of each
# stage). Import and dedup grow with the number of records; every size doubles with the
# attempt, so a job SLURM kills for memory or time is resubmitted once with twice the limit
# (`retries: 1` in profiles/slurm and profiles/kubernetes).


def reported_hits(input) -> int:
    """Records the databases reported (the search log's `hits`): known before the import."""
    with open(input.log, encoding="utf-8") as fh:
        log = yaml.safe_load(fh) or {}
    hits = [s.get("hits") for s in log.get("searches") or [] if isinstance(s, dict)]
    # Anything but a number counts as none here; the import reports a bad search log.
    return sum(h for h in hits if isinstance(h, int) and not isinstance(h, bool))


def lines_of(name):
    """A count for ``sized``: the lines of the input file ``name`` (a CSV table), counted
    without parsing (about 1 s per GB). A field holding a line break counts twice, which
    only over-sizes the job."""

    def count(input) -> int:
        lines = 0
        with open(input[name], "rb") as fh:
            while chunk := fh.read(1 << 24):
                lines += chunk.count(b"\n")
        return lines

    return count


def sized(base, per_1000=0.0, count=None):
    """A resource callable: ``base + per_1000 * count(input) / 1000`` rounded up, times the
    attempt.

    ``count`` is evaluated only when the job is about to run, once its input exists."""

    def resource(wildcards, input, attempt):
        n = count(input) if count else 0
        return math.ceil(base + per_1000 * n / 1000) * attempt

    return resource


# What SLURM writes in a job's log when it kills the job (with cgroups, or OverMemoryKill).
SLURM_KILLED = {
    "memory": re.compile(r"exceeded (?:job )?memory limit|oom[-_ ]kill", re.I),
    "time": re.compile(r"DUE TO TIME LIMIT"),
}
SLURM_LOG = re.compile(r"\S*slurm_logs/(rule|group)_([^/\s]+)/(?:\S+/)?(\d+)\.log")


def slurm_kills(run_logs) -> list[str]:
    """A message for each job of this run that SLURM killed for memory or time: the rule,
    the limit (from sacct) and the SLURM log. The plugin itself only says "FAILED".
    ``run_logs``: the run's log file or files (as `onerror` gets them)."""
    paths = [run_logs] if isinstance(run_logs, (str, Path)) else run_logs
    text = "".join(Path(p).read_text(encoding="utf-8", errors="replace") for p in paths)
    jobs = {m[0]: m.groups() for m in SLURM_LOG.finditer(text)}
    messages = []
    for path, (kind, name, jobid) in sorted(jobs.items()):
        try:
            job_log = Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue  # the plugin deletes the logs of jobs that succeeded
        causes = [
            cause for cause, pattern in SLURM_KILLED.items() if pattern.search(job_log)
        ]
        if causes:
            limits = dict(zip(("memory", "time"), slurm_limits(jobid)))
            resource = {"memory": "mem_mb", "time": "runtime"}
            what = " and ".join(f"{resource[c]} (limit {limits[c]})" for c in causes)
            messages.append(
                f"SLURM killed {kind} {name} (SLURM job {jobid}) for exceeding its {what}."
                f" SLURM log: {path}; running the same command again resumes from there;"
                " to give the job more, use --set-resources RULE:mem_mb=MB or"
                " RULE:runtime=MINUTES (with the profiles' retries: 1, a killed job is"
                " retried once at twice the size first)."
            )
    return messages


def slurm_limits(jobid) -> list[str]:
    """The memory and time limits SLURM gave a job, from sacct ("?" where it cannot say)."""
    try:
        out = subprocess.run(
            ["sacct", "-n", "-X", "-P", "-j", jobid, "-o", "ReqMem,Timelimit"],
            capture_output=True,
            text=True,
        ).stdout.split()
    except OSError:
        out = []
    return out[0].split("|") if out else ["?", "?"]


onerror:
    for message in slurm_kills(log):
        print(f"reviewflow: {message}", file=sys.stderr)


# Jobs of a few seconds run on the submitting host rather than as cluster jobs; the stages
# after deduplication run as one cluster job (group "review") instead of seven.
localrules:
    verify_manifest,
    provenance,
