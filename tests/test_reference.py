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
