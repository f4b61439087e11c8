"""What a lab notebook needs at run time: fast mode, seeds, a quiet TensorFlow, and a clean
way to stop a cell whose exercise is not done yet."""

from __future__ import annotations

import os
import random
import sys
from typing import Any

SEED = 42
FAST_ENV = "LABTOOLS_FAST"


def fast_mode() -> bool:
    """True when notebooks should use small data and few steps (CI and the autograder)."""
    return os.environ.get(FAST_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def pick(*, fast: Any, full: Any) -> Any:
    """``EPOCHS = labtools.pick(fast=1, full=5)``: one line that shows both settings."""
    return fast if fast_mode() else full


def import_tensorflow():
    """Import TensorFlow with its start-up log lines silenced and return the module.

    ``TF_CPP_MIN_LOG_LEVEL`` hides most C++ logging, but a few lines are written before
    TensorFlow reads it; those go to file descriptor 2, which we point at /dev/null for the
    duration of the import only.
    """
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        saved = os.dup(2)
    except OSError:  # no real stderr (some embedded consoles): import as is
        import tensorflow as tf

        return tf
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        sys.stderr.flush()
        os.dup2(devnull, 2)
        import tensorflow as tf  # isort: skip  (TensorFlow first, then Keras: the order this always had)
        import keras  # noqa: F401  (its import logs too)
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return tf


def seed_everything(seed: int = SEED) -> None:
    """Seed Python, NumPy and TensorFlow in one call (via ``keras.utils.set_random_seed``)."""
    random.seed(seed)
    try:
        import numpy as np

        np.random.seed(seed)
    except ImportError:  # pragma: no cover
        pass
    import_tensorflow()
    import keras

    keras.utils.set_random_seed(seed)


class NotReady(Exception):
    """Raised by :func:`needs` to stop a cell that depends on an unfinished exercise."""


def needs(*values: Any, exercise: str) -> None:
    """Stop this cell with one line (no traceback) if an exercise it depends on is unfinished.

    ``labtools.needs(model, exercise="Exercise 4")`` at the top of a cell that trains
    ``model``.
    """
    from .checking import does_nothing, is_placeholder

    if any(is_placeholder(v) or does_nothing(v) for v in values):
        raise NotReady(f"This cell needs {exercise}: finish it above, then run this cell again.")


def _show_not_ready(shell, etype, evalue, tb, tb_offset=None):
    print(f"\u23f8 {evalue}")
    return None


def install_notebook_hooks() -> None:
    """Show NotReady as one line in IPython instead of a traceback."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return
    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((NotReady,), _show_not_ready)


def device_summary() -> str:
    tf = import_tensorflow()
    gpus = tf.config.list_physical_devices("GPU")
    return f"{len(gpus)} GPU(s)" if gpus else "CPU only"


def start_lab(number: str, *, seed: int = SEED, quiet: bool = False):
    """The first line of every lab: quiet TensorFlow, seeds, hooks; returns the lab's questions."""
    from .labs import load_lab

    tf = import_tensorflow()
    import keras

    seed_everything(seed)
    install_notebook_hooks()
    lab = load_lab(number)
    if not quiet:
        mode = "fast mode (small data, few steps)" if fast_mode() else "full settings"
        print(
            f"Lab {lab.number} - {lab.title} | TensorFlow {tf.__version__}, "
            f"Keras {keras.__version__} | {device_summary()} | {mode} | seed {seed}"
        )
    return lab
