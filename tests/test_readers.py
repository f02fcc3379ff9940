"""Readers on hand-made fixtures: one per format, and one per decoding/structure quirk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewflow.errors import ReviewflowError
from reviewflow.readers import FORMATS, read_export, read_file
from reviewflow.records import normalise_doi

DATA = Path(__file__).parent / "data" / "readers"
DOI = "10.1186/s12939-019-1075-2"


def test_ris_fields_dialect_and_unknown_tag():
    res = read_export(DATA / "basic.ris")
    assert res.format == "ris" and res.encoding == "UTF-8"
    a, b = res.records
    assert a["line"] == 5 and a["position"] == 1 and b["line"] == 25
    assert a["type"] == "article" and b["type"] == "chapter"
    assert a["title"] == "Personalisation schemes in social care and inequality: a review"
    assert a["authors"] == "Malbon, Eleanor; Carey, Gemma"
    assert (a["journal"], a["volume"], a["issue"], a["pages"]) == (
        "Journal of Social Policy", "48", "2", "101-120")  # fmt: skip
    assert a["doi"] == "10.1017/s0047279418000xyz"
    assert a["issn"] == "0047-2794" and a["keywords"] == "personalisation; inequality"
    assert json.loads(a["original"])["ZZ"] == "an unknown tag kept verbatim"
    assert b["authors"] == "Spicker, P." and b["year"] == "2013"
    assert b["journal"] == "Social Policy Handbook" and b["isbn"] == "978-1-4473-0000-1"
    # Preamble and numbering lines are reported, not silently dropped.
    assert any("between records" in w for w in res.warnings)


def test_medline():
    a, b = read_file(DATA / "basic.nbib")
    assert a["format"] == "medline" and (a["line"], b["line"]) == (1, 22)
    assert a["title"] == "Direct payments and equity in adult social care: a cohort study."
    assert a["authors"] == "O'Brien, Mary Anne; Ng, Kim"
    assert a["doi"] == "10.1111/hsc.12345" and a["year"] == "2018"
    assert a["journal"] == "Health & social care in the community"
    assert a["pages"] == "200-210" and a["issn"] == "0966-0410 (Print)"
    assert b["type"] == "article" and json.loads(b["original"])["PMID"] == "30000002"


def test_bibtex():
    a, b = read_file(DATA / "basic.bib")
    assert a["line"] == 2 and b["line"] == 14
    assert a["authors"] == "Carey, Gemma; Crammond, Brad; Malbon, Eleanor"
    assert a["pages"] == "170-181" and a["doi"] == DOI and a["year"] == "2019"
    assert a["keywords"] == "personalisation; inequality"
    assert b["type"] == "conference" and b["authors"] == "Müller, Jörg"
    assert b["title"] == "Care markets" and b["journal"] == "Proc. Social Policy Conf."
    assert json.loads(b["original"])["title"] == "{Care} markets"


def test_wos_plain_text():
    a, b = read_file(DATA / "basic_wos.txt")
    assert a["format"] == "wos" and (a["line"], b["line"]) == (3, 19)
    assert a["authors"] == "Carey, Gemma; Malbon, Eleanor"
    assert a["title"] == "Personalisation and inequality" and a["pages"] == "170-181"
    assert a["keywords"] == "personalisation; inequality" and a["doi"] == DOI
    assert b["type"] == "book"


def test_refer():
    a, b = read_file(DATA / "basic_refer.enw")
    assert a["format"] == "refer" and a["doi"] == DOI and a["journal"] == "Int J Equity Health"
    assert a["abstract"] == "An abstract that continues on a second line."
    assert b["type"] == "book" and b["authors"] == "Spicker, Paul" and b["line"] == 13


def test_scopus_csv_multiline_cell_keeps_line_numbers():
    a, b = read_file(DATA / "scopus.csv")
    assert a["format"] == "csv" and (a["line"], b["line"]) == (2, 4)
    assert a["authors"] == "Carey, G.; Malbon, E."
    assert a["title"] == "Personalisation schemes in social care, and inequality"
    assert a["abstract"] == "Line one line two" and a["pages"] == "170-181"
    assert b["type"] == "book" and b["journal"] == "Social Policy"


def test_wos_tab_delimited_cr_only_trailing_tab():
    a, b = read_file(DATA / "wos_tab.txt")
    assert a["format"] == "tsv" and a["title"] == 'Personalisation "schemes"'
    assert a["authors"] == "Carey, Gemma; Malbon, Eleanor" and a["doi"] == DOI
    assert b["line"] == 3 and b["doi"] == ""


def test_endnote_xml():
    a, b = read_file(DATA / "endnote.xml")
    assert a["format"] == "endnote_xml" and a["line"] == 3
    assert a["authors"] == "Carey, Gemma; Malbon, Eleanor" and a["doi"] == DOI
    assert a["journal"] == "Int J Equity Health" and a["keywords"] == "personalisation; inequality"
    assert json.loads(a["original"])["custom7"] == "kept"
    assert b["type"] == "book" and b["year"] == "2013"


def test_scholar_json():
    a, b = read_file(DATA / "scholar.json")
    assert a["authors"] == "Carey, G; Malbon, E" and a["doi"] == DOI
    assert a["volume"] == ""  # Publish or Perish writes 0 for unknown
    assert (a["line"], b["line"]) == (2, 4) and json.loads(b["original"])["cites"] == "9"


def test_reference_list():
    a, b = read_file(DATA / "references.md")
    assert a["format"] == "reference_list" and a["line"] == 3
    assert a["authors"] == "Carey, G; Crammond, B; Malbon, E"
    assert a["title"] == "Personalisation schemes in social care and inequality"
    assert (a["journal"], a["volume"], a["issue"], a["pages"]) == (
        "International Journal for Equity in Health", "18", "1", "170-181")  # fmt: skip
    assert b["year"] == "2013"


# --- decoding quirks, made from the RIS fixture --------------------------------------------
RIS = "TY  - JOUR\nAU  - Müller, Jörg\nTI  - Über Pflege\n  zweite Zeile\nPY  - 2019\nER  - \n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (RIS.encode("utf-8"), "UTF-8"),
        (b"\xef\xbb\xbf" + RIS.encode("utf-8"), "UTF-8 with BOM"),
        (RIS.replace("\n", "\r\n").encode("utf-8"), "UTF-8"),
        (RIS.replace("\n", "\r\r\n").encode("utf-8"), "UTF-8"),
        (RIS.replace("\n", "\r").encode("utf-8"), "UTF-8"),
        ("\ufeff".encode("utf-16-le").join([b"", RIS.encode("utf-16-le")]), "UTF-16 with BOM"),
        (RIS.encode("cp1252"), "Windows-1252"),
    ],
    ids=["utf8", "bom", "crlf", "crcrlf", "cr", "utf16", "latin1"],
)
def test_decoding_quirks(tmp_path, data, encoding, caplog):
    f = tmp_path / "x.ris"
    f.write_bytes(data)
    res = read_export(f)
    (rec,) = res.records
    assert res.encoding == encoding
    assert rec["authors"] == "Müller, Jörg" and rec["title"] == "Über Pflege zweite Zeile"
    assert rec["line"] == 1
    if encoding == "Windows-1252":
        assert "Windows-1252" in res.warnings[0] and "x.ris" in caplog.text


def test_er_prefix_in_value_is_not_end_tag(tmp_path):
    f = tmp_path / "x.ris"
    f.write_text("TY  - JOUR\nTI  - Title\nAB  - Start\nERIC database text\nER  - \n")
    (rec,) = read_file(f)
    assert rec["abstract"] == "Start ERIC database text"


# --- errors: file, line and what was expected ------------------------------------------------
def _error(tmp_path, content: bytes | str, name="x.ris", fmt=None) -> ReviewflowError:
    f = tmp_path / name
    f.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ReviewflowError) as exc:
        read_file(f, fmt)
    assert exc.value.path == str(f)
    return exc.value


def test_truncated_ris(tmp_path):
    e = _error(tmp_path, "TY  - JOUR\nTI  - ok\nER  - \n\nTY  - JOUR\nTI  - cut off her")
    assert e.line == 6 and "file ends inside the record starting on line 5" in e.message
    assert "'ER  - '" in e.message


def test_missing_er(tmp_path):
    e = _error(tmp_path, "TY  - JOUR\nTI  - one\n\nTY  - JOUR\nTI  - two\nER  - \n")
    assert e.line == 4 and "starting on line 1 was never closed" in e.message


def test_tag_outside_record(tmp_path):
    e = _error(tmp_path, "TY  - JOUR\nER  - \nAU  - Lost, Author\n")
    assert e.line == 3 and "outside any record" in e.message


def test_truncated_wos(tmp_path):
    e = _error(tmp_path, "FN Web of Science\nVR 1.0\nPT J\nTI x\n", name="x.txt")
    assert e.line == 4 and "expected 'ER'" in e.message


def test_bad_medline_line(tmp_path):
    e = _error(tmp_path, "PMID- 1\nTI  - x\nnot a field\n", name="x.nbib")
    assert e.line == 3 and "MEDLINE field" in e.message


def test_broken_bibtex(tmp_path):
    e = _error(tmp_path, "@article{a, title={ok}}\n\n@article{b, title={never closed\n", "x.bib")
    assert e.line == 3 and "BibTeX" in e.message


def test_ragged_csv(tmp_path):
    e = _error(tmp_path, "Title,Year\nA,2019\nB,2019,extra\n", name="x.csv")
    assert e.line == 3 and "expected 2 cells" in e.message


def test_invalid_json(tmp_path):
    e = _error(tmp_path, '[\n{"title": "a"},\n{"title": }\n]', name="x.json")
    assert e.line == 3 and "invalid JSON" in e.message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"  \n\r\n", "empty"),
        (b"\x00\x01\x02binary\x00", "binary"),
        (b"just some words\nnothing bibliographic\n", "cannot tell the export format"),
        (b"PK\x03\x04 not really a workbook", "XLSX"),
        (b"<xml><records></records></xml>", "EndNote XML"),
    ],
)
def test_unusable_files(tmp_path, content, expected):
    assert expected in _error(tmp_path, content, name="x.dat").message


def test_unknown_format_override(tmp_path):
    assert "unknown format" in _error(tmp_path, RIS, fmt="marc").message


def test_format_override_wins(tmp_path):
    f = tmp_path / "x.txt"
    f.write_text("Title,Year\nA,2019\n")
    assert read_export(f, "csv").records[0]["title"] == "A"


@pytest.mark.parametrize(
    ("raw", "doi"),
    [
        ("https://doi.org/10.1000/ABC.1", "10.1000/abc.1"),
        ("http://dx.doi.org/10.4236/ojf.2020.101008", "10.4236/ojf.2020.101008"),
        ("doi:10.1011/hea0004444.", "10.1011/hea0004444"),
        ("10.1002/jrsm.1411 [doi]", "10.1002/jrsm.1411"),
        ("https://x.org/?doi=10.1186%2fs13717-018-0129-5&a=1", "10.1186/s13717-018-0129-5&a=1"),
        ("S0140-6736 [pii]", ""),
        ("", ""),
    ],
)
def test_normalise_doi(raw, doi):
    assert normalise_doi(raw) == doi


def test_bibtex_unbalanced_braces_recovered_line_by_line(tmp_path):
    f = tmp_path / "x.bib"
    f.write_text(
        "@article{a,\nTitle = {First},\nYear = {2019},\n}\n\n"
        "@article{b,\nAuthor = {Tom Cruise},\nKeywords = {law, ad(90).build()}, junk},\n"
        "Title = {When sharing fixes prices.},\n}\n"
    )
    res = read_export(f)
    a, b = res.records
    assert a["title"] == "First" and b["line"] == 6
    assert b["title"] == "When sharing fixes prices." and b["authors"] == "Cruise, Tom"
    assert any("unbalanced braces" in w for w in res.warnings)


def test_xlsx_made_with_openpyxl(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Title", "Authors", "Year", "DOI", "type"])
    ws.append(["Care markets", "Smith A; Walter B", 2021, "10.1000/abc", "techreport"])
    ws.append([None, None, None, None, None])
    ws.append(["Second", "Lee C", 2020.0, None, None])
    wb.save(tmp_path / "x.xlsx")
    res = read_export(tmp_path / "x.xlsx")
    a, b = res.records
    assert res.format == "xlsx" and (a["line"], b["line"]) == (2, 4)
    assert a["authors"] == "Smith, A; Walter, B" and a["year"] == "2021"
    assert a["type"] == "report" and a["doi"] == "10.1000/abc" and b["year"] == "2020"


def test_wos_table_author_emails_dropped_but_kept_in_original(tmp_path):
    f = tmp_path / "x.txt"
    f.write_text("PT\tAU\tTI\tUT\nJ\tFish, Alex C. (a.fish@x.edu) ; Lee, Ann\tT\tW:1\n")
    (rec,) = read_file(f)
    assert rec["authors"] == "Fish, Alex C.; Lee, Ann"
    assert "a.fish@x.edu" in json.loads(rec["original"])["AU"]


def test_ris_short_title_and_multiline_keywords(tmp_path):
    f = tmp_path / "x.ris"
    f.write_text("TY  - Journal Article\nST  - Short\nKW  - one\ntwo\nER  -\n")
    (rec,) = read_file(f)
    assert rec["title"] == "Short" and rec["keywords"] == "one; two"
    assert rec["type"] == "article"


def test_er_without_record(tmp_path):
    e = _error(tmp_path, "TY  - JOUR\nER  - \nER  - \n")
    assert e.line == 3


@pytest.mark.parametrize(
    ("text", "name", "fmt"),
    [
        ("PT  - Journal Article\nPMID- 1\nTI  - x\n", "a.txt", "medline"),
        ("PT J\nAU x\nER\n", "a.txt", "wos"),
        ("\n\nTY  - JOUR\nER  - \n", "a.txt", "ris"),
        ("% c\n@Article{k, title={x}}\n", "a.txt", "bibtex"),
        ("%0 Book\n%T x\n", "a.txt", "refer"),
        ("a\tb\tc\n1\t2\t3\n", "a.txt", "tsv"),
        ('"a","b","c"\n', "a.txt", "csv"),
        ("<?xml version='1.0'?><xml><records><record/></records></xml>", "a", "endnote_xml"),
        ("[]", "a", "scholar_json"),
        ("Smith J (2001) A title. A Journal 1(2): 3-4.\n", "a.md", "reference_list"),
        ("hello\n", "a.txt", None),
    ],
)
def test_detect_format(text, name, fmt):
    from reviewflow.readers import detect_format

    assert detect_format(text, name) == fmt


_SEEDS = [p.read_bytes() for p in sorted(DATA.iterdir())]


@settings(max_examples=150, deadline=None)
@given(
    seed=st.sampled_from(_SEEDS),
    cut=st.integers(0, 2000),
    junk=st.binary(max_size=20),
    fmt=st.sampled_from([None, *FORMATS]),
)
def test_mangled_files_give_records_or_reviewflow_error(tmp_path_factory, seed, cut, junk, fmt):
    """Truncated or spliced exports, read as any format: records, or ReviewflowError only."""
    f = tmp_path_factory.mktemp("fuzz") / "x.dat"
    f.write_bytes(seed[:cut] + junk + seed[cut:][: len(seed) // 2])
    try:
        records = read_file(f, fmt)
    except ReviewflowError as exc:
        assert exc.path == str(f) and exc.message
    else:
        assert records and all(r["original"].startswith("{") for r in records)
