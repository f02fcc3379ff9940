"""The paper-text checks of tests/paper_checks.py, on PDFs made here (the flagship's rendered
PDF is the lead's to check with the same functions)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib
import pytest
from paper_checks import check_paper_text, missing_prisma_boxes, pdf_text, prose_defects
from test_prisma import FT, TA, build

from reviewflow import disclosure, prisma

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def text_pdf(text: str, path: Path) -> Path:
    """A one-page PDF whose text can be extracted (TrueType fonts, not outlines)."""
    with matplotlib.rc_context({"pdf.fonttype": 42}):
        fig = plt.figure(figsize=(8.3, 11.7))
        fig.text(0.05, 0.95, "\n".join(textwrap.wrap(text, 90)), va="top", fontsize=9)
        fig.savefig(path)
        plt.close(fig)
    return path


@pytest.mark.parametrize(
    "bad",
    [
        "Records came from 2 other source(s).",
        "The query returned 0 row(s).",
        "Zero rows were found",
        "6 of the 6 studies were rated",
        "Six of the six studies were rated",
        "0 of the 6 studies",
        "none were rated in zero of the studies",
    ],
)
def test_prose_defects_found(bad):
    assert prose_defects(f"Results. {bad} More text.")


@pytest.mark.parametrize(
    "good",
    [
        "Records came from two other sources.",
        "All six studies were rated; none of the six studies was European.",
        "One of the six studies, 10 rows, and 0.5 of the budget.",
    ],
)
def test_prose_defects_pass_good_text(good):
    assert prose_defects(good) == []


def test_diagram_pdf_has_every_template_box(tmp_path):
    (tmp_path / "ta.csv").write_text(TA)
    (tmp_path / "ft.csv").write_text(FT)
    counts, _ = build(tmp_path / "ta.csv", tmp_path / "ft.csv")
    with matplotlib.rc_context({"pdf.fonttype": 42}):
        fig = prisma.draw_flow(counts)
        fig.savefig(tmp_path / "flow.pdf")
        plt.close(fig)
    text = pdf_text(tmp_path / "flow.pdf")
    assert missing_prisma_boxes(text) == []
    check_paper_text(text)


def test_missing_box_and_bad_prose_fail_the_check(tmp_path):
    boxes = [b for b in prisma.TEMPLATE_BOXES if "automation" not in b]
    text = " ".join(f"{b} (n = 3)" for b in boxes) + " In all, 6 of the 6 studies were rated."
    with pytest.raises(AssertionError) as exc:
        check_paper_text(pdf_text(text_pdf(text, tmp_path / "paper.pdf")))
    assert "Records marked as ineligible by automation tools" in str(exc.value)
    assert "'N of the N'" in str(exc.value)


def test_databases_only_paper_needs_no_other_methods_header():
    boxes = [b for b in prisma.TEMPLATE_BOXES if "other methods" not in b]
    assert missing_prisma_boxes(" ".join(boxes), other_methods=False) == []
    assert missing_prisma_boxes(" ".join(boxes)) == ["Identification of studies via other methods"]


def test_undisclosed_constructed_inputs_fail_on_pdf_text(tmp_path, repo_dir):
    classes = disclosure.read_classes(repo_dir / "data" / "raw")
    honest = pdf_text(text_pdf("Methods. " + disclosure.disclosure(classes), tmp_path / "a.pdf"))
    disclosure.check_disclosed(honest, classes)
    silent = pdf_text(text_pdf("Methods. The searches were run in 2019.", tmp_path / "b.pdf"))
    with pytest.raises(Exception, match="does not disclose its constructed inputs"):
        disclosure.check_disclosed(silent, classes)


def test_diagram_svg_keeps_its_text_in_a_typst_pdf(tmp_path):
    """The route the paper takes (flow.svg into Typst): every template box stays text."""
    typst = pytest.importorskip("typst")
    (tmp_path / "ta.csv").write_text(TA)
    (tmp_path / "ft.csv").write_text(FT)
    counts, _ = build(tmp_path / "ta.csv", tmp_path / "ft.csv")
    prisma.write_figures(counts, tmp_path)
    (tmp_path / "doc.typ").write_text('#image("flow.svg", width: 100%)\n')
    typst.compile(str(tmp_path / "doc.typ"), output=str(tmp_path / "doc.pdf"))
    text = pdf_text(tmp_path / "doc.pdf")
    assert missing_prisma_boxes(text) == []
    assert "Scopus (n = 5)" in text.replace("\u00a0", " ")
