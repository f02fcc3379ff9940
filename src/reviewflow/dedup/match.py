"""Score candidate pairs and label them duplicate / maybe / distinct by a table of rules.

Similarities are computed for all pairs at once (rapidfuzz ``cpdist``, numpy), so the rules
are plain boolean masks. A pair is a duplicate when it passes one row of ``RULES`` and has
no contradiction (see ``contradictions``); the first passing row names the link. Pairs that
look alike but pass no rule go to a person ("maybe"), never to an automatic merge.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

MISSING = -1.0  # similarity when either side lacks the field
SAME, DIFFERENT, ABSENT = 1, 0, -1


@dataclass(frozen=True)
class Rule:
    """One way two records can be shown to be the same work.

    Similarities are 0-100 (rapidfuzz ratio); ``None`` means the field is not used.
    ``author``: minimum author similarity, or None; ``author_may_be_missing`` lets a record
    without authors pass. ``year``: "same" or "near" (at most one year apart, e.g. online
    first vs print). ``same``: fields that must be present and equal on both records.
    ``same_any``: at least one of these must be present and equal ("journal" = journal
    similarity >= 85). ``contained``: a title wholly contained in the other (a subtitle
    dropped or glued on) also passes the title test. ``journal_may_differ=False``: both
    journal articles with unlike journals (similarity < 50, e.g. a journal-club commentary
    reusing the article's title) fail the rule. ``translated``: one of the two titles must be
    a database's own translation (wholly bracketed, "[A study of ...]"), which each database
    words differently. "citation" in ``same``: same year, volume and full page range of
    several pages (``same_citation``). ``thesis``: both records are a thesis or its entry in
    an index of dissertation abstracts (``normalise.venue_kind``). ``year_may_be_missing``
    lets a record without a year pass the year test.
    """

    name: str
    title: float
    author: float | None
    author_may_be_missing: bool
    year: str
    same: tuple[str, ...]
    same_any: tuple[str, ...]
    why: str
    contained: bool = False
    journal_may_differ: bool = True
    translated: bool = False
    thesis: bool = False
    year_may_be_missing: bool = False


RULES: tuple[Rule, ...] = (
    Rule("doi", 70, None, True, "near", ("doi",), (),
         "same DOI and a similar title; years at most one apart, or one unknown",
         year_may_be_missing=True),
    Rule("title_authors_venue", 95, 85, False, "same", (), ("page", "journal"),
         "same title, authors and year, and the same pages or journal", journal_may_differ=False),
    Rule("title_authors_year", 98, 95, False, "same", (), (),
         "identical title and authors, same year, journals not in conflict",
         journal_may_differ=False),
    Rule("title_volume_pages", 95, 60, True, "same", ("volume", "page"), (),
         "same title, year, volume and first page; authors similar or absent"),
    Rule("title_full_citation", 98, None, True, "same", ("volume", "page", "journal"), (),
         "same title, year, journal, volume and pages; author lists may differ (groups)"),
    Rule("similar_title_full_citation", 85, 75, False, "same", ("volume", "page", "journal"),
         (),
         "similar title (translation, typos) with same authors, year, volume, pages, journal"),
    Rule("title_contained_citation", 95, 85, False, "same", ("volume", "page"), (),
         "one title contains the other (subtitle dropped); authors, year, volume, pages agree",
         contained=True),
    Rule("print_vs_online_year", 95, 85, False, "near", ("volume", "page"), (),
         "same title, authors, volume and pages; year one apart (online first vs print)"),
    Rule("near_year_same_issue", 95, 95, False, "near", ("volume", "issue", "journal"), (),
         "same title and authors in one issue (journal, volume, issue) of a journal, dated one "
         "year apart (abstract supplements, online first); no pages to compare",
         journal_may_differ=False),
    Rule("translated_title_citation", 75, 90, False, "same", ("citation", "journal"), (),
         "a bracketed title translated by the database, worded otherwise by another; same "
         "authors, year, journal, volume and full page range", translated=True),
    Rule("subtitle_dropped_issue", 101, 60, True, "same", ("volume", "issue", "page", "journal"),
         (), "one title is the other without its subtitle; same journal, year, volume, issue "
         "and pages; authors similar or absent", contained=True),
    Rule("thesis_and_abstract", 95, 90, False, "near", (), (),
         "a thesis and its dissertation-abstracts entry (or two records of the thesis): same "
         "title and author, years at most one apart", thesis=True),
)  # fmt: skip

# Pairs passing no rule but looking alike go to a person.
MAYBE_TITLE = 85.0
MAYBE_AUTHOR = 60.0
MAYBE_AUTHOR_CITATION = 90.0
JOURNAL_SAME = 85.0
JOURNAL_CONFLICT = 50.0


def rules_list() -> list[dict]:
    """The rules as plain records (for the report; JSON-safe)."""
    rows = [asdict(r) for r in RULES]
    for row in rows:
        row["same"] = list(row["same"])
        row["same_any"] = list(row["same_any"])
    return rows


def rules_table() -> pd.DataFrame:
    """The rules as a table (documentation)."""
    table = pd.DataFrame(rules_list())
    for col in ("same", "same_any"):
        table[col] = table[col].map(", ".join)
    return table


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise rapidfuzz ratio (0-100), MISSING where either side is empty."""
    if not len(a):
        return np.empty(0)
    sims = process.cpdist(a, b, scorer=fuzz.ratio, workers=-1).astype(np.float64)
    empty = (pd.Series(a).str.len().to_numpy() == 0) | (pd.Series(b).str.len().to_numpy() == 0)
    sims[empty] = MISSING
    return sims


def _state(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """SAME / DIFFERENT / ABSENT per pair for an exact-compare field."""
    absent = (a == "") | (b == "")
    return np.where(absent, ABSENT, np.where(a == b, SAME, DIFFERENT)).astype(np.int8)


def markers_conflict(x: str, y: str) -> bool:
    """Each title has a marker the other lacks ("part 1" vs "part 2", "men" vs "women").

    A marker missing on one side only (a truncated or garbled title) is no proof.
    """
    if x == y:
        return False
    sx, sy = set(x.split()), set(y.split())
    return bool(sx - sy) and bool(sy - sx)


def _markers_conflict(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    out = np.zeros(len(x), dtype=bool)
    for k in np.flatnonzero(x != y):
        out[k] = markers_conflict(x[k], y[k])
    return out


def _pages_state(norm: pd.DataFrame, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Vector form of ``normalise.pages_relation``."""
    lo, hi = norm["n_page_lo"].to_numpy(), norm["n_page_hi"].to_numpy()
    let = norm["n_page_letter"].to_numpy()
    lo1, hi1, lo2, hi2 = lo[a], hi[a], lo[b], hi[b]
    same = (lo1 == lo2) | ((lo1 <= lo2) & (hi2 <= hi1)) | ((lo2 <= lo1) & (hi1 <= hi2))
    state = np.where(same, SAME, np.where(let[a] != let[b], ABSENT, DIFFERENT))
    return np.where((lo1 < 0) | (lo2 < 0), ABSENT, state).astype(np.int8)


# Below this title similarity (and without containment) no rule and no maybe can fire, so
# the other fields are not compared at all: most blocked pairs stop here, cheaply.
TITLE_FLOOR = 70.0


def title_similarity(norm: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """Title similarity (best over main/alternative forms) and containment, per pair."""
    a = pairs["a"].to_numpy()
    b = pairs["b"].to_numpy()
    titles = norm["n_title"].to_numpy(dtype=object)
    alts = norm["n_title_alt"].to_numpy(dtype=object)
    ta, tb, aa, ab = titles[a], titles[b], alts[a], alts[b]
    title = _ratio(ta, tb)
    has_alt = np.flatnonzero((ta != aa) | (tb != ab))
    for x, y in ((aa, tb), (ta, ab), (aa, ab)):
        title[has_alt] = np.maximum(title[has_alt], _ratio(x[has_alt], y[has_alt]))
    # A title wholly inside the other (a dropped or glued-on subtitle). Containment of a
    # title of s characters in one of at most 3s gives ratio >= 50, so lower pairs skip it.
    contained = np.zeros(len(pairs), dtype=bool)
    mid = np.flatnonzero((title >= 50) & (title < 95))
    if len(mid):
        shorter = np.minimum(
            pd.Series(ta[mid]).str.len().to_numpy(), pd.Series(tb[mid]).str.len().to_numpy()
        )
        partial = process.cpdist(ta[mid], tb[mid], scorer=fuzz.partial_ratio, workers=-1)
        contained[mid] = (partial >= 97) & (shorter >= 30)
    # One title is the other's head (the part before its subtitle), however long the subtitle.
    heads = norm["n_title_head"].to_numpy(dtype=object)
    ha, hb = heads[a], heads[b]
    contained |= ((ha != "") & (ha == tb)) | ((hb != "") & (hb == ta))
    return pairs.assign(title=title, title_contained=contained)


def same_citation(norm: pd.DataFrame, pairs: pd.DataFrame) -> np.ndarray:
    """Same year, volume and full page range (several pages): the citation of one work.

    Such pairs whose titles differ (a title translated differently by each database) are
    shown to a person as "maybe"; they are never merged on the citation alone.
    """
    a = pairs["a"].to_numpy()
    b = pairs["b"].to_numpy()
    year = norm["n_year"].to_numpy()
    volume = norm["n_volume"].to_numpy(dtype=object)
    lo, hi = norm["n_page_lo"].to_numpy(), norm["n_page_hi"].to_numpy()
    return (
        (year[a] == year[b])
        & (year[a] > 0)
        & (volume[a] == volume[b])
        & (volume[a] != "")
        & (lo[a] == lo[b])
        & (hi[a] == hi[b])
        & (hi[a] > lo[a])
    )


def features(norm: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """Similarities and field agreement for the candidate pairs whose titles are alike."""
    scored = title_similarity(norm, pairs)
    scored["same_citation"] = same_citation(norm, scored)
    keep = (scored["title"] >= TITLE_FLOOR) | scored["title_contained"] | scored["same_citation"]
    out = scored[keep].reset_index(drop=True)
    a = out["a"].to_numpy()
    b = out["b"].to_numpy()

    def col(name: str) -> tuple[np.ndarray, np.ndarray]:
        values = norm[name].to_numpy(dtype=object)
        return values[a], values[b]

    n_auth = norm["n_n_authors"].to_numpy()
    k = np.minimum(np.minimum(n_auth[a], n_auth[b]), 5)
    author = np.full(len(out), MISSING)
    for kk in range(1, 6):
        idx = np.flatnonzero(k == kk)
        if len(idx):
            xa, xb = col(f"n_authors{kk}")
            author[idx] = _ratio(xa[idx], xb[idx])
    out["author"] = author

    ja, jb = col("n_journal")
    journal = _ratio(ja, jb)
    ia, ib = col("n_journal_initials")
    same_initials = (ia == ib) & (pd.Series(ia).str.len().to_numpy() >= 2) & (journal >= 0)
    journal[same_initials] = np.maximum(journal[same_initials], 90.0)
    # "Chinese journal of X" inside "Zhonghua ... Chinese journal of X": token-set containment.
    low = np.flatnonzero((journal >= 0) & (journal < JOURNAL_SAME))
    if len(low):
        contained = process.cpdist(
            ja[low], jb[low], scorer=fuzz.token_set_ratio, workers=-1
        ).astype(np.float64)
        short = np.minimum(
            pd.Series(ja[low]).str.count(" ").to_numpy(),
            pd.Series(jb[low]).str.count(" ").to_numpy(),
        )
        journal[low] = np.where((short >= 3) & (contained >= 95), 90.0, journal[low])
    out["journal"] = journal

    ya = norm["n_year"].to_numpy()[a]
    yb = norm["n_year"].to_numpy()[b]
    out["year_gap"] = np.where((ya < 0) | (yb < 0), -1, np.abs(ya - yb)).astype(np.int16)
    x, y = col("n_versioned")
    out["versioned"] = (x | y).astype(bool)
    for field, name in (
        ("doi", "n_doi"),
        ("volume", "n_volume"),
        ("issue", "n_issue"),
    ):
        out[field] = _state(*col(name))
    out["page"] = _pages_state(norm, a, b)
    for field, name in (("kind_differs", "n_kind"), ("venue_differs", "n_venue")):
        x, y = col(name)
        out[field] = x != y
    out["both_journals"] = (x == "article") & (y == "article")
    out["both_theses"] = (x == "thesis") & (y == "thesis")
    x, y = col("n_recurring")
    out["recurring"] = (x | y).astype(bool)
    x, y = col("n_translated")
    out["translated"] = (x | y).astype(bool)
    x, y = col("n_series")
    out["series_differ"] = x != y
    for field, name in (("numbers_differ", "n_numbers"), ("contrast_differs", "n_contrast")):
        x, y = col(name)
        out[field] = _markers_conflict(x, y)
    return out


def contradictions(f: pd.DataFrame) -> pd.Series:
    """Why a pair can never be one work ("" if nothing contradicts).

    Different DOIs, years more than one apart (any gap for a review republished by version,
    see ``normalise.versioned``), different first pages or volumes, an erratum
    / comment / retraction / protocol against an article, a conference paper against a
    journal paper in another venue, titles that differ in a series number ("part 2",
    "phase III", a year), and titles where each has a number or contrast word the other
    lacks.
    """
    checks = [
        ("doi", f["doi"] == DIFFERENT),
        ("year", (f["year_gap"] > 1) | (f["versioned"] & (f["year_gap"] > 0))),
        ("pages", f["page"] == DIFFERENT),
        ("volume", f["volume"] == DIFFERENT),
        ("kind", f["kind_differs"]),
        ("venue", f["venue_differs"] & (f["journal"] < JOURNAL_SAME)),
        ("title_series", f["series_differ"]),
        ("title_numbers", f["numbers_differ"]),
        ("title_contrast", f["contrast_differs"]),
    ]
    reason = pd.Series("", index=f.index, dtype=object)
    for name, mask in reversed(checks):
        reason = reason.mask(mask.to_numpy(), name)
    return reason


def _passes(rule: Rule, f: pd.DataFrame) -> np.ndarray:
    title = f["title"].to_numpy()
    ok = title >= rule.title
    if rule.contained:
        ok |= f["title_contained"].to_numpy()
    if rule.author is not None:
        author = f["author"].to_numpy()
        author_ok = author >= rule.author
        if rule.author_may_be_missing:
            author_ok |= author == MISSING
        ok &= author_ok
    if not rule.journal_may_differ:
        journal = f["journal"].to_numpy()
        # Conference names vary too much ("AMCIS 2017 Proceedings") to count as a conflict.
        conflict = (journal >= 0) & (journal < JOURNAL_CONFLICT) & f["both_journals"].to_numpy()
        ok &= ~conflict
    gap = f["year_gap"].to_numpy()
    ok &= ((gap == 0) if rule.year == "same" else (gap >= 0) & (gap <= 1)) | (
        rule.year_may_be_missing & (gap < 0)
    )

    if rule.translated:
        ok &= f["translated"].to_numpy()
    if rule.thesis:
        ok &= f["both_theses"].to_numpy()

    def same(field: str) -> np.ndarray:
        if field == "journal":
            return f["journal"].to_numpy() >= JOURNAL_SAME
        if field == "citation":
            return f["same_citation"].to_numpy()
        return f[field].to_numpy() == SAME

    for field in rule.same:
        ok &= same(field)
    if rule.same_any:
        ok &= np.logical_or.reduce([same(field) for field in rule.same_any])
    return ok


def label(f: pd.DataFrame) -> pd.DataFrame:
    """Add ``rule`` (first passing rule, "maybe" or ""), ``contradiction`` and ``score``."""
    out = f.copy()
    out["contradiction"] = contradictions(f)
    free = (out["contradiction"] == "").to_numpy()
    rule = np.full(len(f), "", dtype=object)
    for r in reversed(RULES):
        rule[_passes(r, f) & free] = r.name
    # A title that recurs (editorials, errata, front matter, a heading many teams use) names
    # no work: it needs a DOI, or the same pages in the same issue (the same volume when an
    # issue is unknown); otherwise a person decides.
    issue = f["issue"].to_numpy()
    place = (issue == SAME) | ((issue == ABSENT) & (f["volume"].to_numpy() == SAME))
    strong = (f["doi"].to_numpy() == SAME) | ((f["page"].to_numpy() == SAME) & place)
    rule[(rule != "") & f["recurring"].to_numpy() & ~strong] = "maybe"
    title = f["title"].to_numpy()
    author = f["author"].to_numpy()
    maybe = (
        (rule == "")
        & free
        & (title >= MAYBE_TITLE)
        & ((author >= MAYBE_AUTHOR) | (author == MISSING))
    )
    # Same citation, differently translated titles, same authors (or none given).
    maybe |= (
        (rule == "")
        & free
        & f["same_citation"].to_numpy()
        & (title >= 0)
        & ((author >= MAYBE_AUTHOR_CITATION) | (author == MISSING))
    )
    rule[maybe] = "maybe"
    out["rule"] = rule
    # Score: mean of the available title, author and journal similarities, 0-1.
    sims = np.column_stack([title, author, f["journal"].to_numpy()])
    present = sims >= 0
    total = np.where(present, sims, 0).sum(axis=1)
    out["score"] = np.round(total / np.maximum(present.sum(axis=1), 1) / 100, 3)
    return out
