"""Lab 02 - Computations and graphs: questions, points, hints and checks."""
from __future__ import annotations

import numpy as np

from ..checking import Fail, Lab, NotAttempted, Question, expect_close

# Inputs the checker chooses, so a function is tested on more than the notebook's example.
_PAIRS = [(1.5, 2.5), (3.0, -2.0), (-4.0, 0.5), (0.0, 7.0)]


def _call_on_pairs(fn, name):
    import tensorflow as tf

    results = []
    for a, b in _PAIRS:
        out = fn(tf.constant(a), tf.constant(b))
        if out is None:
            raise NotAttempted(f"{name}() still returns None")
        if not tf.is_tensor(out):
            raise Fail(f"{name}() returned a {type(out).__name__}; use TensorFlow operations "
                       "so it returns a tf.Tensor")
        results.append(float(out.numpy()))
    return {"pairs": _PAIRS, "results": results}


def _judge_graph(d):
    for (a, b), got in zip(d["pairs"], d["results"]):
        if not np.isclose(got, (a + b) * (b - 1), atol=1e-4):
            raise Fail(f"func({a:g}, {b:g}) gives {got:g}; follow the graph node by node: "
                       "c from a and b, d from b, then e from c and d")


def _judge_squares(d):
    pairs, got = np.array(d["pairs"]), np.array(d["results"], dtype=float)
    a, b = pairs[:, 0], pairs[:, 1]
    if np.allclose(got, b * b - a * a, atol=1e-4):
        raise Fail("the sign is flipped: it is a squared minus b squared")
    for (x, y), value in zip(pairs, got):
        if not np.isclose(value, x * x - y * y, atol=1e-4):
            raise Fail(f"difference_of_squares({x:g}, {y:g}) gives {value:g}, which is not a² - b²")


def _extract_ops(total, product, difference):
    import tensorflow as tf

    out = {}
    for name, value in (("total", total), ("product", product), ("difference", difference)):
        if not tf.is_tensor(value):
            raise Fail(f"{name} is a {type(value).__name__}; use tf.add / tf.multiply / tf.subtract")
        out[name] = value.numpy()
    return out


def _judge_ops(d):
    x, y = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[10.0, 20.0], [30.0, 40.0]])
    expect_close("total", d["total"], x + y)
    if np.shape(d["product"]) == (2, 2) and np.allclose(d["product"], x @ y):
        raise Fail("product is a matrix product; the exercise asks for the element-wise product")
    expect_close("product", d["product"], x * y)
    if np.allclose(d["difference"], x - y):
        raise Fail("difference is x - y; the exercise asks for y - x")
    expect_close("difference", d["difference"], y - x)


def _extract_compiled(compiled):
    if not hasattr(compiled, "get_concrete_function"):
        raise Fail("compiled is a plain Python function; wrap it with tf.function")
    return _call_on_pairs(compiled, "compiled")


LAB = Lab("02", "Computations and graphs", [
    Question("q1", "Element-wise operations", 1, ["total", "product", "difference"],
             _extract_ops, _judge_ops,
             hints=["tf.add, tf.multiply and tf.subtract work element by element, like + * -.",
                    "Mind the order in the subtraction."]),
    Question("q2", "A computation graph as a function", 2, ["func"],
             lambda f: _call_on_pairs(f, "func"), _judge_graph,
             hints=["Each node of the picture is one TensorFlow operation.",
                    "c = a + b, d = b - 1, e = c * d."]),
    Question("q3", "Difference of squares", 2, ["difference_of_squares"],
             lambda f: _call_on_pairs(f, "difference_of_squares"), _judge_squares,
             hints=["Draw it first: which nodes do you need?",
                    "a² - b² = (a + b)(a - b): three operations are enough."]),
    Question("q4", "Compile with tf.function", 1, ["compiled"], _extract_compiled, _judge_squares,
             hints=["tf.function(f) returns a compiled version of f.",
                    "Compile your difference_of_squares; it must still give the same numbers."]),
])
