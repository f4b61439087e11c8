"""The check-your-answer framework: questions, verdicts and how they are shown.

A lab module (``labtools/labs/labNN_*.py``) declares its questions with :class:`Question`.
Each question splits its check in two halves so that the same logic serves the student's
check cell and the autograder:

* ``extract(*answers) -> dict`` runs where the answer lives (the student's kernel) and turns
  the student's objects into plain data: numbers, strings, lists and NumPy arrays.  It may
  call the student's code (e.g. run their layer on a fixed input).
* ``judge(data) -> None`` looks only at that plain data and raises :class:`Fail` with a hint
  when something is wrong.  The autograder runs it in its own process, so nothing the student
  does in their kernel can change how it judges.

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
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

__all__ = [
    "Status",
    "Verdict",
    "Fail",
    "NotAttempted",
    "Question",
    "Lab",
    "is_placeholder",
    "show",
]


class Status(str, Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    NOT_ATTEMPTED = "NOT ATTEMPTED"


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


_STYLE = {
    Status.PASS: ("#1b7f3b", "#e8f5ec", "\u2714"),
    Status.FAIL: ("#b3261e", "#fdecea", "\u2718"),
    Status.NOT_ATTEMPTED: ("#6b6b6b", "#f1f1f1", "\u2026"),
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


_TF_NOISE = [
    re.compile(r"\{\{function_node [^}]*\}\}\s*"),  # {{function_node __wrapped__MatMul_device_/job:...}}
    re.compile(r"\s*\[Op:[A-Za-z0-9_]+\](\s*name:.*)?$"),  # [Op:MatMul] name:
    re.compile(r"^Exception encountered when calling [^:]*:\s*"),
]


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
    if len(first) > 200:
        first = first[:197] + "..."
    return first


def _one_line(exc: BaseException) -> str:
    first = clean_message(str(exc))
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


@dataclass
class Question:
    """One graded exercise of a lab.

    ``answers`` names the notebook variables the grader probes (in order, the arguments of
    ``extract``).  ``hints`` are shown one more at a time by :meth:`hint`.
    """

    id: str
    title: str
    points: float
    answers: Sequence[str]
    extract: Callable[..., dict]
    judge: Callable[..., None]  # judge(data), or judge(data, inputs) for a question with draw
    hints: Sequence[str] = ()
    # answers whose None is a real (wrong) result, e.g. a gradient the tape could not compute;
    # ``extract`` receives them and decides between NOT ATTEMPTED and FAIL itself
    none_is_an_answer: Sequence[str] = ()
    # the judge's own inputs: ``draw(rng) -> dict`` of NumPy arrays and numbers (see the module doc)
    draw: Callable[[Any], dict] | None = None
    # the notebook's values made from the inputs, for ``x, W, b = lab.qN.inputs()``
    hand: Callable[[dict], Any] | None = None
    lab: Lab | None = field(default=None, repr=False)
    _hints_shown: int = field(default=0, repr=False)
    _handed: dict | None = field(default=None, repr=False)

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

    def inputs(self) -> Any:
        """The notebook's values for this exercise; the question keeps its own copy to judge by."""
        if self.hand is None:
            raise TypeError(f"{self.id} hands no inputs to the notebook")
        if self._handed is None:
            drawn = self.fresh_inputs()
            if drawn is None:
                raise TypeError(f"{self.id} hands inputs to the notebook but draws none; give it draw=...")
            self.use_inputs(drawn)
        assert self._handed is not None  # drawn just above, or set by the grader through use_inputs
        return self.hand(copy.deepcopy(self._handed))

    def _judge_inputs(self) -> dict | None:
        if self.hand is not None:
            if self._handed is None:
                raise Fail("run the cell above the exercise that makes its inputs, then this check")
            return copy.deepcopy(self._handed)
        return self.fresh_inputs()

    # -- evaluation -------------------------------------------------------------------------
    def collect(self, *answers: Any, given: dict | None = None) -> dict:
        """Run ``extract`` on the student's objects (and a copy of the judge's inputs).
        Raises NotAttempted or Fail."""
        if len(answers) != len(self.answers):
            names = ", ".join(self.answers)
            raise Fail(f"this check takes {len(self.answers)} argument(s): {names}")
        for name, value in zip(self.answers, answers, strict=True):
            if is_placeholder(value) and name not in self.none_is_an_answer:
                raise NotAttempted(f"`{name}` is still the placeholder; replace the # TODO")
        try:
            if self.draw is not None:
                if given is None:
                    raise Fail("this check needs its inputs; run it through lab.qN.check(...)")
                data = self.extract(*answers, given=given)
            else:
                data = self.extract(*answers)
        except (Fail, NotAttempted):
            raise
        except Exception as exc:  # the student's code broke: one line, no traceback
            raise Fail(f"running your answer raised {_one_line(exc)}") from None
        return data

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

    def evaluate(self, *answers: Any) -> Verdict:
        """Extract and judge in one go, returning the verdict without showing it."""
        try:
            inputs = self._judge_inputs()
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

    def __init__(self, number: str, title: str, questions: Sequence[Question]):
        self.number = number
        self.title = title
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
        if any(s is None for _, s in self.rows):
            return f"{NOT_CHECKED}: its check cell has not run yet."
        return ""

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


# -- helpers that judges share ------------------------------------------------------------------


def expect_shape(name: str, actual: Sequence[int], expected: Sequence[int]) -> None:
    actual, expected = tuple(actual), tuple(expected)
    if actual != expected:
        raise Fail(f"{name} has shape {actual}; the exercise asks for shape {expected}")


def expect_close(name: str, actual, expected, rtol: float = 1e-4, atol: float = 1e-5) -> None:
    """Compare numbers or arrays; the hint says how far off, not what the answer is."""
    import numpy as np

    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape:
        raise Fail(f"{name} has shape {a.shape}, which does not fit what the exercise asks for")
    if not np.all(np.isfinite(a)):
        raise Fail(f"{name} contains NaN or infinity")
    if not np.allclose(a, e, rtol=rtol, atol=atol):
        err = float(np.max(np.abs(a - e)))
        raise Fail(f"{name} has the right shape but its values are off (largest error {err:.3g})")


def expect_equal(name: str, actual, expected, what: str = "value") -> None:
    if actual != expected:
        raise Fail(f"{name} has the wrong {what} ({actual!r})")


def finite(x: float) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)
