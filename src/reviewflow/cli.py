"""Command line: ``reviewflow <stage> ...``; one sub-command per pipeline stage.

Each stage module exposes ``register(subparsers)``, adding its own sub-command whose
``func(args)`` does the work. Snakemake rules call these same commands, so every stage can
be run and tested without Snakemake.

``--log FILE`` is how every rule logs: the whole log goes to the file and warnings and errors
also to stderr, so Snakemake's console shows why a job failed without a shell idiom per rule.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from pathlib import Path

from reviewflow import __version__
from reviewflow.errors import ReviewflowError

# Each command and the module that registers it, in pipeline order (the order of `--help`).
# A run imports only its own command's module: every rule starts a process, and importing
# every stage's dependencies in each would cost seconds per build.
COMMANDS = {
    "new": "new",
    "manifest": "manifest",
    "import": "ingest",
    "dedup": "dedup",
    "screen": "screening",
    "screening-sheet": "screening.sheet",
    "prisma": "prisma",
    "notebook": "notebooks",
    "results": "results",
    "render": "render",
    "export": "export",
    "provenance": "provenance",
    "recover": "recovery",
}
_QUIET_FORMAT = "reviewflow %(levelname)s: %(message)s"


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of ``command`` alone when it is one."""
    parser = _options()
    sub = parser.add_subparsers(dest="command", required=True, metavar="<stage>")
    modules = [COMMANDS[command]] if command in COMMANDS else COMMANDS.values()
    for name in modules:
        importlib.import_module(f"reviewflow.{name}").register(sub)
    return parser


def _options(add_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reviewflow", description=__doc__.splitlines()[0], add_help=add_help
    )
    parser.add_argument("--version", action="version", version=f"reviewflow {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    parser.add_argument(
        "--log",
        type=Path,
        metavar="FILE",
        help="write the full log to FILE; warnings and errors also go to stderr",
    )
    return parser


def _handlers(args: argparse.Namespace, root: logging.Logger) -> list[logging.Handler]:
    """The log file if given, and stderr (everything, or warnings and errors only with -q or
    --log) unless the host process already logs somewhere (as under pytest)."""
    handlers: list[logging.Handler] = []
    if args.log is not None:
        args.log.parent.mkdir(parents=True, exist_ok=True)
        logfile = logging.FileHandler(args.log, mode="w", encoding="utf-8")
        logfile.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        handlers.append(logfile)
    if not root.handlers:
        quiet = args.quiet or args.log is not None
        console = logging.StreamHandler(sys.stderr)
        console.setLevel(logging.WARNING if quiet else logging.INFO)
        console.setFormatter(logging.Formatter(_QUIET_FORMAT if quiet else "%(message)s"))
        handlers.append(console)
    return handlers


def main(argv: list[str] | None = None) -> int:
    _, rest = _options(add_help=False).parse_known_args(argv)
    args = build_parser(rest[0] if rest else None).parse_args(argv)
    root = logging.getLogger()
    handlers = _handlers(args, root)
    level = root.level
    root.setLevel(logging.INFO)
    for handler in handlers:
        root.addHandler(handler)
    try:
        args.func(args)
    except ReviewflowError as exc:
        print(f"reviewflow: error: {exc}", file=sys.stderr)
        if args.log is not None:  # the log file keeps the error too
            handlers[0].stream.write(f"reviewflow: error: {exc}\n")
        return 1
    except Exception:
        if args.log is None:
            raise
        logging.getLogger("reviewflow").exception("unexpected error (a bug; please report it)")
        return 1
    finally:  # main() may run many times in one process (tests): leave logging as found
        root.setLevel(level)
        for handler in handlers:
            root.removeHandler(handler)
            handler.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
