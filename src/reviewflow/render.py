"""Render the manuscript to ``_output/index.html`` and ``_output/index.pdf``, then check them.

Two renderers read the same sources (``manuscript/_quarto.yml`` + ``index.qmd``):
- ``quarto``: ``quarto render <dir>`` (a standard Quarto manuscript project);
- ``pandoc``: the pandoc binary of ``pypandoc-binary`` with the filters listed in
  ``_quarto.yml`` plus the engine's ``filters/crossref.lua`` (numbering and references,
  which Quarto does itself), to self-contained HTML, and pandoc -> Typst -> PDF with the
  ``typst`` package.
``auto`` picks quarto when it is on PATH. Both give the same paper (tests/test_render_quarto.py).
Before either, the engine's filters, the pipeline's figures and results.yml are staged inside
the project (Typst reads only there; metadata strings must print verbatim). After either, what
a reader sees is checked, in the HTML and in the PDF's Typst source: tables with bodies,
references and citations resolved, no leftover placeholder, nothing fetched from the network;
a paper with a hole fails the build rather than shipping. SOURCE_DATE_EPOCH is pinned so
reruns give the same bytes.
"""

from __future__ import annotations

import argparse
import html.parser
import logging
import os
import re
import shutil
import subprocess
from pathlib import Path

from reviewflow import prose
from reviewflow.disclosure import check_disclosed, normalise_text, read_classes
from reviewflow.errors import ReviewflowError
from reviewflow.files import atomic_path, read_yaml, write_bytes, write_yaml

log = logging.getLogger(__name__)

# 2019-01-01T00:00:00Z: any fixed instant will do; it only stands in for "now" in the PDF.
DEFAULT_EPOCH = 1546300800
OUTPUTS = ("index.html", "index.pdf")
# The engine's filters, Typst header and CSS, shared by every review's manuscript and mirrored
# into it as _reviewflow/ before each render (see stage_assets); _quarto.yml names them there.
ASSETS = Path(__file__).parent / "assets"
ENGINE_ASSETS = "_reviewflow"
PANDOC_CSS = f"{ENGINE_ASSETS}/styles/paper.css"  # pandoc path only (Quarto has its own theme)
CROSSREF = f"{ENGINE_ASSETS}/filters/crossref.lua"  # pandoc path only (Quarto numbers itself)
FIGURES = "_figures"  # the pipeline's figures, mirrored inside the project (see stage_figures)
RESULTS = "_results.yml"  # results.yml with strings escaped (see stage_results)
# Supplementary tables and figures (Table S1, ...) as custom cross-reference kinds, which
# _quarto.yml lists before RESULTS in metadata-files; crossref.lua reads them on the pandoc path.
SUPPLEMENT_KINDS = f"{ENGINE_ASSETS}/metadata/crossref.yml"
INCLUDE = re.compile(r"\{\{<\s*include\s+(\S+)\s*>\}\}")
# What an unresolved piece of a paper looks like in its text. A literal "??" is not one of
# them (a real title may hold it): references are checked by structure instead.
PROBLEMS = [
    (re.compile(r"\?@[\w:.-]+"), "an unresolved reference"),  # how Quarto prints one
    (re.compile(r"(?<![\w<])@(?:s?fig|s?tbl|sec|eq)-[\w-]+"), "an unresolved cross-reference"),
    (re.compile(r"\{\{[<%]|[>%]\}\}"), "a raw shortcode"),
    (re.compile(r"\[[\w.:-]+\]\{\.(?:val|cites|cite-id)\}"), "an unreplaced results span"),
    (re.compile(r"(?:Figure|Table|Section)\s+\?"), "an unnumbered cross-reference"),
]
# Citeproc / Quarto warnings that mean a citation or reference did not resolve.
STDERR_PROBLEMS = re.compile(
    r"citation .* not found|unable to resolve crossref|warning.*(?:crossref|citation)",
    re.IGNORECASE,
)
MISSING_CITE = "a citation of '{}', which is not in the bibliography"  # citeproc's bold key?
# A URL the browser would fetch (anything but a data: URI or a local path).
REMOTE = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)
REMOTE_CSS = re.compile(r"""(?:url\(|@import\s)\s*['"]?((?:https?:)?//[^'")\s;]+)""", re.I)
# Typst source: string literals (captions' file names, image paths) are not text to check.
TYPST_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
TYPST_MISSING_CITE = re.compile(r"#strong\[([^\]\s]+)\?\]")
TABLE_ID = re.compile(r"^s?tbl-")  # a table float: Table 1 (tbl-) or Table S1 (stbl-)
TYPST_TABLE_LABEL = re.compile(r"^<(s?tbl-[\w-]+)>$", re.MULTILINE)  # a label, not a link
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
# The first line of a renderer's error, and where it points (file:line[:column]).
ERROR_LINE = re.compile(r"\berror\b", re.IGNORECASE)
ERROR_WHERE = re.compile(r"([\w./-]+\.(?:typ|qmd|md|lua|yml|yaml|bib)):(\d+)")


class _Html(html.parser.HTMLParser):
    """What a reader of the HTML sees and what the browser will fetch.

    Collects the visible text (no <script>, <style> or <svg>), element ids, internal link
    targets, resources fetched from the network, the body rows of every table and the
    table-float ids (``tbl-*``, ``stbl-*``) each table sits in, and unresolved citations (citeproc
    prints a missing key as a bold ``key?`` inside its citation span).
    """

    VOID = frozenset("area br col embed hr img input link meta source track wbr".split())  # noqa: SIM905
    # The attribute each element fetches its resource from.
    FETCHED = {"script": "src", "img": "src", "iframe": "src", "source": "src", "audio": "src"}
    FETCHED |= {"video": "src", "embed": "src", "object": "data", "link": "href"}
    SECTION_HEADINGS = frozenset({"h1", "h2"})
    NOT_PROSE = frozenset({"table", "figcaption", "caption", "pre", "nav", "figure"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.remote: list[str] = []
        self.tables: list[tuple[str, int]] = []  # (enclosing tbl- id or "", body rows)
        self.floats: list[str] = []  # ids of elements that are table floats
        self.missing_cites: list[str] = []
        self._stack: list[tuple[str, dict]] = []
        self._skip = 0
        self._rows: list[int] = []  # body-row counters of the open tables
        self._strong: list[str] | None = None
        # Running prose (paragraphs and list items) by section heading, for repeated phrases.
        self.prose: dict[str, list[str]] = {}
        self._section = "(before the first heading)"
        self._heading: list[str] | None = None

    def _in(self, tag: str) -> bool:
        return any(t == tag for t, _ in self._stack)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {k: v or "" for k, v in attrs}
        if a.get("id"):
            self.ids.add(a["id"])
            if TABLE_ID.match(a["id"]) and tag in ("table", "div", "figure"):
                self.floats.append(a["id"])  # not its <figcaption id="tbl-x-caption-...">
        if tag == "a" and a.get("href", "").startswith("#") and len(a["href"]) > 1:
            self.links.append(a["href"][1:])
        url = a.get(self.FETCHED.get(tag, ""), "")
        if REMOTE.match(url):
            self.remote.append(f"<{tag}> {url}")
        self.remote += REMOTE_CSS.findall(a.get("style", ""))
        if tag in ("script", "style", "svg"):
            self._skip += 1
        if tag == "table":
            self._rows.append(0)
        elif tag == "tr" and self._rows and not self._in("thead"):
            self._rows[-1] += 1
        elif tag == "strong" and self._in_citation():
            self._strong = []
        elif tag in self.SECTION_HEADINGS:
            self._heading = []
        if tag not in self.VOID:
            self._stack.append((tag, a))

    def _in_citation(self) -> bool:
        return any("citation" in a.get("class", "").split() for _, a in self._stack)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID or not self._in(tag):
            return
        while self._stack:
            open_tag, a = self._stack.pop()
            if open_tag in ("script", "style", "svg") and self._skip:
                self._skip -= 1
            if open_tag == "table" and self._rows:
                tbl = next(
                    (x["id"] for _, x in reversed(self._stack) if TABLE_ID.match(x.get("id", ""))),
                    a.get("id", ""),
                )
                self.tables.append((tbl, self._rows.pop()))
            if open_tag in self.SECTION_HEADINGS and self._heading is not None:
                self._section = " ".join("".join(self._heading).split()) or self._section
                self._heading = None
            if open_tag == "strong" and self._strong is not None:
                text = "".join(self._strong).strip()
                if text.endswith("?"):
                    self.missing_cites.append(text[:-1])
                self._strong = None
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._stack and self._stack[-1][0] == "style":
            self.remote += REMOTE_CSS.findall(data)
        if not self._skip:
            self.parts.append(data)
            if self._strong is not None:
                self._strong.append(data)
            if self._heading is not None:
                self._heading.append(data)
            elif self._in_prose():
                self.prose.setdefault(self._section, []).append(data)

    def _in_prose(self) -> bool:
        tags = {t for t, _ in self._stack}
        return bool(tags & {"p", "li"}) and not tags & self.NOT_PROSE and not self._in_citation()

    @property
    def text(self) -> str:
        return "".join(self.parts)


def parse_html(html_text: str) -> _Html:
    parser = _Html()
    parser.feed(html_text)
    parser.close()
    return parser


def visible_text(html_text: str) -> str:
    return parse_html(html_text).text


def find_problems(text: str) -> list[str]:
    """Each problem in a text as '<what>: <excerpt>', in order of appearance."""
    found = []
    for pattern, what in PROBLEMS:
        for m in pattern.finditer(text):
            start = max(m.start() - 40, 0)
            excerpt = " ".join(text[start : m.end() + 40].split())
            found.append((m.start(), f"{what}: ...{excerpt}..."))
    return [f for _, f in sorted(found)]


def html_problems(html_text: str) -> list[str]:
    """What is wrong with the HTML as a reader sees it; [] when nothing."""
    doc = parse_html(html_text)
    problems = find_problems(doc.text)
    problems += [f"a link to #{t}, which is not in the page" for t in doc.links if t not in doc.ids]
    problems += [MISSING_CITE.format(k) for k in doc.missing_cites]
    problems += [f"a network request ({r}); the HTML must stand alone" for r in doc.remote]
    with_body = {tbl for tbl, rows in doc.tables if rows}
    problems += [f"table '{t}' has no body rows" for t, rows in doc.tables if not rows and t]
    problems += [f"table '{t}' has no table in it" for t in doc.floats if t not in with_body]
    return problems


def typst_problems(typ_text: str) -> list[str]:
    """What is wrong with the PDF's Typst source; [] when nothing."""
    problems = find_problems(TYPST_STRINGS.sub("", typ_text))
    problems += [MISSING_CITE.format(k) for k in TYPST_MISSING_CITE.findall(typ_text)]
    for m in TYPST_TABLE_LABEL.finditer(typ_text):
        if "table(" not in typ_text[: m.start()].rsplit("#figure(", 1)[-1]:
            problems.append(f"table '{m.group(1)}' has no table in it")
    return problems


def check_outputs(out_dir: Path, typ: Path, stderr: str = "") -> None:
    """Fail unless both outputs exist and show a reader a complete paper.

    The HTML is checked as parsed (visible text, links, tables, citations, fetched
    resources); the PDF through its Typst source ``typ``.
    """
    for name in OUTPUTS:
        path = out_dir / name
        if not path.is_file() or path.stat().st_size == 0:
            raise ReviewflowError("the renderer did not write this file", path=path)
    if not (out_dir / "index.pdf").read_bytes().startswith(b"%PDF"):
        raise ReviewflowError("not a PDF file", path=out_dir / "index.pdf")
    if not typ.is_file():
        raise ReviewflowError("the PDF's Typst source is missing", path=typ)
    html_path = out_dir / "index.html"
    for path, problems in (
        (html_path, html_problems(html_path.read_text("utf-8"))),
        (typ, typst_problems(typ.read_text("utf-8"))),
    ):
        if problems:
            raise ReviewflowError(
                f"{len(problems)} problem(s) in the rendered paper; first: {problems[0]}",
                path=path,
            )
    bad = [line.strip() for line in strip_ansi(stderr).splitlines() if STDERR_PROBLEMS.search(line)]
    if bad:
        raise ReviewflowError(f"the renderer reported: {bad[0]}", path=out_dir)


def expand_includes(path: Path, seen: tuple[Path, ...] = ()) -> str:
    """Quarto's ``{{< include file >}}`` for the pandoc path (relative to the including file)."""
    if path in seen:
        raise ReviewflowError("include loop", path=path)
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise ReviewflowError("included file not found", path=path) from None

    def sub(m: re.Match) -> str:
        return expand_includes(path.parent / m.group(1), (*seen, path))

    return INCLUDE.sub(sub, text)


RENDERERS = ("auto", "quarto", "pandoc")


def choose_renderer(renderer: str) -> str:
    """The renderer a run uses: ``auto`` means Quarto when it is on PATH, else pandoc."""
    if renderer == "auto":
        return "quarto" if shutil.which("quarto") else "pandoc"
    if renderer == "quarto" and not shutil.which("quarto"):
        raise ReviewflowError("renderer 'quarto' asked for but quarto is not on PATH")
    return renderer


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("SOURCE_DATE_EPOCH", str(DEFAULT_EPOCH))
    return env


def strip_ansi(text: str) -> str:
    return ANSI.sub("", text)


def renderer_error(program: str, stderr: str, cwd: Path) -> ReviewflowError:
    """The renderer's own error (message and location), not its last lines or colour codes.

    Takes the first block of lines from the first one naming an error up to a blank line or
    a Lua stack traceback; the file and line it points at become the error's location.
    """
    lines = [line.rstrip() for line in strip_ansi(stderr).splitlines()]
    start = next((i for i, line in enumerate(lines) if ERROR_LINE.search(line)), None)
    if start is None:
        block = [line for line in lines if line.strip()][-3:]
    else:
        block = []
        for line in lines[start:]:
            if (block and not line.strip()) or line.lstrip().startswith("stack traceback"):
                break
            block.append(line)
    message = "\n".join(block[:12]).strip() or "no message"
    where = ERROR_WHERE.search(message)
    if where:
        return ReviewflowError(
            f"{program} failed:\n{message}", path=cwd / where.group(1), line=int(where.group(2))
        )
    return ReviewflowError(f"{program} failed:\n{message}", path=cwd)


def _run(cmd: list[str], cwd: Path, stdin: str | None = None) -> str:
    log.info("render: running %s", Path(cmd[0]).name)
    proc = subprocess.run(
        cmd, cwd=cwd, input=stdin, capture_output=True, text=True, env=_env(), check=False
    )
    if proc.returncode != 0:
        raise renderer_error(Path(cmd[0]).name, proc.stderr, cwd)
    return proc.stderr


def _as_list(value: object) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


# Quarto's filter entry points, in the order it runs them; crossref.lua stands in for
# Quarto's own filters (numbering, cross-references), which run between pre- and post-quarto.
FILTER_STAGES = (
    "pre-ast",
    "post-ast",
    "pre-quarto",
    "quarto",
    "post-quarto",
    "pre-render",
    "post-render",
    "pre-finalize",
    "post-finalize",
)


CITEPROC = "citeproc"  # where --citeproc runs on the pandoc path, in filter_order's list


def filter_order(filters: list) -> list[str]:
    """The ``filters:`` of ``_quarto.yml`` as Quarto runs them, plus crossref.lua for Quarto.

    Entries are paths or ``{path, at}``; a plain entry runs before Quarto's filters, or
    after them when it follows the ``quarto`` marker, as in Quarto.
    """
    staged = [
        (FILTER_STAGES.index("quarto"), CROSSREF),
        (FILTER_STAGES.index("post-quarto") + 0.5, CITEPROC),  # before pre-render filters
    ]
    default = "pre-quarto"
    for entry in filters:
        if entry == "quarto":
            default = "post-quarto"
            continue
        if isinstance(entry, dict) and entry.get("type") == "citeproc":
            continue  # render_pandoc runs --citeproc itself
        path = entry.get("path") if isinstance(entry, dict) else entry
        at = entry.get("at", default) if isinstance(entry, dict) else default
        if not isinstance(path, str) or at not in FILTER_STAGES:
            raise ReviewflowError(f"_quarto.yml: cannot read the filter entry {entry!r}")
        staged.append((FILTER_STAGES.index(at), path))
    return [path for _, path in sorted(staged, key=lambda item: item[0])]


def pandoc_args(project: dict, mdir: Path) -> list[str]:
    """Options shared by the HTML and Typst runs, read from ``_quarto.yml``."""
    args = ["--from", "markdown", "--standalone", "--resource-path", "."]
    for meta in _as_list(project.get("metadata-files")):
        if not (mdir / meta).is_file():
            raise ReviewflowError("metadata file listed in _quarto.yml not found", path=mdir / meta)
        args += ["--metadata-file", str(meta)]
    # Citeproc after the filters up to Quarto's rendering stage, so it never sees @fig-/@tbl-
    # and sees the generated citations; post-render filters see its output, as in Quarto.
    for f in filter_order(_as_list(project.get("filters"))):
        if f == CITEPROC:
            args.append("--citeproc")
        else:
            args += ["--lua-filter" if f.endswith(".lua") else "--filter", f]
    return args


def render_pandoc(mdir: Path, out_dir: Path) -> str:
    import pypandoc

    project = read_yaml(mdir / "_quarto.yml") or {}
    article = (project.get("manuscript") or {}).get("article", "index.qmd")
    source = expand_includes(mdir / article)
    pandoc = pypandoc.get_pandoc_path()
    common = pandoc_args(project, mdir)
    fmt = project.get("format") or {}
    html_opts = fmt.get("html") or {}
    typst_opts = fmt.get("typst") or {}
    out_dir.mkdir(parents=True, exist_ok=True)

    html_cmd = [pandoc, *common, "--to", "html5", "--embed-resources", "--section-divs"]
    if html_opts.get("toc"):
        html_cmd.append("--toc")
    # Quarto brings its own theme; pandoc's bare template gets this reading layout instead.
    for css in [*_as_list(html_opts.get("css")), PANDOC_CSS]:
        if (mdir / css).is_file():
            html_cmd += ["--css", css]
    with atomic_path(out_dir / "index.html") as tmp:
        stderr = _run([*html_cmd, "--output", str(tmp.resolve())], mdir, source)

    # --wrap=none: a wrapped line starting "2." would be read by Typst as a numbered list.
    typ_cmd = [pandoc, *common, "--to", "typst", "--wrap=none"]
    typ_cmd += ["--metadata", "typst-image-prefix=../"]
    for header in _as_list(typst_opts.get("include-in-header")):
        typ_cmd += ["--include-in-header", header]
    with atomic_path(out_dir / "index.typ") as tmp:
        stderr += _run([*typ_cmd, "--output", str(tmp.resolve())], mdir, source)

    log.info("render: typst -> %s", out_dir / "index.pdf")
    pdf = compile_typst(out_dir / "index.typ", mdir)
    with atomic_path(out_dir / "index.pdf") as tmp:
        tmp.write_bytes(pdf)
    return stderr


def compile_typst(typ: Path, root: Path) -> bytes:
    """The PDF of ``typ``, with ``root`` as Typst's root (as Quarto sets it)."""
    import typst

    try:
        return typst.compile(
            str(typ), root=str(root.resolve()), timestamp=int(_env()["SOURCE_DATE_EPOCH"])
        )
    except RuntimeError as exc:  # typst.TypstError: .diagnostic says what and where
        report = getattr(exc, "diagnostic", "") or f"error: {exc}"
        report += "".join(f"\nhint: {h}" for h in getattr(exc, "hints", []))
        raise renderer_error("typst", report, Path.cwd()) from None


def render_quarto(mdir: Path) -> str:
    return _run(["quarto", "render", str(mdir.resolve())], mdir)


def mirror(src_dir: Path, dest_dir: Path, suffixes: tuple[str, ...] | None = None) -> int:
    """Copy the files under ``src_dir`` to ``dest_dir``, writing only those that differ."""
    n = 0
    for src in sorted(src_dir.rglob("*")):
        if src.is_file() and (suffixes is None or src.suffix in suffixes):
            dest = dest_dir / src.relative_to(src_dir)
            if not dest.is_file() or dest.read_bytes() != src.read_bytes():
                write_bytes(src.read_bytes(), dest)
            n += 1
    return n


def stage_assets(mdir: Path) -> int:
    """Mirror the engine's filters, metadata, Typst header and CSS into ``mdir/_reviewflow``.

    A review's manuscript is its own text; the machinery that fills it in belongs to the
    engine, so an engine update reaches every review without copying files by hand.
    """
    return mirror(ASSETS, mdir / ENGINE_ASSETS, (".lua", ".typ", ".css", ".yml"))


MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def literal_markdown(value: object) -> object:
    """``value`` with every string escaped so that pandoc's markdown reader gives back its
    exact text: metadata strings are read as markdown, so a query's ``$`` would become TeX
    math (and MathJax from a CDN), ``*`` emphasis and ``@x`` a citation. Whitespace runs
    become one space, as they would in the text anyway.
    """
    if isinstance(value, dict):
        return {k: literal_markdown(v) for k, v in value.items()}
    if isinstance(value, list):
        return [literal_markdown(v) for v in value]
    if isinstance(value, str):
        return MARKDOWN_PUNCTUATION.sub(r"\\\1", " ".join(value.split()))
    return value


def stage_results(mdir: Path, results: Path) -> None:
    """Write ``results.yml`` into the project as ``_results.yml``, every string literal."""
    write_yaml(literal_markdown(read_yaml(results)), mdir / RESULTS)


def stage_figures(mdir: Path, processed: Path) -> int:
    """Mirror the pipeline's figures (data/processed/**/*.svg|png) into ``mdir/_figures``.

    Typst reads files only inside its root, and Quarto makes the project folder the root, so
    figures under ../data/processed would be refused there. Tables, bibliography and
    metadata are read by pandoc and the filters, which have no such limit.
    """
    return mirror(processed, mdir / FIGURES, (".svg", ".png"))


def render(
    manuscript_dir: str | Path, renderer: str = "auto", results: str | Path | None = None
) -> Path:
    """Render the project to HTML and PDF and check both; ``results`` defaults to
    ``data/processed/manuscript/results.yml`` beside the project folder."""
    mdir = Path(manuscript_dir)
    if not (mdir / "_quarto.yml").is_file():
        raise ReviewflowError("not a Quarto project (no _quarto.yml)", path=mdir)
    project = read_yaml(mdir / "_quarto.yml") or {}
    out_dir = mdir / (project.get("project") or {}).get("output-dir", "_output")
    chosen = choose_renderer(renderer)
    processed = mdir.resolve().parent / "data" / "processed"
    stage_assets(mdir)
    stage_results(mdir, Path(results) if results else processed / "manuscript" / "results.yml")
    n = stage_figures(mdir, processed)
    log.info("render: %s with %s (%d figures staged in %s/)", mdir, chosen, n, FIGURES)
    if chosen == "pandoc":
        stderr, typ = render_pandoc(mdir, out_dir), out_dir / "index.typ"
    else:  # keep-typ: true in _quarto.yml leaves the PDF's source beside the article
        stderr, typ = render_quarto(mdir), mdir / "index.typ"
    check_outputs(out_dir, typ, stderr)
    # A paper built from constructed inputs must say so (data/raw/provenance_classes.yaml).
    paper = parse_html((out_dir / "index.html").read_text(encoding="utf-8"))
    check_disclosed(paper.text, read_classes(processed.parent / "raw"))
    # Prose a reader would notice as templated: warned about, as the author may mean it.
    for found in prose.templated(normalise_text(paper.text)):
        log.warning("render: templated prose, %s", found)
    sections = {name: "".join(parts) for name, parts in paper.prose.items()}
    for phrase, where in prose.repeated_phrases(sections):
        log.warning("render: the same words in %s: “%s”", prose.join(where), phrase)
    log.info("render: wrote and checked %s", ", ".join(str(out_dir / n) for n in OUTPUTS))
    return out_dir


def run(args: argparse.Namespace) -> None:
    render(args.manuscript_dir, args.renderer, args.results)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("render", help="render the manuscript to HTML and PDF and check it")
    p.add_argument("--manuscript-dir", default="manuscript", help="the Quarto project folder")
    p.add_argument(
        "--renderer",
        choices=RENDERERS,
        default="auto",
        help="auto: quarto when on PATH, otherwise pandoc + typst (config manuscript.renderer)",
    )
    p.add_argument(
        "--results",
        help="results.yml (default: data/processed/manuscript/results.yml beside the project)",
    )
    p.set_defaults(func=run)
