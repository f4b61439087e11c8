"""A judge's FAIL hint reduced to its mistake, so a class's hints can be counted.

Two students who made the same mistake get hints that differ only in what was drawn for them or
what they wrote: numbers (``at x = -2.27 your derivative ... comes out as -4.54``), shapes
(``has shape (2,)``), quoted values and names in backticks, the case a hint is about
(``... before the update (the Adam step)``) and the text of the exception their code raised.
:func:`category` removes exactly those and keeps the judge's words, so the same mistake lands in
one category and two different mistakes in two.
"""

from __future__ import annotations

import keyword
import re

NUMBER = "#"
VALUE = "…"

# an exception from the student's code: "{name} raised ValueError: its message" (kernel/errors.py)
_RAISED = re.compile(r"\b(raised [A-Za-z_][\w.]*):.*$")
_BACKTICKED = re.compile(r"`([^`]*)`")
_QUOTED = re.compile(r"(?<![\w'])'[^'\n]*'(?![\w'])|\"[^\"\n]*\"")
# a number standing on its own: not the 0 of x0, the 32 of float32 or the 2 of m/s²
_NUMBER = re.compile(r"(?<![\w.#])[-+−]?(?:\d+(?:[.,]\d+)*|\.\d+)(?:[eE][-+]?\d+)?(?![\w#])")
# "1 unit" counted as "3 units" (a noun after a count of one, maybe after a capitalised name)
_ONE = re.compile(r"(?<![\w.#])1 ((?:[A-Z]\w* )?)([a-z]+)\b")
_NOT_NOUNS = frozenset(
    "a an and are as at by did does for from gave gives had has in into is of on or than the then to was were with"
    " x".split()
)
# a shape or a tuple of values once its numbers are gone: (#, #), [#,#], (None, #), (#,)
_SHAPE = re.compile(r"[(\[]\s*(?:#|None|…)(?:\s*,\s*(?:#|None|…))*\s*,?\s*[)\]]")
_SHAPES = re.compile(r"\(…\)(?:, \(…\))+")  # "weights of shapes (…), (…)": however many there are
# the case a hint names in parentheses: (the Adam step), (the kernel of layer #)
_CASE = re.compile(r"\s*\(the [\w#' -]{1,60}\)")
_SPACES = re.compile(r"\s+")


def _backticked(match: re.Match) -> str:
    word = match.group(1)
    return match.group(0) if keyword.iskeyword(word) else f"`{VALUE}`"  # `with` block is the judge's word


def _plural(match: re.Match) -> str:
    name, word = match.group(1), match.group(2)
    if word in _NOT_NOUNS or word.endswith("s"):
        return match.group(0)
    return f"1 {name}{word}s"


def category(message: str) -> str:
    """The mistake a FAIL message names: the message without what varies between students."""
    text = _SPACES.sub(" ", str(message)).strip()
    text = _RAISED.sub(r"\1", text)
    text = _BACKTICKED.sub(_backticked, text)
    text = _QUOTED.sub(VALUE, text)
    text = _ONE.sub(_plural, text)
    text = _NUMBER.sub(NUMBER, text)
    text = _SHAPE.sub(f"({VALUE})", text)
    text = _SHAPES.sub(f"({VALUE})", text)
    text = _CASE.sub("", text)
    text = text.rstrip(" .;:")
    return text or "(no message)"
