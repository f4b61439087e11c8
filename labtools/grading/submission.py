"""Reading a submitted notebook and composing the notebook the grader actually runs.

Only the answer cells come from the submission (matched by cell id or by the
``labtools.answer`` metadata, so reordering does not matter). Everything else, the setup, the
prose, the check cells, comes from the lab's source, so edited or deleted check cells change
nothing. The grader's probe, hand cells and hidden tests are added; students never see them.

A submission is read once, as a regular file only (a symlink, a FIFO, a device or a folder is
unreadable, never followed or waited on), at most ``MAX_BYTES`` + 1 bytes of it; its digest
is taken from those same bytes (:func:`read_submission`).
"""

from __future__ import annotations

import copy
import errno
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from ..gradecall import graded_question
from .files import escape_surrogates, printable
from .probe import definition_cell, hand_cell, hidden_cell

MAX_BYTES = 20 * 1024 * 1024
MAX_DEPTH = 100  # JSON nesting; a notebook saved by Jupyter is a dozen or two levels deep
_ANSWER_ID = re.compile(r"^(q\d+)-answer(?:-(\d+))?$")
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)


class Unreadable(Exception):
    """The file is not a notebook we can grade; the message says why, in one line. ``sha256``:
    the digest of the bytes that were read ("" when none could be: not a regular file)."""

    def __init__(self, message: str, sha256: str = ""):
        super().__init__(message)
        self.sha256 = sha256


@dataclass
class Answers:
    cells: dict[str, str]  # answer cell id -> the student's source
    notes: list[str] = field(default_factory=list)


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISLNK, "a symlink"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
    ):
        if test(mode):
            return name
    return "not a file"


def not_regular(path: Path) -> str | None:
    """Why ``path`` is not a regular file (``"not a regular file (a symlink)"``), without
    opening or following it; None for a regular file or one that cannot be looked at."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None
    return None if stat.S_ISREG(mode) else f"not a regular file ({_kind(mode)})"


def _read_bytes(path: Path) -> bytes:
    """At most ``MAX_BYTES`` + 1 bytes of a regular file: never a symlink (not followed), a FIFO
    (never waited on), a device or a folder. Raises :class:`Unreadable`."""
    why = not_regular(path)  # looked at first, so a device is never even opened
    if why:
        raise Unreadable(why)
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # replaced by a symlink since
            raise Unreadable("not a regular file (a symlink)") from None
        raise Unreadable(f"cannot read the file ({exc.strerror or type(exc).__name__})") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):  # replaced since it was looked at
            raise Unreadable(f"not a regular file ({_kind(mode)})")
        chunks, size = [], 0
        while size <= MAX_BYTES:
            chunk = os.read(fd, min(2**20, MAX_BYTES + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise Unreadable(f"cannot read the file ({exc.strerror or type(exc).__name__})") from None
    finally:
        os.close(fd)


def read_submission(path: Path) -> tuple[str, dict]:
    """A submission read once: the SHA-256 of the bytes read and the notebook parsed from those
    same bytes. Raises :class:`Unreadable` (one line), whose ``sha256`` is the digest of the bytes
    when they could be read (so an unchanged unreadable file is not graded again)."""
    raw = _read_bytes(path)
    digest = hashlib.sha256(raw).hexdigest()
    try:
        return digest, parse_notebook(raw)
    except Unreadable as exc:
        exc.sha256 = digest
        raise


def read_notebook(path: Path) -> dict:
    return read_submission(path)[1]


def submission_digest(path: Path) -> str:
    """The digest :func:`read_submission` gives ``path`` now; "" when it is not a regular file
    that can be read."""
    try:
        return hashlib.sha256(_read_bytes(path)).hexdigest()
    except Unreadable:
        return ""


def _too_deep(value, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if depth > limit:
            return True
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return False


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return printable(text.splitlines()[0] if text else type(exc).__name__, 120)


def parse_notebook(raw: bytes) -> dict:
    """The notebook in ``raw`` (a file's bytes); :class:`Unreadable` says why not, in one line."""
    if len(raw) > MAX_BYTES:
        raise Unreadable(f"the file is larger than {MAX_BYTES // 2**20} MiB; clear the outputs and submit again")
    if not raw.strip():
        raise Unreadable("the file is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Unreadable("the file is not text (binary data); submit the .ipynb file") from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise Unreadable(f"not a Jupyter notebook (its JSON is nested more than {MAX_DEPTH} levels deep)") from None
    except ValueError as exc:
        raise Unreadable(f"not a Jupyter notebook ({_first_line(exc)})") from None
    if isinstance(data, (dict, list)) and _too_deep(data, MAX_DEPTH):
        raise Unreadable(f"not a Jupyter notebook (its JSON is nested more than {MAX_DEPTH} levels deep)")
    # from the parsed JSON, not nbformat.reads: its validation logs the submission's own text
    # (escape codes, lone surrogates) to the grader's terminal; the checks below are the grader's own
    if not isinstance(data, dict):
        raise Unreadable(f"not a Jupyter notebook (its JSON is a {type(data).__name__}, not an object)")
    nb = nbformat.from_dict(data)
    if not isinstance(nb, dict) or nb.get("nbformat") != 4 or not isinstance(nb.get("cells"), list):
        version = nb.get("nbformat") if isinstance(nb, dict) else "?"
        raise Unreadable(
            f"unsupported notebook format (nbformat {printable(version, 20)}); save it with Jupyter 4 or later"
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
    """The student's source for each answer cell of the template. Whatever the cells hold, the
    notes are one line each of printable text, and each source can be written as UTF-8."""
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
        kind = cell.get("cell_type")
        if kind != "code":
            shown = printable(kind, 40) if isinstance(kind, str) else f"a {type(kind).__name__}"
            notes.append(f"{qid}: the answer cell was changed to {shown}; graded as not attempted")
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            source = "".join(source)
        if not isinstance(source, str):
            notes.append(f"{qid}: the answer cell's source is not text; graded as not attempted")
            continue
        escaped = escape_surrogates(source)
        if escaped != source:  # no UTF-8 file can hold a lone surrogate; in a string literal the escape means the same
            notes.append(f"{qid}: the answer has characters that are not valid Unicode; they were written as escapes")
        answers[aid] = escaped
    return Answers(answers, notes)


def answer_ids(template: dict) -> list[str]:
    """The ids of the template's code answer cells (a written question's Markdown answer cell is
    read by :func:`written_answers`, never run)."""
    return [c["id"] for c in template["cells"] if _ANSWER_ID.match(c.get("id", "")) and c.get("cell_type") == "code"]


def written_answers(nb: dict, qids: list[str]) -> tuple[dict[str, str | None], list[str]]:
    """The text of each written question's Markdown answer cell, made safe to store (printable,
    at most ``written.MAX_CHARS`` characters; :func:`labtools.written.clean_answer`), None where
    there is none; and the notes, one line each."""
    from ..written import MAX_CHARS, cell_text, clean_answer, is_answer_cell

    texts: dict[str, str | None] = {}
    notes: list[str] = []
    cells = [c for c in nb.get("cells", []) if isinstance(c, dict)]
    for qid in qids:
        found = [c for c in cells if is_answer_cell(c, qid)]
        if not found:
            texts[qid] = None
            notes.append(f"{qid}: the written answer's Markdown cell is missing; graded as not attempted")
            continue
        if len(found) > 1:
            notes.append(f"{qid}: the written answer cell appears {len(found)} times; the last one is kept")
        raw = cell_text(found[-1])
        if raw is None:
            texts[qid] = None
            notes.append(f"{qid}: the written answer cell's source is not text; graded as not attempted")
            continue
        texts[qid], cut = clean_answer(raw)
        if cut:
            notes.append(f"{qid}: the written answer is longer than {MAX_CHARS} characters; the rest was not kept")
    return texts, notes


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
    cells: list = []
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
