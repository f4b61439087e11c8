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


def _pairs(rng) -> dict:
    """Six (a, b) pairs: random floats, b never 1 (where the graph's d is zero) nor ±a."""
    a = rng.uniform(-5, 5, size=6).round(3)
    b = rng.uniform(-5, 5, size=6).round(3)
    b[np.abs(b - 1) < 0.2] += 0.5
    b[np.abs(np.abs(b) - np.abs(a)) < 0.2] += 0.4
    return {"a": a, "b": b}


def _check_pairs(d, inputs, name, formula, hint):
    got = np.asarray(d["results"], dtype="float64")
    a, b = inputs["a"].astype("float32").astype("float64"), inputs["b"].astype("float32").astype("float64")
    if got.shape != a.shape:
        raise Fail(f"{name} was not run on every pair")
    want = formula(a, b)
    for x, y, value, expected in zip(a, b, got, want, strict=True):
        if not np.isclose(value, expected, rtol=1e-4, atol=1e-4):
            raise Fail(f"{name}({x:g}, {y:g}) gives {value:g}; {hint}")


# q1 -- element-wise operations ------------------------------------------------------------------


def _draw_matrices(rng) -> dict:
    return {
        "x": rng.integers(-9, 10, size=(2, 2)).astype("float32"),
        "y": rng.integers(-9, 10, size=(2, 2)).astype("float32") * 10 + 1,
    }


def _judge_ops(d, inputs):
    x, y = inputs["x"].astype("float64"), inputs["y"].astype("float64")
    expect_close("total", d["total"]["values"], x + y)
    product = np.asarray(d["product"]["values"], dtype="float64")
    if product.shape == (2, 2) and np.allclose(product, x @ y) and not np.allclose(x @ y, x * y):
        raise Fail("product is a matrix product; the exercise asks for the element-wise product")
    expect_close("product", product, x * y)
    if np.allclose(np.asarray(d["difference"]["values"], dtype="float64"), x - y):
        raise Fail("difference is x - y; the exercise asks for y - x")
    expect_close("difference", d["difference"]["values"], y - x)


# q2, q3, q4 -- functions of two tensors ---------------------------------------------------------


def _judge_graph(d, inputs):
    _check_pairs(
        d,
        inputs,
        "func",
        lambda a, b: (a + b) * (b - 1),
        "follow the graph node by node: c from a and b, d from b, then e from c and d",
    )


def _judge_squares(d, inputs, name="difference_of_squares"):
    got = np.asarray(d["results"], dtype="float64")
    a, b = inputs["a"].astype("float32").astype("float64"), inputs["b"].astype("float32").astype("float64")
    if got.shape == a.shape and np.allclose(got, b * b - a * a, rtol=1e-4, atol=1e-4):
        raise Fail(f"the sign of {name} is flipped: it is a squared minus b squared")
    _check_pairs(d, inputs, name, lambda a, b: a * a - b * b, "that is not a² - b²")


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
    "Computations and graphs",
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
                "tf.function takes input_signature=: one tf.TensorSpec (shape and dtype) per argument.",
            ],
        ),
    ],
)
