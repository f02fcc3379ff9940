# Stage 5: PRISMA 2020 counts (checked: every record in exactly one box), the full-text
# exclusions table and the flow diagram.


rule prisma:
    input:
        engine=ENGINE_STAMP,
        records=PROCESSED / "records" / "records.csv",
        links=PROCESSED / "dedup" / "links.csv",
        studies=PROCESSED / "dedup" / "studies.csv",
        title_abstract=PROCESSED / "screening" / "title_abstract.csv",
        full_text=PROCESSED / "screening" / "full_text.csv",
    output:
        counts=PROCESSED / "prisma" / "counts.json",
        boxes=PROCESSED / "prisma" / "record_boxes.csv",
        excluded=PROCESSED / "prisma" / "excluded_full_text.csv",
        svg=report(
            PROCESSED / "prisma" / "flow.svg",
            caption="../report/prisma.rst",
            category="PRISMA",
        ),
        png=report(
            PROCESSED / "prisma" / "flow.png",
            caption="../report/prisma.rst",
            category="PRISMA",
        ),
    log:
        "logs/prisma.log",
    group:
        "review"
    conda:
        "../envs/reviewflow.yaml"
    threads: 1
    resources:
        mem_mb=sized(500, 8, lines_of("records")),
        runtime=sized(5, 0.005, lines_of("records")),
    params:
        out_dir=lambda wildcards, output: Path(output.counts).parent,
        companion_reasons=config["screening"].get("companion_report_reasons", []),
    shell:
        "reviewflow --log {log:q} prisma --records {input.records:q}"
        " --links {input.links:q} --studies {input.studies:q}"
        " --title-abstract {input.title_abstract:q} --full-text {input.full_text:q}"
        " --companion-reasons {params.companion_reasons:q} --out-dir {params.out_dir:q}"
