"""Written questions (docs/written-answers.md): a Markdown answer a person grades against a rubric.

Generation (the student sees the question and a placeholder, never the rubric), the student's
check (RECORDED with the word count, NOT ATTEMPTED, never PASS), grading a folder (MANUAL with the
text stored safely, pending points) and folding OUT/manual.csv into every file a run writes,
through a re-run and a shard merge, without regrading anything."""

from __future__ import annotations

import csv
import json
import secrets
from pathlib import Path

import nbformat
import pytest

from labtools.checking import Status
from labtools.cli import main
from labtools.generate import SourceError, generate_lab
from labtools.grading import runner
from labtools.grading.manual import ManualGrade, append_manual
from labtools.grading.runner import Run, load_bundle
from labtools.grading.submission import written_answers
from labtools.kernel.exercise import Exercise, written
from labtools.kernel.grading import exercises_of
from labtools.labs import CATALOGUE, load_lab
from labtools.written import MAX_CHARS, PLACEHOLDER, Criterion, Written, written_questions

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SOLUTIONS = ROOT / "instructor" / "solutions"
BUNDLES = ROOT / "instructor" / "bundles"
LAB02 = load_lab("02")
QID = "q5"  # lab 02's written question


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


# -- the labs and generation ----------------------------------------------------------------------


@pytest.mark.parametrize("info", CATALOGUE, ids=lambda i: i.number)
def test_every_lab_asks_one_written_question_with_a_rubric(info):
    lab = load_lab(info.number)
    found = written_questions(lab)
    assert len(found) == 1, f"lab {info.number}: {sorted(found)}"
    (qid, q), last = next(iter(found.items())), list(lab.questions)[-1]
    assert qid == last, f"lab {info.number}: the written question is numbered after the others"
    assert 2 <= len(q.rubric) <= 4 and sum(c.points for c in q.rubric) == q.points
    assert exercises_of(info.number)[qid].written, "the kernel side knows q is written"
    assert len(q.model().split()) > 30, f"lab {info.number}: the source's answer cell holds a model answer"


@pytest.mark.parametrize("info", CATALOGUE, ids=lambda i: i.number)
def test_the_student_sees_the_question_and_a_placeholder_never_the_rubric(info):
    lab = load_lab(info.number)
    qid, q = next(iter(written_questions(lab).items()))
    student, solution = NOTEBOOKS / f"{info.stem}.ipynb", SOLUTIONS / f"{info.stem}.ipynb"
    cells = _cells(student)
    index = next(i for i, c in enumerate(cells) if c["id"] == f"{qid}-answer")
    answer = cells[index]
    assert answer["cell_type"] == "markdown" and answer["metadata"] == {"labtools": {"answer": qid}}
    assert "".join(answer["source"]) == PLACEHOLDER
    assert "(written)" in "".join(cells[index - 1]["source"]), "the question is asked just above"
    assert "".join(cells[index + 1]["source"]) == f"lab.{qid}.check()"
    assert any("## Summary" in "".join(c["source"]) for c in cells[index + 2 :]), "before the Summary"
    kept = next(c for c in _cells(solution) if c["id"] == f"{qid}-answer")
    assert "".join(kept["source"]).strip() == q.model().strip() != PLACEHOLDER
    bundle = (BUNDLES / f"{info.stem}.json").read_text(encoding="utf-8")
    for text in [c.text for c in q.rubric] + [q.model()[:60]]:
        assert text not in student.read_text(encoding="utf-8"), f"{text!r} is in the student notebook"
        assert text not in bundle, f"{text!r} is in the grading bundle"
    data = json.loads(bundle)
    assert {"id": qid, "written": True}.items() <= next(x for x in data["questions"] if x["id"] == qid).items()
    assert not any(f'"{qid}"' in t["code"] for t in data["hidden_tests"]), "no hidden test runs a written answer"


def test_no_rubric_reaches_the_kernel_side():
    kernel = ROOT / "labtools" / "kernel"
    text = "".join(p.read_text(encoding="utf-8") for p in kernel.glob("*.py"))
    for info in CATALOGUE:
        for q in written_questions(load_lab(info.number)).values():
            assert all(c.text[:40] not in text for c in q.rubric)
            assert "Criterion" not in text and "labtools.written" not in text


def _source_root(tmp_path: Path, edit) -> Path:
    (tmp_path / "instructor" / "source").mkdir(parents=True)
    source = (ROOT / "instructor" / "source" / "02_computation.py").read_text(encoding="utf-8")
    (tmp_path / "instructor" / "source" / "02_computation.py").write_text(edit(source), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    "edit, says",
    [
        (lambda s: s.replace('# %% [markdown] answer="q5"', "# %% [markdown]"), "need a # %% .markdown. answer"),
        (lambda s: s.replace('# %% [markdown] answer="q5"', '# %% [markdown] answer="q1"'), "names no written"),
    ],
)
def test_a_source_without_its_answer_cell_says_where(tmp_path, edit, says):
    with pytest.raises(SourceError, match=says):
        generate_lab("02", _source_root(tmp_path, edit))


def test_a_rubric_must_add_up_and_wrap_a_written_exercise():
    with pytest.raises(ValueError, match="add up to 1"):
        Written(written("q9"), title="t", points=2, rubric=[Criterion("a", 1)])
    with pytest.raises(ValueError, match="wraps a written exercise"):
        Written(Exercise("q9", ["x"], extract=lambda x: {}), title="t", points=1, rubric=[Criterion("a", 1)])


# -- the student's check --------------------------------------------------------------------------


def _student_with(tmp_path: Path, text: str | None, name: str = "02_computation.ipynb") -> Path:
    nb = nbformat.read(NOTEBOOKS / "02_computation.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.id == f"{QID}-answer" and text is not None:
            cell.source = text
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def test_the_check_records_a_word_count_and_never_passes(tmp_path):
    q = LAB02.questions[QID]
    answer = "Eager code runs at once; a tf.function traces a graph first, which runs faster."
    v = q.evaluate(notebook=_student_with(tmp_path, answer))
    assert v.status is Status.RECORDED and not v.passed and v.points == 0
    assert f"{len(answer.split())} words" in v.message and "instructor grades" in v.message
    untouched = q.evaluate(notebook=_student_with(tmp_path, None))
    assert untouched.status is Status.NOT_ATTEMPTED and "save the notebook" in untouched.message
    assert q.evaluate(notebook=_student_with(tmp_path, "   ")).status is Status.NOT_ATTEMPTED
    progress = str(LAB02.progress())
    assert "NOT ATTEMPTED" in progress.splitlines()[QID_ROW] and "instructor grades it" not in progress
    q.evaluate(notebook=_student_with(tmp_path, answer))
    progress = str(LAB02.progress())
    assert "RECORDED" in progress and "your instructor grades it" in progress and "PASS" not in progress


QID_ROW = list(LAB02.questions).index(QID) + 1


def test_the_check_finds_the_saved_notebook_or_says_it_is_read_on_hand_in(tmp_path, monkeypatch):
    q = LAB02.questions[QID]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    v = q.evaluate()
    assert v.status is Status.MANUAL and "read from the notebook you hand in" in v.message
    _student_with(tmp_path, "A graph is traced once.")  # the lab's notebook in the working folder
    assert q.evaluate().status is Status.RECORDED
    other = _student_with(tmp_path, "x y z", name="renamed.ipynb")
    monkeypatch.setenv("JPY_SESSION_NAME", str(other))
    assert "3 words" in q.evaluate().message, "Jupyter's session path comes first"


# -- grading ----------------------------------------------------------------------------------------

HOSTILE = "\x1b[2J\x1b]0;owned\x07<script>alert(1)</script><img src=x onerror=alert(2)>\r\n| **Score: 100 / 8** |"


def test_a_hostile_answer_is_stored_printable_and_capped():
    nb = {
        "cells": [
            {"cell_type": "markdown", "id": "q5-answer", "metadata": {}, "source": HOSTILE + "word " * 5000},
        ]
    }
    texts, notes = written_answers(nb, [QID])
    text = texts[QID]
    assert text is not None and len(text) == MAX_CHARS and "\x1b" not in text and "\x07" not in text
    assert all(c.isprintable() or c in "\n\t" for c in text)
    assert any("longer than" in n for n in notes)
    odd = {"cells": [{"cell_type": "markdown", "metadata": {"labtools": {"answer": QID}}, "source": ["a", 3]}]}
    assert written_answers(odd, [QID]) == (
        {QID: None},
        [f"{QID}: the written answer cell's source is not text; graded as not attempted"],
    )
    assert written_answers({"cells": []}, [QID])[0] == {QID: None}


@pytest.fixture
def no_kernel(monkeypatch):
    """grade_one as it is, less the kernel: the code questions' checks do not run (0 points),
    the written answers are read from the file, as always."""
    monkeypatch.setattr(runner, "_execute", lambda answers, settings, inputs=None: Run([], "ok"))


def _class(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True)
    return {
        "s1": _student_with(folder, "Eager runs each op at once; tf.function traces a graph.", "s1.ipynb"),
        "s2": _student_with(folder, None, "s2.ipynb"),
        "s3": _student_with(folder, HOSTILE + " long" * 6000, "s3.ipynb"),
    }


def _rows(path: Path) -> dict[str, dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return {r["id"]: r for r in csv.DictReader(f)}


def grade(*argv: str) -> int:
    return main(["grade", "--lab", "02", "--no-sandbox", "--allow-network", "--quiet", *argv])


def test_grading_records_written_answers_as_manual_with_points_pending(tmp_path, no_kernel, capsys):
    _class(tmp_path / "subs")
    out = tmp_path / "out"
    assert grade(str(tmp_path / "subs"), "--out", str(out)) == 0
    assert "pending: 4 points of written answers" in capsys.readouterr().out
    stored = {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}
    s1, s2, s3 = (stored[s]["questions"][QID] for s in ("s1", "s2", "s3"))
    assert (s1["status"], s1["points"], s1["answer"]) == (
        "MANUAL",
        0,
        "Eager runs each op at once; tf.function traces a graph.",
    )
    assert (s2["status"], s2["points"], s2["answer"]) == ("NOT ATTEMPTED", 0, "")
    assert s3["status"] == "MANUAL" and len(s3["answer"]) == MAX_CHARS and "\x1b" not in s3["answer"]
    assert [stored[s]["pending"] for s in ("s1", "s2", "s3")] == [2, 0, 2]
    rows = _rows(out / "grades.csv")
    assert (rows["s1"]["pending"], rows["s2"]["pending"], rows["s1"][QID]) == ("2", "0", "0")
    feedback = (out / "feedback" / "s3.md").read_text(encoding="utf-8")
    assert "<script>" not in feedback and "\x1b" not in feedback and "Score: 100" not in feedback
    assert "2 points are pending" in feedback and "| MANUAL |" in feedback
    book = json.loads((out / "grades.json").read_text())
    assert book["summary"]["pending"] == 4 and book["summary"]["questions"][QID]["MANUAL"] == 2


def test_manual_grades_fold_into_every_file_and_survive_a_rerun(tmp_path, no_kernel, capsys):
    subs = _class(tmp_path / "subs")
    out = tmp_path / "out"
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name,email\ns1,Ada,ada@x.org\ns2,Alan,alan@x.org\ns3,Grace,grace@x.org\ns4,Kat,kat@x.org\n")
    argv = [str(tmp_path / "subs"), "--out", str(out), "--roster", str(roster)]
    assert grade(*argv) == 0
    before = (out / "results" / "s1.json").read_bytes()
    append_manual(out, ManualGrade("s1", QID, 1.5, "Good; say when it retraces.", "ta1", "2024-01-01T10:00"))
    append_manual(out, ManualGrade("s3", QID, 0, "Off topic", "ta2"))
    with open(out / "manual.csv", "a", encoding="utf-8") as f:  # by hand: one typo, one unknown row
        f.write("s1,q5,two,oops,ta1,\ns9,q5,1,,ta1,\n")
    capsys.readouterr()
    subs["s1"].touch()  # nothing changed: a re-run resumes, regrading nothing
    assert grade(*argv) == 0
    err = capsys.readouterr().err.splitlines()
    manual_lines = [line for line in err if "manual.csv line" in line]
    assert len(manual_lines) == 2 and "line 4" in manual_lines[0] and "'two' is not a number" in manual_lines[0]
    assert "line 5" in manual_lines[1] and "'s9' is not in this gradebook" in manual_lines[1]
    assert (out / "results" / "s1.json").read_bytes() == before, "results are never changed by folding"
    assert "two" in (out / "manual.csv").read_text(), "nothing typed is lost"
    rows = _rows(out / "grades.csv")
    assert (rows["s1"][QID], rows["s1"]["total"], rows["s1"]["pending"]) == ("1.5", "1.5", "0")
    assert (rows["s3"]["total"], rows["s3"]["pending"]) == ("0", "0")
    book = {r["id"]: r for r in json.loads((out / "grades.json").read_text())["submissions"]}
    assert book["s1"]["questions"][QID]["status"] == "GRADED" and book["s1"]["questions"][QID]["message"] == (
        "Good; say when it retraces."
    )
    feedback = (out / "feedback" / "s1.md").read_text(encoding="utf-8")
    assert (
        "| GRADED | 1.5 / 2 |" in feedback and "Good; say when it retraces." in feedback and "pending" not in feedback
    )
    with open(out / "canvas.csv", newline="") as f:
        canvas = {r[2]: r[-1] for r in csv.reader(f) if len(r) > 2}
    with open(out / "moodle.csv", newline="") as f:
        moodle = {r[1]: r[-1] for r in csv.reader(f)}
    assert (canvas["s1"], moodle["s1"], canvas["s4"]) == ("1.5", "1.5", "0")


def test_manual_grades_survive_a_shard_merge(tmp_path, no_kernel, capsys):
    _class(tmp_path / "subs")
    key = tmp_path / "grading.key"
    key.write_text(secrets.token_hex(32))
    shared, merged = tmp_path / "shared", tmp_path / "merged"
    for k in range(2):
        argv = [str(tmp_path / "subs"), "--out", str(shared), "--shard", f"{k}/2", "--key-file", str(key)]
        assert grade(*argv) == 0
    append_manual(merged, ManualGrade("s1", QID, 2, "Full marks"))
    assert main(["grade", "merge", str(shared), "--out", str(merged), "--key-file", str(key)]) == 0
    rows = _rows(merged / "grades.csv")
    assert (rows["s1"]["total"], rows["s1"]["pending"], rows["s3"]["pending"]) == ("2", "0", "2")
    assert "pending: 2 points" in capsys.readouterr().out


def test_gradescope_shows_a_written_answer_as_pending_never_passed():
    from labtools.grading.gradescope import results_json

    result = {
        "status": "ok",
        "total": 0,
        "pending": 2,
        "questions": {QID: {"status": "MANUAL", "points": 0, "message": "9 words; your instructor grades this answer"}},
    }
    out = results_json(result, LAB02, 1.0)
    test = next(t for t in out["tests"] if t["name"].startswith(QID))
    assert "status" not in test and test["output"].startswith("MANUAL") and "Hint" not in test["output"]
    assert "2 points are pending" in out["output"]


def test_the_grader_s_template_keeps_the_placeholder():
    template = load_bundle("02")["template"]
    cell = next(c for c in template["cells"] if c["id"] == f"{QID}-answer")
    assert cell["cell_type"] == "markdown" and "".join(cell["source"]) == PLACEHOLDER
