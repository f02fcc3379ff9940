"""Gather every number the manuscript uses into one metadata file, plus its bibliography.

The manuscript never contains a typed result: it names values by key path
(``[prisma.studies_included]{.val}``) and the engine's ``assets/filters/results.lua`` fills them in
from ``results.yml``. Upstream files are nested whole under their own keys (``prisma``,
``screening.<stage>.agreement``, ``review``) so their authors can add keys without touching
this stage. What this stage derives itself (``search``, ``counts``, ``dedup``,
``screening.<stage>``, ``included``) comes from the tables whose columns
``docs/architecture.md`` fixes. Everything a review's notebooks publish
(``reviewflow.publish``) is nested beside these namespaces, never over them. ``counts`` must
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
import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from reviewflow import prose
from reviewflow.bibliography import (
    bib_entry,
    cite_keys,
    included_bib,
    study_extras,
)
from reviewflow.disclosure import CONSTRUCTED, disclosure, disclosure_brief, read_classes
from reviewflow.errors import ReviewflowError
from reviewflow.files import (
    read_csv,
    require_columns,
    write_csv,
    write_text,
    write_yaml,
)
from reviewflow.ids import StudyResolver
from reviewflow.prisma.counts import COMPANION, EXCLUDED, full_text_exclusions
from reviewflow.prose import join as join_words
from reviewflow.publish import ENGINE_NAMESPACES, PUBLISHED, merge_published, plain
from reviewflow.searchlog import Search, load_search_log
from reviewflow.synthesis import author_year

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


# --- search log ----------------------------------------------------------------------------


def search_table(searches: list[Search], records: pd.DataFrame, path: str | Path) -> pd.DataFrame:
    """One row per search, in log order, with the number of records its file gave."""
    per_search = records["search_id"].value_counts()
    columns = ["search_id", "source", "kind", "method", "interface", "date", "query", "hits"]
    table = pd.DataFrame(
        [
            (s.id, s.source, s.kind, s.method or "", s.interface or "", s.date, s.query, s.hits)
            for s in searches
        ],
        columns=columns,
    )
    table["query"] = table["query"].fillna("").str.strip()
    table["records"] = [int(per_search.get(i, 0)) for i in table["search_id"]]
    unknown = sorted(set(records["search_id"]) - set(table["search_id"]))
    if unknown:
        raise ReviewflowError(f"records from searches not in the search log: {unknown}", path=path)
    return table


def search_sentence(databases: list[str], others: list[str], dates: list[str]) -> str:
    """The Methods' sentences on sources and dates, in the house style (reviewflow.prose):
    one list per kind of source, no parentheses around lists that hold some."""
    sentences = []
    if databases:
        listed = prose.join(databases)
        sentences.append(
            f"We searched {prose.count(len(databases), 'bibliographic database')}: {listed}."
        )
    if others:
        lead = "We also used" if databases else "We used"
        listed = prose.join([prose.in_sentence(name) for name in others])
        sentences.append(f"{lead} {prose.count(len(others), 'other source')}: {listed}.")
    if not sentences:
        return "No search has been recorded yet."
    if dates:
        span = prose.date_range(dates[0], dates[-1])
        searches = "searches" if len(databases) + len(others) > 1 else "search"
        on = "on" if dates[0] == dates[-1] else "from"
        sentences.append(f"The {searches} ran {on} {span}.")
    return " ".join(sentences)


def other_methods_note(prisma: dict) -> str:
    """What the PRISMA 2020 template's other-methods column leaves unsaid ('' without one):
    how its records became the reports sought, which the template gives no boxes for."""
    other = prisma.get("other_methods") or {}
    if not prisma.get("other_methods_present") or not other:
        return ""
    dups, excluded, sought = (
        other[k] for k in ("duplicates_removed", "records_excluded", "reports_sought")
    )
    return prose.sentence(
        f"in the other-methods column, which the template gives no screening boxes, "
        f"{prose.count(dups, 'duplicate')} {prose.verb('was', dups)} removed and "
        f"{prose.k_of_n(excluded, other['records_screened'], 'record')} screened "
        f"{prose.verb('was', excluded or 2)} excluded on title and abstract before "
        f"{prose.count(sought, 'report')} {prose.verb('was', sought)} sought."
    )


def summarise_search(searches: pd.DataFrame) -> dict:
    dbs = searches[searches["kind"] == "database"]
    others = searches[searches["kind"] != "database"]
    dates = sorted(str(d) for d in searches["date"] if d)
    return {
        "sentence": search_sentence(list(dbs["source"]), list(others["source"]), dates),
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
        out |= reason_counts(df.loc[decisions == "exclude", "reason"])
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


def reason_counts(reasons: pd.Series) -> dict:
    """``reasons`` ({reason: n}, most frequent first) and ``reasons_text`` ("a (n = 3) and ...")."""
    counts = reasons.str.strip().replace("", "not stated").value_counts()
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return {
        "reasons": {k: int(v) for k, v in ordered},
        "reasons_text": join_words([f"{k} (n = {v})" for k, v in ordered]),
    }


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
    return author_year(study["authors"], study["year"])


def resolve_ids(ids: pd.Series, resolver: StudyResolver, path: Path, what: str) -> pd.Series:
    """Screening tables may name a study by any record id; map to the study id."""
    out = ids.map(resolver.study_of)
    if out.isna().any():
        bad = int(out.index[out.isna()][0])
        raise ReviewflowError(
            f"{what} id {ids[bad]!r} is not a record or study id in links.csv",
            path=path,
            line=bad + 2,
            record=ids[bad],
        )
    return out


PRISMA_TOTALS = {  # our count -> the PRISMA stage's key; they must agree
    "identified": "identified_total",
    "duplicates_removed": "duplicates_removed_total",
    "screened": "records_screened_total",
    "excluded_title_abstract": "records_excluded_total",
    "sought": "reports_sought_total",
    "not_retrieved": "reports_not_retrieved_total",
    "assessed": "reports_assessed_total",
    "excluded_full_text": "reports_excluded_total",
    "companion_reports": "companion_reports_total",
    "included": "studies_included",
    "reports_included": "reports_included",
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
    """Cohen's kappa as printed: '0.91'; 'not available' when the tool gave only consensus
    decisions (Covidence); 'not estimable' otherwise (e.g. every vote identical)."""
    if not isinstance(agreement, dict):
        return "not estimable"
    if agreement.get("agreement_available") is False:
        return "not available"
    kappa = agreement.get("cohens_kappa")
    return f"{kappa:.2f}" if isinstance(kappa, int | float) else "not estimable"


def n_reviewers(agreement: Any) -> int:
    """People who screened at a stage: everyone in a reviewer pair (0 when not recorded)."""
    pairs = agreement.get("reviewer_pairs") if isinstance(agreement, dict) else None
    return len({r for pair in pairs or [] for r in pair.get("reviewers", [])})


def person_sentence(report: dict) -> str:
    """What a person decided in deduplication, from dedup_report.json, as the Methods say it."""
    maybe = int(report.get("maybe_pairs", 0))
    decided = sum(int(n) for n in (report.get("human_decisions") or {}).values())
    if not maybe and not decided:
        return "No pair of records was uncertain enough to need a person's decision."
    return (
        f"{prose.sentence(prose.count(maybe, 'uncertain pair'))} of records "
        f"{prose.verb('was', maybe)} listed for a person, who recorded "
        f"{prose.count(decided, 'merge or split decision')}."
    )


def rule_words(rule: str) -> str:
    """'title_authors_venue' -> 'same title, authors and venue'; 'doi' -> 'same DOI'."""
    words = [w.upper() if w in ("doi", "isbn", "issn", "url") else w for w in rule.split("_")]
    return "same " + join_words(words)


def rules_text(by_rule: dict[str, int]) -> str:
    """How many records each matching rule joined to a study, as the Methods report it."""
    rules = sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0]))
    return (
        "; ".join(f"{rule_words(rule)} ({n})" for rule, n in rules if rule != "self")
        or "none (no duplicates)"
    )


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


def excluded_table(exclusions: pd.DataFrame, studies: pd.DataFrame) -> pd.DataFrame:
    """The studies in the diagram's "Reports excluded" box (``prisma.full_text_exclusions``
    with outcome excluded), grouped by reason; not retrieved and companion reports are not."""
    out = exclusions[exclusions["outcome"] == EXCLUDED]
    out = out.assign(
        study=[study_label(studies.loc[s]) for s in out["study_id"]],
        title=[studies.loc[s, "title"] for s in out["study_id"]],
        reason=out["reason"].replace("", "not stated"),
    )
    cols = ["study_id", "study", "title", "reason"]
    return out.sort_values(["reason", "study", "study_id"])[cols].reset_index(drop=True)


# --- the stage -----------------------------------------------------------------------------


def build(
    *,
    review: dict,
    companion_reasons: list[str],
    search_log: list[Search],
    search_log_path: Path,
    records: pd.DataFrame,
    studies: pd.DataFrame,
    links: pd.DataFrame,
    prisma: Any,
    screening_dir: Path,
    published: list[tuple[Path, dict]],
    dedup_report: dict,
    classes: pd.DataFrame,
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

    resolver = StudyResolver(links, studies)
    record_to_study = resolver.to_study
    ft = ft.assign(
        study_id=resolve_ids(ft["study_id"], resolver, screening_dir / "full_text.csv", "study")
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
    exclusions = full_text_exclusions(ft, companion_reasons, str(screening_dir / "full_text.csv"))
    outcomes = exclusions["outcome"].value_counts()
    excluded = excluded_table(exclusions, studies)
    # The reasons of the diagram's "Reports excluded" box: companion reports are not excluded.
    screening["full_text"] |= reason_counts(
        exclusions.loc[exclusions["outcome"] == EXCLUDED, "reason"]
    )

    by_rule = {k: int(v) for k, v in sorted(links["rule"].value_counts().items())}
    n_records = len(records)
    n_studies = len(studies)
    by_record = {r: inc.loc[s, "key"] for r, s in record_to_study.items() if s in inc.index}
    results = {
        "review": plain(review),
        "search": summarise_search(searches),
        "prisma": {**plain(prisma), "other_methods_note": other_methods_note(prisma)},
        "screening": screening,
        "dedup": {
            "n_records": n_records,
            "n_studies": n_studies,
            "n_duplicates": n_records - n_studies,
            "n_multi_record_studies": int((links["study_id"].value_counts() > 1).sum()),
            "by_rule": by_rule,
            "rules_text": rules_text(by_rule),
            "report": plain(dedup_report),
            "person_sentence": person_sentence(dedup_report),
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
            "excluded_full_text": int(outcomes.get(EXCLUDED, 0)),
            "companion_reports": int(outcomes.get(COMPANION, 0)),
            "included": len(included_ids),
            "reports_included": len(included_ids) + int(outcomes.get(COMPANION, 0)),
        },
        "inputs": {
            "disclosure": disclosure(classes),
            "disclosure_brief": disclosure_brief(classes),
            "constructed": sorted(set(classes.loc[classes["class"] == CONSTRUCTED, "what"])),
            "n_files": int(classes["file"].nunique()),
        },
        "included": {
            "n": len(included_ids),
            "keys": list(inc["key"]),
            "labels": join_words([study_label(r) for _, r in inc.iterrows()]),
            "key_of": {**{s: inc.loc[s, "key"] for s in inc.index}, **by_record},
        },
    }
    abstracts = studies.get("abstract", pd.Series("", index=studies.index)).str.strip() != ""
    screening["title_abstract"]["n_with_abstract"] = int(abstracts.sum())
    for stage in ("title_abstract", "full_text"):
        agreement = screening[stage].get("agreement")
        screening[stage]["kappa_text"] = kappa_text(agreement)
        screening[stage]["n_reviewers"] = n_reviewers(agreement)
    assert set(results) <= set(ENGINE_NAMESPACES), "an engine namespace is not declared"
    for path, values in published:
        merge_published(results, values, path)
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
    paths = {
        "r": Path(args.records),
        "s": Path(args.studies),
        "l": Path(args.links),
        "p": Path(args.prisma),
    }
    try:
        review = json.loads(args.review)
    except json.JSONDecodeError as exc:
        raise ReviewflowError(f"--review is not JSON: {exc.msg}") from None
    outputs = build(
        review=review if isinstance(review, dict) else {},
        companion_reasons=args.companion_reasons,
        search_log=load_search_log(args.search_log),
        search_log_path=Path(args.search_log),
        records=read_csv(args.records),
        studies=read_csv(args.studies),
        links=read_csv(args.links),
        dedup_report=read_json(args.dedup_report),
        classes=read_classes(Path(args.provenance_classes).parent),
        prisma=read_json(args.prisma),
        screening_dir=Path(args.screening_dir),
        published=[(Path(p), read_json(p)) for p in args.published],
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
    p.add_argument(
        "--review", default="{}", help="config.yaml's `review:` section as JSON (title, ...)"
    )
    p.add_argument(
        "--companion-reasons",
        nargs="*",
        default=[],
        help="full-text reasons that mark another report of an included study "
        "(config screening.companion_report_reasons)",
    )
    p.add_argument("--search-log", required=True, help="data/raw/searches.yaml")
    p.add_argument("--records", required=True, help="records/records.csv")
    p.add_argument("--studies", required=True, help="dedup/studies.csv")
    p.add_argument("--links", required=True, help="dedup/links.csv")
    p.add_argument("--dedup-report", required=True, help="dedup/dedup_report.json")
    p.add_argument("--provenance-classes", required=True, help="data/raw/provenance_classes.yaml")
    p.add_argument("--prisma", required=True, help="prisma/counts.json")
    p.add_argument("--screening-dir", required=True, help="data/processed/screening")
    p.add_argument(
        "--published",
        nargs="*",
        default=[],
        help=f"each notebook's {PUBLISHED} (values it published for the manuscript)",
    )
    p.add_argument("--out-dir", required=True, help="data/processed/manuscript")
    p.set_defaults(func=run)
