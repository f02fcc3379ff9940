# Stage 7: run the review's notebooks/synthesis.ipynb (papermill). The notebook is the review's
# own analysis; whatever it publishes (reviewflow.publish: values in published.json, tables as
# CSV, figures as SVG and PNG) lands in data/processed/synthesis/ for the manuscript.
# config.yaml's `synthesis:` section is passed to the notebook as parameters.
from reviewflow.notebooks import config_parameters

SYNTHESIS = PROCESSED / "synthesis"


rule synthesis:
    input:
        engine=ENGINE_STAMP,
        notebook="notebooks/synthesis.ipynb",
        included=PROCESSED / "extraction" / "included_studies.csv",
        # Every file of data/raw/extraction (the codebook and whatever else the notebook reads).
        extraction=lambda wildcards: raw_inputs(raw_files_under("extraction")),
    output:
        notebook=PROCESSED / "notebooks" / "synthesis.ipynb",
        outdir=report(
            directory(SYNTHESIS),
            patterns=["{name}.svg"],
            caption="../report/synthesis.rst",
            category="Synthesis",
        ),
    log:
        "logs/synthesis/synthesis.log",
    group:
        "review"
    conda:
        "../envs/reviewflow.yaml"
    threads: 1
    resources:
        mem_mb=sized(1000),
        runtime=sized(10),
    params:
        codebook=RAW / "extraction" / "codebook.yaml",
        extraction_dir=RAW / "extraction",
        # already shell-quoted, one `-p KEY VALUE` per setting (notebooks.config_parameters)
        config=config_parameters(config.get("synthesis")),
    shell:
        "reviewflow --log {log:q} notebook {input.notebook:q} {output.notebook:q}"
        " -p included_studies {input.included:q} -p codebook {params.codebook:q}"
        " -p extraction_dir {params.extraction_dir:q} -p outdir {output.outdir:q}"
        " {params.config}"
