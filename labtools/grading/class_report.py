"""``OUT/report.html``: what the class got wrong, and which submissions are far more alike than the lab explains.

Per question: the score distribution, the NOT ATTEMPTED and timeout rates, and the most common
failure causes: each FAIL hint reduced to its mistake (:func:`.categories.category`), counted,
with its share of the submissions and example rows. Then the similar pairs (:mod:`.similarity`),
each with the two students' answer cells side by side. It is written with the gradebook (a run
and ``labtools grade merge``) and rewritten by ``labtools report OUT``; it never changes a grade.

The page is one self-contained file: inline CSS, plots as SVG images in ``data:`` URIs (drawn with
matplotlib), no script and no remote resource (its Content-Security-Policy allows neither). Every
id, message and answer came from a submission and is escaped before it is written.
"""

from __future__ import annotations

import base64
import html
import io
import json
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .categories import category
from .files import escape_surrogates, printable, write_atomic
from .similarity import DEFAULT_THRESHOLD, MIN_SHARED, K, Pair, Prints, W, explained_by, fingerprints, similar_pairs
from .similarity import shared_lines as marked_lines

REPORT = "report.html"
TOP_CAUSES = 8  # failure causes listed per question
EXAMPLES = 5  # example rows per cause
SIDE_BY_SIDE = 40  # similar pairs shown with their answers side by side (all are listed)
NOT_SUBMITTED = ("missing",)  # roster rows without a submission are not counted
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

_summaries: dict[str, list[str]] = {}  # the lines the run prints, by the report's path


@dataclass
class Cause:
    category: str
    rows: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # each row's own message

    @property
    def count(self) -> int:
        return len(self.rows)


@dataclass
class QuestionStats:
    qid: str
    title: str
    points: float
    n: int
    counts: Counter  # status -> rows
    timed_out: int  # FAIL rows whose run timed out (before this question had a verdict)
    scores: list[float]
    causes: list[Cause]

    def share(self, count: int) -> float:
        return count / self.n if self.n else 0.0


def submitted(rows: list[dict]) -> list[dict]:
    return [r for r in rows if r.get("status") not in NOT_SUBMITTED]


def question_stats(rows: list[dict], lab) -> list[QuestionStats]:
    """Per question of ``lab``: its statuses, scores and failure causes over the submitted rows."""
    rows = submitted(rows)
    stats = []
    for qid, q in lab.questions.items():
        counts: Counter = Counter()
        causes: dict[str, Cause] = {}
        scores, timed_out = [], 0
        for r in rows:
            v = r.get("questions", {}).get(qid) or {"status": "NOT ATTEMPTED", "points": 0}
            status = str(v.get("status", ""))
            counts[status] += 1
            scores.append(_number(v.get("points", 0)))
            if r.get("status") == "timeout" and status == "FAIL":
                timed_out += 1
            if status == "FAIL":
                message = str(v.get("message", ""))
                cause = causes.setdefault(category(message), Cause(category(message)))
                cause.rows.append(str(r.get("id", "")))
                cause.messages.append(message)
        ranked = sorted(causes.values(), key=lambda c: (-c.count, c.category))
        stats.append(QuestionStats(qid, q.title, float(q.points), len(rows), counts, timed_out, scores, ranked))
    return stats


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


# -- similarity over the submissions' answer cells ---------------------------------------------


@dataclass
class Similarity:
    threshold: float
    pairs: list[Pair] = field(default_factory=list)
    cells: dict[str, dict[str, str]] = field(default_factory=dict)  # row id -> answer cell id -> source
    prints: dict[str, Prints] = field(default_factory=dict)
    compared: int = 0
    skipped: list[str] = field(default_factory=list)  # one line per row not compared
    off: str = ""  # why no comparison was made


def lab_sources(template: dict, solution: Path | None) -> list[str]:
    """The code the lab explains: every code cell of the template, and the model solution's."""
    sources = [_source(c) for c in template.get("cells", []) if c.get("cell_type") == "code"]
    if solution is not None and solution.is_file():
        nb = json.loads(solution.read_text(encoding="utf-8"))
        sources += [_source(c) for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    return sources


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def answer_cells(rows: list[dict], template: dict) -> tuple[dict[str, dict[str, str]], list[str]]:
    """Each submitted row's answer cells, read from its file as graded (the same digest), and one
    line for each row that could not be read that way."""
    from .submission import Unreadable, answer_ids, extract_answers, read_submission

    ids = answer_ids(template)
    cells, skipped = {}, []
    for r in submitted(rows):
        rid, file = str(r.get("id", "")), str(r.get("file", ""))
        if r.get("status") == "unreadable" or not file:
            continue
        try:
            digest, nb = read_submission(Path(file))
        except Unreadable as exc:
            skipped.append(f"{rid}: {exc}")
            continue
        if r.get("sha256") and digest != r.get("sha256"):
            skipped.append(f"{rid}: its file has changed since it was graded")
            continue
        cells[rid] = extract_answers(nb, ids).cells
    return cells, skipped


def compare(rows: list[dict], template: dict | None, solution: Path | None, threshold: float) -> Similarity:
    """The similar pairs among ``rows`` (never a grade: only listed in the report)."""
    found = Similarity(threshold)
    if threshold <= 0:
        found.off = "not compared (--similarity 0)"
        return found
    if not template:
        found.off = "not compared: the lab's grading bundle (its template) is not here"
        return found
    found.cells, found.skipped = answer_cells(rows, template)
    explained = explained_by(lab_sources(template, solution))
    found.prints = {rid: fingerprints(cells, explained) for rid, cells in found.cells.items()}
    found.compared = len(found.prints)
    found.pairs = similar_pairs(found.prints, threshold)
    return found


# -- the page --------------------------------------------------------------------------------


def _e(text) -> str:
    """One line of text from anywhere, safe in HTML text and attributes."""
    return html.escape(printable(text), quote=True)


def _block(text: str) -> list[str]:
    """A cell's lines, each printable (tabs kept as spaces), not yet escaped."""
    text = escape_surrogates(text).replace("\r\n", "\n").replace("\t", "    ")
    return [printable(line) for line in text.split("\n")]


def _pct(count: int, n: int) -> str:
    return f"{100 * count / n:.0f}%" if n else "–"


def _plot(values: list[float], max_points: float, title: str) -> str:
    """A bar chart of how many rows got each score, as an ``<img>`` holding an SVG data URI."""
    import matplotlib
    from matplotlib.figure import Figure

    counts = Counter(round(v, 2) for v in values)
    xs = sorted(set(counts) | {0.0, round(max_points, 2)})
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "labtools", "font.size": 8}):
        fig = Figure(figsize=(3.4, 1.7))
        ax = fig.subplots()
        labels = [f"{x:g}" for x in xs]
        ax.bar(labels, [counts.get(x, 0) for x in xs], color="#4c72b0", width=0.7)
        ax.set_xlabel("points")
        ax.set_ylabel("submissions")
        ax.set_title(title, fontsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        if len(xs) > 12:
            ax.tick_params(axis="x", labelrotation=90)
        fig.tight_layout()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    data = base64.b64encode(buffer.getvalue().encode("utf-8")).decode("ascii")
    return f'<img class="plot" alt="{_e(title)}" src="data:image/svg+xml;base64,{data}">'


STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1180px;color:#1d2430;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d8dee8}
h3{font-size:15px;margin:18px 0 6px}
.muted{color:#5b6576}
.small{font-size:12px}
table{border-collapse:collapse;margin:6px 0 10px}
th,td{padding:3px 8px;border-bottom:1px solid #e6eaf0;text-align:left;vertical-align:top}
th{background:#f3f5f9;font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums}
td.t{min-width:200px}
.q{display:grid;grid-template-columns:350px 1fr;gap:14px;align-items:start}
.plot{width:340px}
.bar{display:inline-block;height:9px;background:#c44e52;border-radius:2px;vertical-align:middle;margin-right:6px}
code,pre{font:12px/1.4 ui-monospace,Menlo,Consolas,monospace}
code{background:#f3f5f9;padding:0 3px}
details{margin:2px 0}
summary{cursor:pointer}
.pair{border:1px solid #d8dee8;border-radius:6px;padding:6px 10px;margin:10px 0}
.side{display:grid;grid-template-columns:1fr 1fr;gap:8px}
.side pre{background:#f8f9fb;border:1px solid #e6eaf0;margin:2px 0;padding:6px;overflow-x:auto;white-space:pre}
.side pre span{display:block;min-height:1.4em}
.side pre span.m{background:#ffe8a3}
.cell{font-weight:600;margin-top:6px}
.note{background:#f3f5f9;border-left:3px solid #8c96a8;padding:6px 10px}
"""


def render(rows: list[dict], lab, stats: list[QuestionStats], found: Similarity, generated: str = "") -> str:
    """The whole page."""
    rows_in = submitted(rows)
    totals = [_number(r.get("total", 0)) for r in rows_in]
    statuses = Counter(str(r.get("status", "")) for r in rows_in)
    missing = len(rows) - len(rows_in)
    head = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Lab {_e(lab.number)} · {_e(lab.title)}: class report</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>Lab {_e(lab.number)} · {_e(lab.title)}: what the class got wrong</h1>",
        f'<p class="muted">{len(rows_in)} submission(s)'
        + (f", {missing} student(s) without one (not counted)" if missing else "")
        + (f"; mean {statistics.mean(totals):.2f}, median {statistics.median(totals):g}" if totals else "")
        + f" of {lab.max_points:g} points; run statuses: "
        + ", ".join(f"{_e(k)} {v}" for k, v in statuses.most_common())
        + (f". Written {_e(generated)}." if generated else ".")
        + "</p>",
    ]
    body = head + _overview(stats, totals, lab.max_points)
    for s in stats:
        body += _question(s)
    body += _similar_section(found)
    body += [
        "<h2>How this page is made</h2>",
        '<p class="small muted">A failure cause is the judge\'s hint with what varies between students removed '
        "(numbers, shapes, quoted values, names in backticks, the case named in parentheses, the text of an "
        "exception the student's code raised), so the same mistake is counted once per submission. Shares are "
        "of all submissions. <em>Timed out</em>: the submission's run hit a time limit before this question "
        "had a verdict. Similarity compares fingerprints of the answer cells (tokens, names and literals "
        f"normalised; winnowing of {K}-token k-grams in windows of {W}) after the lab's own code, the template "
        "and the model solution are removed, and fingerprints shared by many students are ignored; a pair is "
        f"listed from {found.threshold:g} of the smaller set in common and at least {MIN_SHARED} fingerprints. "
        "It is a pointer for a person to look at, never a verdict, and no grade depends on it.</p>",
        "</body></html>",
    ]
    return "\n".join(body) + "\n"


def _overview(stats: list[QuestionStats], totals: list[float], max_points: float) -> list[str]:
    lines = [
        "<h2>Overview</h2>",
        '<div class="q">',
        _plot(totals, max_points, "total score"),
        "<table><tr><th>question</th><th>points</th><th>pass</th><th>fail</th><th>not attempted</th>"
        "<th>timed out</th><th>mean</th><th>most common failure</th></tr>",
    ]
    for s in stats:
        mean = statistics.mean(s.scores) if s.scores else 0
        lines.append(
            f'<tr><td class="t"><a href="#{_e(s.qid)}">{_e(s.qid)}</a> {_e(s.title)}</td>'
            f'<td class="n">{s.points:g}</td>'
            f'<td class="n">{_pct(s.counts["PASS"], s.n)}</td><td class="n">{_pct(s.counts["FAIL"], s.n)}</td>'
            f'<td class="n">{_pct(s.counts["NOT ATTEMPTED"], s.n)}</td><td class="n">{_pct(s.timed_out, s.n)}</td>'
            f'<td class="n">{mean:.2f}</td><td>{_most_common(s)}</td></tr>'
        )
    return lines + ["</table>", "</div>"]


def _most_common(s: QuestionStats) -> str:
    if s.causes:
        return f"{_e(s.causes[0].category)}: {_pct(s.causes[0].count, s.n)}"
    if s.counts["MANUAL"] or s.counts["GRADED"]:
        return f'<span class="muted">written: {s.counts["MANUAL"]} to grade, {s.counts["GRADED"]} graded</span>'
    return ""


def _question(s: QuestionStats) -> list[str]:
    written = s.counts["MANUAL"] + s.counts["GRADED"]
    rates = (
        f"{s.n} submission(s): pass {_pct(s.counts['PASS'], s.n)}, fail {_pct(s.counts['FAIL'], s.n)}, "
        f"not attempted {_pct(s.counts['NOT ATTEMPTED'], s.n)} ({s.counts['NOT ATTEMPTED']}), "
        f"timed out {_pct(s.timed_out, s.n)} ({s.timed_out})"
        + (f"; written: {s.counts['MANUAL']} to grade, {s.counts['GRADED']} graded" if written else "")
    )
    lines = [
        f'<h3 id="{_e(s.qid)}">{_e(s.qid)} · {_e(s.title)} '
        f'<span class="muted small">({s.points:g} point{"" if s.points == 1 else "s"})</span></h3>',
        '<div class="q">',
        _plot(s.scores, s.points, f"{s.qid}: score"),
        f"<div><p>{rates}</p>",
    ]
    if not s.causes:
        lines.append('<p class="muted">No failures.</p>' if not written else "")
        return lines + ["</div></div>"]
    lines.append(
        "<table><tr><th>failure cause</th><th>submissions</th><th>share of the class</th><th>examples</th></tr>"
    )
    for cause in s.causes[:TOP_CAUSES]:
        width = round(120 * s.share(cause.count))
        examples = ", ".join(f"<code>{_e(rid)}</code>" for rid in cause.rows[:EXAMPLES])
        more = f" and {cause.count - EXAMPLES} more" if cause.count > EXAMPLES else ""
        lines.append(
            f'<tr><td>{_e(cause.category)}<details><summary class="small muted">a hint as the student saw it'
            f"</summary><code>{_e(cause.messages[0])}</code></details></td>"
            f'<td class="n">{cause.count}</td><td><span class="bar" style="width:{width}px"></span>'
            f"{_pct(cause.count, s.n)}</td><td>{examples}{more}</td></tr>"
        )
    lines.append("</table>")
    rest = s.causes[TOP_CAUSES:]
    if rest:
        others = sum(c.count for c in rest)
        lines.append(f'<p class="small muted">{len(rest)} other cause(s), {others} submission(s).</p>')
    return lines + ["</div></div>"]


def _similar_section(found: Similarity) -> list[str]:
    lines = ["<h2>Similar submissions</h2>"]
    if found.off:
        return lines + [f'<p class="note">{_e(found.off)}</p>']
    lines.append(
        f'<p class="note">{len(found.pairs)} pair(s) of the {found.compared} submissions compared share at least '
        f"{found.threshold:.0%} of their fingerprints beyond what the lab explains. Look at the answers before "
        "concluding anything: similarity is never a grade.</p>"
    )
    if found.skipped:
        lines.append(f'<details><summary class="small muted">{len(found.skipped)} not compared</summary><ul>')
        lines += [f'<li class="small">{_e(line)}</li>' for line in found.skipped]
        lines.append("</ul></details>")
    if found.pairs:
        lines.append(
            "<table><tr><th>#</th><th>student</th><th>student</th><th>similarity</th><th>Jaccard</th>"
            "<th>shared fingerprints</th></tr>"
        )
        for i, p in enumerate(found.pairs, 1):
            lines.append(
                f"<tr><td>{_pair_link(i)}</td><td><code>{_e(p.a)}</code></td><td><code>{_e(p.b)}</code>"
                f'</td><td class="n">{p.similarity:.0%}</td><td class="n">{p.jaccard:.0%}</td>'
                f'<td class="n">{len(p.shared)}</td></tr>'
            )
        lines.append("</table>")
    for i, p in enumerate(found.pairs[:SIDE_BY_SIDE], 1):
        lines += _side_by_side(i, p, found)
    if len(found.pairs) > SIDE_BY_SIDE:
        lines.append(
            f'<p class="note">The first {SIDE_BY_SIDE} pairs are shown side by side; for fewer, raise --similarity '
            "(labtools report OUT --similarity 0.9).</p>"
        )
    return lines


def _pair_link(i: int) -> str:
    return f'<a href="#pair-{i}">{i}</a>' if i <= SIDE_BY_SIDE else str(i)


def _side_by_side(i: int, p: Pair, found: Similarity) -> list[str]:
    marks = {sid: marked_lines(found.prints[sid], p.shared) for sid in (p.a, p.b)}
    cell_ids = [c for c in found.cells[p.a] if c in marks[p.a] or c in marks[p.b]]
    lines = [
        f'<div class="pair" id="pair-{i}"><details{" open" if i <= 3 else ""}><summary><b>{i}.</b> '
        f"<code>{_e(p.a)}</code> and <code>{_e(p.b)}</code>: {p.similarity:.0%} alike "
        f"({len(p.shared)} fingerprints in common; marked lines hold them)</summary>",
    ]
    for cid in cell_ids:
        lines.append(f'<div class="cell">{_e(cid)}</div><div class="side">')
        for sid in (p.a, p.b):
            source = found.cells[sid].get(cid, "")
            marked = marks[sid].get(cid, set())
            spans = "".join(
                f"<span{' class=m' if n in marked else ''}>{html.escape(line)}</span>"
                for n, line in enumerate(_block(source), 1)
            )
            lines.append(f"<pre>{spans}</pre>")
        lines.append("</div>")
    return lines + ["</details></div>"]


# -- writing it ------------------------------------------------------------------------------


def solution_path(lab_number: str) -> Path | None:
    from ..labs import info
    from ..paths import outputs

    path = outputs(info(lab_number))["solution"]
    return path if path.is_file() else None


def template_of(settings) -> dict | None:
    """The template the run used, or the lab's bundle here (a merge has none of its own)."""
    bundle = getattr(settings, "bundle", None) or {}
    if "template" in bundle:
        return bundle["template"]
    from .runner import load_bundle

    try:
        return load_bundle(settings.lab)["template"]
    except (FileNotFoundError, KeyError, ValueError):
        return None


def write_report(rows: list[dict], lab, out: Path, template: dict | None, threshold: float) -> list[str]:
    """Write ``out/report.html``; returns the problems (a file that could not be written)."""
    stats = question_stats(rows, lab)
    found = compare(rows, template, solution_path(lab.number), threshold)
    page = render(rows, lab, stats, found, time.strftime("%Y-%m-%d %H:%M"))
    path = out / REPORT
    _summaries[str(path)] = summary_lines(stats, found, path)
    try:
        write_atomic(path, page)
    except OSError as exc:
        return [f"{path}: {exc.strerror or exc}"]
    return []


def publish_report(rows: list[dict], settings) -> list[str]:
    """The report of a run or a merge, from its (folded) rows; see :func:`write_report`."""
    from ..labs import load_lab

    threshold = getattr(settings, "similarity", DEFAULT_THRESHOLD)
    try:
        return write_report(rows, load_lab(settings.lab), settings.out, template_of(settings), threshold)
    except Exception as exc:  # the gradebook is written; a report that fails is one line, never the end of the run
        return [f"{settings.out / REPORT}: not written ({type(exc).__name__}: {exc})"]


def summary_lines(stats: list[QuestionStats], found: Similarity, path: Path) -> list[str]:
    """What the run prints at the end of its summary: the most common mistakes, the similar pairs."""
    causes = sorted(
        ((c.count, s.qid, c.category, s.n) for s in stats for c in s.causes[:1] if c.count), key=lambda t: -t[0]
    )
    lines = []
    if causes:
        lines.append(
            "most common mistakes: "
            + "; ".join(f"{qid} {printable(cat, 70)!r} {_pct(n, total)}" for n, qid, cat, total in causes[:3])
        )
    similar = found.off or f"{len(found.pairs)} similar pair(s) at {found.threshold:g} or more"
    lines.append(f"class report: {printable(path)} ({printable(similar)})")
    return lines


def printed_summary(out: Path) -> list[str]:
    """The lines of the last report written to ``out`` in this process (none when none was)."""
    return _summaries.get(str(out / REPORT), [])


def rewrite(out: Path, threshold: float = DEFAULT_THRESHOLD) -> list[str]:
    """``labtools report OUT``: the report written again from OUT's gradebook (``grades.json``);
    raises ValueError with one line when there is none."""
    from ..labs import load_lab
    from .runner import load_bundle

    try:
        book = json.loads((out / "grades.json").read_text(encoding="utf-8"))
        number, rows = str(book["meta"]["lab"]), list(book["submissions"])
    except FileNotFoundError:
        raise ValueError(f"{printable(out)} has no grades.json; grade a class into it first (labtools grade)") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{printable(out / 'grades.json')} cannot be read ({type(exc).__name__})") from None
    rows = [_with_file(out, r) for r in rows if isinstance(r, dict)]
    try:
        template = load_bundle(number)["template"]
    except (FileNotFoundError, KeyError, ValueError):
        template = None
    return write_report(rows, load_lab(number), out, template, threshold)


def _with_file(out: Path, row: dict) -> dict:
    """The row with its file as graded (``results/<id>.json`` keeps the path unescaped)."""
    try:
        result = json.loads((out / "results" / f"{row['id']}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        return row
    if isinstance(result, dict) and result.get("id") == row.get("id"):
        return {**row, "file": result.get("file", row.get("file", "")), "sha256": result.get("sha256", "")}
    return row
