"""The kernel side / judge side line is where the code is: what a grading kernel may import never
reaches a judge, and every lab has both halves (see labtools/kernel/__init__.py)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from labtools.grading.sandbox import HIDDEN_FROM_KERNEL, KERNEL_VISIBLE
from labtools.labs import CATALOGUE, load_lab

PACKAGE = Path(__file__).resolve().parent.parent / "labtools"
THIRD_PARTY = {"numpy", "tensorflow", "keras", "IPython"}  # what a kernel has besides the standard library


def _imports(path: Path, top_level_only: bool = False) -> list[tuple[int, str]]:
    """(level, module) of each import in a file: level 0 is absolute, 1 is ``from .x``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = []
    for node in nodes:
        if isinstance(node, ast.Import):
            found += [(0, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.level, node.module or ""))
    return found


@pytest.mark.parametrize("path", sorted((PACKAGE / "kernel").glob("*.py")), ids=lambda p: p.name)
def test_a_kernel_module_imports_only_the_kernel_side(path):
    for level, module in _imports(path):
        if level == 0:
            root = module.split(".")[0]
            assert root in THIRD_PARTY or root in sys.stdlib_module_names, f"{path.name} imports {module}"
        else:
            assert level == 1, f"{path.name} imports {'.' * level}{module}: outside labtools/kernel"


@pytest.mark.parametrize("name", [n for n in KERNEL_VISIBLE if n.endswith(".py")])
def test_what_a_grading_kernel_sees_loads_no_judge_when_imported(name):
    """The modules the sandbox shows import, at their top level, only what the sandbox shows."""
    visible = {n.removesuffix(".py") for n in KERNEL_VISIBLE}
    for level, module in _imports(PACKAGE / name, top_level_only=True):
        if level == 1:
            assert module.split(".")[0] in visible | {""}, f"{name} imports .{module} at its top level"
        elif module.startswith("labtools"):
            assert module.split(".")[1] in visible, f"{name} imports {module} at its top level"


def test_the_sandbox_names_only_parts_that_exist():
    for name in (*KERNEL_VISIBLE, *HIDDEN_FROM_KERNEL):
        assert (PACKAGE / name).exists(), f"sandbox.py names labtools/{name}, which does not exist"


@pytest.mark.parametrize("info", CATALOGUE, ids=lambda i: i.number)
def test_every_lab_has_a_kernel_side_and_a_judge_side(info):
    from labtools.kernel.grading import exercises_of

    kernel = exercises_of(info.number)
    lab = load_lab(info.number)
    assert set(kernel) == set(lab.questions), (
        f"lab {info.number}: kernel {sorted(kernel)}, judges {sorted(lab.questions)}"
    )
    for qid, question in lab.questions.items():
        assert question.exercise is kernel[qid], f"lab {info.number} {qid}: the question wraps another exercise"
    judge_module = PACKAGE / "labs" / f"lab{info.number}_{info.slug}.py"
    assert "def _extract" not in judge_module.read_text(), f"{judge_module.name} still runs student code"
