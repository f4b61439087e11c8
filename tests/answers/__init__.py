"""Answer sets: for every question, answers real students write, each with the verdict it deserves.

A lab's set lives in ``labNN.py`` as ``CASES = {"q1": [right(...), wrong(...), untouched(...)]}``.
``make`` builds the answer(s): it takes no argument, or, for a question that hands inputs to
the notebook (``x, W, b = lab.q5.inputs()``), the values handed out. It returns the single
answer, or a tuple when the check takes several.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Case:
    name: str
    make: Callable[..., Any]
    expect: str  # "PASS", "FAIL" or "NOT ATTEMPTED"
    says: str = ""  # a FAIL's message must contain this (case-insensitive)


def right(name: str, make: Callable[..., Any]) -> Case:
    return Case(name, make, "PASS")


def wrong(name: str, make: Callable[..., Any], says: str = "") -> Case:
    return Case(name, make, "FAIL", says)


def untouched(make: Callable[..., Any], name: str = "untouched # TODO") -> Case:
    return Case(name, make, "NOT ATTEMPTED")
