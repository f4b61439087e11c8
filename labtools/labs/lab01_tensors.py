"""Lab 01 - Tensors: questions, points, hints and checks."""
from __future__ import annotations

import numpy as np

from ..checking import Fail, Lab, NotAttempted, Question, expect_close, expect_shape


def tensor_facts(value, name: str) -> dict:
    """Shape, dtype and values of a tensor as plain data (Fail if it is not a tensor)."""
    import tensorflow as tf

    if isinstance(value, tf.Variable):
        value = value.read_value()
    if not tf.is_tensor(value):
        raise Fail(f"{name} is a {type(value).__name__}, not a tf.Tensor; build it with a tf function")
    return {"shape": list(value.shape), "dtype": value.dtype.name, "values": value.numpy()}


def _expect_float(name: str, dtype: str) -> None:
    if not dtype.startswith(("float", "bfloat")):
        raise Fail(f"{name} has dtype {dtype}; the exercise asks for floating-point numbers")


# q1 -- a matrix ---------------------------------------------------------------------------------

def _judge_matrix(d):
    if len(d["shape"]) != 2:
        raise Fail(f"matrix has rank {len(d['shape'])}; a matrix has rank 2 (rows and columns)")
    expect_shape("matrix", d["shape"], (2, 3))
    _expect_float("matrix", d["dtype"])
    expect_close("matrix", d["values"], [[1, 2, 3], [4, 5, 6]])


# q2 -- a batch of images ------------------------------------------------------------------------

def _judge_images(d):
    if len(d["shape"]) != 4:
        raise Fail(f"images has rank {len(d['shape'])}; a batch of colour images has rank 4")
    expect_shape("images", d["shape"], (10, 256, 256, 3))
    _expect_float("images", d["dtype"])
    if np.any(np.asarray(d["values"]) != 0):
        raise Fail("images should hold zeros only")


# q3 -- slicing ----------------------------------------------------------------------------------

def _judge_slice(d):
    grid = np.arange(24).reshape(4, 6)
    expected = grid[1:3, 2:]
    if tuple(d["shape"]) != expected.shape:
        raise Fail(f"corner has shape {tuple(d['shape'])}; two rows and the columns from index 2 "
                   f"on give {expected.shape}")
    if not np.array_equal(np.asarray(d["values"]), expected):
        raise Fail("corner has the right shape but holds other elements: check where each slice starts")


# q4 -- a variable updated in place ------------------------------------------------------------

def _extract_variable(weights):
    import tensorflow as tf

    if not isinstance(weights, tf.Variable):
        raise Fail(f"weights is a {type(weights).__name__}; it must stay a tf.Variable "
                   "(update it with .assign or .assign_add instead of making a new tensor)")
    values = weights.numpy()
    if values.shape == (3,) and np.allclose(values, 1.0):
        raise NotAttempted("weights still holds its starting ones; update it in place")
    return {"values": values, "dtype": weights.dtype.name}


def _judge_variable(d):
    expect_close("weights", d["values"], [2.0, 3.0, 4.0])


# q5 -- a dense layer by hand: broadcasting and a matrix product ---------------------------------

def _extract_scores(scores, x, W, b):
    return {"scores": tensor_facts(scores, "scores"), "x": np.asarray(x), "W": np.asarray(W),
            "b": np.asarray(b)}


def _judge_scores(d):
    expected = d["x"] @ d["W"] + d["b"]
    got = d["scores"]
    if tuple(got["shape"]) != expected.shape:
        raise Fail(f"scores has shape {tuple(got['shape'])} but x @ W + b has shape "
                   f"{expected.shape}: check the order of the product")
    expect_close("scores", got["values"], expected, rtol=1e-4, atol=1e-4)


# q6 -- reshape and transpose --------------------------------------------------------------------

def _extract_flat(flat, columns, pictures):
    return {"flat": tensor_facts(flat, "flat"), "columns": tensor_facts(columns, "columns"),
            "pictures": np.asarray(pictures)}


def _judge_flat(d):
    pics = d["pictures"]
    n = pics.shape[0]
    expect_shape("flat", d["flat"]["shape"], (n, int(np.prod(pics.shape[1:]))))
    if not np.array_equal(d["flat"]["values"], pics.reshape(n, -1)):
        raise Fail("flat has the right shape but the pixels are out of order: reshape, don't transpose")
    expect_shape("columns", d["columns"]["shape"], (int(np.prod(pics.shape[1:])), n))
    if not np.array_equal(d["columns"]["values"], pics.reshape(n, -1).T):
        raise Fail("columns has the right shape but not the right layout: transpose flat")


# q7 -- rotating points --------------------------------------------------------------------------

_ANGLES = [0.0, 90.0, 30.0, -45.0, 180.0]


def _extract_rotate(rotate):
    import tensorflow as tf

    points = tf.constant([[1.0, 0.0], [0.0, 2.0], [-1.5, 0.5]])
    out = []
    for degrees in _ANGLES:
        result = rotate(points, degrees)
        if result is None:
            raise NotAttempted("rotate() still returns None")
        out.append(np.asarray(result, dtype=np.float64))
    return {"points": points.numpy(), "angles": _ANGLES, "results": out}


def _judge_rotate(d):
    for degrees, got in zip(d["angles"], d["results"]):
        t = np.deg2rad(degrees)
        rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
        expected = d["points"] @ rot.T
        if got.shape != expected.shape:
            raise Fail(f"rotate(points, {degrees:g}) has shape {got.shape}; it should keep the "
                       f"shape of points {expected.shape}")
        if not np.allclose(got, expected, atol=1e-4):
            if np.allclose(got, d["points"] @ rot, atol=1e-4):
                raise Fail(f"rotate(points, {degrees:g}) turns the wrong way: points are rows, "
                           "so multiply by the transpose of the rotation matrix")
            raise Fail(f"rotate(points, {degrees:g}) gives other points than a rotation by "
                       f"{degrees:g} degrees anticlockwise (are you using radians?)")


LAB = Lab("01", "Tensors", [
    Question("q1", "A 2x3 matrix", 1, ["matrix"],
             lambda m: tensor_facts(m, "matrix"), _judge_matrix,
             hints=["tf.constant takes a nested Python list: one inner list per row.",
                    "Ask for floating point with dtype=tf.float32 (or write 1.0 instead of 1)."]),
    Question("q2", "A 4-d batch of images", 1, ["images"],
             lambda t: tensor_facts(t, "images"), _judge_images,
             hints=["Name the axes in order: how many images, height, width, colour channels.",
                    "tf.zeros takes the shape as a list."]),
    Question("q3", "Slicing", 1, ["corner"],
             lambda t: tensor_facts(t, "corner"), _judge_slice,
             hints=["Slices are start:stop, with stop excluded; one slice per axis, separated by a comma.",
                    "Leave out stop to go to the end of an axis."]),
    Question("q4", "Updating a variable", 1, ["weights"], _extract_variable, _judge_variable,
             hints=["Tensors can't be changed in place, but a tf.Variable can.",
                    "weights.assign_add(...) adds to every element at once."]),
    Question("q5", "Broadcasting and the dot product", 2, ["scores", "x", "W", "b"],
             _extract_scores, _judge_scores,
             hints=["x has one row per example; W maps 3 features to 2 outputs.",
                    "tf.matmul(x, W) (or x @ W) first, then add b: broadcasting adds it to every row."]),
    Question("q6", "Reshape and transpose", 1, ["flat", "columns", "pictures"],
             _extract_flat, _judge_flat,
             hints=["tf.reshape keeps the order of the elements; -1 lets TensorFlow work out one axis.",
                    "tf.transpose swaps the two axes of a matrix."]),
    Question("q7", "Rotating points", 2, ["rotate"], _extract_rotate, _judge_rotate,
             hints=["Build the 2x2 rotation matrix from cos and sin of the angle in radians.",
                    "Points are rows, so the rotated points are points @ transpose(R)."]),
])
