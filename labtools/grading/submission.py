"""Reading a submitted notebook and composing the notebook the grader actually runs.

Only the answer cells come from the submission (matched by cell id or by the
``labtools.answer`` metadata, so reordering does not matter). Everything else, the setup, the
prose, the check cells, comes from the lab's source, so edited or deleted check cells change
nothing. The grader's probe, hand cells and hidden tests are added; students never see them.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from ..generate import graded_question
from .probe import definition_cell, hand_cell, hidden_cell

MAX_BYTES = 20 * 1024 * 1024
_ANSWER_ID = re.compile(r"^(q\d+)-answer(?:-(\d+))?$")


class Unreadable(Exception):
    """The file is not a notebook we can grade; the message says why, in one line."""


@dataclass
class Answers:
    cells: dict[str, str]  # answer cell id -> the student's source
    notes: list[str] = field(default_factory=list)


def read_notebook(path: Path) -> dict:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise Unreadable(f"cannot read the file ({exc.strerror})") from None
    if not raw.strip():
        raise Unreadable("the file is empty")
    if len(raw) > MAX_BYTES:
        raise Unreadable(f"the file is {len(raw) // 2**20} MiB; clear the outputs and submit again")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Unreadable("the file is not text (binary data); submit the .ipynb file") from None
    try:
        nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise Unreadable(f"not a Jupyter notebook ({first[:120]})") from None
    if not isinstance(nb, dict) or nb.get("nbformat") != 4 or not isinstance(nb.get("cells"), list):
        raise Unreadable(
            f"unsupported notebook format (nbformat {nb.get('nbformat') if isinstance(nb, dict) else '?'}); "
            "save it with Jupyter 4 or later"
        )
    return nb


def _cell_answer_id(cell: dict, counters: dict[str, int]) -> str | None:
    cid = cell.get("id")
    if not isinstance(cid, str):
        cid = ""
    if _ANSWER_ID.match(cid):
        return cid
    meta = cell.get("metadata", {})
    qid = (
        meta.get("labtools", {}).get("answer")
        if isinstance(meta, dict) and isinstance(meta.get("labtools"), dict)
        else None
    )
    if isinstance(qid, str) and re.fullmatch(r"q\d+", qid):
        k = counters.get(qid, 0)
        counters[qid] = k + 1
        return f"{qid}-answer" + (f"-{k + 1}" if k else "")
    return None


def extract_answers(nb: dict, answer_ids: list[str]) -> Answers:
    """The student's source for each answer cell of the template."""
    found: dict[str, list[dict]] = {}
    counters: dict[str, int] = {}
    for cell in nb["cells"]:
        if not isinstance(cell, dict):
            continue
        aid = _cell_answer_id(cell, counters)
        if aid:
            found.setdefault(aid, []).append(cell)
    answers, notes = {}, []
    for aid in answer_ids:
        cells = found.get(aid, [])
        qid = aid.split("-")[0]
        if not cells:
            notes.append(f"{qid}: the answer cell is missing; graded as not attempted")
            continue
        if len(cells) > 1:
            notes.append(f"{qid}: the answer cell appears {len(cells)} times; the last one is graded")
        cell = cells[-1]
        if cell.get("cell_type") != "code":
            notes.append(f"{qid}: the answer cell was changed to {cell.get('cell_type')}; graded as not attempted")
            continue
        source = cell.get("source", "")
        answers[aid] = "".join(source) if isinstance(source, list) else str(source)
    return Answers(answers, notes)


def answer_ids(template: dict) -> list[str]:
    return [c["id"] for c in template["cells"] if _ANSWER_ID.match(c.get("id", ""))]


def compose(bundle: dict, answers: Answers, nonce: str, lab, inputs: dict | None = None) -> nbformat.NotebookNode:
    """The notebook to run: template + the student's answers + the probe, hand cells and hidden
    tests (see :mod:`.probe`). ``inputs``: the inputs the grader drew for each question; each
    reaches the kernel only in its own hand or hidden cell."""
    inputs = inputs or {}
    nb = nbformat.from_dict(copy.deepcopy(bundle["template"]))
    hidden_after: dict[str, list[str]] = {}
    for test in bundle["hidden_tests"]:
        hidden_after.setdefault(test["after"], []).append(graded_question(test["code"]))
    handed = [qid for qid, q in lab.questions.items() if q.hand is not None and qid in inputs]
    cells = []
    probe_added = False
    for cell in nb.cells:
        if cell.cell_type == "code":
            for qid in handed if probe_added else ():
                if f"lab.{qid}.inputs()" in cell.source:  # the template's cell: the inputs come just before it
                    cells.append(_code(hand_cell(nonce, qid, inputs[qid]), f"grader-hand-{qid}-{len(cells)}"))
            cell.outputs, cell.execution_count = [], None
            if cell.id in answers.cells:
                cell.source = answers.cells[cell.id]
        cells.append(cell)
        if not probe_added and cell.cell_type == "code" and "start_lab(" in cell.source:
            cells.append(_code(definition_cell(nonce, lab.number), "grader-probe"))
            probe_added = True
        for k, qid in enumerate(hidden_after.get(cell.id, [])):
            code = hidden_cell(nonce, qid, list(lab.questions[qid].answers), inputs.get(qid))
            cells.append(_code(code, f"hidden-{qid}" + (f"-{k}" if k else "")))
    if not probe_added:
        raise ValueError("the lab template has no setup cell calling start_lab()")
    nb.cells = cells
    return nb


def _code(source: str, cell_id: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.id = cell_id
    cell.metadata["labtools"] = {"grader": True}
    return cell
