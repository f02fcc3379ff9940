"""Render the manuscript to ``_output/index.html`` and ``_output/index.pdf``, then check them.

Two renderers read the same sources (``manuscript/_quarto.yml`` + ``index.qmd``):
- ``quarto``: ``quarto render <dir>`` (a standard Quarto manuscript project);
- ``pandoc``: the pandoc binary of ``pypandoc-binary`` with the filters listed in
  ``_quarto.yml`` plus the engine's ``filters/crossref.lua`` (numbering and references,
  which Quarto does itself), to self-contained HTML, and pandoc -> Typst -> PDF with the
  ``typst`` package.
``auto`` picks quarto when it is on PATH. Either way the outputs are checked for unresolved
cross-references, ``??``, raw shortcodes and missing citations; a paper with a hole fails the
build rather than shipping. SOURCE_DATE_EPOCH is pinned so reruns give the same bytes.
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

from reviewflow.errors import ReviewflowError
from reviewflow.files import atomic_path, read_yaml, write_bytes

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
INCLUDE = re.compile(r"\{\{<\s*include\s+(\S+)\s*>\}\}")
# What an unresolved piece of a paper looks like once rendered.
PROBLEMS = [
    (re.compile(r"\?\?"), "'??' (an unresolved reference)"),
    (re.compile(r"@(?:fig|tbl|sec|eq)-[\w-]+"), "an unresolved cross-reference"),
    (re.compile(r"\{\{[<%]|[>%]\}\}"), "a raw shortcode"),
    (re.compile(r"\[[\w.:-]+\]\{\.(?:val|cites|cite-id)\}"), "an unreplaced results span"),
    (re.compile(r"(?:Figure|Table|Section)\s+\?"), "an unnumbered cross-reference"),
]
# Citeproc / Quarto warnings that mean a citation or reference did not resolve.
STDERR_PROBLEMS = re.compile(
    r"citation .* not found|unable to resolve crossref|warning.*(?:crossref|citation)",
    re.IGNORECASE,
)


class _VisibleText(html.parser.HTMLParser):
    """Text a reader sees: skips <script>, <style> and attribute values (data URIs)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style", "svg"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "svg") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html_text: str) -> str:
    parser = _VisibleText()
    parser.feed(html_text)
    return "".join(parser.parts)


def find_problems(text: str) -> list[str]:
    """Each problem as '<what>: <excerpt>', in order of appearance."""
    found = []
    for pattern, what in PROBLEMS:
        for m in pattern.finditer(text):
            start = max(m.start() - 40, 0)
            excerpt = " ".join(text[start : m.end() + 40].split())
            found.append((m.start(), f"{what}: ...{excerpt}..."))
    return [f for _, f in sorted(found)]


def check_outputs(out_dir: Path, stderr: str = "") -> None:
    """Fail unless both outputs exist and neither shows an unresolved reference."""
    for name in OUTPUTS:
        path = out_dir / name
        if not path.is_file() or path.stat().st_size == 0:
            raise ReviewflowError("the renderer did not write this file", path=path)
    if not (out_dir / "index.pdf").read_bytes().startswith(b"%PDF"):
        raise ReviewflowError("not a PDF file", path=out_dir / "index.pdf")
    texts = {out_dir / "index.html": visible_text((out_dir / "index.html").read_text("utf-8"))}
    typ = out_dir / "index.typ"
    if typ.is_file():  # the PDF's source on the pandoc path; its text is what the PDF shows
        texts[typ] = typ.read_text("utf-8")
    for path, text in texts.items():
        problems = find_problems(text)
        if problems:
            raise ReviewflowError(
                f"{len(problems)} unresolved item(s) in the rendered paper; first: {problems[0]}",
                path=path,
            )
    bad = [line.strip() for line in stderr.splitlines() if STDERR_PROBLEMS.search(line)]
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


def _run(cmd: list[str], cwd: Path, stdin: str | None = None) -> str:
    log.info("render: running %s", Path(cmd[0]).name)
    proc = subprocess.run(
        cmd, cwd=cwd, input=stdin, capture_output=True, text=True, env=_env(), check=False
    )
    if proc.returncode != 0:
        message = proc.stderr.strip().splitlines()
        # Lua filters put their own message on the line after "Error running filter".
        detail = next((m for m in message if ".lua: " in m and "stack" not in m), None)
        raise ReviewflowError(
            f"{Path(cmd[0]).name} failed: {detail or ' / '.join(message[-3:])}", path=cwd
        )
    return proc.stderr


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def pandoc_args(project: dict, mdir: Path) -> list[str]:
    """Options shared by the HTML and Typst runs, read from ``_quarto.yml``."""
    args = ["--from", "markdown", "--standalone", "--resource-path", "."]
    for meta in _as_list(project.get("metadata-files")):
        if not (mdir / meta).is_file():
            raise ReviewflowError("metadata file listed in _quarto.yml not found", path=mdir / meta)
        args += ["--metadata-file", meta]
    filters = [f for f in _as_list(project.get("filters")) if f.endswith(".lua")]
    for f in [*filters, CROSSREF]:
        args += ["--lua-filter", f]
    # After the filters, so citeproc never sees @fig-/@tbl- and sees the generated citations.
    return [*args, "--citeproc"]


def render_pandoc(mdir: Path, out_dir: Path) -> str:
    import pypandoc
    import typst

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
    epoch = int(_env()["SOURCE_DATE_EPOCH"])
    try:
        pdf = typst.compile(
            str(out_dir / "index.typ"),
            root=str(mdir.resolve()),
            timestamp=epoch,  # as Quarto
        )
    except RuntimeError as exc:  # typst reports source errors as RuntimeError
        raise ReviewflowError(f"typst failed: {exc}", path=out_dir / "index.typ") from None
    with atomic_path(out_dir / "index.pdf") as tmp:
        tmp.write_bytes(pdf)
    return stderr


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
    """Mirror the engine's filters, Typst header and CSS into ``mdir/_reviewflow``.

    A review's manuscript is its own text; the machinery that fills it in belongs to the
    engine, so an engine update reaches every review without copying files by hand.
    """
    return mirror(ASSETS, mdir / ENGINE_ASSETS, (".lua", ".typ", ".css"))


def stage_figures(mdir: Path, processed: Path) -> int:
    """Mirror the pipeline's figures (data/processed/**/*.svg|png) into ``mdir/_figures``.

    Typst reads files only inside its root, and Quarto makes the project folder the root, so
    figures under ../data/processed would be refused there. Tables, bibliography and
    metadata are read by pandoc and the filters, which have no such limit.
    """
    return mirror(processed, mdir / FIGURES, (".svg", ".png"))


def render(manuscript_dir: str | Path, renderer: str = "auto") -> Path:
    mdir = Path(manuscript_dir)
    if not (mdir / "_quarto.yml").is_file():
        raise ReviewflowError("not a Quarto project (no _quarto.yml)", path=mdir)
    project = read_yaml(mdir / "_quarto.yml") or {}
    out_dir = mdir / (project.get("project") or {}).get("output-dir", "_output")
    chosen = choose_renderer(renderer)
    stage_assets(mdir)
    n = stage_figures(mdir, mdir.resolve().parent / "data" / "processed")
    log.info("render: %s with %s (%d figures staged in %s/)", mdir, chosen, n, FIGURES)
    stderr = render_pandoc(mdir, out_dir) if chosen == "pandoc" else render_quarto(mdir)
    check_outputs(out_dir, stderr)
    log.info("render: wrote and checked %s", ", ".join(str(out_dir / n) for n in OUTPUTS))
    return out_dir


def run(args: argparse.Namespace) -> None:
    render(args.manuscript_dir, args.renderer)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("render", help="render the manuscript to HTML and PDF and check it")
    p.add_argument("--manuscript-dir", default="manuscript", help="the Quarto project folder")
    p.add_argument(
        "--renderer",
        choices=RENDERERS,
        default="auto",
        help="auto: quarto when on PATH, otherwise pandoc + typst (config manuscript.renderer)",
    )
    p.set_defaults(func=run)
