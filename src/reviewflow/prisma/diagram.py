"""The PRISMA 2020 flow diagram, drawn from ``counts.json``.

Boxes and wording follow the PRISMA 2020 flow diagram for new systematic reviews which
included searches of databases, registers and other sources (Page et al., BMJ
2021;372:n71), with the node fields of the PRISMA2020 R package (Haddaway et al. 2022,
``inst/extdata/PRISMA.csv``: database_results, register_results, duplicates,
excluded_automatic, excluded_other, records_screened, records_excluded, *_sought_reports,
*_notretrieved_reports, *_assessed, *_excluded, new_studies, new_reports). Every box is drawn,
with (n = 0) where nothing is in it; the other-methods column has the template's boxes only
(identified, sought, not retrieved, assessed, excluded).
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

from reviewflow import files
from reviewflow.prisma.counts import LEFT, RIGHT

# The lead phrase of every box of the 2020 template (headers first, then top to bottom).
TEMPLATE_BOXES = (
    "Identification of studies via databases and registers",
    "Identification of studies via other methods",
    "Records identified from:",
    "Databases",
    "Registers",
    "Records removed before screening:",
    "Duplicate records removed",
    "Records marked as ineligible by automation tools",
    "Records removed for other reasons",
    "Records screened",
    "Records excluded",
    "Reports sought for retrieval",
    "Reports not retrieved",
    "Reports assessed for eligibility",
    "Reports excluded:",
    "Studies included in review",
    "Reports of included studies",
)
# Boxes of the other-methods column (drawn only when the search log has other methods).
OTHER_METHODS_ONLY = ("Identification of studies via other methods",)

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
    """One 'Name (n = k)' line per item, the name's first letter capitalised."""
    return [f"{indent}{k[:1].upper()}{k[1:]} {_n(v)}" for k, v in items.items()]


def _wrap(lines: list[str], width: int) -> str:
    """Lines wrapped to ``width`` characters; indents are no-break spaces, which SVG text
    keeps (it collapses leading spaces)."""
    out = []
    for line in lines:
        lead = len(line) - len(line.lstrip(" "))
        wrapped = textwrap.wrap(line, width, subsequent_indent=" " * (lead + 2 if lead else 0))
        out += [NBSP * (len(w) - len(w.lstrip(" "))) + w.lstrip(" ") for w in wrapped or [""]]
    return "\n".join(out)


def box_texts(counts: dict) -> dict[str, dict[str, list[str]]]:
    """The lines of every box, in the template's wording, per column."""
    left, right = counts[LEFT], counts[RIGHT]

    def sought_to_excluded(col: dict) -> dict[str, list[str]]:
        reasons = col["reports_excluded_by_reason"]
        return {
            "sought": [f"Reports sought for retrieval {_n(col['reports_sought'])}"],
            "not_retrieved": [f"Reports not retrieved {_n(col['reports_not_retrieved'])}"],
            "assessed": [f"Reports assessed for eligibility {_n(col['reports_assessed'])}"],
            "reasons": ["Reports excluded:", *(_lines(reasons, "") if reasons else [_n(0)])],
        }

    return {
        LEFT: {
            "identified": [
                "Records identified from:",
                f"Databases {_n(left['identified_databases'])}",
                *_lines(left["by_database"]),
                f"Registers {_n(left['identified_registers'])}",
                *_lines(left["by_register"]),
            ],
            "removed": [
                "Records removed before screening:",
                f"Duplicate records removed {_n(left['duplicates_removed'])}",
                "Records marked as ineligible by automation tools "
                f"{_n(left['records_removed_automation'])}",
                f"Records removed for other reasons {_n(left['records_removed_other'])}",
            ],
            "screened": [f"Records screened {_n(left['records_screened'])}"],
            "excluded": [f"Records excluded {_n(left['records_excluded'])}"],
            **sought_to_excluded(left),
            "included": [
                f"Studies included in review {_n(counts['studies_included'])}",
                f"Reports of included studies {_n(counts['reports_included'])}",
            ],
        },
        RIGHT: {
            "identified": [
                "Records identified from:",
                *_lines(right["by_method"], ""),
            ],
            **sought_to_excluded(right),
        },
    }


def draw_flow(counts: dict):
    """The PRISMA 2020 flow diagram as a matplotlib Figure (inches as data units)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    texts = box_texts(counts)
    other = counts["other_methods_present"]
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
    # Only the boxes a column has in the template are drawn (box_texts holds exactly those).
    columns = [LEFT, RIGHT] if other else [LEFT]
    cells: dict[tuple[str, str], str] = {}
    for col in columns:
        for main, side in rows:
            for key, w in ((main, wrap_main), (side, wrap_side)):
                if key in texts[col]:
                    cells[(col, key)] = wrapped(col, key, wrap_o if col == RIGHT else w)
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
    last_main: dict[str, float] = {}  # column -> bottom of its last drawn main box
    for i, (main, side) in enumerate(rows):
        h = heights[i]
        tops.append((y, h))
        for col, xm, wm, xs, ws in (
            (LEFT, x_main, main_w, x_side, side_w),
            (RIGHT, x_omain, o_main_w, x_oside, o_side_w),
        ):
            if (col, main) not in cells:
                continue
            box(xm, y, wm, h, cells[(col, main)])
            if (col, side) in cells:
                box(xs, y, ws, h, cells[(col, side)])
                arrow(xm + wm, y - h / 2, xs, y - h / 2)
            if col in last_main:
                arrow(xm + wm / 2, last_main[col], xm + wm / 2, y)
            last_main[col] = y - h
        y -= h + row_gap
    incl_top = y
    box(x_main, incl_top, main_w, incl_h, cells[(LEFT, "included")])
    arrow(x_main + main_w / 2, last_main[LEFT], x_main + main_w / 2, incl_top)
    if other:
        # Other-methods inclusions join the single "Studies included" box, as in PRISMA 2020.
        xo = x_omain + o_main_w / 2
        y_join = incl_top - incl_h / 2
        ax.plot([xo, xo], [last_main[RIGHT], y_join], color="black", linewidth=0.8)
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
    """flow.svg and flow.png, byte-identical for identical counts. The SVG keeps its text as
    text (not outlines), so the rendered paper's diagram can be searched, copied and
    checked against the template."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with matplotlib.rc_context(
        {"svg.hashsalt": "reviewflow-prisma", "svg.fonttype": "none", "font.family": "DejaVu Sans"}
    ):
        fig = draw_flow(counts)
        svg = io.BytesIO()
        fig.savefig(svg, format="svg", metadata={"Date": None})
        png = io.BytesIO()
        fig.savefig(png, format="png", dpi=300, metadata={"Software": None})
        plt.close(fig)
    files.write_bytes(svg.getvalue(), out_dir / "flow.svg")
    files.write_bytes(png.getvalue(), out_dir / "flow.png")
