"""Group matched pairs into studies: union-find with a guard against contradicting chains.

Plain transitive closure is unsafe: A~B and B~C merge A with C even if A and C carry
different DOIs or years, or are by different authors (a chain of one title through records
by other people). Here two groups are joined only if no record of one contradicts a record
of the other (the checks of ``match.contradictions``, plus author lists that no rule would
accept without a DOI or citation in common) and no human said "split"; a refused link goes
to a person as a maybe pair. Records identical in every compared field are checked once,
so a block of identical records costs linear, not quadratic, time.
Edges are taken strongest first (human merges, then rules in table order, then score), so
a weak link cannot block a strong one.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from rapidfuzz import fuzz

from reviewflow.dedup.block import first_identical
from reviewflow.dedup.match import JOURNAL_SAME, RULES, markers_conflict
from reviewflow.dedup.normalise import pages_relation

log = logging.getLogger(__name__)

HUMAN_MERGE = "human_merge"
RULE_ORDER = {HUMAN_MERGE: -1, **{r.name: k for k, r in enumerate(RULES)}}
# Two groups whose sizes multiply beyond GUARD_LIMIT**2 are not joined automatically (the
# member-by-member check would be too costly, and no real work has hundreds of records).
GUARD_LIMIT = 200
# Author similarity below which no rule links two records without a DOI or their volume and
# pages in common: two members of one study by other people may not differ more (no chain of
# look-alike names: Larsen ~ Larssen ~ Larsson).
GUARD_AUTHOR = min(
    r.author for r in RULES if r.author is not None and not {"doi", "page"} & set(r.same)
)


class Guard:
    """Record-level contradiction test for the clustering step (scalar twin of the vector one)."""

    def __init__(self, norm: pd.DataFrame, cannot_link: set[tuple[int, int]]) -> None:
        self.doi = norm["n_doi"].tolist()
        self.year = norm["n_year"].tolist()
        self.versioned = norm["n_versioned"].tolist()
        self.pages = list(
            zip(norm["n_page_lo"].tolist(), norm["n_page_hi"].tolist(),
                norm["n_page_letter"].tolist(), strict=True)
        )  # fmt: skip
        self.volume = norm["n_volume"].tolist()
        self.kind = norm["n_kind"].tolist()
        self.venue = norm["n_venue"].tolist()
        self.journal = norm["n_journal"].tolist()
        self.initials = norm["n_journal_initials"].tolist()
        self.series = norm["n_series"].tolist()
        self.numbers = norm["n_numbers"].tolist()
        self.contrast = norm["n_contrast"].tolist()
        self.n_authors = norm["n_n_authors"].tolist()
        self.authors = [norm[f"n_authors{k}"].tolist() for k in range(1, 6)]
        self.families = [set(f.split()) for f in norm["n_families"].tolist()]
        self.cannot_link = cannot_link
        compared = [c for c in norm.columns if c not in ("n_title", "n_title_alt", "n_title_head")]
        # Records equal in every compared field share a signature: one check stands for all.
        self.signature = first_identical(norm[compared]).tolist()
        self.pinned = {x for pair in cannot_link for x in pair}  # checked one by one

    @staticmethod
    def _differ(values: list, i: int, j: int) -> bool:
        return values[i] != "" and values[j] != "" and values[i] != values[j]

    def contradicts(self, i: int, j: int) -> bool:
        if (min(i, j), max(i, j)) in self.cannot_link:
            return True
        if self._differ(self.doi, i, j) or pages_relation(*self.pages[i], *self.pages[j]) == 0:
            return True
        if self._differ(self.volume, i, j) or self.kind[i] != self.kind[j]:
            return True
        if self.year[i] > 0 and self.year[j] > 0:
            gap = abs(self.year[i] - self.year[j])
            if gap > 1 or (gap and (self.versioned[i] or self.versioned[j])):
                return True
        if self.series[i] != self.series[j] or markers_conflict(self.numbers[i], self.numbers[j]):
            return True
        if markers_conflict(self.contrast[i], self.contrast[j]):
            return True
        if self.venue[i] != self.venue[j]:
            same_initials = self.initials[i] == self.initials[j] and len(self.initials[i]) >= 2
            if not same_initials and fuzz.ratio(self.journal[i], self.journal[j]) < JOURNAL_SAME:
                return True
        return self.other_authors(i, j)

    def other_authors(self, i: int, j: int) -> bool:
        """Other people: no family name in common among the first five, author lists too
        unlike for any rule, and no DOI or volume and pages in common."""
        k = min(self.n_authors[i], self.n_authors[j], 5)
        if k == 0 or self.families[i] & self.families[j]:
            return False
        if fuzz.ratio(self.authors[k - 1][i], self.authors[k - 1][j]) >= GUARD_AUTHOR:
            return False
        if self.doi[i] != "" and self.doi[i] == self.doi[j]:
            return False
        same_pages = pages_relation(*self.pages[i], *self.pages[j]) == 1
        return not (same_pages and self.volume[i] != "" and self.volume[i] == self.volume[j])

    def key(self, i: int) -> int | tuple[int]:
        """Records with one key need one check; a record in a human "split" is its own key."""
        return (i,) if i in self.pinned else self.signature[i]


def cluster(
    n: int,
    edges: pd.DataFrame,
    guard: Guard,
) -> tuple[np.ndarray, pd.DataFrame, pd.DataFrame]:
    """Join records along ``edges`` (a, b, rule, score) without joining contradictions.

    Returns the study (index of the first record) of each record, the accepted edges, and
    the edges the guard refused.
    """
    order = edges.assign(_p=edges["rule"].map(RULE_ORDER)).sort_values(
        ["_p", "score", "a", "b"], ascending=[True, False, True, True], kind="stable"
    )
    parent = list(range(n))
    # Per group, one representative record per guard key (see ``Guard.key``).
    members: dict[int, dict] = {}
    accepted = []
    refused = []

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    rows = zip(order["a"].tolist(), order["b"].tolist(), order["rule"].tolist(), strict=True)
    for k, (a, b, rule) in enumerate(rows):
        if k and k % 500_000 == 0:
            log.info("clustering: %d of %d links", k, len(order))
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        ma = members.get(ra) or {guard.key(ra): ra}
        mb = members.get(rb) or {guard.key(rb): rb}
        if rule != HUMAN_MERGE and (
            len(ma) * len(mb) > GUARD_LIMIT**2
            or any(
                guard.contradicts(x, y)
                for kx, x in ma.items()
                for ky, y in mb.items()
                if kx != ky  # records with one key never contradict each other
            )
        ):
            refused.append(k)
            continue
        if len(ma) < len(mb):
            ra, rb, ma, mb = rb, ra, mb, ma
        parent[rb] = ra
        members[ra] = {**mb, **ma}
        members.pop(rb, None)
        accepted.append(k)
    roots = np.fromiter((find(x) for x in range(n)), dtype=np.int64, count=n)
    # The study is named by its first record in input order.
    first = pd.Series(np.arange(n)).groupby(roots).transform("min").to_numpy()
    return first, order.iloc[accepted].drop(columns="_p"), order.iloc[refused].drop(columns="_p")
