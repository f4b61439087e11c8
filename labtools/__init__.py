"""labtools: checks, data and helpers for the tf-labs TensorFlow/Keras lab notebooks.

``import labtools`` is light: TensorFlow is imported only when a lab starts or a helper that
needs it is used.  MIT 6.S191 Lab 1 names (``load_training_data``, ``play_song``,
``test_batch_func_types`` ...) are available here too, so MIT-style code runs unchanged.
"""

from __future__ import annotations

import importlib

from .checking import Status, Verdict
from .runtime import fast_mode, needs, pick, seed_everything, start_lab

__version__ = "0.1.0"

# Names served lazily from submodules: name -> module.  Keeps `import labtools` fast.
_LAZY = {
    # MIT 6.S191 Lab 1 compatibility (labtools/mit.py)
    "load_training_data": "labtools.mit",
    "extract_song_snippet": "labtools.mit",
    "play_song": "labtools.mit",
    "play_generated_song": "labtools.mit",
    "save_song_to_abc": "labtools.mit",
    "test_batch_func_types": "labtools.mit",
    "test_batch_func_shapes": "labtools.mit",
    "test_batch_func_next_step": "labtools.mit",
    "test_custom_dense_layer_output": "labtools.mit",
    "PeriodicPlotter": "labtools.mit",
    "LossHistory": "labtools.mit",
    # data sets shipped in the package (labtools/datasets.py)
    "load_mnist": "labtools.datasets",
    # training feedback (labtools/training.py; imports Keras)
    "TrainingProgress": "labtools.training",
    "plot_history": "labtools.training",
}


# mitdeeplearning's submodules, real modules here (labtools/lab1.py, labtools/util.py): MIT code
# says `mdl.lab1.play_song(...)`, `from mitdeeplearning.util import PeriodicPlotter`.
_MIT_SUBMODULES = ("lab1", "util")


def __getattr__(name: str):
    if name in _MIT_SUBMODULES:
        return importlib.import_module(f"labtools.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'labtools' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + list(_LAZY) + list(_MIT_SUBMODULES))


def progress():
    """Show which questions of the current lab have passed so far."""
    from .checking import show
    from .kernel.grading import grading

    if grading():  # a grading kernel: the grader reports progress
        return
    from .labs import current

    if current is None:
        print("No lab started yet: run the Setup cell at the top of the notebook first.")
        return
    show(current.progress())


__all__ = [
    "Status",
    "Verdict",
    "fast_mode",
    "needs",
    "pick",
    "progress",
    "seed_everything",
    "start_lab",
    *_LAZY,
]
