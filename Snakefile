# reviewflow: raw search exports -> PRISMA -> notebooks -> manuscript.
# Read the pipeline's shape from the include list; each rules/<stage>.smk is one stage.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/manifest.smk"
include: "rules/ingest.smk"
include: "rules/dedup.smk"
include: "rules/screening.smk"
include: "rules/prisma.smk"
include: "rules/extraction.smk"
include: "rules/synthesis.smk"
include: "rules/manuscript.smk"
include: "rules/provenance.smk"


rule all:
    default_target: True
    input:
        "manuscript/_output/index.html",
        "manuscript/_output/index.pdf",
        "data/processed/library/library.ris",
        "data/processed/library/library.bib",
        "data/processed/provenance.json",
