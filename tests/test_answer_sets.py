"""Every question against its answer set (tests/answers/labNN.py): each right answer PASSes, each
wrong one FAILs with a one-line hint, the untouched placeholder is NOT ATTEMPTED, in the
student's check cell and along the grader's path (inputs drawn apart from the answer's copy,
the extracted data through the probe's JSON encoding).

Every draw is seeded from the test's id, so a failure reproduces. ``test_verdict_holds_on_every_draw``
repeats each case on more draws (``SEEDS`` each, fewer for the checks that train a model); a
nightly-style run sets ``LABTOOLS_SEEDS=300`` (``python -m pytest -m seeds``) for hundreds."""

from __future__ import annotations

import copy
import importlib
import os
import zlib

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from answers import Case  # noqa: E402

from labtools.checking import Status  # noqa: E402
from labtools.grading import probe  # noqa: E402
from labtools.labs import CATALOGUE, load_lab  # noqa: E402

MIN_RIGHT, MIN_WRONG = 4, 6
SEEDS = int(os.environ.get("LABTOOLS_SEEDS", "4"))  # extra draws per case in the stability test
# checks that train or run a model per draw: a tenth of the draws (at least 1)
COSTLY = {("05", "q5"), ("06", "q3"), ("06", "q4"), ("06", "q5"), ("07", "q3"), ("07", "q5"), ("07", "q6")}


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


def _handed_values(question, rng=None):
    if question.hand is None:
        return ()
    values = question.inputs(rng)
    return values if isinstance(values, tuple) else (values,)


def _rng(test_id: str, k: int = 0) -> np.random.Generator:
    """The draw's generator: from the test's id, so a failure reproduces."""
    return np.random.default_rng([zlib.crc32(test_id.encode()), k])


def _assert_message(v, case: Case):
    assert "\n" not in v.message and "Traceback" not in v.message, v.message
    assert "function_node" not in v.message and "unexpected form" not in v.message, v.message  # a judge broke
    assert len(v.message) < 160, f"{len(v.message)} characters: {v.message}"
    if case.expect == "FAIL":
        assert case.says.lower() in v.message.lower(), f"hint {v.message!r} should mention {case.says!r}"


def _grader_path(question, case: Case, rng):
    """What `labtools grade` does: secret inputs, a copy for the kernel, JSON, the judge's copy."""
    inputs = question.fresh_inputs(rng)
    question._handed = None
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
def test_answer_gets_its_verdict(lab, qid, case, request):
    question = load_lab(lab).questions[qid]
    question._handed = None
    answers = _answers(question, case, _handed_values(question, _rng(request.node.nodeid)))
    v = question.evaluate(*answers, rng=_rng(request.node.nodeid, 1))
    assert v.status.value == case.expect, f"{case.name}: {v.line()}"
    _assert_message(v, case)
    g = _grader_path(question, case, _rng(request.node.nodeid, 2))
    assert g.status.value == case.expect, f"{case.name} (grader path): {g.line()}"
    _assert_message(g, case)


DRAWN = [p for p in PARAMS if load_lab(p.values[0]).questions[p.values[1]].draw is not None]


@pytest.mark.seeds
@pytest.mark.parametrize("lab, qid, case", DRAWN)
def test_verdict_holds_on_every_draw(lab, qid, case, request):
    """The same case on many fresh draws: each draw must separate it from the right answer."""
    question = load_lab(lab).questions[qid]
    draws = max(1, SEEDS // 10) if (lab, qid) in COSTLY else SEEDS
    for k in range(draws):
        rng = _rng(request.node.nodeid, 100 + k)
        g = _grader_path(question, case, rng)
        assert g.status.value == case.expect, f"{case.name}, draw {k} of {request.node.nodeid}: {g.line()}"


@pytest.mark.parametrize("lab", sorted(SETS))
def test_every_question_has_a_broad_answer_set(lab):
    questions = {q: v for q, v in load_lab(lab).questions.items() if not v.exercise.written}  # a person grades those
    cases = SETS[lab]
    assert set(cases) == set(questions), f"lab {lab}: answer sets for {sorted(cases)}, questions {sorted(questions)}"
    for qid, qcases in cases.items():
        kinds = [c.expect for c in qcases]
        assert kinds.count("PASS") >= MIN_RIGHT, f"lab {lab} {qid}: fewer than {MIN_RIGHT} right answers"
        assert kinds.count("FAIL") >= MIN_WRONG, f"lab {lab} {qid}: fewer than {MIN_WRONG} wrong answers"
        assert "NOT ATTEMPTED" in kinds, f"lab {lab} {qid}: no untouched placeholder"
