"""The gradebook (CSV + JSON), per-student feedback in Markdown, and the summary table."""

from __future__ import annotations

import csv
import io
import json
import statistics
import time

from ..labs import load_lab
from .files import write_atomic


def _fmt(x) -> str:
    return f"{x:g}" if isinstance(x, (int, float)) else str(x)


def write_gradebook(results: list[dict], settings) -> list[str]:
    """Write grades.csv, grades.json and the feedback files, each to a new file renamed into
    place. A file that cannot be written is reported (returned), never the end of the run."""
    problems: list[str] = []

    def write(path, text):
        try:
            write_atomic(path, text)
        except OSError as exc:
            problems.append(f"{path}: {exc.strerror or exc}")

    lab = load_lab(settings.lab)
    qids = list(lab.questions)
    out = settings.out
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "status", *qids, "total", "max", "file"])
    for r in results:
        points = [_fmt(r.get("questions", {}).get(q, {}).get("points", 0)) for q in qids]
        writer.writerow(
            [
                r["id"],
                r["status"],
                *points,
                _fmt(r.get("total", 0)),
                _fmt(r.get("max", lab.max_points)),
                r.get("file", ""),
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
    write(out / "grades.json", json.dumps({"meta": meta, "summary": summary, "submissions": results}, indent=1))
    for r in results:
        write(out / "feedback" / f"{r['id']}.md", feedback(r, lab))
    return problems


def feedback(result: dict, lab) -> str:
    """What a student sees: verdicts and hints, never hidden tests or expected answers."""
    lines = [
        f"# Lab {lab.number} · {lab.title}: feedback for {result['id']}",
        "",
        f"**Score: {_fmt(result.get('total', 0))} / {_fmt(result.get('max', lab.max_points))}**",
        "",
    ]
    if result["status"] != "ok":
        lines += [f"Grading status: **{result['status']}**.", ""]
    for note in result.get("notes", []):
        lines.append(f"- {note}")
    if result.get("notes"):
        lines.append("")
    lines += ["| question | result | points | feedback |", "|---|---|---|---|"]
    for qid, q in lab.questions.items():
        v = result.get("questions", {}).get(qid, {"status": "NOT ATTEMPTED", "points": 0, "message": ""})
        hint = v.get("message", "").replace("|", "\\|")
        if v["status"] != "PASS" and q.hints:
            hint = (hint + " " if hint else "") + f"Hint: {q.hints[0]}".replace("|", "\\|")
        lines.append(f"| {qid} {q.title} | {v['status']} | {_fmt(v['points'])} / {_fmt(q.points)} | {hint} |")
    return "\n".join(lines) + "\n"


def summarise(results: list[dict], lab) -> dict:
    totals = [r.get("total", 0) for r in results]
    per_q = {}
    for qid in lab.questions:
        states = [r.get("questions", {}).get(qid, {}).get("status", "NOT ATTEMPTED") for r in results]
        per_q[qid] = {s: states.count(s) for s in ("PASS", "FAIL", "NOT ATTEMPTED")}
    statuses: dict[str, int] = {}
    for r in results:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    return {
        "submissions": len(results),
        "mean": round(statistics.mean(totals), 2) if totals else 0,
        "median": statistics.median(totals) if totals else 0,
        "max_points": lab.max_points,
        "questions": per_q,
        "statuses": statuses,
    }


def summary_table(results: list[dict], lab_number: str) -> str:
    lab = load_lab(lab_number)
    s = summarise(results, lab)
    lines = [
        f"Lab {lab.number} {lab.title}: {s['submissions']} submission(s), mean {s['mean']:g} / "
        f"{lab.max_points:g}, median {s['median']:g}",
        "statuses: " + ", ".join(f"{k} {v}" for k, v in s["statuses"].items()),
        f"{'question':<40} {'pass':>5} {'fail':>5} {'n/a':>5}",
    ]
    for qid, q in lab.questions.items():
        c = s["questions"][qid]
        lines.append(f"{qid + ' ' + q.title:<40.40} {c['PASS']:>5} {c['FAIL']:>5} {c['NOT ATTEMPTED']:>5}")
    return "\n".join(lines)
