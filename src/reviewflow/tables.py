"""The tables stages hand to each other, each with its columns defined once.

A stage writes its table through ``write`` (which refuses a table whose columns drifted from
the schema) and reads another stage's through ``read`` (which names a missing column, the
file and line 1). ``docs/architecture.md`` says what each column holds.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from reviewflow.errors import ReviewflowError
from reviewflow.files import read_csv, require_columns, write_csv
from reviewflow.records import COLUMNS as RECORDS  # records.csv: its pandera schema is there

# dedup/links.csv: every raw record -> its study, with the rule that joined them.
LINKS = ["record_id", "study_id", "rule", "score", "linked_to"]
# dedup/studies.csv: one row per study, bibliographic fields from its best record.
STUDIES = [
    "study_id",
    "n_records",
    "record_ids",
    "sources",
    "type",
    "title",
    "authors",
    "year",
    "journal",
    "volume",
    "issue",
    "pages",
    "doi",
    "abstract",
]
# screening/<stage>.csv: the final decision on each study at a stage.
DECISIONS = ["study_id", "decision", "reason", "reviewers", "conflict", "resolved_by"]
# prisma/record_boxes.csv: the PRISMA box every raw record ends in.
RECORD_BOXES = ["record_id", "study_id", "column", "box", "reason"]

__all__ = ["DECISIONS", "LINKS", "RECORDS", "RECORD_BOXES", "STUDIES", "read", "write"]


def write(table: pd.DataFrame, columns: list[str], path: str | Path) -> None:
    """Write ``table`` with exactly ``columns``, in that order."""
    if sorted(table.columns) != sorted(columns):
        raise ReviewflowError(
            f"internal: columns {list(table.columns)} differ from the schema {columns}", path=path
        )
    write_csv(table[columns], path)


def read(path: str | Path, columns: list[str]) -> pd.DataFrame:
    """Read another stage's table, checking that its schema's columns are there."""
    table = read_csv(path)
    require_columns(table, columns, path)
    return table
