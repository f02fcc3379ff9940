"""The language layer: plurals, numbers in words, serial-comma lists, dates, articles."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reviewflow import prose
from reviewflow.errors import ReviewflowError

NOUNS = ["study", "report", "database", "analysis", "person", "record", "source"]
# "N of the N", "0 of", "(s)": the constructions issue 15 found in generated text.
BAD = re.compile(r"\((?:s|es)\)|\b0 of\b|\bzero of\b|\b(\w+) of the \1\b")


@pytest.mark.parametrize(
    ("n", "noun", "expected"),
    [
        (0, "study", "no studies"),
        (1, "study", "one study"),
        (6, "study", "six studies"),
        (9, "database", "nine databases"),
        (10, "study", "10 studies"),
        (1234, "record", "1,234 records"),
        (2, "analysis", "two analyses"),
        (3, "other source", "three other sources"),
    ],
)
def test_count(n, noun, expected):
    assert prose.count(n, noun) == expected


def test_count_in_tables_keeps_digits():
    assert prose.count(1, "study", words=False) == "1 study"
    assert prose.count(5, "study", words=False) == "5 studies"


@given(st.integers(0, 10_000), st.sampled_from(NOUNS))
def test_count_agrees_and_never_hedges(n, noun):
    text = prose.count(n, noun)
    assert "(s)" not in text
    assert text.endswith(" " + noun) == (n == 1)
    assert any(ch.isdigit() for ch in text) == (n >= 10)


@pytest.mark.parametrize(
    ("k", "n", "expected"),
    [
        (6, 6, "all six studies"),
        (0, 6, "none of the six studies"),
        (2, 6, "two of the six studies"),
        (2, 2, "both studies"),
        (1, 1, "the one study"),
        (0, 0, "no studies"),
        (12, 30, "12 of the 30 studies"),
    ],
)
def test_k_of_n(k, n, expected):
    assert prose.k_of_n(k, n, "study") == expected


@given(st.integers(0, 200).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_k_of_n_never_says_n_of_the_n_or_zero_of(kn):
    k, n = kn
    text = prose.k_of_n(k, n, "study")
    assert not BAD.search(text), text
    assert not re.search(r"\b(\d+) of the \1\b", text)


def test_k_of_n_rejects_impossible():
    with pytest.raises(ValueError, match="7 of 6"):
        prose.k_of_n(7, 6, "study")


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (["a"], "a"),
        (["a", "b"], "a and b"),
        (["a", "b", "c"], "a, b, and c"),
        # An item holding the conjunction or a comma: semicolons keep the items apart.
        (
            ["citation searching", "websites and organisations"],
            "citation searching; and websites and organisations",
        ),
        (["a", "b and c", "d"], "a; b and c; and d"),
        (["x, y", "z"], "x, y; and z"),
    ],
)
def test_join_serial_comma(items, expected):
    assert prose.join(items) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Citation searching", "citation searching"),
        ("Websites and organisations", "websites and organisations"),
        ("Google Scholar", "Google Scholar"),
        ("PubMed", "PubMed"),
        ("ClinicalTrials.gov", "ClinicalTrials.gov"),
        ("NHS Evidence", "NHS Evidence"),
    ],
)
def test_source_names_mid_sentence(name, expected):
    assert prose.in_sentence(name) == expected


@given(st.lists(st.from_regex(r"[a-z]{1,8}", fullmatch=True), min_size=3, max_size=8))
def test_join_lists_every_item_in_order_with_one_serial_comma(items):
    text = prose.join(items)
    assert text.count(", ") == len(items) - 1
    assert text.endswith(f", and {items[-1]}")
    assert text.replace(", and ", ", ").split(", ") == items


def test_join_items_with_commas_switch_to_semicolons():
    text = prose.join(["not social, disability or aged care", "no data", "a review"])
    assert text == "not social, disability or aged care; no data; and a review"


@given(st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)))
def test_date_round_trips(d):
    text = prose.date(d.isoformat())
    assert dt.datetime.strptime(text, "%d %B %Y").date() == d
    assert not text.startswith("0")


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2019-02-11", "2019-03-20", "11 February to 20 March 2019"),
        ("2019-02-11", "2019-02-20", "11 to 20 February 2019"),
        ("2019-02-11", "2019-02-11", "11 February 2019"),
        ("2018-12-11", "2019-01-20", "11 December 2018 to 20 January 2019"),
    ],
)
def test_date_range(start, end, expected):
    assert prose.date_range(start, end) == expected


def test_bad_dates_are_clear_errors():
    with pytest.raises(ReviewflowError, match="not an ISO date"):
        prose.date("11/02/2019")
    with pytest.raises(ReviewflowError, match="ends before it starts"):
        prose.date_range("2019-03-20", "2019-02-11")


def test_articles():
    assert prose.a("NDIS evaluation") == "an NDIS evaluation"
    assert prose.a("European study") == "a European study"
    assert prose.the("National Disability Insurance Scheme") == (
        "the National Disability Insurance Scheme"
    )
    assert prose.the("The Scottish Government") == "The Scottish Government"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("six of the nine studies were rated", "Six of the nine studies were rated"),
        ("12 studies were excluded", "Twelve studies were excluded"),
        ("  none of the six studies", "None of the six studies"),
    ],
)
def test_sentence(text, expected):
    assert prose.sentence(text) == expected


def test_verb_agreement():
    assert prose.verb("was", 1) == "was"
    assert prose.verb("was", 2) == "were"
    assert f"{prose.count(1, 'study')} {prose.verb('was', 1)}" == "one study was"


def test_repeated_phrases_found_across_sections_only():
    sections = {
        "Abstract": "None of the six included studies set out to measure inequality here.",
        "Results": "In short, none of the six included studies set out to measure inequality.",
        "Discussion": "In one section a phrase may come back: a b c d e f g h; a b c d e f g h.",
    }
    assert prose.repeated_phrases(sections) == [
        ("none of the six included studies set out to measure inequality", ["Abstract", "Results"])
    ]
    assert prose.repeated_phrases(sections, n=12) == []


@given(st.lists(st.from_regex(r"[a-z]{2,6}", fullmatch=True), min_size=8, max_size=30))
def test_any_run_said_in_two_sections_is_found(words):
    text = " ".join(words)
    found = prose.repeated_phrases({"A": f"x1 {text} y1", "B": f"x2 {text} y2"})
    assert any(text in phrase for phrase, where in found if where == ["A", "B"])
