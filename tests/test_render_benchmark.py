"""benchmarks/render_benchmark.py (issue 12 (8)): cold and warm renders in fresh copies."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def bench():
    spec = importlib.util.spec_from_file_location(
        "render_benchmark", REPO / "benchmarks" / "render_benchmark.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cold_then_warm_in_a_fresh_copy_per_run(bench, tmp_path: Path, monkeypatch, capsys):
    (tmp_path / "data").mkdir()
    mdir = tmp_path / "manuscript"
    mdir.mkdir()
    (mdir / "_quarto.yml").write_text("project: {}\n")
    (mdir / "_output").mkdir()  # a previous render: not copied, so the first run is cold
    calls = []

    def fake_render(project: Path, renderer: str) -> None:
        calls.append((project.name, renderer, (project / "_output").exists()))
        assert (project.parent / "data").resolve() == (tmp_path / "data").resolve()
        (project / "_output").mkdir(exist_ok=True)

    monkeypatch.setattr(shutil, "which", lambda name: "/bin/quarto")
    assert bench.main(["--manuscript-dir", str(mdir), "--runs", "2"], do=fake_render) == 0
    assert [c[1] for c in calls] == ["pandoc"] * 4 + ["quarto"] * 4
    assert [c[2] for c in calls] == [False, True] * 4  # cold, then warm, in each copy
    out = capsys.readouterr().out
    assert "pandoc  cold" in out and "quarto  cold" in out
    assert "quarto / pandoc, cold" in out and "quarto / pandoc, warm" in out
    assert not (mdir / ".quarto").exists()  # the repository's project is never rendered
