"""Stage 1 end to end on hand-made fixtures: records.csv, report, hits check, determinism."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import run_snakemake

from reviewflow.cli import main
from reviewflow.files import read_csv
from reviewflow.records import COLUMNS

DATA = Path(__file__).parent / "data" / "readers"

LOG = """\
searches:
  - id: scopus
    source: Scopus
    kind: database
    date: 2019-02-14
    query: personalisation
    file: exports/basic.ris
    hits: {ris_hits}
    hits_note: {note}
  - id: pubmed
    source: PubMed
    kind: database
    date: 2019-02-14
    query: personalisation
    file: exports/basic.nbib
    format: medline
    hits: 2
"""


def _project(tmp_path, ris_hits=2, note="null") -> Path:
    raw = tmp_path / "data" / "raw"
    (raw / "exports").mkdir(parents=True)
    for name in ("basic.ris", "basic.nbib"):
        shutil.copy(DATA / name, raw / "exports" / name)
    (raw / "searches.yaml").write_text(LOG.format(ris_hits=ris_hits, note=note))
    return raw / "searches.yaml"


def _run(log: Path, out: Path) -> int:
    return main(["import", "--search-log", str(log), "--out", str(out / "records.csv"),
                 "--report", str(out / "import_report.json")])  # fmt: skip


def test_import_writes_records_and_report(tmp_path):
    log = _project(tmp_path)
    assert _run(log, tmp_path / "a") == 0
    df = read_csv(tmp_path / "a" / "records.csv")
    assert list(df.columns) == COLUMNS
    assert list(df["record_id"]) == ["scopus:1", "scopus:2", "pubmed:1", "pubmed:2"]
    assert list(df["line"]) == ["5", "25", "1", "22"]
    assert df.loc[2, "source_file"] == "exports/basic.nbib" and df.loc[2, "kind"] == "database"
    assert df.loc[0, "doi"] == "10.1017/s0047279418000xyz"
    report = json.loads((tmp_path / "a" / "import_report.json").read_text())
    assert report["total_records"] == 4
    s, p = report["searches"]
    assert (s["format"], s["encoding"], s["records"], s["hits"]) == ("ris", "UTF-8", 2, 2)
    assert p["format_given"] == "medline" and p["warnings"] == []
    assert any("between records" in w for w in s["warnings"])
    # Same inputs, byte-identical outputs.
    assert _run(log, tmp_path / "b") == 0
    for name in ("records.csv", "import_report.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_hits_mismatch_stops_with_both_numbers(tmp_path, capsys):
    log = _project(tmp_path, ris_hits=3)
    assert _run(log, tmp_path / "out") == 1
    err = capsys.readouterr().err
    assert "exports/basic.ris" in err and "2 records parsed" in err and "reported 3 hits" in err
    assert not (tmp_path / "out" / "records.csv").exists()


def test_hits_note_explains_mismatch(tmp_path):
    log = _project(tmp_path, ris_hits=3, note="one record failed to export")
    assert _run(log, tmp_path / "out") == 0
    report = json.loads((tmp_path / "out" / "import_report.json").read_text())
    assert "one record failed to export" in report["searches"][0]["warnings"][-1]


@pytest.mark.parametrize("broken", ["TY  - JOUR\nTI  - cut", "\x00\x01"])
def test_bad_export_is_a_clean_error(tmp_path, capsys, broken):
    log = _project(tmp_path)
    (log.parent / "exports" / "basic.ris").write_text(broken)
    assert _run(log, tmp_path / "out") == 1
    err = capsys.readouterr().err
    assert err.startswith("reviewflow: error: ") and "basic.ris" in err
    assert "Traceback" not in err


def test_empty_export_is_an_error_even_for_zero_hits(tmp_path, capsys):
    """The issue: an empty file gets a clear error (it may be a failed download)."""
    log = _project(tmp_path)
    (log.parent / "exports" / "none.ris").write_text("")
    log.write_text(
        log.read_text()
        + "  - id: empty\n    source: ERIC\n    kind: database\n    date: 2019-02-14\n"
        "    query: x\n    file: exports/none.ris\n    hits: 0\n"
    )
    assert _run(log, tmp_path / "out") == 1
    assert "none.ris: file is empty" in capsys.readouterr().err


def test_symlink_out_of_raw_is_refused(tmp_path, capsys):
    log = _project(tmp_path)
    outside = tmp_path / "secret.ris"
    shutil.copy(DATA / "basic.ris", outside)
    target = log.parent / "exports" / "basic.ris"
    target.unlink()
    target.symlink_to(outside)
    assert _run(log, tmp_path / "out") == 1
    assert "leads outside data/raw" in capsys.readouterr().err


def test_a_search_split_over_files_is_one_source(tmp_path):
    """Web of Science exports 500 records per file: a glob makes them one search whose hits
    count all files, record ids run on, and each record keeps its own file and line."""
    log = _project(tmp_path, ris_hits=4)
    exports = log.parent / "exports"
    shutil.copy(DATA / "basic.ris", exports / "basic2.ris")
    log.write_text(log.read_text().replace("file: exports/basic.ris", 'file: "exports/basic*.ris"'))
    assert _run(log, tmp_path / "out") == 0
    df = read_csv(tmp_path / "out" / "records.csv")
    scopus = df[df["search_id"] == "scopus"]
    assert list(scopus["record_id"]) == ["scopus:1", "scopus:2", "scopus:3", "scopus:4"]
    assert list(scopus["source_file"]) == ["exports/basic.ris"] * 2 + ["exports/basic2.ris"] * 2
    assert list(scopus["line"]) == ["5", "25", "5", "25"] and set(scopus["source"]) == {"Scopus"}
    report = json.loads((tmp_path / "out" / "import_report.json").read_text())
    s = report["searches"][0]
    assert s["file"] == ["exports/basic.ris", "exports/basic2.ris"] and s["records"] == 4
    assert [f["records"] for f in s["files"]] == [2, 2]
    assert all(w.startswith("exports/basic") for w in s["warnings"])


def test_split_search_hits_count_all_files(tmp_path, capsys):
    log = _project(tmp_path, ris_hits=2)
    shutil.copy(DATA / "basic.ris", log.parent / "exports" / "basic2.ris")
    log.write_text(
        log.read_text().replace(
            "file: exports/basic.ris", "file: [exports/basic.ris, exports/basic2.ris]"
        )
    )
    assert _run(log, tmp_path / "out") == 1
    err = capsys.readouterr().err
    assert "searches.yaml:2:" in err and "4 records parsed" in err and "reported 2 hits" in err


def test_two_searches_on_one_file_is_an_error(tmp_path, capsys):
    log = _project(tmp_path)
    log.write_text(log.read_text().replace("exports/basic.nbib", "exports/basic.ris"))
    assert _run(log, tmp_path / "out") == 1
    err = capsys.readouterr().err
    assert "searches.yaml:10:" in err and "also read by search 'scopus' (line 2)" in err


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "file: exports/wos.txt",
            "file: 2019",
            "searches.yaml:11 (record wos): search log entry: `file`",
        ),
        ("Elsevier", "Els\udce9vier", "searches.yaml:6: not UTF-8"),
        ("file: exports/wos.txt", "file: exports/scopus.ris", "also read by search 'scopus'"),
    ],
)
def test_snakemake_stops_at_planning_on_a_bad_search_log(review_project, old, new, expected):
    """Issue 13 broken case 6: the input function swallowed these and the import was skipped."""
    log = review_project / "data" / "raw" / "searches.yaml"
    log.write_bytes(
        log.read_text("utf-8").replace(old, new).encode("utf-8", errors="surrogateescape")
    )
    proc = run_snakemake(review_project, "-n", "data/processed/records/records.csv", check=False)
    assert proc.returncode != 0
    assert expected in proc.stdout + proc.stderr


@pytest.mark.slow
def test_a_new_file_matching_a_glob_reruns_the_import(review_project):
    """The input function resolves globs as the import does, so the new file is an input."""
    raw = review_project / "data" / "raw"
    log = raw / "searches.yaml"
    log.write_text(log.read_text("utf-8").replace("exports/wos.txt", '"exports/wos*.txt"'))
    main(["manifest", "--update", "--raw-dir", str(raw)])
    target = "data/processed/records/records.csv"
    run_snakemake(review_project, target)
    assert "import_records" not in run_snakemake(review_project, "-n", target).stdout
    shutil.copy(raw / "exports" / "wos.txt", raw / "exports" / "wos_2.txt")
    assert "import_records" in run_snakemake(review_project, "-n", target).stdout


def test_a_repeated_config_key_stops_snakemake(review_project):
    """Snakemake's own loader would keep the second `screening:` and drop the first."""
    config = review_project / "config" / "config.yaml"
    text = config.read_text("utf-8")
    first = text.splitlines().index(
        next(ln for ln in text.splitlines() if ln.startswith("screening:"))
    )
    config.write_text(text + "screening: {}\n")
    proc = run_snakemake(review_project, "-n", check=False)
    assert proc.returncode != 0
    assert f"duplicate key 'screening' (first on line {first + 1})" in proc.stdout + proc.stderr
