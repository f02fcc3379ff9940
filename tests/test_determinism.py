"""Reproducible to the byte (issue 7).

Two builds of the fixture review in separate temporary directories give byte-identical
`data/processed/` and the same manuscript text; interrupted writes leave nothing behind.
The two builds are the offline builds of test_offline.py (cached per session), so proving
offline and proving determinism costs two builds, not four.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO
from test_offline import build_once, unshare_prefix

from reviewflow import files

# Under pytest-xdist one worker runs this module and test_offline.py, whose cached builds it
# compares, so each is made once.
pytestmark = pytest.mark.xdist_group("offline-builds")

# --- interrupted runs: atomic outputs, --rerun-incomplete ------------------------------------


class Interrupted(Exception):
    pass


def test_write_that_raises_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "out" / "records.csv"
    with pytest.raises(Interrupted), files.atomic_path(target) as tmp:
        tmp.write_text("record_id\nscopus:1\n", encoding="utf-8")
        raise Interrupted
    assert not target.exists()
    assert list(target.parent.iterdir()) == []  # no temporary file either


def test_write_that_raises_keeps_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "counts.json"
    files.write_json({"included": 5}, target)
    before = target.read_bytes()
    with pytest.raises(KeyboardInterrupt), files.atomic_path(target) as tmp:
        tmp.write_text('{"included": ', encoding="utf-8")  # half written
        raise KeyboardInterrupt
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["counts.json"]


def test_failing_dataframe_write_leaves_no_file(tmp_path: Path) -> None:
    class Exploding:
        def to_csv(self, *args, **kwargs):
            Path(args[0]).write_text("partial", encoding="utf-8")
            raise OSError("disk full")

    target = tmp_path / "t.csv"
    with pytest.raises(OSError, match="disk full"):
        files.write_csv(Exploding(), target)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_make_paper_reruns_incomplete_jobs() -> None:
    """`make paper` resumes an interrupted build instead of trusting half-made outputs."""
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^paper:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe, "no paper target in the Makefile"
    assert re.search(r"\bsnakemake\b.*--rerun-incomplete", recipe.group(1))


def test_writers_are_byte_identical_and_sorted(tmp_path: Path) -> None:
    import pandas as pd

    data = {"b": [2, 1], "a": {"z": "\u00e9", "y": None}}
    files.write_json(data, tmp_path / "1.json")
    files.write_json(dict(reversed(data.items())), tmp_path / "2.json")
    assert (tmp_path / "1.json").read_bytes() == (tmp_path / "2.json").read_bytes()
    assert (tmp_path / "1.json").read_text(encoding="utf-8").index('"a"') < 10
    files.write_csv(pd.DataFrame({"x": ["1", "é"]}), tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_bytes() == "x\n1\né\n".encode()


# --- two whole builds ------------------------------------------------------------------------


def tree_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root``, keyed by its path relative to ``root``."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def pdf_text(pdf: Path) -> str:
    proc = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory):
    first = build_once("guard", tmp_path_factory)
    # The second build is the network-namespace one where available, else a second plain one.
    second = build_once("unshare" if unshare_prefix() else "guard-2", tmp_path_factory)
    first.assert_succeeded()
    second.assert_succeeded()
    assert first.project != second.project
    return first.project, second.project


@pytest.mark.slow
def test_processed_data_is_byte_identical(two_builds) -> None:
    a, b = (p / "data" / "processed" for p in two_builds)
    ha, hb = tree_hashes(a), tree_hashes(b)
    assert sorted(ha) == sorted(hb), "the two builds wrote different files"
    differ = sorted(name for name in ha if ha[name] != hb[name])
    assert differ == [], f"files that differ between two builds: {differ}"
    assert "provenance.json" in ha and "records/records.csv" in ha


@pytest.mark.slow
def test_processed_data_holds_no_build_specific_text(two_builds) -> None:
    """No absolute temporary path of either build leaks into a processed file."""
    for project in two_builds:
        processed = project / "data" / "processed"
        for path in sorted(processed.rglob("*")):
            if path.is_file():
                data = path.read_bytes()
                assert str(project).encode() not in data, path.relative_to(project)


@pytest.mark.slow
def test_manuscript_html_is_identical(two_builds) -> None:
    a, b = (p / "manuscript" / "_output" / "index.html" for p in two_builds)
    assert a.read_bytes() == b.read_bytes()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler's pdftotext not found")
def test_manuscript_pdf_text_is_identical(two_builds) -> None:
    a, b = (p / "manuscript" / "_output" / "index.pdf" for p in two_builds)
    text = pdf_text(a)
    assert len(text.split()) > 100  # a real paper, not an empty page
    assert text == pdf_text(b)


@pytest.mark.slow
def test_manuscript_pdf_is_byte_identical(two_builds) -> None:
    """The render pins SOURCE_DATE_EPOCH, so even the PDF's metadata dates match."""
    a, b = (p / "manuscript" / "_output" / "index.pdf" for p in two_builds)
    assert a.read_bytes() == b.read_bytes()
