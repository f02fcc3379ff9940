"""Import speed on 100,000 generated records per format, beside the raw parser's own time.

Prints records/second of ``reviewflow.readers.read_file`` for RIS, MEDLINE and BibTeX and
the raw parse time of rispy / Bio.Medline / bibtexparser on the same file, with our overhead
as a ratio. Target: 100,000 RIS records in under 10 s. Run: .venv/bin/python benchmarks/...
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

import bibtexparser
import rispy
from Bio import Medline

from reviewflow.ingest import records_frame
from reviewflow.readers import _gc_paused, read_file


def ris_text(n: int) -> str:
    return "".join(
        f"TY  - JOUR\nAU  - Smith, John\nAU  - Doe, Ann {i}\nTI  - Title number {i} about care\n"
        f"T2  - Journal of Tests\nPY  - {1990 + i % 30}\nVL  - {i % 50}\nIS  - 2\nSP  - 10\n"
        f"EP  - 20\nDO  - 10.1000/test.{i}\nKW  - care\nKW  - policy\n"
        f"AB  - An abstract of record {i}\n  continued on a second line.\nER  - \n\n"
        for i in range(n)
    )


def medline_text(n: int) -> str:
    return "".join(
        f"PMID- {1000000 + i}\nOWN - NLM\nTI  - Title number {i} about\n      care.\n"
        f"AB  - An abstract of record {i}.\nFAU - Smith, John\nAU  - Smith J\nFAU - Doe, Ann\n"
        f"AU  - Doe A\nDP  - {1990 + i % 30} Mar\nTA  - J Tests\nJT  - Journal of Tests\n"
        f"VI  - {i % 50}\nIP  - 2\nPG  - 10-20\nLID - 10.1000/test.{i} [doi]\n"
        f"PT  - Journal Article\nOT  - care\n\n"
        for i in range(n)
    )


def bibtex_text(n: int) -> str:
    return "".join(
        f"@article{{key{i},\n  author = {{Smith, John and Doe, Ann}},\n"
        f"  title = {{Title number {i} about care}},\n  journal = {{Journal of Tests}},\n"
        f"  year = {{{1990 + i % 30}}},\n  volume = {{{i % 50}}},\n  pages = {{10--20}},\n"
        f"  doi = {{10.1000/test.{i}}},\n  abstract = {{An abstract of record {i}}},\n}}\n\n"
        for i in range(n)
    )


def _time(fn) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process, result): CPU time is what to compare
    when other jobs share the two cores; wall time is what a user waits."""
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - t, time.process_time() - c, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=100_000, help="records per file")
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    cases = [
        ("RIS", "x.ris", ris_text, lambda t: rispy.loads(t), "rispy"),
        ("MEDLINE", "x.nbib", medline_text, lambda t: list(Medline.parse(t.splitlines(True))),
         "Bio.Medline"),
        ("BibTeX", "x.bib", bibtex_text, lambda t: bibtexparser.parse_string(t).entries,
         "bibtexparser"),
    ]  # fmt: skip
    print(
        f"{'format':8} {'records':>8} {'ours wall':>9} {'ours cpu':>8} {'rec/s cpu':>9} "
        f"{'table cpu':>9} {'raw cpu':>7} {'raw parser':13} {'ratio':>6}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for label, name, make, raw, raw_name in cases:
            path = Path(tmp) / name
            text = make(args.n)
            path.write_text(text, encoding="utf-8")
            wall, cpu, recs = _time(lambda p=path: read_file(p))
            meta = {"search_id": "s", "source": "S", "kind": "database", "source_file": name}
            rows = [{**r, **meta, "record_id": f"s:{r['position']}"} for r in recs]
            _, table_cpu, _ = _time(lambda r=rows: records_frame(r))
            with _gc_paused():  # the same conditions our import runs under
                _, raw_cpu, raw_out = _time(lambda t=text, f=raw: f(t))
            assert len(recs) == args.n == len(raw_out), (label, len(recs), len(raw_out))
            print(
                f"{label:8} {len(recs):8d} {wall:9.2f} {cpu:8.2f} {len(recs) / cpu:9.0f} "
                f"{table_cpu:9.2f} {raw_cpu:7.2f} {raw_name:13} {cpu / raw_cpu:5.2f}x",
                flush=True,
            )
    print("ours = reviewflow.readers.read_file (decode, detect, parse, map, original JSON);")
    print("table = ingest.records_frame (DataFrame + pandera validation) on those records;")
    print("ratio = ours cpu / raw parser cpu on the same text.")


if __name__ == "__main__":
    main()
