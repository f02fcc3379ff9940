"""Generated prose that reads as written: counts, numbers, lists, dates and articles.

One style, used for every sentence the pipeline writes (tables keep digits):

- numbers below ten in words ("five databases"), 10 and above in digits ("145 studies"); a
  sentence never starts with a digit ("Twelve studies ...");
- plurals agree with their number ("one study", "six studies", "no studies"), never "(s)";
- lists take the serial comma: "a, b, and c" (items that hold a comma are separated by
  semicolons, so "x, y; z; and w" stays readable);
- dates as "11 February 2019"; ranges as "11 February to 20 March 2019";
- "k of the n" is "all six" or "none of the six", never "6 of the 6" or "0 of the 6".

Plurals, articles, number words and list joining come from ``inflect``, which knows English
exceptions ("analyses", "people", "an NHS trust", "a European study").
"""

from __future__ import annotations

import datetime as dt
import re

import inflect

from reviewflow.errors import ReviewflowError

_ENGLISH = inflect.engine()
WORDS_BELOW = 10  # numbers below this are written in words outside tables
# English month names whatever the locale (strftime's %B follows it).
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def number(n: int, words: bool = True) -> str:
    """'five' (below ten, when ``words``), else '1,234'."""
    if words and 0 <= n < WORDS_BELOW:
        return str(_ENGLISH.number_to_words(n))
    return f"{n:,}"


def plural(noun: str, n: int) -> str:
    """``noun`` agreeing with ``n``: plural('study', 2) == 'studies'."""
    return noun if n == 1 else str(_ENGLISH.plural_noun(noun, n))


def is_plural(phrase: str) -> bool:
    """Whether a noun phrase is plural, judged by its head ('the list of sources': no)."""
    head = phrase.split(" of ")[0].split()
    return bool(head) and bool(_ENGLISH.singular_noun(head[-1]))


def verb(singular: str, n: int) -> str:
    """A verb agreeing with ``n`` subjects: verb('was', 2) == 'were'."""
    return str(_ENGLISH.plural_verb(singular, n))


def count(n: int, noun: str, words: bool = True) -> str:
    """'no studies', 'one study', 'six studies', '12 studies' ('1 study' with words=False)."""
    if n < 0:
        raise ValueError(f"count of {noun} is negative: {n}")
    if n == 0:
        return f"no {plural(noun, 0)}"
    return f"{number(n, words)} {plural(noun, n)}"


def k_of_n(k: int, n: int, noun: str) -> str:
    """'two of the six studies', 'all six studies', 'both studies', 'none of the six
    studies', 'the one study'; never 'six of the six' or '0 of the 6'."""
    if not 0 <= k <= n:
        raise ValueError(f"{k} of {n} {noun}: need 0 <= k <= n")
    if n == 0:
        return count(0, noun)
    of_n = f"{number(n)} {plural(noun, n)}"
    if k == 0:
        return f"none of the {of_n}"
    if k == n == 1:
        return f"the one {noun}"
    if k == n == 2:
        return f"both {plural(noun, 2)}"
    if k == n:
        return f"all {of_n}"
    return f"{number(k)} of the {of_n}"


def join(items: list[str] | tuple[str, ...], conj: str = "and") -> str:
    """'a', 'a and b', 'a, b, and c' (the serial comma, used everywhere); items that hold a
    comma or the conjunction are separated by semicolons: 'a; b and c; and d'."""
    items = list(items)
    inner = any("," in item or f" {conj} " in item for item in items)
    if inner and len(items) == 2:
        return f"{items[0]}; {conj} {items[1]}"
    return str(_ENGLISH.join(items, conj=conj, sep=";" if inner else ","))


def in_sentence(name: str) -> str:
    """A source's name as written mid-sentence: 'Citation searching' -> 'citation searching',
    while names with other upper-case letters stay as they are ('Google Scholar', 'PubMed')."""
    first, _, rest = name.partition(" ")
    if first[1:].islower() and not any(c.isupper() for c in rest):
        return first[:1].lower() + first[1:] + (f" {rest}" if rest else "")
    return name


def a(phrase: str) -> str:
    """The phrase with its indefinite article: 'an NHS trust', 'a European study'."""
    return str(_ENGLISH.a(phrase))


def the(name: str) -> str:
    """A proper name of a scheme or body with its definite article, unless it has one:
    'the National Disability Insurance Scheme'."""
    return name if re.match(r"(?i)the\s", name) else f"the {name}"


def sentence(text: str) -> str:
    """Capitalise the first letter; a leading number is written in words ('Twelve ...')."""
    text = text.strip()
    m = re.match(r"\d[\d,]*\b", text)
    if m:
        text = str(_ENGLISH.number_to_words(int(m.group().replace(",", "")))) + text[m.end() :]
    return text[:1].upper() + text[1:]


def _date(iso: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(iso))
    except ValueError:
        raise ReviewflowError(f"not an ISO date (YYYY-MM-DD): {iso!r}") from None


def date(iso: str) -> str:
    """'2019-02-11' -> '11 February 2019'."""
    d = _date(iso)
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def date_range(start: str, end: str) -> str:
    """'11 February to 20 March 2019', '11 to 20 February 2019', or one date if equal; the
    year is repeated only when it differs."""
    first, last = _date(start), _date(end)
    if first > last:
        raise ReviewflowError(f"date range ends before it starts: {start} to {end}")
    if first == last:
        return date(start)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day} to {date(end)}"
    if first.year == last.year:
        return f"{first.day} {MONTHS[first.month - 1]} to {date(end)}"
    return f"{date(start)} to {date(end)}"


PHRASE_WORDS = 8  # a run of this many words said twice reads as a template


def repeated_phrases(
    sections: dict[str, str], n: int = PHRASE_WORDS
) -> list[tuple[str, list[str]]]:
    """Runs of at least ``n`` words that appear in more than one section, each with the
    sections that hold it (first appearance first), in the order they are first read."""
    words = {name: re.findall(r"[\w'’-]+", text.lower()) for name, text in sections.items()}
    where: dict[tuple[str, ...], list[str]] = {}
    for name, ws in words.items():
        for i in range(len(ws) - n + 1):
            holders = where.setdefault(tuple(ws[i : i + n]), [])
            if name not in holders:
                holders.append(name)
    found: dict[str, list[str]] = {}
    for ws in words.values():
        i = 0
        while i <= len(ws) - n:
            holders = where[tuple(ws[i : i + n])]
            if len(holders) < 2:
                i += 1
                continue
            end = i + n  # extend over the run of shared n-grams
            while end < len(ws) and len(where[tuple(ws[end - n + 1 : end + 1])]) > 1:
                end += 1
            found.setdefault(" ".join(ws[i:end]), holders)
            i = end
    # A phrase read again from its second section is a part of one already found.
    return [(p, h) for p, h in found.items() if not any(p != q and p in q for q in found)]


_COUNT = r"\d[\d,]*|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
# Constructions a template writes and a writer never would.
TEMPLATED = {
    "'(s)' plural": re.compile(r"\((?:s|es)\)"),
    "'0 row' count": re.compile(r"\b(?:0|zero) rows?\b"),
    "'N of the N'": re.compile(rf"\b({_COUNT}) of the \1\b"),
    "'0 of the'": re.compile(r"\b(?:0|zero) of (?:the\b|\d)"),
}


def templated(text: str) -> list[str]:
    """Every templated construction in ``text`` (one line, lower case), as 'kind: …context…'."""
    return [
        f"{kind}: …{text[max(0, m.start() - 30) : m.end() + 30]}…"
        for kind, pattern in TEMPLATED.items()
        for m in pattern.finditer(text)
    ]
