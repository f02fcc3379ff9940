# Stage 6: run notebooks/extraction.ipynb (papermill) to validate the coded data against the
# codebook and map each row to an included study. The executed notebook is kept as the record.
# config.yaml's `extraction:` section is passed to the notebook as parameters.
from reviewflow.notebooks import config_parameters


rule extraction:
    input:
        engine=ENGINE_STAMP,
        notebook="notebooks/extraction.ipynb",
        codebook=raw_input("extraction/codebook.yaml"),
        extraction=raw_input("extraction/extraction.csv"),
        full_text=PROCESSED / "screening" / "full_text.csv",
        studies=PROCESSED / "dedup" / "studies.csv",
    output:
        notebook=PROCESSED / "notebooks" / "extraction.ipynb",
        included=report(
            PROCESSED / "extraction" / "included_studies.csv",
            caption="../report/extraction_included_studies.rst",
            category="Extraction",
        ),
        codebook=PROCESSED / "extraction" / "codebook.csv",
    log:
        "logs/extraction/extraction.log",
    group:
        "review"
    conda:
        "../envs/reviewflow.yaml"
    threads: 1
    resources:
        mem_mb=sized(1000, 4, lines_of("studies")),
        runtime=sized(10),
    params:
        codebook=RAW / "extraction" / "codebook.yaml",
        extraction=RAW / "extraction" / "extraction.csv",
        # already shell-quoted, one `-p KEY VALUE` per setting (notebooks.config_parameters)
        config=config_parameters(config.get("extraction")),
    shell:
        "reviewflow --log {log:q} notebook {input.notebook:q} {output.notebook:q}"
        " -p codebook {params.codebook:q} -p extraction {params.extraction:q}"
        " -p full_text {input.full_text:q} -p studies {input.studies:q}"
        " -p output {output.included:q} -p codebook_table {output.codebook:q}"
        " {params.config}"
