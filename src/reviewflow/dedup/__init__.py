"""Stage `dedup`: link every record to its study (entity resolution, never deletion).

normalise -> block -> match (rules table) -> cluster (guarded union-find) -> merge, then
human decisions (data/raw/dedup_decisions.csv) on top. Each step is a function over
DataFrames in its own module; this module holds the thin CLI and the input checks.
"""

from __future__ import annotations

import argparse
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from reviewflow import tables
from reviewflow.dedup.block import candidate_pairs
from reviewflow.dedup.cluster import HUMAN_MERGE, Guard
from reviewflow.dedup.cluster import cluster as cluster_records
from reviewflow.dedup.match import features, label
from reviewflow.dedup.merge import links_table, maybe_sheet, report, studies_table
from reviewflow.dedup.normalise import normalise as normalise_records
from reviewflow.errors import ReviewflowError
from reviewflow.files import read_csv, require_columns, write_csv, write_json

log = logging.getLogger(__name__)

REQUIRED = ["record_id", "title", "authors", "year"]
OPTIONAL = [
    "search_id", "source", "position", "type", "journal", "volume", "issue", "pages", "doi",
    "issn", "isbn", "abstract",
]  # fmt: skip
DECISION_COLUMNS = ["decision", "record_id_a", "record_id_b", "note"]


@dataclass
class Result:
    links: pd.DataFrame
    studies: pd.DataFrame
    maybe: pd.DataFrame
    report: dict


def check_records(records: pd.DataFrame, path: str | Path = "records.csv") -> pd.DataFrame:
    """Required columns present, record ids unique and non-empty; optional columns filled."""
    require_columns(records, REQUIRED, path)
    ids = records["record_id"]
    bad = np.flatnonzero((ids == "").to_numpy() | ids.duplicated().to_numpy())
    if len(bad):
        k = int(bad[0])
        what = "empty record_id" if ids.iloc[k] == "" else f"duplicate record_id {ids.iloc[k]!r}"
        raise ReviewflowError(what, path=path, line=k + 2, record=ids.iloc[k] or None)
    out = records.reset_index(drop=True).copy()
    for col in OPTIONAL:
        if col not in out.columns:
            out[col] = ""
    return out


def read_decisions(path: str | Path | None) -> pd.DataFrame:
    """The human decisions file; absent or header-only means no decisions."""
    if path is None or not Path(path).exists():
        return pd.DataFrame(columns=DECISION_COLUMNS, dtype=str)
    table = read_csv(path)
    require_columns(table, DECISION_COLUMNS[:3], path)  # `note` is optional
    if "note" not in table.columns:
        table["note"] = ""
    return table


def decision_pairs(
    decisions: pd.DataFrame, ids: pd.Series, path: str | Path = "dedup_decisions.csv"
) -> tuple[list[tuple[int, int]], set[tuple[int, int]]]:
    """(merge pairs, split pairs) as record positions; bad lines raise with their line."""
    position = pd.Series(np.arange(len(ids)), index=ids.to_numpy())
    merges: list[tuple[int, int]] = []
    splits: set[tuple[int, int]] = set()
    seen: dict[tuple[int, int], tuple[str, int]] = {}
    for k, row in enumerate(decisions.itertuples(index=False)):
        line = k + 2
        decision = row.decision.strip().lower()
        if decision not in ("merge", "split"):
            raise ReviewflowError(
                f"decision must be 'merge' or 'split', not {row.decision!r}", path=path, line=line
            )
        ends = []
        for rid in (row.record_id_a.strip(), row.record_id_b.strip()):
            if rid not in position.index:
                raise ReviewflowError(
                    f"unknown record id {rid!r} (not in records.csv)", path=path, line=line
                )
            ends.append(int(position[rid]))
        if ends[0] == ends[1]:
            raise ReviewflowError("a record cannot be paired with itself", path=path, line=line)
        pair = (min(ends), max(ends))
        if pair in seen and seen[pair][0] != decision:
            raise ReviewflowError(
                f"contradicts line {seen[pair][1]} for the same pair", path=path, line=line
            )
        seen[pair] = (decision, line)
        if decision == "merge":
            merges.append(pair)
        else:
            splits.add(pair)
    return merges, splits


def deduplicate(
    records: pd.DataFrame,
    decisions: pd.DataFrame | None = None,
    *,
    decisions_path: str | Path = "dedup_decisions.csv",
) -> Result:
    """Link every record to its study; ``records`` must already pass ``check_records``."""
    decisions = decisions if decisions is not None else read_decisions(None)
    merges, splits = decision_pairs(decisions, records["record_id"], decisions_path)
    t0 = time.perf_counter()
    n = len(records)
    log.info("dedup: normalising %d records", n)
    norm = normalise_records(records)
    pairs = candidate_pairs(norm)
    log.info("dedup: %d candidate pairs (%.1fs)", len(pairs), time.perf_counter() - t0)
    labelled = label(features(norm, pairs))
    log.info("dedup: pairs scored (%.1fs)", time.perf_counter() - t0)
    edges = labelled.loc[
        ~labelled["rule"].isin(["", "maybe"]), ["a", "b", "rule", "score"]
    ].reset_index(drop=True)
    if splits:
        split_mask = [(a, b) not in splits for a, b in zip(edges["a"], edges["b"], strict=True)]
        edges = edges[split_mask]
    if merges:
        human = pd.DataFrame(merges, columns=["a", "b"]).assign(rule=HUMAN_MERGE, score=1.0)
        edges = pd.concat([human, edges], ignore_index=True)
    first, accepted, refused = cluster_records(n, edges, Guard(norm, splits))
    for a, b in sorted(splits):
        if first[a] == first[b]:
            raise ReviewflowError(
                "a 'split' pair was joined by 'merge' decisions; fix the decisions",
                path=decisions_path,
                record=f"{records['record_id'].iloc[a]} / {records['record_id'].iloc[b]}",
            )
    log.info("dedup: %d studies (%.1fs)", len(set(first.tolist())), time.perf_counter() - t0)
    links = links_table(records, first, accepted)
    studies = studies_table(records, first)
    decided = set(merges) | splits
    maybe = maybe_sheet(records, labelled, first, decided)
    summary = report(links, labelled, maybe, len(refused), decisions, candidates=len(pairs))
    return Result(links, studies, maybe, summary)


def run(args: argparse.Namespace) -> None:
    records = check_records(read_csv(args.records), args.records)
    decisions = read_decisions(args.decisions)
    result = deduplicate(records, decisions, decisions_path=args.decisions)
    out = Path(args.out_dir)
    tables.write(result.links, tables.LINKS, out / "links.csv")
    tables.write(result.studies, tables.STUDIES, out / "studies.csv")
    write_csv(result.maybe, out / "maybe_pairs.csv")
    write_json(result.report, out / "dedup_report.json")
    log.info(
        "dedup: %d records -> %d studies, %d maybe pairs for review",
        result.report["records"],
        result.report["studies"],
        result.report["maybe_pairs"],
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("dedup", help="link duplicate records to studies")
    p.add_argument("--records", required=True, help="data/processed/records/records.csv")
    p.add_argument("--decisions", default=None, help="data/raw/dedup_decisions.csv (may be absent)")
    p.add_argument("--out-dir", required=True, help="data/processed/dedup")
    p.set_defaults(func=run)
