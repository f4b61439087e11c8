"""A grader no submission can break: odd files, odd names, injected text, replayed shard
results and misnamed files in a folder per student (the attacker's corpus against ``labtools grade``).

Fast: no kernel starts. The rows checked end to end (``grade_all`` on lab 02) are unreadable
before any kernel would; everything else calls the reader, the finder, the writers and the
merge directly, with the stand-in grader of ``test_course_grading`` where a run needs one.
"""

import csv
import hashlib
import json
import os
import re
import secrets
import tempfile
import threading
from pathlib import Path

import nbformat
import pytest
from test_course_grading import fake_grade_one

from labtools.cli import main
from labtools.grading import runner, shards
from labtools.grading.files import printable
from labtools.grading.gradescope import pick_notebook, results_json
from labtools.grading.report import feedback, write_gradebook
from labtools.grading.results import QuestionResult, SubmissionResult
from labtools.grading.roster import Roster, match
from labtools.grading.runner import Settings, find_notebooks, grade_all, load_bundle
from labtools.grading.submission import (
    Unreadable,
    extract_answers,
    read_notebook,
    read_submission,
    submission_digest,
)
from labtools.labs import load_lab

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "instructor" / "solutions" / "02_computation.ipynb"
LAB = load_lab("02")
QUICK = 30  # seconds: anything slower than this has blocked


def finishes(fn, *args, timeout=QUICK, **kwargs):
    """``fn(*args)`` run in a daemon thread; fails the test (never hangs it) if it blocks."""
    box: dict = {}

    def call():
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # handed to the test
            box["error"] = exc

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"{fn.__name__} blocked for more than {timeout} s"
    if "error" in box:
        raise box["error"]
    return box["value"]


def settings_for(out: Path) -> Settings:
    return Settings(lab="02", bundle=load_bundle("02"), out=out)


def notebook(source: str = "x = 1", cell_type: str = "code", **cell) -> dict:
    """A minimal v4 notebook whose q1 answer cell holds ``source``."""
    answer: dict = {"cell_type": cell_type, "id": "q1-answer", "metadata": {}, "source": source}
    if cell_type == "code":
        answer.update(outputs=[], execution_count=None)
    answer.update(cell)
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [answer]}


def write_json(path: Path, data) -> Path:
    path.write_text(json.dumps(data))
    return path


def rows(out: Path) -> dict[str, dict]:
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        return {r["id"]: r for r in csv.DictReader(f)}


def result_row(sid="s1", file="s1.ipynb", notes=(), message="", status="ok") -> dict:
    result = SubmissionResult(id=sid, file=file, lab="02", status=status, notes=list(notes))
    for qid, q in LAB.questions.items():
        result.questions[qid] = QuestionResult(q.title, "FAIL", 0, q.points, message)
    return result.finish(LAB.max_points, 0.0).to_dict()


# -- reading one file: regular files only, bounded, never blocking --------------------------------


def test_a_fifo_is_unreadable_at_once(tmp_path):
    fifo = tmp_path / "fifo.ipynb"
    os.mkfifo(fifo)
    with pytest.raises(Unreadable, match=r"not a regular file \(a FIFO\)"):
        finishes(read_notebook, fifo)


def test_a_symlink_to_dev_zero_is_not_followed(tmp_path):
    link = tmp_path / "zero.ipynb"
    link.symlink_to("/dev/zero")
    with pytest.raises(Unreadable, match=r"not a regular file \(a symlink\)"):
        finishes(read_notebook, link)


def test_a_symlink_to_the_solution_is_not_read(tmp_path):
    link = tmp_path / "s1.ipynb"
    link.symlink_to(SOLUTION)
    with pytest.raises(Unreadable, match="a symlink") as info:
        read_submission(link)
    assert info.value.sha256 == "" and submission_digest(link) == ""


def test_a_symlink_to_a_private_key_puts_none_of_it_in_the_message(tmp_path):
    key = tmp_path / "grading.key"
    key.write_text("-----BEGIN PRIVATE KEY-----\n")
    key.chmod(0o600)
    link = tmp_path / "s1.ipynb"
    link.symlink_to(key)
    with pytest.raises(Unreadable) as info:
        read_notebook(link)
    assert "PRIVATE" not in str(info.value) and "BEGIN" not in str(info.value)


def test_the_digest_is_of_the_very_bytes_parsed(tmp_path):
    path = tmp_path / "s1.ipynb"
    path.write_text(nbformat.writes(nbformat.from_dict(notebook())))
    digest, nb = read_submission(path)
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest() == submission_digest(path)
    assert nb["cells"][0]["id"] == "q1-answer"


def test_an_unreadable_regular_file_still_has_its_digest(tmp_path):
    path = tmp_path / "empty.ipynb"
    path.write_bytes(b"")
    with pytest.raises(Unreadable, match="empty") as info:
        read_submission(path)
    assert info.value.sha256 == hashlib.sha256(b"").hexdigest()


def test_an_oversized_file_is_read_only_up_to_the_limit(tmp_path, monkeypatch):
    from labtools.grading import submission

    monkeypatch.setattr(submission, "MAX_BYTES", 1000)
    path = tmp_path / "big.ipynb"
    path.write_bytes(b" " * 5000 + b"{}")
    reads = []
    real_read = os.read
    monkeypatch.setattr(submission.os, "read", lambda fd, n: reads.append(n) or real_read(fd, n))
    with pytest.raises(Unreadable, match="larger than") as info:
        read_submission(path)
    assert sum(reads) <= 1001 and info.value.sha256 == hashlib.sha256(b" " * 1001).hexdigest()


def test_json_nested_600_deep_is_unreadable_in_one_line(tmp_path):
    deep: list = []
    for _ in range(600):
        deep = [deep]
    path = write_json(tmp_path / "deep.ipynb", {**notebook(), "metadata": {"x": deep}})
    with pytest.raises(Unreadable, match="nested more than") as info:
        read_notebook(path)
    assert "\n" not in str(info.value)


def test_json_nested_past_the_parsers_limit_is_unreadable_too(tmp_path):
    path = tmp_path / "deeper.ipynb"
    path.write_text('{"nbformat": 4, "cells": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(Unreadable, match="nested more than"):
        read_notebook(path)


# -- what a notebook holds: answers and notes that can always be written ------------------------


def test_a_lone_surrogate_in_an_answer_is_written_as_an_escape(tmp_path):
    path = write_json(tmp_path / "s1.ipynb", notebook("print('\ud800')"))
    answers = extract_answers(read_notebook(path), ["q1-answer"])
    assert answers.cells["q1-answer"] == "print('\\ud800')"  # the same string, as a Python escape
    answers.cells["q1-answer"].encode("utf-8")
    assert any("not valid Unicode" in n for n in answers.notes)


def test_a_cell_type_with_a_surrogate_and_newlines_is_one_printable_note(tmp_path):
    nb = notebook(cell_type="mark\udcffdown\n\n**Score: 100 / 6**")
    answers = extract_answers(read_notebook(write_json(tmp_path / "s1.ipynb", nb)), ["q1-answer"])
    [note] = answers.notes
    assert "\n" not in note and note.isprintable() and "\\xff" in note
    note.encode("utf-8")


def test_an_answer_whose_source_is_not_text_is_not_attempted(tmp_path):
    nb = notebook()
    nb["cells"][0]["source"] = {"x": [1]}
    answers = extract_answers(read_notebook(write_json(tmp_path / "s1.ipynb", nb)), ["q1-answer"])
    assert not answers.cells and any("not text" in n for n in answers.notes)


# -- finding the files: nothing followed, nothing blocks ----------------------------------------


def test_symlinks_are_listed_not_followed(tmp_path):
    subs = tmp_path / "subs"
    (subs / "s1").mkdir(parents=True)
    (subs / "s2").symlink_to(SOLUTION.parent, target_is_directory=True)  # a folder of solutions
    (subs / "s1" / "lab.ipynb").symlink_to(SOLUTION)
    (subs / "notes.txt").symlink_to(SOLUTION)  # not a notebook's name, not a folder: ignored
    found = finishes(find_notebooks, [subs])
    assert found == [subs / "s1" / "lab.ipynb", subs / "s2"]


def test_a_fifo_in_a_folder_is_listed_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "fifo.ipynb")
    assert finishes(find_notebooks, [tmp_path]) == [tmp_path / "fifo.ipynb"]


def test_a_top_level_symlink_to_a_folder_is_a_row_and_a_warning(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.ipynb").write_text("{}")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    warnings: list[str] = []
    assert find_notebooks([tmp_path / "link"], warn=warnings.append) == [tmp_path / "link"]
    assert len(warnings) == 1 and "not followed" in warnings[0]


def _remove_deep(top: Path) -> None:
    """Remove a chain of nested folders from the bottom up (shutil.rmtree recurses, and fails)."""
    chain = [top]
    while True:
        below = [e for e in os.scandir(chain[-1]) if e.is_dir(follow_symlinks=False)]
        if not below:
            break
        chain.append(Path(below[0].path))
    for folder in reversed(chain):
        for entry in os.scandir(folder):
            os.unlink(entry.path)
        os.rmdir(folder)


def test_a_folder_1200_levels_deep_is_walked_without_recursion():
    # outside pytest's tmp_path: its cleanup (shutil.rmtree) recurses and cannot remove this
    top = Path(tempfile.mkdtemp(prefix="labtools-test-deep-"))
    try:
        folder = top
        for _ in range(1200):  # deeper than Python's recursion limit
            folder = folder / "d"
            os.mkdir(folder)
        (folder / "a.ipynb").write_text("{}")
        assert find_notebooks([top]) == [folder / "a.ipynb"]
    finally:
        _remove_deep(top)


def test_a_folder_that_cannot_be_listed_is_one_warning(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    (tmp_path / "a.ipynb").write_text("{}")
    real_scandir = os.scandir

    def scandir(path):  # what chmod 0 does, for root too
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(runner.os, "scandir", scandir)
    warnings: list[str] = []
    assert find_notebooks([tmp_path], warn=warnings.append) == [tmp_path / "a.ipynb"]
    assert len(warnings) == 1 and "cannot list" in warnings[0] and "Permission denied" in warnings[0]


def test_a_file_name_that_is_not_utf8_is_found(tmp_path):
    os.close(os.open(os.path.join(os.fsencode(tmp_path), b"\xff\xfe.ipynb"), os.O_CREAT | os.O_WRONLY))
    [found] = find_notebooks([tmp_path])
    assert os.fsencode(found.name) == b"\xff\xfe.ipynb"


# -- whole rows: grade_all on lab 02, each odd file unreadable before any kernel ------------------


def test_a_fifo_submission_gets_an_unreadable_row_and_a_gradebook(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    os.mkfifo(subs / "s1.ipynb")
    [row] = finishes(grade_all, find_notebooks([subs]), settings_for(tmp_path / "out"), progress=False)
    assert (row["status"], row["total"], row["notes"]) == ("unreadable", 0, ["not a regular file (a FIFO)"])
    assert rows(tmp_path / "out")["s1"]["status"] == "unreadable"


def test_a_rerun_over_a_fifo_does_not_block(tmp_path):
    os.mkfifo(tmp_path / "s1.ipynb")
    settings = settings_for(tmp_path / "out")
    finishes(grade_all, [tmp_path / "s1.ipynb"], settings, progress=False)
    [row] = finishes(grade_all, [tmp_path / "s1.ipynb"], settings, progress=False)
    assert row["status"] == "unreadable"


def test_a_symlink_to_dev_zero_gets_an_unreadable_row(tmp_path):
    (tmp_path / "s1.ipynb").symlink_to("/dev/zero")
    [row] = finishes(grade_all, [tmp_path / "s1.ipynb"], settings_for(tmp_path / "out"), progress=False)
    assert (row["status"], row["notes"]) == ("unreadable", ["not a regular file (a symlink)"])


def test_a_symlink_to_the_solution_earns_nothing(tmp_path):
    (tmp_path / "s1.ipynb").symlink_to(SOLUTION)
    [row] = grade_all([tmp_path / "s1.ipynb"], settings_for(tmp_path / "out"), progress=False)
    assert (row["status"], row["total"], row["sha256"]) == ("unreadable", 0, "")
    assert {q["status"] for q in row["questions"].values()} == {"NOT ATTEMPTED"}


def test_a_symlink_to_a_key_file_puts_none_of_it_in_the_feedback(tmp_path):
    key = tmp_path / "grading.key"
    key.write_text("TOPSECRETKEYBYTES\n")
    key.chmod(0o600)
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "s1.ipynb").symlink_to(key)
    out = tmp_path / "out"
    grade_all([tmp_path / "subs" / "s1.ipynb"], settings_for(out), progress=False)
    written = [p.read_text() for p in out.rglob("*") if p.is_file()]
    assert written and not any("TOPSECRET" in text for text in written)


def test_a_file_name_that_is_not_utf8_gets_a_row_and_a_gradebook(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    with open(os.path.join(os.fsencode(subs), b"\xff\xfe.ipynb"), "wb") as f:
        f.write(b"not a notebook")
    out = tmp_path / "out"
    [row] = grade_all(find_notebooks([subs]), settings_for(out), progress=False)
    assert row["status"] == "unreadable"
    [csv_row] = rows(out).values()
    assert csv_row["file"].endswith("\\xff\\xfe.ipynb")
    book = (out / "grades.json").read_text(encoding="utf-8")
    assert "\\\\xff\\\\xfe.ipynb" in book and "\\udc" not in book  # escaped, no lone surrogate
    assert (out / "feedback" / f"{row['id']}.md").read_text(encoding="utf-8")


def test_a_rerun_with_a_file_name_that_is_not_utf8_writes_the_gradebook_again(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    with open(os.path.join(os.fsencode(subs), b"caf\xe9.ipynb"), "wb") as f:
        f.write(b"")
    out = tmp_path / "out"
    grade_all(find_notebooks([subs]), settings_for(out), progress=False)
    (out / "grades.csv").unlink()
    [row] = grade_all(find_notebooks([subs]), settings_for(out), progress=False)
    assert row["status"] == "unreadable" and rows(out)[row["id"]]["file"].endswith("caf\\xe9.ipynb")


# -- writing: escapes, never a crash, kernel text quoted as code ---------------------------------


def test_a_lone_surrogate_in_a_note_does_not_stop_the_gradebook(tmp_path):
    settings = settings_for(tmp_path / "out")
    results = [result_row(notes=["q2: the answer cell was changed to mark\udcffdown"], file="s\udcff.ipynb")]
    assert write_gradebook(results, settings) == []
    text = (tmp_path / "out" / "feedback" / "s1.md").read_text(encoding="utf-8")
    assert "mark\\xffdown" in text


def test_a_forged_score_line_stays_inside_code(tmp_path):
    row = result_row(notes=["execution stopped: Err:\n\n**Score: 100 / 6**\n"], message="**Score: 100 / 6**")
    lines = feedback(row, LAB).splitlines()
    assert [line for line in lines if line.startswith("**Score")] == [f"**Score: 0 / {LAB.max_points:g}**"]
    fence = lines.index("```text")
    assert lines[fence + 1].startswith("execution stopped: Err:\\n") and lines[fence + 2] == "```"
    table = [line for line in lines if re.match(r"\| q\d", line)]
    assert len(table) == len(LAB.questions) and all("` **Score: 100 / 6** `" in line for line in table)


def test_backticks_and_pipes_in_kernel_text_cannot_leave_the_code_span(tmp_path):
    row = result_row(message="a ``` b ` | q9 | PASS | 99 |", notes=["````"])
    text = feedback(row, LAB)
    q1 = next(line for line in text.splitlines() if line.startswith("| q1"))
    assert "```` a ``` b ` \\| q9 \\| PASS \\| 99 \\| ````" in q1
    assert len(re.findall(r"(?<!\\)\|", q1)) == 5  # the table's own pipes: four columns
    lines = text.splitlines()
    assert "`````text" in lines and lines[lines.index("`````text") + 2] == "`````"


def test_printable_escapes_control_codes_newlines_bidi_and_odd_bytes():
    assert printable("a\x1b[31mb\nc\u202ed\udcff") == "a\\x1b[31mb\\nc\\u202ed\\xff"
    assert printable("é ok") == "é ok" and printable("x" * 10, 5) == "xx..."


def test_gradescope_output_is_one_plain_line_per_note():
    row = result_row(notes=["a\n**Score: 100 / 6**"], message="<b>x</b>\nPASS")
    results = results_json(row, LAB, 1.0)
    assert results["output_format"] == results["test_output_format"] == "text"
    assert "\n**Score" not in results["output"] and all("\n" not in t["output"] for t in results["tests"])


def test_gradescope_grades_a_regular_notebook_over_a_symlink(tmp_path):
    (tmp_path / "02_computation.ipynb").symlink_to(SOLUTION)
    (tmp_path / "mine.ipynb").write_text("{}")
    assert pick_notebook(tmp_path, "02_computation") == (tmp_path / "mine.ipynb", "")


# -- the terminal: every name printed is printable ---------------------------------------------


@pytest.fixture
def fake_grader(monkeypatch):
    """tests/test_course_grading.py's stand-in grader: a "submission" is {"marks": [q1, q2, q3, q4]}."""
    monkeypatch.setattr(runner, "grade_one", fake_grade_one)


def submit(folder: Path, name: str, marks: list[float]) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"marks": marks}))
    return path


def grade(*argv: str) -> int:
    return main(["grade", "--lab", "02", "--no-sandbox", "--allow-network", "--quiet", *argv])


def test_names_with_escape_codes_reach_the_terminal_escaped(tmp_path, fake_grader, capsys):
    subs = tmp_path / "subs"
    submit(subs, "s1.ipynb", [1, 2, 2, 1])
    submit(subs, "evil\x1b]0;pwned\x07\nlabtools grade: all good.ipynb", [0, 0, 0, 0])
    roster = tmp_path / "roster.csv"
    roster.write_text("id\ns1\n")
    assert grade(str(subs), "--out", str(tmp_path / "out"), "--roster", str(roster)) == 0
    captured = capsys.readouterr()
    assert "\x1b" not in captured.err + captured.out and "\x07" not in captured.err
    [line] = [line for line in captured.err.splitlines() if "evil" in line]
    assert "\\x1b]0;pwned\\x07\\nlabtools grade: all good.ipynb matches no student" in line


# -- shards: each result bound to its run and to the file it graded -----------------------------


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "grading.key"
    path.write_text(secrets.token_hex(32) + "\n")
    return path


def shard_class(tmp_path: Path, key_file: Path, count: int = 2) -> tuple[Path, Path, list[str]]:
    subs, shared = tmp_path / "subs", tmp_path / "shared"
    roster = tmp_path / "roster.csv"
    roster.write_text("id\ns1\ns2\ns3\n")
    for sid in ("s1", "s2", "s3"):
        submit(subs, f"{sid}.ipynb", [1, 2, 2, 1])
    for k in range(count):
        argv = [str(subs), "--out", str(shared), "--roster", str(roster), "--shard", f"{k}/{count}"]
        assert grade(*argv, "--key-file", str(key_file)) == 0
    return subs, shared, ["grade", "merge", str(shared), "--out", str(tmp_path / "merged"), "--key-file", str(key_file)]


def test_a_result_whose_submission_changed_since_is_refused(tmp_path, fake_grader, key_file, capsys):
    subs, _, merge = shard_class(tmp_path, key_file)
    submit(subs, "s1.ipynb", [0, 0, 0, 0])  # the student's file is now another one
    capsys.readouterr()
    assert main(merge) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "s1.json: its submission" in err[0] and "has changed since shard" in err[0]
    assert not (tmp_path / "merged" / "grades.csv").exists()


def test_an_old_result_replayed_into_a_new_run_is_refused(tmp_path, fake_grader, key_file, capsys):
    subs, shared, merge = shard_class(tmp_path, key_file)
    old = (shared / "results" / "s1.json").read_text()  # signed: 6/6 for the first file
    submit(subs, "s1.ipynb", [0, 0, 0, 0])
    roster = tmp_path / "roster.csv"
    for k in range(2):  # the shards run again: s1 is graded again, 0/6
        argv = [str(subs), "--out", str(shared), "--roster", str(roster), "--shard", f"{k}/2"]
        assert grade(*argv, "--key-file", merge[-1]) == 0
    (shared / "results" / "s1.json").write_text(old)
    capsys.readouterr()
    assert main(merge) == 1
    err = capsys.readouterr().err
    assert "s1.json: not the result shard" in err and "another run" in err


def test_unchanged_submissions_merge(tmp_path, fake_grader, key_file):
    _, _, merge = shard_class(tmp_path, key_file)
    assert main(merge) == 0
    assert {r["id"]: r["total"] for r in rows(tmp_path / "merged").values()} == {"s1": "6", "s2": "6", "s3": "6"}


def test_a_manifest_without_digests_is_refused(tmp_path, fake_grader, key_file, capsys):
    from labtools.grading.signing import load_key, sign

    _, shared, merge = shard_class(tmp_path, key_file)
    path = shared / "shards" / "0-of-2.json"
    record = json.loads(path.read_text())
    del record["graded"], record["run"]  # as an older labtools wrote it
    path.write_text(json.dumps(sign(record, load_key(key_file))))
    capsys.readouterr()
    assert main(merge) == 1
    assert "0-of-2.json: records no run id or no digests" in capsys.readouterr().err


def test_the_run_id_is_the_same_on_every_shard(tmp_path, fake_grader, key_file):
    _, shared, _ = shard_class(tmp_path, key_file)
    manifests = [json.loads(p.read_text()) for p in sorted((shared / "shards").glob("*.json"))]
    assert len({m["run"] for m in manifests}) == 1 and all(m["run"] == shards.run_id(m) for m in manifests)


# -- rosters: with a folder per student, the folder decides ------------------------------------


def test_a_file_in_one_students_folder_naming_another_counts_for_the_folder(tmp_path):
    roster_csv = tmp_path / "roster.csv"
    roster_csv.write_text("id\ns100\ns200\n")
    subs = tmp_path / "subs"
    own = submit(subs, "s100/lab02.ipynb", [1, 2, 2, 1])
    planted = submit(subs, "s200/s100.ipynb", [0, 0, 0, 0])
    plan = match([own, planted], Roster.load(roster_csv))
    assert [(r.id, r.file) for r in plan.rows] == [("s100", str(own)), ("s200", str(planted))]
    assert plan.superseded == [] and plan.misnamed == [(str(planted), "s200", "s100")]


def test_a_misnamed_file_is_flagged_in_matching_csv_and_on_stderr(tmp_path, fake_grader, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text("id\ns100\ns200\n")
    subs, out = tmp_path / "subs", tmp_path / "out"
    submit(subs, "s100/lab02.ipynb", [1, 2, 2, 1])
    submit(subs, "s200/s100.ipynb", [0, 0, 0, 0])
    assert grade(str(subs), "--out", str(out), "--roster", str(roster)) == 0
    assert "s200/s100.ipynb is in the folder of student s200 but its name names student s100" in capsys.readouterr().err
    with open(out / "matching.csv", newline="", encoding="utf-8") as f:
        matching = {r["student id"]: r for r in csv.DictReader(f)}
    assert matching["s100"]["total"] == "6" and matching["s100"]["note"] == ""
    assert "names student s100" in matching["s200"]["note"] and matching["s200"]["total"] == "0"


def test_a_grader_error_row_still_merges(tmp_path, fake_grader, key_file, monkeypatch):
    def broken_for_s1(path, sid, settings):
        if sid == "s1":
            raise RuntimeError("the grader broke")
        return fake_grade_one(path, sid, settings)

    monkeypatch.setattr(runner, "grade_one", broken_for_s1)
    _, _, merge = shard_class(tmp_path, key_file)
    assert main(merge) == 0
    merged = rows(tmp_path / "merged")
    assert (merged["s1"]["status"], merged["s2"]["total"]) == ("grader error", "6")
