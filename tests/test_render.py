"""Rendering: the Lua filters, the pandoc + typst path, and the check for unresolved items."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pypandoc
import pytest
from conftest import results_args as args_for

from reviewflow import prose, render, results
from reviewflow.errors import ReviewflowError

TEMPLATE = Path(render.__file__).parent / "template"
REPO = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "data" / "manuscript"
FILTERS = REPO / "src" / "reviewflow" / "assets" / "filters"
TEMPLATE = REPO / "src" / "reviewflow" / "template"
PANDOC = pypandoc.get_pandoc_path()


def pandoc(text: str, *filters: str, to: str = "plain", cwd: Path = FIXTURE):
    cmd = [PANDOC, "-f", "markdown", "-t", to, "--metadata-file", "mini_results.yml"]
    for f in filters:
        cmd += ["--lua-filter", str(FILTERS / f)]
    return subprocess.run(cmd, input=text, capture_output=True, text=True, cwd=cwd)


# --- results.lua ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "items",
    [["a"], ["a", "b"], ["a", "b", "c"], ["a, b", "c"], ["x", "y and z", "w"], ["p", "q and r"]],
)
def test_lists_in_the_text_join_as_the_prose_layer_does(items, tmp_path: Path):
    """results.lua joins a list value exactly as reviewflow.prose.join would."""
    render.write_yaml({"results": {"items": items}}, tmp_path / "r.yml")
    cmd = [PANDOC, "-t", "plain", "--metadata-file", "r.yml"]
    cmd += ["--lua-filter", str(FILTERS / "results.lua")]
    out = subprocess.run(cmd, input="[items]{.val}", capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert " ".join(out.stdout.split()) == prose.join(items)


def test_val_spans_are_replaced():
    out = pandoc(
        "We included [counts.included]{.val} of [counts.big]{.val} from "
        "[search.databases_list]{.val}.",
        "results.lua",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == (
        "We included four of 69,000 from Scopus, Web of Science, and PubMed."
    )


@pytest.mark.parametrize(
    ("span", "printed"),
    [
        ('[counts.included]{.val noun="study"}', "four studies"),
        ('[counts.one]{.val noun="study"}', "one study"),
        ('[counts.none]{.val noun="report"}', "no reports"),
        ('[counts.big]{.val noun="record"}', "69,000 records"),
        ('[counts.included]{.val as="digits"}', "4"),
        ('[counts.included]{.val noun="analysis" plural="analyses"}', "four analyses"),
        ('[counts.included]{.val noun="study" case="sentence"}', "Four studies"),
        ('[counts.date]{.val as="date"}', "11 February 2019"),
    ],
)
def test_val_spans_print_in_the_house_style(span: str, printed: str):
    """Issue 15: numbers below ten in words, counts agreeing with their noun, dates in words
    (the same style as reviewflow.prose)."""
    out = pandoc(span, "results.lua")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == printed


def test_val_noun_needs_a_count():
    out = pandoc('[search.databases_list]{.val noun="database"}', "results.lua")
    assert out.returncode != 0 and "not a count" in out.stderr


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
    assert "Table 1: Mini four" in html
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

CLEAN_TYP = (
    "= Results\n#figure([#table(columns: 1, [a])], caption: [Mini], kind: table)\n<tbl-mini>\n"
)


def write_outputs(out_dir: Path, html_body: str, typ: str = CLEAN_TYP) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "index.html").write_text(f"<html><body>{html_body}</body></html>")
    (out_dir / "index.pdf").write_bytes(b"%PDF-1.7\n")
    (out_dir / "index.typ").write_text(typ)
    return out_dir / "index.typ"


TABLE = (
    '<table id="tbl-mini"><thead><tr><th>A</th></tr></thead>'
    "<tbody><tr><td>a</td></tr></tbody></table>"
)
# Issue 12 (2): what Quarto wrote when tables.lua never saw the div: a float with no table.
EMPTY_FLOAT = (
    '<div id="tbl-mini" class="quarto-float"><figure><figcaption id="tbl-mini-caption-1">'
    "Table 1: Mini</figcaption><div></div></figure></div>"
)


@pytest.mark.parametrize(
    ("body", "what"),
    [
        ("<p>As shown in ?@fig-flow above</p>", "unresolved reference"),
        ("<p>As @fig-flow shows</p>", "unresolved cross-reference"),
        ("<p>{{< include x.qmd >}}</p>", "raw shortcode"),
        ("<p>n = [counts.included]{.val}</p>", "unreplaced results span"),
        ('<p>See <a href="#tbl-gone">Table 3</a></p>', "link to #tbl-gone"),
        (
            '<span class="citation" data-cites="nobody2020"><strong>nobody2020?</strong></span>',
            "citation of 'nobody2020'",
        ),
        (EMPTY_FLOAT, "table 'tbl-mini' has no table in it"),
        (
            '<table id="tbl-mini"><thead><tr><th>A</th></tr></thead><tbody></tbody></table>',
            "table 'tbl-mini' has no body rows",
        ),
        (
            '<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>',
            "network request",
        ),
        ('<link rel="stylesheet" href="//fonts.googleapis.com/css2?family=X">', "network request"),
        (
            "<style>@import url(https://fonts.googleapis.com/css2?family=X);</style>",
            "network request",
        ),
        ('<img src="http://example.org/flow.png">', "network request"),
    ],
)
def test_check_catches_planted_problems_in_html(tmp_path: Path, body: str, what: str):
    typ = write_outputs(tmp_path, body)
    with pytest.raises(ReviewflowError, match=re.escape(what)):
        render.check_outputs(tmp_path, typ)


@pytest.mark.parametrize(
    ("typ", "what"),
    [
        (
            '#figure([], caption: [Mini], kind: "quarto-float-tbl")\n<tbl-mini>\n',
            "table 'tbl-mini' has no table in it",
        ),
        ("See #strong[nobody2020?] here.", "citation of 'nobody2020'"),
        ("n = [counts.included]{.val}", "unreplaced results span"),
        ("As ?@fig-flow shows", "unresolved reference"),
    ],
)
def test_check_reads_the_pdf_source(tmp_path: Path, typ: str, what: str):
    """Issue 12 (3): the PDF is checked too, on both paths, through its Typst source."""
    path = write_outputs(tmp_path, TABLE, typ)
    with pytest.raises(ReviewflowError, match=re.escape(what)):
        render.check_outputs(tmp_path, path)
    path.unlink()
    with pytest.raises(ReviewflowError, match="Typst source is missing"):
        render.check_outputs(tmp_path, path)


def test_check_passes_clean_output_with_question_marks_in_a_title(tmp_path: Path):
    """Issue 13: '??' in a real title is text, not an unresolved reference."""
    body = (
        "<script>a ?? b</script><h1>Does it work?? A review</h1>"
        '<p><a href="#tbl-mini">Table 1</a> shows it.</p>'
        '<a href="https://doi.org/10.1/x">a link is not a request</a>'
        '<img src="data:image/png;base64,AAAA">' + TABLE
    )
    typ = write_outputs(tmp_path, body, CLEAN_TYP + '#link(<tbl-mini>)[Table 1] "Why?? Because"')
    render.check_outputs(tmp_path, typ)
    with pytest.raises(ReviewflowError, match="not found"):
        render.check_outputs(tmp_path, typ, "[WARNING] Citeproc: citation nobody2020 not found")
    (tmp_path / "index.pdf").unlink()
    with pytest.raises(ReviewflowError, match="did not write"):
        render.check_outputs(tmp_path, typ)


# --- a failed render's message --------------------------------------------------------------

QUARTO_TYPST_FAILURE = (
    "[typst]: Compiling index.typ to index.pdf...error: path would escape the project root\n"
    "    \u250c\u2500 manuscript/index.typ:692:14\n    \u2502\n"
    '692 \u2502 #bibliography(("references.bib","../x.bib"))\n\n'
    "\x1b[91mERROR: error: path would escape the project root\x1b[39m\n"
    "\x1b[91mERROR: Typst compilation failed\x1b[39m\n"
)
LUA_FAILURE = (
    "Error running filter /p/_filters/results.lua:\n"
    'results.lua: unknown key "included.nn" (see results.yml)\n'
    "stack traceback:\n\t[C]: in function 'error'\n"
)


def test_renderer_error_is_the_real_one_without_colour(tmp_path: Path):
    """Issue 12 (4): the renderer's own error, where it points, no ANSI codes."""
    err = render.renderer_error("quarto", QUARTO_TYPST_FAILURE, tmp_path)
    assert "would escape the project root" in err.message
    assert "#bibliography" in err.message
    assert (err.path, err.line) == (str(tmp_path / "manuscript" / "index.typ"), 692)
    assert "\x1b" not in str(err)
    lua = render.renderer_error("pandoc", LUA_FAILURE, tmp_path)
    assert 'unknown key "included.nn"' in lua.message
    assert "traceback" not in lua.message
    bare = render.renderer_error("quarto", "\x1b[31mkilled\x1b[0m\n", tmp_path)
    assert bare.message == "quarto failed:\nkilled"


def test_typst_error_names_the_line(tmp_path: Path, monkeypatch):
    """The pandoc path's Typst error: Typst's message and hint, at the line it points at."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "index.typ").write_text('= Fine\n\n#image("../outside.svg")\n')
    with pytest.raises(ReviewflowError) as caught:
        render.compile_typst(tmp_path / "index.typ", tmp_path)
    err = caught.value
    assert (Path(err.path).resolve(), err.line) == ((tmp_path / "index.typ").resolve(), 3)
    assert "typst failed" in err.message and "escape the project root" in err.message


def test_render_rule_shows_the_error_on_the_console():
    """Issue 13: the rule must not send the render's only message to the log alone."""
    rule = (REPO / "rules" / "manuscript.smk").read_text("utf-8").split("rule render_manuscript")[1]
    shell = rule.split("shell:")[1]
    # reviewflow --log: the whole log to the file, errors and warnings to the console too
    assert "reviewflow --log {log:q} render" in shell and "2> {log" not in shell


# --- filters as _quarto.yml lists them -------------------------------------------------------


def test_filter_order_follows_quarto_stages():
    """Issue 12 (2): `{path, at}` entries are kept and run in Quarto's order."""
    entries = [
        "_filters/b.lua",
        {"path": "_filters/a.lua", "at": "pre-ast"},
        "quarto",
        "_filters/c.lua",
        {"path": "_filters/d.lua", "at": "post-render"},
    ]
    assert render.filter_order(entries) == [
        "_filters/a.lua",
        "_filters/b.lua",
        render.CROSSREF,
        "_filters/c.lua",
        render.CITEPROC,  # post-render filters see citeproc's output, as in Quarto
        "_filters/d.lua",
    ]
    with pytest.raises(ReviewflowError, match="filter entry"):
        render.filter_order([{"path": "x.lua", "at": "someday"}])


def test_project_config_works_for_quarto():
    """Issue 12 (1, 2): what Quarto needs from _quarto.yml to render the paper."""
    project = render.read_yaml(REPO / "manuscript" / "_quarto.yml")
    typst = project["format"]["typst"]
    assert typst["citeproc"] is True  # no #bibliography("../data/...") outside Typst's root
    assert typst["keep-typ"] is True  # the PDF's source stays for check_outputs
    assert project["format"]["html"]["theme"] == "default"  # cosmo fetches Google Fonts
    order = render.filter_order(project["filters"])
    filters = [f"{render.ENGINE_ASSETS}/filters/{n}.lua" for n in ("tables", "results")]
    assert order[:2] == filters
    assert order[-3:] == [
        render.CROSSREF,
        render.CITEPROC,
        f"{render.ENGINE_ASSETS}/filters/quotes.lua",
    ]
    assert {"path": filters[0], "at": "pre-ast"} in project["filters"]
    assert project["metadata-files"] == [render.SUPPLEMENT_KINDS, render.RESULTS]


def test_quarto_leaves_gitignore_alone():
    """Issue 12 (7): Quarto appends this line when it is missing, dirtying a tracked file."""
    lines = (REPO / "manuscript" / ".gitignore").read_text("utf-8").splitlines()
    for needed in (
        "**/*.quarto_ipynb",
        "/_results.yml",
        "/site_libs/",
        "/index.typ",
        "/index.html",
    ):
        assert needed in lines, needed


def typst_probe(tmp_path: Path, kind: str) -> dict:
    """Text size and justification inside a figure of ``kind``, with the paper's header."""
    import typst

    header = (render.ASSETS / "typst" / "header.typ").read_text("utf-8")
    (tmp_path / "probe.typ").write_text(
        header
        + "\n#set par(justify: true)\n"
        + f'#figure(kind: {kind}, supplement: "Table", caption: [c])['
        + "#context [#metadata((size: repr(text.size), justify: par.justify)) <probe>]]\n"
    )
    return json.loads(typst.query(str(tmp_path / "probe.typ"), "<probe>", field="value", one=True))


@pytest.mark.parametrize("kind", ["table", '"quarto-float-tbl"'])
def test_table_style_applies_to_both_renderers_tables(tmp_path: Path, kind: str):
    """Issue 12 (5): Quarto's tables are figures of kind "quarto-float-tbl", pandoc's `table`."""
    assert typst_probe(tmp_path, kind) == {"size": "8.5pt", "justify": False}
    assert typst_probe(tmp_path, "image")["size"] != "8.5pt"


# --- values print verbatim ------------------------------------------------------------------

ODD_VALUES = [
    "TS=(personali$ation OR individuali$ed) AND $5",
    "*care* and _support_ x_y_z",
    "see @doe2001 <b>not html</b> &amp; ~sub~ ^sup^",
    "1. not a list -- nor a dash... 'quoted' \\backslash",
    "# not a heading [link](x) {.val} `code`",
]


def test_values_are_literal_text_not_markdown_or_math(tmp_path: Path):
    """Issue 12 (6): results values are printed exactly, never read as TeX math or markup."""
    staged = {"results": {"q": ODD_VALUES, "n": 3, "flag": True}}
    render.write_yaml(render.literal_markdown(staged), tmp_path / "r.yml")
    (tmp_path / "d.md").write_text("[q]{.val}")
    cmd = [
        PANDOC,
        "-f",
        "markdown",
        "-t",
        "html5",
        "--standalone",
        "--metadata",
        "title=t",
        "--metadata-file",
        "r.yml",
        "--lua-filter",
        str(FILTERS / "results.lua"),
        "d.md",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    text = render.visible_text(out.stdout)
    listed = prose.join(ODD_VALUES)  # one item holds "and": semicolons, as in the prose layer
    assert listed in " ".join(text.split())
    assert 'class="math' not in out.stdout  # no TeX math, so nothing for MathJax to load
    assert out.stderr == ""
    assert render.literal_markdown({"a": ["x\n  y"], "b": 2}) == {"a": ["x y"], "b": 2}


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
    shutil.copytree(TEMPLATE / "manuscript", root / "manuscript")  # the engine's own text
    results.run(args_for(root, root / "data" / "processed" / "manuscript"))
    render.render(root / "manuscript", "pandoc")
    return root / "manuscript" / "_output"


def test_paper_renders_with_numbers_tables_figures_and_references(rendered: Path):
    html = (rendered / "index.html").read_text("utf-8")
    text = " ".join(render.visible_text(html).split())
    assert "A tiny fixture review" in text  # title from config via results.yml
    assert "The searches returned eight records" in text
    assert "Cohen’s kappa before resolution was 0.72 and not estimable" in text
    # Main tables and supplementary ones are numbered apart (Table 1; Table S1 to S4).
    for label in ("Figure 1", "Figure 2", "Figure 3", "Table 1", "Table S1", "Table S4"):
        assert label in text, label
    assert "Table 2" not in text and "Table S5" not in text
    assert '<table id="tbl-characteristics"' in html
    assert "Cedar, Lee, Ann Dogwood, and Pat Elm. 2017" in text  # included.bib
    assert "The PRISMA 2020 Statement" in text  # references.bib
    assert 'src="../data' not in html  # images embedded: the HTML stands alone
    assert "max-width: 52em" in html  # the engine's styles/paper.css embedded too
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
    qmd.write_text(qmd.read_text("utf-8").replace("[review.title]{.val}", "[review.titl]{.val}"))
    with pytest.raises(ReviewflowError, match='unknown key "review.titl"'):
        render.render(mdir, "pandoc")


def test_odd_title_renders_verbatim(rendered: Path, tmp_path: Path):
    """Issues 12 (6) and 13: '??', '$', '*' and '@' in a real value print as they are."""
    shutil.copytree(
        rendered.parent, tmp_path / "manuscript", ignore=shutil.ignore_patterns("_output")
    )
    shutil.copytree(rendered.parent.parent / "data", tmp_path / "data")
    results_yml = tmp_path / "data" / "processed" / "manuscript" / "results.yml"
    data = render.read_yaml(results_yml)
    title = "Does it pay?? $5 a *day* for @home care, $6 at night"
    data["results"]["review"]["title"] = title
    render.write_yaml(data, results_yml)
    out = render.render(tmp_path / "manuscript", "pandoc")
    html = (out / "index.html").read_text("utf-8")
    assert title in render.visible_text(html)
    assert 'class="math' not in html
    assert "\\$5 a \\*day\\* for \\@home" in (out / "index.typ").read_text("utf-8")


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


def test_closing_quote_after_a_question_mark_stays_closing():
    """Issue 15: Typst guessed "What Works?‘" from a straight quote; quotes.lua keeps ’."""
    out = pandoc("Funding: ‘What Works?’ and it’s “fine!”", "quotes.lua", to="typst")
    assert out.returncode == 0, out.stderr
    assert "‘What Works?’ and it’s “fine!”" in out.stdout


def test_running_prose_is_read_by_section_without_tables_captions_or_citations():
    """What the render's repeated-phrase warning reads (reviewflow.prose.repeated_phrases)."""
    page = render.parse_html(
        "<div class='abstract'><p>Abstract words here.</p></div>"
        "<h1>Methods</h1><p>We searched <span class='citation'>(Doe 2001)</span> well.</p>"
        "<table><tr><td>cell text</td></tr></table><figure><figcaption>cap</figcaption></figure>"
        "<h2>Screening</h2><ul><li>listed</li></ul>"
    )
    sections = {name: " ".join("".join(parts).split()) for name, parts in page.prose.items()}
    assert sections == {
        "(before the first heading)": "Abstract words here.",
        "Methods": "We searched well.",
        "Screening": "listed",
    }


@pytest.mark.parametrize(("to", "figure_s1"), [("html5", "Figure S1: Extra."), ("typst", None)])
def test_supplementary_floats_are_numbered_apart(tmp_path: Path, to: str, figure_s1):
    """crossref.lua reads the engine's custom kinds (Table S1, Figure S1) as Quarto does."""
    doc = (
        "See @tbl-a, @stbl-b, @fig-c and @sfig-d.\n\n"
        ": Main. {#tbl-a}\n\n| x |\n|---|\n| 1 |\n\n"
        "![Main fig.](p.png){#fig-c}\n\n"
        "::: {#stbl-b}\n| y |\n|---|\n| 2 |\n\nSupplementary.\n:::\n\n"
        "::: {#sfig-d}\n![](p.png)\n\nExtra.\n:::\n"
    )
    cmd = [PANDOC, "-f", "markdown", "-t", to, "--wrap=none"]
    cmd += ["--metadata-file", str(render.ASSETS / "metadata" / "crossref.yml")]
    cmd += ["--lua-filter", str(FILTERS / "crossref.lua")]
    out = subprocess.run(cmd, input=doc, capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    for label in ("Table 1", "Table S1", "Figure 1", "Figure S1"):
        assert f">{label}<" in out.stdout or f"[{label}]" in out.stdout, label
    if figure_s1:
        assert figure_s1 in render.visible_text(out.stdout)
    else:  # Typst numbers the floats itself, by kind, as under Quarto
        assert 'kind: "quarto-float-stbl", supplement: "Table S"' in out.stdout
        assert "#counter(figure.where(kind: table)).update(n => n - 1)" in out.stdout
