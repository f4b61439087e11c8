"""Lab 01 - Tensors: the kernel side of its checks (see :mod:`labtools.kernel`).

Each exercise reads the student's tensor (or runs the student's function on the inputs the judge
drew) and returns shapes, dtypes and values as plain data.
"""

from __future__ import annotations

import numpy as np

from .calling import call, describe, tensor_facts
from .errors import Fail
from .exercise import Exercise, exercises


def _facts(value, name: str, what: str = "build it with TensorFlow (tf.constant, tf.zeros, ...)") -> dict:
    """Shape, dtype and values of a real tf.Tensor or tf.Variable (Fail for anything else)."""
    import tensorflow as tf

    if not isinstance(value, (tf.Tensor, tf.Variable)):
        raise Fail(f"{name} is {describe(value)}, not a tf.Tensor; {what}")
    return tensor_facts(value, name, what)


# q1 -- a matrix ---------------------------------------------------------------------------------


def _extract_matrix(matrix):
    return _facts(matrix, "matrix")


# q2 -- a batch of images ------------------------------------------------------------------------


def _extract_images(images):
    facts = _facts(images, "images")
    values = facts.pop("values")  # ~2 million numbers: send what the judge needs, not all of them
    facts["nonzero"] = int(np.count_nonzero(values))
    return facts


# q3 -- slicing the notebook's grid --------------------------------------------------------------


def _extract_corner(corner):
    return _facts(corner, "corner")


# q4 -- a variable updated in place ------------------------------------------------------------
# The notebook's `weights = lab.q4.inputs()` is a tf.Variable with random starting values and a
# name carrying a tag drawn with them: a new tf.Variable (right values or not) has another name.


def _weights_name(inputs) -> str:
    return f"weights_{int(inputs['tag'])}"


def _hand_weights(inputs):
    import tensorflow as tf

    return tf.Variable(inputs["start"], name=_weights_name(inputs))


def _extract_variable(weights, given):
    import tensorflow as tf

    if not isinstance(weights, tf.Variable):
        raise Fail(
            f"weights is {describe(weights)}, not a tf.Variable: update the variable in place "
            "(assign, assign_add) instead of computing a new tensor"
        )
    if weights.name.split(":")[0] != _weights_name(given):
        raise Fail(
            "weights is a new tf.Variable; update the one lab.q4.inputs() gives you in place "
            "(assign, assign_add) instead of creating another"
        )
    return {"shape": [int(n) for n in weights.shape], "dtype": weights.dtype.name, "values": weights.numpy()}


# q5 -- a dense layer by hand: broadcasting and a matrix product ---------------------------------


def _hand_layer(inputs):
    import tensorflow as tf

    return tf.constant(inputs["x"]), tf.constant(inputs["W"]), tf.constant(inputs["b"])


def _extract_scores(scores, given):
    return {"scores": _facts(scores, "scores", "compute it with TensorFlow operations on x, W and b")}


# q6 -- reshape and transpose --------------------------------------------------------------------


def _hand_pictures(inputs):
    import tensorflow as tf

    return tf.constant(inputs["pictures"])


def _extract_flat(flat, columns, given):
    what = "use TensorFlow's reshape and transpose"
    return {"flat": _facts(flat, "flat", what), "columns": _facts(columns, "columns", what)}


# q7 -- rotating points --------------------------------------------------------------------------


def _extract_rotate(rotate, given):
    import tensorflow as tf

    results = []
    for points, degrees in zip(given["points"], given["angles"], strict=True):
        out = call(rotate, "rotate", tf.constant(points, tf.float32), degrees)
        results.append(_facts(out, f"rotate(points, {degrees:g})", "rotate with TensorFlow operations"))
    return {"results": results}


# q8 -- a matrix product with loops ---------------------------------------------------------------


def _extract_naive_matmul(fn, given):
    results = []
    for i in range(3):
        x, y = given[f"x{i}"].copy(), given[f"y{i}"].copy()
        out = call(fn, f"naive_matmul(x of shape {x.shape}, y of shape {y.shape})", x, y)
        try:
            values = np.asarray(out, dtype="float64")
        except (TypeError, ValueError):
            raise Fail(f"naive_matmul returns {describe(out)}; return a NumPy array of numbers") from None
        results.append(values)
    x, y = given["x_bad"].copy(), given["y_bad"].copy()
    try:
        fn(x, y)
        raised = None
    except Exception as exc:  # any error will do: the product is undefined
        raised = type(exc).__name__
    return {"results": results, "raised": raised}


EXERCISES = exercises(
    Exercise("q1", answers=["matrix"], extract=_extract_matrix),
    Exercise("q2", answers=["images"], extract=_extract_images),
    Exercise("q3", answers=["corner"], extract=_extract_corner),
    Exercise("q4", answers=["weights"], extract=_extract_variable, hand=_hand_weights),
    Exercise("q5", answers=["scores"], extract=_extract_scores, hand=_hand_layer),
    Exercise("q6", answers=["flat", "columns"], extract=_extract_flat, hand=_hand_pictures),
    Exercise("q7", answers=["rotate"], extract=_extract_rotate),
    Exercise("q8", answers=["naive_matmul"], extract=_extract_naive_matmul),
)
