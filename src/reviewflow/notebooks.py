"""``reviewflow notebook``: run a notebook with papermill and keep a byte-stable copy.

The executed notebook is the record of the run, so it must not change when nothing else did:
papermill's timestamps and durations are dropped, the injected parameters cell gets a fixed id,
object addresses in printed reprs are masked, and the kernel runs with fixed hash seed and
``SOURCE_DATE_EPOCH``. A failing cell becomes a ReviewflowError naming the notebook and the
cell, instead of papermill's traceback dump.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat

from reviewflow.errors import ReviewflowError
from reviewflow.files import read_yaml, write_text

log = logging.getLogger(__name__)

KERNEL = "python3"  # jupyter_client runs a "python" kernelspec with the current interpreter
INJECTED_ID = "injected-parameters"
_VOLATILE_PAPERMILL = ("start_time", "end_time", "duration")
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Environment of the kernel: stable hashing; matplotlib and others date files from this.
KERNEL_ENV = {"PYTHONHASHSEED": "0", "SOURCE_DATE_EPOCH": "0"}


def parse_value(text: str) -> Any:
    """A -p value: JSON when it parses (numbers, true/false, lists), else the plain string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def collect_parameters(params_file: str | None, pairs: list[list[str]] | None) -> dict[str, Any]:
    """Parameters from a YAML mapping file, then -p KEY VALUE pairs (which win)."""
    params: dict[str, Any] = {}
    if params_file:
        loaded = read_yaml(params_file)
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ReviewflowError(
                "expected a mapping of parameter names to values", path=params_file
            )
        params.update(loaded)
    for key, value in pairs or []:
        if not key.isidentifier():
            raise ReviewflowError(f"parameter name {key!r} is not a Python identifier")
        params[key] = parse_value(value)
    return params


def config_parameters(section: dict[str, Any] | None) -> str:
    """A config section as ``-p KEY VALUE`` pairs (values as JSON), each word shell-quoted
    here, so a rule may put it in its shell line as it is (a key from config cannot inject)."""
    items = sorted((section or {}).items())
    return " ".join(f"-p {shlex.quote(str(k))} {shlex.quote(json.dumps(v))}" for k, v in items)


def normalise_notebook(nb: nbformat.NotebookNode, output_path: str | None = None) -> None:
    """Drop everything that differs between two identical runs (in place)."""
    pm = nb.metadata.get("papermill", {})
    for key in _VOLATILE_PAPERMILL:
        pm.pop(key, None)
    if output_path is not None and "output_path" in pm:
        pm["output_path"] = output_path
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        for key in _VOLATILE_PAPERMILL:
            cell.metadata.get("papermill", {}).pop(key, None)
        if INJECTED_ID in cell.metadata.get("tags", []):
            cell["id"] = INJECTED_ID
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "text/plain" in data:
                data["text/plain"] = _mask(data["text/plain"])
            if "text" in out:
                out["text"] = _mask(out["text"])


def _mask(text: str | list[str]) -> str | list[str]:
    if isinstance(text, list):
        return [_ADDRESS.sub(" at 0x…", t) for t in text]
    return _ADDRESS.sub(" at 0x…", text)


@contextlib.contextmanager
def _kernel_env() -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in KERNEL_ENV}
    os.environ.update(KERNEL_ENV)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _failed_cell(exc: Any, nb_path: str) -> ReviewflowError:
    """Name the failing cell (as numbered in the source notebook) and the error it raised."""
    index = getattr(exc, "cell_index", None)
    source = (getattr(exc, "source", "") or "").strip().splitlines()
    first = source[0] if source else ""
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = _ANSI.sub("", str(getattr(exc, "evalue", exc))).strip()
    where = f"cell {index}" if index is not None else "a cell"
    return ReviewflowError(
        f"{where} ({first[:60]!r}) failed: {ename}: {evalue}",
        path=nb_path,
    )


def run_notebook(
    notebook: str | Path,
    output: str | Path,
    parameters: dict[str, Any] | None = None,
    cwd: str | Path | None = None,
) -> nbformat.NotebookNode:
    """Execute ``notebook`` with ``parameters`` and write the normalised result to ``output``."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    notebook, output = str(notebook), str(output)
    if not Path(notebook).is_file():
        raise ReviewflowError("notebook not found", path=notebook)
    log.info("running %s -> %s", notebook, output)
    try:
        with _kernel_env():
            nb = pm.execute_notebook(
                notebook,
                None,
                parameters=parameters or {},
                kernel_name=KERNEL,
                progress_bar=False,
                log_output=False,
                cwd=str(cwd) if cwd is not None else None,
            )
    except PapermillExecutionError as exc:
        # papermill counts the injected parameters cell; report the source notebook's number.
        raise _failed_cell(_renumber(exc, notebook, bool(parameters)), notebook) from None
    except (ValueError, OSError, RuntimeError) as exc:
        raise ReviewflowError(f"could not run the notebook: {exc}", path=notebook) from None
    nb.metadata.setdefault("papermill", {})["output_path"] = output
    normalise_notebook(nb, output)
    write_text(nbformat.writes(nb), output)
    return nb


def _renumber(exc: Any, notebook: str, injected: bool) -> Any:
    """Cell number as in the notebook written by hand: 1-based, injected cell not counted."""
    index = exc.cell_index + 1
    if injected:
        source = nbformat.read(notebook, as_version=4)
        position = 1 + next(
            (
                i
                for i, c in enumerate(source.cells, 1)
                if "parameters" in c.metadata.get("tags", [])
            ),
            0,
        )
        if index > position:
            index -= 1
    exc.cell_index = index
    return exc


def run(args: argparse.Namespace) -> None:
    params = collect_parameters(args.params, args.parameter)
    run_notebook(args.notebook, args.output, params, cwd=args.cwd)


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "notebook",
        help="run a notebook with papermill; write a deterministic executed copy",
        description=__doc__.splitlines()[0],
    )
    p.add_argument("notebook", help="notebook to run, e.g. notebooks/extraction.ipynb")
    p.add_argument("output", help="where the executed notebook goes")
    p.add_argument("--params", metavar="YAML", help="YAML mapping of parameters")
    p.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        metavar=("KEY", "VALUE"),
        default=[],
        help="one parameter (VALUE read as JSON when it parses, else as text); repeatable",
    )
    p.add_argument("--cwd", default=None, help="working directory of the kernel (default: here)")
    p.set_defaults(func=run)
