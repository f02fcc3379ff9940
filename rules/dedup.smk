# Stage 2: link every record to its study (entity resolution, never deletion).
# Human decisions (force merge / split) are an input only when the file exists.


rule deduplicate:
    input:
        engine=ENGINE_STAMP,
        records=PROCESSED / "records" / "records.csv",
        decisions=optional_raw("dedup_decisions.csv"),
    output:
        links=PROCESSED / "dedup" / "links.csv",
        studies=PROCESSED / "dedup" / "studies.csv",
        maybe=PROCESSED / "dedup" / "maybe_pairs.csv",
        report=PROCESSED / "dedup" / "dedup_report.json",
    log:
        "logs/deduplicate.log",
    conda:
        "../envs/reviewflow.yaml"
    threads: 2
    resources:
        mem_mb=sized(300, 8, lines_of("records")),
        runtime=sized(5, 0.03, lines_of("records")),
    params:
        decisions=RAW / "dedup_decisions.csv",
        out_dir=PROCESSED / "dedup",
    shell:
        "reviewflow --log {log:q} dedup --records {input.records:q}"
        " --decisions {params.decisions:q} --out-dir {params.out_dir:q}"
