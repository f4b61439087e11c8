"""Everything written from a run's results: the gradebook and feedback (``report.py``), and with
a roster the LMS files and the matching report (``lms.py``). A single run and
``labtools grade merge`` both end here, so the two write the same files from the same results."""

from __future__ import annotations

import json
from pathlib import Path

from ..labs import load_lab
from . import lms
from .class_report import publish_report
from .files import write_atomic
from .plan import Plan, assemble
from .report import write_gradebook
from .signing import verify


def default_assignment(lab) -> str:
    return f"Lab {lab.number}: {lab.title}"


def publish(
    plan: Plan, results: dict[str, dict], settings, assignment: str | None = None
) -> tuple[list[dict], list[str]]:
    """Write the gradebook (and, with a roster, canvas.csv, moodle.csv and matching.csv) to
    ``settings.out``, with the grades of ``OUT/manual.csv`` folded in; returns the rows in
    gradebook order (folded) and the problems: files that could not be written, and each
    manual.csv line that was not counted (one line each, "manual.csv line N: ...")."""
    lab = load_lab(settings.lab)
    rows, problems = with_manual(assemble(plan, results, lab), settings)
    problems += write_gradebook(rows, settings)
    if plan.roster:
        name = assignment or default_assignment(lab)
        files = {
            "canvas.csv": lms.canvas_csv(plan, rows, name, lab.max_points),
            "moodle.csv": lms.moodle_csv(plan, rows, name),
            "matching.csv": lms.matching_csv(plan, rows),
        }
        for filename, text in files.items():
            try:
                write_atomic(settings.out / filename, text)
            except OSError as exc:
                problems.append(f"{settings.out / filename}: {exc.strerror or exc}")
    problems += publish_report(rows, settings)  # report.html: what the class got wrong, similar pairs
    return rows, problems


def with_manual(rows: list[dict], settings) -> tuple[list[dict], list[str]]:
    """``rows`` with the written questions' grades from ``settings.out/manual.csv`` folded in
    (:func:`.manual.fold`: new dicts; ``results/<id>.json`` is never changed), and the lines of
    manual.csv that were not counted. Nothing is regraded."""
    from ..written import written_questions
    from .manual import fold, read_manual

    written = {qid: float(q.points) for qid, q in written_questions(load_lab(settings.lab)).items()}
    if not written:
        return rows, []
    grades, problems = read_manual(settings.out, {r["id"]: r for r in rows}, written)
    return [fold(r, grades) for r in rows], problems


def stored_results(results_dir: Path, ids: list[str], key: bytes | None) -> tuple[dict[str, dict], list[str]]:
    """The stored results of ``ids``, as they are (regrading one student keeps every other row),
    and the ids without a readable one (or, with a key, without a valid signature)."""
    found, lost = {}, []
    for row_id in ids:
        try:
            result = json.loads((results_dir / f"{row_id}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            result = None
        if not isinstance(result, dict) or result.get("id") != row_id or (key is not None and not verify(result, key)):
            lost.append(row_id)
        else:
            found[row_id] = result
    return found, lost
