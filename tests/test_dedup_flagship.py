"""The flagship's 300 records as a labelled deduplication set.

The reconstruction names the work behind every record (data/raw/provenance.csv: "rendered
from data/reconstruction/works.yaml key <work>"), so the true partition is known: records of
one key are one study, records of two keys are two. Deduplication (with the review's own
decisions file) must reproduce it exactly: no false merge, no missed duplicate.
"""

from __future__ import annotations

from pathlib import Path

from reviewflow.dedup import check_records, deduplicate, read_decisions
from reviewflow.files import read_csv
from reviewflow.ingest import import_all

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"


def test_flagship_records_dedup_to_their_known_works() -> None:
    records, _ = import_all(RAW / "searches.yaml")
    result = deduplicate(check_records(records), read_decisions(RAW / "dedup_decisions.csv"))
    provenance = read_csv(RAW / "provenance.csv")
    work = provenance["verified"].str.extract(r"works\.yaml key (\S+)")[0]
    assert work.notna().all() and len(provenance) == len(records) == 300
    links = result.links.assign(
        work=result.links["record_id"].map(dict(zip(provenance["record_id"], work, strict=True)))
    )
    false_merges = links.groupby("study_id")["work"].nunique()
    missed = links.groupby("work")["study_id"].nunique()
    assert false_merges.max() == 1, false_merges[false_merges > 1]
    assert missed.max() == 1, missed[missed > 1]
    assert result.report["studies"] == work.nunique() == 145
