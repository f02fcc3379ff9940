"""``reviewflow screening-sheet``: the studies still waiting for a decision, for reviewers.

Writes ``screening_sheet_<stage>.csv`` and ``.xlsx`` into ``--out-dir``: one row per pending
study (no decision yet, a conflict, or only "maybe") with title, authors, year, journal,
abstract and a DOI link, plus empty ``reviewer, decision, reason, note`` columns laid out like
the native decision file: the filled-in sheet (CSV or XLSX, as it is) is itself a native
decision file. Cells that a spreadsheet would run as a formula are neutralised.
``--tool-files`` also writes the stage's studies in ASReview's and Rayyan's import layouts,
keyed by our study id (docs/screening-tools.md).

``--rank`` orders the sheet by a relevance model trained on the decisions so far (TF-IDF of
title + abstract, logistic regression: the default model of ASReview), most likely includes
first, so reviewers meet the relevant studies early. :func:`simulate` replays a finished
review in that order; ``benchmarks/screening_benchmark.py`` prints its recall curve and WSS@95.
"""

from __future__ import annotations

import argparse
import io
import logging
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from reviewflow import files
from reviewflow.ids import doi_url
from reviewflow.screening.decisions import (
    add_stage_arguments,
    eligible_studies,
    pending_sheet,
    prepare_votes,
    screen,
    stage_inputs,
)
from reviewflow.screening.formats import asreview, rayyan

log = logging.getLogger(__name__)

SHEET_COLUMNS = [
    "study_id",
    "status",
    "votes",
    "relevance",
    "title",
    "authors",
    "year",
    "journal",
    "abstract",
    "doi_link",
    "record_ids",
    "reviewer",
    "decision",
    "reason",
    "note",
]


# --- relevance model ------------------------------------------------------------------------


def study_texts(studies: pd.DataFrame) -> pd.Series:
    return (studies["title"].fillna("") + ". " + studies["abstract"].fillna("")).str.strip()


def vote_labels(votes: pd.DataFrame) -> pd.Series:
    """Training label per study: 1 if any reviewer included it, 0 if all excluded.

    "Maybe" and not-retrieved votes say nothing about relevance and are ignored.
    """
    useful = votes[votes["decision"].isin(["include", "exclude"])]
    return (useful["decision"] == "include").groupby(useful["study_id"]).max().astype(int)


def _model():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        TfidfVectorizer(sublinear_tf=True, stop_words="english", ngram_range=(1, 2), min_df=1),
        LogisticRegression(C=10.0, class_weight="balanced", max_iter=1000),
    )


def relevance_scores(
    train_texts: list[str], train_labels: list[int], texts: list[str]
) -> np.ndarray | None:
    """Probability of inclusion for ``texts``; None while the decisions hold only one class."""
    if len(set(train_labels)) < 2:
        return None
    model = _model().fit(train_texts, train_labels)
    return model.predict_proba(texts)[:, 1]


def rank(sheet: pd.DataFrame, studies: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    """Order the sheet by predicted relevance (ties keep the studies.csv order)."""
    texts = study_texts(studies.set_index("study_id"))
    train = labels[labels.index.isin(texts.index)]
    scores = relevance_scores(list(texts[train.index]), list(train), list(texts[sheet["study_id"]]))
    if scores is None:
        log.warning("ranking needs both included and excluded studies so far; sheet unranked")
        return sheet
    sheet = sheet.assign(relevance=[f"{s:.4f}" for s in scores], _score=-np.round(scores, 6))
    return sheet.sort_values("_score", kind="stable").drop(columns="_score")


def simulate(
    texts: list[str], labels: list[int], *, n_prior: int = 1, step: int = 10, seed: int = 0
) -> list[int]:
    """Screening order a reviewer with the ranking model would follow on a finished review.

    Starts from ``n_prior`` random includes and excludes (ASReview's "prior knowledge"), then
    repeatedly retrains and screens the ``step`` highest-ranked unscreened records. Returns
    the indices of ``texts`` in screening order.
    """
    rng = np.random.default_rng(seed)
    labels_arr = np.asarray(labels)
    pos = rng.permutation(np.flatnonzero(labels_arr == 1))[:n_prior]
    neg = rng.permutation(np.flatnonzero(labels_arr == 0))[:n_prior]
    order = [int(i) for i in (*pos, *neg)]
    seen = set(order)
    texts_arr = np.asarray(texts, dtype=object)
    while len(order) < len(texts):
        rest = np.array([i for i in range(len(texts)) if i not in seen])
        scores = relevance_scores(
            list(texts_arr[order]), list(labels_arr[order]), list(texts_arr[rest])
        )
        if scores is None:
            picked = rest[rng.permutation(len(rest))[:step]]
        else:
            picked = rest[np.argsort(-scores, kind="stable")[:step]]
        order.extend(int(i) for i in picked)
        seen.update(int(i) for i in picked)
    return order


def recall_curve(order: list[int], labels: list[int]) -> np.ndarray:
    """Share of all includes found after screening 1, 2, ... records in ``order``."""
    found = np.cumsum(np.asarray(labels)[order])
    return found / max(1, int(np.sum(labels)))


def wss(order: list[int], labels: list[int], recall: float = 0.95) -> float:
    """Work saved over sampling at ``recall``: 1 - screened/N - (1 - recall) (Cohen 2006)."""
    curve = recall_curve(order, labels)
    screened = int(np.argmax(curve >= recall - 1e-12)) + 1
    return (len(order) - screened) / len(order) - (1 - recall)


# --- the sheet ------------------------------------------------------------------------------


def build_sheet(pending: pd.DataFrame, studies: pd.DataFrame) -> pd.DataFrame:
    """The formula-safe pending list plus a DOI link and empty decision columns."""
    sheet = pending_sheet(pending, studies)
    sheet = sheet.assign(doi_link=sheet["doi"].map(doi_url), relevance="")
    for col in ("reviewer", "decision", "reason", "note"):
        sheet[col] = ""
    return sheet[SHEET_COLUMNS]


_CORE_DATE = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def xlsx_bytes(sheet: pd.DataFrame, sheet_name: str) -> bytes:
    """An XLSX without timestamps (openpyxl stamps 'now' into docProps and the zip entries)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = sheet_name
    ws.append(list(sheet.columns))
    for row in sheet.itertuples(index=False):
        ws.append(list(row))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "B2"
    widths = {"title": 60, "abstract": 80, "authors": 30, "votes": 30, "doi_link": 30}
    for i, name in enumerate(sheet.columns, start=1):
        letter = ws.cell(row=1, column=i).column_letter
        ws.column_dimensions[letter].width = widths.get(name, 14)
        if name in ("title", "abstract"):
            for cell in ws[letter][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    raw = io.BytesIO()
    wb.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _CORE_DATE.sub(rb"\g<1>2000-01-01T00:00:00Z\g<3>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, data)
    return out.getvalue()


def write_tool_files(inputs: dict, decided: pd.DataFrame, out: Path) -> None:
    """The stage's studies in the tools' import layouts, keyed by our study id."""
    studies, stage = inputs["studies"], inputs["stage"]
    eligible = studies[
        studies["study_id"].isin(eligible_studies(studies, stage, inputs["previous"]))
    ]
    eligible = eligible.drop(columns=["line", "path"], errors="ignore")
    files.write_csv(asreview.upload_table(eligible, decided), out / f"asreview_{stage}.csv")
    files.write_csv(rayyan.upload_table(eligible), out / f"rayyan_{stage}.csv")


def run(args: argparse.Namespace) -> None:
    inputs = stage_inputs(args)
    decided, pending, _ = screen(**inputs)
    studies = inputs["studies"]
    sheet = build_sheet(pending, studies)
    if args.rank and len(sheet):
        votes = prepare_votes(
            inputs["decision_paths"],
            args.stage,
            inputs["resolver"],
            inputs["fmt"],
            inputs["reasons"],
        )
        sheet = rank(sheet, studies, vote_labels(votes))
    out = Path(args.out_dir)
    files.write_csv(sheet, out / f"screening_sheet_{args.stage}.csv")
    files.write_bytes(xlsx_bytes(sheet, args.stage), out / f"screening_sheet_{args.stage}.xlsx")
    if args.tool_files:
        write_tool_files(inputs, decided, out)
    log.info("%s: %d studies pending, sheet in %s", args.stage, len(sheet), out)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "screening-sheet", help="write the pending studies as CSV + XLSX for reviewers"
    )
    add_stage_arguments(p)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--rank", action="store_true", help="most likely includes first")
    p.add_argument(
        "--tool-files",
        action="store_true",
        help="also asreview_<stage>.csv (labelled so far) and rayyan_<stage>.csv to upload",
    )
    p.set_defaults(func=run)
