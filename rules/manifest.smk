# Stage 0: the raw inputs must be exactly those the manifest lists.
# Input lists every file under data/raw (found when the DAG is built), so adding, editing or
# removing any raw file re-runs the check. On failure the message names the files.


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
        manifest=RAW / "MANIFEST.sha256",
        raw=lambda wildcards: sorted(
            str(p)
            for p in RAW.rglob("*")
            if p.is_file() and p != RAW / "MANIFEST.sha256"
        ),
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
    shell:
        "reviewflow manifest --check --raw-dir data/raw --out {output} 2> {log}"
        " || {{ cat {log} >&2; exit 1; }}"
