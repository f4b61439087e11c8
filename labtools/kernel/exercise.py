"""One exercise as the kernel sees it: which notebook variables hold the answer, how to hand
the exercise's inputs to the notebook, and how to turn the answer into plain data.

A lab's kernel module (``labtools/kernel/labNN_<slug>.py``) declares its exercises with
:func:`exercises`; the lab's judge module (``labtools/labs/labNN_<slug>.py``) wraps each in a
:class:`~labtools.checking.Question` with its title, points, judge, hints and draw.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import Fail, NotAttempted, is_placeholder, raised


@dataclass(frozen=True)
class Exercise:
    """``answers`` names the notebook variables the check takes, in order: the arguments of
    ``extract(*answers)`` (``extract(*answers, given=inputs)`` for an exercise with inputs).
    ``extract`` runs the student's code and returns plain data; it never judges.
    ``hand(inputs)`` turns the inputs into the notebook's values (``x, W, b = lab.q5.inputs()``).
    ``none_is_an_answer`` names answers whose None is a real (wrong) result, e.g. a gradient the
    tape could not compute: ``extract`` gets them and tells NOT ATTEMPTED from FAIL itself.
    ``written``: a written question (:func:`written`), answered in a Markdown cell that a person
    grades; the kernel side knows only that, never its rubric."""

    id: str
    answers: Sequence[str]
    extract: Callable[..., dict]
    hand: Callable[[dict], Any] | None = None
    none_is_an_answer: Sequence[str] = ()
    written: bool = False

    @property
    def uses_inputs(self) -> bool:
        """``extract`` takes ``given=``: a copy of the inputs the judge drew."""
        return "given" in inspect.signature(self.extract).parameters

    def collect(self, *answers: Any, given: dict | None = None) -> dict:
        """Run ``extract`` on the student's objects (and a copy of the judge's inputs, ``given``).
        Raises NotAttempted or Fail; any other exception of the student's code becomes one line."""
        if len(answers) != len(self.answers):
            names = ", ".join(self.answers)
            raise Fail(f"this check takes {len(self.answers)} argument(s): {names}")
        for name, value in zip(self.answers, answers, strict=True):
            if is_placeholder(value) and name not in self.none_is_an_answer:
                raise NotAttempted(f"`{name}` is still the placeholder; replace the # TODO")
        try:
            if self.uses_inputs:
                if given is None:
                    raise Fail("this check needs its inputs; run it through lab.qN.check(...)")
                return self.extract(*answers, given=given)
            return self.extract(*answers)
        except (Fail, NotAttempted):
            raise
        except Exception as exc:  # the student's code broke: one line, no traceback
            raise raised("running your answer", exc) from None


def _no_code(*answers: Any) -> dict:
    raise NotAttempted("a written answer is read from its Markdown cell, not from code")


def written(qid: str) -> Exercise:
    """A written question's kernel side: no variables, nothing to run (its answer is the text of
    the Markdown cell ``qid-answer``, read by the check and by the grader, never by this side)."""
    return Exercise(qid, answers=(), extract=_no_code, written=True)


def exercises(*declared: Exercise) -> dict[str, Exercise]:
    """A lab's exercises by id (each id once)."""
    table = {e.id: e for e in declared}
    if len(table) != len(declared):
        raise ValueError("duplicate exercise ids")
    return table
