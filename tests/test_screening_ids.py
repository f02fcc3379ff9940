"""reviewflow.ids: the one DOI normaliser and the one record -> study resolver."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reviewflow.files import read_csv
from reviewflow.ids import StudyResolver, normalise_doi, normalise_title

DATA = Path(__file__).parent / "data" / "screening"
DOI = "10.1186/s12939-019-1069-4"


@pytest.mark.parametrize(
    "text",
    [
        DOI,
        DOI.upper(),
        f"https://doi.org/{DOI}",
        f"http://dx.doi.org/{DOI}",
        f"doi:{DOI}",
        f"DOI: {DOI}",
        f"https://doi.org/{DOI.upper()}.",  # issue 10: the trailing "." of a citation
        f"{DOI};",
        "https://doi.org/10.1186%2Fs12939-019-1069-4",  # URL-encoded slash
        f"  {DOI}  ",
    ],
)
def test_normalise_doi_spellings(text):
    assert normalise_doi(text) == DOI


@pytest.mark.parametrize("text", ["", None, "not a doi", "https://example.org/page"])
def test_normalise_doi_without_a_doi(text):
    assert normalise_doi(text) == ""


@given(st.from_regex(r"10\.[0-9]{4,6}/[a-z0-9][a-z0-9./_-]{0,20}[a-z0-9]", fullmatch=True))
def test_normalise_doi_is_idempotent_on_wrappers(doi):
    for wrapped in (doi, f"https://doi.org/{doi}", f"doi:{doi.upper()}", f"{doi}."):
        assert normalise_doi(wrapped) == normalise_doi(doi) == doi


def test_normalise_title():
    assert normalise_title("Direct payments: WHO benefits?") == "direct payments who benefits"
    assert normalise_title("Carers’ wellbeing — café") == "carers wellbeing cafe"


@pytest.fixture(scope="module")
def resolver() -> StudyResolver:
    return StudyResolver(read_csv(DATA / "links.csv"), read_csv(DATA / "studies.csv"))


def test_study_of_record_study_and_doi_ids(resolver):
    assert resolver.study_of("wos:3") == "scopus:5"  # a member record names its study
    assert resolver.study_of("scopus:5") == "scopus:5"
    assert resolver.study_of("doi:https://doi.org/10.1000/DP.2") == "scopus:2"
    assert resolver.study_of(" wos:1 ") == "scopus:1"
    assert resolver.study_of("doi:10.9999/none") is None
    assert resolver.study_of("embase:1") is None


def test_resolve_order_id_then_doi_then_title(resolver):
    assert resolver.resolve(ids=["731000", "citations:1"], doi="10.1000/pb.1") == "scopus:2"
    assert resolver.resolve(ids=["731000"], doi="https://doi.org/10.1000/DP.2") == "scopus:2"
    title = "TRIAL OF INDIVIDUAL BUDGETS IN MENTAL HEALTH SERVICES."
    assert resolver.resolve(title=title) == "isrctn:1"
    assert resolver.resolve(ids=["731000"], title="Unknown paper") is None


def test_ambiguous_doi_or_title_resolves_to_nothing():
    links = pd.DataFrame({"record_id": ["a:1", "a:2"], "study_id": ["a:1", "a:2"]})
    studies = pd.DataFrame(
        {
            "study_id": ["a:1", "a:2"],
            "doi": ["10.1000/x", "10.1000/X"],
            "title": ["Same title", "Same title"],
            "year": ["2001", "2002"],
        }
    )
    resolver = StudyResolver(links, studies)
    assert resolver.by_doi_of("10.1000/x") is None
    assert resolver.resolve(title="Same title") is None
    assert resolver.resolve(title="Same title", year="2002") == "a:2"
