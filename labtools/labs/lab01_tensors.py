"""Lab 01 - Tensors: questions, points, hints and judges (the kernel side of its checks is
:mod:`labtools.kernel.lab01_tensors`).

q1 and q2 have one right value each (a fixed matrix, a block of zeros), so they are judged
against constants; a tf.Tensor or a tf.Variable holding it passes, anything else (a list, a NumPy
array, another dtype) does not. From q3 on the judge owns its inputs (see
:mod:`labtools.checking`): the notebook gets them from ``lab.qN.inputs()`` (or the check runs the
student's function on them) and the judge computes what the answer must be from its own copy.
Each draw stays clear, by a margin, of what the known mistakes give on it.
"""

from __future__ import annotations

import numpy as np

from ..checking import Fail, Lab, NotAttempted, Question
from ..judging import expect_close, expect_shape
from ..kernel.lab01_tensors import EXERCISES as KERNEL
from ..written import Criterion, Written


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


def _judge_images(d):
    _expect_rank("images", d["shape"], 4, "a batch of colour images")
    expect_shape("images", d["shape"], (10, 256, 256, 3))
    _expect_dtype("images", d["dtype"], "float32")
    if d["nonzero"] != 0:
        raise Fail("images has the right shape and dtype but not every element is zero")


# q3 -- slicing the notebook's grid = lab.q3.inputs(): 24 different whole numbers -------------


def _draw_grid(rng) -> dict:
    return {"grid": (10 + rng.permutation(90)[:24]).reshape(4, 6).astype("int32")}


def _judge_slice(d, inputs):
    expected = np.asarray(inputs["grid"])[1:3, 2:]
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
    """Three starting values at least 0.5 from zero (so setting weights to [1, 2, 3] instead of
    adding shows), none within 0.5 of another."""
    while True:
        start = (rng.choice([-1, 1], size=3) * rng.uniform(0.5, 3, size=3)).round(2)
        if np.min(np.abs(np.subtract.outer(start, start))[np.triu_indices(3, 1)]) >= 0.5:
            break
    return {"start": start.astype("float32"), "tag": int(rng.integers(100_000, 1_000_000))}


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


def _layer_mistakes(x, W, b) -> list[np.ndarray]:
    """Wrong scores of the right shape, for the draw to stay clear of."""
    z = x @ W + b
    return [z - b, x @ W - b, x @ W + b[0], x @ W + b[1], x @ W + b.mean(), np.maximum(z, 0), np.abs(z)]


def _draw_layer(rng) -> dict:
    """x, W and b with every bias at least 0.5 from zero and from the other, and scores on both
    sides of zero: a missing, subtracted or shared bias, or an activation, changes the scores."""
    while True:
        x = rng.normal(size=(4, 3)).round(2)
        W = rng.normal(size=(3, 2)).round(2)
        b = (rng.choice([-1, 1], size=2) * rng.uniform(0.5, 2, size=2)).round(2)
        if abs(b[0] - b[1]) < 0.5:
            continue
        x, W, b = (a.astype("float32") for a in (x, W, b))
        z = x.astype("float64") @ W.astype("float64") + b.astype("float64")
        if all(np.max(np.abs(m - z)) >= 0.5 for m in _layer_mistakes(*(a.astype("float64") for a in (x, W, b)))):
            return {"x": x, "W": W, "b": b}


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
# 180 degrees, each with its own number of points, none near a multiple of 90 degrees, each far
# from what the known mistakes give (clockwise, degrees taken as radians, half or double the angle).


def _draw_rotations(rng) -> dict:
    while True:
        counts = [int(rng.integers(2, 5)), int(rng.integers(5, 8)), int(rng.integers(1, 4))]
        angles = [round(float(a), 1) for a in (rng.uniform(10, 80), -rng.uniform(100, 170), rng.uniform(190, 260))]
        points = [rng.uniform(-4, 4, size=(n, 2)).round(2).astype("float32") for n in counts]
        if all(_rotation_is_clear(p.astype("float64"), a) for p, a in zip(points, angles, strict=True)):
            return {"angles": angles, "points": points}


def _rotation_is_clear(points: np.ndarray, degrees: float) -> bool:
    if np.min(np.linalg.norm(points, axis=1)) < 0.5:  # a point at the origin stays put under any rotation
        return False
    want = points @ _rotation(degrees).T
    mistakes = [
        points @ _rotation(degrees),
        points @ _rotation(np.rad2deg(degrees)).T,
        points @ _rotation(degrees / 2).T,
        points @ _rotation(2 * degrees).T,
        points,
    ]
    return all(np.max(np.abs(m - want)) >= 0.2 for m in mistakes)


def _rotation(degrees: float) -> np.ndarray:
    t = np.deg2rad(degrees)
    return np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])


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
# Entries are non-zero multiples of 0.25 (exact in float64, whatever the order of the sums), so a
# dropped term, an integer accumulator or a product taken the wrong way round shows by a margin.


def _entries(rng, shape) -> np.ndarray:
    return (rng.choice([-1, 1], size=shape) * rng.integers(2, 21, size=shape) / 4).astype("float64")


def _int_accumulated(x, y) -> np.ndarray:
    """What ``z = np.zeros(..., dtype=int); z[i, j] += x[i, k] * y[k, j]`` gives."""
    z = np.zeros((x.shape[0], y.shape[1]), dtype=np.int64)
    for i in range(x.shape[0]):
        for j in range(y.shape[1]):
            for k in range(x.shape[1]):
                z[i, j] = int(z[i, j] + x[i, k] * y[k, j])
    return z.astype("float64")


def _matmul_mistakes(x, y) -> list[np.ndarray]:
    """Wrong results of a loop product that have the right shape, for the draw to stay clear of."""
    want = x @ y
    return [
        want - np.outer(x[:, -1], y[-1]),  # the last k left out
        want - np.outer(x[:, 0], y[0]),  # the first k left out
        _int_accumulated(x, y),  # an integer result array
        np.trunc(want),
        np.abs(want),
    ]


def _draw_products(rng) -> dict:
    """Three products (a, b) @ (b, c) of different sizes (a row times a matrix, a matrix times a
    column, three different sizes), each clear of the known wrong results, and four pairs whose
    inner sizes differ: smaller, larger, and 1 on either side (where NumPy would broadcast)."""
    cases: dict = {}
    two, three, four, five = (int(n) for n in rng.integers(2, 5, size=4))
    sizes = [(1, two, three), (four, five, 1), tuple(int(n) for n in rng.permutation(np.arange(2, 7))[:3])]
    for i, (a, b, c) in enumerate(sizes):
        while True:
            x, y = _entries(rng, (a, b)), _entries(rng, (b, c))
            want = x @ y
            if all(np.max(np.abs(m - want)) >= 0.25 for m in _matmul_mistakes(x, y)):
                break
        cases[f"x{i}"], cases[f"y{i}"] = x, y
    small, large = (int(n) for n in np.sort(rng.permutation(np.arange(2, 6))[:2]))
    inner = [(small, large), (large, small), (1, int(rng.integers(2, 5))), (int(rng.integers(2, 5)), 1)]
    cases["bad_x"] = [_entries(rng, (int(rng.integers(2, 4)), p)) for p, _ in inner]
    cases["bad_y"] = [_entries(rng, (q, int(rng.integers(2, 4)))) for _, q in inner]
    return cases


def _judge_naive_matmul(d, inputs):
    if d["library"]:
        raise Fail(
            f"naive_matmul computes with {d['library'][0]}; the exercise asks for the product written out "
            "with Python loops"
        )
    if len(d["results"]) != 3:
        raise Fail("naive_matmul was not run on every probe")
    for i, got in enumerate(d["results"]):
        x, y = inputs[f"x{i}"], inputs[f"y{i}"]
        want = x @ y
        name = f"naive_matmul(x of shape {x.shape}, y of shape {y.shape})"
        if got.shape == want.T.shape != want.shape and np.allclose(got, want.T):
            raise Fail(f"{name} is transposed: row i of the result comes from row i of x")
        expect_shape(name, got.shape, want.shape)
        if not np.allclose(got, want, rtol=0, atol=1e-9):
            raise Fail(f"{name} is off: entry (i, j) is the dot product of row i of x and column j of y")
    raised = d["raised"]
    if len(raised) != len(inputs["bad_x"]):
        raise Fail("naive_matmul was not run on every probe")
    for x, y, what in zip(inputs["bad_x"], inputs["bad_y"], raised, strict=True):
        if what is None:
            raise Fail(
                f"naive_matmul accepted x of shape {x.shape} and y of shape {y.shape}; their inner sizes "
                f"({x.shape[1]} and {y.shape[0]}) differ, so it should raise a ValueError"
            )
    for x, y, what in zip(inputs["bad_x"], inputs["bad_y"], raised, strict=True):
        if not what["value_error"]:
            raise Fail(
                f"naive_matmul raised {what['type'][:40]} for x of shape {x.shape} and y of shape {y.shape}; "
                "the exercise asks for a ValueError when the inner sizes differ"
            )


LAB = Lab(
    "01",
    [
        Question(
            KERNEL["q1"],
            title="A 2x3 matrix",
            points=1,
            judge=_judge_matrix,
            hints=[
                "tf.constant takes a nested Python list: one inner list per row.",
                "A list of whole numbers gives int32; see the dtype argument in the docs of tf.constant.",
            ],
        ),
        Question(
            KERNEL["q2"],
            title="A 4-d batch of images",
            points=1,
            judge=_judge_images,
            hints=[
                "Name the axes in order: how many images, height, width, colour channels.",
                "tf.zeros takes the shape as a list.",
            ],
        ),
        Question(
            KERNEL["q3"],
            title="Slicing",
            points=1,
            judge=_judge_slice,
            draw=_draw_grid,
            hints=[
                "Slices are start:stop, with stop excluded; one slice per axis, separated by a comma.",
                "Leave out stop to go to the end of an axis.",
            ],
        ),
        Question(
            KERNEL["q4"],
            title="Updating a variable",
            points=1,
            judge=_judge_variable,
            draw=_draw_weights,
            hints=[
                "Tensors can't be changed in place, but a tf.Variable can.",
                "A variable's assign_add method adds to every element at once.",
            ],
        ),
        Question(
            KERNEL["q5"],
            title="Broadcasting and the dot product",
            points=2,
            judge=_judge_scores,
            draw=_draw_layer,
            hints=[
                "x has one row per example; W maps 3 features to 2 outputs.",
                "Section 6: a matrix product sends every row of x through W (see tf.matmul), and "
                "broadcasting adds one vector to every row.",
            ],
        ),
        Question(
            KERNEL["q6"],
            title="Reshape and transpose",
            points=1,
            judge=_judge_flat,
            draw=_draw_pictures,
            hints=[
                "tf.reshape keeps the order of the elements; -1 lets TensorFlow work out one axis.",
                "tf.transpose swaps the two axes of a matrix.",
            ],
        ),
        Question(
            KERNEL["q7"],
            title="Rotating points",
            points=2,
            judge=_judge_rotate,
            draw=_draw_rotations,
            hints=[
                "Build the 2x2 rotation matrix from cos and sin of the angle in radians.",
                "Points are rows, so each row p becomes p times the transpose of the rotation matrix.",
            ],
        ),
        Question(
            KERNEL["q8"],
            title="A matrix product with loops",
            points=2,
            judge=_judge_naive_matmul,
            draw=_draw_products,
            hints=[
                "The result has x's rows and y's columns; fill it with np.zeros first.",
                "Entry (i, j) sums x[i, k] * y[k, j] over k: three nested loops, or two loops and a sum over k.",
                "The shape rule of section 9 says when the product is defined; when it is not, raise the "
                "exception the exercise names yourself (see Python's raise statement).",
            ],
        ),
        Written(
            KERNEL["q9"],
            title="Rank and shape",
            points=2,
            rubric=[
                Criterion("says rank is the number of axes (1 for a vector, 2 for a matrix)", 1),
                Criterion(
                    "relates the shape to the rank with an example of each, e.g. (3,) and (2, 3), and how elements "
                    "are indexed",
                    1,
                ),
            ],
        ),
    ],
)
