# What this build was made from (input hashes, versions, renderer, git commit), for the
# supplement. Raw input hashes come from the verified manifest; no timestamps.
# It re-runs when anything it describes changes: a raw file (through the verified manifest),
# the config, a notebook, a manuscript source, the engine's code, or the git state (commit
# and dirty flag, kept in a stamp by rules/common.smk).


rule provenance:
    input:
        engine=ENGINE_STAMP,
        manifest=PROCESSED / "manifest" / "verified.sha256",
        config="config/config.yaml",
        notebooks=NOTEBOOKS,
        manuscript=MANUSCRIPT_SOURCES,
        git=GIT_STAMP,
    output:
        PROCESSED / "provenance.json",
    log:
        "logs/provenance.log",
    conda:
        "../envs/reviewflow.yaml"
    threads: 1
    resources:
        mem_mb=sized(500),
        runtime=sized(5),
    params:
        raw_dir=RAW,
        renderer=config.get("manuscript", {}).get("renderer", "auto"),
    shell:
        "reviewflow --log {log:q} provenance --out {output:q} --raw-dir {params.raw_dir:q}"
        " --manifest {input.manifest:q} --renderer {params.renderer:q}"
        " --input {input.engine:q} {input.config:q} {input.notebooks:q} {input.manuscript:q}"
