"""Synthesis: Table 1, the evidence map, the numbers the text cites, and their figures.

Everything is computed from ``extraction/included_studies.csv`` and the codebook, so changing
one coded factor changes Table 1, the evidence map and the counts together. Pure functions over
DataFrames; ``notebooks/synthesis.ipynb`` calls them and writes the files.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pandas as pd

from reviewflow.errors import ReviewflowError
from reviewflow.extraction import Codebook
from reviewflow.files import read_csv, require_columns, write_bytes

FACTORS = "factors"


def slug(text: str) -> str:
    """A key usable in results.yml paths: lower case, [a-z0-9_]."""
    return re.sub(r"[^a-z0-9]+", "_", text.casefold()).strip("_")


def factor_order(codebook: Codebook) -> pd.DataFrame:
    """The factor vocabulary in display order: by capital (codebook order), then as listed."""
    f = codebook.field(FACTORS)
    capitals = [c["key"] for c in codebook.capitals]
    rows = [
        {"capital": f.capital[v], "factor": v, "key": f.key[v], "order": i}
        for i, v in enumerate(f.allowed)
    ]
    table = pd.DataFrame(rows)
    table["capital_rank"] = table["capital"].map({c: i for i, c in enumerate(capitals)})
    table = table.sort_values(["capital_rank", "order"], kind="stable")
    return table[["capital", "factor", "key"]].reset_index(drop=True)


def capital_labels(codebook: Codebook) -> dict[str, str]:
    return {c["key"]: c.get("label", c["key"]) for c in codebook.capitals}


def studies_in_order(studies: pd.DataFrame) -> pd.DataFrame:
    """Studies as Table 1 lists them: alphabetically by label, study_id breaking ties."""
    return studies.sort_values(["label", "study_id"], kind="stable").reset_index(drop=True)


def table1(studies: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Table 1 rebuilt: study, methods and sample, factors identified (in the order coded)."""
    s = studies_in_order(studies)
    factors = ["; ".join(codebook.split(cell)) for cell in s[FACTORS]]
    return pd.DataFrame(
        {
            "study_id": s["study_id"],
            "study": s["label"],
            "methods_and_sample": s["methods_and_sample"],
            "factors": factors,
        }
    )


def factor_long(studies: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """One row per (study, factor) coded."""
    rows = [
        {"study_id": sid, "study": label, "factor": v}
        for sid, label, cell in zip(
            studies["study_id"], studies["label"], studies[FACTORS], strict=True
        )
        for v in codebook.split(cell)
    ]
    return pd.DataFrame(rows, columns=["study_id", "study", "factor"])


def factor_studies(studies: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Long form of the evidence map: capital, factor, study_id, study; in map order.

    For the text's synthesis by form of capital, which cites the studies behind each factor.
    """
    order = factor_order(codebook)
    rank = {f: i for i, f in enumerate(order["factor"])}
    long = factor_long(studies_in_order(studies), codebook)
    long["capital"] = long["factor"].map(dict(zip(order["factor"], order["capital"], strict=True)))
    long["_rank"] = long["factor"].map(rank)
    long = long.sort_values(["_rank", "study", "study_id"], kind="stable")
    return long[["capital", "factor", "study_id", "study"]].reset_index(drop=True)


def evidence_map(studies: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Factors x studies (1 = the study found the factor), grouped by form of capital.

    Every vocabulary factor is a row, even one no study reports, so an absent factor is
    visible rather than silently dropped.
    """
    order = factor_order(codebook)
    s = studies_in_order(studies)
    long = factor_long(s, codebook)
    grid = pd.DataFrame(0, index=order["factor"], columns=list(s["label"]), dtype="int64")
    for study, factor in zip(long["study"], long["factor"], strict=True):
        grid.loc[factor, study] = 1
    out = order[["capital", "factor"]].copy()
    out = pd.concat([out, grid.reset_index(drop=True)], axis=1)
    out["n_studies"] = grid.sum(axis=1).to_numpy()
    return out


def characteristics(studies: pd.DataFrame) -> pd.DataFrame:
    """Long table of counts: characteristic (country, scheme, design), value, n_studies."""
    parts = []
    for col in ("country", "scheme", "design"):
        counts = studies[col].value_counts().rename_axis("value").reset_index(name="n_studies")
        counts.insert(0, "characteristic", col)
        parts.append(counts.sort_values(["n_studies", "value"], ascending=[False, True]))
    return pd.concat(parts, ignore_index=True)


# --- Comparison with the published Table 1 --------------------------------------------------


PUBLISHED_COLUMNS = [
    "row",
    "study_as_printed",
    "label",
    "methods_and_sample",
    "factors",
    "complete",
]


def read_published(path: str | Path | None) -> pd.DataFrame:
    """The published Table 1 (as transcribed); no path -> no rows (a review not rebuilding one)."""
    if not path:
        return pd.DataFrame(columns=PUBLISHED_COLUMNS, dtype=str)
    table = read_csv(path)
    require_columns(table, PUBLISHED_COLUMNS, path)
    dupes = table["label"].duplicated()
    if dupes.any():
        i = int(dupes.to_numpy().nonzero()[0][0])
        raise ReviewflowError(
            f"label {table.at[i, 'label']!r} appears twice; each published row needs its own",
            path=path,
            line=i + 2,
        )
    return table


def normalise_factors(cell: str, codebook: Codebook) -> list[str]:
    """Printed factor names as vocabulary values (case and synonyms folded)."""
    f = codebook.field(FACTORS)
    by_fold = {v.casefold(): v for v in f.allowed} | f.synonyms
    out = []
    for part in codebook.split(cell):
        out.append(by_fold.get(part.casefold(), part))
    return out


def sample_numbers(text: str) -> list[int]:
    """The numbers a methods text reports ("6,246" -> 6246), sorted: the checkable facts."""
    return sorted(int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*\d|\d", text))


def comparison(published: pd.DataFrame, rebuilt: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Published Table 1 rows beside the rebuilt ones, matched by label.

    ``match``: "yes" when the factors and the sample numbers agree; "consistent" when the
    published row is incomplete (cut off) and what it shows is a prefix of the rebuilt row;
    "no" when they differ; "not rebuilt" / "not in published" when one side has no row.
    """
    rb = rebuilt.set_index("study")
    rows = []
    for p in published.itertuples(index=False):
        row: dict[str, Any] = {
            "published_row": p.row,
            "study": p.label,
            "published_study": p.study_as_printed,
            "published_methods_and_sample": p.methods_and_sample,
            "published_factors": p.factors,
        }
        if p.label in rb.index:
            r = rb.loc[p.label]
            pf = normalise_factors(p.factors, codebook)
            rf = codebook.split(r["factors"])
            complete = str(p.complete).strip().lower() != "false"
            if complete:
                factors_ok = sorted(pf) == sorted(rf)
            else:  # a truncated last factor only needs to start a rebuilt one
                *whole, last = pf or [""]
                rest = [x for x in rf if x not in whole]
                factors_ok = set(whole) <= set(rf) and any(
                    x.casefold().startswith(last.casefold()) for x in rest
                )
            numbers_ok = sample_numbers(p.methods_and_sample) == sample_numbers(
                r["methods_and_sample"]
            )
            agree = factors_ok and numbers_ok
            match = ("yes" if complete else "consistent") if agree else "no"
            row |= {
                "rebuilt_methods_and_sample": r["methods_and_sample"],
                "rebuilt_factors": r["factors"],
                "factors_match": factors_ok,
                "sample_numbers_match": numbers_ok,
                "match": match,
            }
        else:
            row |= {"match": "not rebuilt"}
        rows.append(row)
    for label in rb.index.difference(published["label"]).sort_values():
        r = rb.loc[label]
        rows.append(
            {
                "study": label,
                "rebuilt_methods_and_sample": r["methods_and_sample"],
                "rebuilt_factors": r["factors"],
                "match": "not in published",
            }
        )
    cols = [
        "published_row",
        "study",
        "published_study",
        "published_methods_and_sample",
        "rebuilt_methods_and_sample",
        "published_factors",
        "rebuilt_factors",
        "factors_match",
        "sample_numbers_match",
        "match",
    ]
    out = pd.DataFrame(rows).reindex(columns=cols)
    for c in ("factors_match", "sample_numbers_match"):
        out[c] = out[c].map({True: "true", False: "false"}).fillna("")
    return out.astype(object).fillna("")


# --- Numbers for the text -------------------------------------------------------------------


def _counts(series: pd.Series) -> dict[str, dict[str, Any]]:
    counts = series.value_counts()
    return {slug(k): {"label": k, "n": int(v)} for k, v in sorted(counts.items())}


def synthesis_numbers(
    studies: pd.DataFrame, codebook: Codebook, compared: pd.DataFrame | None = None
) -> dict[str, Any]:
    """Every number the manuscript cites, keyed for ``[synthesis.key.path]{.val}`` spans."""
    order = factor_order(codebook)
    long = factor_long(studies, codebook)
    per_factor = long["factor"].value_counts()
    factors = {
        k: {"label": f, "capital": c, "n": int(per_factor.get(f, 0))}
        for c, f, k in order[["capital", "factor", "key"]].itertuples(index=False)
    }
    cap_of = dict(zip(order["factor"], order["capital"], strict=True))
    long["capital"] = long["factor"].map(cap_of)
    capitals = {}
    for key, label in capital_labels(codebook).items():
        sub = long[long["capital"] == key]
        capitals[key] = {
            "label": label,
            "n_studies": int(sub["study_id"].nunique()),
            "n_mentions": len(sub),
            "n_factors": int((order["capital"] == key).sum()),
        }
    best = max((d["n"] for d in factors.values()), default=0)
    top = [d["label"] for d in factors.values() if d["n"] == best and best > 0]
    sizes = pd.to_numeric(studies.get("sample_size", pd.Series(dtype=str)), errors="coerce")
    direct = studies.get("measures_inequality_directly", pd.Series(dtype=str)) == "true"
    per_study = long.groupby("study_id").size()
    years = pd.to_numeric(studies["label"].str.extract(r"\((\d{4})\)\s*$")[0], errors="coerce")
    numbers: dict[str, Any] = {
        "n_included": len(studies),
        "n_countries": int(studies["country"].nunique()),
        "countries": _counts(studies["country"]),
        "n_schemes": int(studies["scheme"].nunique()),
        "schemes": _counts(studies["scheme"]),
        "n_designs": int(studies["design"].nunique()),
        "designs": _counts(studies["design"]),
        "factors": factors,
        "n_factor_codings": len(long),
        "n_factors_in_vocabulary": len(order),
        "n_factors_found": int((per_factor > 0).sum()),
        # Ties are all named, so the text never singles out one of several equal factors.
        "top_factors": {"n_studies": best, "n_factors": len(top), "text": _and(top)},
        "factors_per_study": {
            "min": int(per_study.min()) if len(per_study) else 0,
            "max": int(per_study.max()) if len(per_study) else 0,
        },
        "capitals": capitals,
        "n_measuring_inequality_directly": int(direct.sum()),
        "sample_size": {
            "n_reported": int(sizes.notna().sum()),
            "min": int(sizes.min()) if sizes.notna().any() else None,
            "max": int(sizes.max()) if sizes.notna().any() else None,
            "median": float(sizes.median()) if sizes.notna().any() else None,
        },
        "years": {"min": int(years.min()), "max": int(years.max())} if years.notna().any() else {},
    }
    if compared is not None:
        c = compared["match"]
        numbers["comparison"] = {
            "n_published_rows": int(compared["published_row"].ne("").sum()),
            "n_match": int((c == "yes").sum()),
            "n_consistent": int((c == "consistent").sum()),
            "n_differ": int((c == "no").sum()),
            "n_not_rebuilt": int((c == "not rebuilt").sum()),
            "n_not_in_published": int((c == "not in published").sum()),
        }
    return numbers


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
    """Heat map of factors (rows, grouped by capital) x studies (columns)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    labels = capital_labels(codebook)
    studies = [c for c in emap.columns if c not in {"capital", "factor", "n_studies"}]
    if not studies:
        return _empty_figure(width, "No included studies")
    grid = emap.set_index("factor")[studies]
    names = [_wrap(f, 34) for f in grid.index]
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
        yticklabels=names,
        square=False,
    )
    # Sizes in points at the figure's own width, so the PDF at text width reads like the text.
    ax.tick_params(axis="x", labelrotation=90, labelsize=8.5, length=0)
    ax.tick_params(axis="y", labelrotation=0, labelsize=8.5, length=0)
    ax.xaxis.tick_top()
    ax.set_xlabel("")
    ax.set_ylabel("")
    # Separate and name the forms of capital on the right-hand side.
    caps = emap["capital"].tolist()
    start = 0
    for i in range(1, len(caps) + 1):
        if i == len(caps) or caps[i] != caps[start]:
            if start:
                ax.axhline(start, color="black", linewidth=1.2)
            ax.text(
                len(studies) + 0.25,
                (start + i) / 2,
                labels.get(caps[start], caps[start]).replace(" capital", "\ncapital"),
                va="center",
                ha="left",
                fontsize=9,
                fontweight="bold",
            )
            start = i
    fig.tight_layout()
    return fig


def plot_study_characteristics(chars: pd.DataFrame, width: float = 6.5) -> Any:
    """Three stacked bar charts sharing one axis: studies by country, by scheme and by design."""
    import matplotlib.pyplot as plt
    import seaborn as sns
    from matplotlib.ticker import MaxNLocator

    if chars.empty:
        return _empty_figure(width, "No included studies")
    facets = ["country", "scheme", "design"]
    sizes = [max(2, int((chars["characteristic"] == f).sum())) for f in facets]
    fig, axes = plt.subplots(
        len(facets),
        1,
        figsize=(width, 0.24 * sum(sizes) + 0.65 * len(facets)),
        gridspec_kw={"height_ratios": sizes},
        sharex=True,
    )
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
        ax.set_title(f"By {facet}", loc="left", fontsize=10, fontweight="bold")
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
    top = int(chars["n_studies"].max()) if len(chars) else 1
    axes[-1].set_xlim(0, top + 0.8)
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


def _and(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c": a list as the manuscript writes it."""
    return " and ".join([", ".join(items[:-1]), items[-1]]) if len(items) > 1 else "".join(items)


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text
