"""Data sets shipped inside labtools, so every lab runs offline.

``load_mnist()`` gives the full 60,000/10,000 MNIST split when Keras has it cached or can fetch
it quickly; otherwise (no internet, fast mode) it falls back to the bundled first 10,000
training images, split 8,000 / 2,000, and says so in one line.

``load_mnist(hold_out=True)`` leaves out the last 1,000 of those images (from the subset's test
part and, as they are also official training images 9,000 to 9,999, from the full training
set). Labs check a trained model on them (:func:`mnist_held_out`): images the notebook never
loaded, so training on the notebook's test set does not help. They live in a file of their own
(``mnist_held_out.npz``, the first 9,000 in ``mnist_train_first9k.npz``), which the grader hides
from the kernels it grades (:data:`labtools.grading.sandbox.HIDDEN_FROM_KERNEL`): a notebook
being graded cannot read their labels, and ``load_mnist(hold_out=True)`` never needs them.
"""

from __future__ import annotations

import socket
import threading
from importlib import resources
from pathlib import Path

import numpy as np

from .kernel.settings import keras_mnist_cache
from .runtime import fast_mode

MNIST_FILE = "mnist_train_first9k.npz"  # official training images 0 to 8,999
HELD_OUT_FILE = "mnist_held_out.npz"  # official training images 9,000 to 9,999
MNIST_HOST = ("storage.googleapis.com", 443)  # where keras.datasets.mnist downloads from
SUBSET_TRAIN = 8000
HELD_OUT = 1000  # the images of HELD_OUT_FILE: never returned by load_mnist(hold_out=True)


def data_path(name: str) -> Path:
    """Path of a data file shipped in ``labtools/data``."""
    path = Path(str(resources.files("labtools") / "data" / name))
    if not path.exists():
        raise FileNotFoundError(
            f"labtools data file {name} is missing from {path.parent}; "
            "reinstall labtools (pip install -e .) to restore it"
        )
    return path


def _bundled():
    """The first 9,000 bundled images and labels (never the held-out ones)."""
    with np.load(data_path(MNIST_FILE)) as d:
        return d["x_train"], d["y_train"]


def _held_out():
    path = data_path(HELD_OUT_FILE)
    try:
        with np.load(path) as d:
            return d["x_held_out"], d["y_held_out"]
    except (OSError, ValueError, EOFError, KeyError):  # the grader binds an empty file over it
        raise PermissionError(
            f"the held-out MNIST images ({path.name}) cannot be read here: the grader keeps them out of "
            "the notebook's reach; load the data with load_mnist(hold_out=True)"
        ) from None


def load_mnist_subset(hold_out: bool = False):
    """The bundled 10,000 images split 8,000 train / 2,000 test, as Keras' load_data() returns
    (1,000 test images with ``hold_out=True``: the rest are :func:`mnist_held_out`)."""
    x, y = _bundled()
    train, test = (x[:SUBSET_TRAIN], y[:SUBSET_TRAIN]), (x[SUBSET_TRAIN:], y[SUBSET_TRAIN:])
    if hold_out:
        return train, test
    held_x, held_y = _held_out()
    return train, (np.concatenate([test[0], held_x]), np.concatenate([test[1], held_y]))


def mnist_held_out():
    """The images and labels ``load_mnist(hold_out=True)`` never returns, in any setting."""
    return _held_out()


def _without_held_out(data):
    """The full data set minus the held-out images (official training images 9,000 to 9,999)."""
    (x, y), test = data
    first = _bundled()[0]
    start = len(first)
    if len(x) >= start + HELD_OUT and np.array_equal(x[:start], first):  # the official order
        x, y = np.delete(x, np.s_[start : start + HELD_OUT], axis=0), np.delete(y, np.s_[start : start + HELD_OUT])
    return (x, y), test


def _keras_cache() -> Path:
    return keras_mnist_cache()


def _online(timeout: float) -> bool:
    try:
        with socket.create_connection(MNIST_HOST, timeout=timeout):
            return True
    except OSError:
        return False


def _keras_load(timeout: float):
    """keras.datasets.mnist.load_data() in a thread we stop waiting for after ``timeout``."""
    result: dict = {}

    def work():
        try:
            import keras

            result["data"] = keras.datasets.mnist.load_data()
        except Exception as exc:  # noqa: BLE001 - network errors, a corrupt download, ...
            result["error"] = exc

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(timeout)
    return result.get("data")


def load_mnist(
    source: str = "auto",
    *,
    connect_timeout: float = 2.0,
    download_timeout: float = 120.0,
    verbose: bool = True,
    hold_out: bool = False,
):
    """MNIST as ``(x_train, y_train), (x_test, y_test)`` of uint8 images and labels.

    ``source``: ``"auto"`` (full set if cached or reachable, else the bundled subset; always the
    subset in fast mode), ``"full"`` or ``"subset"``. ``hold_out=True`` leaves out the images of
    :func:`mnist_held_out`, which labs keep back to check a trained model.
    """
    if source not in ("auto", "full", "subset"):
        raise ValueError(f"source must be 'auto', 'full' or 'subset', not {source!r}")
    use_full = source == "full" or (source == "auto" and not fast_mode())
    data, why = None, "fast mode" if source == "auto" and fast_mode() else "asked for"
    if use_full:
        if _keras_cache().exists() or _online(connect_timeout):
            data = _keras_load(download_timeout)
            why = "the download failed or took too long"
        else:
            why = "no internet connection"
    if data is not None:
        if hold_out:
            data = _without_held_out(data)
        if verbose:
            print(
                f"MNIST: full data set, {len(data[0][0]):,} training and {len(data[1][0]):,} test images"
                + (f" ({HELD_OUT:,} held out for the checks)." if hold_out else ".")
            )
        return data
    data = load_mnist_subset(hold_out)
    if verbose:
        print(
            f"MNIST: using the bundled subset ({why}): the first 10,000 training images, split "
            f"{len(data[0][0]):,} train / {len(data[1][0]):,} test"
            + (f" / {HELD_OUT:,} held out for the checks." if hold_out else ".")
        )
    return data
