"""Provenance classes of the raw inputs, and the disclosure the paper must make of them.

``data/raw/provenance_classes.yaml`` gives every raw file (or a field of it) one class:
*real export*, *reconstructed from public metadata* or *constructed to match the
publication* (the file's header explains each). ``read_classes`` validates it against the
files actually in ``data/raw``; ``disclosure`` writes the sentence the manuscript prints;
``check_disclosed`` stops a render whose text does not say what was constructed.
"""

from __future__ import annotations

import re
from fnmatch import fnmatch
from pathlib import Path

import pandas as pd
import yaml

from reviewflow import prose
from reviewflow.errors import ReviewflowError

REAL = "real export"
RECONSTRUCTED = "reconstructed from public metadata"
CONSTRUCTED = "constructed to match the publication"
CLASSES = (REAL, RECONSTRUCTED, CONSTRUCTED)
FILE_NAME = "provenance_classes.yaml"
CLASS_COLUMNS = ["file", "field", "class", "what", "note"]
WHOLE_FILE = ""  # the ``field`` of a class given for a whole file

CONSTRUCTED_PHRASE = "constructed to reproduce the published review"
RECONSTRUCTED_PHRASE = "reconstructed from public metadata"
# Reviewers' agreement computed from decisions written to reach a known answer proves nothing.
AGREEMENT_CAVEAT = "agreement statistics illustrate the method and are not evidence of reliability"
SCREENING_DIR = "screening/"


class _LineLoader(yaml.SafeLoader):
    """Safe YAML that records each mapping's line as ``__line__``, for error messages."""

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep=deep)
        mapping["__line__"] = node.start_mark.line + 1
        return mapping


def raw_files(raw_dir: str | Path) -> list[str]:
    """Every file under ``raw_dir`` (hidden ones aside), as sorted POSIX relative paths."""
    root = Path(raw_dir)
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def _entry_rows(entry: dict, path: Path) -> list[dict]:
    """The (field, class, what, note) rows of one ``files:`` entry, validated."""
    line = entry.get("__line__")
    if not isinstance(entry.get("pattern"), str):
        raise ReviewflowError(
            "every entry needs a `pattern` (a path under data/raw)", path=path, line=line
        )
    parts = entry.get("fields") or [dict(entry, field=WHOLE_FILE)]
    if not any(str(part.get("field", WHOLE_FILE)) in ("*", WHOLE_FILE) for part in parts):
        raise ReviewflowError(
            f'{entry["pattern"]}: add a field "*" for the fields not listed', path=path, line=line
        )
    rows = []
    for part in parts:
        where = part.get("__line__", line)
        if part.get("class") not in CLASSES:
            raise ReviewflowError(
                f"unknown provenance class {part.get('class')!r} for {entry['pattern']}; "
                f"expected one of: {'; '.join(CLASSES)}",
                path=path,
                line=where,
            )
        if not str(part.get("what") or "").strip():
            raise ReviewflowError(
                f"`what` is missing for {entry['pattern']}", path=path, line=where
            )
        field = str(part.get("field", WHOLE_FILE))
        rows.append(
            {
                "line": where,
                "field": "" if field == "*" else field,
                "class": part["class"],
                "what": str(part["what"]).strip(),
                "note": str(part.get("note") or entry.get("note") or "").strip(),
            }
        )
    return rows


def read_classes(raw_dir: str | Path) -> pd.DataFrame:
    """``file, field, class, what, note`` for every raw file (``field`` empty: the whole file
    or the fields not listed), in the order of the classes file, after checking that each
    file has exactly one entry and each entry at least one file."""
    raw_dir = Path(raw_dir)
    path = raw_dir / FILE_NAME
    if not path.is_file():
        raise ReviewflowError(
            "missing: every raw input needs a provenance class (see data/raw/README.md)",
            path=path,
        )
    doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader) or {}
    if not isinstance(doc, dict) or not isinstance(doc.get("files"), list):
        raise ReviewflowError("expected a mapping with a `files:` list", path=path)
    exempt = [str(p) for p in doc.get("exempt") or []]
    entries = [(e, _entry_rows(e, path)) for e in doc["files"]]
    matched: dict[int, list[str]] = {i: [] for i in range(len(entries))}
    for name in raw_files(raw_dir):
        if any(fnmatch(name, p) for p in exempt):
            continue
        hits = [i for i, (e, _) in enumerate(entries) if fnmatch(name, e["pattern"])]
        if not hits:
            raise ReviewflowError(
                f"raw file {name} has no provenance class: add a pattern that matches it",
                path=path,
            )
        if len(hits) > 1:
            lines = ", ".join(str(entries[i][0]["__line__"]) for i in hits)
            raise ReviewflowError(
                f"raw file {name} matches more than one pattern (lines {lines})", path=path
            )
        matched[hits[0]].append(name)
    rows = []
    for i, (entry, entry_rows) in enumerate(entries):  # in the file's order, as written
        if not matched[i]:
            raise ReviewflowError(
                f"pattern {entry['pattern']!r} matches no raw file",
                path=path,
                line=entry["__line__"],
            )
        for name in matched[i]:
            for row in entry_rows:
                if row["field"] and row["field"] not in field_names(raw_dir / name):
                    raise ReviewflowError(
                        f"{name} has no field {row['field']!r}", path=path, line=row["line"]
                    )
                rows.append({"file": name, **row})
    return pd.DataFrame(rows, columns=CLASS_COLUMNS)


def field_names(path: Path) -> set[str]:
    """The field names of a CSV (its header) or a YAML file (every mapping key in it)."""
    if path.suffix == ".csv":
        header = path.read_text(encoding="utf-8-sig").split("\n", 1)[0]
        return {f.strip().strip('"') for f in header.split(",")}
    if path.suffix in (".yaml", ".yml"):
        keys: set[str] = set()
        todo = [yaml.safe_load(path.read_text(encoding="utf-8"))]
        while todo:
            node = todo.pop()
            if isinstance(node, dict):
                keys |= {str(k) for k in node}
                todo += node.values()
            elif isinstance(node, list):
                todo += node
        return keys
    return set()


def _whats(classes: pd.DataFrame, cls: str) -> list[str]:
    return list(dict.fromkeys(classes.loc[classes["class"] == cls, "what"]))


def _were(items: list[str]) -> str:
    """'were' after a list or a plural noun phrase, 'was' after a singular one."""
    return prose.verb("was", 2 if len(items) > 1 or prose.is_plural(items[0]) else 1)


def disclosure(classes: pd.DataFrame) -> str:
    """The sentences that say which inputs were constructed or reconstructed ('' if none):
    'Search dates, hit counts, and screening decisions were constructed to reproduce the
    published review; agreement statistics illustrate ... reliability.'"""
    sentences = []
    constructed = _whats(classes, CONSTRUCTED)
    if constructed:
        text = f"{prose.join(constructed)} {_were(constructed)} {CONSTRUCTED_PHRASE}"
        screening = classes["file"].str.startswith(SCREENING_DIR)
        if (screening & (classes["class"] == CONSTRUCTED)).any():
            text += f"; {AGREEMENT_CAVEAT}"
        sentences.append(prose.sentence(text) + ".")
    reconstructed = _whats(classes, RECONSTRUCTED)
    if reconstructed:
        text = f"{prose.join(reconstructed)} {_were(reconstructed)} {RECONSTRUCTED_PHRASE}"
        sentences.append(prose.sentence(text) + ".")
    return " ".join(sentences)


def disclosure_brief(classes: pd.DataFrame, named: int = 3) -> str:
    """The abstract's short form of ``disclosure`` ('' if nothing was constructed): the
    first ``named`` constructed inputs, and how many more the Methods list."""
    constructed = _whats(classes, CONSTRUCTED)
    if not constructed:
        return ""
    if len(constructed) <= named:
        return prose.sentence(
            f"{prose.join(constructed)} {_were(constructed)} written to match the publication."
        )
    among = prose.join(constructed[:named])
    return prose.sentence(
        f"{prose.count(len(constructed), 'input')}, among them {among}, were written to match"
        " the publication; the Methods list them all."
    )


def normalise_text(text: str) -> str:
    """Text extracted from a PDF or HTML, comparable with generated phrases: words broken
    across lines rejoined, soft hyphens and zero-width characters dropped, one space, lower
    case."""
    text = re.sub("[\u00ad\u200b\u200c\u200d\u2060\ufeff]", "", text)
    text = re.sub(r"(\w)-\s*\n\s*(\w)", r"\1\2", text)
    return re.sub(r"\s+", " ", text).strip().lower()


def check_disclosed(paper_text: str, classes: pd.DataFrame) -> None:
    """Stop when constructed inputs exist and the paper does not say so: it must carry the
    phrase 'constructed to reproduce the published review', name every constructed input,
    and give the agreement caveat when screening decisions were constructed."""
    constructed = _whats(classes, CONSTRUCTED)
    if not constructed:
        return
    text = normalise_text(paper_text)
    needed = [CONSTRUCTED_PHRASE, *constructed]
    if (classes["file"].str.startswith(SCREENING_DIR) & (classes["class"] == CONSTRUCTED)).any():
        needed.append(AGREEMENT_CAVEAT)
    missing = [phrase for phrase in needed if normalise_text(phrase) not in text]
    if missing:
        raise ReviewflowError(
            "the paper does not disclose its constructed inputs: it lacks "
            + prose.join([f"“{m}”" for m in missing])
            + f" (expected: {disclosure(classes)})"
        )
