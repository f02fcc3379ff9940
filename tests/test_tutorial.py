"""docs/tutorial.md works as written: every command in it, in order, on a fresh review."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from reviewflow import prose
from reviewflow.render import visible_text

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
TUTORIAL = REPO / "docs" / "tutorial.md"


def tutorial_script() -> str:
    blocks = re.findall(r"^```bash\n(.*?)^```", TUTORIAL.read_text(encoding="utf-8"), re.M | re.S)
    assert len(blocks) >= 8, "the tutorial lost its commands"
    return "set -euo pipefail\n" + "\n".join(blocks)


def test_every_command_in_the_tutorial_runs(tmp_path: Path) -> None:
    if not (REPO / ".venv" / ".ready").is_file():
        pytest.skip("the tutorial starts from a set-up checkout (`make paper` made .venv)")
    review = tmp_path / "my-review"
    proc = subprocess.run(
        ["bash", "-c", tutorial_script()],
        cwd=REPO,
        env={**os.environ, "REVIEW": str(review)},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = yaml.safe_load((review / "data/processed/manuscript/results.yml").read_text())
    prisma = results["results"]["prisma"]
    assert prisma["identified_total"] == 8
    assert prisma["studies_included"] == 2
    html = (review / "manuscript/_output/index.html").read_text(encoding="utf-8")
    text = " ".join(visible_text(html).split())
    assert "Exercise therapy for chronic low back pain" in text
    assert f"Of {prose.count(prisma['identified_total'], 'record')}," in text
    assert "To write:" in text  # a draft: the author's text is still to come
    assert (review / "manuscript/_output/index.pdf").read_bytes().startswith(b"%PDF")
