# Stage 0: the raw inputs must be exactly those the manifest lists.
# Input is every raw file's stamp (rules/common.smk), so editing, adding or removing any raw
# file re-runs the check. On failure the message names the files.


# Before any job of a real run starts (not in dry runs), check the raw files against the
# manifest, so a changed, missing or unlisted file stops the build before anything is made
# from it. The stages do not take the verified copy as input: that would make any raw edit
# (one screening decision) re-run the import and everything after it.
onstart:
    from reviewflow.errors import ReviewflowError
    from reviewflow.manifest import check

    try:
        check(RAW)
    except ReviewflowError as exc:
        raise SystemExit(f"reviewflow: error: {exc}") from None


rule verify_manifest:
    input:
        engine=ENGINE_STAMP,
        manifest=RAW / "MANIFEST.sha256",
        raw=sorted(str(stamp) for stamp in RAW_STAMPS.values()),
    output:
        PROCESSED / "manifest" / "verified.sha256",
    log:
        "logs/verify_manifest.log",
    conda:
        "../envs/reviewflow.yaml"
    threads: 1
    resources:
        mem_mb=sized(500),
        runtime=sized(5),
    params:
        raw_dir=RAW,
    shell:
        "reviewflow --log {log:q} manifest --check --raw-dir {params.raw_dir:q}"
        " --out {output:q}"
