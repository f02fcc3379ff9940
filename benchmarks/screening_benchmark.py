"""Recall-vs-screened simulation of the relevance ranking on a finished review; prints WSS@95.

Replays the review as if reviewers had screened titles/abstracts in the order the
``screening-sheet --rank`` model suggests (TF-IDF + logistic regression, retrained every
``--step`` records, starting from one random include and one random exclude), and compares
with random order. Labels are the title/abstract includes (``--label title_abstract``) or the
studies finally included (``--label final``, needs ``--full-text``).

    .venv/bin/python benchmarks/screening_benchmark.py \\
        --records data/processed/records/records.csv --links data/processed/dedup/links.csv \\
        --title-abstract data/processed/screening/title_abstract.csv \\
        [--full-text data/processed/screening/full_text.csv --label final] [--runs 5]

WSS@95 = (N - records screened to find 95% of includes) / N - 0.05 (Cohen et al. 2006).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from reviewflow.files import read_csv
from reviewflow.screening.sheet import recall_curve, simulate, wss


def load_review(args) -> tuple[list[str], list[int]]:
    """One text and one label per screened study (text from the study's first record)."""
    records = read_csv(args.records).set_index("record_id")
    links = read_csv(args.links)
    ta = read_csv(args.title_abstract)
    studies = ta["study_id"].tolist()
    if args.label == "final":
        ft = read_csv(args.full_text)
        positive = set(ft.loc[ft["decision"] == "include", "study_id"])
    else:
        positive = set(ta.loc[ta["decision"] == "include", "study_id"])
    first = links.drop_duplicates("study_id").set_index("study_id")["record_id"]
    texts = []
    for study in studies:
        rec = records.loc[first[study]]
        texts.append(f"{rec.get('title', '')}. {rec.get('abstract', '')}")
    return texts, [int(s in positive) for s in studies]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--records", required=True)
    p.add_argument("--links", required=True)
    p.add_argument("--title-abstract", required=True)
    p.add_argument("--full-text")
    p.add_argument("--label", choices=["title_abstract", "final"], default="title_abstract")
    p.add_argument("--runs", type=int, default=5, help="seeds to average over")
    p.add_argument("--step", type=int, default=0, help="records per retraining (0: N/50, >= 1)")
    args = p.parse_args(argv)
    if args.label == "final" and not args.full_text:
        p.error("--label final needs --full-text")
    texts, labels = load_review(args)
    n, k = len(labels), sum(labels)
    print(f"review: {n} studies screened, {k} relevant ({args.label} includes)")
    if k == 0 or k == n:
        print("needs both relevant and irrelevant studies; nothing to simulate")
        return 1
    step = args.step or max(1, n // 50)
    model_curves, random_curves, model_wss, random_wss, model_wss100 = [], [], [], [], []
    start = time.perf_counter()
    for seed in range(args.runs):
        order = simulate(texts, labels, step=step, seed=seed)
        rnd = list(np.random.default_rng(1000 + seed).permutation(n))
        model_curves.append(recall_curve(order, labels))
        random_curves.append(recall_curve(rnd, labels))
        model_wss.append(wss(order, labels, 0.95))
        model_wss100.append(wss(order, labels, 1.0))
        random_wss.append(wss(rnd, labels, 0.95))
    seconds = time.perf_counter() - start
    model_curve, random_curve = np.mean(model_curves, 0), np.mean(random_curves, 0)
    print(f"\n{'screened':>9} {'model recall':>13} {'random recall':>14}")
    for share in (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0):
        i = max(1, round(share * n)) - 1
        print(f"{share:>8.0%} {model_curve[i]:>13.1%} {random_curve[i]:>14.1%}")
    print(
        f"\nWSS@95  model {np.mean(model_wss):.3f} (sd {np.std(model_wss):.3f}), "
        f"random {np.mean(random_wss):.3f}"
    )
    print(f"WSS@100 model {np.mean(model_wss100):.3f}")
    print(f"{args.runs} runs, retrain every {step} records, {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
