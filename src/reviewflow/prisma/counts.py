"""PRISMA 2020 counts: every record placed in one box, the boxes counted and checked.

Inputs: ``records.csv`` (``record_id, source, kind`` [database | register | other], optional
``method``), ``links.csv`` (record -> study), and the two screening outputs.

How records are placed (every record lands in exactly one box; see ``record_boxes.csv``):

- A study belongs to the **databases and registers** column if any of its records came from a
  database or register, otherwise to the **other methods** column. So a study found by both a
  database and citation searching is counted once, on the left, as PRISMA 2020's
  explanation paper advises (other methods are credited with the studies only they found).
- The study's first record (records.csv order) from its column carries it through screening;
  every other record of the study is a removed duplicate, counted in the column its own
  source belongs to.
- Studies and reports are counted apart. Deduplication joins records of one publication; a
  further publication of an included study (a companion report) is screened on its own and
  excluded with a reason listed in ``screening.companion_report_reasons``. PRISMA 2020 counts
  it as a report of an included study, not as an excluded report.

``counts.json`` keys (all integers unless noted; ``<col>`` is ``databases_registers`` or
``other_methods``)::

    identified_total              every record in records.csv (both columns)
    duplicates_removed_total      records removed as duplicates (both columns)
    records_removed_automation_total, records_removed_other_total
                                  records removed before screening by automation tools or for
                                  other reasons: always 0 (reviewflow removes duplicates only)
    records_screened_total        studies screened at title/abstract
    records_excluded_total        excluded at title/abstract
    reports_sought_total          reports sought for retrieval (= title/abstract includes)
    reports_not_retrieved_total   full-text decision not_retrieved
    reports_assessed_total        full texts assessed for eligibility
    reports_excluded_total        reports excluded with a reason (companion reports are not)
    reports_excluded_by_reason    {reason: n} over both columns
    companion_reports_total       further reports of included studies
    studies_included              new studies included in the review (both columns)
    reports_included              reports of included studies (studies + companion reports)
    other_methods_present         bool: whether the search log has kind=other searches
    <col>.identified              records identified in the column
    <col>.identified_by_source    {source: n}; on the left every database and register
    databases_registers.identified_databases / .identified_registers
    databases_registers.by_database / .by_register   {source: n}
    other_methods.by_method       {method: n} (records.csv ``method``, else ``source``)
    <col>.duplicates_removed, .records_removed_automation, .records_removed_other,
    <col>.records_screened, .records_excluded, .reports_sought, .reports_not_retrieved,
    <col>.reports_assessed, .reports_excluded, .reports_excluded_by_reason {reason: n},
    <col>.companion_reports, .studies_included, .reports_included

Conservation checks (stop the build): per column and in total, identified = records removed
before screening + screened; screened = excluded + sought; sought = not retrieved + assessed;
assessed = sum over exclusion reasons + reports of included studies; and every record id is
in exactly one box.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from reviewflow import tables
from reviewflow.errors import ReviewflowError
from reviewflow.prose import count
from reviewflow.screening.tables import read_table

LEFT, RIGHT = "databases_registers", "other_methods"
COLUMN_KINDS = {"database": LEFT, "register": LEFT, "other": RIGHT}
BOX_COLUMNS = tables.RECORD_BOXES

# A study's outcome at full text (the ``outcome`` column of full_text_outcomes), in the
# order the exclusions table lists them.
EXCLUDED = "excluded"
NOT_RETRIEVED = "not retrieved"
COMPANION = "report of an included study"
INCLUDED = "included"
OUTCOME_ORDER = (EXCLUDED, NOT_RETRIEVED, COMPANION, INCLUDED)
# The record box each full-text outcome ends in.
OUTCOME_BOX = {
    EXCLUDED: "reports_excluded",
    NOT_RETRIEVED: "reports_not_retrieved",
    COMPANION: "companion_report",
    INCLUDED: "included",
}
# Boxes a record can end in; a removed duplicate never reaches screening.
BOXES = ("duplicate_removed", "records_excluded", *OUTCOME_BOX.values())
EXCLUSION_COLUMNS = ["study_id", "outcome", "reason"]


# --- inputs ---------------------------------------------------------------------------------


def load_records(path: str | Path) -> pd.DataFrame:
    records = read_table(path, ["record_id", "source", "kind"])
    bad = records[~records["kind"].isin(COLUMN_KINDS)]
    if len(bad):
        row = bad.iloc[0]
        raise ReviewflowError(
            f"record {row['record_id']} has kind {row['kind']!r}; expected database, register "
            "or other",
            path=path,
            line=int(row["line"]),
        )
    if "method" not in records:
        records["method"] = ""
    dupes = records[records["record_id"].duplicated()]
    if len(dupes):
        raise ReviewflowError(
            f"record id {dupes['record_id'].iloc[0]} appears twice",
            path=path,
            line=int(dupes["line"].iloc[0]),
        )
    return records


def load_decisions(path: str | Path) -> pd.DataFrame:
    return read_table(path, ["study_id", "decision", "reason"])


# --- full text: the one source of the exclusions table and the diagram's lower boxes ------


def full_text_outcomes(
    full_text: pd.DataFrame, companion_reasons: Iterable[str] = (), path: str | None = None
) -> pd.DataFrame:
    """``study_id, outcome, reason`` for every full-text decision, in OUTCOME_ORDER.

    An exclusion whose reason is in ``companion_reasons`` is a report of an included study;
    other exclusions keep their reason; a study not retrieved has no reason.
    """
    companions = set(companion_reasons)
    decision = full_text["decision"].str.strip().str.lower()
    reason = full_text["reason"].str.strip()
    known = {"include": INCLUDED, "exclude": EXCLUDED, "not_retrieved": NOT_RETRIEVED}
    bad = full_text[~decision.isin(known)]
    if len(bad):
        row = bad.iloc[0]
        raise ReviewflowError(
            f"study {row['study_id']} has full-text decision {row['decision']!r}; expected "
            "include, exclude or not_retrieved",
            **_where(row, path),
        )
    outcome = decision.map(known).where(
        ~(decision.eq("exclude") & reason.isin(companions)), COMPANION
    )
    if outcome.eq(COMPANION).any() and not outcome.eq(INCLUDED).any():
        row = full_text[outcome.eq(COMPANION)].iloc[0]
        raise ReviewflowError(
            f"study {row['study_id']} is excluded as {row['reason']!r}, a report of an included "
            "study, but no study is included",
            **_where(row, path),
        )
    out = pd.DataFrame(
        {
            "study_id": full_text["study_id"],
            "outcome": outcome,
            "reason": reason.where(decision.eq("exclude"), ""),
        }
    )
    order = out["outcome"].map({o: i for i, o in enumerate(OUTCOME_ORDER)})
    return (
        out.assign(_order=order)
        .sort_values(["_order", "reason", "study_id"])[EXCLUSION_COLUMNS]
        .reset_index(drop=True)
    )


def _where(row: pd.Series, path: str | None) -> dict:
    """The file and line of a decision row (read_table adds ``path`` and ``line``)."""
    line = row.get("line")
    return {"path": path or row.get("path"), "line": None if line is None else int(line)}


def full_text_exclusions(
    full_text: pd.DataFrame, companion_reasons: Iterable[str] = (), path: str | None = None
) -> pd.DataFrame:
    """The full-text decisions other than includes: excluded with a reason, then not
    retrieved, then companion reports (the ``outcome`` column says which)."""
    out = full_text_outcomes(full_text, companion_reasons, path)
    return out[out["outcome"] != INCLUDED].reset_index(drop=True)


# --- record -> box --------------------------------------------------------------------------


def assign_boxes(
    records: pd.DataFrame,
    links: pd.DataFrame,
    title_abstract: pd.DataFrame,
    full_text: pd.DataFrame,
    paths: dict[str, str] | None = None,
    companion_reasons: Iterable[str] = (),
) -> pd.DataFrame:
    """One row per record: its column and the single box it ends in."""
    paths = paths or {}
    link_of = dict(zip(links["record_id"], links["study_id"], strict=True))
    missing = [r for r in records["record_id"] if r not in link_of]
    if missing:
        raise ReviewflowError(
            f"{count(len(missing), 'record', words=False)} missing from links.csv, e.g. "
            f"{missing[0]}: every record must belong to a study",
            path=paths.get("links"),
        )
    unknown = sorted(set(link_of) - set(records["record_id"]))
    if unknown:
        raise ReviewflowError(
            f"{count(len(unknown), 'record id', words=False)} in links.csv not in records.csv, "
            f"e.g. {unknown[0]}",
            path=paths.get("links"),
        )
    frame = records[["record_id", "kind"]].copy()
    frame["column"] = frame["kind"].map(COLUMN_KINDS)
    frame["study_id"] = frame["record_id"].map(link_of)
    study_column = (
        frame.assign(left=frame["column"] == LEFT)
        .groupby("study_id", sort=False)["left"]
        .any()
        .map({True: LEFT, False: RIGHT})
    )
    frame["study_column"] = frame["study_id"].map(study_column)
    carriers = frame[frame["column"] == frame["study_column"]].drop_duplicates("study_id")
    carrier_ids = set(carriers["record_id"])

    ta = _by_study(title_abstract, "title/abstract", paths.get("title_abstract"))
    _by_study(full_text, "full-text", paths.get("full_text"))  # stops on a study decided twice
    outcomes = full_text_outcomes(full_text, companion_reasons, paths.get("full_text"))
    ft = outcomes.set_index("study_id")[["outcome", "reason"]].apply(tuple, axis=1).to_dict()

    def box_of(record_id: str, study_id: str) -> tuple[str, str]:
        """(box, reason) of one record."""
        if record_id not in carrier_ids:
            return "duplicate_removed", ""
        if study_id not in ta:
            raise ReviewflowError(
                f"study {study_id} has no title/abstract decision, so record {record_id} is "
                "in no box",
                path=paths.get("title_abstract"),
            )
        if ta[study_id] == "exclude":
            return "records_excluded", ""
        if study_id not in ft:
            raise ReviewflowError(
                f"study {study_id} was included at title/abstract but has no full-text decision",
                path=paths.get("full_text"),
            )
        outcome, reason = ft[study_id]
        return OUTCOME_BOX[outcome], reason

    placed = [box_of(r, s) for r, s in zip(frame["record_id"], frame["study_id"], strict=True)]
    extra = sorted(set(ft) - {s for s, d in ta.items() if d == "include"})
    if extra:
        raise ReviewflowError(
            f"full-text decision for study {extra[0]} which is not a title/abstract include",
            path=paths.get("full_text"),
        )
    frame["box"] = [box for box, _ in placed]
    frame["reason"] = [reason for _, reason in placed]
    return frame[BOX_COLUMNS].reset_index(drop=True)


def _by_study(table: pd.DataFrame, what: str, path: str | None) -> dict[str, str]:
    """study id -> decision; stops on a study decided twice."""
    out: dict[str, str] = {}
    for row in table.itertuples(index=False):
        if row.study_id in out:
            raise ReviewflowError(
                f"study {row.study_id} has two {what} decisions", path=path, line=row.line
            )
        out[row.study_id] = row.decision
    return out


# --- counts ---------------------------------------------------------------------------------


def _sorted_counts(series: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in sorted(series.value_counts().items())}


def column_counts(boxes: pd.DataFrame, records: pd.DataFrame, column: str) -> dict:
    """The boxes of one column of the diagram, computed from the record -> box table."""
    mine = boxes[boxes["column"] == column]
    recs = records[records["record_id"].isin(mine["record_id"])]
    in_box = mine["box"].value_counts()
    n = {b: int(in_box.get(b, 0)) for b in BOXES}
    screened = len(mine) - n["duplicate_removed"]
    sought = screened - n["records_excluded"]
    out = {
        "identified": int(len(mine)),
        "identified_by_source": _sorted_counts(recs["source"]),
        "duplicates_removed": n["duplicate_removed"],
        # PRISMA 2020 boxes reviewflow never fills: records are removed before screening
        # only as duplicates. Kept so the diagram shows the template's every line.
        "records_removed_automation": 0,
        "records_removed_other": 0,
        "records_screened": screened,
        "records_excluded": n["records_excluded"],
        "reports_sought": sought,
        "reports_not_retrieved": n["reports_not_retrieved"],
        "reports_assessed": sought - n["reports_not_retrieved"],
        "reports_excluded": n["reports_excluded"],
        "reports_excluded_by_reason": _sorted_counts(
            mine.loc[mine["box"] == "reports_excluded", "reason"]
        ),
        "companion_reports": n["companion_report"],
        "studies_included": n["included"],
        "reports_included": n["included"] + n["companion_report"],
    }
    if column == LEFT:
        out["identified_databases"] = int((recs["kind"] == "database").sum())
        out["identified_registers"] = int((recs["kind"] == "register").sum())
        out["by_database"] = _sorted_counts(recs.loc[recs["kind"] == "database", "source"])
        out["by_register"] = _sorted_counts(recs.loc[recs["kind"] == "register", "source"])
    else:
        method = recs["method"].where(recs["method"] != "", recs["source"])
        out["by_method"] = _sorted_counts(method)
    return out


# Keys summed over both columns into ``<key>_total`` (the others have their own names).
_TOTALLED = (
    "duplicates_removed",
    "records_removed_automation",
    "records_removed_other",
    "records_screened",
    "records_excluded",
    "reports_sought",
    "reports_not_retrieved",
    "reports_assessed",
    "reports_excluded",
    "companion_reports",
)


def prisma_counts(boxes: pd.DataFrame, records: pd.DataFrame) -> dict:
    left = column_counts(boxes, records, LEFT)
    right = column_counts(boxes, records, RIGHT)
    reasons: dict[str, int] = {}
    for col in (left, right):
        for k, v in col["reports_excluded_by_reason"].items():
            reasons[k] = reasons.get(k, 0) + v
    return {
        "identified_total": left["identified"] + right["identified"],
        **{f"{k}_total": left[k] + right[k] for k in _TOTALLED},
        "reports_excluded_by_reason": dict(sorted(reasons.items())),
        "studies_included": left["studies_included"] + right["studies_included"],
        "reports_included": left["reports_included"] + right["reports_included"],
        "other_methods_present": bool((records["kind"] == "other").any()),
        LEFT: left,
        RIGHT: right,
    }


def _total_column(counts: dict) -> dict:
    """The totals under the per-column key names, so one set of identities checks both."""
    out = {k: counts[f"{k}_total"] for k in ("identified", *_TOTALLED)}
    keys = ("reports_excluded_by_reason", "studies_included", "reports_included")
    return out | {k: counts[k] for k in keys}


def check_conservation(counts: dict, boxes: pd.DataFrame, records: pd.DataFrame) -> None:
    """Stop unless every PRISMA identity holds, for each column and in total."""
    failures = []
    for name, c in ((LEFT, counts[LEFT]), (RIGHT, counts[RIGHT]), ("total", _total_column(counts))):
        removed = (
            c["duplicates_removed"] + c["records_removed_automation"] + c["records_removed_other"]
        )
        identities = [
            (
                "identified",
                c["identified"],
                removed + c["records_screened"],
                "records removed before screening + records screened",
            ),
            (
                "records screened",
                c["records_screened"],
                c["records_excluded"] + c["reports_sought"],
                "records excluded + reports sought",
            ),
            (
                "reports sought",
                c["reports_sought"],
                c["reports_not_retrieved"] + c["reports_assessed"],
                "reports not retrieved + reports assessed",
            ),
            (
                "reports assessed",
                c["reports_assessed"],
                sum(c["reports_excluded_by_reason"].values()) + c["reports_included"],
                "reports excluded (sum over reasons) + reports of included studies",
            ),
        ]
        for what, lhs, rhs, parts in identities:
            if lhs != rhs or lhs < 0:
                failures.append(f"{name}: {what} {lhs} != {parts} {rhs}")
    seen = boxes["record_id"].value_counts()
    twice = seen[seen > 1]
    if len(twice):
        failures.append(f"record {twice.index[0]} is in {int(twice.iloc[0])} boxes")
    absent = sorted(set(records["record_id"]) - set(boxes["record_id"]))
    if absent:
        failures.append(f"record {absent[0]} is in no box ({len(absent)} records)")
    if failures:
        raise ReviewflowError("PRISMA counts do not add up: " + "; ".join(failures))


def build(
    records: pd.DataFrame,
    links: pd.DataFrame,
    title_abstract: pd.DataFrame,
    full_text: pd.DataFrame,
    paths: dict[str, str] | None = None,
    companion_reasons: Iterable[str] = (),
) -> tuple[dict, pd.DataFrame]:
    """Pure core: (counts, record_boxes), after the conservation checks."""
    boxes = assign_boxes(records, links, title_abstract, full_text, paths, companion_reasons)
    counts = prisma_counts(boxes, records)
    check_conservation(counts, boxes, records)
    return counts, boxes
