"""The gradebook (CSV + JSON), per-student feedback in Markdown, and the summary table.

What a submission or its kernel said (a note, a check's message) reaches feedback only as code:
notes in a fenced block, messages as inline code, each one line with control codes escaped, so
nothing a submission writes renders as Markdown (no ``**Score: 100 / 6**`` line of its own) or
breaks the table. File names are written with their odd bytes escaped (:func:`.files.printable`).
"""

from __future__ import annotations

import csv
import io
import json
import re
import statistics
import time

from ..labs import load_lab
from .files import escape_surrogates, printable, write_atomic


def _fmt(x) -> str:
    return f"{x:g}" if isinstance(x, (int, float)) else str(x)


def write_gradebook(results: list[dict], settings) -> list[str]:
    """Write grades.csv, grades.json and the feedback files, each to a new file renamed into
    place. A file that cannot be written is reported (returned), never the end of the run."""
    problems: list[str] = []

    def write(path, text):
        try:
            write_atomic(path, text)
        except (OSError, ValueError) as exc:
            problems.append(f"{path}: {getattr(exc, 'strerror', None) or exc}")

    lab = load_lab(settings.lab)
    qids = list(lab.questions)
    out = settings.out
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "status", *qids, "total", "pending", "max", "file"])
    for r in results:
        points = [_fmt(r.get("questions", {}).get(q, {}).get("points", 0)) for q in qids]
        writer.writerow(
            [
                printable(r["id"]),
                printable(r["status"]),
                *points,
                _fmt(r.get("total", 0)),
                _fmt(r.get("pending", 0)),
                _fmt(r.get("max", lab.max_points)),
                printable(r.get("file", "")),
            ]
        )
    write(out / "grades.csv", buffer.getvalue())
    summary = summarise(results, lab)
    meta = {
        "lab": lab.number,
        "title": lab.title,
        "graded_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "cell_timeout_s": settings.cell_timeout,
        "submission_timeout_s": settings.submission_timeout,
        "memory_limit_mb": settings.memory_mb,
        "sandbox": settings.sandbox,
        "network_isolation_requested": settings.isolate_network or settings.sandbox,
    }
    book = {"meta": meta, "summary": summary, "submissions": [_escaped(r) for r in results]}
    write(out / "grades.json", json.dumps(book, indent=1))
    for r in results:
        write(out / "feedback" / f"{r['id']}.md", feedback(r, lab))
    return problems


def _escaped(value):
    """A result for grades.json: its strings without lone surrogates (an odd file name's bytes
    as ``\\xNN``), so any JSON reader takes it; the file name as the CSV shows it."""
    if isinstance(value, dict):
        return {k: printable(v) if k == "file" else _escaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    return escape_surrogates(value) if isinstance(value, str) else value


def _code(text, table: bool = False) -> str:
    """``text`` as Markdown inline code: one printable line, a backtick fence longer than any run
    of backticks in it; in a table, its pipes escaped (GFM reads them before the code span)."""
    text = printable(text).strip()
    if not text:
        return ""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    code = f"{fence} {text} {fence}"  # one space inside each fence: removed by the renderer
    return code.replace("|", "\\|") if table else code


def _code_block(lines: list[str]) -> list[str]:
    """Lines (each made one printable line) as a fenced code block nothing in them can close."""
    body = [printable(line) for line in lines]
    longest = max((len(run) for line in body for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + "text", *body, fence]


def feedback(result: dict, lab) -> str:
    """What a student sees: verdicts and hints, never hidden tests or expected answers. Text
    from the submission or its kernel is quoted as code, never rendered."""
    lines = [
        f"# Lab {lab.number} · {lab.title}: feedback for {printable(result['id'])}",
        "",
        f"**Score: {_fmt(result.get('total', 0))} / {_fmt(result.get('max', lab.max_points))}**",
        "",
    ]
    if result.get("pending", 0):
        lines += [f"{_fmt(result['pending'])} points are pending: your instructor grades the written answers.", ""]
    if result["status"] != "ok":
        lines += [f"Grading status: **{printable(result['status'])}**.", ""]
    notes = [str(n) for n in result.get("notes", [])]
    if notes:
        lines += ["Notes from grading:", "", *_code_block(notes), ""]
    lines += ["| question | result | points | feedback |", "|---|---|---|---|"]
    for qid, q in lab.questions.items():
        v = result.get("questions", {}).get(qid, {"status": "NOT ATTEMPTED", "points": 0, "message": ""})
        hint = _code(v.get("message", ""), table=True)
        if v.get("status") == "GRADED" and hint:
            hint = "Grader: " + hint
        if v["status"] not in ("PASS", "GRADED", "MANUAL") and q.hints:
            hint = (hint + " " if hint else "") + f"Hint: {q.hints[0]}".replace("|", "\\|")
        lines.append(
            f"| {qid} {q.title} | {printable(v['status'])} | {_fmt(v['points'])} / {_fmt(q.points)} | {hint} |"
        )
    return "\n".join(lines) + "\n"


def summarise(results: list[dict], lab) -> dict:
    totals = [r.get("total", 0) for r in results]
    per_q = {}
    for qid in lab.questions:
        states = [r.get("questions", {}).get(qid, {}).get("status", "NOT ATTEMPTED") for r in results]
        per_q[qid] = {s: states.count(s) for s in ("PASS", "FAIL", "NOT ATTEMPTED", "MANUAL", "GRADED")}
    statuses: dict[str, int] = {}
    for r in results:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    return {
        "submissions": len(results),
        "mean": round(statistics.mean(totals), 2) if totals else 0,
        "median": statistics.median(totals) if totals else 0,
        "max_points": lab.max_points,
        "pending": round(sum(float(r.get("pending", 0) or 0) for r in results), 3),
        "questions": per_q,
        "statuses": statuses,
    }


def summary_table(results: list[dict], lab_number: str) -> str:
    lab = load_lab(lab_number)
    s = summarise(results, lab)
    lines = [
        f"Lab {lab.number} {lab.title}: {s['submissions']} submission(s), mean {s['mean']:g} / "
        f"{lab.max_points:g}, median {s['median']:g}",
        "statuses: " + ", ".join(f"{printable(k)} {v}" for k, v in s["statuses"].items()),
        f"{'question':<40} {'pass':>5} {'fail':>5} {'n/a':>5}",
    ]
    for qid, q in lab.questions.items():
        c = s["questions"][qid]
        written = f"   written: {c['MANUAL']} to grade, {c['GRADED']} graded" if c["MANUAL"] or c["GRADED"] else ""
        lines.append(f"{qid + ' ' + q.title:<40.40} {c['PASS']:>5} {c['FAIL']:>5} {c['NOT ATTEMPTED']:>5}{written}")
    if s["pending"]:
        lines.append(
            f"pending: {s['pending']:g} points of written answers wait for a grader (enter them in manual.csv, "
            "or with labtools review)"
        )
    return "\n".join(lines)
