"""Content, not mtime, decides what re-runs; provenance re-runs whenever what it describes
changes (issue 13).

`cp -p`, `rsync -a`, tar and unzip keep a file's old mtime, so before the raw-file stamps an
edited export could leave a stale paper with exit 0; a bare `touch` re-ran stages for nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import copy_built, run_snakemake
from test_workflow import STAGES, jobs_planned

from reviewflow import manifest

pytestmark = pytest.mark.slow

OLD_TITLE = "Exploring the temporal aspects of direct payments"
NEW_TITLE = "Exploring the seasonal aspects of direct payments"  # same length, same size


@pytest.fixture
def project(built_review: Path, tmp_path: Path) -> Path:
    project = copy_built(built_review, tmp_path)
    assert jobs_planned(project) == set()
    return project


def test_edit_that_keeps_the_mtime_reruns_everything_downstream(project: Path) -> None:
    export = project / "data" / "raw" / "exports" / "scopus.ris"
    old = export.stat()
    text = export.read_text(encoding="utf-8")
    assert OLD_TITLE in text
    export.write_text(text.replace(OLD_TITLE, NEW_TITLE), encoding="utf-8")
    os.utime(export, ns=(old.st_atime_ns, old.st_mtime_ns))  # as `cp -p` / `touch -r` leave it
    assert export.stat().st_size == old.st_size
    manifest.update(project / "data" / "raw")
    assert jobs_planned(project) == set(STAGES)  # every stage, as after a fresh clone
    run_snakemake(project)
    html = (project / "manuscript" / "_output" / "index.html").read_text(encoding="utf-8")
    html = " ".join(html.split()).lower()  # the reference list is title-cased and wrapped
    assert "seasonal aspects" in html and "temporal aspects" not in html


def test_touch_alone_reruns_nothing(project: Path) -> None:
    for path in (project / "data" / "raw").rglob("*"):
        if path.is_file():
            path.touch()
    assert jobs_planned(project) == set()


def test_notebook_edit_reruns_provenance_and_marks_it_dirty(project: Path) -> None:
    git = shutil.which("git")
    if git is None:
        pytest.skip("git not installed")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}  # fmt: skip
    (project / ".gitignore").write_text("data/processed/\n.snakemake/\nlogs/\n_output/\n")
    for cmd in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "x"]):
        subprocess.run([git, *cmd], cwd=project, env=env, check=True, capture_output=True)
    target = "data/processed/provenance.json"
    run_snakemake(project, target)  # the commit itself changes what provenance records
    assert json.loads((project / target).read_text(encoding="utf-8"))["git"]["dirty"] is False

    notebook = project / "notebooks" / "synthesis.ipynb"
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    code["source"] = ["# a comment, not committed\n", *code["source"]]
    notebook.write_text(json.dumps(nb, indent=1) + "\n", encoding="utf-8")
    assert {"synthesis", "provenance", "render_manuscript"} <= jobs_planned(project)
    run_snakemake(project, target)
    assert json.loads((project / target).read_text(encoding="utf-8"))["git"]["dirty"] is True
