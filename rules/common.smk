# Config validation, the raw-file stamps and the small input functions the stage rules share.
#
# Rules never take a raw file as input directly: they take its stamp (see raw_input), whose
# content is the file's hash and which is rewritten only when that hash changes, so an edit
# that keeps the old mtime re-runs everything downstream and a bare `touch` re-runs nothing.
# The stamps are refreshed here, each time the workflow is parsed (dry runs included).
import math
import re
import subprocess
import sys
from pathlib import Path

from snakemake.utils import validate

from reviewflow.errors import ReviewflowError
from reviewflow.files import read_yaml
from reviewflow.manifest import refresh_engine_stamp, refresh_stamps
from reviewflow.provenance import refresh_git_stamp
from reviewflow.searchlog import export_files

# Snakemake's YAML loader keeps the last of two equal keys; read each config file again with
# the project's strict loader, so a repeated key stops the run naming the file and line.
for _configfile in workflow.configfiles:
    read_yaml(_configfile)
validate(config, schema="../config/schemas/config.schema.yaml")

RAW = Path("data/raw")
PROCESSED = Path("data/processed")
STAMPS = PROCESSED / "manifest" / "stamps"
GIT_STAMP = PROCESSED / "manifest" / "git.json"
# The engine's code (package and render assets) as one stamp, an input of every rule: a new
# engine version re-runs every stage, an edit that changes nothing re-runs none.
ENGINE_STAMP = PROCESSED / "manifest" / "engine.sha256"

NOTEBOOKS = sorted(str(p) for p in Path("notebooks").glob("*.ipynb"))
# Every source file of the paper (the review's text, settings and background bibliography;
# the engine's filters, Typst header and CSS are in ENGINE_STAMP), so an edit re-renders.
# Listed by pattern, so files a renderer leaves behind (Quarto's index.typ, .quarto/, the
# mirrored _reviewflow/ and _figures/) never count as sources.
MANUSCRIPT_SOURCES = sorted(
    str(p)
    for pattern in ("*.qmd", "_quarto.yml", "*.bib")
    for p in Path("manuscript").glob(pattern)
)

try:
    RAW_STAMPS = refresh_stamps(RAW, STAMPS, ".snakemake/reviewflow/stamp-cache.json")
    refresh_engine_stamp(ENGINE_STAMP)
    refresh_git_stamp(GIT_STAMP)
except ReviewflowError as exc:
    raise SystemExit(f"reviewflow: error: {exc}") from None


def raw_input(rel):
    """The stamp standing for data/raw/<rel>; the raw path itself if it does not exist (so
    Snakemake's missing-input message names the real file)."""
    return str(RAW_STAMPS.get(str(rel), RAW / rel))


def raw_inputs(rels):
    return [raw_input(rel) for rel in rels]


def raw_files_under(folder, suffix=""):
    """Paths (relative to data/raw) of the raw files in ``folder`` ending in ``suffix``, e.g.
    one ASReview export per reviewer; give them to raw_inputs() for a rule's input."""
    return sorted(
        r for r in RAW_STAMPS if Path(r).is_relative_to(folder) and r.endswith(suffix)
    )


def optional_raw(rel):
    """[stamp] when data/raw/<rel> exists, else []: for inputs a review may leave out."""
    return [raw_input(rel)] if str(rel) in RAW_STAMPS else []


def relative_to_raw(paths):
    return [str(Path(p).relative_to(RAW)) for p in paths]


def search_export_files(wildcards=None):
    """The export files the search log names, relative to data/raw (globs resolved as the
    import does), so a new or edited file re-runs the import; a bad search log stops the run
    here, naming its file and line."""
    return relative_to_raw(export_files(RAW / "searches.yaml"))


def screening_decisions(wildcards):
    """The stage's decision files (hidden files and Office lock files skipped)."""
    folder = RAW / "screening"
    found = list(folder.glob(f"{wildcards.stage}.*"))
    if (folder / wildcards.stage).is_dir():
        found += [p for p in (folder / wildcards.stage).iterdir() if p.is_file()]
    return sorted(str(p) for p in found if not p.name.startswith((".", "~$")))


def screening_format(wildcards):
    """screening.format: one format, or one per stage ({title_abstract: ..., full_text: ...})."""
    fmt = config["screening"]["format"]
    return fmt.get(wildcards.stage, "native") if isinstance(fmt, dict) else fmt


# --- What each job needs on a cluster (docs/cluster.md) ------------------------------------
# Figures from benchmarks/resources_benchmark.py (peak summed RSS and wall time of each
# stage). Import and dedup grow with the number of records; every size doubles with the
# attempt, so a job SLURM kills for memory or time is resubmitted once with twice the limit
# (`retries: 1` in profiles/slurm and profiles/kubernetes).


def raw_path_of(path):
    """The raw file a stamp stands for (any other path is itself)."""
    path = Path(path)
    return (
        RAW / path.relative_to(STAMPS).with_suffix("")
        if path.is_relative_to(STAMPS)
        else path
    )


def reported_hits(input) -> int:
    """Records the databases reported (the search log's `hits`): known before the import."""
    log = read_yaml(raw_path_of(input.log)) or {}
    searches = log.get("searches") if isinstance(log, dict) else None
    hits = [s.get("hits") for s in searches or [] if isinstance(s, dict)]
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
