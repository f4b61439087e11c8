"""Helpers for the per-lab check tests: every check gets a right, a wrong and an untouched answer."""

from labtools.checking import Status
from labtools.labs import load_lab


def verdict(lab_number, qid, *answers):
    return load_lab(lab_number).questions[qid].evaluate(*answers)


def assert_pass(lab_number, qid, *answers):
    v = verdict(lab_number, qid, *answers)
    assert v.status is Status.PASS, v.line()
    return v


def assert_fail(lab_number, qid, *answers, says=""):
    v = verdict(lab_number, qid, *answers)
    assert v.status is Status.FAIL, v.line()
    assert says.lower() in v.message.lower(), f"hint {v.message!r} should mention {says!r}"
    assert "\n" not in v.message and "Traceback" not in v.message
    return v


def assert_not_attempted(lab_number, qid, *answers):
    v = verdict(lab_number, qid, *answers)
    assert v.status is Status.NOT_ATTEMPTED, v.line()
    return v
