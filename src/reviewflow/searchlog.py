"""The search log (``data/raw/searches.yaml``): what was searched, where, when, and how many hits.

``load_search_log(path)`` is the one way stages read it: it checks every field of every
entry (docs/architecture.md) and returns ``Search`` objects in log order, which is the order
of record ids and of the PRISMA sources. Errors name the file and the entry's line.
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
    file: str
    format: str | None
    hits: int
    hits_note: str | None
    line: int = 0  # where the entry starts in the YAML, for messages

    def path(self, raw_dir: str | Path) -> Path:
        """The export file on disk."""
        return Path(raw_dir) / self.file


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
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        err(f"`{key}` must be text, found {type(value).__name__}")
    return str(value).strip() if key != "query" else str(value)


def _check_file(value: str, err) -> str:
    p = PurePosixPath(value.replace("\\", "/"))
    if p.is_absolute() or re.match(r"^[A-Za-z]:", value) or ".." in p.parts:
        err(f"`file` must be a path relative to data/raw that stays inside it, found {value!r}")
    return str(p)


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
        if entry.get(key) in (None, ""):
            err(f"`{key}` is required")
    sid = str(entry["id"])
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
        file=_check_file(_text(entry, "file", err, required=True), err),
        format=fmt,
        hits=hits,
        hits_note=_text(entry, "hits_note", err),
        line=line or 0,
    )


def load_search_log(path: str | Path) -> list[Search]:
    """Validated searches in log order; raises ReviewflowError naming file and line."""
    path = Path(path)
    try:
        data = read_yaml(path)
    except UnicodeDecodeError as exc:
        raise ReviewflowError(
            f"not UTF-8 text (byte {exc.start}): save the search log as UTF-8 YAML", path=path
        ) from None
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


def search_log_frame(searches: list[Search]) -> pd.DataFrame:
    """The searches as a table (one row per search, log order), e.g. for PRISMA counts."""
    return pd.DataFrame([dataclasses.asdict(s) for s in searches], columns=[*FIELDS, "line"])
