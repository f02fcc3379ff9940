"""Normalise the fields databases garble, so that comparing two records compares the work.

Every function here is pure and works on one string; `normalise(records)` applies them to a
records table. Values are mapped through their unique set first, because exports repeat the
same journal, year and author strings many times (and large inputs would otherwise pay for
every repeat).
"""

from __future__ import annotations

import html
import multiprocessing
import os
import re
import unicodedata

import numpy as np
import pandas as pd

from reviewflow import ids

# Letters NFKD does not decompose into ASCII.
_FOLD = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "ł": "l", "Ł": "L", "đ": "d",
     "Đ": "D", "œ": "oe", "Œ": "oe", "ı": "i", "þ": "th", "ð": "d"}
)  # fmt: skip
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
# LaTeX: accents ({\"o}, \'{e}), formatting commands (\textit{..}) and stray braces.
_LATEX_ACCENT = re.compile(r"\\[`'^\"~=.uvHckr]\s*\{?\\?([a-zA-Z])\}?")
_LATEX_CMD = re.compile(r"\\[a-zA-Z]+\s*")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# Languages MEDLINE and Embase name after a translated title: "[Title]. [Spanish]".
_LANGUAGES = (
    "spanish|german|french|italian|portuguese|russian|chinese|japanese|korean|polish|czech|"
    "slovak|hungarian|dutch|danish|swedish|norwegian|finnish|greek|turkish|hebrew|croatian|"
    "serbian|slovenian|romanian|bulgarian|ukrainian|lithuanian|latvian|estonian|persian|"
    "arabic|icelandic|catalan|afrikaans"
)
# Annotations databases append to titles: "[Article in Chinese]", "[abstract]", "(author's transl)".
_TITLE_NOTE = re.compile(
    r"\s*[\[(](?:article in [^\])]*|in [a-z]+|abstract|author'?s? transl[^\])]*|"
    r"english abstract|letter|editorial|review|published erratum[^\])]*|"
    r"not available|no abstract[^\])]*|" + _LANGUAGES + r")[\])]\.?\s*$",
    re.IGNORECASE,
)
# MEDLINE notes about other records ("[Erratum appears in N Engl J Med. 2009;360(23):2487
# Note: Philipp, Thomas [added]]", "[Comment in: ...]"): the record is the article itself.
# They may nest brackets, repeat or be cut off, so everything from the first one is dropped.
_MEDLINE_NOTE = re.compile(
    r"(?<=.{20})\s*\.?\s*\[(?:erratum (?:appears )?in|comments? in|see comments?|"
    r"retraction (?:appears )?in|update (?:appears )?in|updated in|summary for patients in|"
    r"republished in|corrected and republished in|expression of concern in)\b.*$",
    re.IGNORECASE | re.DOTALL,
)
# A citation of another article glued to the title (MEDLINE letters: "More on X... N Engl J
# Med. 2009 Jan 29;360(5):544-6"): NLM form "Journal. Year [Mon [Day]];Vol(Issue):Pages".
_NLM_CITATION = re.compile(
    r"(?<=.{20})\s*(?:\.{1,3}|[:;,])\s*[A-Z][A-Za-z]*\.?(?:\s+[A-Z][A-Za-z]*\.?)*\s+"
    r"(?:19|20)\d\d(?:\s+[A-Z][a-z]{2}(?:\s+\d{1,2})?)?\s*;\s*\d+\s*(?:\([^()]*\))?\s*:\s*"
    r"[A-Za-z]?\d+(?:\s*-\s*[A-Za-z]?\d+)?\.?\s*$"
)
# Corrections name the corrected article: "Erratum: X", WoS "X (vol 142, pg 310, 2003)",
# Embase "X (New England Journal of Medicine (2009) 360 (542-544))", or a citation cut off
# by a length limit ("X (The Journal of Pediatrics (M"). The notice is an erratum (see
# ``kind``), but its title is compared without them so that two exports of one notice meet.
_CORRECTION_PREFIX = re.compile(
    r"^\s*(?:errat(?:um|a)|corrigend(?:um|a)|correction|addendum)(?:\s+(?:to|in|for|on))?"
    r"\s*[:.]\s+",
    re.IGNORECASE,
)
_WOS_CORRECTED = re.compile(r"\s*\(vol\.? \d+,? pg\.? \d+[^()]*\)\s*\.?\s*$", re.IGNORECASE)
_EMBASE_CORRECTED = re.compile(
    r"(?<=.{20})\s*\((?:the\s+)?[A-Z][^()]*\s\((?:19|20)\d\d\)\s*\d[^()]*(?:\([^()]*\)\s*)*\)"
    r"\s*\.?\s*$"
)
# An author's reply to letters about the article (WoS: "Title - Reply").
_REPLY = re.compile(r"\s[-\u2013\u2014:]\s*(?:authors?'? )?(?:reply|response)\.?\s*$", re.I)
_CUT_CITATION = re.compile(r"(?<=.{20})\s*\((?:the\s+)?[A-Z][^()]*(?:\([^()]*)?$")
# MEDLINE/WoS notes after the title: "[Erratum appears in ...]", "[see comments]", possibly
# cut off without the closing bracket.
_TRAILING_NOTE = re.compile(r"(?<=\S{3})\s*\.?\s*\[[^\[\]]+(\]\.?)?\s*$")
_MULTIPLE_LETTERS = re.compile(r"\s*\(multiple letters\)\s*", re.IGNORECASE)
# "pp. 12-15", "Article No.: e67248", "Art. no. 214": a label before the page or locator.
_PP = re.compile(r"^\s*(?:pp?\.?|art(?:icle)?\.?\s*(?:no|number)\.?\s*:?)\s*(?=[a-z]?\d)")
_PAGE_SPLIT = re.compile(r"[-\u2010-\u2015\s,;]+")
_DIGIT = re.compile(r"\d")
_DIGITS = re.compile(r"\d+")
_NON_DIGIT = re.compile(r"\D")
_NON_LETTER = re.compile(r"[^a-z]")
_AUTHOR_SPLIT = re.compile(r"\s*;\s*|\s+and\s+")
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_EMBASE_CONFERENCE = re.compile(r"\.\s*(?=conference:|congress:|meeting:)", re.IGNORECASE)


def clean_text(value: str) -> str:
    """Undo HTML entities/tags and LaTeX escapes and fold accents: "K&amp;ouml;ln" -> "Koln"."""
    if not value:
        return ""
    text = value
    if "&" in text:
        text = html.unescape(html.unescape(text))  # some exports escape twice
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "\\" in text or "{" in text:
        text = _LATEX_ACCENT.sub(r"\1", text)
        text = _LATEX_CMD.sub("", text).replace("{", "").replace("}", "")
    if text.isascii():  # the common case: nothing to fold
        return text
    text = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def simplify(value: str) -> str:
    """Lower-case ASCII words and digits separated by single spaces."""
    return _NON_ALNUM.sub(" ", clean_text(value).lower()).strip()


_TITLE_SPECIAL = re.compile(r"[\[(&<\\{;=/]")


def title_forms(title: str) -> tuple[str, str]:
    """(main, alternative) normalised title.

    A translated title is often bracketed ("[A study of ...]") and some databases give
    "original; English" or "original = English"; the alternative is the last part, so both
    the bilingual and the English-only record can match on it. Ovid's "English <ORIGINAL>
    original" keeps the English part as main and the original as alternative. Notes about
    other records (MEDLINE's "[Erratum appears in ...]", a glued-on citation) are dropped,
    and so are the correction markers of an erratum (its kind is kept, see ``title_parts``).
    """
    main, alt, _, _ = title_parts(title)
    return main, alt


def _words(text: str) -> str:
    return _NON_ALNUM.sub(" ", text.lower()).strip()


def title_parts(title: str) -> tuple[str, str, str, bool]:
    """(main, alternative, kind, translated) of a raw title; see ``title_forms``.

    ``kind`` is read before the correction markers are dropped; ``translated`` says the
    title was wholly bracketed: a database's own translation, worded differently by each.
    """
    if title[:1] in "EeCcAa" and _CORRECTION_PREFIX.match(title):
        prefix = _CORRECTION_PREFIX.match(title).group(0)
        rest = _CUT_CITATION.sub("", _WOS_CORRECTED.sub("", title[len(prefix) :]))
        main, alt, what, translated = title_parts(rest)
        what = " ".join(sorted({*kind(_words(prefix), "").split(), *what.split()}))
        return main, alt, what, translated
    reply = _REPLY.search(title) is not None
    if title.isascii() and not _TITLE_SPECIAL.search(title):  # most titles: nothing to undo
        main = _words(title)
        return main, main, _with_comment(kind(main, ""), reply), False
    original = ""
    if "<ORIGINAL>" in title.upper():  # Ovid: "English title <ORIGINAL> original title"
        k = title.upper().index("<ORIGINAL>")
        title, original = title[:k], title[k + len("<ORIGINAL>") :]
    text = clean_text(title).replace("&", " and ").strip()
    text = _MEDLINE_NOTE.sub("", text)
    for _ in range(2):  # "[...] [Article in German]" carries two notes
        text = _TITLE_NOTE.sub("", text)
        if len(text) > 40 and not text.startswith("["):
            text = _TRAILING_NOTE.sub("", text)
    text = _MULTIPLE_LETTERS.sub(" ", text).strip()
    text = _NLM_CITATION.sub("", text)
    translated = text.startswith("[") and text.rstrip(".").endswith("]")
    if translated:
        text = text.rstrip(".")[1:-1]
    what = kind(_words(text), "")
    if _EMBASE_CORRECTED.search(text):
        text = _EMBASE_CORRECTED.sub("", text)
        what = " ".join(sorted({"erratum", *what.split()}))
    elif "erratum" in what.split():
        text = _WOS_CORRECTED.sub("", text)
        text = _CUT_CITATION.sub("", text)
    main = _words(text)
    alt = main
    for sep in (" = ", "; ", " / "):
        if sep in text:
            alt = _words(text.rsplit(sep, 1)[1])
            break
    if original:
        alt = _words(clean_text(original))
    if len(alt) < 20:  # a short tail is a subtitle fragment, not a translation
        alt = main
    return main, alt, _with_comment(what, reply), translated


def _with_comment(what: str, reply: bool) -> str:
    return " ".join(sorted({"comment", *what.split()})) if reply else what


# Words whose swap makes a different study although the titles are nearly identical.
CONTRAST_WORDS = {
    "vivo": "in_vivo", "vitro": "in_vitro", "silico": "in_silico",
    "men": "men", "women": "women", "male": "male", "males": "male", "female": "female",
    "females": "female", "boys": "boys", "girls": "girls", "children": "children",
    "adults": "adults", "adult": "adults", "child": "children", "infants": "infants",
    "adolescents": "adolescents", "elderly": "older", "older": "older", "younger": "younger",
    "positive": "positive", "negative": "negative", "acute": "acute", "chronic": "chronic",
    "increase": "increase", "increased": "increase", "decrease": "decrease",
    "decreased": "decrease", "high": "high", "low": "low", "higher": "high", "lower": "low",
    "before": "before", "after": "after", "pre": "pre", "post": "post", "preterm": "preterm",
    "term": "term", "benign": "benign", "malignant": "malignant", "primary": "primary",
    "secondary": "secondary", "rats": "rats", "mice": "mice", "humans": "human",
    "human": "human", "urban": "urban", "rural": "rural", "left": "left", "right": "right",
    "upper": "upper", "inpatient": "inpatient", "outpatient": "outpatient",
    "inpatients": "inpatient", "outpatients": "outpatient",
}  # fmt: skip
_ROMAN = {"ii": "2", "iii": "3", "iv": "4", "vi": "6", "vii": "7", "viii": "8", "ix": "9"}
_ROMAN_KEYS = set(_ROMAN) | {"i"}
_CONTRAST_KEYS = set(CONTRAST_WORDS)
_SERIES_WORDS = {
    "part", "phase", "type", "stage", "grade", "class", "study", "trial", "chapter", "volume",
    "vol", "update", "edition", "no", "number", "series", "wave", "cohort", "session",
}  # fmt: skip


def title_markers(main: str) -> tuple[str, str, str]:
    """(series numbers, other numbers, contrast words) of a normalised title, as sorted keys.

    Titles that differ in a series number ("part 2", "phase III", "2019 update": a number
    after a series word, a roman numeral or a year) or in a contrast word ("in vivo"/"in
    vitro", "men"/"women") are different studies, however similar the rest of the title.
    Other numbers ("2916 samples", "p16") are compared more leniently (see match).
    """
    tokens = main.split()
    present = set(tokens)
    contrast = {CONTRAST_WORDS[t] for t in present & _CONTRAST_KEYS}
    series, others = set(), set()
    if present & _ROMAN_KEYS or _DIGIT.search(main):
        for k, tok in enumerate(tokens):
            after_series = k > 0 and tokens[k - 1] in _SERIES_WORDS
            if tok.isdigit():
                value = str(int(tok))
                is_year = len(tok) == 4 and tok[:2] in ("19", "20")
                (series if after_series or is_year else others).add(value)
            elif tok in _ROMAN:
                series.add(_ROMAN[tok])
            elif tok == "i" and after_series:
                series.add("1")
    return " ".join(sorted(series)), " ".join(sorted(others)), " ".join(sorted(contrast))


# Publication kinds that must never merge with the article they refer to.
_KIND_PATTERNS = [
    ("erratum", re.compile(r"\b(errat\w*|corrigend\w*|correction\w*|addend\w*)\b"
                           r"|\bvol \d+ pg \d+")),  # WoS: "Title (vol 142, pg 310, 2003)"
    ("retraction", re.compile(r"\b(retract\w*|withdrawn|withdrawal notice)\b")),
    ("comment", re.compile(r"\b(comment on|comments on|commentary on|in reply|reply to|"
                           r"response to|author reply|authors reply|letter to the editor)\b")),
    ("protocol", re.compile(r"\b(study protocol|protocol for|trial protocol)\b")),
]  # fmt: skip


_KIND_ANY = re.compile("|".join(f"(?:{pat.pattern})" for _, pat in _KIND_PATTERNS))


def kind(main_title: str, entry_type: str) -> str:
    """The kind of publication ("" = ordinary article), from title wording and record type."""
    text = f"{main_title} {simplify(entry_type)}"
    if not _KIND_ANY.search(text):
        return ""
    return " ".join(name for name, pat in _KIND_PATTERNS if pat.search(text))


_CONFERENCE_TYPES = {"inproceedings", "conference", "proceedings", "conf", "cpaper", "abst"}
_CONFERENCE_VENUE = re.compile(
    r"\b(proceedings|conference|congress|symposium|meeting|workshop|abstracts)\b"
)
_THESIS_TYPES = {"thes", "thesis", "phdthesis", "mastersthesis", "dissertation"}
# A thesis is also listed, a year or so later, in an index of dissertation abstracts
# ("Dissertation Abstracts International", "ProQuest Dissertations & Theses").
_THESIS_VENUE = re.compile(r"\bdissertations?\b")


def venue_kind(entry_type: str, journal: str) -> str:
    """'thesis', 'conference', 'book' (books/chapters) or 'article', from type and venue."""
    typ = simplify(entry_type)
    venue = simplify(journal)
    if typ.split()[:1] and typ.split()[0] in _THESIS_TYPES or _THESIS_VENUE.search(venue):
        return "thesis"
    if typ.split()[:1] and (typ.split()[0] in _CONFERENCE_TYPES or "conference" in typ):
        return "conference"
    if _CONFERENCE_VENUE.search(venue):
        return "conference"
    if typ.startswith(("book", "inbook", "incollection", "chap")):
        return "book"
    return "article"


# Words of titles that recur by nature (an editorial in every issue, errata, replies, front
# matter, a book review without its subject). A title made only of these (and numbers) names
# no work: such records merge only on a DOI, or on the same issue and pages.
_RECURRING_WORDS = {
    "editorial", "editorials", "editor", "editors", "s", "comment", "comments", "remarks",
    "remark", "note", "notes", "from", "the", "a", "an", "of", "to", "and", "in", "on", "for",
    "by", "with", "this", "our", "issue", "issues", "volume", "introduction", "preface",
    "foreword", "prologue", "epilogue", "afterword", "letter", "letters", "reply", "replies",
    "response", "responses", "erratum", "errata", "correction", "corrections", "corrigendum",
    "corrigenda", "addendum", "retraction", "notice", "notices", "withdrawn", "book", "books",
    "review", "reviews", "news", "message", "guest", "special", "section", "front", "back",
    "matter", "contents", "table", "index", "acknowledgement", "acknowledgements",
    "acknowledgment", "acknowledgments", "reviewers", "referees", "announcement", "announcements",
    "call", "papers", "abstracts", "abstract", "summary", "summaries", "conference",
    "proceedings", "report", "reports", "obituary", "author", "authors", "president",
    "presidential", "chair", "address", "welcome", "overview", "commentary", "perspective",
    "perspectives", "highlights", "correspondence", "miscellany", "masthead", "board",
    "information", "instructions", "contributors", "about", "column", "update", "updates",
    "cover", "forum", "digest", "events", "calendar", "meeting", "meetings", "minutes", "annual",
    "supplement", "opening", "closing", "statement", "new", "year", "readers", "reader",
    "journal",
}  # fmt: skip


def recurring_title(main: str) -> bool:
    """A normalised title that names no particular work ("Editor's comments", "Erratum")."""
    words = main.split()
    return bool(words) and all(w in _RECURRING_WORDS or w.isdigit() or w in _ROMAN_KEYS
                               for w in words)  # fmt: skip


_SUBTITLE = re.compile(r"\s*(?::|\?|\.\s|\s[-\u2013\u2014]\s)")


def title_head(title: str) -> str:
    """The normalised title before its subtitle ("Budgets: a study" -> "budgets"); "" if none.

    A database that drops the subtitle keeps this head; three words at least, so a generic
    head ("Introduction: ...") does not stand for the whole title.
    """
    parts = _SUBTITLE.split(clean_text(title), maxsplit=1)
    if len(parts) < 2:
        return ""
    head = _words(parts[0])
    return head if len(head.split()) >= 3 and _words(parts[1]) else ""


def normalise_doi(value: str) -> str:
    """Bare lower-case DOI: "https://doi.org/10.1/ABC." -> "10.1/abc"; "" if none."""
    return ids.normalise_doi(clean_text(value))


def normalise_pages(value: str) -> tuple[int, int, bool]:
    """(first, last, lettered) page numbers; -1 when absent. "123-9" -> (123, 129, False).

    Letters are dropped for the numbers ("c37-c42" = 37-42) but remembered: an e-locator
    ("e12724", "a1754") and a printed page are different numbering systems, not a conflict.
    A range with a part without digits ("Suppl-29", "t-8", "08-Aug": garbled exports),
    that starts at page 1 (the internal numbering of an e-only article) or that ends before
    it starts ("2297-2108": a mistyped first page) tells nothing.
    """
    text = _PP.sub("", clean_text(value).lower())
    parts = [p for p in _PAGE_SPLIT.split(text) if p]
    if not parts or not all(_DIGIT.search(p) for p in parts[:2]):
        return -1, -1, False  # also "08-Aug": a range a spreadsheet turned into a date
    digits = [_NON_DIGIT.sub("", p)[:12] for p in parts[:2]]
    if digits[0] == "" or int(digits[0]) <= 1:
        return -1, -1, False
    first = int(digits[0])
    lettered = not parts[0].isdigit()
    last = digits[1] if len(digits) > 1 else ""
    if last and len(last) < len(digits[0]):
        last = digits[0][: len(digits[0]) - len(last)] + last
    hi = int(last) if last else first
    if hi < first:
        return -1, -1, False
    return first, hi, lettered


def pages_relation(lo1: int, hi1: int, let1: bool, lo2: int, hi2: int, let2: bool) -> int:
    """1 same (equal first page, or one range inside the other), 0 different, -1 unknown."""
    if lo1 < 0 or lo2 < 0:
        return -1
    if lo1 == lo2 or (lo1 <= lo2 and hi2 <= hi1) or (lo2 <= lo1 and hi1 <= hi2):
        return 1
    return -1 if let1 != let2 else 0


_SUPPLEMENT = re.compile(r"\b(?:s|sup|supp|suppl\w*|spec\w*|pt|part)\b")


def leading_number(value: str) -> str:
    """The leading number of a volume/issue ("20 Suppl 1" -> "20"); "" if unreadable.

    An unreadable field is unknown, not different: no number ("(Jul)"), unbalanced brackets
    ("1)", a fragment of "61(1)") or a supplement or part before the number ("SUPPL. 1")
    give "", which neither vetoes nor confirms a match.
    """
    text = clean_text(value)
    if text.count("(") != text.count(")") or text.count("[") != text.count("]"):
        return ""
    text = simplify(text)
    match = _DIGITS.search(text)  # "Drug Discovery. 9" (shifted fields) -> "9"
    if not match or _SUPPLEMENT.search(text[: match.start()]):
        return ""
    return str(int(match.group(0)))


def normalise_issue(value: str) -> str:
    """An issue number; a supplement is "s" + its number ("SUPPL. 1" -> "s1"), so it agrees
    only with the same supplement; "" if unreadable (see ``leading_number``)."""
    text = simplify(value)
    if _SUPPLEMENT.match(text) and not text.startswith(("pt", "part")):
        number = _DIGITS.search(text)
        return "s" + (str(int(number.group(0))) if number else "")
    return leading_number(value)


_SHIFT_ISSUE = re.compile(r"^\s*\d{1,4}\s*$")
_SHIFT_PAGE = re.compile(r"^\s*\d{1,2}\s*$")


def shifted_citation(records: pd.DataFrame) -> np.ndarray:
    """Records whose volume, issue and pages were shifted one field left by the export.

    Some exports (Embase conference abstracts) lose the volume and move the rest up: volume
    26, issue 9 arrives as issue "26", pages "9". A record without volume whose issue is a
    number and whose "pages" is a bare number of one or two digits (an issue, not a page
    range) is read as volume = issue, issue = pages, pages unknown.
    """
    volume = records["volume"].str.strip()
    issue_ok = records["issue"].str.match(_SHIFT_ISSUE)
    page_ok = records["pages"].str.match(_SHIFT_PAGE)
    return ((volume == "") & issue_ok & page_ok).to_numpy(dtype=bool)


_YEAR = re.compile(r"(1[5-9]\d\d|20\d\d)")


def normalise_year(value: str) -> int:
    """Four-digit year, or -1 if absent."""
    match = _YEAR.search(value or "")
    return int(match.group(1)) if match else -1


_ETAL = re.compile(r"\bet\.? ?al\.?", re.IGNORECASE)
# A list exported without separators: "Akita K.Isoda K.Isobe S." (an initial, then a name).
_RUN_TOGETHER = re.compile(
    r"(?:(?<=\w [A-Z]\.)|(?<=\w [A-Z]\.[A-Z]\.)|(?<=\w [A-Z]\.[A-Z]\.[A-Z]\.))"
    r"(?=[A-Z][A-Za-z']|(?:[a-z]+ )+[A-Z])"  # the next name, perhaps after "van den"
)
# One "Family AB" name of a comma-separated PubMed list: "Akita K, Isoda K, Isobe S".
_FAMILY_INITIALS = re.compile(r"^[^\W\d_][\w'\- ]* [A-Z]{1,3}$")
_INITIALS = re.compile(r"^(?:[A-Z]\.?-?){1,3}$")
# Particles some exports keep in the family name and others move or drop ("van Kessel, M."
# vs "Kessel, M. E. van"): dropped, so both give "kessel".
_PARTICLES = {
    "van", "von", "der", "den", "de", "del", "della", "di", "da", "dos", "das", "du", "la",
    "le", "ten", "ter", "vd",
}  # fmt: skip


def _split_authors(text: str) -> list[str]:
    if ";" in text:  # the common, separated case
        return _AUTHOR_SPLIT.split(text)
    if "." in text:
        text = _RUN_TOGETHER.sub("; ", text)
    names = []
    for part in _AUTHOR_SPLIT.split(text):
        pieces = part.split(",") if "," in part else ()
        if len(pieces) > 1 and all(_FAMILY_INITIALS.match(p.strip()) for p in pieces):
            names.extend(p.strip() for p in pieces)
        else:
            names.append(part)
    return names


def _letters(text: str) -> str:
    text = text.lower()
    return text if text.isalpha() else _NON_LETTER.sub("", text)


def author_names(authors: str) -> list[tuple[str, str]]:
    """(family, first initial) of each author, folded to bare lower-case letters.

    Accepts "Family, Given", "Given Family" and PubMed's "Family AB" forms, lists without
    separators and name particles, so "Chan, Dick Y. W.", "Chan, D. Y. W." and "Chan DYW" all
    give ("chan", "d"), and "van Kessel, M." and "Kessel, M. E." give ("kessel", "m").
    """
    out = []
    for name in _split_authors(_ETAL.sub("", clean_text(authors))):
        name = name.strip(" ,.")
        if not name:
            continue
        if "," in name:
            head, _, tail = name.partition(",")
            family, given = head.split(), tail.split()
        else:
            words = name.split()
            k = len(words)
            while k > 1 and _INITIALS.match(words[k - 1]):
                k -= 1  # "Zhou X", "Chan D. Y. W."
            family, given = (words[:k], words[k:]) if k < len(words) else (words[-1:], words[:-1])
        if len(family) > 1:
            family = [w for w in family if w.lower() not in _PARTICLES] or family
        while given and given[-1].lower() in _PARTICLES:
            given = given[:-1]  # "Kessel, M. E. van"; a first name "Van" stays
        surname = _letters("".join(family))
        if surname:
            initial = given[0][0].lower() if given else ""
            if initial and not ("a" <= initial <= "z"):
                initial = _letters(given[0])[:1]
            out.append((surname, initial))
    return out


def author_families(authors: str) -> list[str]:
    """Family names of the authors (see ``author_names``)."""
    return [family for family, _ in author_names(authors)]


_JOURNAL_STOP = {"the", "of", "and", "for", "in", "on", "de", "la", "le", "der", "und", "fur"}


def journal_forms(journal: str) -> tuple[str, str]:
    """(normalised name, initials key) of a journal.

    The initials of the significant words match an abbreviation with its full name:
    "Curr Opin Rheumatol" and "Current Opinion in Rheumatology" both give "cor".
    A bilingual name "X = Y" keeps its last (usually English) part.
    """
    text = clean_text(journal).replace("&", " and ")
    if " = " in text:
        text = text.rsplit(" = ", 1)[1]
    text = _PARENS.sub(" ", text)  # "(Sao Paulo)", "[Electronic Resource]"
    # Embase: "Journal of X.Conference: 23rd Congress of ..." is published in Journal of X.
    text = _EMBASE_CONFERENCE.split(text)[0]
    name = simplify(text)
    initials = "".join(w[0] for w in name.split() if w not in _JOURNAL_STOP and not w.isdigit())
    return name, initials


_VERSIONED = re.compile(r"\bcochrane\b")


def versioned(journal_name: str) -> bool:
    """A venue that republishes a work under the same title as new versions (Cochrane reviews
    are updated in place): there, records of different years are different versions."""
    return bool(journal_name) and _VERSIONED.search(journal_name) is not None


PARALLEL_MIN = 200_000  # distinct values above which normalising uses every core


def _apply_all(func, values: list) -> list:
    """``func`` over ``values``; large inputs are split over worker processes (same order)."""
    workers = min(os.cpu_count() or 1, 4)
    if len(values) < PARALLEL_MIN or workers < 2 or func.__name__ == "<lambda>":
        return [func(v) for v in values]
    size = -(-len(values) // workers)
    chunks = [values[k : k + size] for k in range(0, len(values), size)]
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        parts = pool.starmap(_apply_chunk, [(func, chunk) for chunk in chunks])
    return [r for part in parts for r in part]


def _apply_chunk(func, values: list) -> list:
    return [func(v) for v in values]


def _mapped(series: pd.Series, func, n_out: int) -> list[np.ndarray]:
    """Apply ``func`` (returning an ``n_out``-tuple) once per distinct value.

    Exports repeat journals, years and author strings many times; results are computed on
    the distinct values and spread back with integer codes.
    """
    codes, uniques = pd.factorize(series)
    results = _apply_all(func, uniques.tolist())
    columns = list(zip(*results, strict=True)) if results else [()] * n_out
    return [np.asarray(col, dtype=object)[codes] if len(col) else np.empty(0, object)
            for col in columns]  # fmt: skip


def _type_kind(entry_type: str) -> tuple[str]:
    return (kind("", entry_type),)


def _title_head(title: str) -> tuple[str]:
    return (title_head(title),)


def _recurring(main_title: str) -> tuple[bool]:
    return (recurring_title(main_title),)


def _journal_parts(journal: str) -> tuple[str, str, bool]:
    name, initials = journal_forms(journal)
    return name, initials, versioned(name)


def _author_forms(authors: str) -> tuple:
    names = author_names(authors)
    # Family name + first initial of the first k authors: pairs compare the common length,
    # so a list truncated to "et al." still matches the full list. A missing initial costs
    # one letter of similarity; a different one marks another person of the same surname.
    keys = [family + initial for family, initial in names]
    families = " ".join(family for family, _ in names[:5])
    return (
        families.split(" ", 1)[0],
        len(keys),
        families,
        *(" ".join(keys[:k]) for k in range(1, 6)),
    )


def normalise(records: pd.DataFrame) -> pd.DataFrame:
    """The normalised comparison columns (prefixed ``n_``) of a records table."""
    out = {}
    out["n_title"], out["n_title_alt"], title_kind, translated = _mapped(
        records["title"], title_parts, 4
    )
    out["n_translated"] = translated.astype(bool)
    title = pd.Series(out["n_title"], dtype=object)
    (out["n_title_head"],) = _mapped(records["title"], _title_head, 1)
    (recurring,) = _mapped(title, _recurring, 1)
    out["n_recurring"] = recurring.astype(bool)
    out["n_series"], out["n_numbers"], out["n_contrast"] = _mapped(title, title_markers, 3)
    authors = _mapped(records["authors"], _author_forms, 8)
    out["n_first_author"] = authors[0]
    out["n_n_authors"] = authors[1].astype(np.int32)
    out["n_families"] = authors[2]
    for k in range(1, 6):
        out[f"n_authors{k}"] = authors[k + 2]
    (year,) = _mapped(records["year"], lambda v: (normalise_year(v),), 1)
    out["n_year"] = year.astype(np.int32)
    (out["n_doi"],) = _mapped(records["doi"], lambda v: (normalise_doi(v),), 1)
    lo, hi, letter = _mapped(records["pages"], normalise_pages, 3)
    out["n_page_lo"], out["n_page_hi"] = lo.astype(np.int64), hi.astype(np.int64)
    out["n_page_letter"] = letter.astype(bool)
    (out["n_volume"],) = _mapped(records["volume"], lambda v: (leading_number(v),), 1)
    (out["n_issue"],) = _mapped(records["issue"], lambda v: (normalise_issue(v),), 1)
    shifted = shifted_citation(records)
    if shifted.any():
        out["n_volume"] = np.where(shifted, out["n_issue"], out["n_volume"])
        out["n_issue"] = out["n_issue"].copy()
        out["n_issue"][shifted] = [leading_number(v) for v in records["pages"][shifted]]
        out["n_page_lo"][shifted] = -1
        out["n_page_hi"][shifted] = -1
    out["n_journal"], out["n_journal_initials"], is_versioned = _mapped(
        records["journal"], _journal_parts, 3
    )
    out["n_versioned"] = is_versioned.astype(bool)
    (type_kind,) = _mapped(records["type"], _type_kind, 1)
    out["n_kind"] = np.array(
        [t if not ty or t == ty else ty if not t else " ".join(sorted({*t.split(), *ty.split()}))
         for t, ty in zip(title_kind, type_kind, strict=True)],
        dtype=object,
    )  # fmt: skip
    (out["n_venue"],) = _mapped(
        records["type"] + "\t" + records["journal"], lambda v: (venue_kind(*v.split("\t")),), 1
    )
    norm = pd.DataFrame(out, index=records.index)
    norm["n_recurring"] |= shared_by_many_teams(norm)
    return norm


# A title used by this many first authors (distinct family names) names no single work.
MANY_TEAMS = 5


def shared_by_many_teams(norm: pd.DataFrame) -> np.ndarray:
    """Titles that recur in the data itself: used by ``MANY_TEAMS`` or more first authors
    (a one-word title of many letters, a standard heading). Like an editorial's title, such
    a title needs a DOI or the same issue and pages to merge; a duplicate group spells its
    first author in fewer ways than that."""
    known = (norm["n_title"] != "") & (norm["n_first_author"] != "")
    teams = norm[known].groupby("n_title")["n_first_author"].nunique()
    return norm["n_title"].map(teams).fillna(0).to_numpy() >= MANY_TEAMS
