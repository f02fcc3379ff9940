# Stages 3 and 4: reviewers' screening decisions -> one checked decision per study.
# If studies still lack a decision, the rule stops and leaves
# data/processed/screening/pending_<stage>.csv, the reviewers' work list.
# Decisions: data/raw/screening/<stage>.csv, or for ASReview (single-user projects) one
# export per reviewer in data/raw/screening/<stage>/. resolutions.csv is optional.


rule screen_title_abstract:
    input:
        decisions=lambda wc: (
            sorted(
                str(p) for p in (RAW / "screening" / "title_abstract").glob("*.csv")
            )
            if config["screening"]["format"] == "asreview"
            else [str(RAW / "screening" / "title_abstract.csv")]
        ),
        resolutions=lambda wc: [
            str(p) for p in [RAW / "screening" / "resolutions.csv"] if p.exists()
        ],
        links=PROCESSED / "dedup" / "links.csv",
        studies=PROCESSED / "dedup" / "studies.csv",
        config="config/config.yaml",
    output:
        decisions=PROCESSED / "screening" / "title_abstract.csv",
        agreement=PROCESSED / "screening" / "title_abstract_agreement.json",
    log:
        "logs/screen_title_abstract.log",
    group:
        "review"
    conda:
        "../envs/reviewflow.yaml"
    threads: 1
    resources:
        mem_mb=sized(500, 14, lines_of("links")),
        runtime=sized(5, 0.1, lines_of("links")),
    params:
        resolutions=lambda wc, input: (
            f"--resolutions {input.resolutions}" if input.resolutions else ""
        ),
    shell:
        "reviewflow screen --stage title_abstract --decisions {input.decisions}"
        " {params.resolutions} --links {input.links} --studies {input.studies}"
        " --config {input.config} --out {output.decisions}"
        " --agreement {output.agreement} 2> {log} || {{ cat {log} >&2; exit 1; }}"


rule screen_full_text:
    input:
        decisions=lambda wc: (
            sorted(str(p) for p in (RAW / "screening" / "full_text").glob("*.csv"))
            if config["screening"]["format"] == "asreview"
            else [str(RAW / "screening" / "full_text.csv")]
        ),
        resolutions=lambda wc: [
            str(p) for p in [RAW / "screening" / "resolutions.csv"] if p.exists()
        ],
        links=PROCESSED / "dedup" / "links.csv",
        studies=PROCESSED / "dedup" / "studies.csv",
        config="config/config.yaml",
        previous=PROCESSED / "screening" / "title_abstract.csv",
    output:
        decisions=PROCESSED / "screening" / "full_text.csv",
        agreement=PROCESSED / "screening" / "full_text_agreement.json",
    log:
        "logs/screen_full_text.log",
    group:
        "review"
    conda:
        "../envs/reviewflow.yaml"
    threads: 1
    resources:
        mem_mb=sized(500, 14, lines_of("links")),
        runtime=sized(5, 0.1, lines_of("links")),
    params:
        resolutions=lambda wc, input: (
            f"--resolutions {input.resolutions}" if input.resolutions else ""
        ),
    shell:
        "reviewflow screen --stage full_text --decisions {input.decisions}"
        " {params.resolutions} --links {input.links} --studies {input.studies}"
        " --config {input.config} --previous {input.previous} --out {output.decisions}"
        " --agreement {output.agreement} 2> {log} || {{ cat {log} >&2; exit 1; }}"
