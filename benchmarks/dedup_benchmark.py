"""Benchmark our deduplication (and optionally bib-dedupe) on labelled datasets.

    .venv/bin/python benchmarks/dedup_benchmark.py ../shared/bench/dedup/* [--compare bib-dedupe]
    .venv/bin/python benchmarks/dedup_benchmark.py ../shared/bench/dedup/* --flagship --held-out
    .venv/bin/python benchmarks/dedup_benchmark.py --scale [--sizes 10000 100000 1000000]
    .venv/bin/python benchmarks/dedup_benchmark.py --scale --degenerate identical --sizes 200000

A dataset folder holds records_pre_merged.csv (or records_pre_merged_part*.csv) and
merged_record_ids.csv (one true work per row, ids joined by ";"). Prints one JSON object per
line per dataset and tool: dataset, tool, n, TP, FP, FN, TN, precision, sensitivity, f1,
seconds (plus cpu_seconds for ours and, for --scale, peak_mb of the main process and of its
largest worker). The metric is BibDedupe's (../shared/bench/dedup/README.md): deduplication
keeps one record per work; a removed unique record or a true group with none kept is a false
positive. ``seconds`` covers deduplication only (not reading files). --scale generates
perturbed records (benchmarks/generate_records.py) and runs each size in a fresh subprocess
so its peak memory (ru_maxrss) is its own; ``--degenerate`` times the worst cases instead
(``identical``: n copies of one record; ``one-title``: one title by n author teams).

``--flagship`` adds the flagship review's 300 records (data/raw), labelled by the work
each was rendered from (data/raw/provenance.csv). ``--held-out`` prints, beside the shipped
("tuned") figures, the leave-one-set-out figures: for each set, the rules' title and author
thresholds are re-chosen from a small grid of shifts on the other sets only (no false
merge there, then the most true positives, then the smallest shift), and that choice is
scored on the left-out set.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import logging
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from reviewflow.dedup import check_records, deduplicate, match

HERE = Path(__file__).resolve().parent
FLAGSHIP = HERE.parent / "data" / "raw"
# Shifts of every rule's title and author thresholds tried by the held-out protocol.
TITLE_SHIFTS = (-3, 0, 3)
AUTHOR_SHIFTS = (-5, 0, 5)


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


def load_flagship() -> tuple[pd.DataFrame, list[list[str]]]:
    """The flagship's records (imported from data/raw) and its true works, as a dataset."""
    from reviewflow.files import read_csv
    from reviewflow.ingest import import_all

    records, _ = import_all(FLAGSHIP / "searches.yaml")
    provenance = read_csv(FLAGSHIP / "provenance.csv")
    work = provenance["verified"].str.extract(r"works\.yaml key (\S+)")[0]
    groups = provenance["record_id"].groupby(work.to_numpy()).agg(list)
    return records, [g for g in groups if len(g) > 1]


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
    records = check_records(bench if "record_id" in bench.columns else to_canonical(bench))
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


def benchmark(folder: Path | str, tools: list[str]) -> list[dict]:
    """One row per tool on a dataset folder (or "flagship": data/raw)."""
    bench, groups = load_flagship() if folder == "flagship" else load_dataset(Path(folder))
    ids = bench["record_id" if "record_id" in bench.columns else "ID"].tolist()
    rows = []
    for tool in tools:
        if tool != "reviewflow" and folder == "flagship":
            continue  # bib-dedupe reads the benchmark's columns only
        kept, seconds = (run_ours if tool == "reviewflow" else run_bib_dedupe)(bench)
        row = {"dataset": Path(folder).name, "tool": tool, "n": len(bench)}
        row.update(metric(ids, kept, groups))
        row["seconds"] = round(seconds, 3)
        if tool == "reviewflow":  # CPU time incl. workers: wall time is noisy on a busy box
            row["cpu_seconds"] = round(run_ours.cpu_seconds, 3)
        rows.append(row)
    return rows


def shifted_rules(
    rules: tuple[match.Rule, ...], title: float, author: float
) -> tuple[match.Rule, ...]:
    """``rules`` with every title and author threshold moved by the given shifts."""
    return tuple(
        dataclasses.replace(
            rule,
            title=rule.title + title,
            author=None if rule.author is None else rule.author + author,
        )
        for rule in rules
    )


def held_out(datasets: list[Path | str]) -> list[dict]:
    """Leave-one-set-out figures (see the module docstring); one row per left-out set."""
    shipped = match.RULES
    scores: dict[tuple, dict] = {}
    try:
        for shift in itertools.product(TITLE_SHIFTS, AUTHOR_SHIFTS):
            match.RULES = shifted_rules(shipped, *shift)
            for folder in datasets:
                scores[shift, str(folder)] = benchmark(folder, ["reviewflow"])[0]
    finally:
        match.RULES = shipped
    rows = []
    for left_out in map(str, datasets):
        others = [str(f) for f in datasets if str(f) != left_out]

        def rank(shift: tuple, others: list[str] = others) -> tuple:
            fp = sum(scores[shift, f]["FP"] for f in others)
            tp = sum(scores[shift, f]["TP"] for f in others)
            return fp, -tp, abs(shift[0]) + abs(shift[1])

        best = min((s for s in itertools.product(TITLE_SHIFTS, AUTHOR_SHIFTS)), key=rank)
        row = {**scores[best, left_out], "protocol": "held-out"}
        row["title_shift"], row["author_shift"] = best
        rows.append(row)
    return rows


def children_cpu() -> float:
    """CPU seconds of finished worker processes (normalising large inputs forks workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def scale(sizes: list[int], seed: int, degenerate: str | None = None) -> None:
    """Generate each size, then deduplicate it in a fresh interpreter (clean peak memory)."""
    extra = ["--degenerate", degenerate] if degenerate else []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            folder = Path(tmp) / f"{degenerate or 'generated'}_{size}"
            subprocess.run(
                [sys.executable, str(HERE / "generate_records.py"), str(folder),
                 "--n", str(size), "--seed", str(seed), *extra],
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
    parser.add_argument("--degenerate", choices=["identical", "one-title"],
                        help="with --scale: time a worst case instead")  # fmt: skip
    parser.add_argument("--flagship", action="store_true", help="add the flagship's records")
    parser.add_argument("--held-out", action="store_true", help="leave-one-set-out figures")
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
    # A shell glob also matches README.md, LICENSE.
    datasets: list[Path | str] = [f for f in args.datasets if f.is_dir()]
    datasets += ["flagship"] * args.flagship
    for folder in datasets:
        for row in benchmark(folder, tools):
            if args.held_out and row["tool"] == "reviewflow":
                row["protocol"] = "tuned"
            print(json.dumps(row), flush=True)
    if args.held_out:
        for row in held_out(datasets):
            print(json.dumps(row), flush=True)
    if args.scale:
        scale(args.sizes, args.seed, args.degenerate)


if __name__ == "__main__":
    main()
