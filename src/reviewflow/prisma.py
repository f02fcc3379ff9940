"""Stage 5: PRISMA 2020 flow counts, conservation checks and the flow diagram.

Inputs: ``records.csv`` (``record_id, source, kind`` [database | register | other], optional
``method``), ``links.csv`` (record -> study), and the two screening outputs.

How records are placed (every record lands in exactly one box; see ``record_boxes.csv``):

- A study belongs to the **databases and registers** column if any of its records came from a
  database or register, otherwise to the **other methods** column. So a study found by both a
  database and citation searching is counted once, on the left, as PRISMA 2020's
  explanation paper advises (other methods are credited with the studies only they found).
- The study's first record (records.csv order) from its column carries it through screening;
  every other record of the study is a removed duplicate, counted in the column its own
  source belongs to (an other-methods record duplicating a database study is "removed as a
  duplicate" in the right-hand column).
- The pipeline deduplicates records into reports of one publication and does not link
  several publications of one study, so reports included = studies included.
- Other-methods studies go through the same title/abstract screening as database studies;
  the right-hand column gets a "records excluded" box only when that excluded any.

``counts.json`` keys (all integers unless noted; ``<col>`` is ``databases_registers`` or
``other_methods``)::

    identified_total              every record in records.csv (both columns)
    duplicates_removed_total      records removed as duplicates (both columns)
    records_screened_total        studies screened at title/abstract
    records_excluded_total        excluded at title/abstract
    reports_sought_total          reports sought for retrieval (= title/abstract includes)
    reports_not_retrieved_total   full-text decision not_retrieved
    reports_assessed_total        full texts assessed for eligibility
    reports_excluded_total        excluded at full text (sum over reasons)
    reports_excluded_by_reason    {reason: n} over both columns
    studies_included              new studies included in the review (both columns)
    reports_included              reports of included studies (= studies_included)
    other_methods_present         bool: whether the search log has kind=other searches
    <col>.identified              records identified in the column
    <col>.identified_by_source    {source: n}; on the left every database and register
    databases_registers.identified_databases / .identified_registers
    databases_registers.by_database / .by_register   {source: n}
    other_methods.by_method       {method: n} (records.csv ``method``, else ``source``)
    <col>.duplicates_removed, .records_screened, .records_excluded, .reports_sought,
    <col>.reports_not_retrieved, .reports_assessed, .reports_excluded,
    <col>.reports_excluded_by_reason {reason: n}, .studies_included

Conservation checks (stop the build): per column and in total, identified = duplicates
removed + screened; screened = excluded + sought; sought = not retrieved + assessed;
assessed = sum over exclusion reasons + included; and every record id is in exactly one box.
"""

from __future__ import annotations

import argparse
import io
import logging
import textwrap
from pathlib import Path

import pandas as pd

from reviewflow import files
from reviewflow.errors import ReviewflowError
from reviewflow.screening.tables import read_table

log = logging.getLogger(__name__)

LEFT, RIGHT = "databases_registers", "other_methods"
COLUMN_KINDS = {"database": LEFT, "register": LEFT, "other": RIGHT}
BOX_COLUMNS = ["record_id", "study_id", "column", "box", "reason"]
# Boxes a record can end in; a removed duplicate never reaches screening.
BOXES = (
    "duplicate_removed",
    "records_excluded",
    "reports_not_retrieved",
    "reports_excluded",
    "included",
)


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


# --- record -> box --------------------------------------------------------------------------


def assign_boxes(
    records: pd.DataFrame,
    links: pd.DataFrame,
    title_abstract: pd.DataFrame,
    full_text: pd.DataFrame,
    paths: dict[str, str] | None = None,
) -> pd.DataFrame:
    """One row per record: its column and the single box it ends in."""
    paths = paths or {}
    link_of = dict(zip(links["record_id"], links["study_id"], strict=True))
    missing = [r for r in records["record_id"] if r not in link_of]
    if missing:
        raise ReviewflowError(
            f"{len(missing)} record(s) missing from links.csv, e.g. {missing[0]}: every record "
            "must belong to a study",
            path=paths.get("links"),
        )
    unknown = sorted(set(link_of) - set(records["record_id"]))
    if unknown:
        raise ReviewflowError(
            f"{len(unknown)} record id(s) in links.csv are not in records.csv, e.g. {unknown[0]}",
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
    ft = _by_study(full_text, "full-text", paths.get("full_text"))
    boxes, reasons = [], []
    for row in frame.itertuples(index=False):
        if row.record_id not in carrier_ids:
            boxes.append("duplicate_removed")
            reasons.append("")
            continue
        if row.study_id not in ta:
            raise ReviewflowError(
                f"study {row.study_id} has no title/abstract decision, so record {row.record_id}"
                " is in no box",
                path=paths.get("title_abstract"),
            )
        decision, _ = ta[row.study_id]
        if decision == "exclude":
            boxes.append("records_excluded")
            reasons.append("")
            continue
        if row.study_id not in ft:
            raise ReviewflowError(
                f"study {row.study_id} was included at title/abstract but has no full-text "
                "decision",
                path=paths.get("full_text"),
            )
        decision, reason = ft[row.study_id]
        box = {"not_retrieved": "reports_not_retrieved", "exclude": "reports_excluded"}.get(
            decision, "included"
        )
        boxes.append(box)
        reasons.append(reason if box == "reports_excluded" else "")
    extra = sorted(set(ft) - {s for s, (d, _) in ta.items() if d == "include"})
    if extra:
        raise ReviewflowError(
            f"full-text decision for study {extra[0]} which is not a title/abstract include",
            path=paths.get("full_text"),
        )
    frame["box"] = boxes
    frame["reason"] = reasons
    return frame[BOX_COLUMNS].reset_index(drop=True)


def _by_study(table: pd.DataFrame, what: str, path: str | None) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for row in table.itertuples(index=False):
        if row.study_id in out:
            raise ReviewflowError(
                f"study {row.study_id} has two {what} decisions", path=path, line=row.line
            )
        out[row.study_id] = (row.decision, row.reason)
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
        "records_screened": screened,
        "records_excluded": n["records_excluded"],
        "reports_sought": sought,
        "reports_not_retrieved": n["reports_not_retrieved"],
        "reports_assessed": sought - n["reports_not_retrieved"],
        "reports_excluded": n["reports_excluded"],
        "reports_excluded_by_reason": _sorted_counts(
            mine.loc[mine["box"] == "reports_excluded", "reason"]
        ),
        "studies_included": n["included"],
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


def prisma_counts(boxes: pd.DataFrame, records: pd.DataFrame) -> dict:
    left = column_counts(boxes, records, LEFT)
    right = column_counts(boxes, records, RIGHT)
    reasons: dict[str, int] = {}
    for col in (left, right):
        for k, v in col["reports_excluded_by_reason"].items():
            reasons[k] = reasons.get(k, 0) + v
    total = {
        key: left[key] + right[key]
        for key in (
            "duplicates_removed",
            "records_screened",
            "records_excluded",
            "reports_sought",
            "reports_not_retrieved",
            "reports_excluded",
        )
    }
    included = left["studies_included"] + right["studies_included"]
    return {
        "identified_total": left["identified"] + right["identified"],
        **{f"{k}_total": v for k, v in total.items()},
        "reports_assessed_total": left["reports_assessed"] + right["reports_assessed"],
        "reports_excluded_by_reason": dict(sorted(reasons.items())),
        "studies_included": included,
        "reports_included": included,
        "other_methods_present": bool((records["kind"] == "other").any()),
        LEFT: left,
        RIGHT: right,
    }


def check_conservation(counts: dict, boxes: pd.DataFrame, records: pd.DataFrame) -> None:
    """Stop unless every PRISMA identity holds, for each column and in total."""
    failures = []
    for name, c in (
        (LEFT, counts[LEFT]),
        (RIGHT, counts[RIGHT]),
        (
            "total",
            {
                "identified": counts["identified_total"],
                "duplicates_removed": counts["duplicates_removed_total"],
                "records_screened": counts["records_screened_total"],
                "records_excluded": counts["records_excluded_total"],
                "reports_sought": counts["reports_sought_total"],
                "reports_not_retrieved": counts["reports_not_retrieved_total"],
                "reports_assessed": counts["reports_assessed_total"],
                "reports_excluded_by_reason": counts["reports_excluded_by_reason"],
                "studies_included": counts["studies_included"],
            },
        ),
    ):
        identities = [
            (
                "identified",
                c["identified"],
                c["duplicates_removed"] + c["records_screened"],
                "duplicates removed + records screened",
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
                sum(c["reports_excluded_by_reason"].values()) + c["studies_included"],
                "reports excluded (sum over reasons) + studies included",
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


# --- diagram --------------------------------------------------------------------------------

FONT = 7.0  # points; the figure is drawn at print width (7.2 in), so this prints at 7 pt
_BLUE = "#dbe8f6"
_YELLOW = "#fbe9a6"
_GREY = "#e4e4e4"


NBSP = "\u00a0"  # keeps "(n = 12)" on one line when a box wraps


def _fmt(n: int) -> str:
    return f"{n:,}"


def _n(n: int) -> str:
    return f"(n{NBSP}={NBSP}{_fmt(n)})"


def _lines(items: dict[str, int], indent: str = "  ") -> list[str]:
    return [f"{indent}{k} {_n(v)}" for k, v in items.items()]


def _wrap(lines: list[str], width: int) -> str:
    out = []
    for line in lines:
        lead = len(line) - len(line.lstrip(" "))
        out.extend(
            textwrap.wrap(line, width, subsequent_indent=" " * (lead + 2 if lead else 0)) or [""]
        )
    return "\n".join(out)


def box_texts(counts: dict) -> dict[str, dict[str, str]]:
    """The wording of every box, PRISMA 2020 template style, per column."""
    left, right = counts[LEFT], counts[RIGHT]
    ident = ["Records identified from:"]
    if left["by_database"]:
        ident.append(f"Databases {_n(left['identified_databases'])}")
        ident += _lines(left["by_database"])
    if left["by_register"] or not left["by_database"]:
        ident.append(f"Registers {_n(left['identified_registers'])}")
        ident += _lines(left["by_register"])

    def excluded(col: dict) -> list[str]:
        lines = ["Reports excluded:"]
        lines += [f"{k} {_n(v)}" for k, v in col["reports_excluded_by_reason"].items()]
        if len(lines) == 1:
            lines.append(_n(0))
        return lines

    texts = {
        LEFT: {
            "identified": ident,
            "removed": [
                "Records removed before screening:",
                f"Duplicate records removed {_n(left['duplicates_removed'])}",
            ],
            "screened": [f"Records screened {_n(left['records_screened'])}"],
            "excluded": [f"Records excluded {_n(left['records_excluded'])}"],
            "sought": [f"Reports sought for retrieval {_n(left['reports_sought'])}"],
            "not_retrieved": [f"Reports not retrieved {_n(left['reports_not_retrieved'])}"],
            "assessed": [f"Reports assessed for eligibility {_n(left['reports_assessed'])}"],
            "reasons": excluded(left),
            "included": [
                f"Studies included in review {_n(counts['studies_included'])}",
                f"Reports of included studies {_n(counts['reports_included'])}",
            ],
        },
        RIGHT: {
            "identified": [
                "Records identified from:",
                *_lines({k[:1].upper() + k[1:]: v for k, v in right["by_method"].items()}, ""),
            ],
            "removed": [f"Duplicate records removed {_n(right['duplicates_removed'])}"],
            "screened": [f"Records screened {_n(right['records_screened'])}"],
            "excluded": [f"Records excluded {_n(right['records_excluded'])}"],
            "sought": [f"Reports sought for retrieval {_n(right['reports_sought'])}"],
            "not_retrieved": [f"Reports not retrieved {_n(right['reports_not_retrieved'])}"],
            "assessed": [f"Reports assessed for eligibility {_n(right['reports_assessed'])}"],
            "reasons": excluded(right),
        },
    }
    return texts


def draw_flow(counts: dict):
    """The PRISMA 2020 flow diagram as a matplotlib Figure (inches as data units)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    texts = box_texts(counts)
    other = counts["other_methods_present"]
    right_screening = (
        other and counts[RIGHT]["records_screened"] > 0 and (counts[RIGHT]["records_excluded"] > 0)
    )
    line_h = FONT * 1.32 / 72  # inches per text line
    pad = 0.07
    band_w, gap = 0.32, 0.14
    if other:
        main_w, side_w, o_main_w, o_side_w = 1.7, 1.6, 1.35, 1.35
    else:
        main_w, side_w = 2.4, 2.4
        o_main_w = o_side_w = 0.0
    char_w = FONT * 0.53 / 72  # DejaVu Sans averages about 0.53 em per character

    def chars(w: float) -> int:
        return max(10, int((w - 2 * pad) / char_w))

    wrap_main, wrap_side, wrap_o = chars(main_w), chars(side_w), chars(o_main_w)
    x_band = 0.05
    x_main = x_band + band_w + gap
    x_side = x_main + main_w + gap * 1.6
    x_omain = x_side + side_w + gap * 2.2
    x_oside = x_omain + o_main_w + gap * 1.6
    width = (x_oside + o_side_w if other else x_side + side_w) + 0.05

    def wrapped(col: str, key: str, w: int) -> str:
        return _wrap(texts[col][key], w)

    def height(text: str) -> float:
        return text.count("\n") * line_h + line_h + 2 * pad

    # Rows: (main key, side key); heights are the max over both columns of each row.
    rows = [
        ("identified", "removed"),
        ("screened", "excluded"),
        ("sought", "not_retrieved"),
        ("assessed", "reasons"),
    ]
    cells: dict[tuple[str, str], str] = {}
    for main, side in rows:
        cells[(LEFT, main)] = wrapped(LEFT, main, wrap_main)
        cells[(LEFT, side)] = wrapped(LEFT, side, wrap_side)
        if other:
            cells[(RIGHT, main)] = wrapped(RIGHT, main, wrap_o)
            cells[(RIGHT, side)] = wrapped(RIGHT, side, wrap_o)
    cells[(LEFT, "included")] = wrapped(LEFT, "included", wrap_main)

    header_h = 2 * line_h + 2 * pad
    row_gap = 0.26
    heights = [max(height(cells[k]) for k in cells if k[1] in pair) for pair in rows]
    heights[0] = max(heights[0], 0.95)  # room for the rotated "Identification" band label
    # Tall enough for the rotated "Included" band label.
    incl_h = max(height(cells[(LEFT, "included")]), 0.72)
    total_h = header_h + row_gap + sum(heights) + row_gap * len(rows) + incl_h + 0.1
    fig = plt.figure(figsize=(width, total_h))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, total_h)
    ax.axis("off")

    def box(x, y_top, w, h, text, color="white", bold=False, center=False):
        ax.add_patch(
            FancyBboxPatch(
                (x, y_top - h),
                w,
                h,
                boxstyle="square,pad=0",
                linewidth=0.8,
                edgecolor="black",
                facecolor=color,
            )
        )
        ax.text(
            x + (w / 2 if center else pad),
            y_top - h / 2,
            text,
            fontsize=FONT,
            ha="center" if center else "left",
            va="center",
            linespacing=1.2,
            fontweight="bold" if bold else "normal",
            family="DejaVu Sans",
        )

    def arrow(x0, y0, x1, y1):
        ax.add_patch(
            FancyArrowPatch(
                (x0, y0),
                (x1, y1),
                arrowstyle="-|>",
                mutation_scale=8,
                linewidth=0.8,
                color="black",
                shrinkA=0,
                shrinkB=0,
            )
        )

    y = total_h - 0.05
    box(
        x_main,
        y,
        main_w + gap * 1.6 + side_w,
        header_h,
        "Identification of studies via databases and registers",
        _YELLOW,
        bold=True,
        center=True,
    )
    if other:
        box(
            x_omain,
            y,
            o_main_w + gap * 1.6 + o_side_w,
            header_h,
            "Identification of studies via other methods",
            _GREY,
            bold=True,
            center=True,
        )
    y -= header_h + row_gap
    tops = []
    for i, (main, side) in enumerate(rows):
        h = heights[i]
        tops.append((y, h))
        for col, xm, wm, xs, ws in (
            (LEFT, x_main, main_w, x_side, side_w),
            (RIGHT, x_omain, o_main_w, x_oside, o_side_w),
        ):
            if col == RIGHT and not other:
                continue
            skip_main = col == RIGHT and main == "screened" and not right_screening
            if not skip_main:
                box(xm, y, wm, h, cells[(col, main)])
                box(xs, y, ws, h, cells[(col, side)])
                arrow(xm + wm, y - h / 2, xs, y - h / 2)
            if i > 0:
                prev_top, prev_h = tops[i - 1]
                from_top = prev_top - prev_h
                if col == RIGHT and main == "sought" and not right_screening:
                    from_top = tops[0][0] - tops[0][1]
                if not skip_main:
                    arrow(xm + wm / 2, from_top, xm + wm / 2, y)
        y -= h + row_gap
    incl_top = y
    box(x_main, incl_top, main_w, incl_h, cells[(LEFT, "included")])
    last_top, last_h = tops[-1]
    arrow(x_main + main_w / 2, last_top - last_h, x_main + main_w / 2, incl_top)
    if other:
        # Other-methods inclusions join the single "Studies included" box, as in PRISMA 2020.
        xo = x_omain + o_main_w / 2
        y_join = incl_top - incl_h / 2
        ax.plot([xo, xo], [last_top - last_h, y_join], color="black", linewidth=0.8)
        arrow(xo, y_join, x_main + main_w, y_join)

    # Phase bands on the left: Identification (row 0), Screening (rows 1-3), Included.
    def band(top, bottom, label):
        box(x_band, top, band_w, top - bottom, "", _BLUE)
        ax.text(
            x_band + band_w / 2,
            (top + bottom) / 2,
            label,
            rotation=90,
            ha="center",
            va="center",
            fontsize=FONT + 0.5,
            fontweight="bold",
            family="DejaVu Sans",
        )

    band(tops[0][0], tops[0][0] - tops[0][1], "Identification")
    band(tops[1][0], tops[-1][0] - tops[-1][1], "Screening")
    band(incl_top, incl_top - incl_h, "Included")
    return fig


def write_figures(counts: dict, out_dir: Path) -> None:
    """flow.svg and flow.png, byte-identical for identical counts."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with matplotlib.rc_context(
        {"svg.hashsalt": "reviewflow-prisma", "svg.fonttype": "path", "font.family": "DejaVu Sans"}
    ):
        fig = draw_flow(counts)
        svg = io.BytesIO()
        fig.savefig(svg, format="svg", metadata={"Date": None})
        png = io.BytesIO()
        fig.savefig(png, format="png", dpi=300, metadata={"Software": None})
        plt.close(fig)
    files.write_bytes(svg.getvalue(), out_dir / "flow.svg")
    files.write_bytes(png.getvalue(), out_dir / "flow.png")


# --- the stage ------------------------------------------------------------------------------


def build(
    records: pd.DataFrame,
    links: pd.DataFrame,
    title_abstract: pd.DataFrame,
    full_text: pd.DataFrame,
    paths: dict[str, str] | None = None,
) -> tuple[dict, pd.DataFrame]:
    """Pure core: (counts, record_boxes), after the conservation checks."""
    boxes = assign_boxes(records, links, title_abstract, full_text, paths)
    counts = prisma_counts(boxes, records)
    check_conservation(counts, boxes, records)
    return counts, boxes


def run(args: argparse.Namespace) -> None:
    paths = {
        "links": args.links,
        "title_abstract": args.title_abstract,
        "full_text": args.full_text,
    }
    counts, boxes = build(
        load_records(args.records),
        read_table(args.links, ["record_id", "study_id"]),
        load_decisions(args.title_abstract),
        load_decisions(args.full_text),
        paths,
    )
    out = Path(args.out_dir)
    files.write_json(counts, out / "counts.json")
    files.write_csv(boxes, out / "record_boxes.csv")
    write_figures(counts, out)
    log.info(
        "PRISMA: %d records identified, %d screened, %d assessed, %d studies included",
        counts["identified_total"],
        counts["records_screened_total"],
        counts["reports_assessed_total"],
        counts["studies_included"],
    )


def register(subparsers) -> None:
    p = subparsers.add_parser("prisma", help="PRISMA 2020 counts, checks and flow diagram")
    p.add_argument("--records", required=True)
    p.add_argument("--links", required=True)
    p.add_argument("--title-abstract", required=True)
    p.add_argument("--full-text", required=True)
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=run)
