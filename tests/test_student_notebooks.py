"""Every generated student notebook runs top to bottom (Run All reaches the end, no cell ends
in an error), its checks say NOT ATTEMPTED and its last cell shows the progress table."""

import re

import nbformat
import pytest

from labtools.checking import Status
from notebooks import NOTEBOOKS, execute, noise, texts

STUDENT_NOTEBOOKS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
CHECK = re.compile(r"\blab\.q\w+\.check\(")


@pytest.mark.notebooks
@pytest.mark.parametrize("path", STUDENT_NOTEBOOKS, ids=lambda p: p.stem)
def test_student_notebook_runs_and_reports_not_attempted(path):
    nb = execute(path)  # raises on the first cell that ends in an error
    shown = "\n".join(texts(nb))
    assert Status.NOT_ATTEMPTED.value in shown, "no check reported NOT ATTEMPTED"
    assert ": PASS" not in shown, "an untouched exercise passed its check"
    assert ": FAIL" not in shown, "an untouched exercise failed instead of NOT ATTEMPTED"
    assert "Traceback" not in shown
    assert "Ellipsis" not in shown, "an untouched '# TODO' cell displayed Ellipsis"
    stderr = [o["text"] for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stderr"]
    assert not stderr, f"a cell wrote to stderr: {stderr[0][:200]!r}"
    seen = noise(nb, path.stem)  # log lines, NumPy reprs, summaries in pieces, blank gaps
    assert not seen, "Run All shows what a student should not see:\n" + "\n".join(seen)
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code:
        if CHECK.search(cell.source):
            assert Status.NOT_ATTEMPTED.value in _shown(cell), cell.source
    assert "points" in _shown(code[-1]), "the last cell did not show the progress table"


def _shown(cell) -> str:
    return "\n".join(texts(nbformat.from_dict({"cells": [cell]})))
