"""``reviewflow manifest``: prove the raw inputs are the ones the authors used.

``data/raw/MANIFEST.sha256`` is in ``sha256sum`` format (``<hash>  <path>``, paths relative
to ``data/raw`` and sorted), so anyone can also check it with ``sha256sum -c``. It lists every
file under ``data/raw`` except itself. ``--check`` stops the build with the names of changed,
missing and unlisted files; ``--update`` rewrites it, which is how a change is made on purpose.

Only regular files (or symlinks to them) may live there: a FIFO or device would hang or never
end the hash, so it stops the build with its name.

``refresh_stamps`` gives each raw file a stamp whose content is the file's hash and which is
rewritten only when that hash changes. Rules take the stamps as inputs, so content, not
mtime, decides what re-runs: an edit that keeps the old mtime (``cp -p``, ``rsync -a``, tar)
re-runs everything downstream, and an mtime-only ``touch`` re-runs nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from reviewflow import files
from reviewflow.errors import ReviewflowError

log = logging.getLogger(__name__)

MANIFEST_NAME = "MANIFEST.sha256"
_CHUNK = 1 << 20

# sha256sum writes a leading backslash and escapes "\\", "\n" and "\r" when a name has them.
_LINE = re.compile(r"^(?P<esc>\\)?(?P<hash>[0-9a-fA-F]{64}) [ *](?P<path>.+)$")
_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r"}
_UNESCAPE = re.compile(r"\\(.)")


@dataclass(frozen=True)
class Entry:
    """One manifest line: the file's hash and the line it is on (for error messages)."""

    sha256: str
    line: int


@dataclass
class Diff:
    """How the files under the raw folder differ from the manifest; each list sorted."""

    changed: list[tuple[str, int]] = field(default_factory=list)
    missing: list[tuple[str, int]] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.changed or self.missing or self.unlisted)


def sha256_file(path: str | Path) -> str:
    """Hash a file in chunks so large exports do not have to fit in memory."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise ReviewflowError(f"cannot read file: {exc.strerror}", path=path) from None
    return digest.hexdigest()


def list_raw_files(raw_dir: str | Path) -> list[str]:
    """Every file under ``raw_dir`` (POSIX paths relative to it, sorted), except the manifest.

    Sorted by code point, not locale, so the manifest is the same on every machine.
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise ReviewflowError("raw data folder not found", path=raw_dir)
    found = []
    for root, dirs, names in os.walk(raw_dir):
        dirs.sort()
        for name in dirs:  # os.walk does not enter linked folders: their files would go unhashed
            if (Path(root) / name).is_symlink():
                raise ReviewflowError(
                    "symbolic link to a folder; copy the files into data/raw instead",
                    path=Path(root) / name,
                )
        for name in names:
            path = Path(root) / name
            rel = path.relative_to(raw_dir).as_posix()
            if rel != MANIFEST_NAME:
                _require_regular(path)
                found.append(rel)
    return sorted(found)


def _require_regular(path: Path) -> None:
    """Refuse FIFOs, devices, sockets and broken links (reading one may hang for ever)."""
    try:
        mode = os.stat(path).st_mode  # follows symlinks: a link to /dev/zero is a device
    except OSError as exc:
        raise ReviewflowError(f"cannot read file: {exc.strerror}", path=path) from None
    if not stat.S_ISREG(mode):
        kind = "FIFO" if stat.S_ISFIFO(mode) else "device, socket or other special file"
        raise ReviewflowError(f"not a regular file ({kind}); raw inputs must be files", path=path)


def hash_raw_files(raw_dir: str | Path) -> dict[str, str]:
    """``{relative path: sha256}`` for every file the manifest must cover."""
    paths = list_raw_files(raw_dir)
    log.info("hashing %d raw file(s) under %s", len(paths), raw_dir)
    return {rel: sha256_file(Path(raw_dir) / rel) for rel in paths}


STAMP_SUFFIX = ".sha256"


def write_if_changed(text: str, path: str | Path) -> bool:
    """Write ``text`` unless ``path`` already holds it, so the mtime marks real changes only."""
    path = Path(path)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    files.write_text(text, path)
    return True


def _stat_key(path: Path) -> list[int]:
    """Changes whenever the content may have: ctime moves on every write, even `cp -p`."""
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def refresh_stamps(
    raw_dir: str | Path, stamp_dir: str | Path, cache_path: str | Path | None = None
) -> dict[str, Path]:
    """Bring ``<stamp_dir>/<rel>.sha256`` in line with the raw files; return ``{rel: stamp}``.

    A stamp is rewritten only when its file's hash changes, so its mtime is the time the
    content last changed. Stamps of removed files are deleted. With ``cache_path``, files whose
    size, mtime, ctime and inode are unchanged since the last call are not re-hashed, so
    calling this each time Snakemake parses the workflow stays cheap. (The cache holds
    machine-specific numbers, so it belongs outside data/processed, which is byte-identical
    between builds.)
    """
    raw_dir, stamp_dir = Path(raw_dir), Path(stamp_dir)
    try:
        cache = json.loads(Path(cache_path).read_text(encoding="utf-8")) if cache_path else {}
    except (OSError, ValueError):
        cache = {}
    stamps, new_cache = {}, {}
    for rel in list_raw_files(raw_dir):
        key = _stat_key(raw_dir / rel)
        cached = cache.get(rel)
        digest = cached[1] if cached and cached[0] == key else sha256_file(raw_dir / rel)
        new_cache[rel] = [key, digest]
        stamps[rel] = stamp_dir / (rel + STAMP_SUFFIX)
        if write_if_changed(digest + "\n", stamps[rel]):
            log.info("new content: %s", rel)
    for old in stamp_dir.rglob("*" + STAMP_SUFFIX) if stamp_dir.is_dir() else []:
        if old.relative_to(stamp_dir).as_posix()[: -len(STAMP_SUFFIX)] not in stamps:
            old.unlink()
    if cache_path and new_cache != cache:
        files.write_json(new_cache, cache_path)
    return stamps


def refresh_engine_stamp(stamp: str | Path, package: str | Path | None = None) -> Path:
    """Bring ``stamp`` in line with the engine's code (the package's Python files and the
    assets the renderer stages), rewriting it only when that code changes.

    Every rule takes this stamp as an input, so a new engine version (a ``git pull`` of
    reviewflow) re-runs every stage rather than leaving results its old code computed.
    """
    package = Path(package or Path(__file__).parent)
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        rel = path.relative_to(package).as_posix()
        if path.is_file() and (path.suffix == ".py" or rel.startswith("assets/")):
            digest.update(f"{rel}\0{sha256_file(path)}\n".encode())
    if write_if_changed(digest.hexdigest() + "\n", stamp):
        log.info("new engine code")
    return Path(stamp)


def _escape(path: str) -> tuple[str, str]:
    escaped = "".join(_ESCAPES.get(ch, ch) for ch in path)
    return ("\\" if escaped != path else ""), escaped


def format_manifest(hashes: dict[str, str]) -> str:
    """The manifest text, byte-compatible with ``sha256sum`` output, paths sorted."""
    lines = []
    for rel in sorted(hashes):
        prefix, name = _escape(rel)
        lines.append(f"{prefix}{hashes[rel]}  {name}\n")
    return "".join(lines)


def parse_manifest(text: str, path: str | Path) -> dict[str, Entry]:
    """Read manifest text; every malformed or unsafe line is an error naming its line."""
    entries: dict[str, Entry] = {}
    for number, raw_line in enumerate(text.split("\n"), start=1):
        line = raw_line.removesuffix("\r")  # tolerate a manifest checked out with CRLF
        if not line.strip():
            continue
        match = _LINE.match(line)
        if match is None:
            raise ReviewflowError(
                f"not a sha256sum line (expected '<64 hex digits>  <path>'): {line[:80]!r}",
                path=path,
                line=number,
            )
        rel = match["path"]
        if match["esc"]:
            rel = _UNESCAPE.sub(lambda m: {"n": "\n", "r": "\r"}.get(m[1], m[1]), rel)
        parts = Path(rel).parts
        if rel.startswith("/") or Path(rel).is_absolute() or ".." in parts:
            raise ReviewflowError(
                f"path {rel!r} must be relative to the raw data folder and stay inside it",
                path=path,
                line=number,
            )
        if rel in entries:
            raise ReviewflowError(
                f"{rel!r} is listed twice (first on line {entries[rel].line})",
                path=path,
                line=number,
            )
        entries[rel] = Entry(match["hash"].lower(), number)
    return entries


def read_manifest(path: str | Path) -> dict[str, Entry]:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ReviewflowError(
            "manifest not found; create it with `reviewflow manifest --update --raw-dir "
            f"{path.parent}`",
            path=path,
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ReviewflowError("manifest is not UTF-8 text", path=path, line=line) from None
    return parse_manifest(text, path)


def compare(listed: dict[str, Entry], actual: dict[str, str]) -> Diff:
    """Pure comparison of the manifest against the hashes of the files present."""
    diff = Diff()
    for rel in sorted(listed):
        entry = listed[rel]
        if rel not in actual:
            diff.missing.append((rel, entry.line))
        elif actual[rel] != entry.sha256:
            diff.changed.append((rel, entry.line))
    diff.unlisted = sorted(set(actual) - set(listed))
    return diff


def describe(diff: Diff, raw_dir: str | Path) -> str:
    """One line naming every problem file, and how to accept the change on purpose."""
    parts = []
    if diff.changed:
        parts.append("changed: " + ", ".join(f"{p} (line {n})" for p, n in diff.changed))
    if diff.missing:
        parts.append("missing: " + ", ".join(f"{p} (line {n})" for p, n in diff.missing))
    if diff.unlisted:
        parts.append("unlisted: " + ", ".join(diff.unlisted))
    return (
        f"raw inputs differ from the manifest ({'; '.join(parts)}); if the change is intended, "
        f"run `reviewflow manifest --update --raw-dir {raw_dir}`"
    )


def check(raw_dir: str | Path) -> str:
    """Verify the raw folder against its manifest; return the canonical manifest text."""
    manifest_path = Path(raw_dir) / MANIFEST_NAME
    listed = read_manifest(manifest_path)
    actual = hash_raw_files(raw_dir)
    diff = compare(listed, actual)
    if diff:
        raise ReviewflowError(describe(diff, raw_dir), path=manifest_path)
    log.info("manifest verified: %d file(s) match %s", len(actual), manifest_path)
    return format_manifest(actual)


def update(raw_dir: str | Path) -> str:
    """Rewrite the manifest from the files present, logging what changed."""
    manifest_path = Path(raw_dir) / MANIFEST_NAME
    actual = hash_raw_files(raw_dir)
    try:
        listed = read_manifest(manifest_path) if manifest_path.exists() else None
    except ReviewflowError as exc:  # --update is how a broken manifest gets fixed
        log.warning("replacing unreadable manifest: %s", exc)
        listed = None
    if listed is not None:
        diff = compare(listed, actual)
        for rel, _ in diff.changed:
            log.info("updated: %s", rel)
        for rel, _ in diff.missing:
            log.info("removed: %s", rel)
        for rel in diff.unlisted:
            log.info("added: %s", rel)
    text = format_manifest(actual)
    files.write_text(text, manifest_path)
    log.info("wrote %s (%d file(s))", manifest_path, len(actual))
    return text


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "manifest",
        help="verify or update data/raw/MANIFEST.sha256",
        description=__doc__.splitlines()[0],
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="verify; stop on any difference")
    mode.add_argument("--update", action="store_true", help="rewrite the manifest on purpose")
    parser.add_argument("--raw-dir", default="data/raw", type=Path, help="default: data/raw")
    parser.add_argument("--out", type=Path, help="where to write the verified manifest copy")
    parser.set_defaults(func=run)


def run(args) -> None:
    text = check(args.raw_dir) if args.check else update(args.raw_dir)
    if args.out is not None:
        files.write_text(text, args.out)
