"""Lab 01 - Tensors: questions, points, hints and checks.

q1-q3 have one right value each (a fixed matrix, a block of zeros, a slice of the notebook's
fixed ``grid``), so they are judged against constants; a tf.Tensor or a tf.Variable holding it
passes, anything else (a list, a NumPy array, another dtype) does not. From q4 on the judge owns
its inputs (see :mod:`labtools.checking`): the notebook gets them from ``lab.qN.inputs()`` and
the judge computes what the answer must be from its own copy.
"""

from __future__ import annotations

import numpy as np

from ..checking import Fail, Lab, NotAttempted, Question, expect_close, expect_shape
from ..judging import call, describe, tensor_facts


def _facts(value, name: str, what: str = "build it with TensorFlow (tf.constant, tf.zeros, ...)") -> dict:
    """Shape, dtype and values of a real tf.Tensor or tf.Variable (Fail for anything else)."""
    import tensorflow as tf

    if not isinstance(value, (tf.Tensor, tf.Variable)):
        raise Fail(f"{name} is {describe(value)}, not a tf.Tensor; {what}")
    return tensor_facts(value, name, what)


def _expect_rank(name: str, shape, rank: int, what: str) -> None:
    if len(shape) != rank:
        raise Fail(f"{name} has rank {len(shape)}; {what} has rank {rank}")


def _expect_dtype(name: str, dtype: str, want: str, why: str = "the exercise asks for") -> None:
    if dtype != want:
        raise Fail(f"{name} has dtype {dtype}; {why} {want}")


# q1 -- a matrix ---------------------------------------------------------------------------------


def _judge_matrix(d):
    _expect_rank("matrix", d["shape"], 2, "a matrix (rows and columns)")
    expect_shape("matrix", d["shape"], (2, 3))
    _expect_dtype("matrix", d["dtype"], "float32")
    expect_close("matrix", d["values"], [[1, 2, 3], [4, 5, 6]], rtol=0, atol=0)


# q2 -- a batch of images ------------------------------------------------------------------------


def _extract_images(images):
    facts = _facts(images, "images")
    values = facts.pop("values")  # ~2 million numbers: send what the judge needs, not all of them
    facts["nonzero"] = int(np.count_nonzero(values))
    return facts


def _judge_images(d):
    _expect_rank("images", d["shape"], 4, "a batch of colour images")
    expect_shape("images", d["shape"], (10, 256, 256, 3))
    _expect_dtype("images", d["dtype"], "float32")
    if d["nonzero"] != 0:
        raise Fail("images has the right shape and dtype but not every element is zero")


# q3 -- slicing the notebook's grid = tf.reshape(tf.range(24), [4, 6]) -------------------------

_GRID = np.arange(24, dtype=np.int32).reshape(4, 6)


def _judge_slice(d):
    expected = _GRID[1:3, 2:]
    _expect_rank("corner", d["shape"], 2, "a block of rows and columns of grid")
    if tuple(d["shape"]) != expected.shape:
        raise Fail(
            f"corner has shape {tuple(d['shape'])}; rows 1 and 2 and the columns from index 2 "
            "on give another shape: check where each slice starts and stops"
        )
    _expect_dtype("corner", d["dtype"], "int32", "a slice keeps the dtype of grid,")
    if not np.array_equal(np.asarray(d["values"]), expected):
        raise Fail("corner has the right shape but holds other elements of grid: check where each slice starts")


# q4 -- a variable updated in place ------------------------------------------------------------
# The notebook's `weights = lab.q4.inputs()` is a tf.Variable with random starting values and a
# name carrying a tag drawn with them: a new tf.Variable (right values or not) has another name.


def _draw_weights(rng) -> dict:
    return {
        "start": rng.uniform(-3, 3, size=3).round(2).astype("float32"),
        "tag": int(rng.integers(100_000, 1_000_000)),
    }


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


def _judge_variable(d, inputs):
    start = np.asarray(inputs["start"], dtype=np.float32)
    expect_shape("weights", d["shape"], start.shape)
    _expect_dtype("weights", d["dtype"], "float32")
    values = np.asarray(d["values"], dtype=np.float64)
    if np.array_equal(values, start):
        raise NotAttempted("weights still holds its starting values; update it in place")
    if np.allclose(values, start + 2 * np.array([1.0, 2.0, 3.0], np.float32), atol=1e-5):
        raise Fail(
            "weights holds its starting values plus [1, 2, 3] twice: run the cell again "
            "from the top (it makes a fresh weights) and add only once"
        )
    expect_close("weights", values, start + np.array([1.0, 2.0, 3.0], np.float32), rtol=0, atol=1e-5)


# q5 -- a dense layer by hand: broadcasting and a matrix product ---------------------------------


def _draw_layer(rng) -> dict:
    return {
        "x": rng.normal(size=(4, 3)).round(2).astype("float32"),
        "W": rng.normal(size=(3, 2)).round(2).astype("float32"),
        "b": rng.normal(size=2).round(2).astype("float32"),
    }


def _hand_layer(inputs):
    import tensorflow as tf

    return tf.constant(inputs["x"]), tf.constant(inputs["W"]), tf.constant(inputs["b"])


def _extract_scores(scores, given):
    return {"scores": _facts(scores, "scores", "compute it with TensorFlow operations on x, W and b")}


def _judge_scores(d, inputs):
    x, W, b = (np.asarray(inputs[k], dtype=np.float64) for k in ("x", "W", "b"))
    got = d["scores"]
    if tuple(got["shape"]) == (2, 4):
        raise Fail(
            "scores has shape (2, 4), but 4 examples with 2 outputs each make (4, 2): check the order of the product"
        )
    expect_shape("scores", got["shape"], (4, 2))
    _expect_dtype("scores", got["dtype"], "float32", "x, W and b are float32, so scores should be")
    values = np.asarray(got["values"], dtype=np.float64)
    if np.allclose(values, x @ W, atol=1e-4) and not np.allclose(x @ W, x @ W + b, atol=1e-4):
        raise Fail("scores is x W without the bias: add b")
    expect_close("scores", values, x @ W + b, rtol=1e-4, atol=1e-4)


# q6 -- reshape and transpose --------------------------------------------------------------------


def _draw_pictures(rng) -> dict:
    return {"pictures": rng.choice(1000, size=(5, 4, 4), replace=False).astype("float32")}


def _hand_pictures(inputs):
    import tensorflow as tf

    return tf.constant(inputs["pictures"])


def _extract_flat(flat, columns, given):
    what = "use TensorFlow's reshape and transpose"
    return {"flat": _facts(flat, "flat", what), "columns": _facts(columns, "columns", what)}


def _judge_flat(d, inputs):
    pictures = np.asarray(inputs["pictures"], dtype=np.float32)
    rows = pictures.reshape(pictures.shape[0], -1)
    flat, columns = d["flat"], d["columns"]
    expect_shape("flat", flat["shape"], rows.shape)
    _expect_dtype("flat", flat["dtype"], "float32", "reshaping keeps the dtype of pictures,")
    _expect_same_numbers(
        "flat", flat["values"], rows, "pictures", "the pixels are out of order: reshape, don't transpose"
    )
    expect_shape("columns", columns["shape"], rows.T.shape)
    _expect_dtype("columns", columns["dtype"], "float32", "transposing keeps the dtype of flat,")
    _expect_same_numbers("columns", columns["values"], rows.T, "flat", "not the right layout: transpose flat")


def _expect_same_numbers(name, values, expected, source, out_of_order):
    values = np.asarray(values, dtype=np.float64)
    if np.array_equal(values, expected):
        return
    if np.array_equal(np.sort(values, axis=None), np.sort(expected, axis=None)):
        raise Fail(f"{name} has the right shape but {out_of_order}")
    raise Fail(f"{name} has the right shape but holds other numbers than {source}: make it from {source} itself")


# q7 -- rotating points --------------------------------------------------------------------------
# Three rotations of fresh random points: a small positive angle, a negative one and one past
# 180 degrees, each with its own number of points, none a multiple of 90 degrees.


def _draw_rotations(rng) -> dict:
    counts = [int(rng.integers(2, 5)), int(rng.integers(5, 8)), int(rng.integers(1, 4))]
    angles = [rng.uniform(10, 80), -rng.uniform(100, 170), rng.uniform(190, 260)]
    return {
        "angles": [round(float(a), 1) for a in angles],
        "points": [rng.uniform(-4, 4, size=(n, 2)).round(2).astype("float32") for n in counts],
    }


def _rotation(degrees: float) -> np.ndarray:
    t = np.deg2rad(degrees)
    return np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])


def _extract_rotate(rotate, given):
    import tensorflow as tf

    results = []
    for points, degrees in zip(given["points"], given["angles"], strict=True):
        out = call(rotate, "rotate", tf.constant(points, tf.float32), degrees)
        results.append(_facts(out, f"rotate(points, {degrees:g})", "rotate with TensorFlow operations"))
    return {"results": results}


def _judge_rotate(d, inputs):
    if len(d["results"]) != len(inputs["angles"]):
        raise Fail("rotate was not run on every probe")
    for points, degrees, got in zip(inputs["points"], inputs["angles"], d["results"], strict=True):
        call_text = f"rotate(points, {degrees:g})"
        points = np.asarray(points, dtype=np.float64)
        expect_shape(f"{call_text} for {len(points)} points", got["shape"], points.shape)
        _expect_dtype(call_text, got["dtype"], "float32", "points are float32, so the result should be")
        values = np.asarray(got["values"], dtype=np.float64)
        if np.allclose(values, points @ _rotation(degrees).T, rtol=1e-4, atol=1e-4):
            continue
        if np.allclose(values, points @ _rotation(degrees), rtol=1e-4, atol=1e-4):
            raise Fail(
                f"{call_text} turns the wrong way (clockwise): points are rows, so multiply them by "
                "the transpose of the rotation matrix"
            )
        if np.allclose(values, points @ _rotation(np.rad2deg(degrees)).T, rtol=1e-4, atol=1e-4):
            raise Fail(f"{call_text} treats the angle as radians; convert degrees to radians first")
        raise Fail(
            f"{call_text} gives other points than a rotation by {degrees:g} degrees anticlockwise about the origin"
        )


# q8 -- a matrix product with loops ---------------------------------------------------------------


def _draw_products(rng) -> dict:
    """Three products (a, b) @ (b, c) with different sizes (one a row times a matrix, one a
    matrix times a column), and one pair whose inner sizes differ."""
    shapes = [(1, int(rng.integers(2, 5)), int(rng.integers(2, 5)))]
    shapes.append((int(rng.integers(2, 5)), int(rng.integers(2, 5)), 1))
    a, b, c = (int(n) for n in rng.permutation(np.arange(2, 7))[:3])
    shapes.append((a, b, c))
    cases = {}
    for i, (a, b, c) in enumerate(shapes):
        cases[f"x{i}"] = rng.integers(-5, 6, size=(a, b)).astype("float64")
        cases[f"y{i}"] = rng.integers(-5, 6, size=(b, c)).astype("float64")
    b, other = (int(n) for n in rng.permutation(np.arange(2, 6))[:2])
    cases["x_bad"] = rng.integers(-5, 6, size=(2, b)).astype("float64")
    cases["y_bad"] = rng.integers(-5, 6, size=(other, 3)).astype("float64")
    return cases


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


def _judge_naive_matmul(d, inputs):
    if len(d["results"]) != 3:
        raise Fail("naive_matmul was not run on every probe")
    for i, got in enumerate(d["results"]):
        x, y = inputs[f"x{i}"], inputs[f"y{i}"]
        want = x @ y
        name = f"naive_matmul(x of shape {x.shape}, y of shape {y.shape})"
        if got.shape == want.T.shape != want.shape and np.allclose(got, want.T):
            raise Fail(f"{name} is transposed: row i of the result comes from row i of x")
        expect_shape(name, got.shape, want.shape)
        if not np.allclose(got, want, atol=1e-6):
            raise Fail(f"{name} is off: entry (i, j) is the dot product of row i of x and column j of y")
    if d.get("raised") is None:
        x, y = inputs["x_bad"], inputs["y_bad"]
        raise Fail(
            f"naive_matmul accepted x of shape {x.shape} and y of shape {y.shape}; their inner sizes "
            f"({x.shape[1]} and {y.shape[0]}) differ, so it should raise a ValueError"
        )


LAB = Lab(
    "01",
    "Tensors",
    [
        Question(
            "q1",
            "A 2x3 matrix",
            1,
            ["matrix"],
            lambda m: _facts(m, "matrix"),
            _judge_matrix,
            hints=[
                "tf.constant takes a nested Python list: one inner list per row.",
                "Ask for the dtype with dtype=tf.float32 (or write 1.0 instead of 1).",
            ],
        ),
        Question(
            "q2",
            "A 4-d batch of images",
            1,
            ["images"],
            _extract_images,
            _judge_images,
            hints=[
                "Name the axes in order: how many images, height, width, colour channels.",
                "tf.zeros takes the shape as a list.",
            ],
        ),
        Question(
            "q3",
            "Slicing",
            1,
            ["corner"],
            lambda t: _facts(t, "corner"),
            _judge_slice,
            hints=[
                "Slices are start:stop, with stop excluded; one slice per axis, separated by a comma.",
                "Leave out stop to go to the end of an axis.",
            ],
        ),
        Question(
            "q4",
            "Updating a variable",
            1,
            ["weights"],
            _extract_variable,
            _judge_variable,
            draw=_draw_weights,
            hand=_hand_weights,
            hints=[
                "Tensors can't be changed in place, but a tf.Variable can.",
                "A variable's assign_add method adds to every element at once.",
            ],
        ),
        Question(
            "q5",
            "Broadcasting and the dot product",
            2,
            ["scores"],
            _extract_scores,
            _judge_scores,
            draw=_draw_layer,
            hand=_hand_layer,
            hints=[
                "x has one row per example; W maps 3 features to 2 outputs.",
                "Multiply x by W with a matrix product first, then add b: broadcasting adds it to every row.",
            ],
        ),
        Question(
            "q6",
            "Reshape and transpose",
            1,
            ["flat", "columns"],
            _extract_flat,
            _judge_flat,
            draw=_draw_pictures,
            hand=_hand_pictures,
            hints=[
                "tf.reshape keeps the order of the elements; -1 lets TensorFlow work out one axis.",
                "tf.transpose swaps the two axes of a matrix.",
            ],
        ),
        Question(
            "q7",
            "Rotating points",
            2,
            ["rotate"],
            _extract_rotate,
            _judge_rotate,
            draw=_draw_rotations,
            hints=[
                "Build the 2x2 rotation matrix from cos and sin of the angle in radians.",
                "Points are rows, so each row p becomes p times the transpose of the rotation matrix.",
            ],
        ),
        Question(
            "q8",
            "A matrix product with loops",
            2,
            ["naive_matmul"],
            _extract_naive_matmul,
            _judge_naive_matmul,
            draw=_draw_products,
            hints=[
                "The result has x's rows and y's columns; fill it with np.zeros first.",
                "Entry (i, j) sums x[i, k] * y[k, j] over k: three nested loops, or two and a dot product.",
                "Compare x.shape[1] with y.shape[0] before the loops.",
            ],
        ),
    ],
)
