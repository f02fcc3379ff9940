"""Fuzzing the export readers (issue 7): random bytes and mutated records never crash a reader
with anything but ReviewflowError, and that error names the file.

Seeds are the hand-written `tests/hostile/seed.*` files, one per reader format (the XLSX seed
is built here from seed.csv). Set REVIEWFLOW_FUZZ_EXAMPLES to fuzz harder than the default.
"""

from __future__ import annotations

import functools
import io
import json
import os
import re
import tempfile
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reviewflow.errors import ReviewflowError
from reviewflow.files import read_csv
from reviewflow.readers import FORMATS, read_export

HOSTILE = Path(__file__).parent / "hostile"
SEEDS = {
    "ris": "seed.ris",
    "medline": "seed.nbib",
    "wos": "seed_wos.txt",
    "refer": "seed.enw",
    "bibtex": "seed.bib",
    "csv": "seed.csv",
    "tsv": "seed.tsv",
    "endnote_xml": "seed.xml",
    "scholar_json": "seed.json",
    "reference_list": "seed_references.txt",
    "xlsx": None,  # built from seed.csv by xlsx_seed()
}
SUFFIX = {"xlsx": ".xlsx", "csv": ".csv", "tsv": ".tsv", "bibtex": ".bib", "ris": ".ris"}

EXAMPLES = int(os.environ.get("REVIEWFLOW_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    # Generous: catches a reader that hangs (catastrophic regex) without flaking on a busy box.
    deadline=timedelta(seconds=10),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,  # the same examples every run: a failure is reproducible, not flaky
)


@functools.cache
def xlsx_seed() -> bytes:
    """seed.csv as a workbook, the way a user would save a Scopus CSV from Excel.

    Byte-stable (fixed document dates and zip times) so the fuzzer's examples are too.
    """
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    table = read_csv(HOSTILE / "seed.csv")
    ws.append(list(table.columns))
    for row in table.itertuples(index=False):
        ws.append(list(row))
    raw, out = io.BytesIO(), io.BytesIO()
    wb.save(raw)
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            data = src.read(info)
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" on save
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2000-01-01T00:00:00Z", data)
            dst.writestr(zipfile.ZipInfo(info.filename, (1980, 1, 1, 0, 0, 0)), data)
    return out.getvalue()


def seed_bytes(fmt: str) -> bytes:
    return xlsx_seed() if SEEDS[fmt] is None else (HOSTILE / SEEDS[fmt]).read_bytes()


def read_or_error(data: bytes, fmt: str | None, suffix: str = ".txt") -> list[dict] | None:
    """Records, or None after checking the ReviewflowError names the file.

    Any other exception propagates and fails the test: that is what fuzzing looks for.
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"export{suffix}"
        path.write_bytes(data)
        try:
            result = read_export(path, fmt)
        except ReviewflowError as exc:
            assert exc.path == str(path), f"error does not name the file: {exc}"
            assert exc.message.strip()
            assert exc.line is None or (isinstance(exc.line, int) and exc.line >= 1)
            return None
    records = result.records
    # Whatever a reader accepts must be a well-formed record list: nothing half-built.
    assert records, "a reader returned no records without an error"
    assert [r["position"] for r in records] == list(range(1, len(records) + 1))
    for rec in records:
        assert isinstance(rec["line"], int) and rec["line"] >= 1
        assert all(isinstance(rec[k], str) for k in ("title", "authors", "year", "doi"))
        assert isinstance(json.loads(rec["original"]), dict)
    return records


def test_every_format_has_a_seed() -> None:
    assert set(SEEDS) == set(FORMATS)


@pytest.mark.parametrize("fmt", sorted(SEEDS))
def test_seeds_read_whole(fmt: str) -> None:
    """The unmutated seeds are valid: two records each, found by detection and when forced."""
    data = seed_bytes(fmt)
    suffix = SUFFIX.get(fmt, ".txt")
    for forced in (None, fmt):
        records = read_or_error(data, forced, suffix)
        assert records is not None and len(records) == 2, (fmt, forced)


# --- random input --------------------------------------------------------------------------


@FUZZ
@given(data=st.binary(max_size=4096))
def test_random_bytes_detected(data: bytes) -> None:
    read_or_error(data, None)


@pytest.mark.parametrize("fmt", sorted(SEEDS))
@FUZZ
@given(data=st.binary(max_size=2048))
def test_random_bytes_forced_format(fmt: str, data: bytes) -> None:
    read_or_error(data, fmt, SUFFIX.get(fmt, ".txt"))


# Text that looks a little like an export: tag-ish line starts, separators, quotes, braces.
_TOKENS = st.sampled_from(
    ["TY  - ", "ER  - ", "PT ", "ER", "EF", "PMID- ", "AU  - ", "%0 ", "%A ", "@article{",
     "}", "{", "\"", ",", "\t", "\n", "\r\n", "  ", "<record>", "</record>", "<xml><records>",
     "[", "]", "{\"title\": ", "(2019) ", "Title,Authors,Year\n", "\\", "=", "\ufeff", "\x00"]
)  # fmt: skip
_EXPORTISH = st.lists(st.one_of(_TOKENS, st.text(max_size=12)), max_size=80).map("".join)


@pytest.mark.parametrize("fmt", [None, *sorted(f for f in SEEDS if f != "xlsx")])
@FUZZ
@given(text=_EXPORTISH)
def test_exportish_text(fmt: str | None, text: str) -> None:
    read_or_error(text.encode("utf-8", "surrogatepass"), fmt, SUFFIX.get(fmt or "", ".txt"))


# --- mutated seeds -------------------------------------------------------------------------


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """The seed after 1-4 random edits of the kinds real files suffer."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        n = len(data)
        i = draw(st.integers(0, n))
        j = draw(st.integers(i, min(n, i + 64)))
        kind = draw(
            st.sampled_from(["truncate", "delete", "insert", "duplicate", "flip", "swap_lines"])
        )
        if kind == "truncate":
            del data[i:]
        elif kind == "delete":
            del data[i:j]
        elif kind == "insert":
            data[i:i] = draw(
                st.one_of(st.binary(max_size=16), _TOKENS.map(lambda t: t.encode("utf-8")))
            )
        elif kind == "duplicate":
            data[j:j] = data[i:j]
        elif kind == "flip" and i < n:
            data[i] = draw(st.integers(0, 255))
        elif kind == "swap_lines":
            lines = bytes(data).split(b"\n")
            a = draw(st.integers(0, len(lines) - 1))
            b = draw(st.integers(0, len(lines) - 1))
            lines[a], lines[b] = lines[b], lines[a]
            data = bytearray(b"\n".join(lines))
    return bytes(data)


@pytest.mark.parametrize("fmt", sorted(SEEDS))
@FUZZ
@given(data=st.data())
def test_mutated_seed(fmt: str, data: st.DataObject) -> None:
    blob = data.draw(mutated(seed_bytes(fmt)))
    forced = data.draw(st.sampled_from([None, fmt]))
    read_or_error(blob, forced, SUFFIX.get(fmt, ".txt"))


@pytest.mark.parametrize("fmt", sorted(f for f in SEEDS if f != "xlsx"))
@pytest.mark.parametrize(
    "encoding", ["utf-16", "utf-8-sig", "cp1252", "latin-1", "utf-16-be", "utf-32"]
)
def test_seed_in_other_encodings(fmt: str, encoding: str) -> None:
    """Re-encoded seeds are read (same titles) or refused with a clear error, never crash."""
    text = seed_bytes(fmt).decode("utf-8")
    records = read_or_error(text.encode(encoding), None, SUFFIX.get(fmt, ".txt"))
    if encoding in ("utf-16", "utf-8-sig", "cp1252", "latin-1"):
        # Encodings real exports use must work (the seeds are ASCII, so cp1252 == UTF-8).
        assert records is not None and len(records) == 2, encoding
        expected = read_or_error(seed_bytes(fmt), None, SUFFIX.get(fmt, ".txt"))
        assert [r["title"] for r in records] == [r["title"] for r in expected]


@pytest.mark.parametrize("line_end", ["\r\n", "\r", "\r\r\n"])
@pytest.mark.parametrize("fmt", sorted(f for f in SEEDS if f != "xlsx"))
def test_seed_with_other_line_ends(fmt: str, line_end: str) -> None:
    text = seed_bytes(fmt).decode("utf-8").replace("\n", line_end)
    records = read_or_error(text.encode("utf-8"), None, SUFFIX.get(fmt, ".txt"))
    expected = read_or_error(seed_bytes(fmt), None, SUFFIX.get(fmt, ".txt"))
    assert records is not None
    assert [r["title"] for r in records] == [r["title"] for r in expected]
    assert [r["line"] for r in records] == [r["line"] for r in expected]


@pytest.mark.parametrize("fmt", ["csv", "tsv", "ris", "medline", "bibtex", "refer"])
def test_ten_megabyte_field_in_every_text_format(fmt: str) -> None:
    """A 10 MB value is kept whole (nothing lost), not cut or refused."""
    huge = "unmet need " * 1_000_000
    text = seed_bytes(fmt).decode("utf-8")
    needle = {
        "csv": "Area deprivation, and",
        "tsv": "Personal health budgets and unmet need",
        "ris": "We compare take-up of direct payments",
        "medline": "We model unmet need by area deprivation.",
        "bibtex": "Area deprivation and unmet need.",
        "refer": "Area deprivation and unmet need,",
    }[fmt]
    assert needle in text
    records = read_or_error(
        text.replace(needle, huge.strip(), 1).encode(), None, SUFFIX.get(fmt, ".txt")
    )
    assert records is not None and len(records) == 2
    longest = max(len(v) for v in records[0].values() if isinstance(v, str))
    assert longest >= len(huge.strip())


# Inputs the fuzzer found; kept as fixed cases so they are checked on every run.
FOUND = {
    # A line that is not a tag where the parser expects one: rispy gives it the key None.
    "ris-untagged-line": (".ris", b"TY  - BOOK\nU  - Lindqvist, Maja\nTI  - Budgets\nER  - \n"),
    "wos-continuation-before-tag": (
        ".txt",
        b"FN Clarivate\nVR 1.0\nPT J\n   Murphy, S\nAU Haddad, L\nTI Budgets\nER\n\nEF\n",
    ),
    # The XML declaration names an encoding Python does not know.
    "endnote-xml-unknown-encoding": (
        ".xml",
        b'<?xml version="1.0" encoding="TF-8"?>\n<xml><records><record><titles><title>Budgets'
        b"</title></titles></record></records></xml>\n",
    ),
}


@pytest.mark.parametrize("case", sorted(FOUND))
def test_found_by_fuzzing(case: str) -> None:
    suffix, data = FOUND[case]
    records = read_or_error(data, None, suffix)
    if records is not None:  # accepted: then no text may be dropped silently
        kept = " ".join(r["original"] for r in records)
        for word in (b"Lindqvist", b"Murphy"):
            if word in data:
                assert word.decode() in kept


# --- mutation fuzzing of real samples (issue 13) ----------------------------------------
# The loop of benchmarks/fuzz_readers.py with a fixed seed and a small budget: the same
# cases every run (the budget only decides how many), each records or a named error.


def _fuzz_module():
    import importlib.util
    import sys

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "fuzz_readers.py"
    spec = importlib.util.spec_from_file_location("fuzz_readers", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_readers"] = module
    spec.loader.exec_module(module)
    return module


fuzz_readers = _fuzz_module()


def _assert_no_crash(report) -> None:
    assert report.cases > 0
    if report.crashes:
        sample, case, trace = report.crashes[0]
        pytest.fail(
            f"{len(report.crashes)} crash(es); first from {sample}: {case[:200]!r}\n{trace}"
        )


def test_mutated_hostile_seeds_give_records_or_named_errors() -> None:
    paths = fuzz_readers.samples(include_shared=False)
    assert len(paths) >= 10
    _assert_no_crash(fuzz_readers.fuzz(paths, seconds=5, seed=13))


@pytest.mark.shared
def test_mutated_shared_exports_give_records_or_named_errors(shared_dir) -> None:
    paths = [p for p in fuzz_readers.samples() if shared_dir in p.parents]
    assert len(paths) >= 50  # every real sample in ../shared/exports
    _assert_no_crash(fuzz_readers.fuzz(paths, seconds=12, seed=13))


def test_fuzzer_finds_a_crash_it_is_shown(monkeypatch) -> None:
    """The loop must report a reader crash, not swallow it (a fuzzer that cannot fail)."""
    report = fuzz_readers.fuzz([HOSTILE / "seed.ris"], seconds=5, seed=1, max_cases=3)
    assert report.cases == 3 and not report.crashes
    monkeypatch.setattr(fuzz_readers, "read_export", lambda path: {}["boom"])
    report = fuzz_readers.fuzz([HOSTILE / "seed.ris"], seconds=5, seed=1, max_cases=2)
    assert len(report.crashes) == 2 and "KeyError" in report.crashes[0][2]


@pytest.mark.parametrize(
    "text",
    [
        # Found by the probe's mutation fuzzing: a tag repeated with a dash (AttributeError).
        "FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nPT-J\nAU Haddad, L\n"
        "TI Personal budgets and older people\nPY 2015\nER\nEF\n",
    ],
)
def test_probe_cases(text: str) -> None:
    assert read_or_error(text.encode(), None) is None
