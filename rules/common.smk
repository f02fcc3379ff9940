# Config validation, the raw-file stamps and the small input functions the stage rules share.
#
# Rules never take a raw file as input directly: they take its stamp (see raw_input), whose
# content is the file's hash and which is rewritten only when that hash changes, so an edit
# that keeps the old mtime re-runs everything downstream and a bare `touch` re-runs nothing.
# The stamps are refreshed here, each time the workflow is parsed (dry runs included).
import os
from pathlib import Path

import reviewflow
from snakemake.utils import validate

from reviewflow.errors import ReviewflowError
from reviewflow.files import read_yaml
from reviewflow.manifest import refresh_stamps
from reviewflow.provenance import refresh_git_stamp

validate(config, schema="../config/schemas/config.schema.yaml")

RAW = Path("data/raw")
PROCESSED = Path("data/processed")
STAMPS = PROCESSED / "manifest" / "stamps"
GIT_STAMP = PROCESSED / "manifest" / "git.json"

NOTEBOOKS = sorted(str(p) for p in Path("notebooks").glob("*.ipynb"))
# Every source file of the paper (text, filters, styles, background bibliography), so an
# edit to any of them re-renders. Listed by pattern, so files a renderer leaves behind
# (Quarto's index.typ, .quarto/) never count as sources.
MANUSCRIPT_SOURCES = sorted(
    str(p)
    for pattern in (
        "*.qmd",
        "_quarto.yml",
        "*.bib",
        "_filters/*.lua",
        "_typst/*.typ",
        "_styles/*.css",
    )
    for p in Path("manuscript").glob(pattern)
)
# The code of the reviewflow package the rules run (wherever it is installed).
PACKAGE_SOURCES = sorted(str(p) for p in Path(reviewflow.__file__).parent.rglob("*.py"))

try:
    RAW_STAMPS = refresh_stamps(RAW, STAMPS, ".snakemake/reviewflow/stamp-cache.json")
    refresh_git_stamp(GIT_STAMP)
except ReviewflowError as exc:
    raise SystemExit(f"reviewflow: error: {exc}") from None


def raw_input(rel):
    """The stamp standing for data/raw/<rel>; the raw path itself if it does not exist (so
    Snakemake's missing-input message names the real file)."""
    return str(RAW_STAMPS.get(str(rel), RAW / rel))


def raw_inputs(rels):
    return [raw_input(rel) for rel in rels]


def raw_files_under(folder, suffix=""):
    """Paths (relative to data/raw) of the raw files in ``folder`` ending in ``suffix``, e.g.
    one ASReview export per reviewer; give them to raw_inputs() for a rule's input."""
    return sorted(
        r for r in RAW_STAMPS if Path(r).is_relative_to(folder) and r.endswith(suffix)
    )


def optional_raw(rel):
    """[stamp] when data/raw/<rel> exists, else []: for inputs a review may leave out."""
    return [raw_input(rel)] if str(rel) in RAW_STAMPS else []


def search_export_files(wildcards=None):
    """The export files the search log lists (relative to data/raw), so editing one re-runs
    the import. An unreadable log gives none: the import itself then reports the error.
    """
    try:
        log = read_yaml(RAW / "searches.yaml")
    except ReviewflowError:
        return []
    searches = log.get("searches") if isinstance(log, dict) else None
    return sorted(
        os.path.normpath(str(s["file"]))
        for s in (searches if isinstance(searches, list) else [])
        if isinstance(s, dict) and s.get("file") is not None
    )
