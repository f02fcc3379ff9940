"""Issues 10 and 13: reference-manager columns arrive, no column or byte vanishes silently,
and damaged input of every kind ends in a ReviewflowError naming the file and line."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from reviewflow.errors import ReviewflowError
from reviewflow.readers import read_export

DATA = Path(__file__).parent / "data" / "readers"
DOI = "10.1186/s12939-019-1075-2"
CAREY = "Carey, Gemma; Crammond, Brad; Malbon, Eleanor"


# --- reference-manager exports -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "authors", "unmapped"),
    [
        ("zotero.csv", CAREY, ["Key", "Date Added", "Journal Abbreviation", "Extra", "Notes"]),
        ("mendeley.csv", "Carey, G.; Crammond, B.; Malbon, E.", ["Notes", "Date added"]),
        ("endnote_tab.txt", CAREY, ["Short Title", "Notes", "Database Provider"]),
    ],
)
def test_reference_manager_columns_are_mapped(name, authors, unmapped):
    """Zotero's "Abstract Note" once lost all 1,128 abstracts of a review without a word."""
    res = read_export(DATA / name)
    a, b = res.records
    assert a["title"].startswith("Personalisation schemes in social care and inequality")
    assert a["abstract"] and "widen inequalities" in a["abstract"]
    assert (a["authors"], a["year"], a["doi"]) == (authors, "2019", DOI)
    assert a["journal"] == "International Journal for Equity in Health"
    assert (a["volume"], a["issue"], a["pages"], a["type"]) == ("18", "1", "170", "article")
    assert a["keywords"].startswith("inequality; personal budgets")
    assert (b["type"], b["pages"], b["year"]) == ("chapter", "59-76", "2013")
    assert b["abstract"] and b["authors"].startswith("Spicker, P")
    # Every non-empty column we do not map is named once, in header order.
    (warning,) = [w for w in res.warnings if "not mapped" in w]
    listed = warning.split(": ", 1)[1].split(", ")
    assert set(unmapped) <= set(listed) and listed == sorted(listed, key=_header(name).index)
    assert not {"Title", "Abstract Note", "Abstract", "Author", "Authors", "DOI"} & set(listed)


def _header(name: str) -> list[str]:
    text = (DATA / name).read_text("utf-8")
    return next(csv.reader(io.StringIO(text), delimiter="\t" if "\t" in text else ","))


def test_unmapped_column_is_logged_and_kept_in_original(tmp_path, caplog):
    f = tmp_path / "x.csv"
    f.write_text('Title,Authors,Year,Reviewer Comment,Empty\nA title,"Smith, J",2020,keep me,\n')
    with caplog.at_level(logging.WARNING):
        (rec,) = read_export(f).records
    assert "Reviewer Comment" in caplog.text and "x.csv" in caplog.text
    assert "Empty" not in caplog.text  # nothing in it, nothing lost
    assert json.loads(rec["original"])["Reviewer Comment"] == "keep me"


REQUIRED = {
    # canonical field: how to tell the file has a value for it (lower-case column name test)
    "title": lambda c: c in ("title", "ti", "item title", "document title", "article title"),
    "abstract": lambda c: c in ("abstract", "ab", "abstract note"),
    "authors": lambda c: c in ("authors", "author", "au", "af"),
    "year": lambda c: c in ("year", "py", "publication year"),
    "doi": lambda c: c in ("doi", "di", "do", "item doi"),
}


def _shared_tables() -> list[str]:
    manifest = Path(__file__).resolve().parents[2] / "shared" / "exports" / "MANIFEST.csv"
    if not manifest.exists():
        return []
    with open(manifest, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    layouts = ("CSV", "TSV", "XLSX", "WoS tab-delimited")
    return [r["file"] for r in rows if r["format"] in layouts]


@pytest.mark.shared
@pytest.mark.parametrize("name", _shared_tables())
def test_every_shared_table_layout_delivers_its_fields(shared_dir, name):
    """Every CSV/TSV/XLSX layout in ../shared/exports: where a record has a title, abstract,
    author, year or DOI column with a value, the canonical field is filled."""
    res = read_export(shared_dir / "exports" / name)
    checked = set()
    for rec in res.records:
        original = json.loads(rec["original"])
        for field, is_source in REQUIRED.items():
            has = [v for c, v in original.items() if is_source(c.lower()) and str(v).strip()]
            if has and (field != "doi" or any("10." in str(v) for v in has)):
                assert rec[field], (name, rec["position"], field, has)
                checked.add(field)
    assert {"title", "authors"} <= checked, (name, checked)


# --- damaged input: named errors, never a traceback --------------------------------------


def _error(tmp_path, data: bytes, name: str) -> ReviewflowError:
    f = tmp_path / name
    f.write_bytes(data)
    with pytest.raises(ReviewflowError) as exc:
        read_export(f)
    assert exc.value.path == str(f)
    return exc.value


def test_wos_tag_repeated_oddly_is_a_named_error(tmp_path):
    """Issue 13 broken case 8: `PT-J` gave AttributeError 'list' has no attribute 'strip'."""
    text = (
        "FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nPT-J\nAU Haddad, L\n"
        "TI Personal budgets and older people\nPY 2015\nER\nEF\n"
    )
    err = _error(tmp_path, text.encode(), "savedrecs.txt")
    assert err.line == 4 and "'PT-J'" in err.message and "two-letter tag" in err.message


@pytest.mark.parametrize(
    ("entry", "line", "expected"),
    [
        # The title swallows author and year (imported with exit 0 before).
        (
            "@article{k1, title={Budgets {for all}, author={Haddad, L}, year={2015}}}\n",
            1,
            "value of `title` runs on into another field",
        ),
        # An extra '}' closes the entry early: author and year were silently dropped.
        (
            "@article{k0, title={Fine}, year={2014}}\n\n"
            "@article{k1, title={Budgets}}, author={Haddad, L}, year={2015}}\n",
            3,
            "fields outside any entry",
        ),
        (
            "@article{k1,\n  title = {Budgets {for all},\n  author = {Haddad, L},\n"
            "  year = {2015}}}\n",
            2,
            "value of `title` runs on",
        ),
    ],
)
def test_bibtex_unbalanced_braces_are_refused(tmp_path, entry, line, expected):
    err = _error(tmp_path, entry.encode(), "x.bib")
    assert err.line == line and expected in err.message


def _xlsx(tmp_path) -> bytes:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.active.append(["Title", "Authors", "Year"])
    wb.active.append(["Budgets", "Smith, J", "2020"])
    wb.save(tmp_path / "good.xlsx")
    return (tmp_path / "good.xlsx").read_bytes()


def _rezip(data: bytes, member: str, edit) -> bytes:
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            dst.writestr(info, edit(body) if info.filename == member else body)
    return out.getvalue()


@pytest.mark.parametrize(
    "edit",
    [
        lambda b: b[: len(b) // 2],  # the sheet cut short
        lambda b: b.replace(b"<sheetData>", b"<!DOCTYPE x><sheetData>"),
        lambda b: b"<worksheet",
    ],
    ids=["cut", "doctype", "garbage"],
)
def test_damaged_xlsx_sheet_is_a_named_error(tmp_path, edit):
    """Issue 13 broken case 7: a ParseError traceback while the rows were read."""
    data = _rezip(_xlsx(tmp_path), "xl/worksheets/sheet1.xml", edit)
    err = _error(tmp_path, data, "x.xlsx")
    assert "not a readable XLSX workbook" in err.message


# --- control characters and big fields ---------------------------------------------------


def test_nul_after_the_first_8kb_is_stripped_with_one_warning(tmp_path, caplog):
    """A late NUL reached records.csv, included.bib and the HTML; an early one is binary."""
    filler = "".join(f"TY  - JOUR\nTI  - Filler {i}\nER  - \n\n" for i in range(400))
    assert len(filler) > 8192
    text = filler + "TY  - JOUR\nTI  - Per\x00sonal\x1b[31m budgets\x0bnow\nER  - \n"
    f = tmp_path / "x.ris"
    f.write_text(text)
    with caplog.at_level(logging.WARNING):
        res = read_export(f)
    last = res.records[-1]
    assert last["title"] == "Personal[31m budgets now" and "\x00" not in last["original"]
    (warning,) = [w for w in res.warnings if "control character" in w]
    assert "U+0000 on line 1602" in warning and "3 control" in warning
    assert "x.ris" in caplog.text
    # An early NUL is still a binary file, refused.
    assert "binary file" in _error(tmp_path, b"TY  - JOUR\x00\x00\n", "y.ris").message


def test_control_characters_in_xlsx_cells_are_stripped(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.active.append(["Title", "Authors", "Year"])
    wb.active.append(["Budgets", "Smith, J", "2020"])
    wb.active.append(["Care\x7f plans", "Doe, A", "2021"])
    wb.save(tmp_path / "x.xlsx")
    res = read_export(tmp_path / "x.xlsx")
    assert res.records[1]["title"] == "Care plans"
    assert any("U+007F on row 3" in w for w in res.warnings)


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_a_200_kb_field_is_read_whole(tmp_path, fmt):
    """Issue 13 broken case 4: `field larger than field limit (131072)`."""
    sep = "," if fmt == "csv" else "\t"
    note = "n" * 200_000
    f = tmp_path / f"x.{fmt}"
    f.write_text(f"Title{sep}Abstract{sep}Notes\nBudgets{sep}{note}{sep}{note}\n")
    (rec,) = read_export(f).records
    assert rec["abstract"] == note and json.loads(rec["original"])["Notes"] == note


def test_csv_field_limit_is_raised_once_for_every_stage():
    """Screening crashed on a 200 KB abstract: `field larger than field limit (131072)`.
    A fresh interpreter, because the limit is process-wide: importing files.py raises it."""
    code = (
        "import csv, io, reviewflow.files\n"
        "rows = list(csv.reader(io.StringIO('id,note\\n1,' + 'n' * 200_000 + '\\n')))\n"
        "assert len(rows[1][1]) == 200_000\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_a_fifo_given_to_a_reader_is_refused(tmp_path):
    os.mkfifo(tmp_path / "x.ris")
    with pytest.raises(ReviewflowError, match="not a regular file"):
        read_export(tmp_path / "x.ris")
