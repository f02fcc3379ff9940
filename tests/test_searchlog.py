"""The search log loader: every field checked, errors name the entry's line."""

from __future__ import annotations

import os

import pytest

from reviewflow.errors import ReviewflowError
from reviewflow.searchlog import export_files, load_search_log, resolve_files, search_log_frame

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
    assert a.file == ("exports/scopus.ris",)
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
        # Wrong types are errors, not guessed back into text (issue 13, broken case 6).
        ("file: exports/scopus.ris", "file: 2019", 2, "`file` must be text"),
        ("file: exports/scopus.ris", "file: [exports/a.ris, 7]", 2, "`file` must be text"),
        ("file: exports/scopus.ris", "file: []", 2, "`file` is required"),
        ("hits: 2", 'hits: "2"', 2, "`hits` must be a whole number"),
        ("hits: 2", "hits: 2.0", 2, "`hits` must be a whole number"),
        ("source: Scopus", "source: 1999", 2, "`source` must be text"),
        ("id: scopus", "id: 12", 2, "`id` must be text"),
        (
            "    hits: 2\n",
            "    hits: 2\n    hits: 3\n",
            13,
            "duplicate key 'hits' (first on line 12)",
        ),
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


def test_second_searches_key_is_an_error_not_a_silent_drop(tmp_path):
    """A second top-level `searches:` used to replace the first list without a word."""
    late = "  - {id: late, source: X, kind: other, date: 2019-03-01, file: x.md, hits: 1}\n"
    path = _write(tmp_path, GOOD + "searches:\n" + late)
    with pytest.raises(ReviewflowError) as exc:
        load_search_log(path)
    assert "duplicate key 'searches' (first on line 1)" in exc.value.message
    assert exc.value.line == GOOD.count("\n") + 1 and exc.value.path == str(path)


def test_bad_encoding_names_the_line(tmp_path):
    path = tmp_path / "searches.yaml"
    path.write_bytes(GOOD.replace("Elsevier", "Els\xe9vier").encode("latin-1"))
    with pytest.raises(ReviewflowError) as exc:
        load_search_log(path)
    assert "not UTF-8" in exc.value.message and exc.value.line == 6


MULTI = """\
searches:
  - id: wos
    source: Web of Science Core Collection
    kind: database
    date: 2019-02-14
    query: TS=(personalisation)
    file: {file}
    hits: 4
  - id: other
    source: Reference lists
    kind: other
    date: 2019-03-01
    file: {other}
    hits: 1
"""


def _multi(tmp_path, file, other="refs.md", names=("wos.txt", "wos(2).txt", "wos(10).txt")):
    (tmp_path / "exports").mkdir(exist_ok=True)
    for name in [*names, "refs.md", ".wos(0).txt"]:
        (tmp_path / "exports" / name).write_text("x")
    return _write(tmp_path, MULTI.format(file=file, other=f"exports/{other}"))


@pytest.mark.parametrize(
    "file",
    [
        '"exports/*.txt"',
        "[exports/wos.txt, exports/wos(2).txt, exports/wos(10).txt]",
        '[exports/wos.txt, "exports/wos([2]).txt", exports/wos(10).txt]',
    ],
)
def test_a_search_may_name_several_files(tmp_path, file):
    """A list or a glob; globs in natural order (2 before 10), hidden files skipped."""
    path = _multi(tmp_path, file)
    searches = load_search_log(path)
    resolved = resolve_files(searches, tmp_path, path)
    names = [p.name for p in resolved["wos"]]
    assert names == ["wos.txt", "wos(2).txt", "wos(10).txt"]
    assert len(searches) == 2  # one source, however many files
    assert export_files(path) == sorted(str(tmp_path / "exports" / n) for n in [*names, "refs.md"])


@pytest.mark.parametrize(
    ("file", "other", "expected"),
    [
        ('"exports/scopus*.ris"', "refs.md", "matches no file"),
        ("exports/missing.txt", "refs.md", "'exports/missing.txt' not found"),
        ('"exports/wos*"', "wos(2).txt", "also read by search 'wos' (line 2)"),
        ('[exports/wos.txt, "exports/wos*.txt"]', "refs.md", "also read by search 'wos'"),
        ("exports", "refs.md", "not a regular file"),
    ],
)
def test_file_resolution_errors_name_the_entry(tmp_path, file, other, expected):
    path = _multi(tmp_path, file, other)
    with pytest.raises(ReviewflowError) as exc:
        export_files(path)
    assert expected in exc.value.message and exc.value.path == str(path)
    assert exc.value.line in (2, 9)


def test_a_fifo_is_refused_not_read(tmp_path):
    """Reading a FIFO (or /dev/zero through a link) would hang the import."""
    path = _multi(tmp_path, "exports/wos.txt", other="pipe")
    os.mkfifo(tmp_path / "exports" / "pipe")
    with pytest.raises(ReviewflowError, match="'exports/pipe' is not a regular file"):
        export_files(path)
