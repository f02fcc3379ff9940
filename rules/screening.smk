# Stages 3 and 4: reviewers' screening decisions -> one checked decision per study.
# Decisions of a stage: data/raw/screening/<stage>.csv|.tsv|.xlsx and/or every file in
# data/raw/screening/<stage>/ (one export per reviewer or per Covidence list), in the stage's
# screening.format; docs/screening-tools.md says what to download from each tool. No file yet
# means nothing decided yet. While studies lack a decision the rule stops and leaves
# data/processed/screening/pending_<stage>.csv, the reviewers' work list.


rule screen:
    input:
        engine=ENGINE_STAMP,
        decisions=lambda wc: raw_inputs(relative_to_raw(screening_decisions(wc))),
        resolutions=optional_raw("screening/resolutions.csv"),
        links=PROCESSED / "dedup" / "links.csv",
        studies=PROCESSED / "dedup" / "studies.csv",
        # full text screens the studies included at title/abstract
        previous=lambda wc: (
            [str(PROCESSED / "screening" / "title_abstract.csv")]
            if wc.stage == "full_text"
            else []
        ),
    output:
        decisions=PROCESSED / "screening" / "{stage}.csv",
        agreement=PROCESSED / "screening" / "{stage}_agreement.json",
    log:
        "logs/screen_{stage}.log",
    wildcard_constraints:
        stage="title_abstract|full_text",
    group:
        "review"
    conda:
        "../envs/reviewflow.yaml"
    threads: 1
    resources:
        mem_mb=sized(500, 14, lines_of("links")),
        runtime=sized(5, 0.1, lines_of("links")),
    params:
        decisions=screening_decisions,
        format=screening_format,
        reasons=config["screening"]["exclusion_reasons"],
        resolutions=lambda wc, input: (
            ["--resolutions", str(RAW / "screening" / "resolutions.csv")]
            if input.resolutions
            else []
        ),
        previous=lambda wc, input: (
            ["--previous", *input.previous] if input.previous else []
        ),
    shell:
        "reviewflow --log {log:q} screen --stage {wildcards.stage:q}"
        " --decisions {params.decisions:q}"
        " {params.resolutions:q} {params.previous:q} --links {input.links:q}"
        " --studies {input.studies:q} --format {params.format:q}"
        " --exclusion-reasons {params.reasons:q} --out {output.decisions:q}"
        " --agreement {output.agreement:q}"
