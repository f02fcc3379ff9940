"""Stages 3 and 4: reviewers' screening decisions -> one checked decision per study.

Pipeline per stage (each step a small function over DataFrames):
``load`` (any tool's export, see :mod:`reviewflow.screening.formats`) -> ``validate_votes``
(decision values, exclusion reasons) -> ``map_to_studies`` (any record id of a study names the
study) -> ``collapse_votes`` (one vote per reviewer and study; repeats must agree) ->
``load_resolutions`` -> ``final_decisions`` (unanimous reviewers, else the resolution, else
pending) -> output, plus :func:`~reviewflow.screening.agreement.agreement` statistics.
A tool's consensus decisions (Covidence) count as resolutions: final, without votes.

Rules the stage enforces (each stops the build with the file and line):
- an id that is no record or study of the review;
- a decision value the stage does not know (full text also allows ``not_retrieved``);
- a full-text exclusion without a reason from ``config.screening.exclusion_reasons``;
- one reviewer giving a study two different decisions; two different resolutions of a study;
- a full-text decision for a study not included at title/abstract;
- studies without a final decision, including "no decision file yet": ``pending_<stage>.csv``
  is written beside ``--out`` (the reviewers' work list, formula-safe) and the stage stops
  naming it and the number pending.

Output ``<stage>.csv``: ``study_id, decision, reason, reviewers, conflict, resolved_by`` in
the order of ``studies.csv``. Decisions: include | exclude (| not_retrieved at full text).
A study's reason at full text is the one the reviewers agreed on or the resolution gave;
reviewers who all exclude but give different reasons are a conflict (PRISMA counts one reason).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pandas as pd

from reviewflow import files, tables
from reviewflow.errors import ReviewflowError
from reviewflow.ids import StudyResolver
from reviewflow.screening.agreement import CONSENSUS, agreement
from reviewflow.screening.formats import FORMATS, load_decisions
from reviewflow.screening.tables import read_table

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
OUTPUT_COLUMNS = tables.DECISIONS
RESOLUTION_COLUMNS = ["study_id", "decision", "reason", "resolved_by", "path", "line"]
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


def stage_format(setting: object, stage: str, path: str | Path | None = None) -> str:
    """The decision format of ``stage``: ``screening.format`` is one format for both stages,
    or a mapping ``{title_abstract: asreview, full_text: covidence}``."""
    fmt = setting.get(stage, "native") if isinstance(setting, dict) else setting or "native"
    if fmt not in FORMATS:
        raise ReviewflowError(
            f"screening.format is {fmt!r} for {stage}; expected one of {', '.join(FORMATS)}",
            path=path,
        )
    return fmt


def load_screening_config(path: str | Path, stage: str) -> tuple[str, list[str]]:
    """``(format, exclusion_reasons)`` of ``stage`` from config.yaml's ``screening`` section."""
    config = files.read_yaml(path) or {}
    section = config.get("screening") or {}
    reasons = section.get("exclusion_reasons") or []
    if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
        raise ReviewflowError("screening.exclusion_reasons must be a list of strings", path=path)
    return stage_format(section.get("format"), stage, path), [r.strip() for r in reasons]


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


def validate_votes(
    votes: pd.DataFrame, stage: str, reasons: list[str], what: str = "decision"
) -> pd.DataFrame:
    """Check decision values and full-text exclusion reasons; return votes with clean reasons.

    Votes may say "maybe"; resolutions (``what="resolution"``) must be final decisions.
    """
    allowed = VOTE_VALUES[stage] if what == "decision" else FINAL_VALUES[stage]
    votes = votes.copy()
    for row in votes.itertuples(index=False):
        if not row.reviewer:
            raise ReviewflowError("empty reviewer", path=row.path, line=row.line)
        if not row.id:
            raise ReviewflowError("empty id", path=row.path, line=row.line)
        if row.decision not in allowed:
            raise ReviewflowError(
                f"unknown {STAGE_LABEL[stage]} {what} {row.decision!r}; expected one of "
                f"{', '.join(allowed)}",
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


def map_to_studies(frame: pd.DataFrame, resolver: StudyResolver, what: str) -> pd.DataFrame:
    """Add ``study_id`` for ``id`` (record id, study id or doi:<doi>); unknown ids stop."""
    frame = frame.copy()
    study_ids = []
    for row in frame.itertuples(index=False):
        study = resolver.study_of(row.id)
        if study is None:
            raise ReviewflowError(
                f"{what} for unknown id {row.id!r}: no record or study of the review has it "
                "(see data/processed/dedup/links.csv)",
                path=row.path,
                line=row.line,
            )
        study_ids.append(study)
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
    path: str | Path | None, stage: str, resolver: StudyResolver, reasons: list[str]
) -> pd.DataFrame:
    """This stage's resolutions, one per study: ``study_id, decision, reason, resolved_by``."""
    if path is None or not Path(path).exists():
        return _no_resolutions()
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
    table = table[table["stage"] == stage].assign(reviewer="resolution")
    table = validate_votes(table, stage, reasons, what="resolution")
    table = map_to_studies(table, resolver, "resolution")
    return one_per_study(table, stage)


def _no_resolutions() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in RESOLUTION_COLUMNS})


def one_per_study(table: pd.DataFrame, stage: str) -> pd.DataFrame:
    """One final decision per study; two different ones for a study stop the build."""
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
                path=distinct["path"].iloc[1],
                line=int(distinct["line"].iloc[1]),
            )
        out.append(group.iloc[0])
    if not out:
        return _no_resolutions()
    return pd.DataFrame(out)[RESOLUTION_COLUMNS].reset_index(drop=True)


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
    """The pending studies with what a reviewer needs to decide them, formula-safe."""
    meta = studies.drop(columns=["line", "path"], errors="ignore")
    merged = pending.merge(meta, on="study_id", how="left", validate="one_to_one").fillna("")
    return merged[PENDING_COLUMNS].map(files.neutralise_formula)


# --- the stage ------------------------------------------------------------------------------


def prepare_votes(
    decision_paths: list[str | Path],
    stage: str,
    resolver: StudyResolver,
    fmt: str,
    reasons: list[str],
) -> pd.DataFrame:
    """Load, check, map to studies and collapse the votes (and consensus rows) of one stage."""
    votes = load_decisions(decision_paths, fmt, resolver=resolver, stage=stage)
    log.info("%s: %d votes from %d file(s)", stage, len(votes), len(decision_paths))
    votes = validate_votes(votes, stage, reasons)
    votes = map_to_studies(votes, resolver, f"{STAGE_LABEL[stage]} decision")
    return collapse_votes(votes)


def consensus_resolutions(votes: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(reviewers' votes, the tool's consensus decisions as resolutions)."""
    final = votes["final"] == "true"
    consensus = votes[final].assign(resolved_by=CONSENSUS)
    return votes[~final], consensus.reindex(columns=RESOLUTION_COLUMNS)


def screen(
    *,
    stage: str,
    decision_paths: list[str | Path],
    resolutions_path: str | Path | None,
    resolver: StudyResolver,
    studies: pd.DataFrame,
    fmt: str,
    reasons: list[str],
    previous: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Pure core of the stage: (decided, pending, agreement)."""
    votes, consensus = consensus_resolutions(
        prepare_votes(decision_paths, stage, resolver, fmt, reasons)
    )
    resolutions = load_resolutions(resolutions_path, stage, resolver, reasons)
    if len(consensus):
        resolutions = one_per_study(pd.concat([consensus, resolutions]), stage)
    eligible = eligible_studies(studies, stage, previous)
    check_scope(votes, resolutions, eligible, stage)
    decided, pending = final_decisions(votes, resolutions, eligible)
    return decided, pending, agreement(votes, decided, stage)


def pending_path(out: str | Path, stage: str) -> Path:
    return Path(out).parent / f"pending_{stage}.csv"


def stage_settings(args: argparse.Namespace) -> tuple[str, list[str]]:
    """(format, exclusion reasons): from ``--format``/``--exclusion-reasons`` (how the rule
    passes config values) or else from ``--config``."""
    if args.format is None and args.config is None:
        raise ReviewflowError("give --format (and --exclusion-reasons) or --config")
    fmt, reasons = load_screening_config(args.config, args.stage) if args.config else ("", [])
    if args.format is not None:
        fmt = stage_format(args.format, args.stage)
    if args.exclusion_reasons is not None:
        reasons = [r.strip() for r in args.exclusion_reasons]
    return fmt, reasons


def stage_inputs(args: argparse.Namespace) -> dict:
    """The keyword arguments of :func:`screen` from the command line (shared with the sheet)."""
    fmt, reasons = stage_settings(args)
    studies = load_studies(args.studies)
    previous = files.read_csv(args.previous) if args.previous else None
    eligible_studies(studies, args.stage, previous)  # fails early without --previous
    return {
        "stage": args.stage,
        "decision_paths": list(args.decisions),
        "resolutions_path": args.resolutions,
        "resolver": StudyResolver(load_links(args.links), studies),
        "studies": studies,
        "fmt": fmt,
        "reasons": reasons,
        "previous": previous,
    }


def pending_message(pending: pd.DataFrame, stage: str, work_list: Path, no_files: bool) -> str:
    counts = pending["status"].value_counts().sort_index()
    detail = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items())
    message = (
        f"{len(pending)} {'study has' if len(pending) == 1 else 'studies have'} no final "
        f"{STAGE_LABEL[stage]} decision ({detail}); reviewers' work list written to {work_list}"
    )
    if no_files:
        message += (
            f". No {STAGE_LABEL[stage]} decision files yet: put them in "
            f"data/raw/screening/{stage}.csv or data/raw/screening/{stage}/ "
            "(docs/screening-tools.md)"
        )
    return message


def run(args: argparse.Namespace) -> None:
    inputs = stage_inputs(args)
    decided, pending, stats = screen(**inputs)
    work_list = pending_path(args.out, args.stage)
    if len(pending):
        files.write_csv(pending_sheet(pending, inputs["studies"]), work_list)
        raise ReviewflowError(
            pending_message(pending, args.stage, work_list, not args.decisions),
            path=args.decisions[0] if args.decisions else None,
        )
    work_list.unlink(missing_ok=True)
    tables.write(decided, tables.DECISIONS, args.out)
    files.write_json(stats, args.agreement)
    log.info(
        "%s: %d studies decided (%s); kappa %s",
        args.stage,
        len(decided),
        ", ".join(f"{k} {v}" for k, v in stats["final_by_decision"].items()),
        stats["cohens_kappa"] if stats["agreement_available"] else "not available",
    )


def add_stage_arguments(p: argparse.ArgumentParser) -> None:
    """The inputs ``screen`` and ``screening-sheet`` share."""
    p.add_argument("--stage", required=True, choices=STAGES)
    p.add_argument(
        "--decisions",
        nargs="*",
        default=[],
        help="decision files (none: nothing decided yet); see docs/screening-tools.md",
    )
    p.add_argument("--resolutions", help="resolutions.csv (stage, id, decision, reason, ...)")
    p.add_argument("--links", required=True)
    p.add_argument("--studies", required=True)
    p.add_argument("--format", help="decision format (else config's screening.format)")
    p.add_argument(
        "--exclusion-reasons", nargs="*", help="else config's screening.exclusion_reasons"
    )
    p.add_argument("--config", help="config.yaml, for the values not given above")
    p.add_argument("--previous", help="title/abstract output (required for --stage full_text)")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "screen", help="check screening decisions and resolve them to one per study"
    )
    add_stage_arguments(p)
    p.add_argument("--out", required=True)
    p.add_argument("--agreement", required=True)
    p.set_defaults(func=run)
