"""Every question against its answer set (tests/answers/labNN.py): each right answer PASSes, each
wrong one FAILs with a one-line hint, the untouched placeholder is NOT ATTEMPTED, in the
student's check cell and along the grader's path (inputs drawn apart from the answer's copy,
the extracted data through the probe's JSON encoding)."""

from __future__ import annotations

import copy
import importlib

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from answers import Case  # noqa: E402

from labtools.checking import Status  # noqa: E402
from labtools.grading import probe  # noqa: E402
from labtools.labs import CATALOGUE, load_lab  # noqa: E402

MIN_RIGHT, MIN_WRONG = 4, 6


def _sets():
    found = {}
    for info in CATALOGUE:
        try:
            module = importlib.import_module(f"answers.lab{info.number}")
        except ModuleNotFoundError:
            continue
        found[info.number] = module.CASES
    return found


SETS = _sets()
PARAMS = [
    pytest.param(lab, qid, case, id=f"lab{lab}-{qid}-{case.expect.replace(' ', '_')}-{case.name}")
    for lab, cases in SETS.items()
    for qid, qcases in cases.items()
    for case in qcases
]


def _answers(question, case: Case, handed):
    made = case.make(*handed) if question.hand is not None else case.make()
    if len(question.answers) == 1:
        return (made,)
    assert isinstance(made, tuple) and len(made) == len(question.answers), case.name
    return made


def _handed_values(question):
    if question.hand is None:
        return ()
    values = question.inputs()
    return values if isinstance(values, tuple) else (values,)


def _assert_message(v, case: Case):
    assert "\n" not in v.message and "Traceback" not in v.message, v.message
    assert "function_node" not in v.message and "unexpected form" not in v.message, v.message  # a judge broke
    assert len(v.message) <= 300, v.message
    if case.expect == "FAIL":
        assert case.says.lower() in v.message.lower(), f"hint {v.message!r} should mention {case.says!r}"


def _grader_path(question, case: Case):
    """What `labtools grade` does: secret inputs, a copy for the kernel, JSON, the judge's copy."""
    rng = np.random.default_rng(12345)
    inputs = question.fresh_inputs(rng)
    if question.hand is not None:
        question.use_inputs(inputs)
    answers = _answers(question, case, _handed_values(question))
    from labtools.checking import Fail, NotAttempted

    try:
        data = question.collect(*answers, given=copy.deepcopy(inputs))
    except NotAttempted as exc:
        return question.verdict(Status.NOT_ATTEMPTED, str(exc))
    except Fail as exc:
        return question.verdict(Status.FAIL, str(exc))
    data = probe.decode(probe.encode(data))
    return question.assess(data, inputs)


@pytest.mark.parametrize("lab, qid, case", PARAMS)
def test_answer_gets_its_verdict(lab, qid, case):
    question = load_lab(lab).questions[qid]
    question._handed = None
    answers = _answers(question, case, _handed_values(question))
    v = question.evaluate(*answers)
    assert v.status.value == case.expect, f"{case.name}: {v.line()}"
    _assert_message(v, case)
    g = _grader_path(question, case)
    assert g.status.value == case.expect, f"{case.name} (grader path): {g.line()}"
    _assert_message(g, case)


@pytest.mark.parametrize("lab", sorted(SETS))
def test_every_question_has_a_broad_answer_set(lab):
    questions = load_lab(lab).questions
    cases = SETS[lab]
    assert set(cases) == set(questions), f"lab {lab}: answer sets for {sorted(cases)}, questions {sorted(questions)}"
    for qid, qcases in cases.items():
        kinds = [c.expect for c in qcases]
        assert kinds.count("PASS") >= MIN_RIGHT, f"lab {lab} {qid}: fewer than {MIN_RIGHT} right answers"
        assert kinds.count("FAIL") >= MIN_WRONG, f"lab {lab} {qid}: fewer than {MIN_WRONG} wrong answers"
        assert "NOT ATTEMPTED" in kinds, f"lab {lab} {qid}: no untouched placeholder"
