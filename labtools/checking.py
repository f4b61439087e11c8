"""The check-your-answer framework, judge side: questions, verdicts and how they are shown.

Each exercise has two halves that live in two places (see :mod:`labtools.kernel`):

* the kernel side, :class:`~labtools.kernel.exercise.Exercise` in ``labtools/kernel/labNN_*.py``:
  the notebook variables it takes, how its inputs reach the notebook (``hand``) and
  ``extract(*answers) -> dict``, which runs where the answer lives (the student's kernel) and
  turns the student's objects into plain data: numbers, strings, lists and NumPy arrays.
* the judge side, :class:`Question` in ``labtools/labs/labNN_*.py``: title, points, hints, the
  inputs it draws and ``judge(data)``, which looks only at that plain data and raises
  :class:`Fail` with a hint when something is wrong. The autograder runs it in its own process
  and the grading sandbox does not carry it, so nothing the student does in their kernel can
  change how it judges.

A judge owns its inputs.  A question with ``draw`` draws fresh random inputs for every check
(``draw(rng) -> dict``; the autograder draws them in its own process from a secret seed).
``extract`` receives a *copy* of them as ``given=`` and runs the student's code on it;
``judge(data, inputs)`` receives the judge's own copy and computes every expected value from
it.  So a table of the checker's inputs, a typed-in constant or an answer that changes the
inputs it was given cannot pass.  When the notebook itself needs the inputs (``scores = x @ W
+ b`` on the lab's ``x, W, b``), ``hand`` turns them into the notebook's values and the lab's
cell gets them with ``x, W, b = lab.q5.inputs()``; the question keeps its own copy.

Three outcomes are possible: PASS, FAIL (with a hint that names what is wrong without giving
the answer) and NOT ATTEMPTED (the ``None  # TODO`` placeholder is still there).  A check never
shows a traceback: any exception raised by the student's code becomes a one-line FAIL.
"""

from __future__ import annotations

import copy
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from .kernel import freshness
from .kernel.errors import Fail, NotAttempted, clean_message, does_nothing, is_placeholder
from .kernel.exercise import Exercise

__all__ = [
    "Status",
    "Verdict",
    "Fail",
    "NotAttempted",
    "Question",
    "Lab",
    "is_placeholder",
    "does_nothing",
    "clean_message",
    "show",
]


class Status(str, Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    NOT_ATTEMPTED = "NOT ATTEMPTED"
    RECORDED = "RECORDED"  # a written answer is there; a person grades it (labtools.written)
    MANUAL = "MANUAL"  # a written answer a person grades, not yet seen by the check or the grader


_STYLE = {
    Status.PASS: ("#1b7f3b", "#e8f5ec", "\u2714"),
    Status.FAIL: ("#b3261e", "#fdecea", "\u2718"),
    Status.NOT_ATTEMPTED: ("#6b6b6b", "#f1f1f1", "\u2026"),
    Status.RECORDED: ("#1f5fa8", "#eaf1fb", "\u270e"),
    Status.MANUAL: ("#1f5fa8", "#eaf1fb", "\u270e"),
}


@dataclass
class Verdict:
    """The result of one check: what a student sees and what the grader records."""

    question: str
    title: str
    status: Status
    message: str = ""
    points: float = 0.0
    max_points: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status is Status.PASS

    def line(self) -> str:
        text = f"{self.question} {self.title}: {self.status.value}"
        return f"{text} - {self.message}" if self.message else text

    def __str__(self) -> str:  # one plain line in a terminal
        return self.line()

    __repr__ = __str__

    def _repr_html_(self) -> str:
        fg, bg, icon = _STYLE[self.status]
        msg = f" &mdash; {html.escape(self.message)}" if self.message else ""
        return (
            f'<div style="border-left:4px solid {fg};background:{bg};padding:6px 10px;'
            f'margin:4px 0;font-family:sans-serif;color:#222">'
            f'<b style="color:{fg}">{icon} {self.status.value}</b> '
            f"<span>{html.escape(self.question)} &middot; {html.escape(self.title)}{msg}</span></div>"
        )

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "title": self.title,
            "status": self.status.value,
            "message": self.message,
            "points": self.points,
            "max_points": self.max_points,
        }


def show(obj: Any) -> None:
    """Display rich HTML in Jupyter and a plain line anywhere else."""
    try:
        from IPython import get_ipython
        from IPython.display import display

        if get_ipython() is not None:
            display(obj)
            return
    except ImportError:  # pragma: no cover - IPython is always installed with Jupyter
        pass
    print(obj)


@dataclass
class Question:
    """One graded exercise of a lab, judge side: the kernel side's :class:`Exercise` (the
    answers it takes, ``extract``, ``hand``) with a title, points, a judge, hints and the
    inputs it draws. Declared with keywords::

        Question(KERNEL["q4"], title="Updating a variable", points=1, judge=judge_variable,
                 draw=draw_weights, hints=["...", "..."])
    """

    exercise: Exercise
    title: str
    points: float
    judge: Callable[..., None]  # judge(data), or judge(data, inputs) for a question with draw
    hints: Sequence[str] = ()
    # the judge's own inputs: ``draw(rng) -> dict`` of NumPy arrays and numbers (see the module doc)
    draw: Callable[[Any], dict] | None = None
    lab: Lab | None = field(default=None, repr=False)
    _hints_shown: int = field(default=0, repr=False)
    _handed: dict | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.draw is not None and not self.exercise.uses_inputs:
            raise ValueError(f"{self.id}: a question that draws inputs needs an extract that takes given=")
        if self.exercise.hand is not None and self.draw is None:
            raise ValueError(f"{self.id}: a question that hands inputs to the notebook must draw them")

    @property
    def id(self) -> str:
        return self.exercise.id

    @property
    def answers(self) -> Sequence[str]:
        return self.exercise.answers

    @property
    def hand(self) -> Callable[[dict], Any] | None:
        return self.exercise.hand

    # -- the judge's inputs -------------------------------------------------------------------
    def fresh_inputs(self, rng: Any = None) -> dict | None:
        """New random inputs for one check (None for a question that needs none)."""
        if self.draw is None:
            return None
        import numpy as np

        return self.draw(rng if rng is not None else np.random.default_rng())

    def use_inputs(self, inputs: dict) -> None:
        """Fix the inputs that :meth:`inputs` hands to the notebook (the grader's secret ones)."""
        self._handed = copy.deepcopy(inputs)

    def inputs(self, rng: Any = None) -> Any:
        """The notebook's values for this exercise; the question keeps its own copy to judge by."""
        if self.hand is None:
            raise TypeError(f"{self.id} hands no inputs to the notebook")
        if self._handed is None:
            drawn = self.fresh_inputs(rng)
            if drawn is None:
                raise TypeError(f"{self.id} hands inputs to the notebook but draws none; give it draw=...")
            self.use_inputs(drawn)
        assert self._handed is not None  # drawn just above, or set by the grader through use_inputs
        return self.hand(copy.deepcopy(self._handed))

    def _reference_inputs(self, rng: Any = None) -> dict | None:
        if self.hand is not None:
            if self._handed is None:
                raise Fail("run the cell above the exercise that makes its inputs, then this check")
            return copy.deepcopy(self._handed)
        return self.fresh_inputs(rng)

    # -- evaluation -------------------------------------------------------------------------
    def collect(self, *answers: Any, given: dict | None = None) -> dict:
        """Run the kernel side's ``extract`` on the student's objects (and a copy of the judge's
        inputs). Raises NotAttempted or Fail."""
        return self.exercise.collect(*answers, given=given)

    def assess(self, data: dict, inputs: dict | None = None) -> Verdict:
        """Judge already-extracted data against the judge's own inputs (the autograder calls this)."""
        try:
            if self.draw is not None:
                if inputs is None:
                    raise Fail("the check's inputs are missing")
                self.judge(data, inputs)
            else:
                self.judge(data)
        except Fail as exc:
            return self.verdict(Status.FAIL, str(exc))
        except NotAttempted as exc:
            return self.verdict(Status.NOT_ATTEMPTED, str(exc))
        except Exception:  # malformed data from the kernel must not crash anything
            return self.verdict(Status.FAIL, "the answer has an unexpected form; check the type the exercise asks for")
        return self.verdict(Status.PASS, "")

    def evaluate(self, *answers: Any, rng: Any = None) -> Verdict:
        """Extract and judge in one go, returning the verdict without showing it. ``rng``: the
        generator the inputs are drawn with (tests seed it; a student's check draws afresh)."""
        try:
            why = freshness.stale(self.answers)
            if why:
                raise Fail(why)
            inputs = self._reference_inputs(rng)
            data = self.collect(*answers, given=copy.deepcopy(inputs))
        except NotAttempted as exc:
            verdict = self.verdict(Status.NOT_ATTEMPTED, str(exc))
        except Fail as exc:
            verdict = self.verdict(Status.FAIL, str(exc))
        else:
            verdict = self.assess(data, inputs)
        if self.lab is not None:
            self.lab.record(verdict)
        return verdict

    def check(self, *answers: Any) -> None:
        """The student's check cell: show PASS / FAIL / NOT ATTEMPTED."""
        show(self.evaluate(*answers))

    def hint(self, level: int | None = None) -> None:
        """Show the next hint (or hint ``level``, counting from 1)."""
        if not self.hints:
            show(f"{self.id}: no hint for this one - re-read the section above.")
            return
        ran_out = False
        if level is None:
            ran_out = self._hints_shown >= len(self.hints)
            self._hints_shown = min(self._hints_shown + 1, len(self.hints))
            level = self._hints_shown
        level = max(1, min(level, len(self.hints)))
        show(_Hint(self.id, level, len(self.hints), self.hints[level - 1], ran_out))

    def verdict(self, status: Status, message: str) -> Verdict:
        """A verdict for this question (points only for PASS)."""
        earned = self.points if status is Status.PASS else 0.0
        return Verdict(self.id, self.title, status, message, earned, self.points)


@dataclass
class _Hint:
    question: str
    level: int
    total: int
    text: str
    ran_out: bool = False

    @property
    def _note(self) -> str:
        return " (no more hints: that was the last one)" if self.ran_out or self.level == self.total else ""

    def __str__(self) -> str:
        return f"Hint {self.level}/{self.total} for {self.question}: {self.text}{self._note}"

    def _repr_html_(self) -> str:
        return (
            '<div style="border-left:4px solid #1f5fa8;background:#eaf1fb;padding:6px 10px;'
            f'font-family:sans-serif;color:#222"><b>Hint {self.level}/{self.total}</b> '
            f"for {html.escape(self.question)}: {html.escape(self.text)}"
            f"<i>{html.escape(self._note)}</i></div>"
        )


class Lab:
    """A lab's questions, reachable as attributes: ``lab.q1.check(answer)``."""

    def __init__(self, number: str, questions: Sequence[Question]):
        self.number = number
        self.questions = {q.id: q for q in questions}
        if len(self.questions) != len(questions):
            raise ValueError(f"lab {number}: duplicate question ids")
        for q in questions:
            q.lab = self
        self.latest: dict[str, Verdict] = {}

    def __getattr__(self, name: str) -> Question:
        questions = self.__dict__.get("questions", {})
        if name in questions:
            return questions[name]
        raise AttributeError(
            f"lab {self.__dict__.get('number', '?')} has no question {name!r}; its questions are {', '.join(questions)}"
        )

    def __dir__(self):
        return list(super().__dir__()) + list(self.questions)

    @property
    def title(self) -> str:
        """The lab's title, from the catalogue (:mod:`labtools.labs`); "Lab NN" for a lab it does not list."""
        from .labs import CATALOGUE

        return next((lab.title for lab in CATALOGUE if lab.number == self.number), f"Lab {self.number}")

    @property
    def max_points(self) -> float:
        return float(sum(q.points for q in self.questions.values()))

    def record(self, verdict: Verdict) -> None:
        self.latest[verdict.question] = verdict

    def progress(self) -> Progress:
        rows = []
        for q in self.questions.values():
            v = self.latest.get(q.id)
            rows.append((q, v.status if v else None))
        return Progress(self, rows)


NOT_CHECKED = "NOT CHECKED"  # progress() for a question whose check cell has not run


@dataclass
class Progress:
    lab: Lab
    rows: list

    @property
    def earned(self) -> float:
        return float(sum(q.points for q, s in self.rows if s is Status.PASS))

    def _label(self, status: Status | None) -> str:
        return status.value if status else NOT_CHECKED

    def _note(self) -> str:
        notes = []
        if any(s is None for _, s in self.rows):
            notes.append(f"{NOT_CHECKED}: its check cell has not run yet.")
        if any(s in (Status.RECORDED, Status.MANUAL) for _, s in self.rows):
            notes.append("RECORDED: a written answer; your instructor grades it, so its points are not counted here.")
        return " ".join(notes)

    def __str__(self) -> str:
        lines = [f"Lab {self.lab.number} {self.lab.title}: {_fmt(self.earned)}/{_fmt(self.lab.max_points)} points"]
        for q, s in self.rows:
            lines.append(f"  {q.id:<4} {q.title:<40} {self._label(s)}")
        if self._note():
            lines.append(self._note())
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        cells = []
        for q, s in self.rows:
            fg, _, icon = _STYLE[s] if s else ("#999", "", "\u2013")
            cells.append(
                f"<tr><td>{html.escape(q.id)}</td><td>{html.escape(q.title)}</td>"
                f"<td>{_fmt(q.points)}</td><td style='color:{fg}'><b>{icon} {self._label(s)}</b></td></tr>"
            )
        note = f"<div style='color:#6b6b6b;font-size:90%'>{html.escape(self._note())}</div>" if self._note() else ""
        return (
            f"<div style='font-family:sans-serif'><b>Lab {self.lab.number} &middot; "
            f"{html.escape(self.lab.title)}</b>: {_fmt(self.earned)} / {_fmt(self.lab.max_points)} points"
            "<table><tr><th>question</th><th>exercise</th><th>points</th><th>status</th></tr>"
            + "".join(cells)
            + "</table>"
            + note
            + "</div>"
        )


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"
