"""Deterministic, atomic file output shared by every stage.

Outputs are written to a temporary file beside the target and renamed into place, so an
interrupted run never leaves a partial file that Snakemake could mistake for a result.
Tables are written with sorted rows (by the caller), "\n" line ends and UTF-8; JSON with
sorted keys. No timestamps go into data files.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from reviewflow.errors import ReviewflowError

# os.umask can only be read by setting it; read it once at import.
_UMASK = os.umask(0o022)
os.umask(_UMASK)

# The csv module refuses cells over 128 kB by default; a real abstract or note can be longer
# and must never be cut or crash a stage. Raised once here, for every reader of tables.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path; on success it replaces ``path``, on error it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp creates files readable by their owner only; give outputs the usual mode.
        os.chmod(tmp_path, 0o666 & ~_UMASK)
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_text(text: str, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")


def write_bytes(data: bytes, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_csv(df: pd.DataFrame, path: str | Path) -> None:
    """Write a table as UTF-8 CSV with "\n" line ends and no index."""
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False, lineterminator="\n", encoding="utf-8")


def read_csv(path: str | Path, **kwargs: Any) -> pd.DataFrame:
    """Read a CSV as strings, keeping empty cells as "" (never NaN) so nothing is coerced."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8", **kwargs)
    except FileNotFoundError:
        raise ReviewflowError("file not found", path=path) from None
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise ReviewflowError(f"not a readable CSV table: {exc}", path=path) from None


def require_columns(df: pd.DataFrame, required: Iterable[str], path: str | Path) -> None:
    """Stop with the file's name (line 1: the header) if a required column is missing."""
    required = list(required)
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ReviewflowError(
            f"missing column(s) {', '.join(missing)}; expected {', '.join(required)}"
            f" (found {', '.join(map(str, df.columns)) or 'none'})",
            path=path,
            line=1,
        )


def write_json(obj: Any, path: str | Path) -> None:
    write_text(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n", path)


def write_yaml(obj: Any, path: str | Path) -> None:
    write_text(yaml.safe_dump(obj, sort_keys=True, allow_unicode=True, width=100), path)


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key repeated in one mapping.

    PyYAML keeps the last of two equal keys silently: a second top-level ``searches:`` once
    dropped the first six searches. Merge keys (``<<``) may still be overridden.
    """

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:  # unhashable key: SafeLoader reports it below
                    continue
                if first is not None:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r} (first on line {first})",
                        key_node.start_mark,
                    )  # fmt: skip
                seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)


def read_yaml(path: str | Path) -> Any:
    """Load YAML strictly (StrictLoader); syntax, encoding and duplicate-key errors name
    the file and line. Every YAML file the project reads goes through here."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ReviewflowError("file not found", path=path) from None
    except OSError as exc:
        raise ReviewflowError(f"cannot read file: {exc.strerror}", path=path) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ReviewflowError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
            path=path,
            line=line,
        ) from None
    try:
        return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.reader.ReaderError as exc:  # control characters: no mark, only a position
        line = text[: exc.position].count("\n") + 1
        message = str(exc).splitlines()[0]
        raise ReviewflowError(f"invalid YAML: {message}", path=path, line=line) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ReviewflowError(f"invalid YAML: {problem}", path=path, line=line) from None


_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: Any) -> Any:
    """Stop spreadsheet programs from running a cell as a formula (CSV injection).

    A leading apostrophe is the convention Excel, LibreOffice and Google Sheets honour.
    Only for sheets meant for people; data tables keep the text verbatim.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value
