"""What a grading kernel runs: the lab as the kernel sees it, and the probe.

In a grading kernel (``LABTOOLS_GRADING=1``, set by the grader) ``labtools.start_lab`` returns a
:class:`KernelLab`: its questions hand out the inputs the grader sent (``lab.q5.inputs()``) and
its check cells show nothing, because there is nothing to judge with: the judges are not in the
sandbox. The grader adds three kinds of cells to the notebook it runs:

* after the setup cell, one that defines the probe (:func:`make_probe`) under a random name;
* before a cell that calls ``lab.qN.inputs()``, one that sends that question's inputs
  (``probe.hand("qN", inputs)``);
* after each answer, a hidden test ``probe("qN", lambda: (answer, ...), inputs)``: the only
  place the question's drawn inputs reach the kernel. It runs the student's code on them through
  the exercise's ``extract`` and publishes the plain data, tagged with the run's nonce, as one
  display message. The grader takes exactly one such message from each hidden cell and judges it
  in its own process.
"""

from __future__ import annotations

import copy
import importlib
import json
import os
from pathlib import Path
from typing import Any

from .codec import decode, encode
from .errors import Fail, NotAttempted

MIME = "application/vnd.labtools.probe+json"
GRADING_ENV = "LABTOOLS_GRADING"
CURRENT: KernelLab | None = None


def grading() -> bool:
    """True in a kernel the grader started."""
    return os.environ.get(GRADING_ENV) == "1"


def exercises_of(number: str, package: str = __package__) -> dict:
    """The exercises of lab ``number`` from this package's ``labNN_<slug>.py``."""
    number = f"{int(number):02d}"
    found = sorted(Path(__file__).parent.glob(f"lab{number}_*.py"))
    if len(found) != 1:
        raise KeyError(f"there is no lab {number!r}")
    return importlib.import_module(f"{package}.{found[0].stem}").EXERCISES


class KernelQuestion:
    """A question in a grading kernel: inputs to hand out, nothing to judge with."""

    def __init__(self, exercise: Any) -> None:
        self.exercise = exercise
        self.id = exercise.id
        self._handed: dict | None = None

    def use_inputs(self, inputs: dict) -> None:
        self._handed = copy.deepcopy(inputs)

    def inputs(self) -> Any:
        if self.exercise.hand is None:
            raise TypeError(f"{self.id} hands no inputs to the notebook")
        if self._handed is None:
            raise RuntimeError(f"{self.id}: the grader sent no inputs for this question")
        return self.exercise.hand(copy.deepcopy(self._handed))

    def check(self, *answers: Any, **kwargs: Any) -> None:
        """Judged by the grader, not here."""

    def hint(self, level: int | None = None) -> None:
        """No hints while grading."""


class KernelLab:
    """``lab.qN`` in a grading kernel."""

    def __init__(self, number: str) -> None:
        self.number = f"{int(number):02d}"
        self.title = f"Lab {self.number}"
        self.questions = {qid: KernelQuestion(e) for qid, e in exercises_of(self.number).items()}

    def __getattr__(self, name: str) -> KernelQuestion:
        questions = self.__dict__.get("questions", {})
        if name in questions:
            return questions[name]
        raise AttributeError(f"lab {self.__dict__.get('number', '?')} has no question {name!r}")

    def progress(self) -> None:
        """The grader reports progress, not the kernel."""


def start(number: str) -> KernelLab:
    global CURRENT
    CURRENT = KernelLab(number)
    return CURRENT


class Probe:
    """Runs one hidden test and publishes its result (see the module doc). Defined by the
    grader's cell before any student code runs, from a private copy of this package, so the
    functions it uses are the ones that existed then."""

    def __init__(self, nonce: str, number: str, package: str, public_lab: Any) -> None:
        from IPython import get_ipython

        self.nonce = nonce
        self.exercises = exercises_of(number, package)
        self.freshness = importlib.import_module(f"{package}.freshness")
        self.freshness.watch()
        self.public_lab = public_lab
        self.publish = get_ipython().display_pub.publish
        self.dumps, self.loads = json.dumps, json.loads

    def hand(self, qid: str, given_json: str) -> None:
        """Give question ``qid`` of the notebook's lab the inputs the grader drew."""
        lab = self.public_lab
        if lab is not None and qid in getattr(lab, "questions", {}):
            question = lab.questions[qid]
            # the probe's own copy of the exercise hands them out, so what ``hand`` records
            # (lab 05 watches the tape of the handed function) is what its ``extract`` reads
            question.exercise = self.exercises[qid]
            question.use_inputs(decode(self.loads(given_json)))

    def __call__(self, qid: str, answers: Any, given_json: str | None = None) -> None:
        result: dict[str, Any] = {"nonce": self.nonce, "qid": qid}
        try:
            given = decode(self.loads(given_json)) if given_json is not None else None
            why = self.freshness.stale(self.exercises[qid].answers)
            if why:
                raise Fail(why)
            values = answers()
            result.update(status="data", data=encode(self.exercises[qid].collect(*values, given=given)))
        except NameError as exc:
            result.update(status="not_attempted", message=f"{exc}: keep the answer cell and its variable names")
        except NotAttempted as exc:
            result.update(status="not_attempted", message=str(exc))
        except Fail as exc:
            result.update(status="fail", message=str(exc))
        except BaseException as exc:  # noqa: BLE001 - whatever the student's code raises
            result.update(status="fail", message=f"running your answer raised {type(exc).__name__}")
        try:
            payload = self.dumps(result)
        except Exception as exc:  # noqa: BLE001 - an answer that cannot be recorded is a FAIL
            why = f"the answer could not be recorded ({type(exc).__name__})"
            payload = self.dumps({"nonce": self.nonce, "qid": qid, "status": "fail", "message": why})
        self.publish(data={MIME: payload}, metadata={})
