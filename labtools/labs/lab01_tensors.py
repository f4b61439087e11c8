"""Lab 01 - Tensors: questions, points, hints and checks."""
from __future__ import annotations

import numpy as np

from ..checking import Fail, Lab, Question, expect_shape


def _tensor_facts(value) -> dict:
    """Shape, dtype and values of anything tensor-like, as plain data."""
    import tensorflow as tf

    if isinstance(value, tf.Variable):
        value = value.read_value()
    if not tf.is_tensor(value):
        raise Fail(f"expected a tf.Tensor, got {type(value).__name__}; build it with tf.constant or tf.zeros")
    return {"shape": list(value.shape), "dtype": value.dtype.name, "values": np.asarray(value)}


def _extract_images(images):
    return _tensor_facts(images)


def _judge_images(data):
    if len(data["shape"]) != 4:
        raise Fail(f"images has rank {len(data['shape'])}; a batch of colour images has rank 4")
    expect_shape("images", data["shape"], (10, 256, 256, 3))
    if not data["dtype"].startswith("float"):
        raise Fail(f"images has dtype {data['dtype']}; use a floating-point dtype")
    if np.any(np.asarray(data["values"]) != 0):
        raise Fail("images should hold zeros only")


LAB = Lab("01", "Tensors", [
    Question(
        id="q1", title="A 4-d tensor of images", points=1, answers=["images"],
        extract=_extract_images, judge=_judge_images,
        hints=[
            "Think of the axes in order: how many images, height, width, colour channels.",
            "tf.zeros takes the shape as a list.",
        ],
    ),
])
