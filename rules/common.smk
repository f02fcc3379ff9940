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
