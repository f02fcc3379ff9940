"""The fixture review rendered by Quarto and by pandoc + typst: the same paper (issue 12).

Runs whenever Quarto is available (``quarto`` on PATH, or ``../shared/tools/quarto``) and
skips cleanly otherwise. The fixture review is built as in test_workflow.py up to the
render, then rendered both ways; the two papers are compared as a reader would see them:
the HTML's tables, captions, paragraphs and references, and the words and pages of the PDFs.
"""

from __future__ import annotations

import html.parser
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import SHARED, copy_built
from test_render_browser import assert_clean_in_browser

from reviewflow import render

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("render-quarto")]

SHARED_QUARTO = SHARED / "tools" / "quarto" / "bin"


def quarto_path() -> str | None:
    """PATH with Quarto on it (and this venv first, for Quarto's pandoc and typst)."""
    path = os.environ.get("PATH", "")
    if not shutil.which("quarto"):
        if not (SHARED_QUARTO / "quarto").is_file():
            return None
        path = f"{SHARED_QUARTO}:{path}"
    return f"{Path(sys.executable).parent}:{path}"


def git(project: Path, *args: str) -> str:
    cmd = ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args]
    return subprocess.run(cmd, cwd=project, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def papers(built_review: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Both renders' outputs (and the PDF's Typst source) and `git status` after them."""
    path = quarto_path()
    if path is None:
        pytest.skip("Quarto is not installed (no quarto on PATH, no ../shared/tools/quarto)")
    project = copy_built(built_review, tmp_path_factory.mktemp("both"))
    for generated in ("_output", "_reviewflow", "_figures", "_results.yml"):  # as before a render
        made = project / "manuscript" / generated
        shutil.rmtree(made) if made.is_dir() else made.unlink()
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "built up to the render")
    mdir = project / "manuscript"
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATH", path)
        for renderer, typ in (("pandoc", "_output/index.typ"), ("quarto", "index.typ")):
            render.render(mdir, renderer)  # raises unless check_outputs passes
            out[renderer] = project.parent / renderer
            shutil.copytree(mdir / "_output", out[renderer])
            shutil.copy2(mdir / typ, out[renderer] / "source.typ")
    out["status"] = git(project, "status", "--porcelain", "--untracked-files=all")
    return out


def words(text: str) -> str:
    return " ".join(text.split())  # also folds Quarto's no-break space in "Table 1"


TEXT_TAGS = ("p", "pre", "h1", "h2", "h3", "figcaption", "caption", "td", "th")


class Page(html.parser.HTMLParser):
    """Paragraphs, headings, code blocks, captions, references and tables (by tbl-/stbl- id)."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self.headings: list[str] = []
        self.code: list[str] = []
        self.captions: list[str] = []
        self.references: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self._open: list[tuple[str, str, list[str]]] = []  # (tag, id or class, text)
        self._float = ""
        self._skip = 0
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("script", "style", "svg", "nav"):
            self._skip += 1
        if re.match(r"s?tbl-", a.get("id", "")) and tag in ("div", "table"):
            self._float = a["id"]
            self.tables[self._float] = []
        if tag == "tr" and self._float:
            self.tables[self._float].append([])
        if tag in TEXT_TAGS or "csl-entry" in a.get("class", ""):
            self._open.append((tag, a.get("class", ""), []))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "svg", "nav") and self._skip:
            self._skip -= 1
        if tag == "table":
            self._float = ""
        if not self._open or (self._open[-1][0] != tag):
            return
        _, cls, parts = self._open.pop()
        text = words("".join(parts))
        if tag in ("td", "th") and self.tables.get(self._float):
            self.tables[self._float][-1].append(text)
        elif tag in ("figcaption", "caption") and re.match(r"(Figure|Table) S?\d+:", text):
            self.captions.append(text)
        elif "csl-entry" in cls:
            self.references.append(text)
        elif tag == "p":
            self.paragraphs.append(text)
        elif tag == "pre":
            self.code.append(text)
        elif tag in ("h1", "h2", "h3"):
            self.headings.append(text)

    def handle_data(self, data: str) -> None:
        if not self._skip:
            for _, _, parts in self._open:
                parts.append(data)


@pytest.fixture(scope="module")
def pages(papers: dict[str, Path]) -> dict[str, Page]:
    return {r: Page((papers[r] / "index.html").read_text("utf-8")) for r in ("pandoc", "quarto")}


def test_render_dirties_no_tracked_file(papers):
    """Issue 12 (7): e.g. Quarto appending to manuscript/.gitignore."""
    assert papers["status"] == ""


def test_same_tables_with_bodies(pages):
    """Issue 12 (2): every table, with its body, under the same id, on both paths."""
    pandoc, quarto = pages["pandoc"].tables, pages["quarto"].tables
    assert len(pandoc) == 5  # the template: characteristics, sources, excluded, audit, provenance
    assert all(len(rows) > 1 for rows in pandoc.values())  # heading row + body
    assert quarto == pandoc


def test_same_figure_and_table_numbers_and_captions(pages):
    assert pages["quarto"].captions == pages["pandoc"].captions
    labels = [c.split(":")[0] for c in pages["pandoc"].captions]
    # The supplement's tables are numbered apart from the main ones.
    assert labels == [
        "Figure 1",
        "Table 1",
        "Figure 2",
        "Figure 3",
        *(f"Table S{i}" for i in range(1, 5)),
    ]


def test_same_text_values_citations_and_references(pages):
    """Every paragraph (values filled, citations, cross-references), heading and code block
    (the supplement's search strategies) reads the same."""
    pandoc, quarto = pages["pandoc"], pages["quarto"]
    assert pandoc.code and quarto.code == pandoc.code
    assert [h for h in quarto.headings if h in pandoc.headings] == pandoc.headings
    assert pandoc.references and quarto.references == pandoc.references
    missing = [p for p in pandoc.paragraphs if p not in quarto.paragraphs]
    assert missing == []
    assert any("(Page et al. 2021)" in p for p in quarto.paragraphs)  # author-date


def pdf(path: Path) -> tuple[int, str]:
    """(pages, text) of a PDF, hyphenation at line ends undone."""
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    # Line breaks differ between the two layouts, and pdftotext joins a word broken at its
    # hyphen ("socio-\neconomic" -> "socioeconomic"): compare words without hyphens.
    return text.count("\f"), re.sub("[-\u00ad]", "", re.sub("[-\u00ad]\n", "", text))


def test_same_pdf_pages_words_and_captions(papers):
    (n_pandoc, pandoc), (n_quarto, quarto) = (
        pdf(papers[r] / "index.pdf") for r in ("pandoc", "quarto")
    )
    assert abs(n_pandoc - n_quarto) <= 1
    caption = re.compile(r"\b(?:Figure|Table) S?\d+: .{0,30}")
    assert caption.findall(quarto) == caption.findall(pandoc)
    assert len(caption.findall(pandoc)) == 8
    vocab = {r: Counter(re.findall(r"\w+", t)) for r, t in (("pandoc", pandoc), ("quarto", quarto))}
    # Tables repeat their heading row on each page they run over, so counts may differ a
    # little where pages break differently; the words themselves must be the same.
    assert set(vocab["pandoc"]) ^ set(vocab["quarto"]) == set()
    assert "(Page et al. 2021)" in words(quarto) and "(Page et al. 2021)" in words(pandoc)


def test_pdf_sources_cite_by_citeproc_and_style_tables(papers):
    """Issue 12 (1, 5): no Typst bibliography (outside the root); Quarto's tables styled."""
    quarto = (papers["quarto"] / "source.typ").read_text("utf-8")
    assert "#bibliography(" not in quarto
    assert 'kind: "quarto-float-tbl"' in quarto
    assert "is-table" in quarto  # _typst/header.typ made it in
    assert render.typst_problems(quarto) == []


def test_quarto_html_is_self_contained(papers):
    """Issue 12 (6): no MathJax or fonts from a CDN; check_outputs already passed."""
    text = (papers["quarto"] / "index.html").read_text("utf-8")
    assert render.html_problems(text) == []
    assert "mathjax" not in text.lower()


def test_quarto_html_in_chromium(papers, tmp_path: Path):
    assert_clean_in_browser(papers["quarto"] / "index.html", tmp_path / "screenshots")
