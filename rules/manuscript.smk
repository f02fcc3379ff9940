# Manuscript: gather the numbers the text uses, then render the paper and check it.
# `reviewflow results` writes results.yml (every number), included.bib and the supplement's
# tables, and nests what the review's notebooks published; `reviewflow render` runs Quarto
# when installed, otherwise pandoc + typst.
import json
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
        engine=ENGINE_STAMP,
        search_log=raw_input("searches.yaml"),
        classes=raw_input("provenance_classes.yaml"),
        records="data/processed/records/records.csv",
        studies="data/processed/dedup/studies.csv",
        links="data/processed/dedup/links.csv",
        dedup_report="data/processed/dedup/dedup_report.json",
        prisma="data/processed/prisma/counts.json",
        title_abstract="data/processed/screening/title_abstract.csv",
        full_text="data/processed/screening/full_text.csv",
        agreement=[
            "data/processed/screening/title_abstract_agreement.json",
            "data/processed/screening/full_text_agreement.json",
        ],
        synthesis=rules.synthesis.output.outdir,
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
        search_log=RAW / "searches.yaml",
        classes=RAW / "provenance_classes.yaml",
        screening_dir=lambda wildcards, input: os.path.dirname(input.full_text),
        out_dir=lambda wildcards, output: os.path.dirname(output.results),
        published=lambda wildcards, input: os.path.join(
            input.synthesis, "published.json"
        ),
        companion_reasons=config["screening"].get("companion_report_reasons", []),
        review=json.dumps(
            {
                **config["review"],
                "draft": config.get("manuscript", {}).get("draft", False),
            },
            sort_keys=True,
        ),
    shell:
        "reviewflow --log {log:q} results --review {params.review:q}"
        " --search-log {params.search_log:q} --records {input.records:q}"
        " --studies {input.studies:q} --links {input.links:q}"
        " --dedup-report {input.dedup_report:q} --provenance-classes {params.classes:q}"
        " --prisma {input.prisma:q} --screening-dir {params.screening_dir:q}"
        " --published {params.published:q} --out-dir {params.out_dir:q}"
        " --companion-reasons {params.companion_reasons:q}"


rule render_manuscript:
    input:
        engine=ENGINE_STAMP,
        sources=MANUSCRIPT_SOURCES,
        results=rules.manuscript_results.output.results,
        bib=rules.manuscript_results.output.bib,
        tables=rules.manuscript_results.output.tables,
        prisma="data/processed/prisma/flow.svg",
        # the synthesis notebook's tables and figures, which the text may show
        synthesis=rules.synthesis.output.outdir,
        provenance="data/processed/provenance.json",
        # the paper must disclose every constructed input (reviewflow.disclosure)
        classes=raw_input("provenance_classes.yaml"),
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
        "reviewflow --log {log:q} render --manuscript-dir manuscript"
        " --renderer {params.renderer:q} --results {input.results:q}"
