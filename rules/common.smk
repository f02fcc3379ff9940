# Config validation and the small input functions the stage rules share.
from pathlib import Path

import yaml
from snakemake.utils import validate

validate(config, schema="../config/schemas/config.schema.yaml")

RAW = Path("data/raw")
PROCESSED = Path("data/processed")


def search_export_files(wildcards=None):
    """The export files the search log lists, so editing one re-runs the import."""
    with open(RAW / "searches.yaml", encoding="utf-8") as fh:
        log = yaml.safe_load(fh) or {}
    return sorted(str(RAW / s["file"]) for s in log.get("searches", []) if "file" in s)


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
