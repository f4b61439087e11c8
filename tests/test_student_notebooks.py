"""Every generated student notebook runs top to bottom; its checks say NOT ATTEMPTED."""

import pytest

from labtools.checking import Status
from notebooks import NOTEBOOKS, execute, texts

STUDENT_NOTEBOOKS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.notebooks
@pytest.mark.parametrize("path", STUDENT_NOTEBOOKS, ids=lambda p: p.stem)
def test_student_notebook_runs_and_reports_not_attempted(path):
    nb = execute(path)
    shown = "\n".join(texts(nb))
    assert Status.NOT_ATTEMPTED.value in shown, "no check reported NOT ATTEMPTED"
    assert ": PASS" not in shown, "an untouched exercise passed its check"
    assert ": FAIL" not in shown, "an untouched exercise failed instead of NOT ATTEMPTED"
    assert "Traceback" not in shown
