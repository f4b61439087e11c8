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

Three outcomes are possible: PASS, FAIL (with a hint that names what is wrong without giving
the answer) and NOT ATTEMPTED (the ``None  # TODO`` placeholder is still there).  A check never
shows a traceback: any exception raised by the student's code becomes a one-line FAIL.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Sequence

__all__ = [
    "Status", "Verdict", "Fail", "NotAttempted", "Question", "Lab",
    "is_placeholder", "show",
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
    return (not code.co_names and code.co_nlocals == n_args
            and all(c is None or c is Ellipsis for c in code.co_consts))


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
            "question": self.question, "title": self.title, "status": self.status.value,
            "message": self.message, "points": self.points, "max_points": self.max_points,
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


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    if len(first) > 200:
        first = first[:197] + "..."
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
    judge: Callable[[dict], None]
    hints: Sequence[str] = ()
    # answers whose None is a real (wrong) result, e.g. a gradient the tape could not compute;
    # ``extract`` receives them and decides between NOT ATTEMPTED and FAIL itself
    none_is_an_answer: Sequence[str] = ()
    lab: "Lab | None" = field(default=None, repr=False)
    _hints_shown: int = field(default=0, repr=False)

    # -- evaluation -------------------------------------------------------------------------
    def collect(self, *answers: Any) -> dict:
        """Run ``extract`` on the student's objects.  Raises NotAttempted or Fail."""
        if len(answers) != len(self.answers):
            names = ", ".join(self.answers)
            raise Fail(f"this check takes {len(self.answers)} argument(s): {names}")
        for name, value in zip(self.answers, answers):
            if is_placeholder(value) and name not in self.none_is_an_answer:
                raise NotAttempted(f"`{name}` is still the placeholder; replace the # TODO")
        try:
            data = self.extract(*answers)
        except (Fail, NotAttempted):
            raise
        except Exception as exc:  # the student's code broke: one line, no traceback
            raise Fail(f"running your answer raised {_one_line(exc)}") from None
        return data

    def assess(self, data: dict) -> Verdict:
        """Judge already-extracted data (this is what the autograder calls)."""
        try:
            self.judge(data)
        except Fail as exc:
            return self._verdict(Status.FAIL, str(exc))
        except NotAttempted as exc:
            return self._verdict(Status.NOT_ATTEMPTED, str(exc))
        except Exception as exc:  # a malformed probe must not crash anything
            return self._verdict(Status.FAIL, f"could not judge this answer ({_one_line(exc)})")
        return self._verdict(Status.PASS, "")

    def evaluate(self, *answers: Any) -> Verdict:
        """Extract and judge in one go, returning the verdict without showing it."""
        try:
            data = self.collect(*answers)
        except NotAttempted as exc:
            verdict = self._verdict(Status.NOT_ATTEMPTED, str(exc))
        except Fail as exc:
            verdict = self._verdict(Status.FAIL, str(exc))
        else:
            verdict = self.assess(data)
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
        if level is None:
            self._hints_shown = min(self._hints_shown + 1, len(self.hints))
            level = self._hints_shown
        level = max(1, min(level, len(self.hints)))
        show(_Hint(self.id, level, len(self.hints), self.hints[level - 1]))

    def _verdict(self, status: Status, message: str) -> Verdict:
        earned = self.points if status is Status.PASS else 0.0
        return Verdict(self.id, self.title, status, message, earned, self.points)


@dataclass
class _Hint:
    question: str
    level: int
    total: int
    text: str

    def __str__(self) -> str:
        return f"Hint {self.level}/{self.total} for {self.question}: {self.text}"

    def _repr_html_(self) -> str:
        return (
            '<div style="border-left:4px solid #1f5fa8;background:#eaf1fb;padding:6px 10px;'
            f'font-family:sans-serif;color:#222"><b>Hint {self.level}/{self.total}</b> '
            f"for {html.escape(self.question)}: {html.escape(self.text)}</div>"
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
            f"lab {self.__dict__.get('number', '?')} has no question {name!r}; "
            f"its questions are {', '.join(questions)}"
        )

    def __dir__(self):
        return list(super().__dir__()) + list(self.questions)

    @property
    def max_points(self) -> float:
        return float(sum(q.points for q in self.questions.values()))

    def record(self, verdict: Verdict) -> None:
        self.latest[verdict.question] = verdict

    def progress(self) -> "Progress":
        rows = []
        for q in self.questions.values():
            v = self.latest.get(q.id)
            rows.append((q, v.status if v else None))
        return Progress(self, rows)


@dataclass
class Progress:
    lab: Lab
    rows: list

    @property
    def earned(self) -> float:
        return float(sum(q.points for q, s in self.rows if s is Status.PASS))

    def _label(self, status: Status | None) -> str:
        return status.value if status else "not checked yet"

    def __str__(self) -> str:
        lines = [f"Lab {self.lab.number} {self.lab.title}: {_fmt(self.earned)}/"
                 f"{_fmt(self.lab.max_points)} points"]
        for q, s in self.rows:
            lines.append(f"  {q.id:<4} {q.title:<40} {self._label(s)}")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        cells = []
        for q, s in self.rows:
            fg = _STYLE[s][0] if s else "#999"
            cells.append(
                f"<tr><td>{html.escape(q.id)}</td><td>{html.escape(q.title)}</td>"
                f"<td>{_fmt(q.points)}</td><td style='color:{fg}'><b>{self._label(s)}</b></td></tr>"
            )
        return (
            f"<div style='font-family:sans-serif'><b>Lab {self.lab.number} &middot; "
            f"{html.escape(self.lab.title)}</b>: {_fmt(self.earned)} / {_fmt(self.lab.max_points)} points"
            "<table><tr><th>question</th><th>exercise</th><th>points</th><th>status</th></tr>"
            + "".join(cells) + "</table></div>"
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
