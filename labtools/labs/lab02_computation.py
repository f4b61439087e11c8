"""Lab 02 - Computations and graphs: questions, points, hints and checks.

Every check draws fresh random inputs (see :mod:`labtools.checking`), so an answer must compute:
a table of the checker's inputs or a typed-in number cannot pass.
"""

from __future__ import annotations

import numpy as np

from ..checking import Fail, Lab, Question, expect_close
from ..judging import call, is_tf_function, tensor_facts


def _pairs(rng) -> dict:
    """Six (a, b) pairs: random floats, b never 1 (where the graph's d is zero) nor ±a."""
    a = rng.uniform(-5, 5, size=6).round(3)
    b = rng.uniform(-5, 5, size=6).round(3)
    b[np.abs(b - 1) < 0.2] += 0.5
    b[np.abs(np.abs(b) - np.abs(a)) < 0.2] += 0.4
    return {"a": a, "b": b}


def _call_on_pairs(fn, name, given):
    """The student's function on each pair, as real float32 scalar tensors."""
    import tensorflow as tf

    results = []
    for a, b in zip(given["a"], given["b"], strict=True):
        out = call(fn, f"{name}({a:g}, {b:g})", tf.constant(a, tf.float32), tf.constant(b, tf.float32))
        facts = tensor_facts(out, f"{name}(a, b)", "use TensorFlow operations so it returns a tf.Tensor")
        if facts["shape"] not in ([], [1]):
            raise Fail(
                f"{name}(a, b) on two single numbers returns shape {tuple(facts['shape'])}; "
                "it should return a single number"
            )
        results.append(float(np.asarray(facts["values"], dtype="float64").reshape(-1)[0]))
    return {"results": results}


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


def _hand_matrices(inputs):
    import tensorflow as tf

    return tf.constant(inputs["x"]), tf.constant(inputs["y"])


def _extract_ops(total, product, difference, given):
    return {
        name: tensor_facts(value, name, "use tf.add / tf.multiply / tf.subtract")
        for name, value in (("total", total), ("product", product), ("difference", difference))
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


def _extract_func(func, given):
    return _call_on_pairs(func, "func", given)


def _judge_graph(d, inputs):
    _check_pairs(
        d,
        inputs,
        "func",
        lambda a, b: (a + b) * (b - 1),
        "follow the graph node by node: c from a and b, d from b, then e from c and d",
    )


def _extract_squares(difference_of_squares, given):
    return _call_on_pairs(difference_of_squares, "difference_of_squares", given)


def _judge_squares(d, inputs, name="difference_of_squares"):
    got = np.asarray(d["results"], dtype="float64")
    a, b = inputs["a"].astype("float32").astype("float64"), inputs["b"].astype("float32").astype("float64")
    if got.shape == a.shape and np.allclose(got, b * b - a * a, rtol=1e-4, atol=1e-4):
        raise Fail(f"the sign of {name} is flipped: it is a squared minus b squared")
    _check_pairs(d, inputs, name, lambda a, b: a * a - b * b, "that is not a² - b²")


def _tracing_count(fn) -> int:
    """How many graphs a tf.function has traced, read through TensorFlow's own class (an
    attribute set on the object, or a subclass outside TensorFlow, cannot change it)."""
    for klass in type(fn).__mro__:
        method = vars(klass).get("experimental_get_tracing_count")
        if method is not None and klass.__module__.startswith("tensorflow."):
            return int(method(fn))
    raise Fail("compiled is not a tf.function TensorFlow can count the traces of; wrap your function with tf.function")


def _extract_compiled(compiled, given):
    """Call ``compiled`` with each pair as plain Python floats, as a training loop passing a new
    rate each step would, and count the graphs it traced meanwhile."""
    if not is_tf_function(compiled):
        raise Fail(
            f"compiled is a {type(compiled).__name__}, not a tf.function; wrap your function with tf.function(...)"
        )
    before = _tracing_count(compiled)
    results = []
    for a, b in zip(given["a"], given["b"], strict=True):
        out = call(compiled, f"compiled({float(a):g}, {float(b):g})", float(a), float(b))
        facts = tensor_facts(out, "compiled(a, b)", "use TensorFlow operations so it returns a tf.Tensor")
        if facts["shape"] not in ([], [1]):
            raise Fail(f"compiled(a, b) on two numbers returns shape {tuple(facts['shape'])}; it should return one")
        results.append(float(np.asarray(facts["values"], dtype="float64").reshape(-1)[0]))
    return {"results": results, "traces": _tracing_count(compiled) - before}


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
            "q1",
            "Element-wise operations",
            1,
            ["total", "product", "difference"],
            _extract_ops,
            _judge_ops,
            draw=_draw_matrices,
            hand=_hand_matrices,
            hints=[
                "tf.add, tf.multiply and tf.subtract work element by element, like + * -.",
                "Mind the order in the subtraction.",
            ],
        ),
        Question(
            "q2",
            "A computation graph as a function",
            2,
            ["func"],
            _extract_func,
            _judge_graph,
            draw=_pairs,
            hints=[
                "Each node of the picture is one TensorFlow operation.",
                "Three operations: one for c, one for d, one for e.",
            ],
        ),
        Question(
            "q3",
            "Difference of squares",
            2,
            ["difference_of_squares"],
            _extract_squares,
            _judge_squares,
            draw=_pairs,
            hints=["Draw it first: which nodes do you need?", "a² - b² = (a + b)(a - b): three operations are enough."],
        ),
        Question(
            "q4",
            "A tf.function that traces once",
            1,
            ["compiled"],
            _extract_compiled,
            _judge_compiled,
            draw=_pairs,
            hints=[
                "tf.function(f) returns a compiled version of f; it must still give a² - b².",
                "A Python number is part of the signature, a tensor is not: every new float traces again.",
                "tf.function takes input_signature=: one tf.TensorSpec (shape and dtype) per argument.",
            ],
        ),
    ],
)
