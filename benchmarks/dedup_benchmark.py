"""Benchmark our deduplication (and optionally bib-dedupe) on labelled datasets.

    .venv/bin/python benchmarks/dedup_benchmark.py ../shared/bench/dedup/* [--compare bib-dedupe]
    .venv/bin/python benchmarks/dedup_benchmark.py --scale [--sizes 10000 100000 1000000]

A dataset folder holds records_pre_merged.csv (or records_pre_merged_part*.csv) and
merged_record_ids.csv (one true work per row, ids joined by ";"). Prints one JSON object per
line per dataset and tool: dataset, tool, n, TP, FP, FN, TN, precision, sensitivity, f1,
seconds (plus cpu_seconds for ours and, for --scale, peak_mb of the main process and of its
largest worker). The metric is BibDedupe's (../shared/bench/dedup/README.md): deduplication
keeps one record per work; a removed unique record or a true group with none kept is a false
positive. ``seconds`` covers deduplication only (not reading files). --scale generates
perturbed records (benchmarks/generate_records.py) and runs each size in a fresh subprocess
so its peak memory (ru_maxrss) is its own.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from reviewflow.dedup import check_records, deduplicate

HERE = Path(__file__).resolve().parent


def load_dataset(folder: Path) -> tuple[pd.DataFrame, list[list[str]]]:
    """The records (benchmark columns, all strings) and the true groups of a dataset folder."""
    parts = sorted(folder.glob("records_pre_merged_part*.csv")) or [
        folder / "records_pre_merged.csv"
    ]
    records = pd.concat(
        [pd.read_csv(p, dtype=str, keep_default_na=False) for p in parts], ignore_index=True
    )
    truth = pd.read_csv(folder / "merged_record_ids.csv", dtype=str, keep_default_na=False)
    groups = [[i for i in row.split(";") if i] for row in truth["merged_ids"]]
    return records, groups


def to_canonical(bench: pd.DataFrame) -> pd.DataFrame:
    """Benchmark (BibTeX-like) columns -> our records.csv columns."""

    def col(name: str) -> pd.Series:
        return bench[name] if name in bench.columns else pd.Series("", index=bench.index)

    journal = col("journal").where(col("journal") != "", col("booktitle"))
    return pd.DataFrame(
        {
            "record_id": bench["ID"],
            "source": "bench",
            "type": col("ENTRYTYPE"),
            "title": col("title"),
            "authors": col("author").str.replace(" and ", "; ", regex=False),
            "year": col("year"),
            "journal": journal,
            "volume": col("volume"),
            "issue": col("number").where(col("number") != "", col("issue")),
            "pages": col("pages"),
            "doi": col("doi"),
            "isbn": col("isbn"),
            "abstract": col("abstract"),
        }
    )


def metric(ids: list[str], kept: set[str], groups: list[list[str]]) -> dict:
    """BibDedupe's confusion counts and rates for the records kept by a tool."""
    tp = fp = fn = tn = 0
    in_group = set()
    for group in groups:
        in_group.update(group)
        n_kept = sum(1 for i in group if i in kept)
        if n_kept == 0:
            fp += 1
            tp += len(group) - 1
        else:
            tn += 1
            fn += n_kept - 1
            tp += len(group) - n_kept
    for i in ids:
        if i not in in_group:
            if i in kept:
                tn += 1
            else:
                fp += 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    sensitivity = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * sensitivity / (precision + sensitivity) if precision + sensitivity else 0
    return {
        "TP": tp,
        "FP": fp,
        "FN": fn,
        "TN": tn,
        "precision": round(precision, 4),
        "sensitivity": round(sensitivity, 4),
        "f1": round(f1, 4),
    }


def run_ours(bench: pd.DataFrame) -> tuple[set[str], float]:
    records = check_records(to_canonical(bench))
    start = time.perf_counter()
    cpu = time.process_time() + children_cpu()
    result = deduplicate(records)
    seconds = time.perf_counter() - start
    run_ours.cpu_seconds = time.process_time() + children_cpu() - cpu
    links = result.links
    return set(links.loc[links["rule"] == "self", "record_id"]), seconds


def run_bib_dedupe(bench: pd.DataFrame) -> tuple[set[str], float]:
    """bib-dedupe's own pipeline (prep, block, match, cluster), keeping one record per cluster."""
    from bib_dedupe.bib_dedupe import block, cluster, match, prep

    start = time.perf_counter()
    prepped = prep(bench.copy(), verbosity_level=0, cpu=-1)
    matched = match(block(prepped, verbosity_level=0, cpu=-1), verbosity_level=0, cpu=-1)
    duplicates = matched[matched["duplicate_label"] == "duplicate"]
    id_sets = cluster(duplicates, verbosity_level=0)
    seconds = time.perf_counter() - start
    removed = set()
    for ids in id_sets:
        removed.update(sorted(ids)[1:])
    return set(bench["ID"]) - removed, seconds


def benchmark(folder: Path, tools: list[str]) -> list[dict]:
    bench, groups = load_dataset(folder)
    rows = []
    for tool in tools:
        kept, seconds = (run_ours if tool == "reviewflow" else run_bib_dedupe)(bench)
        row = {"dataset": folder.name, "tool": tool, "n": len(bench)}
        row.update(metric(bench["ID"].tolist(), kept, groups))
        row["seconds"] = round(seconds, 3)
        if tool == "reviewflow":  # CPU time incl. workers: wall time is noisy on a busy box
            row["cpu_seconds"] = round(run_ours.cpu_seconds, 3)
        rows.append(row)
    return rows


def children_cpu() -> float:
    """CPU seconds of finished worker processes (normalising large inputs forks workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def scale(sizes: list[int], seed: int) -> None:
    """Generate each size, then deduplicate it in a fresh interpreter (clean peak memory)."""
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            folder = Path(tmp) / f"generated_{size}"
            subprocess.run(
                [sys.executable, str(HERE / "generate_records.py"), str(folder),
                 "--n", str(size), "--seed", str(seed)],
                check=True,
            )  # fmt: skip
            proc = subprocess.run(
                [sys.executable, __file__, "--worker", str(folder)],
                check=True,
                capture_output=True,
                text=True,
            )
            print(proc.stdout.strip(), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="*", type=Path, help="benchmark dataset folders")
    parser.add_argument("--compare", action="append", default=[], choices=["bib-dedupe"])
    parser.add_argument("--scale", action="store_true", help="time generated 10k/100k/1M sets")
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if args.worker:
        row = benchmark(args.worker, ["reviewflow"])[0]
        row["peak_mb"] = peak_mb()
        row["peak_mb_largest_worker"] = peak_mb(resource.RUSAGE_CHILDREN)
        print(json.dumps(row), flush=True)
        return
    tools = ["reviewflow", *args.compare]
    for folder in args.datasets:
        if not folder.is_dir():  # a shell glob also matches README.md, LICENSE
            continue
        for row in benchmark(folder, tools):
            print(json.dumps(row), flush=True)
    if args.scale:
        scale(args.sizes, args.seed)


if __name__ == "__main__":
    main()
