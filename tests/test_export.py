"""Export writers: generated studies round-trip RIS and BibTeX -> our readers without loss,
and hostile field values cannot add a RIS tag or a BibTeX field (issue 13).

"Without loss" for the exported fields: values are single lines (whitespace runs collapse,
which both formats do anyway), authors are "Family, Given", pages "start-end".
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import bibtexparser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reviewflow.bibliography import paired_braces
from reviewflow.cli import main
from reviewflow.export import to_bibtex, to_ris
from reviewflow.files import write_csv
from reviewflow.readers import read_file
from reviewflow.records import TYPES

FIELDS = ["type", "title", "authors", "year", "journal", "volume", "issue", "pages", "doi",
          "abstract"]  # fmt: skip
TEXT_FIELDS = ["title", "journal", "abstract"]

# Printable text incl. LaTeX specials and accents; no leading/trailing or doubled spaces.
_chars = st.characters(
    codec="utf-8", categories=["L", "N", "P", "S", "Zs"], exclude_characters="\u00a0\u2028\u2029"
)
text = st.text(_chars, min_size=1, max_size=40).map(lambda s: " ".join(s.split())).filter(bool)
name = st.from_regex(r"[A-Z][a-zà-ÿ]{1,10}(-[A-Z][a-z]{1,6})?", fullmatch=True)
author = st.builds(lambda f, g: f"{f}, {g}", name, name)
study = st.fixed_dictionaries(
    {
        "type": st.sampled_from(TYPES),
        "title": text,
        "authors": st.lists(author, min_size=1, max_size=4, unique=True).map("; ".join),
        "year": st.integers(1900, 2030).map(str),
        "journal": text.filter(lambda s: not s[0].isdigit()),
        "volume": st.integers(1, 999).map(str),
        "issue": st.integers(1, 99).map(str),
        "pages": st.tuples(st.integers(1, 500), st.integers(501, 999)).map(
            lambda t: f"{t[0]}-{t[1]}"
        ),
        "doi": st.from_regex(r"10\.[0-9]{4,6}/[a-z0-9.()_-]{1,20}[a-z0-9]", fullmatch=True),
        "abstract": text,
    }
)
studies = st.lists(study, min_size=1, max_size=5).map(
    lambda rows: [{"study_id": f"s:{i + 1}", **r} for i, r in enumerate(rows)]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(studies)
def test_round_trip_ris_and_bibtex(rows):
    with tempfile.TemporaryDirectory() as tmp:
        for name_, text_ in (("x.ris", to_ris(rows)), ("x.bib", to_bibtex(rows))):
            path = Path(tmp) / name_
            path.write_text(text_, encoding="utf-8")
            back = read_file(path)
            assert len(back) == len(rows)
            for want, got in zip(rows, back, strict=True):
                if name_ == "x.bib":  # BibTeX cannot hold an unpaired brace safely
                    want = {**want, **{f: paired_braces(want[f]) for f in TEXT_FIELDS}}
                    want = {f: " ".join(v.split()) for f, v in want.items()}
                assert {f: got[f] for f in FIELDS} == {f: want[f] for f in FIELDS}, name_


def test_export_cli_is_sorted_and_deterministic(tmp_path):
    import pandas as pd

    rows = [
        {"study_id": "wos:2", "n_records": "1", "record_ids": "wos:2", "sources": "WoS",
         "type": "article", "title": "B", "authors": "Lee, Ann", "year": "2020",
         "journal": "J", "volume": "", "issue": "", "pages": "", "doi": "", "abstract": ""},
        {"study_id": "scopus:1", "n_records": "2", "record_ids": "scopus:1; wos:1",
         "sources": "Scopus; WoS", "type": "chapter", "title": "A", "authors": "Ng, Kim",
         "year": "2019", "journal": "Book", "volume": "", "issue": "", "pages": "5",
         "doi": "10.1000/x1", "abstract": ""},
    ]  # fmt: skip
    write_csv(pd.DataFrame(rows), tmp_path / "studies.csv")
    outs = []
    for run in ("a", "b"):
        out = tmp_path / run
        args = ["export", "--studies", str(tmp_path / "studies.csv"),
                "--ris", str(out / "l.ris"), "--bib", str(out / "l.bib")]  # fmt: skip
        assert main(args) == 0
        outs.append(
            ((tmp_path / run / "l.ris").read_bytes(), (tmp_path / run / "l.bib").read_bytes())
        )
    assert outs[0] == outs[1]
    ris = outs[0][0].decode()
    assert ris.index("ID  - scopus:1") < ris.index("ID  - wos:2") and "TY  - CHAP" in ris
    bib = outs[0][1].decode()
    assert "@incollection{scopus:1," in bib and "booktitle = {Book}" in bib


# The probe's payloads (issue 13): a title that closes its BibTeX braces and adds a link, and
# line breaks that would start a new RIS tag.
BIB_PAYLOAD = 'Evaluation of the NDIS\\}, url = "https://evil.example/phish", note = "\\{'
RIS_PAYLOAD = "Evaluation\nUR  - https://evil.example/phish\nER  - \nTY  - JOUR"


def hostile_study(**fields: str) -> dict:
    base = {"study_id": "s:1", "type": "report", "title": "T", "authors": "Lee, Ann",
            "year": "2020", "journal": "J", "volume": "", "issue": "", "pages": "", "doi": "",
            "abstract": ""}  # fmt: skip
    return {**base, **fields}


def test_bibtex_payload_adds_no_field_or_link():
    study = hostile_study(title=BIB_PAYLOAD, journal=BIB_PAYLOAD, year="2020}, url={x", doi="a}b")
    parsed = bibtexparser.parse_string(to_bibtex([study]))
    assert not parsed.failed_blocks
    [entry] = parsed.entries
    assert sorted(entry.fields_dict) == ["author", "doi", "journal", "title", "year"]


def test_ris_payload_adds_no_tag(tmp_path):
    study = hostile_study(title=RIS_PAYLOAD, year="2020\nUR  - x", doi="10.1/x\nN1  - y",
                          authors="Lee, Ann\nUR  - z")  # fmt: skip
    text = to_ris([study])
    tags = [line[:2] for line in text.splitlines() if line.strip()]
    assert tags == ["TY", "ID", "TI", "AU", "PY", "T2", "DO", "ER"], text
    path = tmp_path / "x.ris"
    path.write_text(text, encoding="utf-8")
    [back] = read_file(path)
    assert back["title"] == " ".join(RIS_PAYLOAD.split()) and back["url"] == ""
