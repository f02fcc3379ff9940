"""Code-quality gates: ruff, snakefmt and `snakemake --lint` are clean (issue 2), and every
path in a rule's shell command is quoted (issue 13)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

BIN = Path(sys.executable).parent


def run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)


def test_ruff_clean() -> None:
    proc = run(str(BIN / "ruff"), "check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format_clean() -> None:
    proc = run(str(BIN / "ruff"), "format", "--check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_snakefmt_clean() -> None:
    proc = run(str(BIN / "snakefmt"), "--check", "Snakefile", "rules")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_snakemake_lint_clean() -> None:
    proc = run(str(BIN / "snakemake"), "--lint")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Lints for" not in proc.stdout + proc.stderr


# --- No command is built from data (issue 13) ---------------------------------------------
# Every placeholder in a rule's `shell:` is quoted with `:q`, so a file name holding `$()`,
# backticks, quotes or spaces reaches the command as one literal argument. The exceptions are
# values the workflow shell-quotes itself (notebooks.config_parameters) and numbers.
PRE_QUOTED = {"params.config", "threads"}
_PLACEHOLDER = re.compile(r"(?<!\{)\{([^{}]+)\}(?!\})")
RULE_FILES = sorted(
    p.relative_to(REPO).as_posix() for p in [REPO / "Snakefile", *(REPO / "rules").glob("*.smk")]
)
# rules/screening.smk is being rewritten on the screening branch, which quotes its paths.
NOT_YET_QUOTED: set[str] = set()


def shell_strings(text: str) -> list[tuple[int, str]]:
    """(line number, line) for every line of every `shell:` directive in a Snakemake file."""
    found, indent = [], None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        depth = len(line) - len(line.lstrip())
        if stripped == "shell:":
            indent = depth
        elif indent is not None and stripped and depth > indent:
            found.append((number, line))
        elif stripped:
            indent = None
    return found


def unquoted_placeholders(text: str) -> list[str]:
    return [
        f"line {number}: {{{name}}}"
        for number, line in shell_strings(text)
        for name in _PLACEHOLDER.findall(line)
        if not name.endswith(":q") and name not in PRE_QUOTED
    ]


def test_lint_catches_unquoted_placeholders() -> None:
    rule = 'rule a:\n    shell:\n        "cmd {input} {output:q}"\n        " {{ echo; }} {log}"\n'
    assert unquoted_placeholders(rule) == ["line 3: {input}", "line 4: {log}"]
    assert unquoted_placeholders('rule a:\n    shell:\n        "cmd {input.x:q}"\n') == []


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(reason="screening branch", strict=False))
        if n in NOT_YET_QUOTED
        else n
        for n in RULE_FILES
    ],
)
def test_every_shell_placeholder_is_quoted(name: str) -> None:
    text = (REPO / name).read_text(encoding="utf-8")
    assert unquoted_placeholders(text) == [], f"{name}: quote these with :q"


def test_every_rule_logs_through_reviewflow_log() -> None:
    """One mechanism for logs (reviewflow --log), so every error also reaches the console."""
    for name in RULE_FILES:
        if name in NOT_YET_QUOTED:
            continue
        text = (REPO / name).read_text(encoding="utf-8")
        for number, line in shell_strings(text):
            assert "2>" not in line and "{log}" not in line, f"{name}:{number}: use --log"
        commands = [line for _, line in shell_strings(text) if '"reviewflow ' in line]
        assert all("reviewflow --log {log:q} " in c for c in commands), name
