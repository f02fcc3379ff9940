"""The screening and PRISMA rules run by Snakemake on the fixture in tests/data/screening/.

Only this area's rules (plus rules/common.smk) are included, with records/links/studies laid
in place of the upstream stages' outputs, so the test does not depend on them.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import REPO, run_snakemake

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("screening-rules")]

DATA = Path(__file__).parent / "data" / "screening"
SNAKEFILE = """configfile: "config/config.yaml"
include: "rules/common.smk"
include: "rules/screening.smk"
include: "rules/prisma.smk"
rule all:
    input: "data/processed/prisma/counts.json"
"""


def lay_out(root: Path, fmt: str = "native") -> Path:
    """The fixture in native files, or ``fmt="mixed"``: ASReview exports (one per reviewer)
    at title/abstract and Covidence list exports at full text, each in its stage's folder."""
    for name in ("common.smk", "screening.smk", "prisma.smk"):
        (root / "rules").mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "rules" / name, root / "rules" / name)
    shutil.copytree(REPO / "config" / "schemas", root / "config" / "schemas")
    shutil.copytree(REPO / "envs", root / "envs")
    (root / "report").mkdir()
    shutil.copy(REPO / "report" / "prisma.rst", root / "report" / "prisma.rst")
    setting = "{title_abstract: asreview, full_text: covidence}" if fmt == "mixed" else fmt
    config = (DATA / "config.yaml").read_text().replace("format: native", f"format: {setting}")
    (root / "config" / "config.yaml").write_text(config)
    raw = root / "data" / "raw"
    (raw / "screening").mkdir(parents=True)
    (raw / "searches.yaml").write_text("searches: []\n")
    if fmt == "mixed":
        shutil.copytree(DATA / "asreview_title_abstract", raw / "screening" / "title_abstract")
        (raw / "screening" / "full_text").mkdir()
        for name in ("review_1_included_csv.csv", "review_1_excluded_csv.csv"):
            shutil.copy(DATA / "covidence" / name, raw / "screening" / "full_text" / name)
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


def test_rules_with_mixed_tools(tmp_path, native):
    root = lay_out(tmp_path / "mixed", fmt="mixed")
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


def test_no_decision_file_yet_gives_the_work_list(tmp_path):
    """Issue 10: no decision file is "nothing decided yet", not a MissingInputException."""
    root = lay_out(tmp_path / "none")
    (root / "data/raw/screening/title_abstract.csv").unlink()
    proc = run_snakemake(root, check=False)
    assert proc.returncode != 0
    assert "MissingInputException" not in proc.stderr
    assert "studies have no final title/abstract decision" in proc.stderr
    assert "No title/abstract decision files yet" in proc.stderr
    assert (root / "data/processed/screening/pending_title_abstract.csv").exists()


def test_config_values_are_params_not_an_input(native, tmp_path):
    """Changing an unrelated config value re-runs nothing; a screening value re-runs screening."""
    root = tmp_path / "copy"
    shutil.copytree(native, root, symlinks=True)
    config = root / "config" / "config.yaml"
    config.write_text(config.read_text() + "synthesis:\n  dpi: 201\n")
    dry = run_snakemake(root, "-n")
    assert "Nothing to be done" in dry.stdout + dry.stderr
    config.write_text(config.read_text().replace("- wrong population", "- wrong population!"))
    dry = run_snakemake(root, "-n", "--quiet", "rules")
    assert re.search(r"^\s*screen\s+2\b", dry.stdout, re.M)


def test_paths_with_spaces(tmp_path):
    """Every path in the rule's shell command is quoted."""
    root = lay_out(tmp_path / "with space")
    shutil.move(root / "data/raw/screening/title_abstract.csv", root / "data/raw/screening/ta")
    (root / "data/raw/screening/title_abstract").mkdir()
    shutil.move(
        root / "data/raw/screening/ta", root / "data/raw/screening/title_abstract/alice and bob.csv"
    )
    run_snakemake(root)
    assert (root / "data/processed/prisma/counts.json").exists()
