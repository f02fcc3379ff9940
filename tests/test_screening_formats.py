"""Rayyan, Covidence and ASReview exports give the same decisions and PRISMA counts as native.

The fixtures in tests/data/screening/ follow each tool's documented export layout:

- Rayyan (``rayyan_*.csv``): the columns of Rayyan's open-source exporter,
  rayyanqcri/rayyan-formats-core ``lib/rayyan-formats-core/plugins/csv.rb`` (``key, title,
  authors, journal, issn, volume, issue, pages, year, publisher, location, url, language,
  abstract, notes``, authors joined with " and ", no DOI column), with the ``notes`` prefixes of
  Rayyan's help page "Understanding Your Rayyan Export Files" (RAYYAN-INCLUSION, RAYYAN-LABELS,
  RAYYAN-EXCLUSION-REASONS, USER-NOTES). Some DOIs are doi.org URLs, some absent (title match).
- Covidence (``covidence/review_1_<list>_csv.csv``): the columns of Covidence's reference
  export (Title, Authors, Abstract, Published Year, Published Month, Journal, Volume, Issue,
  Pages, Accession Number, DOI, Ref, Covidence #, Study, Notes, Tags), one file per list, the
  full-text exclusion reason in Notes as ``Exclusion reason: X; `` (Covidence support,
  "Does Covidence record exclusion reasons at the title and abstract screening stage?").
- ASReview (``asreview_title_abstract/``): ``alice.csv`` in LAB 3.0.8's layout as in the real
  exports in ../shared/exports/asreview_lab (unnamed row number, uploaded ``study_id``,
  ``asreview_label``, ``asreview_note``, ``asreview_user_name``); ``bob.csv`` in LAB 1's
  (``included``, ``exported_notes_1``, no id we know: DOI/title match).
"""

from __future__ import annotations

import argparse
import json
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from reviewflow import prisma
from reviewflow.errors import ReviewflowError
from reviewflow.files import read_csv
from reviewflow.ids import StudyResolver
from reviewflow.screening import decisions as screening
from reviewflow.screening.formats import load_decisions
from reviewflow.screening.formats.rayyan import parse_notes
from reviewflow.screening.tables import read_table

DATA = Path(__file__).parent / "data" / "screening"
COVIDENCE = DATA / "covidence"
TA_LISTS = sorted(COVIDENCE.glob("*.csv"))  # irrelevant, included, excluded
FT_LISTS = [COVIDENCE / "review_1_included_csv.csv", COVIDENCE / "review_1_excluded_csv.csv"]
ASREVIEW_TA = [DATA / "asreview_title_abstract" / n for n in ("alice.csv", "bob.csv")]


def run_stage(stage: str, fmt: str, decisions, out: Path, previous=None) -> None:
    args = argparse.Namespace(
        stage=stage,
        decisions=[str(p) for p in decisions],
        resolutions=DATA / "resolutions.csv",
        links=DATA / "links.csv",
        studies=DATA / "studies.csv",
        config=DATA / "config.yaml",
        format=fmt,
        exclusion_reasons=None,
        previous=previous,
        out=out / f"{stage}.csv",
        agreement=out / f"{stage}_agreement.json",
    )
    screening.run(args)


def run_both(out: Path, ta_fmt: str, ta: list, ft_fmt: str, ft: list) -> dict:
    run_stage("title_abstract", ta_fmt, ta, out)
    run_stage("full_text", ft_fmt, ft, out, previous=out / "title_abstract.csv")
    counts, _ = prisma.build(
        prisma.load_records(DATA / "records.csv"),
        read_csv(DATA / "links.csv"),
        prisma.load_decisions(out / "title_abstract.csv"),
        prisma.load_decisions(out / "full_text.csv"),
    )
    return counts


def final(out: Path, stage: str) -> dict:
    table = read_csv(out / f"{stage}.csv")
    return dict(zip(table["study_id"], table["decision"], strict=True))


def agreement(out: Path, stage: str) -> dict:
    return json.loads((out / f"{stage}_agreement.json").read_text())


@pytest.fixture(scope="module")
def native(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("native")
    ta, ft = [DATA / "title_abstract.csv"], [DATA / "full_text.csv"]
    return out, run_both(out, "native", ta, "native", ft)


def test_native_counts_are_the_expected_ones(native):
    _, counts = native
    assert counts["identified_total"] == 13
    assert counts["studies_included"] == 2


def same_as_native(out: Path, native) -> None:
    native_out, _ = native
    for stage in ("title_abstract", "full_text"):
        assert final(out, stage) == final(native_out, stage)


# --- Rayyan --------------------------------------------------------------------------------


def test_rayyan_articles_csv_matches_native(tmp_path, native):
    ta, ft = [DATA / "rayyan_title_abstract.csv"], [DATA / "rayyan_full_text.csv"]
    assert run_both(tmp_path, "rayyan", ta, "rayyan", ft) == native[1]
    same_as_native(tmp_path, native)
    # both excluded scopus:5 with different USER-NOTES: notes are not reasons, no conflict
    ta_out = read_csv(tmp_path / "title_abstract.csv").set_index("study_id")
    assert tuple(ta_out.loc["scopus:5", ["decision", "conflict"]]) == ("exclude", "false")
    assert agreement(tmp_path, "title_abstract")["cohens_kappa"] is not None


def rayyan_zip(path: Path, articles: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(articles, "articles.csv")
        archive.writestr("customizations_log.csv", "article_id,user,key,value,created_at\n")
    return path


def test_rayyan_zip_as_downloaded(tmp_path, native):
    ta = [rayyan_zip(tmp_path / "ta.zip", DATA / "rayyan_title_abstract.csv")]
    ft = [rayyan_zip(tmp_path / "ft.zip", DATA / "rayyan_full_text.csv")]
    assert run_both(tmp_path / "out", "rayyan", ta, "rayyan", ft) == native[1]


def test_rayyan_zip_without_articles_is_named(tmp_path):
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("customizations_log.csv", "x\n")
    with pytest.raises(ReviewflowError, match="no articles.csv in this zip"):
        run_stage("title_abstract", "rayyan", [path], tmp_path)


def test_rayyan_notes_parsed_per_reviewer():
    notes = parse_notes(
        'imported note | RAYYAN-INCLUSION: {"Ann Lee"=>"Excluded", "Bo"=>"Maybe"}'
        " | RAYYAN-LABELS: a,b | RAYYAN-EXCLUSION-REASONS: wrong population,wrong intervention"
        ' | USER-NOTES: {"Ann Lee"=>["too old", "say \\"no\\""], "Bo"=>["ask Ann"]}'
    )
    assert notes["votes"] == {"Ann Lee": "Excluded", "Bo": "Maybe"}
    assert notes["reasons"] == ["wrong population", "wrong intervention"]
    assert notes["labels"] == ["a", "b"]
    assert notes["user_notes"] == {"Ann Lee": ["too old", 'say "no"'], "Bo": ["ask Ann"]}
    assert notes["other"] == ["imported note"]


def test_rayyan_user_notes_go_to_their_reviewer_only():
    votes = load_decisions(
        [DATA / "rayyan_title_abstract.csv"], "rayyan", resolver=resolver(), stage="title_abstract"
    ).set_index(["id", "reviewer"])
    assert votes.loc[("scopus:5", "bob"), "note"] == "no service users | check ref list"
    assert votes.loc[("scopus:5", "alice"), "note"] == "costs only"
    assert "USER-NOTES" not in " ".join(votes["note"])


def resolver() -> StudyResolver:
    return StudyResolver(read_csv(DATA / "links.csv"), read_csv(DATA / "studies.csv"))


def test_unmatched_export_row_names_file_and_line(tmp_path):
    path = tmp_path / "articles.csv"
    path.write_text(
        "key,title,notes,url\n"
        '1,Personal budgets and inequality in adult social care,"RAYYAN-INCLUSION: '
        '{""a""=>""Included""}",https://doi.org/10.1000/pb.1\n'
        '2,A paper we never found,"RAYYAN-INCLUSION: {""a""=>""Excluded""}",\n'
    )
    with pytest.raises(ReviewflowError) as exc:
        run_stage("title_abstract", "rayyan", [path], tmp_path)
    assert exc.value.line == 3
    assert "Rayyan article matches no single study" in str(exc.value)


# --- Covidence -----------------------------------------------------------------------------


def test_covidence_lists_match_native(tmp_path, native):
    assert run_both(tmp_path, "covidence", TA_LISTS, "covidence", FT_LISTS) == native[1]
    same_as_native(tmp_path, native)
    ft = read_csv(tmp_path / "full_text.csv").set_index("study_id")
    assert ft.loc["wos:4", "reason"] == "wrong intervention"  # from Notes, note text dropped
    assert ft.loc["scopus:4", "decision"] == "not_retrieved"
    assert ft.loc["scopus:1", "resolved_by"] == "consensus"
    for stage in ("title_abstract", "full_text"):
        stats = agreement(tmp_path, stage)
        assert stats["agreement_available"] is False
        assert stats["cohens_kappa"] is None
        assert stats["consensus_decisions"] == stats["studies_decided"]
        assert stats["resolutions_without_conflict"] == 0


def test_covidence_ris_list(tmp_path):
    path = tmp_path / "review_1_excluded_ris.ris"
    path.write_text(
        "TY  - JOUR\nTI  - Direct payments for older people: who benefits?\nPY  - 2012\n"
        "DO  - 10.1000/dp.2\nN1  - Exclusion reason: wrong population; \nER  - \n\n"
        "TY  - JOUR\nTI  - Personalisation: a rough guide\nPY  - 2008\n"
        "N1  - Exclusion reason: not a study of inequality; \nER  - \n"
    )
    votes = load_decisions([path], "covidence", resolver=resolver(), stage="full_text")
    assert list(votes["id"]) == ["scopus:2", "citations:3"]
    assert list(votes["reason"]) == ["wrong population", "not a study of inequality"]
    assert list(votes["line"]) == [1, 8]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("covidence_votes.csv", "file name must name the list it was exported from"),
        ("review_1_included_excluded.csv", "found excluded, included"),
    ],
)
def test_covidence_file_must_name_its_list(tmp_path, name, message):
    path = tmp_path / name
    shutil.copy(FT_LISTS[0], path)
    with pytest.raises(ReviewflowError, match=message):
        run_stage("title_abstract", "covidence", [path], tmp_path)


def test_covidence_irrelevant_list_at_full_text_is_refused(tmp_path):
    with pytest.raises(ReviewflowError, match="holds title/abstract exclusions"):
        load_decisions(
            [COVIDENCE / "review_1_irrelevant_csv.csv"],
            "covidence",
            resolver=resolver(),
            stage="full_text",
        )


def test_invented_covidence_vote_layout_is_gone(tmp_path):
    path = tmp_path / "review_1_included_csv.csv"
    path.write_text("Reviewer Name,Vote,Exclusion Reason\nAlice,Yes,\n")
    with pytest.raises(ReviewflowError, match="not a Covidence reference export"):
        run_stage("title_abstract", "covidence", [path], tmp_path)


# --- ASReview and mixed tools --------------------------------------------------------------


def test_asreview_then_covidence_matches_native(tmp_path, native):
    """Issue 16's mixed case: ASReview at title/abstract, Covidence at full text."""
    assert run_both(tmp_path, "asreview", ASREVIEW_TA, "covidence", FT_LISTS) == native[1]
    same_as_native(tmp_path, native)
    ta = read_csv(tmp_path / "title_abstract.csv").set_index("study_id")
    # reviewer from asreview_user_name (alice) or the file name (bob's LAB 1 export)
    assert ta.loc["scopus:1", "reviewers"] == "alice; bob"
    # both excluded scopus:5 with different notes: notes are not reasons, no conflict
    assert tuple(ta.loc["scopus:5", ["reason", "conflict"]]) == ("", "false")


def test_asreview_user_name_names_the_reviewer(tmp_path):
    path = tmp_path / "download.csv"
    path.write_text(
        (DATA / "asreview_title_abstract" / "alice.csv")
        .read_text()
        .replace(",alice,", ",Alice Arden,")
    )
    votes = load_decisions([path], "asreview", resolver=resolver(), stage="title_abstract")
    assert set(votes["reviewer"]) == {"Alice Arden"}


def test_asreview_study_id_column_is_used(tmp_path):
    """The uploaded study_id decides, even when title and DOI were edited in LAB."""
    table = read_csv(DATA / "asreview_title_abstract" / "alice.csv")
    table["title"] = "retitled"
    table["doi"] = ""
    path = tmp_path / "alice.csv"
    table.to_csv(path, index=False)
    votes = load_decisions([path], "asreview", resolver=resolver(), stage="title_abstract")
    assert list(votes["id"])[:3] == ["scopus:1", "scopus:2", "scopus:3"]


def write_as(table: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".xlsx":
        table.to_excel(path, index=False)
    else:
        table.to_csv(path, index=False, sep="\t" if path.suffix == ".tsv" else ",")
    return path


@pytest.mark.parametrize("suffix", [".tsv", ".xlsx"])
def test_asreview_tsv_and_xlsx_read_like_csv(tmp_path, suffix):
    source = DATA / "asreview_title_abstract" / "alice.csv"
    path = write_as(read_csv(source), tmp_path / f"alice{suffix}")
    load = lambda p: load_decisions([p], "asreview", resolver=resolver(), stage="title_abstract")  # noqa: E731
    columns = ["id", "reviewer", "decision", "note"]
    pd.testing.assert_frame_equal(load(path)[columns], load(source)[columns])


def test_asreview_relevant_only_export_is_refused(tmp_path):
    table = read_csv(DATA / "asreview_title_abstract" / "alice.csv")
    path = write_as(table[table["asreview_label"] == "1"], tmp_path / "alice.csv")
    with pytest.raises(ReviewflowError, match="export again with all records"):
        run_stage("title_abstract", "asreview", [path], tmp_path)


def test_asreview_label_values_checked(tmp_path):
    path = tmp_path / "ann.csv"
    path.write_text("title,included\nA cost model for domiciliary care,yes\n")
    with pytest.raises(ReviewflowError, match="ASReview label 'yes' in column included"):
        run_stage("title_abstract", "asreview", [path], tmp_path)


@pytest.mark.parametrize(
    ("fmt", "source", "name", "message"),
    [
        ("asreview", "rayyan_title_abstract.csv", "a.csv", "not an ASReview export"),
        ("rayyan", "title_abstract.csv", "a.csv", "missing column(s) title, notes"),
        ("asreview", "title_abstract.csv", "a.pdf", "Export > dataset, all records"),
    ],
)
def test_wrong_export_says_what_to_download(tmp_path, fmt, source, name, message):
    path = tmp_path / name
    shutil.copy(DATA / source, path)
    with pytest.raises(ReviewflowError) as exc:
        run_stage("title_abstract", fmt, [path], tmp_path)
    assert message in str(exc.value)


# --- the real ASReview LAB 3.0.8 exports in ../shared ----------------------------------------


def flagship_native() -> Path:
    raw = Path(__file__).resolve().parents[1] / "data" / "raw" / "screening"
    if not (raw / "title_abstract.csv").exists():
        pytest.skip("the flagship's native decisions (data/raw/screening) are not here")
    return raw


def uploaded_review(export: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(studies, links) from the studies.csv the exports were made from (its columns)."""
    table = read_table(export)
    studies = table[[c for c in table.columns if c and not c.startswith("asreview_")]]
    links = pd.DataFrame(
        [
            (r, s)
            for s, rs in zip(studies["study_id"], studies["record_ids"], strict=True)
            for r in rs.split("; ")
        ],
        columns=["record_id", "study_id"],
    )
    return studies.drop(columns=["line", "path"]), links


@pytest.mark.shared
@pytest.mark.parametrize("login", ["with_login", "without_login"])
@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".xlsx", ".asreview"])
def test_real_asreview_exports_equal_native(shared_dir, tmp_path, login, suffix):
    folder = shared_dir / "exports" / "asreview_lab" / login
    raw = flagship_native()
    studies, links = uploaded_review(folder / "alice.csv")
    inputs = {
        "stage": "title_abstract",
        "resolutions_path": raw / "resolutions.csv",
        "resolver": StudyResolver(links, studies),
        "studies": studies,
        "reasons": screening.load_screening_config(
            raw.parents[2] / "config/config.yaml", "title_abstract"
        )[1],
    }
    paths = [folder / f"alice{suffix}", folder / f"bob{suffix}"]
    decided, pending, stats = screening.screen(decision_paths=paths, fmt="asreview", **inputs)
    # the native run, without the 5 votes bob left unlabelled in LAB
    bob = read_table(folder / "bob.csv")
    unlabelled = set(bob.loc[bob["asreview_label"] == "", "study_id"])
    assert len(unlabelled) == 5
    native = read_csv(raw / "title_abstract.csv")
    if not all(inputs["resolver"].study_of(i) for i in native["id"]):
        pytest.skip("data/raw is not the flagship review the LAB exports were made from")
    native = native[~((native["reviewer"] == "R2") & native["id"].isin(unlabelled))]
    native_path = tmp_path / "native.csv"
    native.to_csv(native_path, index=False)
    n_decided, _, n_stats = screening.screen(decision_paths=[native_path], fmt="native", **inputs)
    assert len(pending) == 0 and len(decided) == 145
    key = ["study_id", "decision"]
    pd.testing.assert_frame_equal(decided[key], n_decided[key])
    assert stats["cohens_kappa"] == n_stats["cohens_kappa"] == 0.9105
    assert sum(stats["votes_by_decision"].values()) == 285
    names = (
        {"Alice Arden", "Bob Bell"}
        if login == "with_login" and suffix != ".asreview"
        else {
            "alice",
            "bob",
        }
    )
    assert set("; ".join(decided["reviewers"]).split("; ")) == names


@pytest.mark.shared
@pytest.mark.parametrize("name", ["relevant_only_a58aa3df.csv", "relevant_only_fb3b1717.csv"])
def test_real_relevant_only_exports_are_refused(shared_dir, name):
    path = shared_dir / "exports" / "asreview_lab" / "without_login" / name
    studies, links = uploaded_review(path.with_name("alice.csv"))
    with pytest.raises(ReviewflowError, match="only the studies labelled relevant"):
        load_decisions(
            [path], "asreview", resolver=StudyResolver(links, studies), stage="title_abstract"
        )


# --- round trip: our decisions out in a tool's import layout, read back ----------------------


def test_asreview_round_trip(tmp_path, native):
    """Final decisions -> the labelled dataset LAB imports -> LAB's export -> same decisions."""
    from reviewflow.screening.formats.asreview import upload_table

    decided = read_csv(native[0] / "title_abstract.csv")
    upload = upload_table(read_csv(DATA / "studies.csv"), decided)
    # what LAB adds on export: its row number first, its own columns after ours
    exported = upload.assign(asreview_note="", asreview_user_name="carol", title="edited in LAB")
    exported.insert(0, "", range(len(exported)))
    path = write_as(exported, tmp_path / "carol.csv")
    votes = load_decisions([path], "asreview", resolver=resolver(), stage="title_abstract")
    assert dict(zip(votes["id"], votes["decision"], strict=True)) == dict(
        zip(decided["study_id"], decided["decision"], strict=True)
    )


def test_rayyan_round_trip(tmp_path, native):
    """Studies -> Rayyan's CSV import (key = study id) -> Rayyan's export -> same decisions."""
    from reviewflow.screening.formats.rayyan import upload_table

    decided = read_csv(native[0] / "full_text.csv")
    upload = upload_table(read_csv(DATA / "studies.csv"))
    assert list(upload.columns[:3]) == ["key", "title", "authors"]
    verdict = {"include": "Included", "exclude": "Excluded", "not_retrieved": "Excluded"}
    decision = dict(zip(decided["study_id"], decided["decision"], strict=True))
    reason = dict(zip(decided["study_id"], decided["reason"], strict=True))

    def notes(study: str) -> str:  # what Rayyan writes into notes on export
        why = "full text not retrieved" if decision[study] == "not_retrieved" else reason[study]
        text = f'RAYYAN-INCLUSION: {{"carol"=>"{verdict[decision[study]]}"}}'
        return text + (f" | RAYYAN-EXCLUSION-REASONS: {why}" if why else "")

    exported = upload[upload["key"].isin(decision)].assign(
        title="retitled by a colleague",  # the key alone must find the study
        notes=lambda t: t["key"].map(notes),
    )
    path = write_as(exported, tmp_path / "articles.csv")
    votes = load_decisions([path], "rayyan", resolver=resolver(), stage="full_text")
    assert list(zip(votes["id"], votes["decision"], votes["reason"], strict=True)) == list(
        zip(decided["study_id"], decided["decision"], decided["reason"], strict=True)
    )


def test_sheet_writes_tool_files(tmp_path, native):
    from reviewflow.screening import sheet

    args = argparse.Namespace(
        stage="full_text",
        decisions=[str(DATA / "full_text.csv")],
        resolutions=DATA / "resolutions.csv",
        links=DATA / "links.csv",
        studies=DATA / "studies.csv",
        config=DATA / "config.yaml",
        format=None,
        exclusion_reasons=None,
        previous=native[0] / "title_abstract.csv",
        out_dir=tmp_path,
        rank=False,
        tool_files=True,
    )
    sheet.run(args)
    lab = read_csv(tmp_path / "asreview_full_text.csv")
    assert len(lab) == 6  # the studies included at title/abstract
    assert dict(zip(lab["study_id"], lab["asreview_label"], strict=True))["scopus:4"] == ""
    assert read_csv(tmp_path / "rayyan_full_text.csv")["key"].tolist() == lab["study_id"].tolist()


@pytest.mark.parametrize("fmt", ["asreview", "rayyan", "covidence"])
def test_header_only_template_is_nothing_decided_in_any_format(tmp_path, fmt):
    path = tmp_path / "review_1_included_title_abstract.csv"
    path.write_text("id,reviewer,decision,reason,note\n")
    assert len(load_decisions([path], fmt, resolver=resolver(), stage="title_abstract")) == 0
