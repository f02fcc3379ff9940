"""Checks on a rendered paper's text, reusable by any test (e.g. on the flagship's PDF).

- ``pdf_text(path)``: the PDF's text, by ``pdftotext`` (poppler-utils) or ``pypdf`` if
  installed; the calling test is skipped when neither is available.
- ``prose_defects(text)``: `reviewflow.prose.templated` on the text: "(s)", a "0 row"
  count, "N of the N" ("6 of the 6", "six of the six"), "0 of the"/"zero of the".
- ``missing_prisma_boxes(text)``: lead phrases of the PRISMA 2020 template's boxes that the
  text lacks (the diagram must carry real text, not outlined glyphs, for this to see it).
- ``check_paper_text(text)``: both, as one assertion listing every problem.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from reviewflow import prose
from reviewflow.disclosure import normalise_text
from reviewflow.prisma import TEMPLATE_BOXES
from reviewflow.prisma.diagram import OTHER_METHODS_ONLY


def pdf_text(path: str | Path) -> str:
    """The text of a PDF; skips the calling test if no extractor is installed."""
    if shutil.which("pdftotext"):
        out = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(path), "-"],
            capture_output=True,
            check=True,
            text=True,
        )
        return out.stdout
    try:
        import pypdf
    except ImportError:
        pytest.skip("neither pdftotext (poppler-utils) nor pypdf is installed")
    return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(str(path)).pages)


def prose_defects(text: str) -> list[str]:
    """Every templated construction in ``text``, as 'kind: …context…'."""
    return prose.templated(normalise_text(text))


def missing_prisma_boxes(text: str, other_methods: bool = True) -> list[str]:
    """The PRISMA 2020 template boxes whose lead phrase is not in ``text``."""
    flat = normalise_text(text)
    wanted = [b for b in TEMPLATE_BOXES if other_methods or b not in OTHER_METHODS_ONLY]
    return [b for b in wanted if normalise_text(b) not in flat]


def check_paper_text(text: str, *, prisma: bool = True, other_methods: bool = True) -> None:
    problems = prose_defects(text)
    if prisma:
        problems += [f"PRISMA box missing: {b}" for b in missing_prisma_boxes(text, other_methods)]
    assert not problems, "the paper's text has problems:\n" + "\n".join(problems)
