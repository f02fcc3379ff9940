"""Every writer escapes for its target format (issue 13): the probe's payloads cannot add a
BibTeX field or a live link to the paper's reference list, and YAML stays data.

RIS and the library's BibTeX are tested in tests/test_export.py.
"""

from __future__ import annotations

import bibtexparser
import pandas as pd
import pytest
import yaml

from reviewflow import files
from reviewflow.bibliography import bib_entry, included_bib, paired_braces, tex

# Record 28 of websites_zotero.ris as the probe rewrote it.
TITLE = 'Evaluation of the NDIS\\}, url = "https://evil.example/phish", note = "\\{'
PLACE = '\\}"'


def study(**fields: str) -> pd.Series:
    base = {"study_id": "w:28", "type": "RPRT", "title": "T", "authors": "Lee, Ann",
            "year": "2019", "journal": "", "volume": "", "issue": "", "pages": "",
            "doi": ""}  # fmt: skip
    return pd.Series({**base, **fields})


def bib_text(row: pd.Series, extras: dict[str, str]) -> str:
    return included_bib([bib_entry("lee2019", row, extras)])


@pytest.mark.parametrize("field", ["title", "authors", "journal", "year", "volume", "pages"])
def test_included_bib_payload_adds_no_field(field: str) -> None:
    text = bib_text(study(**{field: TITLE}), {"address": PLACE, "publisher": TITLE})
    parsed = bibtexparser.parse_string(text)
    assert not parsed.failed_blocks, text
    [entry] = parsed.entries
    assert entry.key == "lee2019"
    assert not {"url", "note"} & set(entry.fields_dict), text


def test_payload_makes_no_link_in_the_rendered_reference_list(tmp_path) -> None:
    pypandoc = pytest.importorskip("pypandoc")
    bib = tmp_path / "included.bib"
    bib.write_text(bib_text(study(title=TITLE), {"address": PLACE}), encoding="utf-8")
    html = pypandoc.convert_text(
        "[@lee2019]\n", "html", format="markdown",
        extra_args=["--citeproc", f"--bibliography={bib}"],
    )  # fmt: skip
    assert "lee2019" in html and "Evaluation of the NDIS" in html
    assert "href" not in html, html


def test_only_web_links_become_urls() -> None:
    cases = [("javascript:alert(1)", False), ("https://ok.example/a_b", True),
             ("https://x.example/}, note={y", True), ("data:text/html,x", False)]  # fmt: skip
    for url, kept in cases:
        parsed = bibtexparser.parse_string(bib_text(study(), {"url": url}))
        fields = parsed.entries[0].fields_dict
        assert ("url" in fields) is kept, url
        assert "note" not in fields


@pytest.mark.parametrize(
    ("raw", "paired"),
    [("a}b{c", "abc"), ("{a}", "{a}"), ("}{", ""), ("{{a}", "{a}"), ("a{b}}c{", "a{b}c")],
)
def test_unpaired_braces_are_dropped(raw: str, paired: str) -> None:
    assert paired_braces(raw) == paired


def test_tex_escapes_backslashes_and_specials() -> None:
    assert tex("50% & \\url{x} #1 a_b ~^$") == (
        r"50\% \& \textbackslash{}url\{x\} \#1 a\_b \textasciitilde{}\textasciicircum{}\$"
    )


@pytest.mark.parametrize(
    "payload",
    [
        "!!python/object/apply:os.system ['touch PWNED']",
        "value\nextra: injected",
        "a: b\n- c",
        "&anchor x",
        "'; DROP TABLE; --",
        TITLE,
    ],
)
def test_yaml_writer_keeps_strings_as_data(payload: str, tmp_path) -> None:
    path = tmp_path / "results.yml"
    files.write_yaml({"results": {"title": payload}}, path)
    assert yaml.safe_load(path.read_text(encoding="utf-8")) == {"results": {"title": payload}}
