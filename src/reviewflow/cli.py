"""Command line: ``reviewflow <stage> ...``; one sub-command per pipeline stage.

Each stage module exposes ``register(subparsers)``, adding its own sub-command whose
``func(args)`` does the work. Snakemake rules call these same commands, so every stage can
be run and tested without Snakemake.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from reviewflow import __version__
from reviewflow.errors import ReviewflowError

# In pipeline order; the order is also the order of `reviewflow --help`.
STAGE_MODULES = [
    "new",
    "manifest",
    "ingest",
    "dedup",
    "screening",
    "screening.sheet",
    "prisma",
    "notebooks",
    "results",
    "render",
    "export",
    "provenance",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reviewflow", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"reviewflow {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="<stage>")
    for name in STAGE_MODULES:
        importlib.import_module(f"reviewflow.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="reviewflow %(levelname)s: %(message)s" if args.quiet else "%(message)s",
        stream=sys.stderr,
    )
    try:
        args.func(args)
    except ReviewflowError as exc:
        print(f"reviewflow: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
