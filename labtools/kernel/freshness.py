"""Whether an answer's value is the one its cell just made, or a stale one from an earlier run.

When a cell stops with an error, the names it was to assign keep their old values: a check run
after it would judge an attempt the student already replaced. :func:`watch` records, after every
cell, which names the cell assigns and whether it raised; :func:`stale` then tells a check that
an answer's cell did not finish. It works from the cell's text (IPython 7.34 on Colab has no
cell ids): the names a cell assigns at its top level, or, for a cell that is not valid Python,
the names on the left of ``=`` and after ``def``/``class`` at the start of a line.
"""

from __future__ import annotations

import ast
import re
from typing import Any

_FAILED: dict[str, str] = {}  # name -> what the last cell that assigns it raised
_ASSIGNED_TEXT = re.compile(r"^\s*(?:def\s+|class\s+)?([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*(?:=(?!=)|\(|:)", re.M)


def assigned_names(source: str) -> set[str]:
    """The names a cell's top level binds (assignments, ``def``, ``class``, ``import``, ``for``)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {n.strip() for m in _ASSIGNED_TEXT.finditer(source) for n in m.group(1).split(",")}
    names: set[str] = set()
    for node in tree.body:
        for target in _targets(node):
            names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def _targets(node: ast.stmt) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        return list(node.targets)
    if isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        return [node.target]
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return [node.target]
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [item.optional_vars for item in node.items if item.optional_vars is not None]
    return []


ERROR_MAX = 60  # characters of the error a message quotes, so the whole message stays under 160


def _error_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    line = f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
    return line if len(line) <= ERROR_MAX else line[: ERROR_MAX - 3] + "..."


def record(source: str, error: BaseException | None) -> None:
    """After a cell ran: its names are fresh, or stale with the error that stopped it."""
    for name in assigned_names(source):
        if error is None:
            _FAILED.pop(name, None)
        else:
            _FAILED[name] = _error_line(error)


def stale(names: Any) -> str | None:
    """A one-line reason when one of ``names`` comes from a cell that stopped with an error."""
    for name in names:
        if name in _FAILED:
            return f"the cell that sets `{name}` stopped with {_FAILED[name]}; fix and rerun it, then check again"
    return None


def _after_cell(result: Any) -> None:
    info = getattr(result, "info", None)
    source = getattr(info, "raw_cell", None)
    if source is None:  # IPython before 7.? gives no info: the history has the cell's text
        try:
            from IPython import get_ipython

            source = get_ipython().history_manager.input_hist_raw[-1]
        except Exception:  # noqa: BLE001 - no history: nothing to record
            return
    error = getattr(result, "error_before_exec", None) or getattr(result, "error_in_exec", None)
    record(str(source), error)


def watch() -> None:
    """Record every cell from now on (once per kernel; outside IPython it does nothing)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        return
    ip = get_ipython()
    if ip is None:
        return
    callbacks = ip.events.callbacks.get("post_run_cell", [])
    if not any(getattr(cb, "__name__", "") == "_after_cell" and cb.__module__ == __name__ for cb in callbacks):
        ip.events.register("post_run_cell", _after_cell)
