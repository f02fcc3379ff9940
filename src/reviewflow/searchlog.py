"""The search log (``data/raw/searches.yaml``): what was searched, where, when, and how many hits.

``load_search_log(path)`` is the one way stages read it: it checks every field of every
entry (docs/architecture.md) and returns ``Search`` objects in log order, which is the order
of record ids and of the PRISMA sources. Errors name the file and the entry's line.

A search's ``file:`` is one path or a list, and each may be a glob (Web of Science splits an
export into 500-record files): all its files are one source. ``resolve_files`` turns the
patterns into files, the same way for the import and for the Snakemake input function
(``export_files``), so a new file matching a glob re-runs the import.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pandas as pd
import yaml

from reviewflow.errors import ReviewflowError
from reviewflow.files import read_yaml
from reviewflow.readers.detect import FORMATS

log = logging.getLogger(__name__)

KINDS = ("database", "register", "other")
_ID = re.compile(r"^[a-z0-9_]+$")


@dataclass(frozen=True)
class Search:
    """One search-log entry; ``file`` is relative to the raw-data directory."""

    id: str
    source: str
    kind: str
    method: str | None
    interface: str | None
    date: str
    query: str | None
    file: tuple[str, ...]  # paths or glob patterns as given, relative to data/raw
    format: str | None
    hits: int
    hits_note: str | None
    line: int = 0  # where the entry starts in the YAML, for messages


FIELDS = [f.name for f in dataclasses.fields(Search) if f.name != "line"]
_REQUIRED = ("id", "source", "kind", "date", "file", "hits")


def _entry_lines(path: Path) -> list[int]:
    """1-based line of each entry under ``searches:`` (YAML objects keep no positions)."""
    try:
        with open(path, encoding="utf-8") as fh:
            node = yaml.compose(fh)
    except yaml.YAMLError:
        return []
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if key.value == "searches" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _text(entry: dict, key: str, err, *, required: bool = False) -> str | None:
    value = entry.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            err(f"`{key}` is required")
        return None
    if not isinstance(value, str):
        # YAML reads `file: 2019` as a number; guessing the text back would hide typos.
        err(f"`{key}` must be text, found {type(value).__name__} {value!r} (quote it)")
    return value.strip() if key != "query" else value


_GLOB = re.compile(r"[*?\[]")


def _check_file(value, err) -> tuple[str, ...]:
    """``file:`` as a tuple of relative POSIX paths or patterns (one or a list)."""
    values = value if isinstance(value, list) else [value]  # [] was refused as missing
    out = []
    for v in values:
        if not isinstance(v, str) or not v.strip():
            err(f"`file` must be text or a list of text, found {type(v).__name__} {v!r}")
        v = v.strip()
        p = PurePosixPath(v.replace("\\", "/"))
        if p.is_absolute() or re.match(r"^[A-Za-z]:", v) or ".." in p.parts:
            err(f"`file` must be a path relative to data/raw that stays inside it, found {v!r}")
        out.append(str(p))
    return tuple(out)


def _parse_entry(entry, line: int | None, path: Path) -> Search:
    record = str(entry.get("id")) if isinstance(entry, dict) and entry.get("id") else None

    def err(msg: str):
        raise ReviewflowError(f"search log entry: {msg}", path=path, line=line, record=record)

    if not isinstance(entry, dict):
        err(f"expected a mapping of {', '.join(FIELDS)}, found {type(entry).__name__}")
    unknown = sorted(set(entry) - set(FIELDS))
    if unknown:
        err(f"unknown field(s) {unknown}; expected only {', '.join(FIELDS)}")
    for key in _REQUIRED:
        if entry.get(key) in (None, "", []):
            err(f"`{key}` is required")
    sid = _text(entry, "id", err, required=True)
    if not _ID.match(sid):
        err(f"`id` must match [a-z0-9_]+ (it prefixes record ids), found {sid!r}")
    kind = entry["kind"]
    if kind not in KINDS:
        err(f"`kind` must be one of {', '.join(KINDS)}, found {kind!r}")
    date = entry["date"]
    if isinstance(date, dt.datetime):
        date = date.date()
    if isinstance(date, dt.date):
        date = date.isoformat()
    else:
        try:
            date = dt.date.fromisoformat(str(date)).isoformat()
        except ValueError:
            err(f"`date` must be a date YYYY-MM-DD, found {entry['date']!r}")
    hits = entry["hits"]
    if isinstance(hits, bool) or not isinstance(hits, int) or hits < 0:
        err(f"`hits` must be a whole number >= 0, found {hits!r}")
    fmt = _text(entry, "format", err)
    if fmt is not None and fmt not in FORMATS:
        err(f"`format` must be one of {', '.join(FORMATS)} or null, found {fmt!r}")
    query = _text(entry, "query", err, required=kind in ("database", "register"))
    method = _text(entry, "method", err)
    return Search(
        id=sid,
        source=_text(entry, "source", err, required=True),
        kind=kind,
        method=method,
        interface=_text(entry, "interface", err),
        date=date,
        query=query,
        file=_check_file(entry["file"], err),
        format=fmt,
        hits=hits,
        hits_note=_text(entry, "hits_note", err),
        line=line or 0,
    )


def load_search_log(path: str | Path) -> list[Search]:
    """Validated searches in log order; raises ReviewflowError naming file and line."""
    path = Path(path)
    data = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("searches"), list):
        raise ReviewflowError("expected a top-level `searches:` list", path=path, line=1)
    lines = _entry_lines(path)
    searches, seen = [], {}
    for i, entry in enumerate(data["searches"]):
        line = lines[i] if i < len(lines) else None
        s = _parse_entry(entry, line, path)
        if s.id in seen:
            raise ReviewflowError(
                f"search log entry: duplicate id {s.id!r} (first on line {seen[s.id]})",
                path=path,
                line=line,
                record=s.id,
            )
        seen[s.id] = line
        searches.append(s)
    if not searches:  # a new review: it builds, and its paper says nothing was searched yet
        log.warning("%s: the search log lists no searches yet", path)
    return searches


def _natural(path: Path) -> tuple:
    """Sort key: savedrecs.txt, savedrecs(1).txt, savedrecs(2).txt, savedrecs(10).txt."""
    stem = path.with_suffix("").as_posix()
    parts = [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", stem)]
    return parts, path.suffix, path.as_posix()


def resolve_files(searches: list[Search], raw_dir: str | Path, log_path: str | Path) -> dict:
    """Search id -> its export files in reading order; errors name the log entry's line.

    Each ``file:`` item in order; a glob's matches (hidden files skipped) in natural order.
    Every file must exist, be a regular file inside ``raw_dir`` (links are followed) and
    belong to exactly one search, or its records would be counted twice.
    """
    raw_dir = Path(raw_dir)
    raw_real = raw_dir.resolve()
    owner: dict[Path, tuple[str, int]] = {}
    out: dict[str, list[Path]] = {}
    for s in searches:

        def err(msg: str, s=s):
            raise ReviewflowError(f"search {s.id!r}: {msg}", path=log_path, line=s.line or None)

        paths: list[Path] = []
        for pattern in s.file:
            if _GLOB.search(pattern):
                found = sorted(
                    (p for p in raw_dir.glob(pattern) if not p.name.startswith(".")),
                    key=_natural,
                )
                if not found:
                    err(f"`file` pattern {pattern!r} matches no file in {raw_dir}")
            else:
                found = [raw_dir / pattern]
                if not found[0].exists():
                    err(f"`file` {pattern!r} not found in {raw_dir}")
            for p in found:
                real = p.resolve()
                rel = p.relative_to(raw_dir).as_posix()
                if not real.is_relative_to(raw_real):
                    err(f"`file` {rel!r} leads outside data/raw (through a link)")
                if not real.is_file():
                    err(f"`file` {rel!r} is not a regular file (a folder, FIFO or device?)")
                if real in owner:
                    first_id, first_line = owner[real]
                    err(
                        f"`file` {rel!r} is also read by search {first_id!r} (line "
                        f"{first_line}): each export file belongs to exactly one search"
                    )
                owner[real] = (s.id, s.line)
                paths.append(p)
        out[s.id] = paths
    return out


def export_files(search_log: str | Path) -> list[str]:
    """Every export file the search log names, for the import rule's input function.

    The strict loader and the import's own resolution, so a bad log fails when Snakemake
    plans the run (naming file and line) instead of the import being silently skipped.
    """
    search_log = Path(search_log)
    resolved = resolve_files(load_search_log(search_log), search_log.parent, search_log)
    return sorted(str(p) for paths in resolved.values() for p in paths)


def search_log_frame(searches: list[Search]) -> pd.DataFrame:
    """The searches as a table (one row per search, log order), e.g. for PRISMA counts."""
    return pd.DataFrame([dataclasses.asdict(s) for s in searches], columns=[*FIELDS, "line"])
