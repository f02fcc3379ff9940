# Manuscript: gather the numbers the text uses, then render the paper and check it.
# `reviewflow results` writes results.yml (every number), included.bib and the supplement's
# tables, and nests what the review's notebooks published; `reviewflow render` runs Quarto
# when installed, otherwise pandoc + typst.
import json
import os
from pathlib import Path

from reviewflow.render import ASSETS as RENDER_ASSETS

MANUSCRIPT_TABLES = [
    "search_sources",
    "search_strategies",
    "excluded_full_text",
    "audit_trail",
    "included_studies",
]
# Every source file of the paper (the review's text, settings and background bibliography,
# and the engine's filters, Typst header and CSS), so an edit to any of them re-renders.
# Listed by pattern, so files a renderer leaves behind (Quarto's index.typ, .quarto/, the
# mirrored _reviewflow/ and _figures/) never count as sources.
MANUSCRIPT_SOURCES = sorted(
    str(p)
    for pattern in ("*.qmd", "_quarto.yml", "*.bib")
    for p in Path("manuscript").glob(pattern)
) + sorted(
    str(p) for p in RENDER_ASSETS.rglob("*") if p.suffix in (".lua", ".typ", ".css")
)


rule manuscript_results:
    input:
        search_log="data/raw/searches.yaml",
        records="data/processed/records/records.csv",
        studies="data/processed/dedup/studies.csv",
        links="data/processed/dedup/links.csv",
        dedup_report="data/processed/dedup/dedup_report.json",
        classes="data/raw/provenance_classes.yaml",
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
    conda:
        "../envs/reviewflow.yaml"
    params:
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
        "reviewflow results --review {params.review:q} --search-log {input.search_log:q}"
        " --records {input.records:q} --studies {input.studies:q} --links {input.links:q}"
        " --dedup-report {input.dedup_report:q}"
        " --provenance-classes {input.classes:q}"
        " --prisma {input.prisma:q} --screening-dir {params.screening_dir:q}"
        " --published {params.published:q} --out-dir {params.out_dir:q}"
        " --companion-reasons {params.companion_reasons:q} 2> {log:q}"
        " || {{ cat {log:q} >&2; exit 1; }}"


rule render_manuscript:
    input:
        sources=MANUSCRIPT_SOURCES,
        results=rules.manuscript_results.output.results,
        bib=rules.manuscript_results.output.bib,
        tables=rules.manuscript_results.output.tables,
        prisma="data/processed/prisma/flow.svg",
        # the synthesis notebook's tables and figures, which the text may show
        synthesis=rules.synthesis.output.outdir,
        provenance="data/processed/provenance.json",
        # the paper must disclose every constructed input (reviewflow.disclosure)
        classes="data/raw/provenance_classes.yaml",
    output:
        html="manuscript/_output/index.html",
        pdf="manuscript/_output/index.pdf",
    log:
        "logs/render_manuscript.log",
    conda:
        "../envs/reviewflow.yaml"
    params:
        renderer=config.get("manuscript", {}).get("renderer", "auto"),
    # tee: a failed render's message reaches the console as well as the log.
    shell:
        "reviewflow render --manuscript-dir manuscript --renderer {params.renderer:q}"
        " --results {input.results:q} 2>&1 | tee {log:q}"
