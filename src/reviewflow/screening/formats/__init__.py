"""Reviewer decisions as screening tools export them, mapped onto the native vote table.

One module per tool; each loader returns the table described in :mod:`.common`:

- ``native``: our CSV (``id, reviewer, decision, reason, note``) or a filled screening sheet;
- ``asreview``: ASReview LAB exports (CSV, TSV, XLSX, ``.asreview``), one per reviewer;
- ``rayyan``: Rayyan's export zip or its ``articles.csv``;
- ``covidence``: Covidence's list exports (CSV or RIS), one file per list.

Tools keep their own ids, so exported rows are matched to studies by
:class:`reviewflow.ids.StudyResolver`: our id if the tool kept it, then the DOI, then the title.
docs/screening-tools.md tells users which export to download from each tool.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from reviewflow.errors import ReviewflowError
from reviewflow.ids import StudyResolver
from reviewflow.screening.formats.asreview import load_asreview
from reviewflow.screening.formats.common import empty, not_retrieved_as_decision
from reviewflow.screening.formats.covidence import load_covidence
from reviewflow.screening.formats.native import load_native
from reviewflow.screening.formats.rayyan import load_rayyan
from reviewflow.screening.tables import TABLE_SUFFIXES, read_rows

FORMATS = ("native", "rayyan", "covidence", "asreview")
# The files each format's users download (docs/screening-tools.md).
SUFFIXES = {
    "native": (".csv", ".tsv", ".xlsx"),
    "asreview": (".csv", ".tsv", ".xlsx", ".asreview"),
    "rayyan": (".csv", ".zip"),
    "covidence": (".csv", ".ris"),
}
DOWNLOAD = {
    "native": "our CSV (id, reviewer, decision, reason, note) or a filled screening sheet",
    "asreview": "each reviewer's LAB export (Export > dataset, all records) or .asreview file",
    "rayyan": "the zip from Rayyan's Export (or the articles.csv in it)",
    "covidence": "each list's Export (CSV or RIS) with the list's name in the file name",
}


def load_file(path: str | Path, fmt: str, resolver: StudyResolver, stage: str) -> pd.DataFrame:
    """The votes in one decision file of format ``fmt``."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES[fmt]:
        raise ReviewflowError(
            f"not a {fmt} decision file ({path.suffix or 'no suffix'}); expected "
            f"{', '.join(SUFFIXES[fmt])}: {DOWNLOAD[fmt]} (docs/screening-tools.md)",
            path=path,
        )
    if path.suffix.lower() in TABLE_SUFFIXES and not read_rows(path)[1]:
        return empty()  # a header-only file (a template): nothing decided yet, in any format
    if fmt == "native":
        return load_native(path)
    if fmt == "asreview":
        return load_asreview(path, resolver)
    votes = (
        load_rayyan(path, resolver) if fmt == "rayyan" else load_covidence(path, resolver, stage)
    )
    return not_retrieved_as_decision(votes) if stage == "full_text" else votes


def load_decisions(
    paths: Iterable[str | Path], fmt: str, *, resolver: StudyResolver, stage: str
) -> pd.DataFrame:
    """The votes of every file, in the order given."""
    if fmt not in FORMATS:
        raise ReviewflowError(f"unknown screening format {fmt!r}; expected one of {FORMATS}")
    frames = [f for f in (load_file(p, fmt, resolver, stage) for p in paths) if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else empty()
