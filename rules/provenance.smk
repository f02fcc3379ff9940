# What this build was made from (input hashes, versions, renderer, git commit), for the
# supplement. Raw input hashes come from the verified manifest; no timestamps.


rule provenance:
    input:
        manifest=PROCESSED / "manifest" / "verified.sha256",
        config="config/config.yaml",
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
        renderer=config.get("manuscript", {}).get("renderer", "auto"),
    shell:
        "reviewflow provenance --out {output} --raw-dir data/raw --manifest {input.manifest}"
        " --input {input.config} --renderer {params.renderer} 2> {log}"
