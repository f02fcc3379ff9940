# Stage 6: run notebooks/extraction.ipynb (papermill) to validate the coded data against the
# codebook and map each row to an included study. The executed notebook is kept as the record.
# config.yaml's `extraction:` section is passed to the notebook as parameters.
from reviewflow.notebooks import config_parameters


rule extraction:
    input:
        notebook="notebooks/extraction.ipynb",
        codebook=RAW / "extraction" / "codebook.yaml",
        extraction=RAW / "extraction" / "extraction.csv",
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
        config=config_parameters(config.get("extraction")),
    shell:
        "reviewflow notebook {input.notebook} {output.notebook}"
        " -p codebook {input.codebook} -p extraction {input.extraction}"
        " -p full_text {input.full_text} -p studies {input.studies}"
        " -p output {output.included} -p codebook_table {output.codebook}"
        " {params.config} 2> {log} || {{ cat {log} >&2; exit 1; }}"
