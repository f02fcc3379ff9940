"""Blocking: propose candidate pairs cheaply so cost grows linearly with the records.

Each blocking key groups records that a duplicate would very probably share (the DOI, the
start or end of the title, first author + year, year + volume + first page). Within a key the
records are sorted by title and each is paired with the next ``window`` records of the same
key (the sorted-neighbourhood method): small blocks give all their pairs, and a huge block
(a common surname in a common year) costs ``window`` pairs per record instead of n^2.
A duplicate only needs to share one key with its twin to become a candidate.

Records identical in every normalised field are paired with the first of them only, and
only that first one is blocked: n copies of one record cost n pairs, not ``window`` * n per
key (the degenerate input of a database exported many times over).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

WINDOW = 12


def _prefix(text: pd.Series, n_words: int) -> pd.Series:
    return pd.Series([" ".join(t.split(" ", n_words)[:n_words]) for t in text], index=text.index)


def _suffix(text: pd.Series, n_words: int) -> pd.Series:
    return pd.Series([" ".join(t.rsplit(" ", n_words)[-n_words:]) for t in text], index=text.index)


def blocking_keys(norm: pd.DataFrame) -> dict[str, pd.Series]:
    """Blocking keys per record; "" means the record has no value for that key."""
    title = norm["n_title"]
    long_title = title.str.len() >= 20  # "Editorial", "Letter": too common to block on
    year = norm["n_year"].astype(str)
    keys = {
        "doi": norm["n_doi"],
        "title_start": _prefix(title, 5).where(long_title, ""),
        "title_end": _suffix(title, 5).where(long_title, ""),
        "title_alt": _prefix(norm["n_title_alt"], 5).where(norm["n_title_alt"] != title, ""),
        "author_year": (norm["n_first_author"] + " " + year).where(
            (norm["n_first_author"] != "") & (norm["n_year"] > 0), ""
        ),
        "year_volume_page": (
            year + " " + norm["n_volume"] + " " + norm["n_page_lo"].astype(str)
        ).where((norm["n_volume"] != "") & (norm["n_page_lo"] >= 0) & (norm["n_year"] > 0), ""),
    }
    return keys


def _codes(values: pd.Series | np.ndarray, sort: bool = False) -> np.ndarray:
    """Integer codes of the values (in sorted order if ``sort``); "" becomes -1 (no key)."""
    codes, uniques = pd.factorize(pd.Series(values), sort=sort)
    codes = codes.astype(np.int64)
    empty = np.flatnonzero(np.asarray(uniques, dtype=object) == "")
    if len(empty):
        codes[codes == empty[0]] = -1
    return codes


def _window_pairs(key: np.ndarray, rank: np.ndarray, window: int) -> np.ndarray:
    """Pairs (i, j) with equal key code (>= 0), within ``window`` places in ``rank`` order."""
    valid = np.flatnonzero(key >= 0)
    if len(valid) < 2:
        return np.empty((0, 2), dtype=np.int64)
    order = valid[np.lexsort((rank[valid], key[valid]))]
    sorted_key = key[order]
    chunks = []
    for step in range(1, window + 1):
        idx = np.flatnonzero(sorted_key[step:] == sorted_key[:-step])
        if not len(idx):
            break
        chunks.append(np.column_stack((order[idx], order[idx + step])))
    if not chunks:
        return np.empty((0, 2), dtype=np.int64)
    return np.concatenate(chunks).astype(np.int64)


def first_identical(norm: pd.DataFrame) -> np.ndarray:
    """Per record, the position of the first record identical to it in every column."""
    if not len(norm):
        return np.empty(0, dtype=np.int64)
    group = norm.groupby(list(norm.columns), sort=False).ngroup().to_numpy()
    return pd.Series(np.arange(len(norm))).groupby(group).transform("min").to_numpy()


def candidate_pairs(norm: pd.DataFrame, window: int = WINDOW) -> pd.DataFrame:
    """Distinct candidate pairs as positional indices ``a < b``."""
    n = len(norm)
    first = first_identical(norm)
    copy = np.flatnonzero(first != np.arange(n))
    keep = np.flatnonzero(first == np.arange(n))  # positions of the blocked records
    blocked = norm.iloc[keep]
    keys = blocking_keys(blocked)
    m = len(blocked)
    rank = _codes(blocked["n_title"], sort=True)
    # Alternative (translated) titles are blocked together with main titles, so a bilingual
    # record meets the record that carries only the English title.
    starts = np.concatenate([keys.pop("title_start").to_numpy(), keys.pop("title_alt").to_numpy()])
    all_pairs = [np.column_stack((first[copy], copy)).astype(np.int64)]
    found = [_window_pairs(_codes(starts), np.concatenate([rank, rank]), window) % max(m, 1)]
    for name, key in keys.items():
        pairs = _window_pairs(_codes(key), rank, window)
        log.debug("blocking key %s: %d pairs", name, len(pairs))
        found.append(pairs)
    all_pairs.extend(keep[p] for p in found)
    pairs = np.sort(np.concatenate(all_pairs), axis=1)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    code = np.unique(pairs[:, 0] * n + pairs[:, 1])
    return pd.DataFrame({"a": code // n, "b": code % n})
