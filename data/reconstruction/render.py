"""Render the reconstructed flagship search from the master table of verified works.

The original exports of Carey, Crammond & Malbon (2019) are not public, so `data/raw/` is
rebuilt from `works.yaml`: one entry per real work, with the metadata seen on a public page and
the list of sources that would have returned it. This script writes, deterministically:

- `data/raw/exports/*`: one file per search, each in its database's own export format
  (Scopus RIS, Web of Science plain text, PubMed MEDLINE, ProQuest RIS, EBSCOhost RIS, and
  Zotero RIS for citation searching and websites), with the small differences real databases
  introduce (author forms, upper-case WoS sources, MEDLINE title full stops, ProQuest DOIs as
  URLs, EBSCO DOIs in L3 and missing for pre-2010 items);
- `data/raw/searches.yaml`: the search log (hits = records written);
- `data/raw/provenance.csv`: one row per record, pointing at where its work was verified;
- `data/raw/screening/*.csv`: two reviewers' decisions keyed by each work's first record id.

Run from the repository root: `.venv/bin/python data/reconstruction/render.py`.
Fields missing from the master table stay missing in the exports: nothing is filled in.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import textwrap
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
RAW = HERE.parent / "raw"

# Search order is the search log's order; record ids are "<search id>:<position>".
SEARCHES = [
    {
        "id": "scopus",
        "source": "Scopus",
        "kind": "database",
        "method": None,
        "interface": "Elsevier Scopus web",
        "date": "2019-02-11",
        "file": "exports/scopus.ris",
        "query": (
            'TITLE-ABS-KEY ( ( personali?ation OR "personal budget*" OR "individual budget*"\n'
            '  OR "individuali?ed funding" OR "individual funding" OR "direct payment*"\n'
            '  OR "cash for care" OR "cash-for-care" OR "consumer directed care"\n'
            '  OR "consumer-directed care" OR "self-directed support" OR "cash and counseling"\n'
            '  OR "National Disability Insurance Scheme" OR NDIS )\n'
            '  AND ( "social care" OR disab* OR "aged care" OR "long-term care" OR "older people"\n'
            '  OR "home care" OR "community care" ) )\n'
            "AND PUBYEAR > 1996 AND PUBYEAR < 2020\n"
            'AND ( LIMIT-TO ( LANGUAGE , "English" ) )\n'
        ),
    },
    {
        "id": "wos",
        "source": "Web of Science Core Collection",
        "kind": "database",
        "method": None,
        "interface": "Clarivate Web of Science (SSCI, SCI-EXPANDED)",
        "date": "2019-02-11",
        "file": "exports/wos_savedrecs.txt",
        "query": (
            'TS=(personali$ation OR "personal budget*" OR "individual budget*"\n'
            '  OR "individuali$ed funding" OR "individual funding" OR "direct payment*"\n'
            '  OR "cash for care" OR "cash-for-care" OR "consumer directed care"\n'
            '  OR "self-directed support" OR "cash and counseling"\n'
            '  OR "National Disability Insurance Scheme")\n'
            'AND TS=("social care" OR disab* OR "aged care" OR "long-term care" OR "older people"\n'
            '  OR "home care" OR "community care")\n'
            "Indexes=SCI-EXPANDED, SSCI Timespan=1997-2019; Language: English\n"
        ),
    },
    {
        "id": "pubmed",
        "source": "MEDLINE (PubMed)",
        "kind": "database",
        "method": None,
        "interface": "PubMed (NCBI)",
        "date": "2019-02-12",
        "file": "exports/pubmed-personalis-set.txt",
        "query": (
            '("personal budget*"[tiab] OR "individual budget*"[tiab]\n'
            ' OR "individualised funding"[tiab] OR "individualized funding"[tiab]\n'
            ' OR "direct payment*"[tiab] OR "cash for care"[tiab] OR "consumer directed"[tiab]\n'
            ' OR "consumer-directed"[tiab] OR "cash and counseling"[tiab]\n'
            ' OR "self-directed support"[tiab] OR "National Disability Insurance Scheme"[tiab])\n'
            'AND ("Social Work"[Mesh] OR "Home Care Services"[Mesh] OR "Long-Term Care"[Mesh]\n'
            ' OR "Disabled Persons"[Mesh] OR "social care"[tiab] OR disab*[tiab]\n'
            ' OR "aged care"[tiab])\n'
            'AND ("1997/01/01"[dp] : "2019/02/12"[dp]) AND English[la]\n'
        ),
    },
    {
        "id": "assia",
        "source": "ASSIA (ProQuest)",
        "kind": "database",
        "method": None,
        "interface": "ProQuest: Applied Social Sciences Index & Abstracts",
        "date": "2019-02-12",
        "file": "exports/ProQuestDocuments-2019-02-12.ris",
        "query": (
            'noft(personali?ation OR "personal budget*" OR "individual budget*"\n'
            '  OR "individuali?ed funding" OR "direct payment*" OR "cash for care"\n'
            '  OR "consumer directed care" OR "self-directed support" OR "National Disability\n'
            '  Insurance Scheme") AND noft("social care" OR disab* OR "aged care"\n'
            '  OR "older people" OR "community care")\n'
            "Limits: peer reviewed; English; 1997-2019\n"
        ),
    },
    {
        "id": "socindex",
        "source": "SocINDEX with Full Text (EBSCOhost)",
        "kind": "database",
        "method": None,
        "interface": "EBSCOhost",
        "date": "2019-02-13",
        "file": "exports/socindex_ebsco.ris",
        "query": (
            'S1 TI ( personali#ation OR "personal budget*" OR "individual budget*"\n'
            '   OR "individuali#ed funding" OR "direct payment*" OR "cash for care"\n'
            '   OR "consumer directed care" OR "self-directed support" OR NDIS )\n'
            '   OR AB ( personali#ation OR "personal budget*" OR "individual budget*"\n'
            '   OR "individuali#ed funding" OR "direct payment*" OR "cash for care"\n'
            '   OR "consumer directed care" OR "self-directed support" OR NDIS )\n'
            'S2 TI ( "social care" OR disab* OR "aged care" OR "older people" )\n'
            '   OR AB ( "social care" OR disab* OR "aged care" OR "older people" )\n'
            "S3 S1 AND S2  Limiters: Published Date 19970101-20191231; Language: English\n"
        ),
    },
    {
        "id": "citations",
        "source": "Citation searching",
        "kind": "other",
        "method": "citation searching",
        "interface": "Zotero 5 (manual entry from reference lists)",
        "date": "2019-03-20",
        "file": "exports/citation_searching_zotero.ris",
        "query": (
            "Backward citation searching: reference lists of the studies included after full-text\n"
            "screening, of key papers assessed at full text (Spicker 2013) and of a key review\n"
            "(Scottish Government 2011, Self-Directed Support: A Review of the Barriers and\n"
            "Facilitators). Works not already found by the database searches, plus repeats kept\n"
            "for the audit trail.\n"
        ),
    },
    {
        "id": "websites",
        "source": "Websites and organisations",
        "kind": "other",
        "method": "websites",
        "interface": "Zotero 5 (saved from web pages)",
        "date": "2019-03-04",
        "file": "exports/websites_zotero.ris",
        "query": (
            "Hand search of publications pages: NDIS and National Disability Insurance Agency,\n"
            "Australian Department of Social Services and Department of Health, Productivity\n"
            "Commission, Flinders University NILS, University of Melbourne MSEI, UK Department of\n"
            "Health, National Audit Office, UK Parliament, SCIE, PSSRU and SPRU, Think Local Act\n"
            "Personal, Scottish Government, Irish Department of Health, US ASPE; Google (first\n"
            "100 results) for 'personal budgets evaluation report' and 'individualised funding\n"
            "evaluation'.\n"
        ),
    },
]
DB_KEY = {"scopus": "scopus", "wos": "wos", "pubmed": "pubmed", "assia": "assia"}
DB_KEY |= {"socindex": "socindex", "citations": "cites", "websites": "web"}

# Reasons of config.screening.exclusion_reasons (reported to the lead).
REASONS = {
    "notpers": "not a personalisation scheme",
    "notsoc": "not social, disability or aged care",
    "noemp": "no empirical data",
    "review": "review, not primary research",
    "noses": "no socio-economic outcomes or access",
    "dup": "duplicate report",
}

# Real disagreements between the two reviewers and how they were resolved.
# key: (stage, work) -> (R1 decision, R1 reason, R2 decision, R2 reason, note)
DISAGREE = {
    ("title_abstract", "woolham2017"): (
        "include",
        "",
        "exclude",
        "noses",
        "R1: compares direct payment and managed budget users; may report by user characteristics",
    ),
    ("title_abstract", "fernandez2007"): (
        "include",
        "",
        "exclude",
        "noses",
        "R1: local socio-economic factors and take-up; check at full text",
    ),
    ("title_abstract", "ettelt2018"): (
        "exclude",
        "noses",
        "include",
        "",
        "R2: uptake of direct payments; R1: residential care pilot, no socio-economic data",
    ),
    ("title_abstract", "carey2017"): (
        "include",
        "",
        "exclude",
        "noemp",
        "R1: equity of the NDIS; R2: analysis of policy documents, no data on scheme users",
    ),
    ("title_abstract", "stuart2006"): (
        "include",
        "",
        "exclude",
        "review",
        "R1: access by ethnicity; R2: discussion paper summarising evidence",
    ),
    ("full_text", "dew2013"): (
        "include",
        "",
        "exclude",
        "noses",
        "R2: rurality not socio-economic position; R1: access to information and costs of "
        "self-management shaped who benefited",
    ),
    ("full_text", "gill2018"): (
        "include",
        "",
        "exclude",
        "noses",
        "R1: financial position named as an influence; R2: mentioned, not analysed by group",
    ),
    ("full_text", "stevens2011"): (
        "include",
        "",
        "exclude",
        "dup",
        "R1: choice and equity; R2: re-analysis of IBSEN interviews, same study as Netten 2012",
    ),
    ("full_text", "priestley2007"): (
        "exclude",
        "noses",
        "include",
        "",
        "R2: uneven take-up; R1: variation between UK countries, not by socio-economic position",
    ),
}
RESOLVED = {
    ("title_abstract", "woolham2017"): ("include", "", "consensus after discussion"),
    ("title_abstract", "fernandez2007"): ("include", "", "consensus after discussion"),
    ("title_abstract", "ettelt2018"): ("exclude", "noses", "R3"),
    ("title_abstract", "carey2017"): ("exclude", "noemp", "R3"),
    ("title_abstract", "stuart2006"): ("exclude", "review", "consensus after discussion"),
    ("full_text", "dew2013"): ("include", "", "R3"),
    ("full_text", "gill2018"): ("exclude", "noses", "R3"),
    ("full_text", "stevens2011"): ("exclude", "dup", "consensus after discussion"),
    ("full_text", "priestley2007"): ("exclude", "noses", "consensus after discussion"),
}
FT_NOTES = {
    "mavromaras2018": "final report of the NDIS evaluation included via the 2016 report",
    "glendinning2008": "IBSEN final report; the study is included via Netten et al. 2012",
    "spicker2013": "conceptual essay",
    "manthorpe2008": "web address in the citation no longer resolves; not found elsewhere",
    "zarb1994": "out-of-print report; no library copy located",
}


# --- author forms --------------------------------------------------------------------------


def split_authors(text: str) -> list[str]:
    return [a.strip() for a in (text or "").split(";") if a.strip()]


def initials(given: str, dots: bool = True) -> str:
    """'Ann' -> 'A.'; 'Jose-Luis' -> 'J.-L.'; 'Barbara Lepidus' -> 'B.L.'; 'J.-L.' stays."""
    out = []
    for word in given.replace(".", ". ").split():
        parts = [p for p in word.split("-") if p]
        letters = [p[0].upper() + ("." if dots else "") for p in parts]
        out.append(("-" if dots else "").join(letters))
    return "".join(out)


def person(name: str) -> tuple[str, str] | None:
    if "," not in name:
        return None  # corporate author
    family, given = (s.strip() for s in name.split(",", 1))
    return family, given


def au_scopus(name: str) -> str:
    p = person(name)
    return name if p is None else f"{p[0]}, {initials(p[1])}"


def au_wos_short(name: str) -> str:
    p = person(name)
    return name if p is None else f"{p[0]}, {initials(p[1], dots=False)}"


def au_medline(name: str) -> str:
    p = person(name)
    return name if p is None else f"{p[0]} {initials(p[1], dots=False)}"


def split_pages(pages: str) -> tuple[str, str]:
    if not pages:
        return "", ""
    if "-" in pages:
        sp, ep = pages.split("-", 1)
        if ep.isdigit() and sp.isdigit() and len(ep) < len(sp):  # "483-91" -> 491
            ep = sp[: len(sp) - len(ep)] + ep
        return sp, ep
    return pages, ""


# --- one writer per export format ------------------------------------------------------------


def ris(lines: list[tuple[str, str]]) -> str:
    return "".join(f"{tag}  - {value}\n" for tag, value in lines if value not in ("", None))


def scopus_record(w: dict) -> str:
    sp, ep = split_pages(w.get("pages", ""))
    rows = [("TY", "JOUR")]
    rows += [("AU", au_scopus(a)) for a in split_authors(w["authors"])]
    rows += [("TI", w["title"]), ("PY", str(w["year"])), ("T2", w.get("journal", ""))]
    rows += [("VL", w.get("volume", "")), ("IS", w.get("issue", ""))]
    rows += [("SP", sp), ("EP", ep), ("DO", w.get("doi", ""))]
    issn = w.get("issn", "").replace("-", "")
    rows += [("SN", f"{issn} (ISSN)" if issn else "")]
    rows += [("AB", w.get("abstract", ""))]
    rows += [("LA", "English"), ("N1", "Export Date: 11 February 2019"), ("M3", "Article")]
    rows += [("DB", "Scopus"), ("ER", "")]
    return ris(rows[:-1]) + "ER  - \n\n"


def wos_field(tag: str, values: list[str], width: int = 70) -> str:
    out = []
    for i, value in enumerate(values):
        wrapped = textwrap.wrap(value, width, break_on_hyphens=False) or [""]
        for j, line in enumerate(wrapped):
            lead = tag if i == 0 and j == 0 else "  "
            out.append(f"{lead} {line}")
    return "\n".join(out) + "\n"


def wos_record(w: dict) -> str:
    names = split_authors(w["authors"])
    sp, ep = split_pages(w.get("pages", ""))
    text = "PT J\n"
    text += wos_field("AU", [au_wos_short(a) for a in names])
    text += wos_field("AF", names)
    text += wos_field("TI", [w["title"]])
    text += wos_field("SO", [w["journal"].upper()])
    if w.get("abstract"):
        text += wos_field("AB", [w["abstract"]])
    text += "LA English\nDT Article\n"
    if w.get("issn"):
        text += f"SN {w['issn']}\n"
    text += f"PY {w['year']}\n"
    for tag, key in (("VL", "volume"), ("IS", "issue")):
        if w.get(key):
            text += f"{tag} {w[key]}\n"
    if sp:
        text += f"BP {sp}\n"
    if ep:
        text += f"EP {ep}\n"
    if w.get("doi"):
        text += f"DI {w['doi']}\n"
    return text + "ER\n\n"


def medline_title(title: str) -> str:
    return title if title.endswith((".", "?", "!")) else title + "."


def nlm_title(journal: str) -> str:
    """NLM full journal titles are sentence case: 'Health services research'."""
    words = journal.split()
    return " ".join([words[0]] + [x if x.isupper() else x.lower() for x in words[1:]])


def medline_record(w: dict) -> str:
    def tag(t: str) -> str:
        return f"{t:<4}- "

    rows = [("PMID", w["pmid"]), ("OWN", "NLM")]
    rows += [("VI", w.get("volume", "")), ("IP", w.get("issue", "")), ("DP", w.get("date", ""))]
    rows += [("TI", medline_title(w["title"])), ("PG", w.get("pages", ""))]
    if w.get("doi"):
        rows += [("LID", f"{w['doi']} [doi]")]
    for name in split_authors(w["authors"]):
        rows += [("FAU", name), ("AU", au_medline(name))]
    rows += [("LA", "eng"), ("PT", "Journal Article")]
    rows += [("TA", w.get("journal_abbrev", "")), ("JT", nlm_title(w.get("journal", "")))]
    if w.get("pmcid"):
        rows += [("PMC", w["pmcid"])]
    if w.get("doi"):
        rows += [("AID", f"{w['doi']} [doi]")]
    so = f"{w.get('journal_abbrev', '')}. {w.get('date', '')};{w.get('volume', '')}"
    so += f"({w['issue']})" if w.get("issue") else ""
    so += f":{w['pages']}." if w.get("pages") else "."
    so += f" doi: {w['doi']}." if w.get("doi") else ""
    rows += [("SO", so)]
    out = []
    for t, value in rows:
        if value:
            wrapped = textwrap.wrap(value, 80, break_on_hyphens=False) or [""]
            out.append(tag(t) + wrapped[0])
            out += ["      " + line for line in wrapped[1:]]
    return "\n".join(out) + "\n\n"


def proquest_record(w: dict) -> str:
    sp, ep = split_pages(w.get("pages", ""))
    rows = [("TY", "JOUR"), ("T1", w["title"]), ("JF", w.get("journal", ""))]
    rows += [("AU", a) for a in split_authors(w["authors"])]
    rows += [("Y1", str(w["year"])), ("PY", str(w["year"])), ("DA", str(w["year"]))]
    rows += [("VL", w.get("volume", "")), ("IS", w.get("issue", ""))]
    rows += [("SP", sp), ("EP", ep), ("SN", w.get("issn", ""))]
    rows += [("LA", "English")]
    rows += [("DB", "Applied Social Sciences Index & Abstracts (ASSIA)")]
    rows += [("DO", f"https://doi.org/{w['doi']}" if w.get("doi") else "")]
    return ris(rows).replace("\n", "\r\n") + "ER  - \r\n\r\n\r\n"


def ebsco_record(w: dict) -> str:
    sp, ep = split_pages(w.get("pages", ""))
    title = w["title"] if w["title"].endswith((".", "?", "!")) else w["title"] + "."
    rows = [("TY", "JOUR")]
    rows += [("AU", a) for a in split_authors(w["authors"])]
    rows += [("T1", title), ("JO", w.get("journal", "")), ("JF", w.get("journal", ""))]
    rows += [("Y1", f"{w['year']}//"), ("VL", w.get("volume", "")), ("IS", w.get("issue", ""))]
    rows += [("M3", "Article"), ("SP", sp), ("EP", ep)]
    rows += [("AB", w.get("abstract", ""))]
    rows += [("SN", w.get("issn", "").replace("-", ""))]
    # EBSCO records of older items often carry no DOI; the reconstruction drops it before 2010.
    rows += [("L3", w.get("doi", "") if int(w["year"]) >= 2010 else "")]
    rows += [("DP", "EBSCOhost"), ("DB", "SocINDEX with Full Text")]
    return (ris(rows) + "ER  - \n\n").replace("\n", "\r\n")


def zotero_record(w: dict) -> str:
    sp, ep = split_pages(w.get("pages", ""))
    kind = w["type"]
    rows = [("TY", kind), ("TI", w["title"])]
    rows += [("AU", a) for a in split_authors(w["authors"])]
    if kind in ("JOUR", "NEWS"):
        rows += [("T2", w.get("journal", ""))]
    if kind == "RPRT":
        rows += [("T3", w.get("series", ""))]
    date = w.get("date", "")
    rows += [("DA", date.replace("/", "/") if date else ""), ("PY", str(w["year"]))]
    rows += [("VL", w.get("volume", "")), ("IS", w.get("issue", ""))]
    rows += [("SP", sp), ("EP", ep), ("SN", w.get("isbn", "") or w.get("issn", ""))]
    rows += [("UR", w.get("url", "")), ("DO", w.get("doi", ""))]
    rows += [("PB", w.get("publisher", "")), ("CY", w.get("place", ""))]
    return ris(rows) + "ER  - \n\n"


WRITERS = {
    "scopus": scopus_record,
    "wos": wos_record,
    "pubmed": medline_record,
    "assia": proquest_record,
    "socindex": ebsco_record,
    "citations": zotero_record,
    "websites": zotero_record,
}
HEADERS = {"wos": "FN Clarivate Analytics Web of Science\nVR 1.0\n"}
FOOTERS = {"wos": "EF\n"}
BOM = {"scopus": "\ufeff", "wos": "\ufeff"}


def order(search_id: str, works: list[dict]) -> list[dict]:
    """Databases list newest first (their default export sort); Zotero lists by author."""
    if search_id in ("citations", "websites"):
        return sorted(works, key=lambda w: (w["authors"] or w["title"], w["year"], w["key"]))
    return sorted(works, key=lambda w: (-int(w["year"]), w["title"].lower(), w["key"]))


# --- rendering ----------------------------------------------------------------------------


def load_works() -> list[dict]:
    works = yaml.safe_load((HERE / "works.yaml").read_text(encoding="utf-8"))["works"]
    keys = [w["key"] for w in works]
    assert len(keys) == len(set(keys)), "duplicate work keys"
    for w in works:
        for field in ("volume", "issue", "pages", "doi", "issn", "isbn", "date"):
            w[field] = str(w.get(field) or "")
        w["authors"] = w.get("authors") or ""
    return works


def render(raw: Path = RAW) -> dict:
    """Write every raw file under ``raw`` (default: the repository's data/raw)."""
    works = load_works()
    records: list[dict] = []  # one per record, in search-log order then position
    hits = {}
    for s in SEARCHES:
        sid = s["id"]
        chosen = [w for w in works if DB_KEY[sid] in w["dbs"]]
        if sid == "pubmed":
            chosen = [w for w in chosen if w.get("pmid")]
        chosen = order(sid, chosen)
        body = HEADERS.get(sid, "") + "".join(WRITERS[sid](w) for w in chosen)
        body = BOM.get(sid, "") + body + FOOTERS.get(sid, "")
        path = raw / s["file"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body.encode("utf-8"))
        hits[sid] = len(chosen)
        for pos, w in enumerate(chosen, start=1):
            doi = w.get("doi", "")
            if sid == "socindex" and int(w["year"]) < 2010:
                doi = ""
            title = medline_title(w["title"]) if sid == "pubmed" else w["title"]
            records.append({"id": f"{sid}:{pos}", "work": w, "doi": doi.lower(), "title": title})
    write_search_log(raw, hits)
    write_provenance(raw, records)
    write_screening(raw, records)
    write_csv(raw / "dedup_decisions.csv", ["decision", "record_id_a", "record_id_b", "note"], [])
    return hits


def write_search_log(raw: Path, hits: dict) -> None:
    class Literal(str):
        pass

    yaml.add_representer(
        Literal, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", v, style="|")
    )
    entries = []
    for s in SEARCHES:
        entries.append(
            {
                "id": s["id"],
                "source": s["source"],
                "kind": s["kind"],
                "method": s["method"],
                "interface": s["interface"],
                "date": dt.date.fromisoformat(s["date"]),
                "query": Literal(s["query"]),
                "file": s["file"],
                "format": None,
                "hits": hits[s["id"]],
                "hits_note": None,
            }
        )
    head = (
        "# Search log of the reconstructed flagship review (Carey, Crammond & Malbon 2019).\n"
        "# RECONSTRUCTION: the authors' own searches are not public. These searches, dates and\n"
        "# files were rebuilt from verified public metadata; see data/raw/README.md.\n"
        "# Generated by data/reconstruction/render.py; hits = records in each file.\n"
    )
    text = yaml.dump({"searches": entries}, sort_keys=False, allow_unicode=True, width=100)
    (raw / "searches.yaml").write_text(head + text, encoding="utf-8")


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buf.getvalue(), encoding="utf-8")


def verified_text(w: dict, doi: str) -> str:
    checked = ["title", "authors" if w["authors"] else "no author shown", "year"]
    venue = "journal" if w["type"] in ("JOUR", "NEWS") else "publisher"
    checked.append(venue)
    for key in ("volume", "issue", "pages"):
        if w.get(key):
            checked.append(key)
    if doi:
        checked.append("DOI")
    if w.get("pmid"):
        checked.append("PMID")
    if w.get("isbn"):
        checked.append("ISBN")
    return (
        "checked against the source: "
        + ", ".join(checked)
        + f"; rendered from data/reconstruction/works.yaml key {w['key']}"
    )


def write_provenance(raw: Path, records: list[dict]) -> None:
    rows = [
        [r["id"], r["doi"], r["title"], r["work"]["seen"], verified_text(r["work"], r["doi"])]
        for r in records
    ]
    header = ["record_id", "doi", "title", "source_consulted", "verified"]
    write_csv(raw / "provenance.csv", header, rows)


def first_ids(records: list[dict]) -> dict:
    first: dict = {}
    for r in records:
        first.setdefault(r["work"]["key"], r["id"])
    return first


def write_screening(raw: Path, records: list[dict]) -> None:
    first = first_ids(records)
    works = {r["work"]["key"]: r["work"] for r in records}
    ta, ft, res = [], [], []
    for key, rid in first.items():
        w = works[key]
        code = w["screen"]
        stage, _, reason = code.partition(":")
        # Title/abstract
        if ("title_abstract", key) in DISAGREE:
            d1, r1, d2, r2, note = DISAGREE[("title_abstract", key)]
            ta += [
                [rid, "R1", d1, REASONS.get(r1, ""), note],
                [rid, "R2", d2, REASONS.get(r2, ""), ""],
            ]
            dec, why, by = RESOLVED[("title_abstract", key)]
            res.append(["title_abstract", rid, dec, REASONS.get(why, ""), by, note])
            passed = dec == "include"
        elif stage == "ta":
            ta += [[rid, rv, "exclude", REASONS[reason], ""] for rv in ("R1", "R2")]
            passed = False
        else:
            ta += [[rid, rv, "include", "", ""] for rv in ("R1", "R2")]
            passed = True
        if not passed:
            continue
        # Full text
        if ("full_text", key) in DISAGREE:
            d1, r1, d2, r2, note = DISAGREE[("full_text", key)]
            ft += [
                [rid, "R1", d1, REASONS.get(r1, ""), note],
                [rid, "R2", d2, REASONS.get(r2, ""), ""],
            ]
            dec, why, by = RESOLVED[("full_text", key)]
            res.append(["full_text", rid, dec, REASONS.get(why, ""), by, note])
        elif stage == "inc":
            ft += [[rid, rv, "include", "", ""] for rv in ("R1", "R2")]
        elif stage == "nr":
            ft += [[rid, rv, "not_retrieved", "", FT_NOTES.get(key, "")] for rv in ("R1", "R2")]
        else:
            # stage "ft", or a title/abstract exclusion overturned at resolution
            why = reason if stage == "ft" else "noses"
            note = FT_NOTES.get(key, "")
            ft += [
                [rid, rv, "exclude", REASONS[why], note if rv == "R1" else ""]
                for rv in ("R1", "R2")
            ]
    header = ["id", "reviewer", "decision", "reason", "note"]
    write_csv(raw / "screening" / "title_abstract.csv", header, ta)
    write_csv(raw / "screening" / "full_text.csv", header, ft)
    write_csv(
        raw / "screening" / "resolutions.csv",
        ["stage", "id", "decision", "reason", "resolved_by", "note"],
        res,
    )


if __name__ == "__main__":
    counts = render()
    print(", ".join(f"{k}={v}" for k, v in counts.items()), "records:", sum(counts.values()))
