# Config validation, the raw-file stamps and the small input functions the stage rules share.
#
# Rules never take a raw file as input directly: they take its stamp (see raw_input), whose
# content is the file's hash and which is rewritten only when that hash changes, so an edit
# that keeps the old mtime re-runs everything downstream and a bare `touch` re-runs nothing.
# The stamps are refreshed here, each time the workflow is parsed (dry runs included).
from pathlib import Path

import reviewflow
from snakemake.utils import validate

from reviewflow.errors import ReviewflowError
from reviewflow.files import read_yaml
from reviewflow.manifest import refresh_stamps
from reviewflow.provenance import refresh_git_stamp
from reviewflow.render import ASSETS as RENDER_ASSETS
from reviewflow.searchlog import export_files

# Snakemake's YAML loader keeps the last of two equal keys; read each config file again with
# the project's strict loader, so a repeated key stops the run naming the file and line.
for _configfile in workflow.configfiles:
    read_yaml(_configfile)
validate(config, schema="../config/schemas/config.schema.yaml")

RAW = Path("data/raw")
PROCESSED = Path("data/processed")
STAMPS = PROCESSED / "manifest" / "stamps"
GIT_STAMP = PROCESSED / "manifest" / "git.json"

NOTEBOOKS = sorted(str(p) for p in Path("notebooks").glob("*.ipynb"))
# Every source file of the paper (the review's text, settings and background bibliography,
# and the engine's filters, Typst header and CSS), so an edit to any of them re-renders.
# Listed by pattern, so files a renderer leaves behind (Quarto's index.typ, .quarto/, the
# mirrored _reviewflow/ and _figures/) never count as sources.
MANUSCRIPT_SOURCES = sorted(
    str(p)
    for pattern in ("*.qmd", "_quarto.yml", "*.bib")
    for p in Path("manuscript").glob(pattern)
) + sorted(
    str(p) for p in RENDER_ASSETS.rglob("*") if p.suffix in (".lua", ".typ", ".css")
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
    prefix = str(folder).rstrip("/") + "/"
    return sorted(r for r in RAW_STAMPS if r.startswith(prefix) and r.endswith(suffix))


def optional_raw(rel):
    """[stamp] when data/raw/<rel> exists, else []: for inputs a review may leave out."""
    return [raw_input(rel)] if str(rel) in RAW_STAMPS else []


def relative_to_raw(paths):
    return [str(Path(p).relative_to(RAW)) for p in paths]


def search_export_files(wildcards=None):
    """The export files the search log names, relative to data/raw (globs resolved as the
    import does), so a new or edited file re-runs the import; a bad search log stops the run
    here, naming its file and line."""
    return relative_to_raw(export_files(RAW / "searches.yaml"))


def screening_decisions(wildcards):
    """The stage's decision files (hidden files and Office lock files skipped)."""
    folder = RAW / "screening"
    found = list(folder.glob(f"{wildcards.stage}.*"))
    if (folder / wildcards.stage).is_dir():
        found += [p for p in (folder / wildcards.stage).iterdir() if p.is_file()]
    return sorted(str(p) for p in found if not p.name.startswith((".", "~$")))


def screening_format(wildcards):
    """screening.format: one format, or one per stage ({title_abstract: ..., full_text: ...})."""
    fmt = config["screening"]["format"]
    return fmt.get(wildcards.stage, "native") if isinstance(fmt, dict) else fmt
