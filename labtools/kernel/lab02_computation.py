"""Lab 02 - Computations and graphs: the kernel side of its checks (see :mod:`labtools.kernel`).

Each exercise runs the student's function on the inputs the judge drew and returns what came out.
"""

from __future__ import annotations

import numpy as np

from .calling import call, describe, is_tf_function, tensor_facts
from .errors import Fail
from .exercise import Exercise, exercises, written


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


# q1 -- element-wise operations ------------------------------------------------------------------


def _hand_matrices(inputs):
    import tensorflow as tf

    return tf.constant(inputs["x"]), tf.constant(inputs["y"])


def _extract_ops(total, product, difference, given):
    return {
        name: tensor_facts(value, name, "use tf.add / tf.multiply / tf.subtract")
        for name, value in (("total", total), ("product", product), ("difference", difference))
    }


# q2, q3, q4 -- functions of two tensors ---------------------------------------------------------


def _extract_func(func, given):
    return _call_on_pairs(func, "func", given)


def _extract_squares(difference_of_squares, given):
    return _call_on_pairs(difference_of_squares, "difference_of_squares", given)


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
        what = describe(compiled)
        if "ConcreteFunction" in what:
            what = "a concrete function (one traced graph)"
        raise Fail(f"compiled is {what}, not a tf.function; wrap your function with tf.function(...)")
    before = _tracing_count(compiled)
    results = []
    for a, b in zip(given["a"], given["b"], strict=True):
        name = f"compiled({float(a):g}, {float(b):g})"
        try:
            out = call(compiled, name, float(a), float(b))
        except Fail as exc:
            if "Binding inputs" in str(exc) or "TensorSpec" in str(exc):
                raise Fail(
                    f"{name} fails: its input_signature does not accept two Python floats; check the shape "
                    "and dtype of each tf.TensorSpec"
                ) from None
            raise
        facts = tensor_facts(out, "compiled(a, b)", "use TensorFlow operations so it returns a tf.Tensor")
        if facts["shape"] not in ([], [1]):
            raise Fail(f"compiled(a, b) on two numbers returns shape {tuple(facts['shape'])}; it should return one")
        results.append(float(np.asarray(facts["values"], dtype="float64").reshape(-1)[0]))
    return {"results": results, "traces": _tracing_count(compiled) - before}


EXERCISES = exercises(
    Exercise("q1", answers=["total", "product", "difference"], extract=_extract_ops, hand=_hand_matrices),
    Exercise("q2", answers=["func"], extract=_extract_func),
    Exercise("q3", answers=["difference_of_squares"], extract=_extract_squares),
    Exercise("q4", answers=["compiled"], extract=_extract_compiled),
    written("q5"),
)
