"""The papermill runner: parameters, byte-identical executed notebooks, readable failures."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from reviewflow import notebooks
from reviewflow.errors import ReviewflowError


def make_notebook(path: Path, *cells: str) -> Path:
    """A notebook whose first cell is the papermill 'parameters' cell."""
    nb = new_notebook(
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        }
    )
    for i, src in enumerate(cells):
        cell = new_code_cell(src)
        cell["id"] = f"c{i}"
        if i == 0:
            cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    nbformat.write(nb, path)
    return path


TINY = (
    "n = 1\nout = 'out.txt'",
    "import matplotlib.pyplot as plt\nfrom pathlib import Path\n"
    "Path(out).write_text(str(n * 2))\nprint('n is', n)",
    "fig, ax = plt.subplots(figsize=(1, 1))\nax.plot([0, n])\nplt.show()",
    "object()",  # a repr with a memory address
)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    notebooks.register(parser.add_subparsers())
    return parser.parse_args(argv)


def test_two_runs_give_identical_bytes(tmp_path: Path) -> None:
    nb = make_notebook(tmp_path / "tiny.ipynb", *TINY)
    outputs = []
    for run in ("a", "b"):
        out = tmp_path / f"{run}.ipynb"
        args = parse(
            ["notebook", str(nb), str(out), "-p", "n", "21", "-p", "out", str(tmp_path / "o.txt")]
        )
        args.func(args)
        # Same output path in the metadata so only the run itself could differ.
        outputs.append(out.read_text(encoding="utf-8").replace(f"{run}.ipynb", "X.ipynb"))
    assert outputs[0] == outputs[1]
    assert (tmp_path / "o.txt").read_text() == "42"  # the parameter reached the kernel as int
    text = outputs[0]
    for volatile in ("start_time", "end_time", "duration", "iopub.", "shell.execute_reply"):
        assert volatile not in text
    executed = nbformat.reads(text, as_version=4)
    injected = executed.cells[1]
    assert injected["id"] == "injected-parameters"
    assert "n = 21" in injected.source
    assert executed.cells[2].outputs[0]["text"] == "n is 21\n"
    assert "image/png" in executed.cells[3].outputs[0]["data"]
    assert executed.cells[4].outputs[0]["data"]["text/plain"] == "<object at 0x…>"


def test_failing_cell_names_notebook_and_cell(tmp_path: Path, capsys) -> None:
    from reviewflow.cli import main

    nb = make_notebook(tmp_path / "bad.ipynb", "x = 0", "y = 1", "raise ValueError(f'bad {x}')")
    out = tmp_path / "out.ipynb"
    assert main(["-q", "notebook", str(nb), str(out), "-p", "x", "5"]) == 1
    err = capsys.readouterr().err
    assert f"reviewflow: error: {nb}: cell 3 (\"raise ValueError(f'bad {{x}}')\") failed:" in err
    assert "ValueError: bad 5" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_missing_notebook(tmp_path: Path) -> None:
    with pytest.raises(ReviewflowError, match="notebook not found"):
        notebooks.run_notebook(tmp_path / "none.ipynb", tmp_path / "out.ipynb")


def test_parameters_from_file_and_pairs(tmp_path: Path) -> None:
    params = tmp_path / "params.yaml"
    params.write_text("a: 1\nb: text\nc: [1, 2]\n", encoding="utf-8")
    got = notebooks.collect_parameters(
        str(params), [["b", "other"], ["d", "2.5"], ["e", "true"], ["f", "data/x.csv"]]
    )
    assert got == {"a": 1, "b": "other", "c": [1, 2], "d": 2.5, "e": True, "f": "data/x.csv"}
    assert notebooks.collect_parameters(None, None) == {}


def test_parameter_errors(tmp_path: Path) -> None:
    params = tmp_path / "params.yaml"
    params.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ReviewflowError, match="expected a mapping") as info:
        notebooks.collect_parameters(str(params), [])
    assert info.value.path == str(params)
    with pytest.raises(ReviewflowError, match="not a Python identifier"):
        notebooks.collect_parameters(None, [["bad-name", "1"]])


def test_normalise_notebook_drops_timestamps() -> None:
    nb = new_notebook()
    nb.metadata["papermill"] = {"start_time": "t", "duration": 1.0, "parameters": {"a": 1}}
    cell = new_code_cell("1")
    cell.metadata["execution"] = {"iopub.status.busy": "t"}
    cell.metadata["papermill"] = {"end_time": "t", "status": "completed"}
    cell.metadata["tags"] = ["injected-parameters"]
    cell.outputs = [nbformat.v4.new_output("stream", text="<x at 0xdeadbeef>")]
    nb.cells.append(cell)
    notebooks.normalise_notebook(nb, "out.ipynb")
    assert json.loads(nbformat.writes(nb))["metadata"]["papermill"] == {"parameters": {"a": 1}}
    assert "execution" not in cell.metadata
    assert cell.metadata["papermill"] == {"status": "completed"}
    assert cell["id"] == "injected-parameters"
    assert cell.outputs[0]["text"] == "<x at 0x…>"


def test_config_parameters_are_shell_words_whatever_the_config_holds():
    """The synthesis/extraction rules put these in their shell line unquoted."""
    import shlex

    section = {"dpi; touch PWNED": "$(touch PWNED)", "n": 3, "labels": ["a'b", "c d"]}
    words = shlex.split(notebooks.config_parameters(section))
    assert words == [
        "-p", "dpi; touch PWNED", '"$(touch PWNED)"',
        "-p", "labels", '["a\'b", "c d"]',
        "-p", "n", "3",
    ]  # fmt: skip
