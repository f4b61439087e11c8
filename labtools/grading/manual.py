"""Grades a person gives written questions: ``OUT/manual.csv``, one line appended per grade.

The file's header is ``row,question,points,comment,grader,time``; the LAST line for a (row,
question) wins, so a regrade is one more line and nothing typed is ever rewritten or lost. It
stays hand-editable: a line that does not make sense is skipped with one line saying why
(:func:`read_manual`), never fatal. Several TAs, processes or threads may append at once: each
line is written under an exclusive lock on ``OUT/manual.csv.lock`` and synced to disk
(:func:`append_manual`).

:func:`fold` applies a row's grades to its result (status GRADED, the points, the comment as
the message, total and pending recomputed) as a new dict; ``results/<id>.json`` is never changed.
"""

from __future__ import annotations

import copy
import csv
import fcntl
import io
import math
import os
from dataclasses import dataclass
from pathlib import Path

from .files import printable

FIELDS = ("row", "question", "points", "comment", "grader", "time")
FILENAME = "manual.csv"
GRADABLE = ("MANUAL", "GRADED", "NOT ATTEMPTED")  # a written question's statuses a person may grade


@dataclass(frozen=True)
class ManualGrade:
    row: str
    question: str
    points: float
    comment: str = ""
    grader: str = ""
    time: str = ""


def format_points(points: float) -> str:
    """``3`` for 3.0, ``2.5`` for 2.5: what a person would type."""
    points = round(float(points), 3)
    return str(int(points)) if points.is_integer() else repr(points)


def _parse_points(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _read_text(path: Path, problems: list[str]) -> str | None:
    """The file's text (None when it is missing or unreadable; a problem line says which)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        problems.append(f"{FILENAME}: cannot read it ({exc.strerror or exc}); no manual grades were counted")
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.append(
            f"{FILENAME}: not all of it is UTF-8 text; unreadable characters were replaced (save it as UTF-8)"
        )
        return raw.decode("utf-8-sig", errors="replace")


def read_manual(
    out: Path, results: dict[str, dict], max_points: dict[str, float]
) -> tuple[dict[tuple[str, str], ManualGrade], list[str]]:
    """The grades in ``out/manual.csv`` (the last valid line for each (row, question)) and the
    problems, one printable line each naming the file's line. ``results``: row id -> result dict;
    ``max_points``: written question id -> its points. A missing file is no grades, no problems."""
    problems: list[str] = []
    text = _read_text(Path(out) / FILENAME, problems)
    if text is None:
        return {}, problems
    reader = csv.reader(io.StringIO(text, newline=""))
    grades: dict[tuple[str, str], ManualGrade] = {}
    columns: dict[str, int] | None = None
    end = 0  # the last physical line read so far
    while True:
        start = end + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            end = reader.line_num
            problems.append(f"{FILENAME} line {start}: not valid CSV ({printable(exc, 80)}); fix or delete the line")
            continue
        end = reader.line_num
        if not record or all(not cell.strip() for cell in record):
            continue
        where = f"{FILENAME} line {start}"
        if columns is None:
            names = [cell.strip().lower() for cell in record]
            missing = [name for name in ("row", "question", "points") if name not in names]
            if missing:
                problems.append(
                    f"{where}: the header should be {','.join(FIELDS)} (no {', '.join(missing)} column);"
                    " no manual grades were counted"
                )
                return {}, problems
            columns = {name: names.index(name) for name in FIELDS if name in names}
            continue
        values = {name: (record[i] if i < len(record) else "") for name, i in columns.items()}
        row, qid, points_text = values["row"].strip(), values["question"].strip(), values["points"]
        problem = _check(row, qid, points_text, results, max_points)
        if problem:
            problems.append(f"{where}: {problem}; fix or delete the line")
            continue
        grades[(row, qid)] = ManualGrade(
            row,
            qid,
            float(_parse_points(points_text) or 0.0),
            values.get("comment", ""),
            values.get("grader", "").strip(),
            values.get("time", "").strip(),
        )
    return grades, problems


def _check(row: str, qid: str, points_text: str, results: dict[str, dict], max_points: dict[str, float]) -> str:
    """Why a line cannot be counted, or ""."""
    if not row:
        return "the row is empty"
    if row not in results:
        return f"row {printable(row, 60)!r} is not in this gradebook"
    if qid not in max_points:
        written = ", ".join(sorted(max_points)) or "none"
        return f"question {printable(qid, 20)!r} is not a written question of this lab (those are: {written})"
    questions = results[row].get("questions") or {}
    if qid not in questions:
        return f"row {row!r} has no result for {qid} (its submission: {printable(results[row].get('status', '?'), 40)})"
    status = questions[qid].get("status") if isinstance(questions[qid], dict) else None
    if status not in GRADABLE:
        return f"row {row!r} {qid} is {printable(status, 20)}, not a written answer to grade"
    points = _parse_points(points_text)
    if points is None:
        return f"points {printable(points_text, 20)!r} is not a number"
    top = max_points[qid]
    if not 0 <= points <= top:
        return f"points {format_points(points)} is outside 0..{format_points(top)} for {qid}"
    return ""


def append_manual(out: Path, grade: ManualGrade) -> None:
    """Append ``grade`` (validated by the caller) as one line of ``out/manual.csv``, under an
    exclusive lock, flushed and synced; the header is written first when the file is new."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    values = {
        "row": grade.row,
        "question": grade.question,
        "points": format_points(grade.points),
        "comment": grade.comment,
        "grader": grade.grader,
        "time": grade.time,
    }
    lock = os.open(out / f"{FILENAME}.lock", os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        fd = os.open(out / FILENAME, os.O_RDWR | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            size = os.fstat(fd).st_size
            order = _header(fd) if size else list(FIELDS)
            line = io.StringIO(newline="")
            csv.writer(line, lineterminator="\n").writerow([values.get(name, "") for name in order])
            text = line.getvalue()
            if size == 0:
                text = ",".join(FIELDS) + "\n" + text
            elif os.pread(fd, 1, size - 1) not in (b"\n", b"\r"):  # hand-edited without a final newline
                text = "\n" + text
            data = text.encode("utf-8", errors="backslashreplace")
            while data:
                data = data[os.write(fd, data) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if size == 0:
            _sync_dir(out)
    finally:
        os.close(lock)  # releases the lock


def _header(fd: int) -> list[str]:
    """The columns of the file's header when a person reordered them (all six there), else FIELDS."""
    first = os.pread(fd, 4096, 0).split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
    names = [name.strip().lower() for name in next(csv.reader([first]), [])]
    return names if set(FIELDS) <= set(names) else list(FIELDS)


def _sync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def fold(result: dict, grades: dict[tuple[str, str], ManualGrade]) -> dict:
    """A new result dict with the row's manual grades applied to its written questions (status
    GRADED, the points, message = the comment), total and pending recomputed."""
    folded = copy.deepcopy(result)
    row = folded.get("id", "")
    questions = folded.get("questions")
    if not isinstance(questions, dict):
        return folded
    for qid, question in questions.items():
        grade = grades.get((row, qid))
        if grade is None or not isinstance(question, dict) or question.get("status") not in GRADABLE:
            continue
        question["status"] = "GRADED"
        question["points"] = round(min(max(grade.points, 0.0), float(question.get("max", grade.points))), 3)
        question["message"] = grade.comment
    if questions:
        folded["total"] = round(sum(float(q.get("points", 0)) for q in questions.values() if isinstance(q, dict)), 3)
        folded["pending"] = round(
            sum(
                float(q.get("max", 0))
                for q in questions.values()
                if isinstance(q, dict) and q.get("status") == "MANUAL"
            ),
            3,
        )
    return folded
