"""``reviewflow provenance``: record what a build was made from, for the supplement.

Input hashes (from the verified manifest), versions of the packages, Python, Snakemake and
the renderer, and the git commit. No timestamps and no absolute paths, so two builds from the
same inputs on the same machine write the same bytes.

``dirty`` is true when any tracked file differs from the commit. Snakemake cannot see that
state, so ``refresh_git_stamp`` writes it to a stamp file (rewritten only when it changes)
that the provenance rule takes as input: a new commit, or a clean tree turning dirty or back,
re-runs it (edits to notebooks, manuscript, config and package code re-run it as inputs).
"""

from __future__ import annotations

import importlib.metadata as metadata
import json
import logging
import platform
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from reviewflow import files
from reviewflow.errors import ReviewflowError
from reviewflow.manifest import MANIFEST_NAME, read_manifest, sha256_file, write_if_changed
from reviewflow.render import RENDERERS, choose_renderer

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
UNKNOWN = "unknown"
# Used only when reviewflow's own metadata is unavailable (e.g. run from a source tree).
_FALLBACK_PACKAGES = [
    "biopython", "bibtexparser", "jsonschema", "matplotlib", "nbformat", "numpy", "pandas",
    "pandera", "papermill", "pypandoc-binary", "pyyaml", "rapidfuzz", "rispy", "scikit-learn",
    "seaborn", "snakemake", "typst",
]  # fmt: skip
_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def key_packages() -> list[str]:
    """reviewflow's direct run-time dependencies (not the dev extras), canonical names."""
    try:
        requires = metadata.requires("reviewflow") or []
    except metadata.PackageNotFoundError:
        return sorted(_FALLBACK_PACKAGES)
    names = set()
    for req in requires:
        marker = req.partition(";")[2]
        if re.search(r"\bextra\s*==", marker):
            continue
        match = _REQ_NAME.match(req)
        if match:
            names.add(_canonical(match[1]))
    return sorted(names | {"reviewflow"})


def package_versions(names: list[str]) -> dict[str, str]:
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _run(cmd: list[str], cwd: Path | None = None) -> str | None:
    """First line of a command's output, or None if it is absent or fails."""
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0 or not proc.stdout.strip():
        return None
    return proc.stdout.strip().splitlines()[0].strip()


def _version_number(text: str | None) -> str:
    """'typst 0.13.1 (8ace67d9)' -> '0.13.1'; keeps the text when no number is found."""
    if not text:
        return UNKNOWN
    match = re.search(r"\d+(\.\d+)+\S*", text)
    return match[0] if match else text


def renderer_info(choice: str = "auto") -> dict[str, str]:
    """The renderer the render stage uses: Quarto if on PATH (or asked for), else pandoc+Typst.

    Mirrors config ``manuscript.renderer`` so the record names the tool actually used.
    """
    if choose_renderer(choice) == "quarto":
        version = _run([shutil.which("quarto") or "quarto", "--version"])
        return {"name": "quarto", "quarto": _version_number(version)}
    try:
        import pypandoc

        pandoc = pypandoc.get_pandoc_version()
    except (ImportError, OSError, RuntimeError):
        pandoc = UNKNOWN
    typst_cli = shutil.which("typst")
    if typst_cli:
        typst = _version_number(_run([typst_cli, "--version"]))
    else:
        typst = package_versions(["typst"])["typst"]
        typst = typst if typst == "not installed" else f"{typst} (python package)"
    return {"name": "pandoc+typst", "pandoc": str(pandoc), "typst": typst}


def git_info(cwd: Path | None = None) -> dict[str, Any]:
    """HEAD commit and whether tracked files differ from it; "unknown" outside git."""
    git = shutil.which("git")
    commit = _run([git, "rev-parse", "HEAD"], cwd) if git else None
    if not commit:
        return {"commit": UNKNOWN, "dirty": UNKNOWN}
    try:
        proc = subprocess.run(
            [git, "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        dirty: Any = bool(proc.stdout.strip()) if proc.returncode == 0 else UNKNOWN
    except (OSError, subprocess.SubprocessError):
        dirty = UNKNOWN
    return {"commit": commit, "dirty": dirty}


def refresh_git_stamp(path: str | Path, cwd: Path | None = None) -> dict[str, Any]:
    """Write the git state to ``path`` only if it differs from what is there; return it."""
    state = git_info(cwd)
    write_if_changed(json.dumps(state, sort_keys=True) + "\n", path)
    return state


def _display(path: Path) -> str:
    """A path relative to the working directory when possible (no machine-specific prefix)."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def input_hashes(manifest: Path, extra: list[Path]) -> dict[str, Any]:
    """Raw inputs from the manifest (keyed relative to the raw folder) and other inputs."""
    raw = {rel: entry.sha256 for rel, entry in read_manifest(manifest).items()}
    other = {}
    for path in extra:
        if not path.is_file():
            raise ReviewflowError("input file not found", path=path)
        other[_display(path)] = sha256_file(path)
    return {
        "manifest_sha256": sha256_file(manifest),
        "other": dict(sorted(other.items())),
        "raw": dict(sorted(raw.items())),
    }


def build(
    raw_dir: Path,
    manifest: Path | None = None,
    extra: list[Path] | None = None,
    renderer: str = "auto",
) -> dict[str, Any]:
    """The whole provenance record as a plain dict (written with sorted keys)."""
    manifest = manifest or raw_dir / MANIFEST_NAME
    versions = package_versions(key_packages())
    return {
        "schema": SCHEMA_VERSION,
        "inputs": input_hashes(manifest, extra or []),
        "packages": versions,
        "python": {
            "implementation": platform.python_implementation(),
            "version": platform.python_version(),
        },
        "platform": {"system": platform.system(), "machine": platform.machine()},
        "snakemake": package_versions(["snakemake"])["snakemake"],
        "reviewflow": package_versions(["reviewflow"])["reviewflow"],
        "renderer": renderer_info(renderer),
        "git": git_info(),
    }


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "provenance",
        help="write data/processed/provenance.json",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("--out", required=True, type=Path, help="provenance JSON to write")
    parser.add_argument("--raw-dir", default="data/raw", type=Path, help="default: data/raw")
    parser.add_argument(
        "--manifest",
        type=Path,
        help="manifest to take raw input hashes from (default: <raw-dir>/MANIFEST.sha256)",
    )
    parser.add_argument(
        "--input",
        dest="inputs",
        action="extend",
        nargs="+",
        default=[],
        type=Path,
        metavar="FILE",
        help="other inputs to hash, e.g. config/config.yaml (repeatable)",
    )
    parser.add_argument(
        "--renderer",
        choices=RENDERERS,
        default="auto",
        help="config manuscript.renderer (default: auto)",
    )
    parser.set_defaults(func=run)


def run(args) -> None:
    record = build(args.raw_dir, args.manifest, args.inputs, args.renderer)
    files.write_json(record, args.out)
    log.info("wrote %s", args.out)
