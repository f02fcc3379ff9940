"""Bytes to text the way real exports need it: BOMs, UTF-16, cp1252, any line ending."""

from __future__ import annotations

import codecs
import re

from reviewflow.errors import ReviewflowError

# C0 controls but tab and line feed (CR is a line end, handled first), DEL and C1 controls.
# They are never content: a NUL or an escape code in a title would reach records.csv, the
# bibliography and the HTML. The ones used as separators become a space, so words stay apart.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SEPARATOR = re.compile(r"[\x0b\x0c\x1c-\x1f\x85]")
# Every byte but the ASCII controls above: deleting them leaves only controls (C speed).
_NOT_CONTROL = bytes(b for b in range(256) if not CONTROL.match(chr(b)) or b > 0x7F)


def _has_controls(text: str) -> bool:
    """CONTROL.search, 15x faster on the ASCII text most exports are (1% of a 100k import)."""
    if text.isascii():
        return bool(text.encode("ascii").translate(None, _NOT_CONTROL))
    return CONTROL.search(text) is not None


def strip_controls(text: str, warnings: list[str]) -> str:
    """``text`` without control characters, adding one warning naming the first one's line."""
    if not _has_controls(text):
        return text
    m = CONTROL.search(text)
    first = text.count("\n", 0, m.start()) + 1
    warnings.append(control_warning(len(CONTROL.findall(text)), m.group(), "line", first))
    return without_controls(text)


def without_controls(text: str) -> str:
    return CONTROL.sub("", _SEPARATOR.sub(" ", text)) if _has_controls(text) else text


def control_warning(n: int, char: str, where: str, first: int) -> str:
    return f"{n} control character(s) removed (first: U+{ord(char):04X} on {where} {first})"


_BOMS = [
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8 with BOM"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16 with BOM"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16 with BOM"),
]


def looks_binary(data: bytes) -> bool:
    """NUL bytes early in text without a UTF-16 BOM mean this is not a text export.

    Later NULs (a corrupted export) are stripped with the other control characters.
    """
    return b"\x00" in data[:8192] and not data.startswith(
        (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    )


def decode(data: bytes, path: str, warnings: list[str]) -> tuple[str, str]:
    """Return (text with "\\n" line ends, encoding name for the import report).

    UTF-8 is tried strictly first; only if it fails is Windows-1252 assumed (what Excel and
    older EndNote write), with a warning because accented names may then be wrong.
    """
    text = None
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                text, encoding = data.decode(codec), name
            except UnicodeDecodeError as exc:
                raise ReviewflowError(
                    f"starts with a {name} byte-order mark but is not valid {name}: {exc.reason}",
                    path=path,
                ) from None
            break
    if text is None:
        try:
            text, encoding = data.decode("utf-8"), "UTF-8"
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            msg = (
                f"not valid UTF-8 (first bad byte on line {line}); "
                "read as Windows-1252: check accented characters"
            )
            warnings.append(msg)  # logged with the reader's other warnings
            # cp1252 leaves five bytes undefined; latin-1 maps them to the same code points.
            text = data.decode("cp1252", errors="replace")
            if "\ufffd" in text:
                text = data.decode("latin-1")
            encoding = "Windows-1252"
    text = text.lstrip("\ufeff")
    # "\r\r\n" (a CRLF file re-saved on Windows), CRLF, then lone CR (old Mac, WoS tab-delimited).
    text = text.replace("\r\r\n", "\n").replace("\r\n", "\n").replace("\r", "\n")
    return strip_controls(text, warnings), encoding
