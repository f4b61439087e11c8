"""The settings a notebook runs with, read the same way by the notebook's helpers and the checks."""

from __future__ import annotations

import os
from pathlib import Path

FAST_ENV = "LABTOOLS_FAST"


def fast_mode() -> bool:
    """True when notebooks should use small data and few steps (CI and the autograder)."""
    return os.environ.get(FAST_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def keras_mnist_cache() -> Path:
    """Where Keras keeps its MNIST download (``keras.datasets.mnist.load_data``)."""
    return Path.home() / ".keras" / "datasets" / "mnist.npz"
