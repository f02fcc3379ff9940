# Stage 1: every search export -> one canonical records table (+ the library export).


rule import_records:
    input:
        engine=ENGINE_STAMP,
        log=raw_input("searches.yaml"),
        exports=lambda wildcards: raw_inputs(search_export_files()),
    output:
        records=PROCESSED / "records" / "records.csv",
        report=PROCESSED / "records" / "import_report.json",
    log:
        "logs/import_records.log",
    conda:
        "../envs/reviewflow.yaml"
    threads: 1
    resources:
        mem_mb=sized(300, 14, reported_hits),
        runtime=sized(5, 0.05, reported_hits),
    params:
        search_log=RAW / "searches.yaml",
    shell:
        "reviewflow --log {log:q} import --search-log {params.search_log:q}"
        " --out {output.records:q} --report {output.report:q}"


rule export_library:
    input:
        engine=ENGINE_STAMP,
        studies=PROCESSED / "dedup" / "studies.csv",
    output:
        ris=PROCESSED / "library" / "library.ris",
        bib=PROCESSED / "library" / "library.bib",
    log:
        "logs/export_library.log",
    conda:
        "../envs/reviewflow.yaml"
    threads: 1
    resources:
        mem_mb=sized(300, 4, lines_of("studies")),
        runtime=sized(5, 0.005, lines_of("studies")),
    shell:
        "reviewflow --log {log:q} export --studies {input.studies:q}"
        " --ris {output.ris:q} --bib {output.bib:q}"
