"""Stages 3 and 4: reviewers' screening decisions -> one checked decision per study.

Pipeline per stage (each step a small function over DataFrames):
``load`` (any tool's export, see :mod:`reviewflow.screening_formats`) -> ``validate_votes``
(decision values, exclusion reasons) -> ``map_to_studies`` (any record id of a study names the
study) -> ``collapse_votes`` (one vote per reviewer and study; repeats must agree) ->
``load_resolutions`` -> ``final_decisions`` (unanimous reviewers, else the resolution, else
pending) -> output, plus ``agreement`` statistics.

Rules the stage enforces (each stops the build with the file and line):
- an id that is no record or study of the review;
- a decision value the stage does not know (full text also allows ``not_retrieved``);
- a full-text exclusion without a reason from ``config.screening.exclusion_reasons``;
- one reviewer giving a study two different decisions; two different resolutions of a study;
- a full-text decision for a study not included at title/abstract;
- studies without a final decision: ``pending_<stage>.csv`` is written beside ``--out`` (the
  reviewers' work list) and the stage stops naming it and the number pending.

Output ``<stage>.csv``: ``study_id, decision, reason, reviewers, conflict, resolved_by`` in
the order of ``studies.csv``. Decisions: include | exclude (| not_retrieved at full text).
A study's reason at full text is the one the reviewers agreed on or the resolution gave;
reviewers who all exclude but give different reasons are a conflict (PRISMA counts one reason).
"""

from __future__ import annotations

import argparse
import itertools
import logging
import math
from pathlib import Path

import pandas as pd

from reviewflow import files
from reviewflow.errors import ReviewflowError
from reviewflow.screening_formats import FORMATS, load_decisions, read_table

log = logging.getLogger(__name__)

STAGES = ("title_abstract", "full_text")
STAGE_LABEL = {"title_abstract": "title/abstract", "full_text": "full-text"}
VOTE_VALUES = {
    "title_abstract": ("include", "exclude", "maybe"),
    "full_text": ("include", "exclude", "maybe", "not_retrieved"),
}
FINAL_VALUES = {
    "title_abstract": ("include", "exclude"),
    "full_text": ("include", "exclude", "not_retrieved"),
}
OUTPUT_COLUMNS = ["study_id", "decision", "reason", "reviewers", "conflict", "resolved_by"]
PENDING_COLUMNS = [
    "study_id",
    "status",
    "votes",
    "record_ids",
    "title",
    "authors",
    "year",
    "journal",
    "doi",
    "abstract",
]


# --- configuration and inputs ---------------------------------------------------------------


def load_screening_config(path: str | Path) -> tuple[str, list[str]]:
    """``(format, exclusion_reasons)`` from config.yaml's ``screening`` section."""
    config = files.read_yaml(path) or {}
    section = config.get("screening") or {}
    fmt = section.get("format", "native")
    if fmt not in FORMATS:
        raise ReviewflowError(
            f"screening.format is {fmt!r}; expected one of {', '.join(FORMATS)}", path=path
        )
    reasons = section.get("exclusion_reasons") or []
    if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
        raise ReviewflowError("screening.exclusion_reasons must be a list of strings", path=path)
    return fmt, [r.strip() for r in reasons]


def load_links(path: str | Path) -> pd.DataFrame:
    return read_table(path, ["record_id", "study_id"])


def load_studies(path: str | Path) -> pd.DataFrame:
    studies = read_table(path, ["study_id"])
    for col in ("record_ids", "title", "authors", "year", "journal", "doi", "abstract"):
        if col not in studies:
            studies[col] = ""
    return studies


# --- votes ----------------------------------------------------------------------------------


def pick_reason(reason: str, allowed: list[str]) -> str | None:
    """The reason to count, or None if any given reason is not in the allowed list.

    Tools such as Rayyan allow several reasons per exclusion ("a; b"); PRISMA counts one, so
    the first in the configured (priority) order wins, as Covidence's guidance recommends.
    """
    given = [r.strip() for r in reason.split(";") if r.strip()]
    if not given or any(r not in allowed for r in given):
        return None
    return min(given, key=allowed.index)


def validate_votes(votes: pd.DataFrame, stage: str, reasons: list[str]) -> pd.DataFrame:
    """Check decision values and full-text exclusion reasons; return votes with clean reasons."""
    votes = votes.copy()
    for row in votes.itertuples(index=False):
        if not row.reviewer:
            raise ReviewflowError("empty reviewer", path=row.path, line=row.line)
        if not row.id:
            raise ReviewflowError("empty id", path=row.path, line=row.line)
        if row.decision not in VOTE_VALUES[stage]:
            raise ReviewflowError(
                f"unknown {STAGE_LABEL[stage]} decision {row.decision!r}; expected one of "
                f"{', '.join(VOTE_VALUES[stage])}",
                path=row.path,
                line=row.line,
            )
    if stage == "full_text":
        votes["reason"] = [
            _checked_reason(row, reasons) if row.decision == "exclude" else ""
            for row in votes.itertuples(index=False)
        ]
    else:
        votes.loc[votes["decision"] != "exclude", "reason"] = ""
    return votes


def _checked_reason(row, reasons: list[str]) -> str:
    if not row.reason:
        raise ReviewflowError(
            f"full-text exclusion without a reason; expected one of: {'; '.join(reasons)}",
            path=row.path,
            line=row.line,
        )
    picked = pick_reason(row.reason, reasons)
    if picked is None:
        raise ReviewflowError(
            f"exclusion reason {row.reason!r} is not in config screening.exclusion_reasons "
            f"({'; '.join(reasons) or 'empty list'})",
            path=row.path,
            line=row.line,
        )
    return picked


def map_to_studies(frame: pd.DataFrame, links: pd.DataFrame, what: str) -> pd.DataFrame:
    """Add ``study_id`` for ``id`` (a record id or a study id); unknown ids stop the build."""
    to_study = dict(zip(links["record_id"], links["study_id"], strict=True))
    to_study.update({s: s for s in links["study_id"]})
    frame = frame.copy()
    study_ids = []
    for row in frame.itertuples(index=False):
        if row.id not in to_study:
            raise ReviewflowError(
                f"{what} for unknown id {row.id!r}: no record or study of the review has it "
                "(see data/processed/dedup/links.csv)",
                path=row.path,
                line=row.line,
            )
        study_ids.append(to_study[row.id])
    frame["study_id"] = study_ids
    return frame


def collapse_votes(votes: pd.DataFrame) -> pd.DataFrame:
    """One vote per (study, reviewer): repeated agreeing rows collapse; differing ones stop."""
    rows = []
    for (study, reviewer), group in votes.groupby(["study_id", "reviewer"], sort=True):
        distinct = group.drop_duplicates(["decision", "reason"])
        if len(distinct) > 1:
            lines = ", ".join(str(x) for x in group["line"])
            said = "; ".join(
                f"{d.decision}{' (' + d.reason + ')' if d.reason else ''} at line {d.line}"
                for d in distinct.itertuples(index=False)
            )
            raise ReviewflowError(
                f"reviewer {reviewer!r} gave study {study} different decisions: {said} "
                f"(lines {lines})",
                path=group["path"].iloc[0],
                line=int(group["line"].iloc[0]),
            )
        rows.append(group.iloc[0])
    if not rows:
        return votes.iloc[0:0]
    return pd.DataFrame(rows).reset_index(drop=True)


# --- resolutions ----------------------------------------------------------------------------


def load_resolutions(
    path: str | Path | None, stage: str, links: pd.DataFrame, reasons: list[str]
) -> pd.DataFrame:
    """This stage's resolutions, one per study: ``study_id, decision, reason, resolved_by``."""
    columns = ["study_id", "decision", "reason", "resolved_by", "path", "line"]
    if path is None or not Path(path).exists():
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    table = read_table(path, ["stage", "id", "decision"])
    for col in ("reason", "resolved_by", "note"):
        if col not in table:
            table[col] = ""
    for col in ("stage", "id", "decision", "reason", "resolved_by"):
        table[col] = table[col].str.strip()
    table["decision"] = table["decision"].str.lower()
    bad_stage = table[~table["stage"].isin(STAGES)]
    if len(bad_stage):
        row = bad_stage.iloc[0]
        raise ReviewflowError(
            f"unknown stage {row['stage']!r}; expected one of {', '.join(STAGES)}",
            path=path,
            line=int(row["line"]),
        )
    table = table[table["stage"] == stage]
    for row in table.itertuples(index=False):
        if row.decision not in FINAL_VALUES[stage]:
            raise ReviewflowError(
                f"unknown {STAGE_LABEL[stage]} resolution {row.decision!r}; expected one of "
                f"{', '.join(FINAL_VALUES[stage])}",
                path=row.path,
                line=row.line,
            )
    table = table.assign(reviewer="resolution")
    table = validate_votes(table, stage, reasons)
    table = map_to_studies(table, links, "resolution")
    out = []
    for study, group in table.groupby("study_id", sort=True):
        distinct = group.drop_duplicates(["decision", "reason"])
        if len(distinct) > 1:
            said = "; ".join(
                f"{d.decision}{' (' + d.reason + ')' if d.reason else ''} at line {d.line}"
                for d in distinct.itertuples(index=False)
            )
            raise ReviewflowError(
                f"two different final {STAGE_LABEL[stage]} decisions for study {study}: {said}",
                path=path,
                line=int(distinct["line"].iloc[1]),
            )
        out.append(group.iloc[0])
    if not out:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return pd.DataFrame(out)[columns].reset_index(drop=True)


# --- final decisions ------------------------------------------------------------------------


def eligible_studies(studies: pd.DataFrame, stage: str, previous: pd.DataFrame | None) -> list[str]:
    """Studies this stage must decide: all of them, or those included at title/abstract."""
    if stage == "title_abstract":
        return list(studies["study_id"])
    if previous is None:
        raise ReviewflowError("the full-text stage needs --previous (the title/abstract output)")
    return list(previous.loc[previous["decision"] == "include", "study_id"])


def check_scope(
    votes: pd.DataFrame, resolutions: pd.DataFrame, eligible: list[str], stage: str
) -> None:
    """Full-text decisions may only concern studies included at title/abstract."""
    if stage != "full_text":
        return
    allowed = set(eligible)
    for frame in (votes, resolutions):
        for row in frame.itertuples(index=False):
            if row.study_id not in allowed:
                raise ReviewflowError(
                    f"full-text decision for study {row.study_id}, which was excluded at "
                    "title/abstract (not in the title/abstract includes)",
                    path=row.path,
                    line=row.line,
                )


def _vote_text(group: pd.DataFrame) -> str:
    return "; ".join(
        f"{v.reviewer}: {v.decision}{' (' + v.reason + ')' if v.reason else ''}"
        for v in group.sort_values("reviewer").itertuples(index=False)
    )


def final_decisions(
    votes: pd.DataFrame, resolutions: pd.DataFrame, eligible: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(decided, pending). Unanimous votes decide; otherwise the resolution; else pending."""
    by_study = {s: g for s, g in votes.groupby("study_id", sort=False)}
    resolved = {r.study_id: r for r in resolutions.itertuples(index=False)}
    decided, pending = [], []
    for study in eligible:
        group = by_study.get(study)
        reviewers = "; ".join(sorted(group["reviewer"])) if group is not None else ""
        distinct = (
            group.drop_duplicates(["decision", "reason"]) if group is not None else pd.DataFrame()
        )
        conflict = len(distinct) > 1
        if study in resolved:
            res = resolved[study]
            decided.append(
                {
                    "study_id": study,
                    "decision": res.decision,
                    "reason": res.reason,
                    "reviewers": reviewers,
                    "conflict": "true" if conflict else "false",
                    "resolved_by": res.resolved_by or "resolution",
                }
            )
        elif group is not None and not conflict and distinct["decision"].iloc[0] != "maybe":
            decided.append(
                {
                    "study_id": study,
                    "decision": distinct["decision"].iloc[0],
                    "reason": distinct["reason"].iloc[0],
                    "reviewers": reviewers,
                    "conflict": "false",
                    "resolved_by": "",
                }
            )
        else:
            status = "no_decision" if group is None else "conflict" if conflict else "maybe"
            pending.append(
                {
                    "study_id": study,
                    "status": status,
                    "votes": "" if group is None else _vote_text(group),
                }
            )
    decided_df = pd.DataFrame(decided, columns=OUTPUT_COLUMNS)
    pending_df = pd.DataFrame(pending, columns=["study_id", "status", "votes"])
    return decided_df, pending_df


def pending_sheet(pending: pd.DataFrame, studies: pd.DataFrame) -> pd.DataFrame:
    """The pending studies with what a reviewer needs to decide them."""
    meta = studies.drop(columns=["line", "path"], errors="ignore")
    merged = pending.merge(meta, on="study_id", how="left", validate="one_to_one").fillna("")
    return merged[PENDING_COLUMNS]


# --- agreement ------------------------------------------------------------------------------


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
            ((decided["conflict"] == "false") & (decided["resolved_by"] != "")).sum()
        ),
        "final_by_decision": {
            k: int(n) for k, n in decided["decision"].value_counts().sort_index().items()
        },
    }


# --- the stage ------------------------------------------------------------------------------


def prepare_votes(
    decision_paths: list[str | Path],
    stage: str,
    links: pd.DataFrame,
    studies: pd.DataFrame,
    fmt: str,
    reasons: list[str],
) -> pd.DataFrame:
    """Load, check, map to studies and collapse the reviewers' votes of one stage."""
    votes = load_decisions(decision_paths, fmt, studies=studies, links=links, stage=stage)
    log.info("%s: %d votes from %d file(s)", stage, len(votes), len(decision_paths))
    votes = validate_votes(votes, stage, reasons)
    votes = map_to_studies(votes, links, f"{STAGE_LABEL[stage]} decision")
    return collapse_votes(votes)


def screen(
    *,
    stage: str,
    decision_paths: list[str | Path],
    resolutions_path: str | Path | None,
    links: pd.DataFrame,
    studies: pd.DataFrame,
    fmt: str,
    reasons: list[str],
    previous: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Pure core of the stage: (decided, pending, agreement)."""
    votes = prepare_votes(decision_paths, stage, links, studies, fmt, reasons)
    resolutions = load_resolutions(resolutions_path, stage, links, reasons)
    eligible = eligible_studies(studies, stage, previous)
    check_scope(votes, resolutions, eligible, stage)
    decided, pending = final_decisions(votes, resolutions, eligible)
    return decided, pending, agreement(votes, decided, stage)


def pending_path(out: str | Path, stage: str) -> Path:
    return Path(out).parent / f"pending_{stage}.csv"


def run(args: argparse.Namespace) -> None:
    fmt, reasons = load_screening_config(args.config)
    links = load_links(args.links)
    studies = load_studies(args.studies)
    previous = files.read_csv(args.previous) if args.previous else None
    decided, pending, stats = screen(
        stage=args.stage,
        decision_paths=args.decisions,
        resolutions_path=args.resolutions,
        links=links,
        studies=studies,
        fmt=fmt,
        reasons=reasons,
        previous=previous,
    )
    work_list = pending_path(args.out, args.stage)
    if len(pending):
        files.write_csv(pending_sheet(pending, studies), work_list)
        counts = pending["status"].value_counts().sort_index()
        detail = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items())
        raise ReviewflowError(
            f"{len(pending)} {'study has' if len(pending) == 1 else 'studies have'} no final "
            f"{STAGE_LABEL[args.stage]} decision "
            f"({detail}); reviewers' work list written to {work_list}",
            path=args.decisions[0],
        )
    work_list.unlink(missing_ok=True)
    files.write_csv(decided, args.out)
    files.write_json(stats, args.agreement)
    log.info(
        "%s: %d studies decided (%s); kappa %s",
        args.stage,
        len(decided),
        ", ".join(f"{k} {v}" for k, v in stats["final_by_decision"].items()),
        stats["cohens_kappa"],
    )


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "screen", help="check screening decisions and resolve them to one per study"
    )
    p.add_argument("--stage", required=True, choices=STAGES)
    p.add_argument(
        "--decisions",
        required=True,
        nargs="+",
        help="decision file(s) in config's screening.format (ASReview: one export per reviewer)",
    )
    p.add_argument("--resolutions", help="resolutions.csv (stage, id, decision, reason, ...)")
    p.add_argument("--links", required=True)
    p.add_argument("--studies", required=True)
    p.add_argument("--config", required=True)
    p.add_argument("--previous", help="title/abstract output (required for --stage full_text)")
    p.add_argument("--out", required=True)
    p.add_argument("--agreement", required=True)
    p.set_defaults(func=run)
