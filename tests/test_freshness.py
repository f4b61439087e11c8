"""A check after an answer cell that raised says so and judges nothing (never the stale value)."""

from __future__ import annotations

import pytest

from labtools.checking import Lab, Question, Status
from labtools.kernel import freshness
from labtools.kernel.exercise import Exercise


@pytest.fixture(autouse=True)
def _clean():
    freshness._FAILED.clear()
    yield
    freshness._FAILED.clear()


@pytest.mark.parametrize(
    "source, names",
    [
        ("total = 1\nproduct, difference = 2, 3", {"total", "product", "difference"}),
        ("def square(x):\n    return x * x", {"square"}),
        ("class Layer:\n    pass", {"Layer"}),
        ("loss += 1\nfor i in range(3):\n    pass", {"loss", "i"}),
        ("import numpy as np\nwith open('f') as fh:\n    pass", {"np", "fh"}),
        ("total = tf.add(x, y\nproduct = 2", {"total", "product"}),  # not valid Python: read from the text
        ("def square(x)\n    return x", {"square"}),
        ("lab.q1.check(total)", set()),
        ("if total == 1:\n    pass", set()),
    ],
)
def test_the_names_a_cell_assigns(source, names):
    assert freshness.assigned_names(source) == names


def _lab():
    q = Question(
        Exercise("q1", answers=["total"], extract=lambda total: {"v": float(total)}),
        title="Total",
        points=1,
        judge=lambda d: None,
    )
    return Lab("90", [q])


def test_a_check_after_a_failed_answer_cell_judges_nothing():
    lab = _lab()
    freshness.record("total = 1 / 0", ZeroDivisionError("division by zero"))
    v = lab.q1.evaluate(5.0)
    assert v.status is Status.FAIL and "stopped with ZeroDivisionError" in v.message
    assert "fix and rerun it" in v.message and "\n" not in v.message
    freshness.record("total = 5.0", None)  # fixed and run again
    assert lab.q1.evaluate(5.0).status is Status.PASS


def test_a_later_cell_that_fails_on_another_name_changes_nothing():
    lab = _lab()
    freshness.record("total = 5.0", None)
    freshness.record("other = undefined_name", NameError("name 'undefined_name' is not defined"))
    assert lab.q1.evaluate(5.0).status is Status.PASS


def test_the_hook_records_cells_run_by_ipython():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        freshness.watch()
        freshness.watch()  # once per kernel
        hooks = [cb for cb in shell.events.callbacks["post_run_cell"] if cb.__name__ == "_after_cell"]
        assert len(hooks) == 1
        shell.run_cell("total = 1")
        shell.run_cell("total = 1 / 0")
        assert "ZeroDivisionError" in (freshness.stale(["total"]) or "")
        shell.run_cell("total = (")  # a syntax error stops it too
        assert "SyntaxError" in (freshness.stale(["total"]) or "")
        shell.run_cell("total = 2")
        assert freshness.stale(["total"]) is None
    finally:
        shell.events.unregister("post_run_cell", freshness._after_cell)
        InteractiveShell.clear_instance()


def test_a_long_error_is_quoted_short():
    freshness.record("a_rather_long_answer_name = f()", RuntimeError("x" * 500 + " and more"))
    why = freshness.stale(["a_rather_long_answer_name"])
    assert why is not None and len(why) < 160, why
