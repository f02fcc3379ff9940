# Stage 7: run notebooks/synthesis.ipynb (papermill): Table 1, the evidence map, study
# characteristics, the comparison with the published Table 1 and synthesis.json (the numbers
# the manuscript cites). Figures are SVG (in the report) and PNG. config.yaml's `synthesis:`
# section is passed to the notebook as parameters (e.g. figure_width in inches, dpi).
from reviewflow.notebooks import config_parameters

SYNTHESIS = PROCESSED / "synthesis"


rule synthesis:
    input:
        notebook="notebooks/synthesis.ipynb",
        included=PROCESSED / "extraction" / "included_studies.csv",
        codebook=RAW / "extraction" / "codebook.yaml",
        # Optional: only a review that rebuilds a published one has its Table 1.
        published=lambda wildcards: [
            p for p in [RAW / "extraction" / "published_table1.csv"] if p.exists()
        ],
    output:
        notebook=PROCESSED / "notebooks" / "synthesis.ipynb",
        table1=report(
            SYNTHESIS / "table1.csv",
            caption="../report/synthesis_table1.rst",
            category="Synthesis",
        ),
        evidence_map=SYNTHESIS / "evidence_map.csv",
        factor_studies=SYNTHESIS / "factor_studies.csv",
        evidence_map_svg=report(
            SYNTHESIS / "evidence_map.svg",
            caption="../report/synthesis_evidence_map.rst",
            category="Synthesis",
        ),
        evidence_map_png=SYNTHESIS / "evidence_map.png",
        characteristics=SYNTHESIS / "study_characteristics.csv",
        characteristics_svg=report(
            SYNTHESIS / "study_characteristics.svg",
            caption="../report/synthesis_study_characteristics.rst",
            category="Synthesis",
        ),
        characteristics_png=SYNTHESIS / "study_characteristics.png",
        comparison=report(
            SYNTHESIS / "comparison_published.csv",
            caption="../report/synthesis_comparison.rst",
            category="Synthesis",
        ),
        numbers=SYNTHESIS / "synthesis.json",
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
        outdir=SYNTHESIS,
        config=config_parameters(config.get("synthesis")),
    shell:
        "reviewflow notebook {input.notebook} {output.notebook}"
        " -p included_studies {input.included} -p codebook {input.codebook}"
        " -p published_table1 '{input.published}' -p outdir {params.outdir}"
        " {params.config} 2> {log} || {{ cat {log} >&2; exit 1; }}"
