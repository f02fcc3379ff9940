"""BibTeX (Scopus, WoS, ProQuest, EBSCO, ACM, Wiley, reference managers) via bibtexparser v2.

bibtexparser reports blocks it cannot parse with their line; we turn those into errors
rather than dropping the entry. A repeated citation key is kept (two database records can
share a generated key) with a warning.
"""

from __future__ import annotations

import re

import bibtexparser
from bibtexparser import model

from reviewflow.errors import ReviewflowError
from reviewflow.readers.canon import FieldMap, Raw

BIBTEX_FIELDS = FieldMap(
    type=("entrytype", "type", "document_type"),
    title=("title",),
    authors=("author",),
    author_split=r"\s+and\s+",
    year=("year", "date"),
    journal=("journal", "journaltitle", "booktitle", "source", "series", "publisher"),
    volume=("volume",),
    issue=("number", "issue"),
    pages=("pages",),
    doi=("doi", "url", "note"),
    issn=("issn",),
    isbn=("isbn",),
    abstract=("abstract",),
    keywords=("keywords", "author_keywords", "keywords-plus", "mesh"),
    keyword_split=r"\s*[;,]\s*",
    url=("url", "link"),
    language=("language", "langid"),
)

_LATEX_CMD = re.compile(r"\\[a-zA-Z]+\s*|\\.|[{}]")


def _plain(value: str) -> str:
    """Cheap LaTeX-to-text for the canonical columns; the verbatim value stays in original."""
    if "\\" in value:
        from pylatexenc.latex2text import LatexNodes2Text

        # pylatexenc renders a literal caret as U+02C6; keep the ASCII caret the file meant.
        value = value.replace(r"\textasciicircum{}", "\ue000").replace(r"\^{}", "\ue000")
        try:
            return LatexNodes2Text().latex_to_text(value).replace("\ue000", "^")
        except Exception:  # noqa: BLE001 - malformed LaTeX: fall back to stripping markup
            value = _LATEX_CMD.sub("", value)
    return value.replace("{", "").replace("}", "")


def _entry_original(entry: model.Entry) -> dict[str, list[str]]:
    original = {"ENTRYTYPE": [entry.entry_type], "ID": [entry.key]}
    for f in entry.fields:
        original.setdefault(f.key, []).append(str(f.value))
    return original


def _mapped(original: dict[str, list[str]]) -> dict[str, list[str]]:
    return {k.lower(): [_plain(v) for v in vs] for k, vs in original.items()}


_HEAD = re.compile(r"^\s*@(\w+)\s*\{\s*([^,\s]*)\s*,\s*$")
_FIELD_LINE = re.compile(r"^\s*([\w-]+)\s*=\s*[{\"](.*)[}\"]\s*,?\s*$")


def _recover(raw: str) -> model.Entry | None:
    """Re-read a block bibtexparser rejected when it has one ``field = {value},`` per line.

    Exports with scraped text in a field (EBSCO) can have unbalanced braces inside a value;
    the line layout still says where each field ends. Anything less regular stays an error.
    """
    lines = []
    for ln in raw.split("\n"):
        if ln.strip():
            lines.append(ln)
        if ln.strip() == "}":
            break
    head = _HEAD.match(lines[0]) if lines else None
    if not head or lines[-1].strip() != "}":
        return None
    fields = []
    for ln in lines[1:-1]:
        m = _FIELD_LINE.match(ln)
        if not m:
            return None
        fields.append(model.Field(m.group(1), m.group(2)))
    return model.Entry(head.group(1).lower(), head.group(2), fields)


# ``, author = {`` inside a value, or as the text after an entry: unbalanced braces made one
# field swallow the next ones, or closed the entry early and left its fields outside.
_FIELD_INSIDE = re.compile(r"[,}]\s*[A-Za-z][\w-]*\s*=\s*[{\"]")
_FIELD_OUTSIDE = re.compile(r"(?:^|[,}])\s*[A-Za-z][\w-]*\s*=\s*[{\"]")


def _check_balanced(block, path: str) -> None:
    """Refuse an entry whose braces do not pair up (bibtexparser accepts it, but wrongly)."""
    if isinstance(block, model.ImplicitComment):
        m = _FIELD_OUTSIDE.search(block.comment)
        if m:
            raise ReviewflowError(
                f"fields outside any entry ({block.comment.strip()[:40]!r}): a '}}' closed "
                "the entry before them; check the braces of the entry before",
                path=path,
                line=block.start_line + 1,
            )
        return
    for f in block.fields:
        m = _FIELD_INSIDE.search(str(f.value))
        if m:
            raise ReviewflowError(
                f"the value of `{f.key}` runs on into another field ({m.group(0)!r}): its "
                "braces do not pair up; expected field = {value}, ...",
                path=path,
                line=(f.start_line or block.start_line or 0) + 1,
                record=block.key,
            )


def read_bibtex(text: str, path: str, warnings: list[str]):
    library = bibtexparser.parse_string(text)
    text_lines = text.split("\n")
    out = []
    skip_comments_before = -1
    for block in library.blocks:
        if isinstance(block, model.ImplicitComment) and block.start_line < skip_comments_before:
            continue
        entry = block
        if isinstance(block, model.ParsingFailedBlock):
            entry = getattr(block, "ignore_error_block", None)
            if not isinstance(entry, model.Entry):
                rest = "\n".join(text_lines[block.start_line :])
                entry = _recover(rest)
                if entry is not None:
                    # bibtexparser saw the tail of this entry as comment blocks: skip them.
                    skip_comments_before = block.start_line + rest.split("\n}")[0].count("\n") + 1
                    warnings.append(
                        f"line {block.start_line + 1}: unbalanced braces in a value; "
                        "entry read line by line (check its fields)"
                    )
            if not isinstance(entry, model.Entry):
                err = str(getattr(block, "error", "") or "").strip()
                raise ReviewflowError(
                    f"could not parse this BibTeX block: {err or 'unbalanced braces?'}; expected "
                    "@type{key, field = {value}, ...}",
                    path=path,
                    line=(block.start_line or 0) + 1,
                ) from None
            elif not warnings or "unbalanced" not in warnings[-1]:
                warnings.append(
                    f"line {block.start_line + 1}: {type(block).__name__} "
                    f"({getattr(block, 'error', '')}); entry kept"
                )
        if isinstance(entry, model.ImplicitComment | model.Entry):
            _check_balanced(entry, path)
        if not isinstance(entry, model.Entry):
            continue
        original = _entry_original(entry)
        out.append(Raw((block.start_line or 0) + 1, original, BIBTEX_FIELDS, _mapped(original)))
    return out
