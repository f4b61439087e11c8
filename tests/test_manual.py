"""OUT/manual.csv: grades a person gives written questions (labtools/grading/manual.py)."""

from __future__ import annotations

import json
import multiprocessing
import threading

from labtools.grading.manual import FIELDS, ManualGrade, append_manual, fold, read_manual


def _result(row: str, written: str = "MANUAL") -> dict:
    return {
        "id": row,
        "file": f"{row}.ipynb",
        "lab": "01",
        "status": "ok",
        "questions": {
            "q1": {"title": "Code", "status": "PASS", "points": 2.0, "max": 2.0, "message": ""},
            "q7": {"title": "Explain", "status": written, "points": 0.0, "max": 3.0, "message": "", "answer": "Words"},
        },
        "total": 2.0,
        "max": 5.0,
        "pending": 3.0 if written == "MANUAL" else 0.0,
    }


RESULTS = {"s1": _result("s1"), "s2": _result("s2"), "s3": _result("s3", "NOT ATTEMPTED")}
WRITTEN = {"q7": 3.0}


def test_missing_file_is_no_grades(tmp_path):
    assert read_manual(tmp_path, RESULTS, WRITTEN) == ({}, [])


def test_append_writes_header_once_and_last_line_wins(tmp_path):
    append_manual(tmp_path, ManualGrade("s1", "q7", 2, "good, but, short", "ta1", "2025-01-01T10:00"))
    append_manual(tmp_path, ManualGrade("s2", "q7", 1.5, 'says "why"\nsecond line', "ta2"))
    append_manual(tmp_path, ManualGrade("s1", "q7", 3, "regraded", "ta2"))
    text = (tmp_path / "manual.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(FIELDS)
    assert text.count("row,question") == 1
    grades, problems = read_manual(tmp_path, RESULTS, WRITTEN)
    assert problems == []
    assert grades[("s1", "q7")] == ManualGrade("s1", "q7", 3.0, "regraded", "ta2", "")
    assert grades[("s2", "q7")].comment == 'says "why"\nsecond line'
    assert grades[("s2", "q7")].points == 1.5
    assert ",1.5," in text and ",3,regraded" in text  # points as a person types them


def test_bad_lines_are_skipped_one_line_each_naming_the_line(tmp_path):
    (tmp_path / "manual.csv").write_text(
        "row,question,points,comment,grader,time\n"
        "s1,q7,2,fine,ta,\n"  # line 2: good
        "s9,q7,1,,ta,\n"  # 3: unknown row
        "s1,q1,1,,ta,\n"  # 4: a code question
        "s1,q8,1,,ta,\n"  # 5: not a question
        "s2,q7,lots,,ta,\n"  # 6: not a number
        "s2,q7,4,,ta,\n"  # 7: above max
        "s2,q7,-1,,ta,\n"  # 8: below 0
        "s2,q7,nan,,ta,\n"  # 9: not finite
        "\n"  # 10: blank, ignored
        ',q7,1,"multi\nline",ta,\n'  # 11-12: empty row
        "s1,q7,9,overrides nothing,ta,\n",  # 13: bad, so line 2 still holds
        encoding="utf-8",
    )
    before = (tmp_path / "manual.csv").read_bytes()
    grades, problems = read_manual(tmp_path, RESULTS, WRITTEN)
    assert grades == {("s1", "q7"): ManualGrade("s1", "q7", 2.0, "fine", "ta", "")}
    assert [p.split(":")[0] for p in problems] == [f"manual.csv line {n}" for n in (3, 4, 5, 6, 7, 8, 9, 11, 13)]
    assert "row 's9' is not in this gradebook; fix or delete the line" in problems[0]
    assert "not a written question" in problems[1] and "q7" in problems[1]
    assert "is not a number" in problems[3]
    assert "outside 0..3" in problems[4]
    assert all("\n" not in p and p.isprintable() for p in problems)
    assert (tmp_path / "manual.csv").read_bytes() == before  # never rewritten


def test_hostile_values_in_problems_are_printable(tmp_path):
    (tmp_path / "manual.csv").write_text("row,question,points\n\x1b[31mevil\u202e,q7,1\n", encoding="utf-8")
    grades, problems = read_manual(tmp_path, RESULTS, WRITTEN)
    assert grades == {} and len(problems) == 1
    assert problems[0].isprintable() and "\x1b" not in problems[0]


def test_wrong_header_counts_nothing_and_says_so(tmp_path):
    (tmp_path / "manual.csv").write_text("student,q,score\ns1,q7,2\n", encoding="utf-8")
    grades, problems = read_manual(tmp_path, RESULTS, WRITTEN)
    assert grades == {}
    assert problems == [
        "manual.csv line 1: the header should be row,question,points,comment,grader,time"
        " (no row, question, points column); no manual grades were counted"
    ]


def test_hand_edited_file_reordered_columns_and_no_final_newline(tmp_path):
    (tmp_path / "manual.csv").write_text(
        "\ufeffquestion,row,points,grader,time,comment\r\nq7,s1,1,ta,,ok", encoding="utf-8"
    )  # as a spreadsheet saves it
    append_manual(tmp_path, ManualGrade("s2", "q7", 2, "appended", "ta2"))
    grades, problems = read_manual(tmp_path, RESULTS, WRITTEN)
    assert problems == []
    assert grades[("s1", "q7")] == ManualGrade("s1", "q7", 1.0, "ok", "ta", "")
    assert grades[("s2", "q7")] == ManualGrade("s2", "q7", 2.0, "appended", "ta2", "")
    lines = (tmp_path / "manual.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[1:] == ["q7,s1,1,ta,,ok", "q7,s2,2,ta2,,appended"]  # the file's own column order
    # a header missing columns: nothing is counted, and the reader says so
    (tmp_path / "manual.csv").write_text("row,question\ns1,q7\n", encoding="utf-8")
    assert len(read_manual(tmp_path, RESULTS, WRITTEN)[1]) == 1


def test_not_attempted_may_be_graded_code_questions_may_not(tmp_path):
    append_manual(tmp_path, ManualGrade("s3", "q7", 1, "found it elsewhere"))
    grades, problems = read_manual(tmp_path, RESULTS, WRITTEN)
    assert problems == [] and grades[("s3", "q7")].points == 1


def _append_many(out, worker: int, n: int) -> None:
    for k in range(n):
        append_manual(out, ManualGrade(f"s{k}", "q7", 1, f"worker {worker} grade {k}, " + "x" * 3000, f"ta{worker}"))


def test_concurrent_appends_from_processes_and_threads_lose_nothing(tmp_path):
    n, workers = 40, 4
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_append_many, args=(tmp_path, w, n)) for w in range(workers)]
    threads = [threading.Thread(target=_append_many, args=(tmp_path, w, n)) for w in range(workers, workers + 2)]
    for p in procs:
        p.start()
    for t in threads:
        t.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    for t in threads:
        t.join(60)
    results = {f"s{k}": _result(f"s{k}") for k in range(n)}
    text = (tmp_path / "manual.csv").read_text(encoding="utf-8")
    assert text.count("row,question,points") == 1
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert len(rows) == n * (workers + 2)
    assert {(r[4], r[0]) for r in rows} == {(f"ta{w}", f"s{k}") for w in range(workers + 2) for k in range(n)}
    grades, problems = read_manual(tmp_path, results, WRITTEN)
    assert problems == [] and len(grades) == n


def test_fold_applies_grades_and_never_writes_results(tmp_path):
    (tmp_path / "results").mkdir()
    stored = tmp_path / "results" / "s1.json"
    stored.write_text(json.dumps(RESULTS["s1"]), encoding="utf-8")
    before = stored.read_bytes()
    result = json.loads(before)
    grades = {("s1", "q7"): ManualGrade("s1", "q7", 2.5, "clear; cite the docs", "ta")}
    folded = fold(result, grades)
    assert folded["questions"]["q7"]["status"] == "GRADED"
    assert folded["questions"]["q7"]["points"] == 2.5
    assert folded["questions"]["q7"]["message"] == "clear; cite the docs"
    assert folded["total"] == 4.5 and folded["pending"] == 0
    assert result == RESULTS["s1"]  # the argument is untouched
    assert stored.read_bytes() == before
    # another row's grade does not apply; an ungraded MANUAL stays pending
    other = fold(RESULTS["s2"], grades)
    assert other["questions"]["q7"]["status"] == "MANUAL" and other["pending"] == 3 and other["total"] == 2
    # a code question is never changed by a grade for it
    code = fold(RESULTS["s1"], {("s1", "q1"): ManualGrade("s1", "q1", 0)})
    assert code["questions"]["q1"]["points"] == 2 and code["questions"]["q1"]["status"] == "PASS"
