"""Generate every notebook of a lab from its one source.

A lab's source is ``instructor/source/NN_slug.py``, a jupytext percent file holding the full
solution.  From it we write:

* ``notebooks/NN_slug.ipynb``            the student notebook (answers replaced by ``# TODO``),
* ``instructor/solutions/NN_slug.ipynb``  the solution notebook,
* ``instructor/bundles/NN_slug.json``  the grading bundle: points, the student template and
                                         the hidden tests (never given to students).

Markers in the source (CONTRIBUTING.md, "Change a lab"; a new lab: "Add a lab"):

* ``name = expression  # SOLUTION`` or ``return expression  # SOLUTION``: the student sees
  ``name = None  # TODO``.
* ``### BEGIN SOLUTION`` ... ``### END SOLUTION``: the block becomes ``...  # TODO: your code here``
  (``pass  # TODO: your code here`` outside a function or class, so that no ``Ellipsis`` is shown).
* ``# %% answer="q3"``: the cell holds the answer to question q3 (required on every cell with
  a marker; the grader takes exactly these cells from a submission).
* ``# %% [markdown] answer="q7"``: the answer cell of written question q7 (a
  :class:`~labtools.written.Written` in the lab's module). It holds the model answer: the
  solution keeps it, the student sees ``*Write your answer here.*``. Its check cell
  ``lab.q7.check()`` gets no hidden test (a person grades it; docs/written-answers.md).
* ``# %% tags=["setup"]``: the standard set-up lines are put in front of this cell.
* Hidden tests are generated: each check cell ``lab.q3.check(layer)`` gives the grader's
  ``grade("q3", layer)`` right after it. ``# %% tags=["hidden-tests"]`` marks an instructor-only
  cell calling ``grade(...)`` by hand, only where the grader must see something else; it then
  replaces the generated test of that question.
* Cell ids come from each cell's text (``code-1a2b3c4d``), so inserting a cell changes no other
  id; generated notebooks record their source in ``metadata.labtools``.
* ``<!-- badges -->`` in markdown: replaced by the Colab and Binder badges.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from . import paths, repo
from .checking import Lab
from .gradecall import grade_calls
from .labs import CATALOGUE, LabInfo, info, load_lab
from .written import PLACEHOLDER as WRITTEN_PLACEHOLDER
from .written import Written

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
_LINE_SOLUTION = re.compile(r"^(?P<indent>\s*)(?P<body>.*?)\s*#\s*SOLUTION\s*$")
_ASSIGN = re.compile(r"^(?P<lhs>(return\b|[A-Za-z_][\w\.\[\]'\", ]*?\s*=(?!=)))")
PLACEHOLDER = "None  # TODO"
BLOCK_PLACEHOLDER = "...  # TODO: your code here"
TOP_LEVEL_PLACEHOLDER = "pass  # TODO: your code here"
HIDDEN_TAG = "hidden-tests"
SETUP_TAG = "setup"


class SourceError(ValueError):
    """A lab source that cannot be turned into notebooks; the message says where and why."""


repo_root = paths.repo_root  # kept here too: benchmarks and tests import it from generate


def setup_prelude(number: str) -> str:
    """The lines every lab starts with (one place for all labs)."""
    return "\n".join(
        [
            "# Setup. On Colab this first installs labtools; in JupyterLab and Binder it is there.",
            "# After a kernel restart, run this cell first: the checks (lab.qN.check) need `lab`.",
            "import os, sys",
            'os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow\'s log lines out',
            'if "google.colab" in sys.modules:',
            "    import subprocess",
            '    subprocess.run([sys.executable, "-m", "pip", "install", "-q", '
            f'"{repo.pip_requirement()}"], check=True)',
            "",
            "import labtools",
            f'lab = labtools.start_lab("{number}")  # quiet TensorFlow, seeds, this lab\'s checks',
        ]
    )


# -- turning one code cell into its student and solution versions ------------------------------


def _student_code(source: str, where: str) -> str:
    out, in_block, indent = [], False, ""
    for n, line in enumerate(source.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith(BEGIN):
            if in_block:
                raise SourceError(f"{where}, line {n}: {BEGIN} inside another solution block")
            in_block, indent = True, line[: len(line) - len(line.lstrip())]
            continue
        if stripped.startswith(END):
            if not in_block:
                raise SourceError(f"{where}, line {n}: {END} without {BEGIN}")
            in_block = False
            # a bare `...` ending a cell would be displayed as "Ellipsis": at the top level, `pass`
            out.append(indent + BLOCK_PLACEHOLDER if indent else TOP_LEVEL_PLACEHOLDER)
            continue
        if in_block:
            continue
        m = _LINE_SOLUTION.match(line)
        if m:
            assign = _ASSIGN.match(m["body"])
            if not assign:
                raise SourceError(f"{where}, line {n}: a '# SOLUTION' line must be an assignment or a return")
            out.append(f"{m['indent']}{assign['lhs'].rstrip()} {_placeholder_for(assign['lhs'])}")
            continue
        out.append(line)
    if in_block:
        raise SourceError(f"{where}: {BEGIN} without {END}")
    return "\n".join(out)


def _placeholder_for(lhs: str) -> str:
    """``None  # TODO``, or ``None, None  # TODO`` for ``a, b = ...`` so unpacking still works."""
    if lhs.startswith("return"):
        return PLACEHOLDER
    targets = re.sub(r"\[[^\]]*\]", "", lhs.rstrip().rstrip("=")).split(",")
    n = len([t for t in targets if t.strip()])
    return PLACEHOLDER if n <= 1 else ", ".join(["None"] * n) + "  # TODO"


def _solution_code(source: str) -> str:
    out = []
    for line in source.splitlines():
        if line.strip().startswith((BEGIN, END)):
            continue
        m = _LINE_SOLUTION.match(line)
        out.append(f"{m['indent']}{m['body']}" if m else line)
    return "\n".join(out)


def _has_marker(source: str) -> bool:
    return any(line.strip().startswith((BEGIN, END)) or _LINE_SOLUTION.match(line) for line in source.splitlines())


def _check_parses(code: str, where: str) -> None:
    try:
        ast.parse(code)
    except SyntaxError as exc:
        raise SourceError(f"{where}: generated code does not parse ({exc.msg}, line {exc.lineno})") from None


# -- the whole lab ----------------------------------------------------------------------------


@dataclass
class Generated:
    student: dict
    solution: dict
    bundle: dict


def _new_notebook(number: str, version: str, source: str):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.nbformat, nb.nbformat_minor = 4, 5
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "labtools": {
            "lab": number,
            "version": version,
            "generated_from": source,
            "generated_by": "labtools generate: edit the source, not this file",
        },
    }
    return nb


def _read_source(lab_info: LabInfo, root: Path):
    import jupytext

    path = paths.source(lab_info, root)
    if not path.exists():
        raise SourceError(f"{path}: the source of lab {lab_info.number} is missing")
    return path, jupytext.reads(path.read_text(encoding="utf-8"), fmt="py:percent")


def _hidden_test_ids(text: str, where: str, lab: Lab) -> list[str]:
    """The questions a hidden-tests cell grades; SourceError if it grades none or unknown ones."""
    try:
        ids = [qid for qid, _ in grade_calls(text)]
    except ValueError as exc:
        raise SourceError(f"{where}: {exc}") from None
    if not ids:
        raise SourceError(f'{where}: a hidden-tests cell must call grade("qN", ...)')
    unknown = [q for q in ids if q not in lab.questions]
    if unknown:
        raise SourceError(f"{where}: grade() names unknown question(s) {unknown}")
    _check_parses(text, where)
    return ids


def check_calls(code: str) -> list[tuple[str, list[str]]]:
    """Every ``lab.q3.check(a, b)`` call in a cell as ``("q3", ["a", "b"])``: a hidden test
    ``grade("q3", a, b)`` is generated from each, unless the source has its own hidden-tests
    cell for that question (where the grader must see something else)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    calls = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "check"
            and isinstance(func.value, ast.Attribute)
            and isinstance(func.value.value, ast.Name)
            and func.value.value.id == "lab"
        ):
            calls.append((func.value.attr, [ast.unparse(a) for a in node.args]))
    return calls


def grade_code(qid: str, args: list[str]) -> str:
    return f'grade("{qid}", {", ".join(args)})' if args else f'grade("{qid}")'


def stable_id(prefix: str, text: str, used: set[str]) -> str:
    """A cell id from the cell's own text, so inserting a cell elsewhere changes no other id."""
    base = f"{prefix}-{hashlib.sha1(text.encode('utf-8')).hexdigest()[:8]}"
    cell_id, k = base, 2
    while cell_id in used:
        cell_id, k = f"{base}-{k}", k + 1
    used.add(cell_id)
    return cell_id


def _check_answer_marker(where: str, answer: str | None, marked: bool, lab: Lab, number: str) -> None:
    """A cell with solution markers names its question (``answer="qN"``), and only such a cell does."""
    if marked and not answer:
        raise SourceError(f'{where}: a cell with solution markers needs answer="qN" in its # %% line')
    if answer and not marked:
        raise SourceError(f'{where}: answer="{answer}" but the cell has no solution marker')
    if answer and answer not in lab.questions:
        raise SourceError(f'{where}: answer="{answer}" is not a question of lab {number}')


def _code_versions(text: str, where: str, answer: str | None, tags: list[str], lab: Lab, number: str):
    """Step: a source code cell -> (student code, solution code). Puts the set-up lines in front
    of the setup cell, checks the answer marker, clears the solution, checks both parse."""
    if SETUP_TAG in tags:
        text = setup_prelude(number) + ("\n\n" + text if text.strip() else "")
    marked = _has_marker(text)
    _check_answer_marker(where, answer, marked, lab, number)
    student_text = _student_code(text, where) if marked else text
    solution_text = _solution_code(text) if marked else text
    _check_parses(student_text, where + " (student)")
    _check_parses(solution_text, where + " (solution)")
    return student_text, solution_text


def _generated_tests(text: str, cell_id: str, where: str, lab: Lab, number: str) -> list[dict]:
    """Step: the hidden tests a check cell stands for (``lab.q3.check(a)`` -> ``grade("q3", a)``)."""
    tests = []
    for qid, args in check_calls(text):
        if qid not in lab.questions:
            raise SourceError(f"{where}: lab.{qid}.check(...) names no question of lab {number}")
        tests.append({"after": cell_id, "code": grade_code(qid, args), "qid": qid})
    return tests


def select_hidden_tests(hidden: list[dict], explicit: set[str], lab: Lab, where: str) -> list[dict]:
    """Step: keep a generated test unless the source has its own hidden-tests cell for that
    question; every question must end up graded."""
    kept = [{"after": h["after"], "code": h["code"]} for h in hidden if h.get("explicit") or h["qid"] not in explicit]
    tested = {qid for h in kept for qid, _ in grade_calls(h["code"])}
    missing = [q for q, question in lab.questions.items() if q not in tested and not isinstance(question, Written)]
    if missing:
        raise SourceError(f"{where}: no check cell or hidden test grades question(s) {missing}")
    return kept


def _bundle(lab_info: LabInfo, lab: Lab, hidden: list[dict], student: dict) -> dict:
    """Step: the instructor's grading bundle: points, hidden tests and the student template."""
    return {
        "lab": lab_info.number,
        "stem": lab_info.stem,
        "title": lab.title,
        "max_points": lab.max_points,
        "questions": [
            {"id": q.id, "title": q.title, "points": q.points, "answers": list(q.answers)}
            | ({"written": True} if isinstance(q, Written) else {})
            for q in lab.questions.values()
        ],
        "hidden_tests": hidden,
        "template": copy.deepcopy(dict(student)),
    }


def generate_lab(number: str, root: Path | None = None, lab=None) -> Generated:
    """Build the three outputs of lab ``number`` in memory (``lab`` overrides its questions):
    read the source, then for each cell badges / clear solutions / set-up prelude / cell id /
    generated hidden tests, then pick the hidden tests and assemble the bundle."""
    root = root or repo_root()
    lab_info = info(number)
    path, source_nb = _read_source(lab_info, root)
    build = _Build(lab_info, lab or load_lab(lab_info.number), str(path.relative_to(root)))
    for index, cell in enumerate(source_nb.cells):
        if cell.cell_type == "markdown":
            build.markdown(cell, f"{build.rel}, cell {index + 1}")
        elif cell.cell_type == "code":
            build.code(cell, f"{build.rel}, cell {index + 1}")
    hidden = select_hidden_tests(build.hidden, build.explicit, build.lab, build.rel)
    unanswered = [q for q in written_ids(build.lab) if q not in build.answer_counts]
    if unanswered:
        raise SourceError(f'{build.rel}: written question(s) {unanswered} need a # %% [markdown] answer="qN" cell')
    return Generated(build.student, build.solution, _bundle(lab_info, build.lab, hidden, build.student))


class _Build:
    """The two notebooks being written, cell by cell, and the hidden tests found on the way."""

    def __init__(self, lab_info: LabInfo, lab, rel: str) -> None:
        self.lab_info, self.lab, self.rel = lab_info, lab, rel
        self.student = _new_notebook(lab_info.number, "student", rel)
        self.solution = _new_notebook(lab_info.number, "solution", rel)
        self.hidden: list[dict] = []  # explicit hidden-tests cells and tests generated from check cells
        self.explicit: set[str] = set()  # questions with an explicit hidden-tests cell
        self.answer_counts: dict[str, int] = {}
        self.used_ids: set[str] = set()
        self.last_id: str | None = None

    def markdown(self, cell, where: str) -> None:
        import nbformat

        answer = cell.metadata.get("answer")
        if answer:
            self.written_answer(cell, answer, where)
            return
        text = cell.source.replace("<!-- badges -->", repo.badges_markdown(f"notebooks/{self.lab_info.stem}.ipynb"))
        cell_id = stable_id("md", cell.source, self.used_ids)
        for nb in (self.student, self.solution):
            new = nbformat.v4.new_markdown_cell(text)
            new.id = cell_id
            nb.cells.append(new)
        self.last_id = cell_id

    def written_answer(self, cell, answer: str, where: str) -> None:
        """A written question's answer cell: the model answer in the solution, the placeholder in
        the student notebook (so in the bundle's template), id ``qN-answer`` in both."""
        import nbformat

        if not isinstance(self.lab.questions.get(answer), Written):
            raise SourceError(f'{where}: answer="{answer}" on a Markdown cell names no written question of the lab')
        if answer in self.answer_counts:
            raise SourceError(f"{where}: written question {answer} has a second answer cell")
        if not cell.source.strip():
            raise SourceError(f"{where}: the answer cell of {answer} holds no model answer")
        self.answer_counts[answer] = 1
        cell_id = f"{answer}-answer"
        self.used_ids.add(cell_id)
        for nb, text in ((self.student, WRITTEN_PLACEHOLDER), (self.solution, cell.source)):
            new = nbformat.v4.new_markdown_cell(text)
            new.id = cell_id
            new.metadata["labtools"] = {"answer": answer}
            nb.cells.append(new)
        self.last_id = cell_id

    def code(self, cell, where: str) -> None:
        import nbformat

        meta = dict(cell.metadata)
        tags = list(meta.pop("tags", []))
        answer = meta.pop("answer", None)
        if HIDDEN_TAG in tags:
            self.explicit.update(_hidden_test_ids(cell.source, where, self.lab))
            self.hidden.append({"after": self.last_id, "code": cell.source, "explicit": True})
            return
        number = self.lab_info.number
        student_text, solution_text = _code_versions(cell.source, where, answer, tags, self.lab, number)
        if answer and isinstance(self.lab.questions.get(answer), Written):
            raise SourceError(
                f'{where}: {answer} is a written question; its answer cell is # %% [markdown] answer="{answer}"'
            )
        if answer:
            k = self.answer_counts[answer] = self.answer_counts.get(answer, 0) + 1
            cell_id = f"{answer}-answer" + (f"-{k}" if k > 1 else "")
        else:
            cell_id = stable_id("code", cell.source, self.used_ids)
            tests = _generated_tests(cell.source, cell_id, where, self.lab, number)
            self.hidden += [t for t in tests if not isinstance(self.lab.questions[t["qid"]], Written)]
        for nb, code in ((self.student, student_text), (self.solution, solution_text)):
            new = nbformat.v4.new_code_cell(code)
            new.id = cell_id
            if answer:
                new.metadata["labtools"] = {"answer": answer}
            if tags and SETUP_TAG not in tags:
                new.metadata["tags"] = tags
            nb.cells.append(new)
        self.last_id = cell_id


def written_ids(lab: Lab) -> list[str]:
    return [qid for qid, q in lab.questions.items() if isinstance(q, Written)]


def output_paths(lab_info: LabInfo, root: Path) -> dict[str, Path]:
    return paths.outputs(lab_info, root)


def render(generated: Generated) -> dict[str, str]:
    import nbformat

    return {
        "student": nbformat.writes(nbformat.from_dict(generated.student)) + "\n",
        "solution": nbformat.writes(nbformat.from_dict(generated.solution)) + "\n",
        "bundle": json.dumps(generated.bundle, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
    }


def labs_with_sources(root: Path) -> list[LabInfo]:
    return [i for i in CATALOGUE if paths.source(i, root).exists()]


def run(numbers: list[str] | None = None, check: bool = False, root: Path | None = None) -> list[str]:
    """Write (or with ``check`` only compare) the generated files; return the stale ones."""
    root = root or repo_root()
    chosen = [info(n) for n in numbers] if numbers else labs_with_sources(root)
    stale = []
    for lab_info in chosen:
        texts = render(generate_lab(lab_info.number, root))
        for kind, path in output_paths(lab_info, root).items():
            current = path.read_text(encoding="utf-8") if path.exists() else None
            if current == texts[kind]:
                continue
            stale.append(str(path.relative_to(root)))
            if not check:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(path.suffix + ".tmp")
                tmp.write_text(texts[kind], encoding="utf-8")
                tmp.replace(path)
    return stale
