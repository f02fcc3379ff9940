"""What every job asks a cluster for (issue 14): threads, mem_mb and runtime on every rule,
sized by the input where the stage grows with the review, and tiny jobs kept off the queue.

The workflow is parsed with Snakemake's API; the sizing functions are those of
rules/common.smk, taken from the parsed workflow.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import REPO
from snakemake.api import SnakemakeApi
from snakemake.settings.types import ResourceSettings

# Peaks measured by benchmarks/resources_benchmark.py and benchmarks/dedup_benchmark.py
# (docs/cluster.md): (rule, records, peak MB, seconds). A declared size below one of these
# would get the job killed.
MEASURED = [
    ("import_records", 100_000, 1_222, 198),
    ("deduplicate", 100_000, 707, 109),
    ("deduplicate", 1_000_000, 4_457, 427),
    ("screen", 100_000, 1_254, 334),
    ("prisma", 100_000, 696, 11),
]


def load_workflow():
    """The repository's workflow as Snakemake parses it (rules, localrules, globals)."""
    with SnakemakeApi() as api:
        wapi = api.workflow(
            resource_settings=ResourceSettings(), snakefile=REPO / "Snakefile", workdir=REPO
        )
        return wapi._workflow


@pytest.fixture(scope="module")
def workflow():
    return load_workflow()


@pytest.fixture(scope="module")
def rules(workflow) -> dict:
    return {rule.name: rule for rule in workflow.rules if rule.name != "all"}


def rule_source(rule) -> str:
    """The text of ``rule``'s block in its rule file."""
    text = Path(rule.snakefile).read_text(encoding="utf-8")
    block = re.search(rf"^rule {rule.name}:\n((?:[ \t]+.*\n|\n)+)", text, re.M)
    assert block, f"rule {rule.name} not found in {rule.snakefile}"
    return block.group(1)


def evaluate(rule, resource: str, attempt: int = 1, **files) -> int:
    """The value of ``rule``'s resource for input files ``files`` (name -> path)."""
    value = rule.resources[resource].evaluate(wildcards=None, input=_Input(files), attempt=attempt)
    return value.value


class _Input(dict):
    """Snakemake's input namedlist: by name as attribute and as key."""

    __getattr__ = dict.__getitem__


def test_every_rule_declares_threads_memory_and_runtime(rules) -> None:
    assert len(rules) >= 11
    for name, rule in rules.items():
        assert re.search(r"^\s+threads:", rule_source(rule), re.M), f"{name}: no threads"
        for resource in ("mem_mb", "runtime"):
            assert resource in rule.resources, f"{name}: no {resource}"


def test_a_cluster_run_submits_few_jobs(workflow, rules) -> None:
    """Seconds-long jobs run on the submitting host or together in one group job."""
    local = {name for name in rules if name in workflow._localrules}
    groups = {rule._group for rule in rules.values() if rule._group}
    alone = {name for name, rule in rules.items() if name not in local and not rule._group}
    # A new rule is a localrule, joins group "review", or is sized by its input like these.
    assert alone == {"import_records", "deduplicate", "export_library"}, alone
    assert groups == {"review"}
    assert {"verify_manifest", "provenance"} <= local


def write_lines(path: Path, n: int) -> Path:
    path.write_text("record_id,title\n" + "".join(f"r{i},t\n" for i in range(n)))
    return path


def write_search_log(path: Path, hits: list) -> Path:
    entries = "".join(
        f"  - id: s{i}\n    file: s{i}.ris\n" + (f"    hits: {h}\n" if h != "absent" else "")
        for i, h in enumerate(hits)
    )
    path.write_text("searches:\n" + entries)
    return path


@pytest.mark.parametrize(("rule_name", "name"), [("deduplicate", "records"),
                                                 ("prisma", "records"),
                                                 ("export_library", "studies")])  # fmt: skip
def test_sizes_grow_with_records_and_double_with_the_attempt(
    rules, tmp_path: Path, rule_name: str, name: str
) -> None:
    rule = rules[rule_name]
    small = write_lines(tmp_path / "small.csv", 1_000)
    large = write_lines(tmp_path / "large.csv", 200_000)
    for resource in ("mem_mb", "runtime"):
        a = evaluate(rule, resource, **{name: small})
        b = evaluate(rule, resource, **{name: large})
        assert 0 < a < b, (rule_name, resource, a, b)
        assert evaluate(rule, resource, attempt=2, **{name: large}) == 2 * b


def test_import_is_sized_by_the_hits_the_search_log_reports(rules, tmp_path: Path) -> None:
    rule = rules["import_records"]
    few = write_search_log(tmp_path / "few.yaml", [10, None, "absent", "many"])
    many = write_search_log(tmp_path / "many.yaml", [50_000, 150_000, None])
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    # Hits the search log does not give as a number count as none: the import itself
    # reports a bad search log, with its line, when it runs.
    sizes = [evaluate(rule, "mem_mb", log=log) for log in (empty, few, many)]
    assert sizes[0] <= sizes[1] < sizes[2]


def test_line_count_spans_chunks_and_counts_every_line(workflow, tmp_path: Path) -> None:
    lines_of = workflow.globals["lines_of"]
    path = tmp_path / "big.csv"
    row = b'r,"a title\nover two lines"\n'
    n = (1 << 24) // len(row) + 1000  # more than one 16 MB chunk
    path.write_bytes(row * n)
    assert lines_of("records")(_Input(records=path)) == 2 * n


@pytest.mark.parametrize(("rule_name", "records", "peak_mb", "seconds"), MEASURED)
def test_declared_sizes_cover_the_measured_peaks(
    rules, tmp_path: Path, rule_name: str, records: int, peak_mb: int, seconds: int
) -> None:
    rule = rules[rule_name]
    table = write_lines(tmp_path / "t.csv", records)
    files = {"log": write_search_log(tmp_path / "s.yaml", [records]), "records": table,
             "links": table}  # fmt: skip
    assert evaluate(rule, "mem_mb", **files) >= peak_mb
    assert evaluate(rule, "runtime", **files) * 60 >= seconds
