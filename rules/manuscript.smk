# Manuscript: gather the numbers the text uses, then render the paper and check it.
# `reviewflow results` writes results.yml (every number), included.bib and the supplement's
# tables; `reviewflow render` runs Quarto when installed, otherwise pandoc + typst.
import os
from pathlib import Path

MANUSCRIPT_TABLES = [
    "search_sources",
    "search_strategies",
    "excluded_full_text",
    "audit_trail",
    "included_studies",
]
# Every source file of the paper (text, filters, styles, background bibliography), so an
# edit to any of them re-renders. Listed by pattern, so files a renderer leaves behind
# (Quarto's index.typ, .quarto/) never count as sources.
MANUSCRIPT_SOURCES = sorted(
    str(p)
    for pattern in (
        "*.qmd",
        "_quarto.yml",
        "*.bib",
        "_filters/*.lua",
        "_typst/*.typ",
        "_styles/*.css",
    )
    for p in Path("manuscript").glob(pattern)
)


rule manuscript_results:
    input:
        config="config/config.yaml",
        search_log="data/raw/searches.yaml",
        records="data/processed/records/records.csv",
        studies="data/processed/dedup/studies.csv",
        links="data/processed/dedup/links.csv",
        prisma="data/processed/prisma/counts.json",
        title_abstract="data/processed/screening/title_abstract.csv",
        full_text="data/processed/screening/full_text.csv",
        agreement=[
            "data/processed/screening/title_abstract_agreement.json",
            "data/processed/screening/full_text_agreement.json",
        ],
        synthesis="data/processed/synthesis/synthesis.json",
        # read beside synthesis.json: the studies behind each form of capital
        evidence_map="data/processed/synthesis/evidence_map.csv",
        table1="data/processed/synthesis/table1.csv",
    output:
        results="data/processed/manuscript/results.yml",
        bib="data/processed/manuscript/included.bib",
        tables=expand("data/processed/manuscript/{name}.csv", name=MANUSCRIPT_TABLES),
    log:
        "logs/manuscript_results.log",
    group:
        "review"
    conda:
        "../envs/reviewflow.yaml"
    threads: 1
    resources:
        mem_mb=sized(500, 8, lines_of("records")),
        runtime=sized(5, 0.005, lines_of("records")),
    params:
        screening_dir=lambda wildcards, input: os.path.dirname(input.full_text),
        out_dir=lambda wildcards, output: os.path.dirname(output.results),
    shell:
        "reviewflow results --config {input.config} --search-log {input.search_log}"
        " --records {input.records} --studies {input.studies} --links {input.links}"
        " --prisma {input.prisma} --screening-dir {params.screening_dir}"
        " --synthesis {input.synthesis} --out-dir {params.out_dir} 2> {log}"


rule render_manuscript:
    input:
        sources=MANUSCRIPT_SOURCES,
        results=rules.manuscript_results.output.results,
        bib=rules.manuscript_results.output.bib,
        tables=rules.manuscript_results.output.tables,
        figures=[
            "data/processed/prisma/flow.svg",
            "data/processed/synthesis/evidence_map.svg",
            "data/processed/synthesis/study_characteristics.svg",
        ],
        data_tables=[
            "data/processed/synthesis/table1.csv",
            "data/processed/synthesis/comparison_published.csv",
        ],
        provenance="data/processed/provenance.json",
    output:
        html="manuscript/_output/index.html",
        pdf="manuscript/_output/index.pdf",
    log:
        "logs/render_manuscript.log",
    group:
        "review"
    conda:
        "../envs/reviewflow.yaml"
    threads: 1
    resources:
        mem_mb=sized(2000),
        runtime=sized(15),
    params:
        renderer=config.get("manuscript", {}).get("renderer", "auto"),
    shell:
        "reviewflow render --manuscript-dir manuscript --renderer {params.renderer}"
        " 2> {log}"
