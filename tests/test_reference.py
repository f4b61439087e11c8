"""The judges' NumPy reference maths (labtools/reference.py) against Keras, on seeded draws."""

from __future__ import annotations

import numpy as np
import pytest

from labtools import reference

keras = pytest.importorskip("keras")


@pytest.fixture
def z():
    return np.random.default_rng(7).normal(scale=3.0, size=(5, 7)).astype("float32")


@pytest.mark.parametrize(
    "name, ours, theirs",
    [
        ("sigmoid", reference.sigmoid, keras.activations.sigmoid),
        ("relu", reference.relu, keras.activations.relu),
        ("softmax", reference.softmax, keras.activations.softmax),
        ("log_softmax", reference.log_softmax, keras.activations.log_softmax),
        ("tanh", reference.ACTIVATIONS["tanh"], keras.activations.tanh),
    ],
)
def test_an_activation_matches_keras(z, name, ours, theirs):
    np.testing.assert_allclose(ours(z), np.asarray(theirs(z)), rtol=1e-5, atol=1e-6, err_msg=name)


def test_the_activation_table_names_what_it_computes(z):
    for name, fn in reference.ACTIVATIONS.items():
        want = z if name == "linear" else np.asarray(keras.activations.get(name)(z))
        np.testing.assert_allclose(fn(z), want, rtol=1e-5, atol=1e-6, err_msg=name)


def test_cross_entropy_matches_keras(z):
    p = reference.softmax(z)
    y = np.random.default_rng(8).integers(0, z.shape[1], size=z.shape[0])
    theirs = float(np.mean(keras.losses.sparse_categorical_crossentropy(y, p.astype("float32"))))
    assert reference.cross_entropy(p, y) == pytest.approx(theirs, rel=1e-5)


def test_the_lstm_matches_keras():
    rng = np.random.default_rng(9)
    features, units = 3, 5
    inputs = rng.normal(size=(2, 6, features)).astype("float32")
    layer = keras.layers.LSTM(units, return_sequences=True)
    layer.build(inputs.shape)
    kernel, recurrent, bias = (w.astype("float64") for w in layer.get_weights())
    bias = bias + rng.normal(size=bias.shape)  # Keras starts the bias at zeros (forget gate 1): move it
    layer.set_weights([kernel, recurrent, bias])
    theirs = np.asarray(layer(inputs))
    ours = reference.lstm_sequence(inputs, kernel, recurrent, bias)
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
    one_step = reference.lstm_step(inputs[0, 0], (np.zeros(units), np.zeros(units)), kernel, recurrent, bias)
    np.testing.assert_allclose(one_step[0], theirs[0, 0], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", sorted(reference.FIRST_STEPS))
def test_the_first_step_of_an_optimiser_matches_keras(name):
    rng = np.random.default_rng(10)
    start = rng.normal(size=(4, 3)).astype("float32")
    grad = rng.normal(size=(4, 3)).astype("float32")
    lr = 0.05
    variable = keras.Variable(start)
    optimizer = getattr(keras.optimizers, name)(learning_rate=lr)
    optimizer.apply_gradients([(keras.ops.convert_to_tensor(grad), variable)])
    ours = reference.FIRST_STEPS[name](start.astype("float64"), grad.astype("float64"), lr)
    np.testing.assert_allclose(ours, np.asarray(variable), rtol=1e-5, atol=1e-6)
    assert not np.allclose(ours, start, atol=1e-3), "the step must move the weight for the test to mean anything"
