"""Deduplication at the worst case (issue 13): degenerate blocks and chains of look-alikes.

Sizes are small and nothing is timed: the cost is asserted as counts of work done (pairs,
guard checks), which grow linearly only if the mechanism is bounded. The timed runs at
200,000 records are ``benchmarks/dedup_benchmark.py --degenerate``.
"""

from __future__ import annotations

import itertools

import pandas as pd
from rapidfuzz import fuzz

from reviewflow.dedup import check_records, deduplicate
from reviewflow.dedup.block import candidate_pairs
from reviewflow.dedup.cluster import GUARD_AUTHOR, Guard
from reviewflow.dedup.normalise import author_families, normalise

TITLE = "Personal budgets and inequality in adult social care"


def table(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame([{"record_id": f"r{k}", **row} for k, row in enumerate(rows)])
    return check_records(frame.fillna(""))


def identical(n: int) -> pd.DataFrame:
    row = {"title": TITLE, "authors": "Carey, Gemma; Malbon, Eleanor", "year": "2019",
           "journal": "Health and Social Care in the Community", "volume": "27",
           "issue": "4", "pages": "123-129"}  # fmt: skip
    return table([row] * n)


def test_identical_records_cost_one_pair_each() -> None:
    n = 600
    pairs = candidate_pairs(normalise(identical(n)))
    assert len(pairs) == n - 1


def test_identical_records_cost_linear_guard_checks(monkeypatch) -> None:
    calls = []
    contradicts = Guard.contradicts
    monkeypatch.setattr(Guard, "contradicts", lambda self, i, j: calls.append(1) or
                        contradicts(self, i, j))  # fmt: skip
    n = 600
    result = deduplicate(identical(n))
    assert result.report["studies"] == 1
    assert len(calls) <= n


def test_recurring_identical_records_are_not_merged_but_asked() -> None:
    row = {"title": "Editor's Comments", "authors": "Straub, Detmar", "year": "2009",
           "journal": "MIS Quarterly", "volume": "33"}  # fmt: skip
    result = deduplicate(table([row] * 4))
    assert result.report["studies"] == 4
    assert len(result.maybe) == 3  # each copy against the first, for a person


def test_no_chain_of_look_alike_names_joins_other_people() -> None:
    """Larsen ~ Larssen ~ Larsson: each step passes a rule, the ends are other people."""
    names = ["Larsen, J.", "Larssen, J.", "Larsson, J.", "Larsen, J."]
    rows = [{"title": TITLE, "authors": a, "year": "2019", "journal": "Journal of Social Policy"}
            for a in names]  # fmt: skip
    result = deduplicate(table(rows))
    study = result.links.set_index("record_id")["study_id"]
    assert study["r0"] == study["r3"]  # the same author: merged
    assert study["r0"] != study["r2"]
    assert result.report["refused_by_guard"] >= 1 and len(result.maybe) >= 1


def test_one_title_by_many_teams_never_joins_records_without_a_common_author() -> None:
    """One title, 120 author teams drawn from a small pool of surnames (and their spelling
    variants), three journals: no study holds two records with no author in common (among
    the authors both list) unless their names are as alike as a rule demands of one team (a
    typo: "Jansen", "Janssen")."""
    pool = ["Larsen", "Larssen", "Larsson", "Hansen", "Hanssen", "Jansen", "Janssen",
            "Johnson", "Johnston", "Peters", "Petersen", "Pedersen"]  # fmt: skip
    rows = []
    for k, team in enumerate(itertools.islice(itertools.permutations(pool, 2), 120)):
        authors = "; ".join(f"{name}, {'ABC'[k % 3]}." for name in team[: 1 + k % 2])
        rows.append({"title": TITLE, "authors": authors, "year": "2019",
                     "journal": f"Journal of {['Policy', 'Care', 'Health'][k % 3]}"})  # fmt: skip
    records = table(rows)
    links = deduplicate(records).links
    norm = normalise(records).set_index(records["record_id"])
    for _, study in links.groupby("study_id"):
        for x, y in itertools.combinations(study["record_id"], 2):
            # Compared as the rules compare them: the authors both list (a list may be cut
            # to "et al."), family name and first initial.
            k = min(norm.at[x, "n_n_authors"], norm.at[y, "n_n_authors"])
            fx, fy = (set(author_families(records.set_index("record_id").at[r, "authors"])[:k])
                      for r in (x, y))  # fmt: skip
            column = f"n_authors{k}"
            alike = fuzz.ratio(norm.at[x, column], norm.at[y, column]) >= GUARD_AUTHOR
            assert fx & fy or alike, (x, y)


def test_a_title_many_teams_use_needs_a_doi_or_the_same_pages() -> None:
    """A heading used by five or more first authors names no work: the same first author,
    year and journal are not enough, the same volume and pages are."""
    teams = ["Noris, M.", "Loirat, C.", "Kavanagh, D.", "Fitzpatrick, M.", "Kavukcu, S."]
    rows = [{"title": "Atypical hemolytic uremic syndrome", "authors": a, "year": "2011",
             "journal": "Orphanet Journal of Rare Diseases"} for a in teams]  # fmt: skip
    rows.append({**rows[1], "authors": "Loirat, C.; Fremeaux-Bacchi, V."})
    assert deduplicate(table(rows)).report["studies"] == 6
    rows[1] = {**rows[1], "volume": "6", "pages": "60"}
    rows[5] = {**rows[5], "volume": "6", "pages": "60"}
    links = deduplicate(table(rows)).links.set_index("record_id")["study_id"]
    assert links["r5"] == links["r1"] and links.nunique() == 5
