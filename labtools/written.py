"""Written questions, judge side: a Markdown answer that a person grades against a rubric.

A written question is asked in the lab's source by a Markdown cell, and answered in the Markdown
cell marked ``# %% [markdown] answer="q7"`` (the source holds the model answer; the student
notebook shows ``*Write your answer here.*``), followed by a check cell ``lab.q7.check()``.
The judge module lists it beside the lab's code questions::

    Written(KERNEL["q7"], title="Rank and shape", points=2,
            rubric=[Criterion("names rank as the number of axes", 1), Criterion("...", 1)])

and the kernel module declares ``written("q7")`` (:func:`labtools.kernel.exercise.written`): the
kernel side, and so the grading sandbox, only knows that q7 is written, never its rubric.

The student's check never says PASS: RECORDED (with the word count of the saved answer) or NOT
ATTEMPTED (the placeholder untouched). The grader records the text (:func:`clean_answer`:
printable, at most :data:`MAX_CHARS` characters) with status MANUAL and 0 points until a grade in
``OUT/manual.csv`` (:mod:`labtools.grading.manual`) makes it GRADED. See docs/written-answers.md.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .checking import Question, Status, Verdict, show

PLACEHOLDER = "*Write your answer here.*"
MAX_CHARS = 10_000  # of a stored answer; longer ones are cut, with a note
_ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|.)")  # CSI, OSC and 2-byte escapes


@dataclass(frozen=True)
class Criterion:
    """One line of a rubric: what the answer must do and the points it is worth."""

    text: str
    points: float


def _no_judge(*args: Any) -> None:
    raise NotImplementedError("a written question is graded by a person")


@dataclass
class Written(Question):
    """A question answered in words: title, points, a rubric (criteria summing to the points)
    and optionally the model answer (by default the source's answer cell, read on demand)."""

    judge: Any = _no_judge
    rubric: Sequence[Criterion] = ()
    model_answer: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if not getattr(self.exercise, "written", False):
            raise ValueError(f"{self.id}: a Written question wraps a written exercise (written({self.id!r}))")
        if not self.rubric:
            raise ValueError(f"{self.id}: a written question needs a rubric (a list of Criterion)")
        total = sum(c.points for c in self.rubric)
        if abs(total - self.points) > 1e-9:
            raise ValueError(
                f"{self.id}: its rubric's criteria add up to {total:g} points, the question is worth {self.points:g}"
            )

    def model(self) -> str:
        """The model answer: ``model_answer``, or the text of the source's answer cell."""
        if self.model_answer or self.lab is None:
            return self.model_answer
        from . import paths
        from .labs import info

        try:
            source = paths.source(info(self.lab.number)).read_text(encoding="utf-8")
        except (OSError, KeyError):
            return ""
        return source_answer(source, self.id)

    # -- the grader --------------------------------------------------------------------------
    def graded(self, text: str | None) -> Verdict:
        """The grader's verdict on the (cleaned) text of the answer cell, or None if there is none:
        MANUAL (0 points until a person grades it) or NOT ATTEMPTED."""
        if text is None or untouched(text):
            why = "no answer cell in the submission" if text is None else "the answer is still the placeholder"
            return self.verdict(Status.NOT_ATTEMPTED, why)
        return self.verdict(Status.MANUAL, f"{word_count(text)} words; your instructor grades this answer")

    # -- the student's check -----------------------------------------------------------------
    def evaluate(self, *answers: Any, rng: Any = None, notebook: str | Path | None = None) -> Verdict:
        """RECORDED with the word count of the saved answer, NOT ATTEMPTED, or (no saved notebook
        found, as on Colab) one line saying the answer is read on hand-in. Never PASS."""
        verdict = self._student_verdict(notebook)
        if self.lab is not None:
            self.lab.record(verdict)
        return verdict

    def _student_verdict(self, notebook: str | Path | None) -> Verdict:
        path = Path(notebook) if notebook is not None else self._saved_notebook()
        if path is None:
            return self.verdict(
                Status.MANUAL, "your instructor grades this answer; it is read from the notebook you hand in"
            )
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return self.verdict(
                Status.MANUAL, f"could not read {path.name}; your answer is read from the notebook you hand in"
            )
        text = find_answer(nb, self.id)
        if text is None:
            return self.verdict(
                Status.NOT_ATTEMPTED, f"{path.name} has no answer cell for {self.id}; keep the cell below the question"
            )
        if untouched(text):
            return self.verdict(
                Status.NOT_ATTEMPTED, "write your answer in the cell above, save the notebook, then run this check"
            )
        n = word_count(text)
        return self.verdict(
            Status.RECORDED, f"{n} word{'s' if n != 1 else ''} (as last saved); your instructor grades this answer"
        )

    def _saved_notebook(self) -> Path | None:
        """This lab's notebook file as Jupyter saved it, if the kernel can tell which it is."""
        candidates: list[str] = [os.environ.get("JPY_SESSION_NAME", "")]
        try:
            from IPython import get_ipython

            shell = get_ipython()
            if shell is not None:
                candidates += [str(shell.user_ns.get(k, "")) for k in ("__session__", "__vsc_ipynb_file__")]
        except ImportError:  # pragma: no cover
            pass
        if self.lab is not None:
            from .labs import info

            try:
                candidates.append(f"{info(self.lab.number).stem}.ipynb")
            except KeyError:
                pass
        for name in candidates:
            path = Path(name) if name else None
            if path is not None and path.suffix == ".ipynb" and path.is_file() and self._is_this_lab(path):
                return path
        return None

    def _is_this_lab(self, path: Path) -> bool:
        try:
            meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("labtools", {})
        except (OSError, ValueError, AttributeError):
            return False
        return self.lab is None or (isinstance(meta, dict) and meta.get("lab") == self.lab.number)

    def check(self, *answers: Any, notebook: str | Path | None = None) -> None:
        """The student's check cell: RECORDED or NOT ATTEMPTED (never PASS)."""
        show(self.evaluate(notebook=notebook))


# -- answer text ----------------------------------------------------------------------------------


def untouched(text: str) -> bool:
    """The placeholder (or nothing at all) is still there."""
    stripped = text.strip()
    return not stripped or stripped == PLACEHOLDER


def word_count(text: str) -> int:
    return len(text.split())


def clean_answer(text: str) -> tuple[str, bool]:
    """A submitted answer made safe to store and show: escape sequences removed, other control
    characters (newlines and tabs kept) and lone surrogates replaced, at most :data:`MAX_CHARS`
    characters. Returns the text and whether it was cut."""
    text = _ANSI.sub("", text[: MAX_CHARS * 4])
    text = "".join(c if c in "\n\t" or (c.isprintable() and not 0xD800 <= ord(c) <= 0xDFFF) else "\ufffd" for c in text)
    text = text.replace("\r\n", "\n")
    return (text[:MAX_CHARS], True) if len(text) > MAX_CHARS else (text, False)


def cell_text(cell: Any) -> str | None:
    """A Markdown cell's text, or None when its source is not text."""
    source = cell.get("source", "") if isinstance(cell, dict) else None
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        source = "".join(source)
    return source if isinstance(source, str) else None


def is_answer_cell(cell: Any, qid: str) -> bool:
    """A Markdown cell holding the answer to written question ``qid`` (by id or metadata)."""
    if not isinstance(cell, dict) or cell.get("cell_type") != "markdown":
        return False
    if cell.get("id") == f"{qid}-answer":
        return True
    meta = cell.get("metadata")
    labtools_meta = meta.get("labtools") if isinstance(meta, dict) else None
    return isinstance(labtools_meta, dict) and labtools_meta.get("answer") == qid


def find_answer(nb: Any, qid: str) -> str | None:
    """The text of the last answer cell of ``qid`` in a notebook, None if it has none."""
    cells = nb.get("cells") if isinstance(nb, dict) else None
    found = [cell for cell in cells if is_answer_cell(cell, qid)] if isinstance(cells, list) else []
    return cell_text(found[-1]) if found else None


def source_answer(source: str, qid: str) -> str:
    """The model answer: the text of the ``# %% [markdown] answer="qid"`` cell of a lab source."""
    import jupytext

    for cell in jupytext.reads(source, fmt="py:percent").cells:
        if cell.cell_type == "markdown" and cell.metadata.get("answer") == qid:
            return cell.source
    return ""


def written_questions(lab: Any) -> dict[str, Written]:
    """A lab's written questions by id."""
    return {qid: q for qid, q in lab.questions.items() if isinstance(q, Written)}
