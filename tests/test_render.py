"""Rendering: the Lua filters, the pandoc + typst path, and the check for unresolved items."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pypandoc
import pytest
from conftest import results_args as args_for

from reviewflow import render, results
from reviewflow.errors import ReviewflowError

REPO = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "data" / "manuscript"
FILTERS = REPO / "src" / "reviewflow" / "assets" / "filters"
PANDOC = pypandoc.get_pandoc_path()


def pandoc(text: str, *filters: str, to: str = "plain", cwd: Path = FIXTURE):
    cmd = [PANDOC, "-f", "markdown", "-t", to, "--metadata-file", "mini_results.yml"]
    for f in filters:
        cmd += ["--lua-filter", str(FILTERS / f)]
    return subprocess.run(cmd, input=text, capture_output=True, text=True, cwd=cwd)


# --- results.lua ---------------------------------------------------------------------------


def test_val_spans_are_replaced():
    out = pandoc(
        "We included [counts.included]{.val} of [counts.big]{.val} from "
        "[search.databases_list]{.val}.",
        "results.lua",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "We included 4 of 69,000 from Scopus, Web of Science and PubMed."


def test_unknown_key_fails_with_its_name():
    out = pandoc("Oops [counts.excluded]{.val}.", "results.lua")
    assert out.returncode != 0
    assert 'unknown key "counts.excluded"' in out.stderr


def test_group_key_fails():
    out = pandoc("[counts]{.val}", "results.lua")
    assert out.returncode != 0
    assert "is a group of values" in out.stderr


def test_cites_and_cite_id_become_citations():
    out = pandoc(
        "All [included.keys]{.cites}; one [db:2]{.cite-id}; missing.", "results.lua", to="native"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.count('citationId = "doe2001"') == 1
    assert out.stdout.count('citationId = "roe2002"') == 2
    assert "AuthorInText" in out.stdout
    bad = pandoc("[db:9]{.cite-id}", "results.lua")
    assert bad.returncode != 0 and '"db:9" is not an included study' in bad.stderr


# --- tables.lua + crossref.lua -------------------------------------------------------------


def test_csv_table_becomes_numbered_table_with_citations():
    text = (
        "See @tbl-mini.\n\n"
        '::: {#tbl-mini .csv-table file="mini_table.csv" caption="Mini [counts.included]{.val}" '
        'columns="study_id,note" headers="Study|Note" cite-column="study_id"}\n:::\n'
    )
    out = pandoc(text, "tables.lua", "results.lua", "crossref.lua", to="html")
    assert out.returncode == 0, out.stderr
    html = out.stdout
    assert '<table id="tbl-mini"' in html
    assert "Table 1: Mini 4" in html
    assert '<a href="#tbl-mini">Table 1</a>' in html
    assert "plain *not emphasis*" in html  # cells are verbatim text, not markdown
    assert "12 interviews" not in html  # the unselected column is left out
    assert html.count("<tr") == 3


def test_unresolved_cross_reference_stops_pandoc():
    out = pandoc("See @fig-nothing.", "crossref.lua")
    assert out.returncode != 0
    assert "unresolved reference @fig-nothing" in out.stderr


def test_missing_column_is_named():
    text = '::: {#tbl-x .csv-table file="mini_table.csv" columns="nope"}\n:::\n'
    out = pandoc(text, "tables.lua")
    assert out.returncode != 0 and 'no column "nope"' in out.stderr


# --- the output check ------------------------------------------------------------------------


def write_outputs(out_dir: Path, html_body: str) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "index.html").write_text(f"<html><body>{html_body}</body></html>")
    (out_dir / "index.pdf").write_bytes(b"%PDF-1.7\n")


@pytest.mark.parametrize(
    ("body", "what"),
    [
        ("<p>As shown in ?? above</p>", "'\\?\\?'"),
        ("<p>As @fig-flow shows</p>", "unresolved cross-reference"),
        ("<p>{{< include x.qmd >}}</p>", "raw shortcode"),
        ("<p>n = [counts.included]{.val}</p>", "unreplaced results span"),
    ],
)
def test_check_catches_planted_problems(tmp_path: Path, body: str, what: str):
    write_outputs(tmp_path, body)
    with pytest.raises(ReviewflowError, match=what):
        render.check_outputs(tmp_path)


def test_check_ignores_scripts_and_passes_clean_output(tmp_path: Path):
    write_outputs(tmp_path, "<script>a ?? b</script><p>Table 1 shows it.</p>")
    render.check_outputs(tmp_path)
    with pytest.raises(ReviewflowError, match="not found"):
        render.check_outputs(tmp_path, "[WARNING] Citeproc: citation nobody2020 not found")
    (tmp_path / "index.pdf").unlink()
    with pytest.raises(ReviewflowError, match="did not write"):
        render.check_outputs(tmp_path)


def test_quarto_asked_for_but_absent(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert render.choose_renderer("auto") == "pandoc"
    with pytest.raises(ReviewflowError, match="quarto is not on PATH"):
        render.choose_renderer("quarto")


def test_include_expansion(tmp_path: Path):
    (tmp_path / "a.qmd").write_text("A\n{{< include _b.qmd >}}\n")
    (tmp_path / "_b.qmd").write_text("B")
    assert render.expand_includes(tmp_path / "a.qmd") == "A\nB\n"
    (tmp_path / "_b.qmd").write_text("{{< include a.qmd >}}")
    with pytest.raises(ReviewflowError, match="include loop"):
        render.expand_includes(tmp_path / "a.qmd")


# --- the real paper on the fixture review, through pandoc + typst -----------------------------


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("paper")
    shutil.copytree(FIXTURE / "data", root / "data")
    shutil.copytree(
        REPO / "manuscript", root / "manuscript", ignore=shutil.ignore_patterns("_output")
    )
    results.run(args_for(root, root / "data" / "processed" / "manuscript"))
    render.render(root / "manuscript", "pandoc")
    return root / "manuscript" / "_output"


def test_paper_renders_with_numbers_tables_figures_and_references(rendered: Path):
    html = (rendered / "index.html").read_text("utf-8")
    text = " ".join(render.visible_text(html).split())
    assert "A tiny fixture review" in text  # title from config via results.yml
    assert "The searches returned 8 records" in text
    assert "Inventia (3) and Fictland (1)" in text
    assert "Cohen’s kappa before resolution was 0.72 at title and abstract" in text
    for label in ("Figure 1", "Figure 2", "Figure 3", "Table 1", "Table 2", "Table 6"):
        assert label in text, label
    assert "Table 7" not in text
    assert '<table id="tbl-studies"' in html
    assert "Cedar, Lee, Ann Dogwood, and Pat Elm. 2017" in text  # included.bib
    assert "The PRISMA 2020 Statement" in text  # references.bib
    assert 'src="../data' not in html  # images embedded: the HTML stands alone
    assert "max-width: 52em" in html  # _styles/paper.css embedded too
    assert "TS=(personali* AND" in text  # search string verbatim in the supplement
    assert render.find_problems(text) == []
    assert (rendered / "index.pdf").read_bytes().startswith(b"%PDF")
    assert render.find_problems((rendered / "index.typ").read_text("utf-8")) == []


def test_second_render_is_byte_identical(rendered: Path):
    before = {n: (rendered / n).read_bytes() for n in ("index.html", "index.pdf")}
    render.render(rendered.parent, "pandoc")
    for name, data in before.items():
        assert (rendered / name).read_bytes() == data, name


def test_render_fails_on_unknown_key(rendered: Path, tmp_path: Path):
    mdir = tmp_path / "manuscript"
    shutil.copytree(rendered.parent, mdir, ignore=shutil.ignore_patterns("_output"))
    shutil.copytree(rendered.parent.parent / "data", tmp_path / "data")
    qmd = mdir / "index.qmd"
    qmd.write_text(qmd.read_text("utf-8").replace("[included.n]{.val}", "[included.nn]{.val}"))
    with pytest.raises(ReviewflowError, match='unknown key "included.nn"'):
        render.render(mdir, "pandoc")


# --- background references -------------------------------------------------------------------


def background_entries() -> dict:
    import bibtexparser

    lib = bibtexparser.parse_string((REPO / "manuscript" / "references.bib").read_text("utf-8"))
    assert not lib.failed_blocks
    return {e.key: e for e in lib.entries}


def test_background_keys_cannot_collide_with_generated_keys():
    # Generated keys are <author><year>[a-z]?; background keys end in a word of 2+ letters.
    for key in background_entries():
        assert re.fullmatch(r"[a-z]+\d{4}[a-z]{2,}", key), key


@pytest.mark.shared
def test_background_dois_match_the_public_record(shared_dir: Path):
    """The DOIs of the works flagship.md names are the ones references.bib cites."""
    flagship = (shared_dir / "corpus" / "flagship.md").read_text("utf-8").lower()
    entries = background_entries()
    for key in (
        "carey2019personalisation",
        "dickinson2017individual",
        "malbon2019personalisation",
        "spicker2013personalisation",
    ):
        doi = entries[key]["doi"].lower()
        assert f"doi:{doi}" in flagship, key
    assert entries["page2021prisma"]["doi"] == "10.1136/bmj.n71"
