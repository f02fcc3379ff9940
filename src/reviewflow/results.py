"""Gather every number the manuscript uses into one metadata file, plus its bibliography.

The manuscript never contains a typed result: it names values by key path
(``[prisma.studies_included]{.val}``) and ``manuscript/_filters/results.lua`` fills them in
from ``results.yml``. Upstream files are nested whole under their own keys (``prisma``,
``synthesis``, ``screening.<stage>.agreement``, ``review``) so their authors can add keys
without touching this stage. What this stage derives itself (``search``, ``counts``,
``dedup``, ``screening.<stage>``, ``included``, ``capitals``, ``phrases``) comes from the
tables whose columns ``docs/architecture.md`` fixes, plus the synthesis notebook's
``evidence_map.csv`` and ``table1.csv`` (read beside ``synthesis.json``). ``counts`` must
agree with the PRISMA stage's totals, so stale inputs stop the build.

Outputs in ``--out-dir``:
- ``results.yml``: ``{results: {...}}`` (one top-level key so nothing collides with Quarto's
  or pandoc's own metadata such as ``search`` or ``bibliography``);
- ``included.bib``: the included studies, keyed ``<first author><year>[a|b...]``, with
  publisher and place taken from the raw tags in ``records.csv``'s ``original`` column;
- ``search_sources.csv``, ``search_strategies.csv``, ``excluded_full_text.csv``,
  ``audit_trail.csv``, ``included_studies.csv``: the tables the text and supplement print.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from reviewflow.bibliography import (
    bib_entry,
    cite_keys,
    included_bib,
    study_extras,
)
from reviewflow.errors import ReviewflowError
from reviewflow.files import (
    read_csv,
    read_yaml,
    require_columns,
    write_csv,
    write_text,
    write_yaml,
)
from reviewflow.searchlog import Search, load_search_log

log = logging.getLogger(__name__)

TRUE_STRINGS = {"true", "yes", "1", "y"}


# --- reading -------------------------------------------------------------------------------


def read_json(path: str | Path) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise ReviewflowError("file not found", path=path) from None
    except json.JSONDecodeError as exc:
        raise ReviewflowError(f"invalid JSON: {exc.msg}", path=path, line=exc.lineno) from None


def plain(value: Any) -> Any:
    """YAML-safe plain value: dates become ISO strings (the search log has bare dates)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


# --- search log ----------------------------------------------------------------------------


def search_table(searches: list[Search], records: pd.DataFrame, path: str | Path) -> pd.DataFrame:
    """One row per search, in log order, with the number of records its file gave."""
    per_search = records["search_id"].value_counts()
    table = pd.DataFrame(
        {
            "search_id": s.id,
            "source": s.source,
            "kind": s.kind,
            "method": s.method or "",
            "interface": s.interface or "",
            "date": s.date,
            "query": (s.query or "").strip(),
            "hits": s.hits,
            "records": int(per_search.get(s.id, 0)),
        }
        for s in searches
    )
    unknown = sorted(set(records["search_id"]) - set(table["search_id"]))
    if unknown:
        raise ReviewflowError(f"records from searches not in the search log: {unknown}", path=path)
    return table


def join_words(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c' — how the text lists things."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def summarise_search(searches: pd.DataFrame) -> dict:
    dbs = searches[searches["kind"] == "database"]
    dates = sorted(d for d in searches["date"] if d)
    return {
        "n_sources": len(searches),
        "n_databases": len(dbs),
        "n_other": int((searches["kind"] != "database").sum()),
        "databases_list": join_words(list(dbs["source"])),
        "other_list": join_words(list(searches.loc[searches["kind"] != "database", "source"])),
        "date_first": dates[0] if dates else "",
        "date_last": dates[-1] if dates else "",
        "hits_total": int(sum(h for h in searches["hits"] if h != "")),
        "by_source": {
            r.search_id: {
                "source": r.source,
                "kind": r.kind,
                "interface": r.interface,
                "date": r.date,
                "query": r.query,
                "hits": r.hits,
                "n_records": r.records,
            }
            for r in searches.itertuples()
        },
    }


# --- screening -----------------------------------------------------------------------------


def screening_counts(df: pd.DataFrame, path: str | Path) -> dict:
    require_columns(df, ["study_id", "decision"], path)
    decisions = df["decision"].str.strip().str.lower()
    out = {
        "n_screened": len(df),
        "n_included": int((decisions == "include").sum()),
        "n_excluded": int((decisions == "exclude").sum()),
        "n_not_retrieved": int((decisions == "not_retrieved").sum()),
    }
    if "conflict" in df.columns:
        out["n_conflicts"] = int(df["conflict"].str.strip().str.lower().isin(TRUE_STRINGS).sum())
    if "reason" in df.columns:
        reasons = df.loc[decisions == "exclude", "reason"].str.strip().replace("", "not stated")
        counts = reasons.value_counts()
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        out["reasons"] = {k: int(v) for k, v in ordered}
        out["reasons_text"] = join_words([f"{k} (n = {v})" for k, v in ordered])
    unknown = sorted(set(decisions) - {"include", "exclude", "not_retrieved"})
    if unknown:
        bad = df.index[decisions.isin(unknown)][0]
        raise ReviewflowError(
            f"decision {df['decision'][bad]!r}: expected include, exclude or not_retrieved",
            path=path,
            line=int(bad) + 2,
            record=df["study_id"][bad],
        )
    return out


def read_screening(screening_dir: Path) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """Derived counts per stage, plus every ``*agreement*.json`` nested as it is."""
    out: dict[str, Any] = {}
    tables = {}
    for stage in ("title_abstract", "full_text"):
        path = screening_dir / f"{stage}.csv"
        tables[stage] = read_csv(path)
        out[stage] = screening_counts(tables[stage], path)
    for path in sorted(screening_dir.glob("*agreement*.json")):
        stem = path.stem
        if stem == "agreement":
            out["agreement"] = read_json(path)
        else:
            out.setdefault(stem.removesuffix("_agreement"), {})["agreement"] = read_json(path)
    return out, tables["title_abstract"], tables["full_text"]


# --- included studies and their bibliography -----------------------------------------------


def study_label(study: pd.Series) -> str:
    first = study["authors"].split(";")[0].split(",")[0].strip() or "Anonymous"
    more = " et al." if study["authors"].count(";") >= 2 else ""
    if study["authors"].count(";") == 1:
        more = " & " + study["authors"].split(";")[1].split(",")[0].strip()
    return f"{first}{more} ({study['year'] or 'n.d.'})"


def resolve_ids(ids: pd.Series, record_to_study: dict, path: Path, what: str) -> pd.Series:
    """Screening tables may name a study by any record id; map to the study id."""
    out = ids.map(record_to_study)
    if out.isna().any():
        bad = int(out.index[out.isna()][0])
        raise ReviewflowError(
            f"{what} id {ids[bad]!r} is not a record or study id in links.csv",
            path=path,
            line=bad + 2,
            record=ids[bad],
        )
    return out


def capitals_summary(
    synthesis: dict, evidence_map: pd.DataFrame, table1: pd.DataFrame, paths: dict[str, Path]
) -> dict:
    """Per form of capital: the factors found and the studies that found them.

    From the synthesis notebook's evidence map (factor rows x study-label columns, 1 = found)
    and Table 1 (label -> study id), so the text can cite the studies of each capital.
    """
    require_columns(evidence_map, ["capital", "factor", "n_studies"], paths["em"])
    require_columns(table1, ["study_id", "study"], paths["t1"])
    id_of = dict(zip(table1["study"], table1["study_id"], strict=True))
    study_cols = [c for c in evidence_map.columns if c not in ("capital", "factor", "n_studies")]
    unknown = sorted(set(study_cols) - set(id_of))
    if unknown:
        raise ReviewflowError(
            f"evidence map columns not in table1.csv: {unknown}", path=paths["em"]
        )
    labels = {
        k: (v.get("label", k) if isinstance(v, dict) else k)
        for k, v in (synthesis.get("capitals") or {}).items()
    }
    out = {}
    for capital in sorted(set(evidence_map["capital"]) | set(labels)):
        rows = evidence_map[evidence_map["capital"] == capital]
        found = rows[pd.to_numeric(rows["n_studies"], errors="coerce").fillna(0) > 0]
        found = found.assign(n=pd.to_numeric(found["n_studies"])).sort_values(
            ["n", "factor"], ascending=[False, True]
        )
        studies = [id_of[c] for c in study_cols if (rows[c] == "1").any()]
        out[capital] = {
            "label": labels.get(capital, capital),
            "n_studies": len(studies),
            "factors": [lower_label(f) for f in found["factor"]],
            "studies": sorted(studies),
        }
    return out


def lower_label(label: str) -> str:
    """'Direct payments' -> 'direct payments' for running text; 'NDIS', 'England' unchanged."""
    return label[:1].lower() + label[1:] if label[1:].islower() else label


def counted_list(groups: Any, lower: bool = False) -> str:
    """{slug: {label, n}} -> "Australia (5) and England (4)", largest first."""
    if not isinstance(groups, dict):
        return ""
    items = [(str(v.get("label", k)), int(v.get("n", 0))) for k, v in groups.items()]
    items = [(lower_label(label) if lower else label, n) for label, n in items]
    items.sort(key=lambda x: (-x[1], x[0]))
    return join_words([f"{label} ({n})" for label, n in items])


PRISMA_TOTALS = {  # our count -> the PRISMA stage's key; they must agree
    "identified": "identified_total",
    "duplicates_removed": "duplicates_removed_total",
    "screened": "records_screened_total",
    "excluded_title_abstract": "records_excluded_total",
    "sought": "reports_sought_total",
    "not_retrieved": "reports_not_retrieved_total",
    "assessed": "reports_assessed_total",
    "excluded_full_text": "reports_excluded_total",
    "included": "studies_included",
}


def check_prisma(counts: dict, prisma: Any, path: Path) -> None:
    """Stop if the PRISMA counts and the screening tables tell different stories (stale files)."""
    if not isinstance(prisma, dict):
        raise ReviewflowError("expected a JSON object", path=path)
    for ours, theirs in PRISMA_TOTALS.items():
        if theirs in prisma and prisma[theirs] != counts[ours]:
            raise ReviewflowError(
                f"{theirs} is {prisma[theirs]} but the screening tables give {counts[ours]}",
                path=path,
            )


def kappa_text(agreement: Any) -> str:
    """Cohen's kappa as printed: '0.91', or 'not estimable' (e.g. every vote identical)."""
    kappa = agreement.get("cohens_kappa") if isinstance(agreement, dict) else None
    return f"{kappa:.2f}" if isinstance(kappa, int | float) else "not estimable"


def rule_words(rule: str) -> str:
    """'title_authors_venue' -> 'same title, authors and venue'; 'doi' -> 'same DOI'."""
    words = [w.upper() if w in ("doi", "isbn", "issn", "url") else w for w in rule.split("_")]
    return "same " + join_words(words)


def phrases(results: dict) -> dict:
    """Number-dependent wording the text needs ("none of the 9 included studies")."""
    out = {}
    synthesis = results.get("synthesis") or {}
    n_direct = synthesis.get("n_measuring_inequality_directly")
    if isinstance(n_direct, int):
        n = results["included"]["n"]
        head = "none" if n_direct == 0 else str(n_direct)
        out["direct_inequality"] = f"{head} of the {n} included studies"
        out["direct_inequality_capital"] = (
            out["direct_inequality"][:1].upper() + out["direct_inequality"][1:]
        )
    out["countries"] = counted_list(synthesis.get("countries"))
    out["schemes"] = counted_list(synthesis.get("schemes"), lower=True)
    out["designs"] = counted_list(synthesis.get("designs"), lower=True)
    rules = sorted(results["dedup"]["by_rule"].items(), key=lambda kv: (-kv[1], kv[0]))
    out["dedup_rules"] = (
        "; ".join(f"{rule_words(rule)} ({n})" for rule, n in rules if rule != "self")
        or "none (no duplicates)"
    )
    for stage in ("title_abstract", "full_text"):
        out[f"kappa_{stage}"] = kappa_text(results["screening"][stage].get("agreement"))
    return out


def audit_trail(records: pd.DataFrame, links: pd.DataFrame, keys: pd.Series) -> pd.DataFrame:
    """Every raw record behind each included study (keys: study id -> citation key)."""
    rec = records.set_index("record_id")
    order = {r: i for i, r in enumerate(records["record_id"])}
    trail = links[links["study_id"].isin(keys.index)].merge(
        rec[["source", "source_file", "line"]], left_on="record_id", right_index=True, how="left"
    )
    trail = trail.assign(key=trail["study_id"].map(keys), order=trail["record_id"].map(order))
    return (
        trail.sort_values(["key", "order"])[
            ["key", "study_id", "record_id", "source", "source_file", "line", "rule"]
        ]
        .rename(columns={"source_file": "file", "rule": "match_rule"})
        .reset_index(drop=True)
    )


def excluded_table(ft: pd.DataFrame, studies: pd.DataFrame) -> pd.DataFrame:
    """Studies excluded (or not retrieved) at full text, grouped by reason."""
    decisions = ft["decision"].str.strip().str.lower()
    out = ft[decisions.isin(["exclude", "not_retrieved"])]
    reasons = out["reason"] if "reason" in out.columns else pd.Series("", index=out.index)
    out = out.assign(
        study=[study_label(studies.loc[s]) for s in out["study_id"]],
        title=[studies.loc[s, "title"] for s in out["study_id"]],
        reason=[
            (r or "not stated") if d == "exclude" else "full text not retrieved"
            for r, d in zip(reasons, decisions[out.index], strict=True)
        ],
    )
    cols = ["study_id", "study", "title", "reason"]
    return out.sort_values(["reason", "study", "study_id"])[cols].reset_index(drop=True)


# --- the stage -----------------------------------------------------------------------------


def build(
    *,
    config: dict,
    search_log: list[Search],
    search_log_path: Path,
    records: pd.DataFrame,
    studies: pd.DataFrame,
    links: pd.DataFrame,
    prisma: Any,
    screening_dir: Path,
    synthesis: Any,
    evidence_map: pd.DataFrame,
    table1: pd.DataFrame,
    paths: dict[str, Path],
) -> dict[str, Any]:
    """All outputs as in-memory objects: {'results': dict, 'bib': str, '<table>': DataFrame}."""
    require_columns(
        records, ["record_id", "search_id", "source", "source_file", "line"], paths["r"]
    )
    require_columns(studies, ["study_id", "authors", "year", "title"], paths["s"])
    require_columns(links, ["record_id", "study_id", "rule"], paths["l"])

    searches = search_table(search_log, records, search_log_path)
    screening, _, ft = read_screening(screening_dir)

    record_to_study = dict(zip(links["record_id"], links["study_id"], strict=True))
    record_to_study.update({s: s for s in studies["study_id"]})
    ft = ft.assign(
        study_id=resolve_ids(
            ft["study_id"], record_to_study, screening_dir / "full_text.csv", "study"
        )
    )
    studies = studies.set_index("study_id", drop=False)
    missing = sorted(set(ft["study_id"]) - set(studies.index))
    if missing:
        raise ReviewflowError(f"studies not in studies.csv: {missing}", path=paths["s"])

    decisions = ft["decision"].str.strip().str.lower()
    included_ids = sorted(set(ft.loc[decisions == "include", "study_id"]))
    # Keys are assigned over all studies so a study keeps its key if another is excluded later.
    all_keys = cite_keys(studies.reset_index(drop=True)).set_axis(studies.index)
    inc = studies.loc[included_ids].assign(key=all_keys[included_ids])
    inc = inc.sort_values(["key"])

    extras = study_extras(records, record_to_study)
    bib = included_bib([bib_entry(r.key, r, extras.get(r.study_id, {})) for _, r in inc.iterrows()])

    trail = audit_trail(records, links, inc["key"])
    excluded = excluded_table(ft, studies)

    n_records = len(records)
    n_studies = len(studies)
    by_record = {r: inc.loc[s, "key"] for r, s in record_to_study.items() if s in inc.index}
    results = {
        "review": plain(config.get("review", {})),
        "search": summarise_search(searches),
        "prisma": plain(prisma),
        "synthesis": plain(synthesis),
        "screening": screening,
        "dedup": {
            "n_records": n_records,
            "n_studies": n_studies,
            "n_duplicates": n_records - n_studies,
            "n_multi_record_studies": int((links["study_id"].value_counts() > 1).sum()),
            "by_rule": {k: int(v) for k, v in sorted(links["rule"].value_counts().items())},
        },
        "counts": {
            "identified": n_records,
            "duplicates_removed": n_records - n_studies,
            "screened": screening["title_abstract"]["n_screened"],
            "excluded_title_abstract": screening["title_abstract"]["n_excluded"],
            "sought": screening["title_abstract"]["n_included"],
            "not_retrieved": screening["full_text"]["n_not_retrieved"],
            "assessed": screening["full_text"]["n_screened"]
            - screening["full_text"]["n_not_retrieved"],
            "excluded_full_text": screening["full_text"]["n_excluded"],
            "included": len(included_ids),
        },
        "included": {
            "n": len(included_ids),
            "keys": list(inc["key"]),
            "labels": join_words([study_label(r) for _, r in inc.iterrows()]),
            "key_of": {**{s: inc.loc[s, "key"] for s in inc.index}, **by_record},
        },
    }
    results["capitals"] = capitals_summary(synthesis or {}, evidence_map, table1, paths)
    results["phrases"] = phrases(results)
    check_prisma(results["counts"], prisma, paths["p"])
    for k, v in results["counts"].items():
        if v < 0:
            raise ReviewflowError(f"count {k} is negative ({v}): inputs disagree", path=paths["l"])

    included_table = inc[["key", "study_id", "authors", "year", "title", "journal", "doi"]]
    sources = searches[["source", "kind", "interface", "date", "hits", "records"]]
    strategies = searches[["source", "interface", "date", "query"]]
    return {
        "results": {"results": results},
        "bib": bib,
        "search_sources": sources,
        "search_strategies": strategies,
        "excluded_full_text": excluded,
        "audit_trail": trail,
        "included_studies": included_table.reset_index(drop=True),
    }


def run(args: argparse.Namespace) -> None:
    out_dir = Path(args.out_dir)
    synthesis_dir = Path(args.synthesis).parent  # the notebook's other outputs sit beside it
    paths = {
        "r": Path(args.records),
        "s": Path(args.studies),
        "l": Path(args.links),
        "p": Path(args.prisma),
        "em": synthesis_dir / "evidence_map.csv",
        "t1": synthesis_dir / "table1.csv",
    }
    config = read_yaml(args.config) or {}
    outputs = build(
        config=config,
        search_log=load_search_log(args.search_log),
        search_log_path=Path(args.search_log),
        records=read_csv(args.records),
        studies=read_csv(args.studies),
        links=read_csv(args.links),
        prisma=read_json(args.prisma),
        screening_dir=Path(args.screening_dir),
        synthesis=read_json(args.synthesis),
        evidence_map=read_csv(paths["em"]),
        table1=read_csv(paths["t1"]),
        paths=paths,
    )
    write_yaml(outputs.pop("results"), out_dir / "results.yml")
    write_text(outputs.pop("bib"), out_dir / "included.bib")
    for name, table in outputs.items():
        write_csv(table, out_dir / f"{name}.csv")
    log.info("results: wrote results.yml, included.bib and %d tables to %s", len(outputs), out_dir)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "results",
        help="gather the manuscript's numbers (results.yml), bibliography and supplement tables",
    )
    p.add_argument("--config", required=True, help="config/config.yaml")
    p.add_argument("--search-log", required=True, help="data/raw/searches.yaml")
    p.add_argument("--records", required=True, help="records/records.csv")
    p.add_argument("--studies", required=True, help="dedup/studies.csv")
    p.add_argument("--links", required=True, help="dedup/links.csv")
    p.add_argument("--prisma", required=True, help="prisma/counts.json")
    p.add_argument("--screening-dir", required=True, help="data/processed/screening")
    p.add_argument(
        "--synthesis",
        required=True,
        help="synthesis/synthesis.json (evidence_map.csv and table1.csv are read beside it)",
    )
    p.add_argument("--out-dir", required=True, help="data/processed/manuscript")
    p.set_defaults(func=run)
