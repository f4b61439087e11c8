"""Lab 02 - Computations and graphs: questions, points, hints and judges (the kernel side of
its checks is :mod:`labtools.kernel.lab02_computation`).

Every check draws fresh random inputs (see :mod:`labtools.checking`), so an answer must compute:
a table of the checker's inputs or a typed-in number cannot pass.
"""

from __future__ import annotations

import numpy as np

from ..checking import Fail, Lab, Question
from ..judging import expect_close
from ..kernel.lab02_computation import EXERCISES as KERNEL
from ..written import Criterion, Written


def _float32(v) -> np.ndarray:
    return np.asarray(v, dtype="float32").astype("float64")


_PAIR_MISTAKES = {  # wrong formulas a student writes for each function of (a, b)
    "func": [
        lambda a, b: (a + b) * (a - 1),
        lambda a, b: (a + b) + (b - 1),
        lambda a, b: a + b,
        lambda a, b: (a + b) * (b + 1),
        lambda a, b: (a + b) * (1 - b),
        lambda a, b: (a + b) * b,
        lambda a, b: (a - b) * (b - 1),
        lambda a, b: a * b - 1,
    ],
    "squares": [
        lambda a, b: b * b - a * a,
        lambda a, b: (a - b) ** 2,
        lambda a, b: (a + b) ** 2,
        lambda a, b: a * a + b * b,
        lambda a, b: (a + b) * (a - 1),
        lambda a, b: a - b,
        lambda a, b: 2 * a - 2 * b,
        lambda a, b: np.abs(a * a - b * b),
    ],
}
_PAIR_RIGHT = {"func": lambda a, b: (a + b) * (b - 1), "squares": lambda a, b: a * a - b * b}


def _pairs(rng) -> dict:
    """Six (a, b) pairs of random floats. For both functions the pairs are drawn for, the results
    are at least 0.2 from a whole number on three pairs or more, and differ by at least 0.5 from
    each known wrong formula's on two pairs or more: an integer cast, a sign flip or a node taken
    from the wrong input changes the verdict on every draw."""
    while True:
        a = rng.uniform(-5, 5, size=6).round(3)
        b = rng.uniform(-5, 5, size=6).round(3)
        x, y = _float32(a), _float32(b)
        if _pairs_are_clear(x, y):
            return {"a": a, "b": b}


def _pairs_are_clear(a: np.ndarray, b: np.ndarray) -> bool:
    for name, right in _PAIR_RIGHT.items():
        want = right(a, b)
        if np.sum(np.abs(want - np.round(want)) >= 0.2) < 3:  # an integer cast shows on three pairs or more
            return False
        for mistake in _PAIR_MISTAKES[name]:
            if np.sum(np.abs(mistake(a, b) - want) >= 0.5) < 2:
                return False
    return True


def _check_pairs(d, inputs, name, formula, hint):
    got = np.asarray(d["results"], dtype="float64")
    a, b = _float32(inputs["a"]), _float32(inputs["b"])
    if got.shape != a.shape:
        raise Fail(f"{name} was not run on every pair")
    want = formula(a, b)
    for x, y, value, expected in zip(a, b, got, want, strict=True):
        if not np.isclose(value, expected, rtol=1e-4, atol=1e-4):
            raise Fail(f"{name}({x:g}, {y:g}) gives {value:g}; {hint}")


# q1 -- element-wise operations ------------------------------------------------------------------


def _quarters(rng, shape) -> np.ndarray:
    """Non-zero multiples of 0.25 that are not whole numbers, exact in float32."""
    k = rng.choice([n for n in range(-36, 37) if n % 4], size=shape)
    return (k / 4).astype("float32")


def _draw_matrices(rng) -> dict:
    """Two 2x2 matrices of non-whole numbers whose sum, element-wise product and difference y - x
    each have two entries or more at least 0.25 from a whole number, with y - x at least 1 away
    from zero and on both sides of it: an integer cast, a rounded result or abs(y - x) never gives
    the right numbers."""
    while True:
        x, y = _quarters(rng, (2, 2)), _quarters(rng, (2, 2))
        X, Y = x.astype("float64"), y.astype("float64")
        results = [X + Y, X * Y, Y - X]
        if any(np.sum(np.abs(r - np.round(r)) >= 0.25) < 2 for r in results):
            continue
        if np.min(np.abs(Y - X)) < 1 or (Y - X).min() > -1 or (Y - X).max() < 1:
            continue
        if np.max(np.abs(X @ Y - X * Y)) < 1:
            continue
        return {"x": x, "y": y}


def _expect_float(name: str, facts: dict) -> None:
    dtype = facts["dtype"]
    if not dtype.startswith(("float", "bfloat")):
        raise Fail(f"{name} has dtype {dtype}; x and y are float32, so {name} should hold floats too")


def _judge_ops(d, inputs):
    x, y = inputs["x"].astype("float64"), inputs["y"].astype("float64")
    for name in ("total", "product", "difference"):
        _expect_float(name, d[name])
    expect_close("total", d["total"]["values"], x + y)
    product = np.asarray(d["product"]["values"], dtype="float64")
    if product.shape == (2, 2) and np.allclose(product, x @ y) and not np.allclose(x @ y, x * y):
        raise Fail("product is a matrix product; the exercise asks for the element-wise product")
    expect_close("product", product, x * y)
    difference = np.asarray(d["difference"]["values"], dtype="float64")
    if difference.shape == (2, 2) and np.allclose(difference, x - y):
        raise Fail("difference is x - y; the exercise asks for y - x")
    if difference.shape == (2, 2) and np.allclose(difference, np.abs(y - x)):
        raise Fail("difference has the wrong sign where x is larger than y; the exercise asks for y - x")
    expect_close("difference", difference, y - x)


# q2, q3, q4 -- functions of two tensors ---------------------------------------------------------


def _judge_graph(d, inputs):
    _check_pairs(
        d,
        inputs,
        "func",
        _PAIR_RIGHT["func"],
        "follow the graph node by node: c from a and b, d from b, then e from c and d",
    )


def _judge_squares(d, inputs, name="difference_of_squares"):
    got = np.asarray(d["results"], dtype="float64")
    a, b = _float32(inputs["a"]), _float32(inputs["b"])
    if got.shape == a.shape and np.allclose(got, b * b - a * a, rtol=1e-4, atol=1e-4):
        raise Fail(f"the sign of {name} is flipped: it is a squared minus b squared")
    _check_pairs(d, inputs, name, _PAIR_RIGHT["squares"], "that is not a² - b²")


def _judge_compiled(d, inputs):
    _judge_squares(d, inputs, "compiled")
    calls, traces = len(d["results"]), int(d["traces"])
    if traces > 1:
        raise Fail(
            f"compiled traced {traces} graphs for {calls} calls with different Python floats: each new Python "
            "number is a new signature; fix the signature so that it traces once"
        )


LAB = Lab(
    "02",
    [
        Question(
            KERNEL["q1"],
            title="Element-wise operations",
            points=1,
            judge=_judge_ops,
            draw=_draw_matrices,
            hints=[
                "tf.add, tf.multiply and tf.subtract work element by element, like + * -.",
                "Mind the order in the subtraction.",
            ],
        ),
        Question(
            KERNEL["q2"],
            title="A computation graph as a function",
            points=2,
            judge=_judge_graph,
            draw=_pairs,
            hints=[
                "Each node of the picture is one TensorFlow operation.",
                "Three operations: one for c, one for d, one for e.",
            ],
        ),
        Question(
            KERNEL["q3"],
            title="Difference of squares",
            points=2,
            judge=_judge_squares,
            draw=_pairs,
            hints=["Draw it first: which nodes do you need?", "a² - b² = (a + b)(a - b): three operations are enough."],
        ),
        Question(
            KERNEL["q4"],
            title="A tf.function that traces once",
            points=1,
            judge=_judge_compiled,
            draw=_pairs,
            hints=[
                "tf.function(f) returns a compiled version of f; it must still give a² - b².",
                "A Python number is part of the signature, a tensor is not: every new float traces again.",
                "See input_signature in the tf.function docs: one tf.TensorSpec (shape and dtype) per argument.",
            ],
        ),
        Written(
            KERNEL["q5"],
            title="Graphs and eager execution",
            points=2,
            rubric=[
                Criterion(
                    "says eager code runs each operation at once, as Python, while tf.function traces it into a "
                    "graph first",
                    1,
                ),
                Criterion(
                    "names a trade-off: graphs run faster and can be saved, eager is easier to debug; and when a "
                    "function is retraced",
                    1,
                ),
            ],
        ),
    ],
)
