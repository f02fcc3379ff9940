"""Time the manuscript render: Quarto cold and warm against pandoc + typst; prints the figures.

    PATH=../shared/tools/quarto/bin:$PATH .venv/bin/python benchmarks/render_benchmark.py \\
        [--manuscript-dir manuscript] [--runs 2]

Each run copies the manuscript project into a fresh temporary folder beside a link to the
real ``data/`` (so nothing in the repository is written), then times ``reviewflow render``
(render, then the output checks) twice in that copy: **cold** (no ``.quarto/``, ``_output/``
or staged inputs) and **warm** (the same copy again). The best of ``--runs`` is kept. To say
what dominates a Quarto render it also times Quarto on an empty one-line document with the
same two formats: Quarto's fixed cost (Deno start-up, its Lua filter chain, the HTML theme).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from reviewflow import render

EMPTY_PROJECT = {
    "_quarto.yml": "project:\n  output-dir: _output\nformat:\n  html:\n    embed-resources: true\n"
    "    theme: default\n  typst: default\n",
    "index.qmd": "---\ntitle: Empty\n---\n\nOne line.\n",
}


def fresh_copy(mdir: Path, into: Path) -> Path:
    """The project in ``into/manuscript`` beside ``into/data`` -> the real data folder."""
    (into / "data").symlink_to(mdir.resolve().parent / "data", target_is_directory=True)
    ignore = shutil.ignore_patterns("_output", ".quarto", "_figures", render.RESULTS, "index.typ")
    shutil.copytree(mdir, into / "manuscript", ignore=ignore)
    return into / "manuscript"


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (Quarto, pandoc, Typst)."""
    return sum(
        r.ru_utime + r.ru_stime
        for r in (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
    )


def timed(fn: Callable[..., object], *args: object, **kwargs: object) -> tuple[float, float]:
    """(wall, CPU) seconds of one call: on a shared machine the CPU figure is the steadier."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    fn(*args, **kwargs)
    return time.perf_counter() - wall, cpu_seconds() - cpu


def cold_and_warm(mdir: Path, renderer: str, runs: int, do=render.render) -> tuple[tuple, tuple]:
    """Best cold and best warm (wall, CPU) seconds of ``do(project, renderer)`` over ``runs``
    fresh copies."""
    cold, warm = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="render-bench-") as tmp:
            project = fresh_copy(mdir, Path(tmp))
            cold.append(timed(do, project, renderer))
            warm.append(timed(do, project, renderer))
    return min(cold), min(warm)


def quarto_floor(runs: int) -> tuple[float, float]:
    """Seconds Quarto takes for a one-line document to HTML and Typst/PDF (its fixed cost)."""
    best = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="render-bench-") as tmp:
            for name, text in EMPTY_PROJECT.items():
                (Path(tmp) / name).write_text(text)
            cmd = ["quarto", "render", tmp]
            best.append(timed(subprocess.run, cmd, check=True, capture_output=True))
    return min(best)


def show(seconds: tuple[float, float]) -> str:
    return f"{seconds[0]:6.1f} s (CPU {seconds[1]:5.1f} s)"


def main(argv: list[str] | None = None, do=render.render) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--manuscript-dir", default="manuscript", type=Path)
    p.add_argument("--runs", type=int, default=2, help="copies rendered per renderer (best kept)")
    args = p.parse_args(argv)
    if not (args.manuscript_dir / "_quarto.yml").is_file():
        p.error(f"{args.manuscript_dir}: no _quarto.yml")
    has_quarto = shutil.which("quarto") is not None
    figures = {}
    for renderer in ("pandoc", "quarto") if has_quarto else ("pandoc",):
        cold, warm = figures[renderer] = cold_and_warm(args.manuscript_dir, renderer, args.runs, do)
        print(f"{renderer:7s} cold {show(cold)}   warm {show(warm)}")
    if not has_quarto:
        print("quarto not on PATH: only the pandoc path was measured")
        return 0
    for i, what in enumerate(("cold", "warm")):
        wall, cpu = (figures["quarto"][i][k] / max(figures["pandoc"][i][k], 1e-9) for k in (0, 1))
        print(f"quarto / pandoc, {what}: {wall:.1f}x wall, {cpu:.1f}x CPU (target: within 2x)")
    if do is render.render:
        floor = quarto_floor(args.runs)
        share = floor[1] / figures["quarto"][1][1]
        print(f"quarto on a one-line document: {show(floor)}, {share:.0%} of the warm render's CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
