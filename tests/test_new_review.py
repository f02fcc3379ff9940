"""Any review, not one paper: `reviewflow new`, a blank review that builds, a review built
from real exports nobody here coded for, and an engine that holds none of the flagship."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import ENGINE_SNAKEFILE, run_snakemake

from reviewflow import prose
from reviewflow.cli import main
from reviewflow.errors import ReviewflowError
from reviewflow.new import create
from reviewflow.render import visible_text

REPO = Path(__file__).resolve().parents[1]
# The flagship's vocabulary: none of it may live in the engine or reach another review's paper.
FLAGSHIP_WORDS = re.compile(
    r"bourdieu|\bcapitals?\b|inequalit|personalis|\bNDIS\b|Carey|Malbon", re.IGNORECASE
)
ENGINE_PARTS = ["src", "rules", "Snakefile", "report", "envs", "config/schemas"]


def paper_text(review: Path) -> str:
    html = (review / "manuscript" / "_output" / "index.html").read_text(encoding="utf-8")
    return " ".join(visible_text(html).split())


def results_of(review: Path) -> dict:
    path = review / "data" / "processed" / "manuscript" / "results.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))["results"]


def test_the_engine_holds_no_flagship_vocabulary() -> None:
    found = []
    for part in ENGINE_PARTS:
        root = REPO / part
        for path in [root] if root.is_file() else sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                text = path.read_text(encoding="utf-8", errors="ignore")
                found += [f"{path.relative_to(REPO)}: {m}" for m in FLAGSHIP_WORDS.findall(text)]
    assert not found, found[:20]


def test_new_refuses_a_folder_with_files(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("mine", encoding="utf-8")
    with pytest.raises(ReviewflowError, match="not empty"):
        create(tmp_path, "A review")


def test_new_review_has_its_own_files_and_a_valid_manifest(tmp_path: Path) -> None:
    review = create(tmp_path / "lab", 'Exercise "therapy" for pain')
    config = yaml.safe_load((review / "config" / "config.yaml").read_text(encoding="utf-8"))
    assert config["review"] == {
        "title": "Exercise 'therapy' for pain",
        "short_title": "exercise-therapy-for-pain",
    }
    assert main(["manifest", "--check", "--raw-dir", str(review / "data" / "raw")]) == 0
    for part in ("notebooks/synthesis.ipynb", "manuscript/index.qmd", ".gitignore"):
        assert (review / part).is_file(), part
    assert not (review / "Snakefile").exists()  # the workflow stays in the engine


@pytest.mark.slow
def test_blank_review_builds_a_draft_and_refuses_a_final_paper(tmp_path: Path) -> None:
    review = create(tmp_path / "blank", "A blank review")
    run_snakemake(review)
    text = paper_text(review)
    assert "To write:" in text
    assert results_of(review)["prisma"]["identified_total"] == 0
    assert not FLAGSHIP_WORDS.search(text)

    config = review / "config" / "config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("draft: true", "draft: false"),
        encoding="utf-8",
    )
    proc = run_snakemake(review, check=False)
    assert proc.returncode != 0
    assert "placeholder(s) still to write" in proc.stdout + proc.stderr


def read_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def decide(review: Path, stage: str, rows: list[tuple[str, str, str]]) -> None:
    with open(review / "data" / "raw" / "screening" / f"{stage}.csv", "a", newline="") as fh:
        for study, decision, reason in rows:
            for reviewer in ("A", "B"):
                csv.writer(fh).writerow([study, reviewer, decision, reason, ""])


@pytest.mark.slow
@pytest.mark.shared
def test_a_review_from_real_exports_reaches_a_paper_of_its_own(
    tmp_path: Path, shared_dir: Path
) -> None:
    """Real exports of another topic, decisions and coding by script, one paper: every number
    in it comes from the new data and no flagship text survives."""
    review = create(tmp_path / "lab", "Veterinary records review")
    exports = {"scopus": "asysd/scopus.ris", "wos": "asysd/wos_test.ris"}
    manifest = {r["file"]: r for r in read_rows(shared_dir / "exports/MANIFEST.csv")}
    searches = []
    for sid, name in exports.items():
        shutil.copy(shared_dir / "exports" / name, review / "data/raw/exports" / Path(name).name)
        searches.append(
            {
                "id": sid,
                "source": manifest[name]["source"],
                "kind": "database",
                "interface": "web",
                "date": "2026-01-15",
                "query": "a query as run",
                "file": f"exports/{Path(name).name}",
                "hits": int(manifest[name]["records"]),
            }
        )
    (review / "data/raw/searches.yaml").write_text(
        yaml.safe_dump({"searches": searches}, sort_keys=False), encoding="utf-8"
    )
    raw = review / "data" / "raw"
    assert main(["manifest", "--update", "--raw-dir", str(raw)]) == 0

    # Import and deduplicate first (the stages' own commands), to know the studies to decide.
    processed = review / "data" / "processed"
    assert (
        main(
            [
                "import",
                "--search-log",
                str(raw / "searches.yaml"),
                "--out",
                str(processed / "r.csv"),
                "--report",
                str(processed / "r.json"),
            ]
        )
        == 0
    )
    assert (
        main(["dedup", "--records", str(processed / "r.csv"), "--out-dir", str(processed / "d")])
        == 0
    )
    studies = [r["study_id"] for r in read_rows(processed / "d" / "studies.csv")]
    shutil.rmtree(processed)
    assert len(studies) >= 10
    decide(
        review,
        "title_abstract",
        [(s, "include", "") for s in studies[:4]]
        + [(s, "exclude", "wrong population") for s in studies[4:]],
    )
    decide(
        review,
        "full_text",
        [(s, "include", "") for s in studies[:2]]
        + [(s, "exclude", "wrong outcome") for s in studies[2:4]],
    )
    with open(raw / "extraction" / "extraction.csv", "a", newline="") as fh:
        csv.writer(fh).writerows(
            [
                [studies[0], "other", "cohort study", "40", "function; cost", ""],
                [studies[1], "United States", "randomised trial", "", "adverse events", ""],
            ]
        )
    assert main(["manifest", "--update", "--raw-dir", str(raw)]) == 0

    run_snakemake(review)
    results = results_of(review)
    prisma = results["prisma"]
    assert prisma["identified_total"] == sum(s["hits"] for s in searches)
    assert prisma["records_screened_total"] == len(studies)
    assert prisma["studies_included"] == 2
    text = paper_text(review)
    assert not FLAGSHIP_WORDS.search(text), FLAGSHIP_WORDS.findall(text)
    screened = prose.count(len(studies), "unique study")
    assert f"Of {prose.count(prisma['identified_total'], 'record')}, {screened} were" in text
    assert "Veterinary records review" in text
    assert results["groups"]["harms"]["n_studies"] == 2  # published by the generic notebook
    assert (review / "manuscript/_output/index.pdf").read_bytes().startswith(b"%PDF")
    assert ENGINE_SNAKEFILE.is_file()
