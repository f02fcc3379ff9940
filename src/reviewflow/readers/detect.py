"""Which reader a file needs, decided from its content (the extension only breaks ties)."""

from __future__ import annotations

import re
from pathlib import Path

# Names accepted in the search log's `format:` field, and what detection returns.
FORMATS = [
    "ris",
    "medline",
    "wos",
    "refer",
    "bibtex",
    "csv",
    "tsv",
    "xlsx",
    "endnote_xml",
    "scholar_json",
    "reference_list",
]

_RIS_TY = re.compile(r"^TY {1,2}-", re.M)
_WOS_PT = re.compile(r"^PT [A-Z]\s*$", re.M)
_WOS_ER = re.compile(r"^ER\s*$", re.M)
_MEDLINE = re.compile(r"^(PMID|OWN|FAU|STAT|DP|TI|AU|PT|JT|SO|AB)\s{0,3}- ", re.M)
_REFER = re.compile(r"^%[0ATDJBKUX] ", re.M)
_BIBTEX = re.compile(r"^\s*@[A-Za-z]+\s*[{(]", re.M)
_CITATION = re.compile(r"\((1[5-9]|20)\d\d[a-z]?\)|\b(1[5-9]|20)\d\d[a-z]?[.;]")


def detect_format(text: str, path: str | Path) -> str | None:
    """Format name from FORMATS, or None when nothing fits."""
    head = text[:20000]
    stripped = head.lstrip()
    suffix = Path(path).suffix.lower()
    if stripped.startswith(("[", "{")):
        return "scholar_json"
    if stripped.startswith("<") and re.search(r"<records?\b", head):
        return "endnote_xml"
    if _RIS_TY.search(head):
        return "ris"
    if re.match(r"(?:FN |VR |PT [A-Z]\s*\n)", stripped) or (
        _WOS_PT.search(head) and _WOS_ER.search(head)
    ):
        return "wos"
    if _BIBTEX.search(head):
        return "bibtex"
    if len(_MEDLINE.findall(head)) >= 2:
        return "medline"
    if re.match(r"%[0-9A-Z] ", stripped) or len(_REFER.findall(head)) >= 2:
        return "refer"
    first = stripped.split("\n", 1)[0]
    if first.count("\t") >= 2:
        return "tsv"
    if first.count(",") >= 2 and (suffix == ".csv" or first.count('"') >= 2):
        return "csv"
    lines = [ln for ln in head.split("\n") if ln.strip() and not ln.startswith("#")]
    if lines and all(len(ln) > 30 and _CITATION.search(ln) for ln in lines):
        return "reference_list"
    if suffix in (".csv",):
        return "csv"
    return None
