"""Peak memory and wall time of every stage, the figures behind the rules' `resources:`.

    .venv/bin/python benchmarks/resources_benchmark.py [--sizes 10000 100000] [--no-flagship]

Two measurements, each command in a fresh process so its peak is its own:

- the stages that grow with the review, on generated records of each size
  (benchmarks/generate_records.py, written as one RIS export with an abstract per record):
  `reviewflow import`, `dedup`, both `screen` stages (two reviewers exclude every study at
  title/abstract) and `prisma`;
- every stage of the flagship review, built by Snakemake in a temporary copy with a
  `reviewflow` wrapper first on PATH that measures each command.

Memory is the peak of the summed RSS of the command's whole process tree (dedup forks
workers; SLURM counts them all), sampled every 50 ms. Prints one JSON object per line, then
for each generated stage the least-squares lines ``peak_mb = a + b * records / 1000`` (and
seconds) that docs/cluster.md turns into the sizes the rules declare.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from generate_records import generate  # noqa: E402

WORDS = ["care", "policy", "budget", "access", "outcome", "equity", "income", "support"]
# What a project is made of: the workflow and the flagship's raw data, not its outputs.
PROJECT = ["Snakefile", "rules", "config", "notebooks", "manuscript", "report", "envs", "data"]


def measure(cmd: list[str], cwd: Path | None = None, env: dict | None = None) -> dict:
    """Run ``cmd``; its wall seconds and the peak summed RSS (MB) of its process tree."""
    start = time.perf_counter()
    proc = psutil.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        try:
            tree = [proc, *proc.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass  # a worker ended between listing and reading
        time.sleep(0.05)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr.read().decode()[-2000:]}")
    return {"peak_mb": round(peak / 2**20), "seconds": round(time.perf_counter() - start, 1)}


def write_ris(n: int, path: Path, seed: int = 1) -> None:
    """``n`` generated records (about 30% duplicates) as one RIS export with abstracts."""
    records, _ = generate(n, seed)
    rng = np.random.default_rng(seed)
    with path.open("w", encoding="utf-8") as fh:
        for k, row in enumerate(records.itertuples(index=False)):
            authors = "".join(f"AU  - {a}\n" for a in row.author.split(" and ") if a)
            pages = row.pages.split("-")
            abstract = " ".join(WORDS[i] for i in rng.integers(0, len(WORDS), 150))
            fh.write(
                f"TY  - JOUR\n{authors}TI  - {row.title}\nT2  - {row.journal}\n"
                f"PY  - {row.year}\nVL  - {row.volume}\nIS  - {row.number}\n"
                f"SP  - {pages[0]}\nEP  - {pages[-1]}\nDO  - {row.doi}\n"
                f"AB  - {abstract} {k}\nER  - \n\n"
            )


def search_log(folder: Path, n: int) -> Path:
    log = folder / "searches.yaml"
    log.write_text(
        "searches:\n  - id: gen\n    source: Generated\n    kind: database\n"
        "    interface: benchmarks/generate_records.py\n    date: 2026-11-30\n"
        f"    query: generated\n    file: gen.ris\n    hits: {n}\n",
        encoding="utf-8",
    )
    return log


def screening_decisions(studies: Path, path: Path) -> Path:
    """Two reviewers exclude every study at title/abstract: every study is screened."""
    ids = pd.read_csv(studies, dtype=str, usecols=["study_id"])["study_id"]
    rows = [f"{i},{r},exclude,,\n" for i in ids for r in ("R1", "R2")]
    path.write_text("id,reviewer,decision,reason,note\n" + "".join(rows), encoding="utf-8")
    return path


def scale(sizes: list[int], reviewflow: str) -> list[dict]:
    """import -> dedup -> both screening stages -> PRISMA on generated records of each size."""
    config = str(REPO / "config" / "config.yaml")
    rows = []
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp)
            write_ris(n, d / "gen.ris")
            records, links, studies = (
                d / "records.csv",
                d / "d" / "links.csv",
                d / "d" / "studies.csv",
            )
            ta, ft = d / "s" / "title_abstract.csv", d / "s" / "full_text.csv"
            (d / "s").mkdir()
            (d / "ft_raw.csv").write_text("id,reviewer,decision,reason,note\n", encoding="utf-8")
            commands = {
                "import": ["import", "--search-log", search_log(d, n), "--out", records,
                           "--report", d / "report.json"],
                "dedup": ["dedup", "--records", records, "--out-dir", d / "d"],
                "screen title_abstract": [
                    "screen", "--stage", "title_abstract", "--decisions", d / "ta_raw.csv",
                    "--links", links, "--studies", studies, "--config", config, "--out", ta,
                    "--agreement", d / "s" / "ta.json"],
                "screen full_text": [
                    "screen", "--stage", "full_text", "--decisions", d / "ft_raw.csv",
                    "--links", links, "--studies", studies, "--config", config,
                    "--previous", ta, "--out", ft, "--agreement", d / "s" / "ft.json"],
                "prisma": ["prisma", "--records", records, "--links", links,
                           "--title-abstract", ta, "--full-text", ft, "--out-dir", d / "p"],
            }  # fmt: skip
            for stage, args in commands.items():
                if stage == "screen title_abstract":
                    screening_decisions(studies, d / "ta_raw.csv")
                rows.append(
                    {"stage": stage, "records": n, **measure([reviewflow, *map(str, args)])}
                )
                print(json.dumps(rows[-1]), flush=True)
    return rows


WRAPPER = """#!{python}
# Measures one `reviewflow` command for benchmarks/resources_benchmark.py.
import json, sys
sys.path.insert(0, {benchmarks!r})
from resources_benchmark import measure
m = measure([{real!r}, *sys.argv[1:]])
stage = sys.argv[1] if sys.argv[1] != "notebook" else "notebook " + sys.argv[2]
with open({out!r}, "a") as fh:
    fh.write(json.dumps({{"stage": stage, **m}}) + "\\n")
"""


def flagship(reviewflow: str) -> list[dict]:
    """Build the flagship in a temporary copy and measure every `reviewflow` command."""
    with tempfile.TemporaryDirectory() as tmp:
        project, bindir, out = Path(tmp) / "project", Path(tmp) / "bin", Path(tmp) / "m.jsonl"
        ignore = shutil.ignore_patterns("_output", ".quarto", "processed")
        for name in PROJECT:
            src, dest = REPO / name, project / name
            if src.is_dir():
                shutil.copytree(src, dest, ignore=ignore)
            else:
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest)
        bindir.mkdir()
        wrapper = bindir / "reviewflow"
        wrapper.write_text(
            WRAPPER.format(
                python=sys.executable, benchmarks=f"{HERE}", real=reviewflow, out=f"{out}"
            )
        )
        wrapper.chmod(0o755)
        path = f"{bindir}:{Path(sys.executable).parent}:{os.environ['PATH']}"
        snakemake = [sys.executable, "-m", "snakemake", "--cores", "1", "--quiet"]
        measure(snakemake, cwd=project, env={**os.environ, "PATH": path})
        rows = [{"review": "flagship", **json.loads(line)} for line in out.read_text().splitlines()]
    for row in rows:
        print(json.dumps(row), flush=True)
    return rows


def fit(rows: list[dict], stage: str) -> None:
    """Least squares of peak MB and seconds on thousands of records, printed as JSON."""
    pts = [r for r in rows if r["stage"] == stage]
    if len(pts) < 2:
        return
    x = np.array([r["records"] / 1000 for r in pts])
    out = {"fit": stage}
    for key in ("peak_mb", "seconds"):
        b, a = np.polyfit(x, np.array([r[key] for r in pts], dtype=float), 1)
        out[key] = f"{a:.0f} + {b:.2f} per 1000 records"
    print(json.dumps(out), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 100_000])
    parser.add_argument("--no-flagship", action="store_true", help="only import and dedup")
    args = parser.parse_args(argv)
    reviewflow = shutil.which("reviewflow", path=str(Path(sys.executable).parent)) or "reviewflow"
    rows = scale(args.sizes, reviewflow)
    for stage in dict.fromkeys(row["stage"] for row in rows):
        fit(rows, stage)
    if not args.no_flagship:
        flagship(reviewflow)


if __name__ == "__main__":
    main()
