"""Gradebook files for learning management systems, made from a roster run's rows.

* ``canvas.csv``: Canvas's gradebook import. Columns ``Student, ID, SIS User ID, SIS Login ID,
  Section`` and one assignment column; a ``Points Possible`` row second. Canvas finds each
  student by ID, SIS User ID or SIS Login ID; an assignment column whose name matches no
  assignment becomes a new assignment (to update an existing one, name the column as Canvas's
  own export does, ``Lab 02 (123456)``). Each student on the roster has a row.
* ``moodle.csv``: Moodle's CSV grade import. ``Email address``, ``ID number`` and one column
  for the grade item; on import map ``Email address`` to ``useremail`` (or ``ID number`` to
  ``useridnumber``) and the lab's column to its grade item.
* ``matching.csv``: how each student and each submission was matched (submitted, missing,
  unmatched, superseded), with the file (odd bytes of its name escaped) and a ``note`` where a
  file in one student's folder names another student.

Students without a submission get 0 in both LMS files (a blank leaves an old grade standing);
the gradebook's status for them is ``missing``. Submissions that match no student cannot go to
an LMS: they are in ``matching.csv`` and ``grades.csv`` as ``unmatched__<file>``.
"""

from __future__ import annotations

import csv
import io

from .files import printable
from .plan import MISSING, UNMATCHED, Plan

CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_COLUMNS = ["Email address", "ID number"]


def _fmt(x) -> str:
    return f"{x:g}" if isinstance(x, (int, float)) else str(x)


def _csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _scores(plan: Plan, results: list[dict]):
    """(student, score) for each roster student, in roster order."""
    for row, result in zip(plan.rows, results, strict=True):
        if row.student is not None:
            yield row.student, (0 if row.state == MISSING else result.get("total", 0))


def canvas_csv(plan: Plan, results: list[dict], assignment: str, max_points: float) -> str:
    lines = [[*CANVAS_COLUMNS, assignment], ["Points Possible", "", "", "", "", _fmt(max_points)]]
    for student, score in _scores(plan, results):
        lines.append([student.name, student.lms_id, student.id, student.login, student.section, _fmt(score)])
    return _csv(lines)


def moodle_csv(plan: Plan, results: list[dict], assignment: str) -> str:
    lines = [[*MOODLE_COLUMNS, assignment]]
    for student, score in _scores(plan, results):
        lines.append([student.email, student.id, _fmt(score)])
    return _csv(lines)


def matching_csv(plan: Plan, results: list[dict]) -> str:
    """Who submitted what; ``note`` flags a file in one student's folder whose name names another."""
    lines = [["student id", "name", "email", "section", "state", "row", "file", "status", "total", "note"]]
    for row, result in zip(plan.rows, results, strict=True):
        s = row.student
        lines.append(
            [
                s.id if s else "",
                s.name if s else "",
                s.email if s else "",
                s.section if s else "",
                row.state,
                row.id,
                printable(row.file),
                printable(result.get("status", "")),
                _fmt(result.get("total", 0)),
                plan.misnamed_note(row.file) if row.file else "",
            ]
        )
    for file, student_id in plan.superseded:
        note = plan.misnamed_note(file)
        lines.append(
            [student_id, "", "", "", "superseded", "", printable(file), "not graded: a later file was", "", note]
        )
    return _csv(lines)


def unmatched_files(plan: Plan) -> list[str]:
    return [r.file for r in plan.rows if r.state == UNMATCHED]
