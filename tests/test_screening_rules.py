"""The screening and PRISMA rules run by Snakemake on the fixture in tests/data/screening/.

Only this area's rules (plus rules/common.smk) are included, with records/links/studies laid
in place of the upstream stages' outputs, so the test does not depend on them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import REPO, run_snakemake

pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "data" / "screening"
SNAKEFILE = """configfile: "config/config.yaml"
include: "rules/common.smk"
include: "rules/screening.smk"
include: "rules/prisma.smk"
rule all:
    input: "data/processed/prisma/counts.json"
"""


def lay_out(root: Path, fmt: str = "native") -> Path:
    for name in ("common.smk", "screening.smk", "prisma.smk"):
        (root / "rules").mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "rules" / name, root / "rules" / name)
    shutil.copytree(REPO / "config" / "schemas", root / "config" / "schemas")
    shutil.copytree(REPO / "envs", root / "envs")
    (root / "report").mkdir()
    shutil.copy(REPO / "report" / "prisma.rst", root / "report" / "prisma.rst")
    config = (DATA / "config.yaml").read_text().replace("format: native", f"format: {fmt}")
    (root / "config" / "config.yaml").write_text(config)
    raw = root / "data" / "raw"
    (raw / "screening").mkdir(parents=True)
    (raw / "searches.yaml").write_text("searches: []\n")
    if fmt == "asreview":  # one export per reviewer in data/raw/screening/<stage>/
        for stage in ("title_abstract", "full_text"):
            shutil.copytree(DATA / f"asreview_{stage}", raw / "screening" / stage)
    else:
        shutil.copy(DATA / "title_abstract.csv", raw / "screening" / "title_abstract.csv")
        shutil.copy(DATA / "full_text.csv", raw / "screening" / "full_text.csv")
    shutil.copy(DATA / "resolutions.csv", raw / "screening" / "resolutions.csv")
    processed = root / "data" / "processed"
    (processed / "records").mkdir(parents=True)
    (processed / "dedup").mkdir(parents=True)
    shutil.copy(DATA / "records.csv", processed / "records" / "records.csv")
    shutil.copy(DATA / "links.csv", processed / "dedup" / "links.csv")
    shutil.copy(DATA / "studies.csv", processed / "dedup" / "studies.csv")
    (root / "Snakefile").write_text(SNAKEFILE)
    return root


@pytest.fixture(scope="module")
def native(tmp_path_factory) -> Path:
    root = lay_out(tmp_path_factory.mktemp("rules") / "native")
    run_snakemake(root)
    return root


def test_rules_build_prisma(native):
    root = native
    counts = json.loads((root / "data/processed/prisma/counts.json").read_text())
    assert counts["identified_total"] == 13 and counts["studies_included"] == 2
    for name in ("flow.svg", "flow.png", "record_boxes.csv"):
        assert (root / "data/processed/prisma" / name).stat().st_size > 0
    assert (root / "data/processed/screening/title_abstract_agreement.json").exists()
    assert "9 studies decided" in (root / "logs/screen_title_abstract.log").read_text()
    # a second run has nothing to do
    again = run_snakemake(root, "-n")
    assert "Nothing to be done" in again.stdout + again.stderr


def test_rules_with_asreview_exports(tmp_path, native):
    root = lay_out(tmp_path / "asreview", fmt="asreview")
    run_snakemake(root)
    prisma = "data/processed/prisma/counts.json"
    assert (root / prisma).read_bytes() == (native / prisma).read_bytes()


def test_pending_decisions_stop_the_rule_with_the_work_list(tmp_path):
    root = lay_out(tmp_path / "p")
    ta = root / "data/raw/screening/title_abstract.csv"
    ta.write_text("".join(x for x in ta.open() if not x.startswith("isrctn:1")))
    proc = run_snakemake(root, check=False)
    assert proc.returncode != 0
    assert "1 study has no final title/abstract decision (1 no decision)" in proc.stderr
    assert (root / "data/processed/screening/pending_title_abstract.csv").exists()
