"""Synthesis building blocks for any codebook: counts, evidence maps and their figures.

A review's own synthesis notebook calls these pure functions on ``included_studies.csv`` and
its codebook; what the review reads into them (a theory, a comparison with a published table)
stays in the notebook. Every categorical field of a codebook (``category`` or ``multi``) can
be counted and mapped, and a controlled vocabulary's ``groups`` order and label the map.
"""

from __future__ import annotations

import io
import re
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd

from reviewflow.extraction import Codebook
from reviewflow.files import write_bytes
from reviewflow.prose import join

STUDY = "study"  # the column that names a study in tables and maps


def slug(text: str) -> str:
    """A key usable in results.yml paths: lower case, [a-z0-9_]."""
    return re.sub(r"[^a-z0-9]+", "_", text.casefold()).strip("_")


def study_labels(studies: pd.DataFrame) -> pd.Series:
    """How tables and maps name each study: its coded ``label`` if the codebook has one,
    otherwise first author and year from the bibliographic columns ("Smith et al. (2019)")."""
    if "label" in studies.columns:
        return studies["label"]
    return pd.Series(
        [author_year(a, y) for a, y in zip(studies["authors"], studies["year"], strict=True)],
        index=studies.index,
    )


def author_year(authors: str, year: str) -> str:
    """'Smith, J; Jones, K' + '2019' -> 'Smith & Jones (2019)'; three or more: 'et al.'."""
    names = [a.split(",")[0].strip() for a in str(authors).split(";") if a.strip()]
    first = names[0] if names else "Anonymous"
    more = " & " + names[1] if len(names) == 2 else (" et al." if len(names) > 2 else "")
    return f"{first}{more} ({year or 'n.d.'})"


def with_labels(studies: pd.DataFrame) -> pd.DataFrame:
    """Studies in display order (by label, study id breaking ties), with a ``study`` column."""
    out = studies.assign(**{STUDY: study_labels(studies)})
    return out.sort_values([STUDY, "study_id"], kind="stable").reset_index(drop=True)


# --- Counting coded values -------------------------------------------------------------------


def value_order(codebook: Codebook, field: str) -> pd.DataFrame:
    """A field's allowed values in display order: by group (codebook order), then as listed."""
    f = codebook.field(field)
    rank = {g["key"]: i for i, g in enumerate(codebook.groups)}
    table = pd.DataFrame(
        {
            "group": [f.group.get(v, "") for v in f.allowed],
            "value": list(f.allowed),
            "key": [f.key.get(v) or slug(v) for v in f.allowed],
        }
    )
    table["_rank"] = table["group"].map(rank).fillna(-1)
    return table.sort_values("_rank", kind="stable").drop(columns="_rank").reset_index(drop=True)


def coded_long(studies: pd.DataFrame, codebook: Codebook, field: str) -> pd.DataFrame:
    """One row per (study, value coded in ``field``); a multi field's cells are split."""
    s = with_labels(studies)
    multi = codebook.field(field).type == "multi"
    rows = [
        {"study_id": sid, STUDY: label, "value": v}
        for sid, label, cell in zip(s["study_id"], s[STUDY], s[field], strict=True)
        for v in (codebook.split(cell) if multi else [cell] if cell else [])
    ]
    return pd.DataFrame(rows, columns=["study_id", STUDY, "value"])


def value_counts(studies: pd.DataFrame, codebook: Codebook, field: str) -> dict[str, Any]:
    """{key: {label, n}} for every value coded at least once, keys as in ``value_order``."""
    long = coded_long(studies, codebook, field)
    counts = long["value"].value_counts()
    order = value_order(codebook, field)
    keys = dict(zip(order["value"], order["key"], strict=True))
    return {
        keys.get(v, slug(v)): {"label": v, "n": int(n)}
        for v, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    }


def counted_list(counts: dict[str, Any], lower: bool = False) -> str:
    """{key: {label, n}} -> "Australia (5) and England (4)", largest first."""
    items = [(str(v["label"]), int(v["n"])) for v in counts.values()]
    items = [(lower_label(label) if lower else label, n) for label, n in items]
    items.sort(key=lambda x: (-x[1], x[0]))
    return join([f"{label} ({n})" for label, n in items])


def lower_label(label: str) -> str:
    """'Direct payments' -> 'direct payments' for running text; 'NHS', 'England' unchanged."""
    return label[:1].lower() + label[1:] if label[1:].islower() else label


def characteristics(
    studies: pd.DataFrame, codebook: Codebook, fields: list[str] | None = None
) -> pd.DataFrame:
    """Long table of counts: characteristic, value, n_studies; every ``category`` field by
    default, largest count first within each."""
    fields = fields or [f.name for f in codebook.fields if f.type == "category"]
    parts = []
    for name in fields:
        long = coded_long(studies, codebook, name)
        counts = long["value"].value_counts().rename_axis("value").reset_index(name="n_studies")
        counts.insert(0, "characteristic", name)
        parts.append(counts.sort_values(["n_studies", "value"], ascending=[False, True]))
    columns = ["characteristic", "value", "n_studies"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def evidence_map(studies: pd.DataFrame, codebook: Codebook, field: str) -> pd.DataFrame:
    """Values of ``field`` (rows, by group) x studies (columns, 1 = coded), plus n_studies.

    Every allowed value is a row, even one no study reports, so an absent value is visible
    rather than silently dropped.
    """
    order = value_order(codebook, field)
    s = with_labels(studies)
    long = coded_long(studies, codebook, field)
    grid = pd.DataFrame(0, index=order["value"], columns=list(s[STUDY]), dtype="int64")
    for study, value in zip(long[STUDY], long["value"], strict=True):
        grid.loc[value, study] = 1
    out = pd.concat([order[["group", "value"]], grid.reset_index(drop=True)], axis=1)
    out["n_studies"] = grid.sum(axis=1).to_numpy()
    return out


def group_summary(studies: pd.DataFrame, codebook: Codebook, field: str) -> dict[str, Any]:
    """Per group of ``field``'s vocabulary: label, studies, values found, counts."""
    order = value_order(codebook, field)
    long = coded_long(studies, codebook, field)
    long["group"] = long["value"].map(dict(zip(order["value"], order["group"], strict=True)))
    out = {}
    for g in codebook.groups:
        sub = long[long["group"] == g["key"]]
        found = sub["value"].value_counts()
        ranked = sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))
        out[g["key"]] = {
            "label": g.get("label", g["key"]),
            "n_studies": int(sub["study_id"].nunique()),
            "n_mentions": len(sub),
            "n_values": int((order["group"] == g["key"]).sum()),
            "values": join([lower_label(v) for v, _ in ranked]),
            "studies": sorted(sub["study_id"].unique()),
        }
    return out


# --- Figures --------------------------------------------------------------------------------

SVG_SALT = "reviewflow"


def deterministic_matplotlib() -> None:
    """Fixed hash salt and fonts so SVG output is byte-identical from run to run."""
    import matplotlib

    matplotlib.rcParams["svg.hashsalt"] = SVG_SALT
    matplotlib.rcParams["svg.fonttype"] = "path"
    matplotlib.rcParams["font.family"] = "DejaVu Sans"


def figure_bytes(fig: Any, fmt: str, dpi: int = 200) -> bytes:
    """A figure as SVG or PNG bytes, without dates or software stamps that vary."""
    buf = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    fig.savefig(buf, format=fmt, dpi=dpi, metadata=metadata, bbox_inches="tight")
    return buf.getvalue()


def save_figure(fig: Any, stem: str | Path, dpi: int = 200) -> list[Path]:
    """Write ``stem``.svg and ``stem``.png atomically; returns the paths."""
    paths = []
    for fmt in ("svg", "png"):
        path = Path(f"{stem}.{fmt}")
        write_bytes(figure_bytes(fig, fmt, dpi), path)
        paths.append(path)
    return paths


def plot_evidence_map(emap: pd.DataFrame, codebook: Codebook, width: float = 6.5) -> Any:
    """Heat map of coded values (rows, separated and named by group) x studies (columns)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    studies = [c for c in emap.columns if c not in {"group", "value", "n_studies"}]
    if not studies:
        return _empty_figure(width, "No included studies")
    grid = emap.set_index("value")[studies]
    height = 0.34 * len(grid) + 2.0
    fig, ax = plt.subplots(figsize=(width, height))
    cmap = sns.color_palette(["#f2f2f2", "#2b6a99"], as_cmap=True)
    sns.heatmap(
        grid.to_numpy(),
        ax=ax,
        cmap=cmap,
        vmin=0,
        vmax=1,
        cbar=False,
        linewidths=1,
        linecolor="white",
        xticklabels=[_wrap(s, 16) for s in studies],
        yticklabels=[_wrap(v, 34) for v in grid.index],
        square=False,
    )
    # Sizes in points at the figure's own width, so the PDF at text width reads like the text.
    ax.tick_params(axis="x", labelrotation=90, labelsize=8.5, length=0)
    ax.tick_params(axis="y", labelrotation=0, labelsize=8.5, length=0)
    ax.xaxis.tick_top()
    ax.set_xlabel("")
    ax.set_ylabel("")
    groups = emap["group"].tolist()
    start = 0
    for i in range(1, len(groups) + 1):
        if i == len(groups) or groups[i] != groups[start]:
            if start:
                ax.axhline(start, color="black", linewidth=1.2)
            if groups[start]:
                ax.text(
                    len(studies) + 0.25,
                    (start + i) / 2,
                    _wrap(codebook.group_label(groups[start]), 14),
                    va="center",
                    ha="left",
                    fontsize=9,
                    fontweight="bold",
                )
            start = i
    fig.tight_layout()
    return fig


def plot_study_characteristics(chars: pd.DataFrame, width: float = 6.5) -> Any:
    """Stacked bar charts sharing one axis: studies by each characteristic, in table order."""
    import matplotlib.pyplot as plt
    import seaborn as sns
    from matplotlib.ticker import MaxNLocator

    if chars.empty:
        return _empty_figure(width, "No included studies")
    facets = list(dict.fromkeys(chars["characteristic"]))
    sizes = [max(2, int((chars["characteristic"] == f).sum())) for f in facets]
    fig, axes = plt.subplots(
        len(facets),
        1,
        figsize=(width, 0.24 * sum(sizes) + 0.65 * len(facets)),
        gridspec_kw={"height_ratios": sizes},
        sharex=True,
        squeeze=False,
    )
    axes = axes[:, 0]
    color = sns.color_palette("colorblind")[0]
    for ax, facet in zip(axes, facets, strict=True):
        sub = chars[chars["characteristic"] == facet]
        sns.barplot(
            x=sub["n_studies"].to_numpy(),
            y=[_wrap(v, 40) for v in sub["value"]],
            ax=ax,
            color=color,
            orient="h",
        )
        ax.set_title(f"By {facet.replace('_', ' ')}", loc="left", fontsize=10, fontweight="bold")
        ax.tick_params(labelsize=9)
        ax.set_ylabel("")
        for p, n in zip(ax.patches, sub["n_studies"], strict=False):
            ax.text(
                p.get_width() + 0.08,
                p.get_y() + p.get_height() / 2,
                str(n),
                va="center",
                fontsize=8.5,
            )
    axes[-1].set_xlabel("Number of studies", fontsize=9)
    axes[-1].set_xlim(0, int(chars["n_studies"].max()) + 0.8)
    axes[-1].xaxis.set_major_locator(MaxNLocator(integer=True))
    sns.despine(fig=fig)
    fig.tight_layout()
    return fig


def _empty_figure(width: float, message: str) -> Any:
    """A small figure saying why there is nothing to draw (an empty review still builds)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, 1))
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center")
    return fig


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)
