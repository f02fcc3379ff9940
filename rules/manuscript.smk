# Manuscript: gather the numbers the text uses, then render the paper and check it.
# `reviewflow results` writes results.yml (every number), included.bib and the supplement's
# tables; `reviewflow render` runs Quarto when installed, otherwise pandoc + typst.
import os

MANUSCRIPT_TABLES = [
    "search_sources",
    "search_strategies",
    "excluded_full_text",
    "audit_trail",
    "included_studies",
]


rule manuscript_results:
    input:
        config="config/config.yaml",
        search_log=raw_input("searches.yaml"),
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
    conda:
        "../envs/reviewflow.yaml"
    params:
        search_log=RAW / "searches.yaml",
        screening_dir=lambda wildcards, input: os.path.dirname(input.full_text),
        out_dir=lambda wildcards, output: os.path.dirname(output.results),
    shell:
        "reviewflow --log {log:q} results --config {input.config:q}"
        " --search-log {params.search_log:q} --records {input.records:q}"
        " --studies {input.studies:q} --links {input.links:q} --prisma {input.prisma:q}"
        " --screening-dir {params.screening_dir:q} --synthesis {input.synthesis:q}"
        " --out-dir {params.out_dir:q}"


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
    conda:
        "../envs/reviewflow.yaml"
    params:
        renderer=config.get("manuscript", {}).get("renderer", "auto"),
    shell:
        "reviewflow --log {log:q} render --manuscript-dir manuscript"
        " --renderer {params.renderer:q}"
