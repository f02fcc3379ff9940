"""Extraction: codebook loading, the schema built from it, id resolution and coverage."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from reviewflow import extraction as ex
from reviewflow.errors import ReviewflowError
from reviewflow.files import read_csv

DATA = Path(__file__).parent / "data" / "extraction"


@pytest.fixture
def codebook() -> ex.Codebook:
    return ex.load_codebook(DATA / "codebook.yaml")


@pytest.fixture
def rows() -> pd.DataFrame:
    return read_csv(DATA / "extraction.csv")


def build(tmp_path: Path, rows: pd.DataFrame | None = None, **files: str) -> pd.DataFrame:
    """Run the whole extraction on the fixture, with some rows or files replaced."""
    paths = {n: DATA / f"{n}.csv" for n in ("extraction", "full_text", "studies")}
    if rows is not None:
        paths["extraction"] = tmp_path / "extraction.csv"
        rows.to_csv(paths["extraction"], index=False, lineterminator="\n")
    for name, text in files.items():
        paths[name] = tmp_path / f"{name}.csv"
        paths[name].write_text(text, encoding="utf-8")
    return ex.build_included_studies(
        paths["extraction"], DATA / "codebook.yaml", paths["full_text"], paths["studies"]
    )


def error_of(tmp_path: Path, rows: pd.DataFrame, **files: str) -> ReviewflowError:
    with pytest.raises(ReviewflowError) as info:
        build(tmp_path, rows, **files)
    return info.value


# --- The codebook -----------------------------------------------------------------------------


def test_codebook_fields_and_vocabulary(codebook: ex.Codebook) -> None:
    assert codebook.id_field == "id"
    factors = codebook.field("factors")
    assert factors.type == "multi"
    assert factors.group["household income"] == "economic"
    assert factors.synonyms == {"income": "household income", "employed": "employment"}
    assert codebook.field("sample_size").required is False
    assert codebook.split("a; b ;c") == ["a", "b", "c"]
    table = ex.codebook_table(codebook)
    assert table["field"].tolist()[:3] == ["id", "label", "country"]
    assert table.set_index("field").at["country", "allowed"] == "Australia; England"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"fields": "x"}, "expected a mapping with a list under 'fields'"),
        ({"fields": [{"name": "a", "type": "date", "definition": "d"}]}, "type 'date' is not"),
        ({"fields": [{"name": "a", "type": "category", "definition": "d"}]}, "needs allowed"),
        ({"fields": [{"name": "a", "type": "text"}]}, "field 'a': has no definition"),
        ({"fields": [{"name": "a", "type": "text", "definition": "d"}]}, "exactly one field"),
        (
            {
                "fields": [
                    {
                        "name": "f",
                        "type": "multi",
                        "definition": "d",
                        "vocabulary": [{"value": "x"}],
                    }
                ]
            },
            "vocabulary term",
        ),
    ],
)
def test_codebook_structure_errors(spec: dict, message: str) -> None:
    with pytest.raises(ReviewflowError, match=message) as info:
        ex.parse_codebook(spec, "cb.yaml")
    assert info.value.path == "cb.yaml"


def test_codebook_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    bad = tmp_path / "codebook.yaml"
    bad.write_text("fields:\n  - name: a\n   type: [\n", encoding="utf-8")
    with pytest.raises(ReviewflowError) as info:
        ex.load_codebook(bad)
    assert info.value.path == str(bad) and info.value.line is not None


# --- Validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "column", "value", "expected"),
    [
        (0, "country", "Austrlia", "expected one of: Australia; England"),
        (1, "factors", "education; wealth", "expected each value one of: education"),
        (1, "factors", "education; education", "expected each value one of: education"),
        (0, "sample_size", "thirty", "expected a whole number"),
        (0, "sample_size", "0", "expected at least 1"),
        (2, "design", "", "expected a value (the field is required)"),
        (2, "measures_inequality_directly", "yes", "expected true or false"),
        (1, "label", "Smith 2011", "expected text matching"),
        (0, "id", "Scopus 12", "expected a record id ('scopus:12') or 'doi:<doi>'"),
    ],
)
def test_bad_cell_names_file_line_id_and_expectation(
    tmp_path: Path, rows: pd.DataFrame, row: int, column: str, value: str, expected: str
) -> None:
    rows.loc[row, column] = value
    err = error_of(tmp_path, rows)
    assert err.path == str(tmp_path / "extraction.csv")
    assert err.line == row + 2
    assert err.record == rows.at[row, "id"]
    assert f"{column} = {value!r}, {expected}" in err.message
    assert f"extraction.csv:{row + 2} (record {rows.at[row, 'id']})" in str(err)


def test_all_bad_cells_are_listed(tmp_path: Path, rows: pd.DataFrame) -> None:
    rows.loc[2, "country"] = "Mars"
    rows.loc[0, "sample_size"] = "x"
    err = error_of(tmp_path, rows)
    assert err.line == 2  # the first bad line is the one the error points at
    assert "and 1 more: line 4: country = 'Mars'" in err.message


def test_missing_and_unknown_columns(tmp_path: Path, rows: pd.DataFrame) -> None:
    err = error_of(tmp_path, rows.drop(columns=["design"]).assign(notes="x"))
    assert err.line == 1
    assert "missing column(s) design" in err.message
    assert "column(s) not in the codebook: notes" in err.message


def test_placeholder_id_is_refused(tmp_path: Path, rows: pd.DataFrame) -> None:
    rows.loc[1, "id"] = "TODO:smith2011"
    err = error_of(tmp_path, rows)
    assert (err.line, err.record) == (3, "TODO:smith2011")
    assert "is a placeholder" in err.message


# --- Id resolution and coverage ---------------------------------------------------------------


def test_ids_resolve_by_any_record_id_and_by_doi(tmp_path: Path) -> None:
    out = build(tmp_path)
    assert out["study_id"].tolist() == ["pubmed:1", "scopus:1", "scopus:2"]  # sorted
    by_id = out.set_index("study_id")
    assert by_id.at["scopus:1", "label"] == "Jones and Lee (2012)"  # given as wos:3
    assert by_id.at["pubmed:1", "label"] == "Smith (2011)"  # given as doi:10.1000/ABC
    assert by_id.at["scopus:1", "record_ids"] == "scopus:1; wos:3"
    assert by_id.at["scopus:1", "title"] == "Choice and class"
    assert by_id.at["scopus:2", "sample_size"] == ""
    assert out.columns[:3].tolist() == ["study_id", "label", "country"]
    assert "id" not in out.columns and "doi" in out.columns


def test_resolve_ids_normalises_doi_and_accepts_study_id() -> None:
    studies = read_csv(DATA / "studies.csv")
    df = pd.DataFrame({"id": ["doi:https://doi.org/10.1000/xyz", "scopus:2", "wos:3"]})
    assert ex.resolve_ids(df, studies).tolist() == ["scopus:1", "scopus:2", "scopus:1"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("scopus:99", "'scopus:99' is not a record id of any study"),
        ("doi:10.9/nothing", "no study in studies.csv has DOI '10.9/nothing'"),
    ],
)
def test_unknown_id(tmp_path: Path, rows: pd.DataFrame, value: str, message: str) -> None:
    rows.loc[2, "id"] = value
    err = error_of(tmp_path, rows)
    assert (err.line, err.record) == (4, value)
    assert message in err.message


def test_ambiguous_doi(tmp_path: Path, rows: pd.DataFrame) -> None:
    studies = (DATA / "studies.csv").read_text(encoding="utf-8")
    studies = studies.replace("Agency,2013,,,,,,", "Agency,2013,,,,,10.1000/abc,")
    err = error_of(tmp_path, rows, studies=studies)
    assert err.line == 3
    assert "belongs to several studies (pubmed:1, scopus:2)" in err.message


def test_two_rows_for_one_study(tmp_path: Path, rows: pd.DataFrame) -> None:
    extra = rows.iloc[[0]].assign(id="scopus:1")
    err = error_of(tmp_path, pd.concat([rows, extra], ignore_index=True))
    assert (err.line, err.record) == (5, "scopus:1")
    assert "study scopus:1 already has an extraction row (line 2)" in err.message


def test_row_for_a_study_not_included(tmp_path: Path, rows: pd.DataFrame) -> None:
    rows.loc[2, "id"] = "scopus:3"
    err = error_of(tmp_path, rows)
    assert (err.line, err.record) == (4, "scopus:3")
    assert "study scopus:3 is not included at full text" in err.message


def test_included_study_without_a_row(tmp_path: Path, rows: pd.DataFrame) -> None:
    err = error_of(tmp_path, rows.iloc[:2])
    assert err.path == str(tmp_path / "extraction.csv")
    assert "1 included study has no extraction row: scopus:2" in err.message


def test_included_means_decision_include() -> None:
    ft = pd.DataFrame({"study_id": ["b", "a", "c"], "decision": ["include", "include", "maybe"]})
    assert ex.included_study_ids(ft) == ["a", "b"]


def test_missing_id_column(tmp_path: Path, rows: pd.DataFrame) -> None:
    err = error_of(tmp_path, rows.drop(columns=["id"]))
    assert (err.line, err.record) == (1, None)
    assert "missing column(s) id" in err.message


def test_spreadsheet_bom_and_padding_are_tolerated(tmp_path: Path) -> None:
    text = (DATA / "extraction.csv").read_text(encoding="utf-8")
    text = "\ufeff" + text.replace(",England,", ", England ,")
    out = build(tmp_path, extraction=text)
    assert out.set_index("study_id").at["scopus:1", "country"] == "England"


def test_header_only_file_reports_every_missing_study(tmp_path: Path) -> None:
    header = (DATA / "extraction.csv").read_text(encoding="utf-8").splitlines()[0]
    with pytest.raises(ReviewflowError, match="3 included studies have no extraction row"):
        build(tmp_path, extraction=header + "\n")


def test_not_utf8(tmp_path: Path) -> None:
    text = (DATA / "extraction.csv").read_text(encoding="utf-8").replace("Smith", "Sm\u00eeth")
    (tmp_path / "x.csv").write_bytes(text.encode("cp1252"))
    with pytest.raises(ReviewflowError, match="not a readable CSV") as info:
        ex.build_included_studies(
            tmp_path / "x.csv", DATA / "codebook.yaml", DATA / "full_text.csv", DATA / "studies.csv"
        )
    assert info.value.path == str(tmp_path / "x.csv")


def test_label_must_fit_the_study_its_id_names(tmp_path: Path, rows: pd.DataFrame) -> None:
    rows.loc[0, "label"] = "Brown and Lee (2012)"  # wos:3 is Jones and Lee
    err = error_of(tmp_path, rows)
    assert (err.line, err.record) == (2, "wos:3")
    assert "label 'Brown and Lee (2012)' does not fit study scopus:1" in err.message
    assert "authors are 'Jones, Bo; Lee, Cy'" in err.message


def test_label_year_may_differ_by_one(tmp_path: Path, rows: pd.DataFrame) -> None:
    rows.loc[0, "label"] = "Jones and Lee (2013)"
    assert len(build(tmp_path, rows)) == 3
    rows.loc[0, "label"] = "Jones and Lee (2015)"
    assert "year is 2012" in error_of(tmp_path, rows).message
