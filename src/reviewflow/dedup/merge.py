"""Turn the clustering into the stage's tables: links, studies, the maybe sheet, the report.

Nothing is deleted: every record keeps a row in links.csv with the rule and score of the
link that joined it to its study, and the record it was linked to, so a merge can be
audited and undone (a "split" line in dedup_decisions.csv).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reviewflow.dedup.match import rules_list
from reviewflow.files import neutralise_formula

STUDY_FIELDS = [
    "type", "title", "authors", "year", "journal", "volume", "issue", "pages", "doi", "abstract",
]  # fmt: skip
SHEET_FIELDS = ["title", "authors", "year", "journal", "volume", "issue", "pages", "doi", "type"]


def links_table(records: pd.DataFrame, first: np.ndarray, accepted: pd.DataFrame) -> pd.DataFrame:
    """One row per record: its study, and the strongest accepted link that joined it."""
    ids = records["record_id"].to_numpy(dtype=object)
    n = len(records)
    ends = pd.concat(
        [
            accepted[["a", "b", "rule", "score"]].rename(columns={"a": "rec", "b": "other"}),
            accepted[["b", "a", "rule", "score"]].rename(columns={"b": "rec", "a": "other"}),
        ]
    )
    # ``accepted`` is in acceptance order (strongest first): keep each record's first link.
    ends = ends.assign(_k=np.tile(np.arange(len(accepted)), 2)).sort_values("_k", kind="stable")
    best = ends.drop_duplicates("rec").set_index("rec").reindex(np.arange(n))
    is_first = first == np.arange(n)
    rule = np.where(is_first, "self", best["rule"].fillna("").to_numpy(dtype=object))
    score = best["score"].to_numpy(dtype=np.float64)
    score_text = np.where(is_first | np.isnan(score), "", np.char.mod("%.3f", np.nan_to_num(score)))
    other = best["other"].fillna(-1).to_numpy(dtype=np.int64)
    linked = np.where(is_first | (other < 0), "", ids[np.maximum(other, 0)])
    return pd.DataFrame(
        {
            "record_id": ids,
            "study_id": ids[first],
            "rule": rule,
            "score": score_text,
            "linked_to": linked,
        }
    )


def _quality(values: pd.Series) -> pd.Series:
    """Prefer full, clean values: longer, not ALL CAPS, no leftover markup or brackets."""
    text = values.astype(str)
    score = text.str.len()
    score -= 1000 * (text.str.isupper() & (text.str.len() > 10))
    score -= 1000 * text.str.contains(r"&[a-z]+;|&#\d+;|<[a-z/]", regex=True)
    score -= 500 * text.str.startswith("[")
    return score


def _best_values(records: pd.DataFrame, study: np.ndarray, field: str) -> pd.Series:
    """Per study, the most frequent non-empty value (ties: the cleanest fullest, then first)."""
    values = records[field]
    long = pd.DataFrame({"study": study, "pos": np.arange(len(records)), "value": values})
    long = long[long["value"] != ""]
    count = long.groupby(["study", "value"], sort=False)["pos"].transform("size")
    if field == "abstract":
        count = count * 0  # the fullest abstract, not the most repeated one
    codes, uniques = pd.factorize(long["value"])  # values repeat: score each once
    long = long.assign(_c=-count, _q=-_quality(pd.Series(uniques, dtype=object)).to_numpy()[codes])
    best = long.sort_values(["study", "_c", "_q", "pos"], kind="stable").drop_duplicates("study")
    return best.set_index("study")["value"]


def studies_table(records: pd.DataFrame, first: np.ndarray) -> pd.DataFrame:
    """One row per study with its members and the best metadata among them."""
    ids = records["record_id"].to_numpy(dtype=object)
    n_records = np.bincount(first, minlength=len(records))
    heads = np.flatnonzero(first == np.arange(len(records)))
    out = pd.DataFrame({"study_id": ids[heads], "n_records": n_records[heads]})
    multi_study = n_records[first] > 1
    multi = records[multi_study]
    multi_first = first[multi_study]
    members = pd.Series(multi["record_id"].to_numpy(), index=multi_first).groupby(level=0)
    sources = (
        pd.DataFrame({"s": multi_first, "v": multi["source"].to_numpy()})
        .drop_duplicates()
        .groupby("s")["v"]
    )
    joined_ids = members.agg("; ".join)
    joined_sources = sources.agg("; ".join)
    out["record_ids"] = np.where(
        n_records[heads] > 1, joined_ids.reindex(heads).fillna("").to_numpy(), ids[heads]
    )
    own_source = records["source"].to_numpy(dtype=object)[heads]
    out["sources"] = np.where(
        n_records[heads] > 1, joined_sources.reindex(heads).fillna("").to_numpy(), own_source
    )
    for field in STUDY_FIELDS:
        own = records[field].to_numpy(dtype=object)[heads]
        best = _best_values(multi, multi_first, field).reindex(heads)
        out[field] = np.where(n_records[heads] > 1, best.fillna("").to_numpy(), own)
    return out


def maybe_sheet(
    records: pd.DataFrame,
    labelled: pd.DataFrame,
    first: np.ndarray,
    decided: set[tuple[int, int]],
) -> pd.DataFrame:
    """Undecided maybe pairs between different studies, side by side for a person.

    A pair a rule linked but the clustering guard refused (it contradicts another member of
    the study) is shown too. One pair per pair of studies (the most similar), since one
    decision settles them; pairs of studies a person already kept apart ("split") are not
    asked again.
    """
    maybe = labelled[labelled["rule"] != ""]
    a = maybe["a"].to_numpy()
    b = maybe["b"].to_numpy()
    settled = {(min(first[x], first[y]), max(first[x], first[y])) for x, y in decided}
    keep = first[a] != first[b]
    keep &= np.array(
        [(min(x, y), max(x, y)) not in settled for x, y in zip(first[a], first[b], strict=True)],
        dtype=bool,
    )
    maybe = maybe[keep]
    sa, sb = first[maybe["a"].to_numpy()], first[maybe["b"].to_numpy()]
    maybe = (
        maybe.assign(_sa=np.minimum(sa, sb), _sb=np.maximum(sa, sb))
        .sort_values(["_sa", "_sb", "score", "a", "b"], ascending=[True, True, False, True, True])
        .drop_duplicates(["_sa", "_sb"])
        .sort_values(["a", "b"])
    )
    a = maybe["a"].to_numpy()
    b = maybe["b"].to_numpy()
    ids = records["record_id"].to_numpy(dtype=object)
    sheet = pd.DataFrame(
        {
            "record_id_a": ids[a],
            "record_id_b": ids[b],
            "study_id_a": ids[first[a]],
            "study_id_b": ids[first[b]],
            "score": np.char.mod("%.3f", maybe["score"].to_numpy(dtype=np.float64)),
            "title_similarity": np.char.mod("%.0f", maybe["title"].to_numpy(dtype=np.float64)),
            "author_similarity": np.char.mod("%.0f", maybe["author"].to_numpy(dtype=np.float64)),
        }
    )
    for field in SHEET_FIELDS:
        values = records[field].to_numpy(dtype=object)
        sheet[f"{field}_a"] = [neutralise_formula(v) for v in values[a]]
        sheet[f"{field}_b"] = [neutralise_formula(v) for v in values[b]]
    return sheet


def report(
    links: pd.DataFrame,
    labelled: pd.DataFrame,
    maybe: pd.DataFrame,
    refused: int,
    decisions: pd.DataFrame,
    candidates: int,
) -> dict:
    """Counts per rule and per step; no timings, so the file is reproducible."""
    n_studies = int((links["rule"] == "self").sum())
    contradicted = labelled.loc[labelled["contradiction"] != "", "contradiction"]
    return {
        "records": len(links),
        "studies": n_studies,
        "duplicates": len(links) - n_studies,
        "links_by_rule": {k: int(v) for k, v in links["rule"].value_counts().items()},
        "candidate_pairs": int(candidates),
        "compared_pairs": len(labelled),
        "pairs_by_rule": {
            k: int(v)
            for k, v in labelled.loc[labelled["rule"] != "", "rule"].value_counts().items()
        },
        "contradicted_pairs": {k: int(v) for k, v in contradicted.value_counts().items()},
        "refused_by_guard": int(refused),
        "maybe_pairs": len(maybe),
        "human_decisions": {k: int((decisions["decision"] == k).sum()) for k in ("merge", "split")},
        "rules": rules_list(),
    }
