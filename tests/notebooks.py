"""Run a notebook in a fresh kernel of the current environment and collect its outputs."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"  # what students see
SOLUTIONS = ROOT / "instructor" / "solutions"


def execute(path: Path, timeout: int = 600, allow_error_names=()):
    nb = nbformat.read(path, as_version=4)
    env_before = dict(os.environ)
    os.environ["LABTOOLS_FAST"] = "1"
    try:
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
            allow_error_names=list(allow_error_names),
        )
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    return nb


def texts(nb) -> list[str]:
    """Every text a notebook showed, one entry per output (plain text of rich outputs)."""
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream":
                out.append(o.get("text", ""))
            elif "data" in o:
                out.append(o["data"].get("text/plain", ""))
            elif o.get("output_type") == "error":
                out.append(f"{o.get('ename')}: {o.get('evalue')}")
    return out
