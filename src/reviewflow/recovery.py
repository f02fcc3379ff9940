"""``reviewflow recover``: let the next build start cleanly after a killed one (``kill -9``).

A killed Snakemake leaves its lock (``.snakemake/locks/``), which stops every later run until
``snakemake --unlock``, and a killed writer leaves the temporary file of an atomic write
(``.<name>.<random>.tmp``, see ``files.atomic_path``). The lock is removed only when no live
Snakemake process runs in this folder, so a build in progress is never disturbed; jobs that
did not finish are re-run by ``snakemake --rerun-incomplete`` (``make paper`` does both).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)

LOCK_DIR = Path(".snakemake") / "locks"
# Folders a build writes into; a partial file anywhere else is not ours to remove.
OUTPUT_DIRS = ("data", "manuscript", "logs")
# files.atomic_path: tempfile.mkstemp(prefix=".<name>.", suffix=".tmp"), 8 random characters.
_PARTIAL = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")
UNKNOWN_CWD = None


def _is_snakemake(argv: list[str]) -> bool:
    """`snakemake ...`, `python .../bin/snakemake ...` or `python -m snakemake ...`."""
    return any(Path(arg).name == "snakemake" for arg in argv[:3])


def _processes() -> list[tuple[int, str | None, list[str]]]:
    """(pid, working folder or None when unknown, argv) of every process we can see."""
    proc = Path("/proc")
    if proc.is_dir():
        found = []
        for entry in proc.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
            except OSError:
                continue
            try:
                cwd: str | None = os.readlink(entry / "cwd")
            except OSError:
                cwd = UNKNOWN_CWD
            found.append((int(entry.name), cwd, [a for a in argv if a]))
        return found
    ps = shutil.which("ps")  # no /proc (macOS): working folders unknown, so assume "here"
    if ps is None:
        return []
    out = subprocess.run([ps, "-axo", "pid=,command="], capture_output=True, text=True).stdout
    return [
        (int(pid), UNKNOWN_CWD, command.split())
        for pid, _, command in (line.strip().partition(" ") for line in out.splitlines())
        if pid.isdigit()
    ]


def live_snakemake(workdir: Path) -> list[int]:
    """Snakemake processes that run (or may run: folder unknown) in ``workdir``."""
    here = str(workdir.resolve())
    return sorted(
        pid
        for pid, cwd, argv in _processes()
        if pid != os.getpid() and _is_snakemake(argv) and cwd in (here, UNKNOWN_CWD)
    )


def partial_files(workdir: Path) -> list[Path]:
    """Temporary files of atomic writes that a killed process never renamed into place."""
    found = []
    for name in OUTPUT_DIRS:
        for root, _, names in os.walk(workdir / name):
            found += [Path(root) / n for n in names if _PARTIAL.match(n)]
    return sorted(found)


def recover(workdir: Path) -> bool:
    """Remove a stale lock and partial files; False (and nothing touched) while Snakemake runs."""
    live = live_snakemake(workdir)
    if live:
        log.warning(
            "Snakemake is running in %s (pid %s): its lock and files are left alone",
            workdir,
            ", ".join(map(str, live)),
        )
        return False
    locks = sorted((workdir / LOCK_DIR).glob("*")) if (workdir / LOCK_DIR).is_dir() else []
    for path in locks + partial_files(workdir):
        path.unlink(missing_ok=True)
        log.info("removed %s (left by an interrupted build)", path.relative_to(workdir))
    return True


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "recover",
        help="clean up after an interrupted build (stale lock, partial files)",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("--dir", default=".", type=Path, help="project folder (default: .)")
    parser.set_defaults(func=run)


def run(args) -> None:
    recover(args.dir)
