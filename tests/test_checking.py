"""The check framework itself: verdicts, hints, progress, and never a traceback."""

import numpy as np
import pytest

from labtools.checking import Fail, Lab, NotAttempted, Question, Status, is_placeholder
from labtools.judging import expect_close, expect_shape
from labtools.kernel.exercise import Exercise


def _square_question():
    def extract(fn):
        out = fn(3.0)
        if out is None:
            raise NotAttempted("square() still returns None")
        return {"at3": float(out)}

    def judge(data):
        expect_close("square(3)", data["at3"], 9.0)

    return Question(
        Exercise("q1", answers=["square"], extract=extract),
        title="Square a number",
        points=2,
        judge=judge,
        hints=["Multiply the number by itself.", "x * x"],
    )


@pytest.fixture
def lab():
    return Lab("99", [_square_question()])


def test_right_answer_passes_and_earns_points(lab):
    v = lab.q1.evaluate(lambda x: x * x)
    assert v.status is Status.PASS and v.points == 2 and v.max_points == 2


def test_wrong_answer_fails_with_a_hint_not_the_answer(lab):
    v = lab.q1.evaluate(lambda x: x + x)
    assert v.status is Status.FAIL and v.points == 0
    assert "values are off" in v.message and "9" not in v.message


def test_placeholder_is_not_attempted(lab):
    assert lab.q1.evaluate(None).status is Status.NOT_ATTEMPTED
    assert lab.q1.evaluate(...).status is Status.NOT_ATTEMPTED
    # a function whose body is still the TODO returns None
    assert lab.q1.evaluate(lambda x: None).status is Status.NOT_ATTEMPTED


def test_student_exception_is_one_line_fail(lab):
    v = lab.q1.evaluate(lambda x: 1 / 0)
    assert v.status is Status.FAIL
    assert "ZeroDivisionError" in v.message and "Traceback" not in v.message
    assert "\n" not in str(v)


def test_wrong_argument_count_is_a_fail(lab):
    v = lab.q1.evaluate(lambda x: x, 3)
    assert v.status is Status.FAIL and "1 argument" in v.message


def test_judge_bug_or_malformed_data_does_not_raise(lab):
    v = lab.q1.assess({"unexpected": 1})
    assert v.status is Status.FAIL and "unexpected form" in v.message


def _doubling_question():
    """doubling(v) on inputs the judge draws; the judge compares with its own copy."""

    def extract(fn, given):
        out = fn(given["v"])
        given["v"][:] = 0  # an answer that changes what it was given changes nothing for the judge
        return {"out": np.asarray(out, dtype=float)}

    def judge(data, inputs):
        expect_close("doubling(v)", data["out"], 2 * inputs["v"])

    return Question(
        Exercise("q1", answers=["doubling"], extract=extract),
        title="Double",
        points=1,
        judge=judge,
        draw=lambda rng: {"v": rng.normal(size=5)},
    )


def test_a_judge_owns_its_inputs():
    q = Lab("98", [_doubling_question()]).q1
    assert q.evaluate(lambda v: 2 * v).status is Status.PASS
    assert q.evaluate(lambda v: v + v).status is Status.PASS
    table = {}  # a table of the inputs seen once cannot pass the next, fresh draw
    q.evaluate(lambda v: table.setdefault("seen", 2 * v.copy()))
    assert q.evaluate(lambda v: table["seen"]).status is Status.FAIL
    rng = np.random.default_rng(1)
    inputs = q.fresh_inputs(rng)
    data = q.collect(lambda v: 2 * v, given={"v": inputs["v"].copy()})
    assert q.assess(data, inputs).status is Status.PASS
    assert q.assess(data, q.fresh_inputs(rng)).status is Status.FAIL  # judged by the grader's own copy


def test_handed_inputs_are_copied_before_an_answer_can_touch_them():
    def extract(total, given):
        return {"total": float(total)}

    def judge(data, inputs):
        expect_close("total", data["total"], inputs["a"].sum())

    q = Lab(
        "97",
        [
            Question(
                Exercise("q1", answers=["total"], extract=extract, hand=lambda d: d["a"]),
                title="Sum",
                points=1,
                judge=judge,
                draw=lambda rng: {"a": rng.normal(size=4)},
            )
        ],
    ).q1
    a = q.inputs()
    right = float(a.sum())
    a[:] = 0  # the notebook reassigns or mutates its copy
    assert q.evaluate(right).status is Status.PASS
    assert q.evaluate(0.0).status is Status.FAIL
    q.use_inputs({"a": np.ones(4)})  # what the grader does with its secret draw
    assert float(q.inputs().sum()) == 4.0 and q.evaluate(4.0).status is Status.PASS


def test_hints_say_when_they_have_run_out(lab, capsys):
    for _ in range(3):
        lab.q1.hint()
    out = capsys.readouterr().out.splitlines()
    assert "last one" not in out[0] and "no more hints" in out[1] and "no more hints" in out[2]


def test_tensorflow_internals_are_stripped_from_messages():
    from labtools.checking import clean_message

    raw = (
        "Exception encountered when calling Dense.call().\n\n{{function_node __wrapped__MatMul_device_/job:"
        "localhost/replica:0/task:0/device:CPU:0}} Matrix size-incompatible: In[0]: [4,2], In[1]: [3,3] "
        "[Op:MatMul] name: \n\nArguments received by Dense.call():\n  \u2022 inputs=tf.Tensor(shape=(4, 2))"
    )
    assert clean_message(raw) == "Matrix size-incompatible: In[0]: [4,2], In[1]: [3,3]"


def test_html_and_plain_rendering(lab):
    v = lab.q1.evaluate(lambda x: x + x)
    assert "FAIL" in v._repr_html_() and "<div" in v._repr_html_()
    assert str(v).startswith("q1 Square a number: FAIL")


def test_check_prints_one_line_outside_jupyter(lab, capsys):
    lab.q1.check(lambda x: x * x)
    out = capsys.readouterr().out.strip().splitlines()
    assert out == ["q1 Square a number: PASS"]


def test_hints_are_tiered(lab, capsys):
    lab.q1.hint()
    lab.q1.hint()
    lab.q1.hint()  # stays on the last hint
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("Hint 1/2") and lines[1].startswith("Hint 2/2")
    assert lines[2].startswith("Hint 2/2")


def test_progress_tracks_latest_verdicts(lab):
    assert "NOT CHECKED" in str(lab.progress()) and "check cell has not run" in str(lab.progress())
    lab.q1.evaluate(lambda x: x * x)
    p = lab.progress()
    assert p.earned == 2 and "PASS" in str(p) and "<table>" in p._repr_html_()
    lab.q1.evaluate(lambda x: 0.0)
    assert lab.progress().earned == 0


def test_unknown_question_names_the_real_ones(lab):
    with pytest.raises(AttributeError, match="its questions are q1"):
        _ = lab.q7


def test_duplicate_question_ids_rejected():
    q = _square_question()
    with pytest.raises(ValueError):
        Lab("98", [q, _square_question()])


def test_helpers():
    assert is_placeholder(None) and is_placeholder(...) and not is_placeholder(0)
    expect_shape("x", (2, 3), [2, 3])
    with pytest.raises(Fail, match=r"shape \(3, 2\)"):
        expect_shape("x", (3, 2), (2, 3))
    with pytest.raises(Fail, match="NaN"):
        expect_close("x", [np.nan], [1.0])
    with pytest.raises(Fail, match="shape"):
        expect_close("x", [1.0, 2.0], [1.0])


def test_import_labtools_is_light():
    import subprocess
    import sys

    code = "import sys, labtools; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
