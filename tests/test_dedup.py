"""Deduplication: normalisation, each match rule, pairs that must never merge, the guard,
human decisions and the stage's files. All cases are small and hand-made."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from reviewflow import cli
from reviewflow.dedup import check_records, decision_pairs, deduplicate, read_decisions
from reviewflow.dedup.match import RULES, rules_table
from reviewflow.dedup.normalise import (
    author_families,
    author_names,
    clean_text,
    journal_forms,
    kind,
    leading_number,
    normalise_doi,
    normalise_issue,
    normalise_pages,
    normalise_year,
    pages_relation,
    recurring_title,
    shifted_citation,
    title_forms,
    title_head,
    title_markers,
    title_parts,
    venue_kind,
    versioned,
)
from reviewflow.errors import ReviewflowError
from reviewflow.files import read_csv

DATA = Path(__file__).parent / "data" / "dedup"

BASE = {
    "type": "JOUR",
    "title": "Personal budgets and inequality in adult social care: a mixed-methods study",
    "authors": "Carey, Gemma; Crammond, Brad; Malbon, Eleanor",
    "year": "2019",
    "journal": "Health and Social Care in the Community",
    "volume": "27",
    "issue": "4",
    "pages": "123-129",
    "doi": "",
    "abstract": "",
}


def records(*rows: dict) -> pd.DataFrame:
    """Records table from partial rows (missing fields empty), ids r1, r2, ..."""
    table = pd.DataFrame(
        [{"record_id": f"r{k + 1}", "source": f"db{k + 1}", **row} for k, row in enumerate(rows)]
    )
    return check_records(table.fillna(""))


def pair(a: dict, b: dict) -> pd.DataFrame:
    """links.csv rows for two records: BASE overridden by ``a`` and ``b``."""
    return deduplicate(records({**BASE, **a}, {**BASE, **b})).links


def merged(links: pd.DataFrame) -> bool:
    return links["study_id"].nunique() == 1


# --- normalisation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Health &amp; Social Care", "Health & Social Care"),
        ("p &amp;lt; 0.05", "p < 0.05"),  # escaped twice
        ("M{\\\"u}ller and \\'{E}cole", "Muller and Ecole"),
        ("\\textit{In vivo} study", "In vivo study"),
        ("Jürgen Müller, Łódź, Straße", "Jurgen Muller, Lodz, Strasse"),
        ("Effects of <i>X</i> on <sup>2</sup>Y", "Effects of  X  on  2 Y"),
    ],
)
def test_clean_text_undoes_entities_latex_and_accents(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "main", "alt"),
    [
        ("[A study of budgets in care homes]", "a study of budgets in care homes", None),
        ("A study of budgets in care homes. [Article in German]",
         "a study of budgets in care homes", None),
        ("A study of budgets in care homes.[Erratum appears in J Soc Pol 2003 Jun",
         "a study of budgets in care homes", None),
        ("Derrame pleural maligno: abordagem; Malignant pleural effusion: individual management",
         "derrame pleural maligno abordagem malignant pleural effusion individual management",
         "malignant pleural effusion individual management"),
        ("Prophylaxis in thoracic surgery. A randomized study. <ORIGINAL> PROPHYLAXIE EN "
         "CHIRURGIE THORACIQUE", "prophylaxis in thoracic surgery a randomized study",
         "prophylaxie en chirurgie thoracique"),
        ("Budgets &amp; care in three English councils (multiple letters) [1]",
         "budgets and care in three english councils", None),
        # A language tag after a bracketed translation.
        ("[A study of budgets in care homes]. [Spanish]", "a study of budgets in care homes",
         None),
        # MEDLINE notes that nest brackets, repeat, or are cut off.
        ("Budgets in care homes.[Erratum appears in J Soc Pol. 2009 Jun 4;36(2):87 Note: "
         "Carey, Gemma [added]]", "budgets in care homes", None),
        ("Budgets in care homes.[Erratum appears in J Soc Pol. 2009 Sep;9(9):22 Note: Carey, "
         "G [added]].[Erratum", "budgets in care homes", None),
        # A citation of another article glued on (a letter's "More on X").
        ("More on personal budgets in adult social care... N Engl J Med. 2009 Jan 29;"
         "360(5):544-6", "more on personal budgets in adult social care", None),
        # Correction markers: prefix, WoS and Embase citations of the corrected article, cut.
        ("Erratum: Budgets in care homes (The Journal of Social Policy (M",
         "budgets in care homes", None),
        ("Budgets in care homes (vol 142, pg 310, 2003)", "budgets in care homes", None),
        ("Budgets in care homes (Journal of Social Policy (2009) 360 (542-544))",
         "budgets in care homes", None),
        # Nearest titles that keep their text: a parenthesis of the title itself, a number.
        ("Budgets in care homes (ADAMTS 13) in 2009", "budgets in care homes adamts 13 in 2009",
         None),
        ("Budgets in care homes (the BUDGET-2 trial): 2009;3",
         "budgets in care homes the budget 2 trial 2009 3", None),
    ],
)  # fmt: skip
def test_title_forms(raw: str, main: str, alt: str | None) -> None:
    assert title_forms(raw) == (main, alt or main)


@pytest.mark.parametrize(
    ("raw", "what", "translated"),
    [
        ("Budgets in care homes (vol 142, pg 310, 2003)", "erratum", False),
        ("Budgets in care homes (Journal of Social Policy (2009) 360 (542-544))", "erratum",
         False),
        ("Erratum: Budgets in care homes", "erratum", False),
        ("Budgets in care homes.[Erratum appears in J Soc Pol. 2009;36(2):87]", "", False),
        ("Budgets in care homes - Reply", "comment", False),
        ("Budgets in care homes: a reply to critics", "comment", False),
        ("Budgets in care homes: responses of providers", "", False),
        ("[Budgets in care homes]. [German]", "", True),
        ("Budgets in care homes", "", False),
    ],
)  # fmt: skip
def test_title_parts_kind_and_translation(raw: str, what: str, translated: bool) -> None:
    assert title_parts(raw)[2:] == (what, translated)


@pytest.mark.parametrize(
    ("title", "series", "others", "contrast"),
    [
        ("effects in vivo", "", "", "in_vivo"),
        ("outcomes for men and women", "", "", "men women"),
        ("budgets part ii", "2", "", ""),
        ("budgets part i", "1", "", ""),
        ("a phase 3 trial in 2916 adults", "3", "2916", "adults"),
        ("living review 2021 update", "2021", "", ""),
    ],
)
def test_title_markers(title: str, series: str, others: str, contrast: str) -> None:
    assert title_markers(title) == (series, others, contrast)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Zhou, Xiangdong; Lan, Jian", ["zhou", "lan"]),
        ("Zhou X; Lan J", ["zhou", "lan"]),
        ("Xiangdong Zhou; Jian Lan", ["zhou", "lan"]),
        ("Le Quintrec, M.; Sberro-Soussan, R.", ["quintrec", "sberrosoussan"]),  # particle
        ("Müller, J. and Klein, E. et al.", ["muller", "klein"]),
        ("", []),
    ],
)
def test_author_families_ignore_name_forms(raw: str, expected: list[str]) -> None:
    assert author_families(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Akita K.Isoda K.Isobe S.", [("akita", "k"), ("isoda", "k"), ("isobe", "s")]),
        ("HOPPE F.SVALASTOGA E.", [("hoppe", "f"), ("svalastoga", "e")]),
        ("Spee B.van den Ingh T.Ohno K.", [("spee", "b"), ("ingh", "t"), ("ohno", "k")]),
        ("Akita K, Isoda K, Isobe S", [("akita", "k"), ("isoda", "k"), ("isobe", "s")]),
        ("Chan, Dick Y. W.", [("chan", "d")]),
        ("Chan, D. Y. W.", [("chan", "d")]),
        ("Chan DYW", [("chan", "d")]),
        ("Dick Y. W. Chan", [("chan", "d")]),
        ("van Kessel, M.", [("kessel", "m")]),
        ("Kessel, M. E. van", [("kessel", "m")]),
        ("Truan, Van A.", [("truan", "v")]),  # a first name "Van" is not a particle
        ("J.Smith; K.Jones", [("jsmith", ""), ("kjones", "")]),  # no run-together split
        ("Alexion Pharmaceuticals, Inc", [("alexionpharmaceuticals", "i")]),
    ],
)  # fmt: skip
def test_author_names_surname_and_initial(raw: str, expected: list) -> None:
    assert author_names(raw) == expected


@pytest.mark.parametrize(
    ("raw", "volume", "issue"),
    [
        ("61", "61", "61"),
        ("20 Suppl 1", "20", "20"),
        ("1)", "", ""),  # a fragment of "61(1)": unknown, not volume 1
        ("(Jul)", "", ""),
        ("SUPPL. 1", "", "s1"),  # a supplement agrees only with the same supplement
        ("Suppl", "", "s"),
        ("Pt 2", "", ""),
        ("3-A", "3", "3"),
        ("Drug Discovery. 9", "9", "9"),
    ],
)
def test_unreadable_volume_or_issue_is_unknown(raw: str, volume: str, issue: str) -> None:
    assert leading_number(raw) == volume and normalise_issue(raw) == issue


@pytest.mark.parametrize(
    ("title", "recurring"),
    [
        ("editor s comments", True), ("remarks from the editor", True), ("erratum", True),
        ("introduction to the special issue", True), ("book review", True),
        ("preface", True), ("reply", True), ("annual report 2019", True),
        ("introduction to the special issue on personal budgets", False),
        ("personal budgets", False), ("", False),
    ],
)  # fmt: skip
def test_recurring_titles(title: str, recurring: bool) -> None:
    assert recurring_title(title) is recurring


@pytest.mark.parametrize(
    ("raw", "head"),
    [
        ("Breed locally, disperse globally: fine-scale genetic structure",
         "breed locally disperse globally"),
        ("Personal budgets - a review of the evidence", ""),  # a head of two words
        ("Direct payments in residential care. Findings from trailblazers",
         "direct payments in residential care"),
        ("Introduction: personal budgets", ""),  # a generic head does not stand for the title
        ("No subtitle here at all", ""),
    ],
)  # fmt: skip
def test_title_head(raw: str, head: str) -> None:
    assert title_head(raw) == head


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("123-9", (123, 129, False)),
        ("123-129", (123, 129, False)),
        ("1123-45", (1123, 1145, False)),
        ("pp. 12-15", (12, 15, False)),
        ("e12724", (12724, 12724, True)),
        ("c37-c42", (37, 42, True)),
        ("945–948", (945, 948, False)),
        ("Suppl-29", (-1, -1, False)),  # garbled export
        ("08-Aug", (-1, -1, False)),  # a spreadsheet's date
        ("1-6", (-1, -1, False)),  # internal numbering of an e-only article
        ("2297-2108", (-1, -1, False)),  # ends before it starts: a mistyped first page
        ("2297-308", (2297, 2308, False)),
        ("", (-1, -1, False)),
    ],
)
def test_normalise_pages(raw: str, expected: tuple) -> None:
    assert normalise_pages(raw) == expected


def test_pages_relation() -> None:
    assert pages_relation(123, 129, False, 123, 129, False) == 1
    assert pages_relation(569, 569, False, 567, 569, False) == 1  # one inside the other
    assert pages_relation(246, 250, False, 250, 254, False) == 0  # adjacent articles
    assert pages_relation(1014, 1014, False, 1804, 1804, True) == -1  # page vs e-locator
    assert pages_relation(-1, -1, False, 5, 9, False) == -1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://doi.org/10.1111/HSC.12345", "10.1111/hsc.12345"),
        ("doi:10.1111/hsc.12345.", "10.1111/hsc.12345"),
        ("http://dx.doi.org/10.1002%2F14651858.CD000001.pub2", "10.1002/14651858.cd000001.pub2"),
        ("not a doi", ""),
    ],
)
def test_normalise_doi(raw: str, expected: str) -> None:
    assert normalise_doi(raw) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Curr Opin Rheumatol", "Current Opinion in Rheumatology"),
        ("J Soc Policy", "Journal of Social Policy"),
        ("Z Gerontol Geriatr", "Zeitschrift für Gerontologie und Geriatrie"),
        ("Health &amp; Social Care in the Community", "Health and Social Care in the Community"),
    ],
)
def test_journal_abbreviations_share_initials(a: str, b: str) -> None:
    assert journal_forms(a)[1] == journal_forms(b)[1]


def test_journal_forms_drop_translations_and_conference_suffix() -> None:
    assert journal_forms("Zhonghua jie he = Chinese journal of tuberculosis")[0] == (
        "chinese journal of tuberculosis"
    )
    assert journal_forms("J Thromb Haemost.Conference: 23rd Congress of the ISTH")[0] == (
        "j thromb haemost"
    )


def test_kinds_and_venues() -> None:
    assert kind("erratum personal budgets", "JOUR") == "erratum"
    assert kind("personal budgets vol 142 pg 310 2003", "") == "erratum"
    assert kind("comment on personal budgets", "") == "comment"
    assert kind("personal budgets", "JOUR") == ""
    assert venue_kind("CONF", "Anything") == "conference"
    assert venue_kind("article", "Proceedings of the SPA Conference") == "conference"
    assert venue_kind("JOUR", "Journal of Social Policy") == "article"
    assert venue_kind("THES", "") == venue_kind("JOUR", "Dissertation Abstracts International")
    assert venue_kind("JOUR", "Thesis Eleven") == "article"  # a journal, not a thesis
    assert leading_number("Drug Discovery. 9") == "9"
    assert normalise_year("2019 Jun") == 2019 and normalise_year("") == -1


# --- each match rule -----------------------------------------------------------------------


def test_rules_table_lists_every_rule() -> None:
    table = rules_table()
    assert table["name"].tolist() == [r.name for r in RULES]
    assert (table["why"].str.len() > 10).all()


@pytest.mark.parametrize(
    ("rule", "a", "b"),
    [
        # Same DOI (one as a URL, upper case), title with typos and no other agreement.
        ("doi", {"doi": "10.1111/abc", "pages": "", "volume": ""},
         {"doi": "https://doi.org/10.1111/ABC", "pages": "", "volume": "", "journal": "",
          "title": "Personal budget and inequalities in adult social care: mixed methods"}),
        ("title_authors_venue", {"pages": "", "volume": ""},
         {"pages": "", "volume": "", "title": BASE["title"].upper() + ".",
          "authors": "Carey G; Crammond B; Malbon E", "journal": "Health Soc Care Community"}),
        ("title_authors_year", {"pages": "", "volume": "", "journal": ""},
         {"pages": "", "volume": "", "journal": ""}),
        ("title_full_citation", {"authors": "Carey, Gemma"},
         {"authors": "Personalisation Research Group"}),
        ("title_volume_pages", {"authors": "", "journal": ""}, {}),
        ("title_contained_citation", {},
         {"title": BASE["title"] + " of personal budget holders in three English councils"}),
        ("similar_title_full_citation", {},
         {"title": "Personal budget and inequalities in adult social-care: mixed method studies"}),
        ("print_vs_online_year", {"year": "2018"}, {"year": "2019"}),
        ("near_year_same_issue", {"year": "2018", "pages": ""}, {"year": "2019", "pages": ""}),
        ("translated_title_citation", {},
         {"title": "[Personal budgets and inequality in social care for adults]. [Spanish]"}),
    ],
)  # fmt: skip
def test_each_rule_links_its_case(rule: str, a: dict, b: dict) -> None:
    links = pair(a, b)
    assert merged(links)
    assert links["rule"].tolist() == ["self", rule]
    assert links["linked_to"].tolist() == ["", "r1"]
    assert 0 < float(links["score"].iloc[1]) <= 1


def test_unsupported_likeness_goes_to_a_person_not_a_merge() -> None:
    """Same title and authors but one year apart and nothing else: maybe, never merged."""
    a = {"year": "2019", "pages": "", "volume": "", "journal": ""}
    b = {"year": "2020", "pages": "", "volume": "", "journal": ""}
    result = deduplicate(records({**BASE, **a}, {**BASE, **b}))
    assert not merged(result.links)
    assert result.maybe[["record_id_a", "record_id_b"]].values.tolist() == [["r1", "r2"]]
    assert result.maybe["year_a"].tolist() == ["2019"] and result.maybe["year_b"].tolist() == [
        "2020"
    ]
    assert result.report["maybe_pairs"] == 1


def test_same_citation_with_differently_translated_titles_is_a_maybe() -> None:
    a = {"title": "Persoenliche Budgets und Ungleichheit in der Altenpflege"}
    b = {"title": "[Personal budgets and inequality in care for older people]"}
    result = deduplicate(records({**BASE, **a}, {**BASE, **b}))
    assert not merged(result.links)
    assert len(result.maybe) == 1 and int(result.maybe["title_similarity"].iloc[0]) < 70


def test_record_without_title_is_not_merged_automatically() -> None:
    links = pair({}, {"title": ""})
    assert not merged(links)


# --- pairs that must never merge -----------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "a", "b"),
    [
        ("erratum and its article", {}, {"title": "Erratum: " + BASE["title"]}),
        ("erratum with the same pages", {},
         {"title": "Correction to: " + BASE["title"], "pages": "123-129"}),
        ("conference paper and journal version",
         {"type": "CONF", "journal": "Proceedings of the Social Policy Association Conference",
          "volume": "", "pages": "", "year": "2018"},
         {"year": "2018", "journal": "Journal of Social Policy"}),
        ("same title, different authors",
         {"authors": "Smith, John; Jones, Ann", "journal": "", "pages": "", "volume": ""},
         {"authors": "Wang, Li; Okafor, Chidi", "journal": "", "pages": "", "volume": ""}),
        ("in vivo vs in vitro",
         {"title": "Effects of budget holding on carer stress in vivo", "pages": ""},
         {"title": "Effects of budget holding on carer stress in vitro", "pages": ""}),
        ("men vs women",
         {"title": "Direct payments for older men: a qualitative study", "pages": ""},
         {"title": "Direct payments for older women: a qualitative study", "pages": ""}),
        ("living review update, different years and DOIs",
         {"year": "2019", "doi": "10.1002/14651858.CD000001.pub2", "pages": "", "volume": ""},
         {"year": "2021", "doi": "10.1002/14651858.CD000001.pub3", "pages": "", "volume": ""}),
        ("living review update, one year apart",
         {"year": "2020", "doi": "10.1002/14651858.CD000001.pub2", "volume": "", "pages": ""},
         {"year": "2021", "doi": "10.1002/14651858.CD000001.pub3", "volume": "", "pages": ""}),
        ("part 1 and part 2", {"title": BASE["title"] + ": part 1", "pages": ""},
         {"title": BASE["title"] + ": part 2", "pages": ""}),
        ("part 2 and an unnumbered first part", {"pages": ""},
         {"title": BASE["title"] + ": part 2", "pages": ""}),
        ("adjacent articles", {"pages": "246-250", "title": "Budgets and care: editorial"},
         {"pages": "250-254", "title": "Budgets and care: editorial"}),
        ("a commentary reusing the title",
         {"journal": "Annals of Internal Medicine", "pages": "", "doi": ""},
         {"journal": "ACP Journal Club", "pages": "", "doi": ""}),
        # Nearest pairs of each garbling rule.
        ("Embase erratum and its article", {},
         {"title": BASE["title"] + " (Health and Social Care in the Community (2019) 27 "
          "(123-129))", "pages": "980", "issue": "6"}),
        ("WoS erratum and its article (erratum without pages)", {"pages": ""},
         {"title": BASE["title"] + " (vol 27, pg 123, 2019)", "pages": ""}),
        ("letter and the authors' reply", {"pages": "", "title": BASE["title"] + " (letter)"},
         {"pages": "", "title": BASE["title"] + " - Reply"}),
        ("a letter citing the article and the article",
         {"title": BASE["title"] + "... Health Soc Care Community. 2019;27(4):123-9",
          "authors": "Smith, John", "pages": "455"}, {}),
        ("distinct page ranges, not inverted", {"pages": "2097-2108"}, {"pages": "2297-2308"}),
        ("a real page without volume", {"volume": "", "issue": "4", "pages": "945"},
         {"pages": "1746"}),
        ("one year apart, other issue", {"year": "2018", "pages": "", "issue": "3"},
         {"year": "2019", "pages": ""}),
        ("Cochrane review versions one year apart",
         {"year": "2020", "journal": "Cochrane Database of Systematic Reviews", "volume": "1",
          "issue": "1", "pages": ""},
         {"year": "2021", "journal": "Cochrane Database of Systematic Reviews", "volume": "1",
          "issue": "1", "pages": ""}),
        ("Cochrane versions with the same e-locator",
         {"year": "2020", "journal": "Cochrane Database Syst Rev", "pages": "CD000123"},
         {"year": "2021", "journal": "Cochrane Database Syst Rev", "pages": "CD000123"}),
        ("translated title, other authors",
         {"authors": "Smith, John; Jones, Ann"},
         {"title": "[Personal budgets and inequality in social care for adults]. [Spanish]",
          "authors": "Wang, Li; Okafor, Chidi"}),
        ("differently worded titles, neither bracketed", {},
         {"title": "Personal budgets and inequality in social care for adults"}),
    ],
)  # fmt: skip
def test_never_merged(case: str, a: dict, b: dict) -> None:
    assert not merged(pair(a, b)), case


# --- how databases garble one record: each must still merge -----------------------------


@pytest.mark.parametrize(
    ("case", "a", "b"),
    [
        ("MEDLINE erratum note with nested brackets", {},
         {"title": BASE["title"] + ".[Erratum appears in Health Soc Care Community. 2019 "
          "Jun 4;27(6):980 Note: Malbon, Eleanor [added]]"}),
        ("two exports of one erratum notice",
         {"title": "Erratum: " + BASE["title"] + " (Health and Social Care in the Comm",
          "pages": "980"},
         {"title": BASE["title"] + " (vol 27, pg 123, 2019)", "pages": "980"}),
        ("Embase and WoS forms of one erratum notice",
         {"title": BASE["title"] + " (Health and Social Care in the Community (2019) 27 "
          "(123-129))", "pages": "980"},
         {"title": BASE["title"] + " (vol 27, pg 123, 2019)", "pages": "980"}),
        ("a citation glued to the title",
         {"title": BASE["title"] + "... N Engl J Med. 2009 Jan 29;360(5):544-6"}, {}),
        ("a mistyped first page (range ends before it starts)", {"pages": "323-129"}, {}),
        ("volume, issue and pages shifted one field",
         {"volume": "", "issue": "27", "pages": "4"}, {"issue": "4", "pages": "1746"}),
    ],
)  # fmt: skip
def test_garbled_duplicates_merge(case: str, a: dict, b: dict) -> None:
    assert merged(pair(a, b)), case


def test_shifted_citation_and_versioned_venues() -> None:
    table = records(
        {**BASE, "volume": "", "issue": "26", "pages": "9"},
        {**BASE, "volume": "", "issue": "26", "pages": "945"},
        {**BASE, "volume": "26", "issue": "", "pages": "9"},
    )
    assert shifted_citation(table).tolist() == [True, False, False]
    assert versioned("cochrane database of systematic reviews")
    assert not versioned("journal of social policy")


def test_guard_stops_a_chain_joining_contradicting_records() -> None:
    """A~B and B~C, but A and C carry different DOIs: C must not join A's study."""
    a = {**BASE, "doi": "10.1111/one"}
    b = {**BASE}
    c = {**BASE, "doi": "10.1111/two"}
    result = deduplicate(records(a, b, c))
    studies = result.links.set_index("record_id")["study_id"]
    assert studies["r1"] != studies["r3"]
    assert result.report["refused_by_guard"] >= 1


def test_study_id_is_first_record_in_input_order() -> None:
    strong = {**BASE, "doi": "10.1111/x"}
    weak = {**BASE, "pages": ""}
    links = deduplicate(records(weak, strong, strong)).links
    assert links["study_id"].tolist() == ["r1", "r1", "r1"]
    assert links["rule"].tolist()[0] == "self"


# --- human decisions -----------------------------------------------------------------------


def test_human_merge_and_split() -> None:
    table = records(
        {**BASE},
        {**BASE, "pages": "", "volume": "", "year": "2020"},  # maybe at best
        {**BASE, "authors": "Carey G; Crammond B; Malbon E"},  # automatic duplicate of r1
    )
    decisions = pd.DataFrame(
        {"decision": ["merge", "split"], "record_id_a": ["r1", "r1"],
         "record_id_b": ["r2", "r3"], "note": ["", ""]}
    )  # fmt: skip
    result = deduplicate(table, decisions)
    links = result.links.set_index("record_id")
    assert links.loc["r2", "study_id"] == "r1" and links.loc["r2", "rule"] == "human_merge"
    assert links.loc["r3", "study_id"] == "r3"
    assert result.report["human_decisions"] == {"merge": 1, "split": 1}
    assert result.maybe.empty  # the decided pair is no longer asked about


def test_decisions_file_absent_or_header_only(tmp_path: Path) -> None:
    assert read_decisions(tmp_path / "absent.csv").empty
    (tmp_path / "d.csv").write_text("decision,record_id_a,record_id_b,note\n")
    assert read_decisions(tmp_path / "d.csv").empty


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("merge,r1,r9,typo", "unknown record id 'r9'"),
        ("join,r1,r2,", "decision must be 'merge' or 'split'"),
        ("merge,r1,r1,", "cannot be paired with itself"),
    ],
)
def test_bad_decisions_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "dedup_decisions.csv"
    path.write_text(f"decision,record_id_a,record_id_b,note\nsplit,r1,r2,ok\n{line}\n")
    table = records(BASE, BASE)
    with pytest.raises(ReviewflowError) as err:
        decision_pairs(read_decisions(path), table["record_id"], path)
    assert err.value.line == 3 and message in err.value.message and err.value.path == str(path)


def test_contradicting_decisions_are_an_error(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("decision,record_id_a,record_id_b,note\nmerge,r1,r2,\nsplit,r2,r1,\n")
    with pytest.raises(ReviewflowError, match="contradicts line 2"):
        decision_pairs(read_decisions(path), records(BASE, BASE)["record_id"], path)


# --- the stage's files ---------------------------------------------------------------------


def run_cli(tmp_path: Path, decisions: Path | None, out: str = "out") -> Path:
    args = ["dedup", "--records", str(DATA / "records.csv"), "--out-dir", str(tmp_path / out)]
    if decisions is not None:
        args += ["--decisions", str(decisions)]
    assert cli.main(args) == 0
    return tmp_path / out


def test_cli_writes_the_four_files(tmp_path: Path) -> None:
    out = run_cli(tmp_path, tmp_path / "no_decisions.csv")
    links = read_csv(out / "links.csv")
    studies = read_csv(out / "studies.csv")
    report = json.loads((out / "dedup_report.json").read_text())
    assert links.columns.tolist()[:4] == ["record_id", "study_id", "rule", "score"]
    assert len(links) == 12 and links["record_id"].is_unique
    study_of = links.set_index("record_id")["study_id"]
    assert study_of["scopus:1"] == "medline:1"  # DOI URL/case, 123-9, entities, initials
    assert study_of["wos:4"] == "medline:3"  # journal abbreviation, 201-20
    assert study_of["wos:3"] == "wos:2"  # bracketed title, umlauts, abbreviation
    for distinct in ("medline:2", "scopus:2", "scopus:3", "scopus:4", "wos:1"):
        assert study_of[distinct] == distinct
    assert len(studies) == 9 and report["studies"] == 9 and report["records"] == 12
    assert studies.columns.tolist()[:4] == ["study_id", "n_records", "record_ids", "sources"]
    row = studies.set_index("study_id").loc["medline:1"]
    assert row["record_ids"] == "medline:1; scopus:1" and row["sources"] == "MEDLINE; Scopus"
    assert row["n_records"] == "2" and row["abstract"].startswith("Personal budgets")
    assert report["links_by_rule"]["self"] == 9
    assert (out / "maybe_pairs.csv").exists()


def test_cli_applies_decisions_and_is_byte_identical(tmp_path: Path) -> None:
    first = run_cli(tmp_path, DATA / "dedup_decisions.csv", "a")
    second = run_cli(tmp_path, DATA / "dedup_decisions.csv", "b")
    links = read_csv(first / "links.csv").set_index("record_id")
    assert links.loc["wos:3", "study_id"] == "wos:3"
    for name in ("links.csv", "studies.csv", "maybe_pairs.csv", "dedup_report.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes()


def test_cli_unknown_decision_id_exits_with_file_and_line(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "dedup_decisions.csv"
    shutil.copy(DATA / "dedup_decisions.csv", bad)
    with bad.open("a") as fh:
        fh.write("merge,wos:1,pubmed:77,\n")
    code = cli.main(
        ["dedup", "--records", str(DATA / "records.csv"), "--decisions", str(bad),
         "--out-dir", str(tmp_path / "out")]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    assert f"{bad}:3: unknown record id 'pubmed:77'" in err
    assert not (tmp_path / "out" / "links.csv").exists()


def test_missing_required_column_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ReviewflowError, match="missing column"):
        check_records(pd.DataFrame({"record_id": ["a"], "title": ["x"]}), "r.csv")
