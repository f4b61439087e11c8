"""NumPy reference maths the judges compute expected values with (judge side).

One definition of each function; ``tests/test_reference.py`` checks each against Keras.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype="float64")))


def relu(z):
    return np.maximum(np.asarray(z, dtype="float64"), 0.0)


def softmax(z, axis: int = -1):
    z = np.asarray(z, dtype="float64")
    e = np.exp(z - z.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def log_softmax(z, axis: int = -1):
    z = np.asarray(z, dtype="float64")
    shifted = z - z.max(axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis, keepdims=True))


def cross_entropy(p, y):
    """Mean of -log p[y] over a batch: ``p`` probabilities (batch..., classes), ``y`` ids."""
    p = np.asarray(p, dtype="float64")
    y = np.asarray(y).astype(int)
    picked = np.take_along_axis(p, y[..., None], axis=-1)[..., 0]
    return float(np.mean(-np.log(np.clip(picked, 1e-12, None))))


ACTIVATIONS: dict[str, Callable[[Any], Any]] = {
    "linear": lambda z: np.asarray(z, dtype="float64"),
    "relu": relu,
    "sigmoid": sigmoid,
    "tanh": lambda z: np.tanh(np.asarray(z, dtype="float64")),
    "softmax": softmax,
}
