"""``reviewflow new DIR``: a blank review that builds at once.

A review holds only its own files: config, raw data, notebooks and manuscript text (copied
from ``template/``). The workflow (``Snakefile``, ``rules/``) and the manuscript's filters stay
in the engine, so an engine update reaches every review without a merge: build a review with
``make paper REVIEW=DIR`` from the reviewflow checkout (Snakemake's ``--directory``).
"""

from __future__ import annotations

import argparse
import logging
import re
import shutil
from pathlib import Path

from reviewflow.errors import ReviewflowError
from reviewflow.manifest import update as write_manifest

log = logging.getLogger(__name__)

TEMPLATE = Path(__file__).parent / "template"
ENGINE = Path(__file__).resolve().parents[2]  # the checkout: Snakefile, rules/, Makefile
# Files whose {{placeholders}} are filled in; every other template file is copied as is.
FILLED = ("README.md", "config/config.yaml")


def engine_snakefile() -> Path:
    """The engine's workflow; it ships with the reviewflow checkout, not with a wheel."""
    snakefile = ENGINE / "Snakefile"
    if not snakefile.is_file():
        raise ReviewflowError(
            "reviewflow's workflow (Snakefile, rules/) is not beside the package: install "
            "reviewflow from its git checkout (`make paper` there sets it up)",
            path=snakefile,
        )
    return snakefile


def short_title(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.casefold()).strip("-")[:40] or "review"


def create(dest: str | Path, title: str) -> Path:
    """Write a blank review into ``dest`` (which must be empty or absent)."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise ReviewflowError("not empty: a new review needs an empty or new folder", path=dest)
    engine_snakefile()
    skip = shutil.ignore_patterns("__pycache__")
    shutil.copytree(TEMPLATE, dest, dirs_exist_ok=True, ignore=skip)
    (dest / "gitignore.txt").rename(dest / ".gitignore")  # a dot file would be lost in a wheel
    values = {
        "title": title.replace('"', "'"),
        "short_title": short_title(title),
        "path": str(dest.resolve()),
    }
    for name in FILLED:
        path = dest / name
        text = path.read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", value)
        path.write_text(text, encoding="utf-8")
    write_manifest(dest / "data" / "raw")
    return dest


def run(args: argparse.Namespace) -> None:
    dest = create(args.dir, args.title)
    log.info(
        "new review in %s\n"
        "next:\n"
        "  1. put your exports in %s/data/raw/exports/ and describe them in searches.yaml\n"
        "  2. reviewflow manifest --update --raw-dir %s/data/raw\n"
        "  3. make paper REVIEW=%s   (in %s)\n"
        "the tutorial: %s",
        dest,
        dest,
        dest,
        dest.resolve(),
        ENGINE,
        ENGINE / "docs" / "tutorial.md",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("new", help="create a blank review that builds at once")
    p.add_argument("dir", help="the new review's folder (empty or absent)")
    p.add_argument("--title", default="A systematic review", help="the review's title")
    p.set_defaults(func=run)
