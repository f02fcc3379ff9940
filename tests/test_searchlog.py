"""The search log loader: every field checked, errors name the entry's line."""

from __future__ import annotations

import pytest

from reviewflow.errors import ReviewflowError
from reviewflow.searchlog import load_search_log, search_log_frame

GOOD = """\
searches:
  - id: scopus
    source: Scopus
    kind: database
    method: null
    interface: Elsevier Scopus web
    date: 2019-02-14
    query: |
      TITLE-ABS-KEY(personalisation)
    file: exports/scopus.ris
    format: null
    hits: 2
    hits_note: null
  - id: hand_search
    source: Reference lists
    kind: other
    method: citation searching
    date: 2019-03-01
    file: exports/refs.md
    format: reference_list
    hits: 3
"""


def _write(tmp_path, text):
    p = tmp_path / "searches.yaml"
    p.write_text(text)
    return p


def test_loads_all_fields(tmp_path):
    a, b = load_search_log(_write(tmp_path, GOOD))
    assert (a.id, a.source, a.kind, a.date, a.hits, a.line) == (
        "scopus", "Scopus", "database", "2019-02-14", 2, 2)  # fmt: skip
    assert a.query == "TITLE-ABS-KEY(personalisation)\n" and a.format is None
    assert a.path(tmp_path) == tmp_path / "exports" / "scopus.ris"
    assert (b.method, b.format, b.query, b.hits_note, b.line) == (
        "citation searching", "reference_list", None, None, 14)  # fmt: skip
    df = search_log_frame([a, b])
    assert list(df["id"]) == ["scopus", "hand_search"] and df.loc[1, "hits"] == 3


@pytest.mark.parametrize(
    ("old", "new", "line", "expected"),
    [
        ("file: exports/scopus.ris", "file: ../secret.ris", 2, "stays inside it"),
        ("file: exports/scopus.ris", "file: /etc/passwd", 2, "stays inside it"),
        ("hits: 2", "hits: many", 2, "`hits` must be a whole number"),
        ("hits: 2", "hits: -1", 2, "`hits` must be a whole number"),
        ("kind: database", "kind: library", 2, "`kind` must be one of"),
        ("date: 2019-02-14", "date: 14/02/2019", 2, "`date` must be a date"),
        ("id: scopus", "id: Scopus DB", 2, "`id` must match"),
        ("id: hand_search", "id: scopus", 14, "duplicate id 'scopus' (first on line 2)"),
        ("format: null", "format: marc", 2, "`format` must be one of"),
        ("hits_note: null", "hit_note: x", 2, "unknown field(s) ['hit_note']"),
        ("    source: Scopus\n", "", 2, "`source` is required"),
        ("    query: |\n      TITLE-ABS-KEY(personalisation)\n", "", 2, "`query` is required"),
    ],
)
def test_bad_entries(tmp_path, old, new, line, expected):
    path = _write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ReviewflowError) as exc:
        load_search_log(path)
    assert expected in exc.value.message and exc.value.line == line
    assert exc.value.path == str(path)


def test_not_a_search_log(tmp_path):
    with pytest.raises(ReviewflowError, match="top-level `searches:`"):
        load_search_log(_write(tmp_path, "- just a list\n"))
    with pytest.raises(ReviewflowError, match="invalid YAML"):
        load_search_log(_write(tmp_path, "searches: [\n"))
