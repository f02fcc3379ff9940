# Config validation and the small input functions the stage rules share.
from pathlib import Path

from snakemake.utils import validate

from reviewflow.files import read_yaml
from reviewflow.searchlog import export_files

# Snakemake's YAML loader keeps the last of two equal keys; read each config file again with
# the project's strict loader, so a repeated key stops the run naming the file and line.
for _configfile in workflow.configfiles:
    read_yaml(_configfile)
validate(config, schema="../config/schemas/config.schema.yaml")

RAW = Path("data/raw")
PROCESSED = Path("data/processed")


def search_export_files(wildcards=None):
    """The export files the search log names (globs resolved as the import does), so a
    new or edited file re-runs the import; a bad search log stops the run here."""
    return export_files(RAW / "searches.yaml")


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
