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
