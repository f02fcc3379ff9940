"""Stage 5: PRISMA 2020 counts, conservation checks, full-text exclusions and flow diagram.

``counts`` places every record in one box and counts the boxes (its docstring lists the keys
of ``counts.json``); ``diagram`` draws them in the template's wording. Outputs, in
``--out-dir``: ``counts.json``, ``record_boxes.csv``, ``excluded_full_text.csv`` (the
full-text decisions other than includes, from the same function as the diagram's lower
boxes, so the exclusions table and the diagram agree by construction), ``flow.svg`` and
``flow.png``.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from reviewflow import files
from reviewflow.errors import ReviewflowError
from reviewflow.prisma.counts import (
    BOX_COLUMNS,
    COMPANION,
    EXCLUDED,
    LEFT,
    NOT_RETRIEVED,
    RIGHT,
    build,
    check_conservation,
    full_text_exclusions,
    load_decisions,
    load_records,
)
from reviewflow.prisma.diagram import NBSP, TEMPLATE_BOXES, box_texts, draw_flow, write_figures
from reviewflow.screening.tables import read_table

__all__ = [
    "BOX_COLUMNS",
    "COMPANION",
    "EXCLUDED",
    "LEFT",
    "NBSP",
    "NOT_RETRIEVED",
    "RIGHT",
    "TEMPLATE_BOXES",
    "box_texts",
    "build",
    "check_conservation",
    "draw_flow",
    "exclusions_table",
    "full_text_exclusions",
    "load_decisions",
    "load_records",
    "register",
    "write_figures",
]

log = logging.getLogger(__name__)
# studies.csv columns carried into excluded_full_text.csv, so a reader can name each study.
STUDY_COLUMNS = ["authors", "year", "title"]


def exclusions_table(
    full_text: pd.DataFrame,
    studies: pd.DataFrame,
    companion_reasons: Iterable[str] = (),
    path: str | None = None,
) -> pd.DataFrame:
    """full_text_exclusions with each study's authors, year and title from studies.csv."""
    out = full_text_exclusions(full_text, companion_reasons, path)
    meta = studies.drop_duplicates("study_id").set_index("study_id")
    missing = sorted(set(out["study_id"]) - set(meta.index))
    if missing:
        raise ReviewflowError(f"study {missing[0]} is not in studies.csv", path=path)
    return out.join(meta[STUDY_COLUMNS], on="study_id")


def run(args: argparse.Namespace) -> None:
    paths = {
        "links": args.links,
        "title_abstract": args.title_abstract,
        "full_text": args.full_text,
    }
    full_text = load_decisions(args.full_text)
    counts, boxes = build(
        load_records(args.records),
        read_table(args.links, ["record_id", "study_id"]),
        load_decisions(args.title_abstract),
        full_text,
        paths,
        args.companion_reasons,
    )
    studies = read_table(args.studies, ["study_id", *STUDY_COLUMNS])
    excluded = exclusions_table(full_text, studies, args.companion_reasons, args.full_text)
    out = Path(args.out_dir)
    files.write_json(counts, out / "counts.json")
    files.write_csv(boxes, out / "record_boxes.csv")
    files.write_csv(excluded, out / "excluded_full_text.csv")
    write_figures(counts, out)
    log.info(
        "PRISMA: %d records identified, %d screened, %d assessed, %d studies included (%d reports)",
        counts["identified_total"],
        counts["records_screened_total"],
        counts["reports_assessed_total"],
        counts["studies_included"],
        counts["reports_included"],
    )


def register(subparsers) -> None:
    p = subparsers.add_parser("prisma", help="PRISMA 2020 counts, checks and flow diagram")
    p.add_argument("--records", required=True)
    p.add_argument("--links", required=True)
    p.add_argument("--studies", required=True, help="dedup/studies.csv, to name excluded studies")
    p.add_argument("--title-abstract", required=True)
    p.add_argument("--full-text", required=True)
    p.add_argument(
        "--companion-reasons",
        nargs="*",
        default=[],
        metavar="REASON",
        help="full-text exclusion reasons that mark a further report of an included study "
        "(config screening.companion_report_reasons)",
    )
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=run)
