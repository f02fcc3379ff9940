"""Generate a labelled deduplication benchmark of any size, in ../shared/bench/dedup/ format.

    .venv/bin/python benchmarks/generate_records.py OUT_DIR --n 1000000 [--seed 1]
    .venv/bin/python benchmarks/generate_records.py OUT_DIR --n 200000 --degenerate identical

Writes OUT_DIR/records_pre_merged.csv and OUT_DIR/merged_record_ids.csv. About 30% of the
records are extra copies of a work, perturbed the way databases garble metadata: author
name forms and truncated author lists, title case, trailing periods, bracketed titles, HTML
entities, typos, abbreviated journals, abbreviated page ranges, DOIs as URLs or upper case,
missing fields, print vs online year. Hard non-duplicates are planted too: a series' part 2
by the same authors, errata of an article, the same title by other authors. Vocabulary and
names are synthetic (Zipf-distributed, so blocks are realistically uneven); same seed, same
files. ``--degenerate`` writes the worst cases for blocking and clustering instead:
``identical`` (n copies of one record, one true work) and ``one-title`` (one title by n
different author teams in random journals: n different works).

``HARD_CASES`` turns one record (records.csv columns) into a labelled pair per pattern of
the garbling seen in real exports (issue 11): tests apply them to hand-made works and to
the real exports in ../shared/exports.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

SYLLABLES = [
    "ka", "lo", "mi", "ne", "ra", "to", "vi", "su", "an", "el", "or", "is", "um", "en", "ta",
    "ri", "co", "de", "ph", "st", "gr", "th", "ol", "ia", "ex", "pro", "gen", "bio", "cyt",
    "neu", "card", "hep", "lum", "ost", "path", "ther", "log", "sis", "tic", "al", "ous",
]  # fmt: skip
STOP = ["of", "in", "the", "and", "with", "for", "a", "on", "among", "after"]


def words(rng: np.random.Generator, n: int, lo: int, hi: int) -> list[str]:
    """``n`` distinct pseudo-words of ``lo``..``hi`` syllables."""
    out: set[str] = set()
    while len(out) < n:
        k = rng.integers(lo, hi + 1, size=n)
        picks = rng.integers(0, len(SYLLABLES), size=(n, hi))
        for row, kk in zip(picks, k, strict=True):
            out.add("".join(SYLLABLES[i] for i in row[:kk]))
    return [str(w) for w in rng.permutation(sorted(out))[:n]]


def zipf_index(rng: np.random.Generator, size: int, n: int, a: float = 1.1) -> np.ndarray:
    """Indices in [0, n) with a Zipf-like skew (a few very common values)."""
    ranks = np.arange(1, n + 1, dtype=np.float64)
    p = ranks**-a
    return rng.choice(n, size=size, p=p / p.sum())


def make_works(rng: np.random.Generator, n_works: int) -> pd.DataFrame:
    vocab = words(rng, 20_000, 2, 4)
    surnames = [w.capitalize() for w in words(rng, 30_000, 1, 3)]
    journal_words = [w.capitalize() for w in words(rng, 3_000, 2, 4)]
    n_journals = max(50, n_works // 200)
    journals = [
        "Journal of " + " ".join(journal_words[j] for j in rng.integers(0, 3000, size=2))
        for _ in range(n_journals)
    ]
    title_len = rng.integers(6, 16, size=n_works)
    title_words = zipf_index(rng, int(title_len.sum()), len(vocab), a=0.9)
    titles, pos = [], 0
    for k in title_len:
        ws = [vocab[i] for i in title_words[pos : pos + k]]
        pos += k
        ws.insert(len(ws) // 2, STOP[len(ws) % len(STOP)])
        titles.append(" ".join(ws).capitalize())
    n_auth = rng.integers(1, 9, size=n_works)
    fam = zipf_index(rng, int(n_auth.sum()), len(surnames), a=0.8)
    given = rng.integers(0, 26, size=(int(n_auth.sum()), 2))
    authors, pos = [], 0
    for k in n_auth:
        authors.append(
            [
                (surnames[fam[pos + i]], chr(65 + given[pos + i, 0]) + chr(65 + given[pos + i, 1]))
                for i in range(k)
            ]
        )
        pos += k
    first_page = rng.integers(1, 3000, size=n_works)
    return pd.DataFrame(
        {
            "title": titles,
            "authors": authors,
            "year": rng.integers(1980, 2025, size=n_works),
            "journal": [journals[i] for i in zipf_index(rng, n_works, n_journals, a=0.7)],
            "volume": rng.integers(1, 200, size=n_works),
            "issue": rng.integers(1, 13, size=n_works),
            "first_page": first_page,
            "last_page": first_page + rng.integers(0, 20, size=n_works),
            "doi": [
                f"10.{1000 + i % 8000}/x{i:08d}" if r < 0.75 else ""
                for i, r in enumerate(rng.random(n_works))
            ],
        }
    )


def plant_hard_negatives(rng: np.random.Generator, works: pd.DataFrame) -> pd.DataFrame:
    """Distinct works that look like duplicates of existing ones (must never be merged)."""
    n = len(works)
    parts = []
    series = works.sample(n=n // 100, random_state=rng.integers(1 << 31)).copy()
    series["title"] = series["title"] + ": part 2"
    series["first_page"] += 40
    series["last_page"] += 40
    series["doi"] = [d + "p2" if d else "" for d in series["doi"]]
    parts.append(series)
    errata = works.sample(n=n // 200, random_state=rng.integers(1 << 31)).copy()
    errata["title"] = "Erratum: " + errata["title"]
    errata["year"] += 1
    errata["first_page"] = errata["last_page"] + 300
    errata["last_page"] = errata["first_page"]
    errata["doi"] = [d + "err" if d else "" for d in errata["doi"]]
    parts.append(errata)
    other = works.sample(n=n // 200, random_state=rng.integers(1 << 31)).copy()
    shift = rng.integers(1, n, size=len(other))
    other["authors"] = works["authors"].to_numpy()[(other.index.to_numpy() + shift) % n]
    other["journal"] = works["journal"].to_numpy()[(other.index.to_numpy() + shift) % n]
    other["first_page"] = (other["first_page"] + 500) % 3000 + 2
    other["last_page"] = other["first_page"] + 5
    other["doi"] = ""
    parts.append(other)
    return pd.concat([works, *parts], ignore_index=True)


def abbreviate(journal: str) -> str:
    out = []
    for w in journal.split():
        if w.lower() in ("of", "and", "the"):
            continue
        out.append("J" if w == "Journal" else w[: max(3, len(w) // 2)])
    return " ".join(out)


def render(work: dict, r: np.ndarray, perturb: bool) -> dict:
    """One exported record of ``work``; ``r`` is a row of uniform random numbers."""
    authors = work["authors"]
    title = work["title"]
    journal = work["journal"]
    first, last = work["first_page"], work["last_page"]
    pages = f"{first}-{last}" if last > first else str(first)
    doi = work["doi"]
    year = work["year"]
    volume = str(work["volume"])
    if not perturb:
        names = [f"{f}, {g[0]}. {g[1]}." for f, g in authors]
    else:
        form = int(r[0] * 3)
        if form == 0:
            names = [f"{f}, {g}" for f, g in authors]
        elif form == 1:
            names = [f"{f} {g}" for f, g in authors]
        else:
            names = [f"{f}, {g[0]}." for f, g in authors]
        if r[1] < 0.1 and len(names) > 3:
            names = names[:3] + ["et al."]
        if r[2] < 0.3:
            title = title + "."
        if r[3] < 0.1:
            title = title.upper() if r[3] < 0.05 else title.lower()
        if r[4] < 0.05:
            title = f"[{title}]"
        if r[5] < 0.1:
            title = title.replace(" and ", " &amp; ", 1).replace(" with ", " <i>with</i> ", 1)
        if r[6] < 0.1 and len(title) > 20:
            k = 5 + int(r[7] * (len(title) - 10))
            title = title[:k] + title[k + 1 :]  # a dropped character
        if r[8] < 0.4:
            journal = abbreviate(journal)
        elif r[8] < 0.45:
            journal = ""
        if r[9] < 0.3 and last > first and len(str(last)) == len(str(first)):
            common = 0
            while common < len(str(first)) - 1 and str(first)[common] == str(last)[common]:
                common += 1
            pages = f"{first}-{str(last)[common:]}"
        elif r[9] > 0.9:
            pages = ""
        if doi and r[10] < 0.3:
            doi = ("https://doi.org/" + doi) if r[10] < 0.15 else doi.upper()
        elif r[10] > 0.7:
            doi = ""
        if r[11] < 0.02:
            year = year + 1  # print year vs online-first year
        if r[11] > 0.97:
            volume = ""
    return {
        "title": title,
        "year": str(year),
        "author": " and ".join(names),
        "pages": pages,
        "volume": volume,
        "number": str(work["issue"]),
        "ENTRYTYPE": "article",
        "journal": journal,
        "doi": doi,
    }


def generate(n: int, seed: int) -> tuple[pd.DataFrame, list[str]]:
    rng = np.random.default_rng(seed)
    n_works = int(round(n * 0.7 / 1.02))  # the planted hard negatives add ~2%
    works = plant_hard_negatives(rng, make_works(rng, n_works))
    n_copies = n - len(works)
    # Most duplicated works get one extra copy, some two or three.
    extra = rng.choice(len(works), size=n_copies, replace=True)
    source = np.concatenate([np.arange(len(works)), extra])
    perturb = np.concatenate([np.zeros(len(works), bool), np.ones(n_copies, bool)])
    order = rng.permutation(len(source))
    source, perturb = source[order], perturb[order]
    rand = rng.random((len(source), 12))
    work_rows = works.to_dict(orient="records")
    rows = [
        render(work_rows[w], rand[k], p)
        for k, (w, p) in enumerate(zip(source, perturb, strict=True))
    ]
    records = pd.DataFrame(rows)
    records.insert(0, "ID", [f"id_{k + 1:07d}" for k in range(len(records))])
    groups = pd.Series(records["ID"].to_numpy()).groupby(source).agg(list)
    merged = [";".join(g) for g in groups if len(g) > 1]
    return records, merged


# --- labelled hard cases, one per pattern (records.csv columns) ---------------------------


def _names(authors: str) -> list[tuple[str, list[str]]] | None:
    """(family, given names) of "Family, Given; ..." authors; None if not in that form."""
    out = []
    for name in re.split(r"\s*;\s*|\s+and\s+", authors.strip()):
        family, sep, given = name.partition(",")
        if not sep or len(family.strip()) < 2 or not given.strip():
            return None
        out.append((family.strip(), re.findall(r"[A-Za-z]\w*", given)))
    return out or None


def _with_authors(record: dict, render_name: Callable, sep: str = "; ") -> dict | None:
    names = _names(record["authors"])
    # A personal name has one to three given names; a longer one is a body written without a
    # comma ("Changing Lives Service Development Group"), which no database re-spells so.
    if not names or any(not given or len(given) > 3 for _, given in names):
        return None
    return {**record, "authors": sep.join(render_name(f, g) for f, g in names)}


def _initials(given: list[str], dots: bool = True) -> str:
    return " ".join(g[0].upper() + "." for g in given) if dots else "".join(g[0] for g in given)


def _pair(a: dict | None, b: dict | None) -> tuple[dict, dict, bool] | None:
    """A pair labelled "one work", if both records could be made."""
    return (a, b, True) if a and b else None


def _no_citation(record: dict | None) -> dict | None:
    """The record without DOI, volume, issue and pages: title, authors and year must carry
    the match (so a record without a year does not apply)."""
    if record is None or not record["year"]:
        return None
    return {**record, "doi": "", "volume": "", "issue": "", "pages": ""}


def run_together_authors(record: dict) -> tuple[dict, dict, bool] | None:
    """ "Akita K.Isoda K.Isobe S.": a list exported without separators."""
    b = _with_authors(record, lambda f, g: f"{f} {_initials(g).replace(' ', '')}", sep="")
    return _pair(_no_citation(record), _no_citation(b))


def comma_separated_authors(record: dict) -> tuple[dict, dict, bool] | None:
    """ "Akita K, Isoda K, Isobe S": PubMed's list, commas between names."""
    b = _with_authors(record, lambda f, g: f"{f} {_initials(g, dots=False).upper()}", sep=", ")
    return _pair(_no_citation(record), _no_citation(b))


def initials_vs_given_names(record: dict) -> tuple[dict, dict, bool] | None:
    """ "Chan, Dick Y. W." against "Chan, D. Y. W."."""
    b = _with_authors(record, lambda f, g: f"{f}, {_initials(g)}")
    return _pair(_no_citation(record), _no_citation(b))


def name_particles(record: dict) -> tuple[dict, dict, bool] | None:
    """ "van Kessel, M." against "Kessel, M. E.": a particle kept by one database only."""
    a = _with_authors(record, lambda f, g: f"van {f}, {g[0][0]}.")
    b = _with_authors(record, lambda f, g: f"{f}, {g[0][0]}. E.")
    return _pair(_no_citation(a), _no_citation(b))


GARBLED_VOLUMES = [("1)", "61"), ("(Jul)", "61"), ("61", "Suppl. 1"), ("", "vol")]


def garbled_volume(record: dict) -> tuple[dict, dict, bool] | None:
    """A volume that is not a number ("1)", "(Jul)"): unknown, so it does not veto the match
    of records with the same title, authors and pages."""
    if not (record["authors"] and _PAGE_RANGE.match(record["pages"])):
        return None
    k = sum(map(ord, record["title"])) % len(GARBLED_VOLUMES)
    a, b = GARBLED_VOLUMES[k]
    return {**record, "volume": a}, {**record, "volume": b}, True


def garbled_volume_is_no_evidence(record: dict) -> tuple[dict, dict, bool] | None:
    """Same title, other authors, both volumes unreadable ("Suppl. 1"): not one work."""
    b = _with_authors(record, lambda f, g: f"{f[::-1].capitalize()}, {g[0][0]}.")
    if not b or not record["pages"]:
        return None
    a = {**record, "volume": "Suppl. 1", "doi": "", "journal": ""}
    return a, {**b, "volume": "Suppl. 1", "doi": "", "journal": ""}, False


# A printed page range (an e-locator or a range from page 1 tells nothing; see normalise).
_PAGE_RANGE = re.compile(r"^\s*(?:[2-9]|[1-9]\d+)\s*[-\u2013]\s*\d+\s*$")


def supplement_issue(record: dict) -> tuple[dict, dict, bool] | None:
    """ "SUPPL. 1" in the issue against the plain issue, a year apart (online first)."""
    if not (record["volume"] and _PAGE_RANGE.match(record["pages"]) and record["year"].isdigit()):
        return None
    a = {**record, "issue": "SUPPL. 1", "doi": ""}
    b = {**record, "year": str(int(record["year"]) + 1), "doi": ""}
    return a, b, True


_KIND_WORDS = re.compile(r"\b(respon\w*|repl\w*|comment\w*|errat\w*|correct\w*)", re.I)


def dropped_subtitle(record: dict) -> tuple[dict, dict, bool] | None:
    """One database drops the subtitle; journal, volume, issue and pages agree."""
    title = record["title"]
    if ":" not in title or not (
        record["volume"] and record["issue"] and _PAGE_RANGE.match(record["pages"])
    ):
        return None
    if _KIND_WORDS.search(title):  # "X: a response to Y" is a reply, not X itself
        return None
    head, subtitle = title.split(":", 1)
    if len(head.split()) < 3 or re.search(r"\d", subtitle):
        return None  # a number in the subtitle ("part 2", "2019") may name another work
    b = _with_authors(record, lambda f, g: f"{f}, {_initials(g)}") or record
    return {**record, "doi": ""}, {**b, "title": head, "doi": ""}, True


def thesis_and_abstract(record: dict) -> tuple[dict, dict, bool] | None:
    """A thesis and its Dissertation Abstracts International entry a year later."""
    names = _names(record["authors"])
    if not names or not record["year"].isdigit():
        return None
    family, given = names[0]
    author = f"{family}, {' '.join(given)}"
    thesis = {**record, "type": "THES", "authors": author, "journal": "", "volume": "",
              "issue": "", "pages": "", "doi": ""}  # fmt: skip
    abstract = {**thesis, "type": "JOUR", "year": str(int(record["year"]) + 1),
                "journal": "Dissertation Abstracts International", "volume": "62",
                "issue": "3-A", "pages": "1187",
                "authors": f"{family}, {_initials(given)}"}  # fmt: skip
    return thesis, abstract, True


RECURRING_TITLES = ["Editor's Comments", "Remarks from the Editor", "Editorial", "Erratum",
                    "Introduction", "Preface", "Book review", "Reply"]  # fmt: skip


def recurring_title_editorials(record: dict) -> tuple[dict, dict, bool] | None:
    """Two issues' editorials: same title, editor, journal, volume and year; no issue, pages
    or DOI. Different items: never merged automatically."""
    title = RECURRING_TITLES[sum(map(ord, record["title"])) % len(RECURRING_TITLES)]
    a = {**record, "title": title, "doi": "", "issue": "", "pages": ""}
    return a, {**a}, False


def recurring_title_same_issue_and_pages(record: dict) -> tuple[dict, dict, bool] | None:
    """A recurring title with the same issue and pages is one item (two exports of it)."""
    if not (record["volume"] and record["issue"] and _PAGE_RANGE.match(record["pages"])):
        return None
    a = {**record, "title": "Editor's Comments", "doi": ""}
    return a, {**a, "title": "EDITOR'S COMMENTS."}, True


HARD_CASES: dict[str, Callable[[dict], tuple[dict, dict, bool] | None]] = {
    f.__name__: f
    for f in (
        run_together_authors, comma_separated_authors, initials_vs_given_names, name_particles,
        garbled_volume, garbled_volume_is_no_evidence, supplement_issue, dropped_subtitle,
        thesis_and_abstract, recurring_title_editorials, recurring_title_same_issue_and_pages,
    )
}  # fmt: skip


def degenerate(n: int, kind: str, seed: int) -> tuple[pd.DataFrame, list[str]]:
    """Worst cases for blocking and clustering (see the module docstring)."""
    rng = np.random.default_rng(seed)
    record = {"title": "Personal budgets and inequality in adult social care",
              "year": "2019", "author": "Carey, Gemma and Malbon, Eleanor", "pages": "123-129",
              "volume": "27", "number": "4", "ENTRYTYPE": "article", "doi": "",
              "journal": "Health and Social Care in the Community"}  # fmt: skip
    records = pd.DataFrame([record] * n)
    records.insert(0, "ID", [f"id_{k + 1:07d}" for k in range(n)])
    if kind == "identical":
        return records, [";".join(records["ID"])]
    surnames = [w.capitalize() for w in words(rng, 20_000, 1, 3)]
    journal_words = [w.capitalize() for w in words(rng, 2_000, 2, 4)]
    n_auth = rng.integers(1, 4, size=n)
    fam = rng.integers(0, len(surnames), size=(n, 3))
    given = rng.integers(0, 26, size=(n, 3))
    records["author"] = [
        " and ".join(f"{surnames[fam[k, i]]}, {chr(65 + given[k, i])}." for i in range(m))
        for k, m in enumerate(n_auth)
    ]
    records["journal"] = ["Journal of " + journal_words[j] for j in rng.integers(0, 2000, size=n)]
    records[["volume", "number", "pages"]] = ""
    return records, []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--degenerate", choices=["identical", "one-title"])
    args = parser.parse_args()
    if args.degenerate:
        records, merged = degenerate(args.n, args.degenerate, args.seed)
    else:
        records, merged = generate(args.n, args.seed)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    records.to_csv(args.out_dir / "records_pre_merged.csv", index=False)
    pd.DataFrame({"merged_ids": merged}).to_csv(args.out_dir / "merged_record_ids.csv", index=False)


if __name__ == "__main__":
    main()
