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


# -- the LSTM of lab 07 ----------------------------------------------------------------------------


def lstm_step(inputs, state, kernel, recurrent_kernel, bias):
    """One step of Keras' LSTM cell (gate order i, f, c, o): ``inputs`` (..., features) and
    ``state`` = (hidden, cell), each (..., units); returns the new (hidden, cell)."""
    hidden, cell = state
    gates = np.asarray(inputs, dtype="float64") @ kernel + hidden @ recurrent_kernel + bias
    input_gate, forget_gate, candidate, output_gate = np.split(gates, 4, axis=-1)
    cell = sigmoid(forget_gate) * cell + sigmoid(input_gate) * np.tanh(candidate)
    return sigmoid(output_gate) * np.tanh(cell), cell


def lstm_sequence(inputs, kernel, recurrent_kernel, bias):
    """``LSTM(return_sequences=True)`` from a zero state: ``inputs`` (batch, steps, features) to
    the hidden state after each step, (batch, steps, units)."""
    inputs = np.asarray(inputs, dtype="float64")
    units = np.shape(recurrent_kernel)[0]
    state = (np.zeros((inputs.shape[0], units)), np.zeros((inputs.shape[0], units)))
    outputs = []
    for step in range(inputs.shape[1]):
        state = lstm_step(inputs[:, step], state, kernel, recurrent_kernel, bias)
        outputs.append(state[0])
    return np.stack(outputs, axis=1)


# -- the first step of Keras' optimisers, from fresh slots -----------------------------------------

RMSPROP = {"rho": 0.9, "epsilon": 1e-7}  # Keras' defaults
ADAM = {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}  # Keras' defaults


def sgd_step(weight, grad, lr: float):
    """``keras.optimizers.SGD(lr)`` (no momentum): w - lr g."""
    return weight - lr * grad


def rmsprop_first_step(weight, grad, lr: float):
    """Keras' first RMSprop step: velocity = (1 - rho) g², w - lr g / sqrt(velocity + epsilon)."""
    return weight - lr * grad / np.sqrt((1 - RMSPROP["rho"]) * grad * grad + RMSPROP["epsilon"])


def adam_first_step(weight, grad, lr: float, grad_squared=None):
    """Keras' first Adam step: m = (1 - b1) g, v = (1 - b2) g2, where g2 is g² for a dense
    gradient (for tf.IndexedSlices, Keras adds up the squares of the slices: pass their sum)."""
    beta_1, beta_2, epsilon = ADAM["beta_1"], ADAM["beta_2"], ADAM["epsilon"]
    grad_squared = grad * grad if grad_squared is None else grad_squared
    alpha = lr * np.sqrt(1 - beta_2) / (1 - beta_1)
    return weight - alpha * (1 - beta_1) * grad / (np.sqrt((1 - beta_2) * grad_squared) + epsilon)


FIRST_STEPS: dict[str, Callable[..., Any]] = {
    "SGD": sgd_step,
    "RMSprop": rmsprop_first_step,
    "Adam": adam_first_step,
}
"""By the name of its Keras class, each optimiser's first step on one weight: (weight, grad, lr)."""
