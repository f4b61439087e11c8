"""The ``grade("q3", a, b)`` syntax of a lab source's hidden-tests cells, and its one parser.

The generator reads it to check a source, the grader to know which question a hidden test is for,
and the benchmarks to find the graded cells.
"""

from __future__ import annotations

import ast


def grade_calls(code: str) -> list[tuple[str, list[str]]]:
    """Every ``grade("q3", a, b)`` call in a hidden-tests cell as ``("q3", ["a", "b"])``: the one
    parser of that syntax (the generator, the grader's probe cells and the benchmarks use it)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        raise ValueError(f"not Python: {code!r}") from None
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "grade":
            if not (node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                raise ValueError(f"grade(...) needs the question id first, as a string: {ast.unparse(node)!r}")
            calls.append((node.args[0].value, [ast.unparse(a) for a in node.args[1:]]))
    return calls


def graded_question(grade_call: str) -> str:
    """The question id of a hidden test: ``grade("q3", layer)`` -> ``"q3"``."""
    calls = grade_calls(grade_call)
    if len(calls) != 1:
        raise ValueError(f"not a grade(...) call: {grade_call!r}")
    return calls[0][0]
