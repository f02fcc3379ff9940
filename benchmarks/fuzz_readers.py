"""Mutation fuzzing of the export readers on real samples (issue 13).

Every sample in ``../shared/exports`` (when present), every ``tests/hostile/seed.*`` and
every reader fixture in ``tests/data/readers`` is mutated at random, the way files get
damaged (cut short, bytes flipped, lines swapped or repeated, tags bent, control
characters, NULs, other line ends; XLSX members edited inside the zip), and read. Each
outcome must be records or a ReviewflowError naming the file; any other exception is a
crash. Prints cases/second and every crash, and saves crashing inputs to ``--crash-dir``
so each can be replayed. ``tests/test_fuzz_readers.py`` runs the same loop with a fixed
seed and a few seconds' budget. Run: ``.venv/bin/python benchmarks/fuzz_readers.py
--seconds 300``.
"""

from __future__ import annotations

import argparse
import io
import logging
import random
import tempfile
import time
import traceback
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from reviewflow.errors import ReviewflowError
from reviewflow.readers import read_export

REPO = Path(__file__).resolve().parents[1]
SHARED_EXPORTS = REPO.parent / "shared" / "exports"
HOSTILE = REPO / "tests" / "hostile"
FIXTURES = REPO / "tests" / "data" / "readers"  # one per format, reference managers too

# Fragments real exports are made of, so mutations reach the parsers' inner branches.
TOKENS = [
    b"TY  - ", b"ER  - ", b"PT ", b"PT-", b"ER", b"EF", b"FN ", b"PMID- ", b"AU  - ", b"%0 ",
    b"%A ", b"@article{", b"}", b"{", b'"', b",", b"\t", b"\n", b"\r\n", b"\r", b"  ", b"=",
    b"\\", b"<record>", b"</record>", b"<!DOCTYPE x>", b"[", b"]", b'{"title": ', b"\x00",
    b"\x1b", b"\xef\xbb\xbf", b"\xff\xfe", b"\xc3", b"10.1000/x", b"(2019) ", b"title = {",
]  # fmt: skip


def samples(include_shared: bool = True) -> list[Path]:
    """Real export samples, then the hand-written seeds and reader fixtures; sorted, so runs
    are repeatable."""
    found = []
    if include_shared and SHARED_EXPORTS.is_dir():
        found += sorted(
            p
            for p in SHARED_EXPORTS.rglob("*")
            if p.is_file()
            and p.name not in ("MANIFEST.csv", "SOURCES.md", "LICENSE", "DESCRIPTION", "README.md")
            and "asreview_lab" not in p.parts
            and "expected" not in p.parts
        )
    found += sorted(HOSTILE.glob("seed*"))
    found += sorted(p for p in FIXTURES.iterdir() if p.suffix != ".md")
    return found


def _mutate_text(data: bytes, rng: random.Random) -> bytes:
    """1-4 edits of the kinds real files suffer."""
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        n = len(data)
        i = rng.randint(0, n)
        j = rng.randint(i, min(n, i + 64))
        kind = rng.choice(
            ["truncate", "delete", "insert", "token", "duplicate", "flip", "swap_lines",
             "repeat_line", "bend_tag", "line_ends"]
        )  # fmt: skip
        if kind == "truncate":
            del data[i:]
        elif kind == "delete":
            del data[i:j]
        elif kind == "insert":
            data[i:i] = rng.randbytes(rng.randint(1, 16))
        elif kind == "token":
            data[i:i] = rng.choice(TOKENS)
        elif kind == "duplicate":
            data[j:j] = data[i:j]
        elif kind == "flip" and i < n:
            data[i] = rng.randint(0, 255)
        elif kind in ("swap_lines", "repeat_line", "bend_tag"):
            lines = bytes(data).split(b"\n")
            a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
            if kind == "swap_lines":
                lines[a], lines[b] = lines[b], lines[a]
            elif kind == "repeat_line":
                lines.insert(b, lines[a])
            elif len(lines[a]) > 2:  # "PT J" -> "PT-J", "TY  - " -> "TY - "
                sep = rng.choice([b"-", b"", b"  ", b" - ", b"\t"])
                lines.insert(a + 1, lines[a][:2] + sep + lines[a][3:])
            data = bytearray(b"\n".join(lines))
        elif kind == "line_ends":
            data = bytearray(bytes(data).replace(b"\n", rng.choice([b"\r", b"\r\n", b"\r\r\n"])))
    return bytes(data)


def mutate(data: bytes, rng: random.Random) -> bytes:
    """A damaged copy of ``data``; for a zip (XLSX), usually one member edited inside it."""
    if data.startswith(b"PK\x03\x04") and rng.random() < 0.8:
        try:
            src = zipfile.ZipFile(io.BytesIO(data))
            members = src.infolist()
            target = rng.choice(members).filename
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
                for info in members:
                    body = src.read(info.filename)
                    if info.filename == target:
                        body = _mutate_text(body, rng)
                    dst.writestr(info.filename, body)
            return out.getvalue()
        except zipfile.BadZipFile:
            pass
    return _mutate_text(data, rng)


@dataclass
class Report:
    cases: int = 0
    records: int = 0
    errors: int = 0
    seconds: float = 0.0
    crashes: list[tuple[str, bytes, str]] = field(default_factory=list)  # sample, input, trace
    slowest: tuple[float, str] = (0.0, "")


def check_outcome(path: Path) -> int:
    """Read ``path``; return the number of records, 0 for a proper ReviewflowError.

    Anything else raises: a crash, an error not naming the file, or half-built records.
    """
    try:
        records = read_export(path).records
    except ReviewflowError as exc:
        if exc.path != str(path):
            raise AssertionError(f"error does not name the file: {exc}") from None
        return 0
    if not records or [r["position"] for r in records] != list(range(1, len(records) + 1)):
        raise AssertionError("records without positions 1..n")
    for r in records:
        if not (isinstance(r["line"], int) and r["line"] >= 1):
            raise AssertionError(f"bad line {r['line']!r}")
        if any("\x00" in r[k] for k in ("title", "abstract", "original")):
            raise AssertionError("a NUL reached the records")
    return len(records)


def fuzz(paths: list[Path], seconds: float, seed: int = 0, max_cases: int | None = None) -> Report:
    """Mutate the samples round-robin with ``random.Random(seed)`` until the budget is spent."""
    rng = random.Random(seed)
    blobs = [(p, p.read_bytes()) for p in paths]
    report = Report()
    start = time.perf_counter()
    logging.disable(logging.WARNING)  # readers warn on most damaged files; we count outcomes
    try:
        with tempfile.TemporaryDirectory() as tmp:
            while time.perf_counter() - start < seconds and blobs:
                for sample, data in blobs:
                    if max_cases is not None and report.cases >= max_cases:
                        break
                    case = mutate(data, rng)
                    path = Path(tmp) / f"case{sample.suffix}"
                    path.write_bytes(case)
                    t = time.perf_counter()
                    try:
                        n = check_outcome(path)
                    except Exception:  # noqa: BLE001 - any other outcome is what we look for
                        report.crashes.append((str(sample), case, traceback.format_exc()))
                    else:
                        report.records += n > 0
                        report.errors += n == 0
                    took = time.perf_counter() - t
                    report.slowest = max(report.slowest, (took, str(sample)))
                    report.cases += 1
                    if time.perf_counter() - start >= seconds:
                        break
                if max_cases is not None and report.cases >= max_cases:
                    break
    finally:
        logging.disable(logging.NOTSET)
    report.seconds = time.perf_counter() - start
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60, help="time budget")
    ap.add_argument("--seed", type=int, default=0, help="random seed (same seed, same cases)")
    ap.add_argument("--crash-dir", type=Path, default=Path("fuzz-crashes"))
    args = ap.parse_args()
    paths = samples()
    report = fuzz(paths, args.seconds, args.seed)
    print(
        f"{len(paths)} samples, {report.cases} cases in {report.seconds:.1f} s "
        f"({report.cases / report.seconds:.0f} cases/s): {report.records} read, "
        f"{report.errors} named errors, {len(report.crashes)} crashes; slowest case "
        f"{report.slowest[0]:.2f} s ({Path(report.slowest[1]).name})"
    )
    for i, (sample, case, trace) in enumerate(report.crashes):
        args.crash_dir.mkdir(parents=True, exist_ok=True)
        out = args.crash_dir / f"crash{i}{Path(sample).suffix}"
        out.write_bytes(case)
        print(f"\nCRASH from {sample} (input saved as {out}):\n{trace}")


if __name__ == "__main__":
    main()
