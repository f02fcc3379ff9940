"""`reviewflow manifest`: data/raw/MANIFEST.sha256 guards every raw input (issue 7)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from reviewflow import cli, manifest
from reviewflow.errors import ReviewflowError

SHA_A = hashlib.sha256(b"alpha\n").hexdigest()


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    raw = tmp_path / "data" / "raw"
    (raw / "exports").mkdir(parents=True)
    (raw / "screening").mkdir()
    (raw / "searches.yaml").write_text("searches: []\n", encoding="utf-8")
    (raw / "exports" / "b.ris").write_bytes(b"alpha\n")
    (raw / "exports" / "a file.ris").write_bytes(b"TY  - JOUR\r\nER  - \r\n")
    (raw / "screening" / "full_text.csv").write_text("id,reviewer\n", encoding="utf-8")
    return raw


def test_update_writes_sorted_sha256sum_lines(raw: Path) -> None:
    text = manifest.update(raw)
    assert (raw / "MANIFEST.sha256").read_text(encoding="utf-8") == text
    lines = text.splitlines()
    assert [line.split("  ", 1)[1] for line in lines] == [
        "exports/a file.ris",
        "exports/b.ris",
        "screening/full_text.csv",
        "searches.yaml",
    ]
    assert f"{SHA_A}  exports/b.ris" in lines
    assert text.endswith("\n") and "\r" not in text


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="coreutils sha256sum not found")
def test_manifest_is_readable_by_sha256sum(raw: Path) -> None:
    (raw / "odd\\name.txt").write_bytes(b"x")
    manifest.update(raw)
    proc = subprocess.run(
        ["sha256sum", "--check", "--strict", "MANIFEST.sha256"],
        cwd=raw,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count(": OK") == 5


def test_escaped_names_round_trip() -> None:
    hashes = {"new\nline": SHA_A, "back\\slash": SHA_A, "plain": SHA_A}
    text = manifest.format_manifest(hashes)
    assert f"\\{SHA_A}  new\\nline\n" in text
    assert f"\\{SHA_A}  back\\\\slash\n" in text
    parsed = manifest.parse_manifest(text, "M")
    assert {k: v.sha256 for k, v in parsed.items()} == hashes


def test_check_passes_and_returns_canonical_text(raw: Path) -> None:
    written = manifest.update(raw)
    assert manifest.check(raw) == written


def test_check_names_changed_missing_and_unlisted(raw: Path) -> None:
    manifest.update(raw)
    (raw / "exports" / "b.ris").write_bytes(b"alpha edited\n")
    (raw / "screening" / "full_text.csv").unlink()
    (raw / "exports" / "new.ris").write_bytes(b"")
    with pytest.raises(ReviewflowError) as err:
        manifest.check(raw)
    exc = err.value
    assert exc.path == str(raw / "MANIFEST.sha256")
    assert "changed: exports/b.ris (line 2)" in exc.message
    assert "missing: screening/full_text.csv (line 3)" in exc.message
    assert "unlisted: exports/new.ris" in exc.message
    assert f"reviewflow manifest --update --raw-dir {raw}" in exc.message


def test_manifest_crlf_and_uppercase_hashes_accepted(raw: Path) -> None:
    text = manifest.update(raw)
    lines = [f"{h.upper()}  {p}" for h, p in (line.split("  ", 1) for line in text.splitlines())]
    (raw / "MANIFEST.sha256").write_bytes(("\r\n".join(lines) + "\r\n").encode())
    assert manifest.check(raw) == text


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        (f"{SHA_A}  a\nnot a hash line\n", 2, "not a sha256sum line"),
        (f"{SHA_A}  a\n{SHA_A[:-1]}  b\n", 2, "not a sha256sum line"),
        (f"{SHA_A}  a\n{SHA_A}  a\n", 2, "'a' is listed twice (first on line 1)"),
        (f"{SHA_A}  ../../etc/passwd\n", 1, "must be relative to the raw data folder"),
        (f"{SHA_A}  /etc/passwd\n", 1, "must be relative to the raw data folder"),
    ],
)
def test_malformed_manifest_names_line(tmp_path: Path, content: str, line: int, message: str):
    (tmp_path / "MANIFEST.sha256").write_text(content, encoding="utf-8")
    with pytest.raises(ReviewflowError) as err:
        manifest.check(tmp_path)
    assert err.value.line == line
    assert message in err.value.message


def test_binary_manifest_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "MANIFEST.sha256").write_bytes(f"{SHA_A}  a\n".encode() + b"\xff\xfe\x00")
    with pytest.raises(ReviewflowError, match="not UTF-8") as err:
        manifest.check(tmp_path)
    assert err.value.line == 2


def test_missing_manifest_says_how_to_create_it(raw: Path) -> None:
    with pytest.raises(ReviewflowError, match="manifest not found; create it with") as err:
        manifest.check(raw)
    assert err.value.path == str(raw / "MANIFEST.sha256")


def test_missing_raw_dir(tmp_path: Path) -> None:
    with pytest.raises(ReviewflowError, match="raw data folder not found"):
        manifest.update(tmp_path / "nope")


def test_empty_raw_dir_gives_empty_manifest(tmp_path: Path) -> None:
    assert manifest.update(tmp_path) == ""
    assert manifest.check(tmp_path) == ""


# --- the command line ------------------------------------------------------------------------


def test_cli_check_writes_verified_copy(raw: Path, tmp_path: Path) -> None:
    assert cli.main(["manifest", "--update", "--raw-dir", str(raw)]) == 0
    out = tmp_path / "processed" / "manifest" / "verified.sha256"
    assert cli.main(["manifest", "--check", "--raw-dir", str(raw), "--out", str(out)]) == 0
    assert out.read_bytes() == (raw / "MANIFEST.sha256").read_bytes()


def test_cli_check_failure_prints_names_and_writes_nothing(
    raw: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    manifest.update(raw)
    (raw / "searches.yaml").write_text("searches: [changed]\n", encoding="utf-8")
    out = tmp_path / "out" / "verified.sha256"
    assert cli.main(["manifest", "--check", "--raw-dir", str(raw), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"reviewflow: error: {raw / 'MANIFEST.sha256'}: ")
    assert "changed: searches.yaml (line 4)" in err
    assert "Traceback" not in err
    assert not out.exists()
    assert not out.parent.exists() or not any(out.parent.iterdir())


def test_cli_update_then_check_accepts_deliberate_edit(raw: Path) -> None:
    manifest.update(raw)
    (raw / "exports" / "b.ris").write_bytes(b"beta\n")
    assert cli.main(["manifest", "--check", "--raw-dir", str(raw)]) == 1
    assert cli.main(["manifest", "--update", "--raw-dir", str(raw)]) == 0
    assert cli.main(["manifest", "--check", "--raw-dir", str(raw)]) == 0


def test_cli_needs_exactly_one_mode(raw: Path) -> None:
    with pytest.raises(SystemExit):
        cli.main(["manifest", "--raw-dir", str(raw)])
    with pytest.raises(SystemExit):
        cli.main(["manifest", "--check", "--update", "--raw-dir", str(raw)])


def test_update_is_byte_identical_across_runs_and_locations(raw: Path, tmp_path: Path) -> None:
    first = manifest.update(raw)
    copy = tmp_path / "elsewhere" / "raw"
    shutil.copytree(raw, copy)
    (copy / "MANIFEST.sha256").unlink()
    assert manifest.update(copy) == first
    assert (copy / "MANIFEST.sha256").read_bytes() == (raw / "MANIFEST.sha256").read_bytes()


def test_fixture_review_manifest_is_current(repo_dir: Path) -> None:
    """The fixture review ships a manifest that matches its raw files."""
    raw = repo_dir / "tests" / "fixtures" / "review" / "data" / "raw"
    if not (raw / "MANIFEST.sha256").exists():
        pytest.fail(f"{raw}/MANIFEST.sha256 is missing: run `reviewflow manifest --update`")
    manifest.check(raw)


def test_update_replaces_a_broken_manifest(raw: Path) -> None:
    (raw / "MANIFEST.sha256").write_bytes(b"garbage\n\xff\n")
    text = manifest.update(raw)
    assert manifest.check(raw) == text


# --- the Snakemake rule ----------------------------------------------------------------------

VERIFIED = "data/processed/manifest/verified.sha256"
# Just the stages under test, so this runs whatever state the other rule files are in.
REPO = Path(__file__).resolve().parents[1]
MINI_SNAKEFILE = f"""\
configfile: "config/config.yaml"
include: "{REPO}/rules/common.smk"
include: "{REPO}/rules/manifest.smk"
include: "{REPO}/rules/provenance.smk"
"""


@pytest.mark.slow
def test_rules_verify_manifest_and_provenance(tmp_path: Path) -> None:
    """verify_manifest re-runs when any raw file changes and stops with the file names."""
    from conftest import copy_workflow, run_snakemake

    project = copy_workflow(tmp_path / "project")
    (project / "Snakefile.mini").write_text(MINI_SNAKEFILE, encoding="utf-8")
    raw = project / "data" / "raw"
    manifest.update(raw)  # whether the fixture's own manifest is current is tested above
    run_snakemake(project, "-s", "Snakefile.mini", "data/processed/provenance.json")
    assert (project / VERIFIED).read_bytes() == (raw / "MANIFEST.sha256").read_bytes()
    record = json.loads((project / "data/processed/provenance.json").read_text("utf-8"))
    assert set(record["inputs"]["raw"]) == set(manifest.list_raw_files(raw))
    sources = {p.relative_to(project).as_posix() for p in project.glob("notebooks/*.ipynb")}
    assert {"config/config.yaml", "manuscript/index.qmd"} | sources <= set(
        record["inputs"]["other"]
    )
    assert (project / "logs" / "verify_manifest.log").is_file()

    with open(raw / "searches.yaml", "a", encoding="utf-8") as fh:
        fh.write("# edited by hand\n")
    (raw / "exports" / "notes.txt").write_text("stray file\n", encoding="utf-8")
    before = (project / "logs" / "verify_manifest.log").stat().st_mtime_ns
    # The onstart check stops the run before any job starts ...
    proc = run_snakemake(project, "-s", "Snakefile.mini", VERIFIED, check=False)
    assert proc.returncode != 0
    assert re.search(
        r"reviewflow: error: data/raw/MANIFEST\.sha256: raw inputs differ from the manifest "
        r"\(changed: searches\.yaml \(line \d+\); unlisted: exports/notes\.txt\)",
        proc.stderr,
    ), proc.stderr
    assert (project / "logs" / "verify_manifest.log").stat().st_mtime_ns == before
    # ... and the rule itself fails the same way when hooks are skipped.
    proc = run_snakemake(project, "-s", "Snakefile.mini", "--no-hooks", VERIFIED, check=False)
    assert proc.returncode != 0
    assert re.search(r"changed: searches\.yaml \(line \d+\)", proc.stderr), proc.stderr
    assert "unlisted: exports/notes.txt" in proc.stderr
    assert not (project / VERIFIED).exists()  # Snakemake removed the stale verified copy


# --- special files are refused (issue 13): reading a FIFO or /dev/zero never ends ---------


@pytest.mark.parametrize("kind", ["fifo", "link_to_device", "link_to_fifo", "broken_link"])
def test_special_files_are_refused_by_name(raw: Path, kind: str) -> None:
    manifest.update(raw)
    target = raw / "exports" / "odd.ris"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "link_to_device":
        target.symlink_to("/dev/zero")
    elif kind == "link_to_fifo":
        os.mkfifo(raw / "pipe")
        target.symlink_to(raw / "pipe")
    else:
        target.symlink_to(raw / "nowhere")
    for call in (manifest.check, manifest.update, manifest.hash_raw_files):
        with pytest.raises(ReviewflowError) as err:
            call(raw)
        assert "odd.ris" in str(err.value) or "pipe" in str(err.value)


def test_link_to_a_regular_file_is_hashed(raw: Path) -> None:
    (raw / "exports" / "alias.ris").symlink_to(raw / "exports" / "b.ris")
    assert manifest.hash_raw_files(raw)["exports/alias.ris"] == SHA_A


def test_linked_folder_is_refused(raw: Path, tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (raw / "linked").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ReviewflowError, match="symbolic link to a folder") as err:
        manifest.list_raw_files(raw)
    assert err.value.path.endswith("linked")


# --- content stamps (issue 13): content, not mtime, decides what re-runs -------------------


def stamp_times(stamps: dict[str, Path]) -> dict[str, int]:
    return {rel: p.stat().st_mtime_ns for rel, p in stamps.items()}


@pytest.mark.parametrize("cached", [False, True])
def test_stamps_hold_hashes_and_change_only_with_content(
    raw: Path, tmp_path: Path, cached: bool
) -> None:
    stamp_dir = tmp_path / "stamps"
    cache = tmp_path / "cache.json" if cached else None
    stamps = manifest.refresh_stamps(raw, stamp_dir, cache)
    assert set(stamps) == set(manifest.list_raw_files(raw))
    assert stamps["exports/b.ris"].read_text(encoding="utf-8") == SHA_A + "\n"
    before = stamp_times(stamps)

    target = raw / "exports" / "b.ris"
    os.utime(target, ns=(1, 1))  # mtime-only change: no stamp moves
    assert stamp_times(manifest.refresh_stamps(raw, stamp_dir, cache)) == before

    old = target.stat()
    target.write_bytes(b"omega\n")  # same size, old mtime restored (cp -p, rsync -a, tar)
    os.utime(target, ns=(old.st_atime_ns, old.st_mtime_ns))
    after = stamp_times(manifest.refresh_stamps(raw, stamp_dir, cache))
    assert [rel for rel in after if after[rel] != before[rel]] == ["exports/b.ris"]
    assert (
        stamps["exports/b.ris"]
        .read_text(encoding="utf-8")
        .startswith(hashlib.sha256(b"omega\n").hexdigest())
    )


def test_stamps_of_removed_files_go_and_new_files_get_one(raw: Path, tmp_path: Path) -> None:
    stamp_dir = tmp_path / "stamps"
    manifest.refresh_stamps(raw, stamp_dir)
    (raw / "exports" / "b.ris").unlink()
    (raw / "exports" / "c.ris").write_bytes(b"alpha\n")
    stamps = manifest.refresh_stamps(raw, stamp_dir)
    assert "exports/b.ris" not in stamps
    assert not (stamp_dir / "exports" / "b.ris.sha256").exists()
    assert (stamp_dir / "exports" / "c.ris.sha256").read_text(encoding="utf-8") == SHA_A + "\n"


def test_stamps_rehash_only_files_whose_stat_changed(
    raw: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stamp_dir, cache = tmp_path / "stamps", tmp_path / "cache.json"
    manifest.refresh_stamps(raw, stamp_dir, cache)
    hashed = []
    real = manifest.sha256_file
    monkeypatch.setattr(manifest, "sha256_file", lambda p: hashed.append(p) or real(p))
    manifest.refresh_stamps(raw, stamp_dir, cache)
    assert hashed == []
    (raw / "searches.yaml").write_text("searches: [x]\n", encoding="utf-8")
    manifest.refresh_stamps(raw, stamp_dir, cache)
    assert hashed == [raw / "searches.yaml"]


def test_engine_stamp_changes_with_the_engine_code_only(tmp_path: Path) -> None:
    """Every rule takes the engine stamp: new engine code re-runs every stage."""
    package = tmp_path / "reviewflow"
    (package / "assets" / "filters").mkdir(parents=True)
    (package / "stage.py").write_text("X = 1\n")
    (package / "assets" / "filters" / "f.lua").write_text("-- f\n")
    stamp = tmp_path / "engine.sha256"
    manifest.refresh_engine_stamp(stamp, package)
    first = stamp.read_text()
    os.utime(stamp, (1, 1))
    (package / "notes.txt").write_text("not code")  # neither Python nor an asset
    manifest.refresh_engine_stamp(stamp, package)
    assert stamp.stat().st_mtime == 1  # unchanged code: the stamp is not rewritten
    for path, text in (
        (package / "stage.py", "X = 2\n"),
        (package / "assets" / "filters" / "f.lua", "-- g\n"),
    ):
        path.write_text(text)
        manifest.refresh_engine_stamp(stamp, package)
        assert stamp.read_text() != first
        first = stamp.read_text()
