"""How a review's notebooks hand named values, tables and figures to its manuscript.

In a notebook::

    from reviewflow.publish import Publisher
    publish = Publisher(outdir)          # outdir: the notebook's output folder (a parameter)
    publish("themes.access.n_studies", 4)  # -> [themes.access.n_studies]{.val} in the text
    publish.table("table1", df)          # -> outdir/table1.csv, for a .csv-table div
    publish.figure("evidence_map", fig)  # -> outdir/evidence_map.svg and .png
    publish.save()                       # -> outdir/published.json (last cell)

``reviewflow results`` nests every notebook's ``published.json`` into ``results.yml`` beside
the engine's own namespaces (``ENGINE_NAMESPACES``); a key that would overwrite one of them,
or another notebook's key, stops the build, and so does an unknown key in the manuscript.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pandas as pd

from reviewflow.errors import ReviewflowError
from reviewflow.files import write_csv, write_json

PUBLISHED = "published.json"
# Filled by the engine's results stage; notebooks publish under any other name.
ENGINE_NAMESPACES = (
    "review",
    "search",
    "dedup",
    "screening",
    "prisma",
    "counts",
    "included",
    "inputs",
    "provenance",
)
_KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")


def plain(value: Any) -> Any:
    """JSON/YAML-safe plain values: numpy scalars to Python, dates to ISO strings."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return value.item()  # numpy scalar
    return value


def set_path(tree: dict, key: str, value: Any, where: str = "") -> None:
    """tree['a']['b'] = value for key 'a.b'; refuses to overwrite a value with a subtree."""
    if not _KEY.match(key):
        raise ReviewflowError(
            f"published key {key!r}: use lower-case words joined by dots, e.g. 'themes.n'" + where
        )
    *parents, last = key.split(".")
    node = tree
    for part in parents:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ReviewflowError(f"published key {key!r}: {part!r} already holds a value{where}")
    node[last] = plain(value)


class Publisher:
    """Collects what one notebook publishes; ``save()`` writes it for the results stage."""

    def __init__(self, outdir: str | Path) -> None:
        self.outdir = Path(outdir)
        self.values: dict[str, Any] = {}

    def __call__(self, key: str, value: Any) -> Any:
        if key.split(".")[0] in ENGINE_NAMESPACES:
            raise ReviewflowError(
                f"published key {key!r}: {key.split('.')[0]!r} is the engine's namespace "
                f"(reserved: {', '.join(ENGINE_NAMESPACES)})"
            )
        set_path(self.values, key, value)
        return value

    def table(self, name: str, table: pd.DataFrame) -> Path:
        path = self.outdir / f"{name}.csv"
        write_csv(table, path)
        return path

    def figure(self, name: str, fig: Any, dpi: int = 200) -> list[Path]:
        from reviewflow.synthesis import save_figure

        return save_figure(fig, self.outdir / name, dpi=dpi)

    def save(self) -> Path:
        path = self.outdir / PUBLISHED
        write_json(self.values, path)
        return path


def merge_published(results: dict, published: dict, source: str | Path) -> None:
    """Nest one notebook's published values into ``results``, refusing any overwrite."""
    for key, value in published.items():
        if key in ENGINE_NAMESPACES or key in results:
            owner = "the engine" if key in ENGINE_NAMESPACES else "another notebook"
            raise ReviewflowError(f"published key {key!r} is already used by {owner}", path=source)
        results[key] = value
