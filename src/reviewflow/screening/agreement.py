"""Agreement between reviewers at one stage: Cohen's kappa, percent agreement, conflicts.

Only per-reviewer votes count. Decisions a tool exports as the team's consensus
(Covidence) have no votes behind them, so a stage decided that way reports agreement as not
available (``agreement_available: false``) rather than a misleading 100 %.
"""

from __future__ import annotations

import itertools
import math

import pandas as pd

# ``resolved_by`` of a decision a tool exported as the team's consensus (no votes behind it).
CONSENSUS = "consensus"


def _kappa(a: list[str], b: list[str]) -> float | None:
    from sklearn.metrics import cohen_kappa_score

    if not a:
        return None
    labels = sorted(set(a) | set(b))
    if len(labels) < 2:
        return None  # all votes identical: kappa is undefined (0/0), percent agreement is 100
    value = cohen_kappa_score(a, b, labels=labels)
    return None if math.isnan(value) else round(float(value), 4)


def agreement(votes: pd.DataFrame, decided: pd.DataFrame, stage: str) -> dict:
    """Cohen's kappa and percent agreement over double-screened studies, and conflict counts.

    Kappa is computed per pair of reviewers over the studies both screened; the headline
    ``cohens_kappa`` pools every pair's observations (rater 1 = the alphabetically first of
    the pair), which equals the usual two-reviewer kappa when there are two reviewers.
    Votes compare on the decision alone; percent agreement counts studies whose reviewers
    all gave the same decision. ``conflicts`` counts studies that needed a resolution because
    reviewers differed in decision or (full text) in exclusion reason.
    """
    per_study = {
        s: dict(zip(g["reviewer"], g["decision"], strict=True))
        for s, g in votes.groupby("study_id", sort=True)
    }
    double = {s: v for s, v in per_study.items() if len(v) >= 2}
    agree = sum(1 for v in double.values() if len(set(v.values())) == 1)
    pairs: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    for v in double.values():
        for r1, r2 in itertools.combinations(sorted(v), 2):
            a, b = pairs.setdefault((r1, r2), ([], []))
            a.append(v[r1])
            b.append(v[r2])
    pooled_a = [x for a, _ in pairs.values() for x in a]
    pooled_b = [x for _, b in pairs.values() for x in b]
    conflicts = decided[decided["conflict"] == "true"]
    return {
        "stage": stage,
        "studies_decided": int(len(decided)),
        "studies_double_screened": len(double),
        "studies_single_screened": sum(1 for v in per_study.values() if len(v) == 1),
        "studies_agreed": agree,
        "percent_agreement": round(100 * agree / len(double), 2) if double else None,
        "cohens_kappa": _kappa(pooled_a, pooled_b),
        "reviewer_pairs": [
            {
                "reviewers": [r1, r2],
                "studies": len(a),
                "percent_agreement": round(
                    100 * sum(x == y for x, y in zip(a, b, strict=True)) / len(a), 2
                ),
                "cohens_kappa": _kappa(a, b),
            }
            for (r1, r2), (a, b) in sorted(pairs.items())
        ],
        "votes_by_decision": {k: int(n) for k, n in votes["decision"].value_counts().items()},
        "conflicts": int(len(conflicts)),
        "conflicts_resolved_to": {
            k: int(n) for k, n in conflicts["decision"].value_counts().sort_index().items()
        },
        "conflicts_resolved_by": {
            k: int(n) for k, n in conflicts["resolved_by"].value_counts().sort_index().items()
        },
        "resolutions_without_conflict": int(
            (
                (decided["conflict"] == "false")
                & (decided["resolved_by"] != "")
                & (decided["resolved_by"] != CONSENSUS)
            ).sum()
        ),
        "consensus_decisions": int((decided["resolved_by"] == CONSENSUS).sum()),
        "agreement_available": bool(double),
        "final_by_decision": {
            k: int(n) for k, n in decided["decision"].value_counts().sort_index().items()
        },
    }
