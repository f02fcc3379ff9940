"""Provenance classes of raw inputs, the generated disclosure and the check on the paper."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURE_REVIEW, REPO

from reviewflow import disclosure
from reviewflow.disclosure import CONSTRUCTED, REAL, RECONSTRUCTED
from reviewflow.errors import ReviewflowError


def lay_out(root: Path, classes: str, names=("searches.yaml", "exports/a.ris")) -> Path:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("searches:\n  - date: 2019-02-11\n")
    (root / disclosure.FILE_NAME).write_text(classes)
    return root


CLASSES = """exempt: [provenance_classes.yaml]
files:
  - pattern: exports/*
    class: {exports}
    what: the bibliographic records
  - pattern: searches.yaml
    fields:
      - field: date
        class: {searches}
        what: search dates
      - field: "*"
        class: real export
        what: the search log
"""


def test_flagship_classes_are_honest():
    """The flagship's records are reconstructed; its process data were constructed."""
    classes = disclosure.read_classes(REPO / "data" / "raw")
    by = dict(
        zip(zip(classes["file"], classes["field"], strict=True), classes["class"], strict=True)
    )
    assert by[("searches.yaml", "date")] == CONSTRUCTED
    assert by[("searches.yaml", "hits")] == CONSTRUCTED
    assert by[("screening/full_text.csv", "")] == CONSTRUCTED
    assert by[("exports/scopus.ris", "")] == RECONSTRUCTED
    manifest = (REPO / "data" / "raw" / "MANIFEST.sha256").read_text().split("\n")
    listed = {line.split("  ", 1)[1] for line in manifest if line}
    exempt = {"README.md", "MANIFEST.sha256", disclosure.FILE_NAME}
    assert set(classes["file"]) == listed - exempt
    text = disclosure.disclosure(classes)
    assert text.startswith("Search dates, hit counts, ")
    assert "screening decisions" in text
    assert disclosure.CONSTRUCTED_PHRASE in text and disclosure.AGREEMENT_CAVEAT in text


def test_fixture_review_has_classes():
    classes = disclosure.read_classes(FIXTURE_REVIEW / "data" / "raw")
    assert set(classes["class"]) == {CONSTRUCTED}


def test_unknown_class_names_file_and_line(tmp_path):
    root = lay_out(tmp_path, CLASSES.format(exports="made up", searches=CONSTRUCTED))
    with pytest.raises(ReviewflowError, match="unknown provenance class 'made up'") as exc:
        disclosure.read_classes(root)
    assert exc.value.path.endswith(disclosure.FILE_NAME) and exc.value.line == 3


def test_field_class_error_points_at_the_field(tmp_path):
    root = lay_out(tmp_path, CLASSES.format(exports=REAL, searches="guessed"))
    with pytest.raises(ReviewflowError, match="'guessed' for searches.yaml") as exc:
        disclosure.read_classes(root)
    assert exc.value.line == 8


def test_every_raw_file_must_be_covered(tmp_path):
    classes = CLASSES.format(exports=REAL, searches=REAL)
    root = lay_out(tmp_path, classes, names=("searches.yaml", "exports/a.ris", "screening/x.csv"))
    with pytest.raises(ReviewflowError, match="raw file screening/x.csv has no provenance class"):
        disclosure.read_classes(root)


def test_a_file_in_two_patterns_or_a_stale_pattern_stops(tmp_path):
    twice = CLASSES.format(exports=REAL, searches=REAL) + (
        "  - pattern: exports/a.*\n    class: real export\n    what: x\n"
    )
    with pytest.raises(ReviewflowError, match=r"exports/a.ris matches more than one .*lines 3, 14"):
        disclosure.read_classes(lay_out(tmp_path / "a", twice))
    with pytest.raises(ReviewflowError, match="pattern 'exports/\\*' matches no raw file") as exc:
        disclosure.read_classes(
            lay_out(tmp_path / "b", CLASSES.format(exports=REAL, searches=REAL), ["searches.yaml"])
        )
    assert exc.value.line == 3


def test_missing_classes_file(tmp_path):
    (tmp_path / "searches.yaml").write_text("x\n")
    with pytest.raises(ReviewflowError, match="every raw input needs a provenance class"):
        disclosure.read_classes(tmp_path)


def test_disclosure_follows_the_classes(tmp_path):
    real = disclosure.read_classes(
        lay_out(tmp_path / "r", CLASSES.format(exports=REAL, searches=REAL))
    )
    assert disclosure.disclosure(real) == ""
    disclosure.check_disclosed("", real)  # nothing constructed: nothing to say

    mixed = disclosure.read_classes(
        lay_out(tmp_path / "m", CLASSES.format(exports=RECONSTRUCTED, searches=CONSTRUCTED))
    )
    assert disclosure.disclosure(mixed) == (
        "Search dates were constructed to reproduce the published review. "
        "The bibliographic records were reconstructed from public metadata."
    )  # no screening decisions constructed: no agreement caveat


def test_brief_disclosure_names_the_first_inputs_and_counts_the_rest(tmp_path):
    few = disclosure.read_classes(
        lay_out(tmp_path / "f", CLASSES.format(exports=RECONSTRUCTED, searches=CONSTRUCTED))
    )
    assert disclosure.disclosure_brief(few) == "Search dates were written to match the publication."
    assert disclosure.disclosure_brief(few, named=0).startswith("One input, among them")
    real = disclosure.read_classes(
        lay_out(tmp_path / "r", CLASSES.format(exports=REAL, searches=REAL))
    )
    assert disclosure.disclosure_brief(real) == ""


def test_check_disclosed_reads_pdf_like_text():
    classes = disclosure.read_classes(REPO / "data" / "raw")
    sentence = disclosure.disclosure(classes)
    # a PDF's text: lines broken anywhere, a word hyphenated across a line, a zero-width space
    words = sentence.replace("constructed", "con-\nstructed", 1).split(" ")
    pdf = "Methods\n" + "\n".join(" ".join(words[i : i + 7]) for i in range(0, len(words), 7))
    disclosure.check_disclosed(pdf.replace("hit counts", "hit\u200b counts"), classes)
    with pytest.raises(ReviewflowError, match="does not disclose its constructed inputs"):
        disclosure.check_disclosed("The searches ran from 11 February to 20 March 2019.", classes)
    with pytest.raises(ReviewflowError, match="lacks “hit counts”"):
        disclosure.check_disclosed(pdf.replace("hit counts", "numbers"), classes)


def test_a_field_the_file_lacks_stops(tmp_path):
    root = lay_out(
        tmp_path, CLASSES.format(exports=REAL, searches=CONSTRUCTED).replace("date", "dte")
    )
    (root / "searches.yaml").write_text("searches:\n  - id: a\n    date: 2019-02-11\n")
    with pytest.raises(ReviewflowError, match="searches.yaml has no field 'dte'") as exc:
        disclosure.read_classes(root)
    assert exc.value.line == 8
    (root / "searches.yaml").write_text("searches:\n  - id: a\n    dte: 2019-02-11\n")
    assert "dte" in set(disclosure.read_classes(root)["field"])


def test_fields_need_a_class_for_the_rest(tmp_path):
    classes = CLASSES.format(exports=REAL, searches=CONSTRUCTED)
    rest = '      - field: "*"\n        class: real export\n        what: the search log\n'
    root = lay_out(tmp_path, classes.replace(rest, ""))
    with pytest.raises(ReviewflowError, match='add a field "\\*" for the fields not listed') as exc:
        disclosure.read_classes(root)
    assert exc.value.line == 6  # the entry's `pattern` line
