# Stage 0: the raw inputs must be exactly those the manifest lists; everything depends on it.
# Input lists every file under data/raw (found when the DAG is built), so adding, editing or
# removing any raw file re-runs the check. On failure the message names the files.


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
    shell:
        "reviewflow manifest --check --raw-dir data/raw --out {output} 2> {log}"
        " || {{ cat {log} >&2; exit 1; }}"
