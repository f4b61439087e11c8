"""The catalogue of labs: number, file stem and title, in one place.

Each lab's questions, points and checks live in ``labtools/labs/labNN_<slug>.py``, which
defines ``LAB = Lab(number, [Question(...), ...])``; its title is the catalogue's, and its
notebook's first heading reads ``Lab NN · <title>``.  Its notebook source is
``instructor/source/NN_<slug>.py``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from ..checking import Lab


@dataclass(frozen=True)
class LabInfo:
    number: str
    slug: str
    title: str

    @property
    def stem(self) -> str:
        return f"{self.number}_{self.slug}"

    @property
    def module(self) -> str:
        return f"labtools.labs.lab{self.number}_{self.slug}"


CATALOGUE = [
    LabInfo("01", "tensors", "Tensors"),
    LabInfo("02", "computation", "Computations and graphs"),
    LabInfo("03", "layers", "Layers"),
    LabInfo("04", "subclassing", "Models by subclassing"),
    LabInfo("05", "autodiff", "Automatic differentiation"),
    LabInfo("06", "mnist", "A first neural network: handwritten digits"),
    LabInfo("07", "rnn_music", "Music generation with an LSTM"),
]

_BY_NUMBER = {info.number: info for info in CATALOGUE}
_loaded: dict[str, Lab] = {}
current: Lab | None = None


def info(number: str | int) -> LabInfo:
    key = f"{int(number):02d}" if str(number).isdigit() else str(number)
    if key not in _BY_NUMBER:
        known = ", ".join(_BY_NUMBER)
        raise KeyError(f"there is no lab {number!r}; the labs are {known}")
    return _BY_NUMBER[key]


def load_lab(number: str | int) -> Lab:
    """The lab's questions (one shared object per process, so progress accumulates)."""
    global current
    lab_info = info(number)
    if lab_info.number not in _loaded:
        module = importlib.import_module(lab_info.module)
        _loaded[lab_info.number] = module.LAB
    current = _loaded[lab_info.number]
    return current
