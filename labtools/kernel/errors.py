"""The outcomes a check can raise, and turning a student's exception into one line.

``Fail`` carries a hint the student can act on; ``NotAttempted`` says the ``# TODO`` is still
there. Both sides raise them: the kernel side while it runs the student's code, the judge side
while it judges the data.
"""

from __future__ import annotations

import re
from typing import Any


class Fail(Exception):
    """Raised by a judge (or an extract) with a hint the student can act on."""


class NotAttempted(Exception):
    """Raised when an answer is still the ``# TODO`` placeholder."""


def is_placeholder(value: Any) -> bool:
    """True for the values a generated student notebook starts with (``None`` or ``...``)."""
    return value is None or value is Ellipsis


def does_nothing(fn: Any) -> bool:
    """True for a function whose body is still the ``...  # TODO`` placeholder.

    It uses no names, no local variables and no constants but ``None`` and ``...``, so a
    function that does *something* and returns ``None`` by mistake is not mistaken for it.
    """
    code = getattr(fn, "__code__", None)
    if code is None:
        return False
    n_args = code.co_argcount + code.co_kwonlyargcount + bool(code.co_flags & 0x04) + bool(code.co_flags & 0x08)
    return not code.co_names and code.co_nlocals == n_args and all(c is None or c is Ellipsis for c in code.co_consts)


_TF_NOISE = [
    re.compile(r"\{\{function_node [^}]*\}\}\s*"),  # {{function_node __wrapped__MatMul_device_/job:...}}
    re.compile(r"\s*\[Op:[A-Za-z0-9_]+\](\s*name:.*)?$"),  # [Op:MatMul] name:
    re.compile(r"^Exception encountered when calling [^:]*:\s*"),
]
MESSAGE_MAX = 90  # characters of an error message a hint quotes: the whole hint stays under 160


def clean_message(text: str) -> str:
    """The one line of an error message a student can act on (TensorFlow's and Keras' wrappers
    removed: ``{{function_node ...}}``, ``[Op:MatMul]``, "Exception encountered when calling ...")."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(text))  # Keras prints names in bold
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    lines = [
        line for line in lines if not line.startswith(("Arguments received by", "\u2022", "Call arguments received"))
    ]
    first = ""
    for line in lines:
        for pattern in _TF_NOISE:
            line = pattern.sub("", line).strip()
        if line and not line.startswith("Exception encountered when calling"):
            first = line
            break
    if len(first) > MESSAGE_MAX:
        first = first[: MESSAGE_MAX - 3] + "..."
    return first


def one_line(exc: BaseException) -> str:
    """``"ValueError: the first line"``: a student's exception as it goes into a hint."""
    first = clean_message(str(exc))
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def raised(name: str, exc: BaseException) -> Fail:
    """The one FAIL for "the student's code raised": ``{name} raised ValueError: ...``.

    Every place that runs the student's code turns an exception into this, so the wording is
    one and the same in every lab."""
    return Fail(f"{name} raised {one_line(exc)}")
