"""Gradescope: the autograder zip for a lab, and the program its ``run_autograder`` runs.

``labtools gradescope --lab NN`` writes a zip with, at its root, what Gradescope's autograder
specification asks for (https://gradescope-autograders.readthedocs.io/en/latest/specs/):

* ``setup.sh``: run once when Gradescope builds the image; installs Python, bubblewrap and the
  grader's dependencies (``requirements.txt``) into ``/autograder/venv``;
* ``run_autograder``: run for every submission; grades the notebook in
  ``/autograder/submission`` with the same grader as ``labtools grade`` and writes
  ``/autograder/results/results.json``: per question ``name``, ``score``, ``max_score``,
  ``status``, ``output`` (the verdict and a hint) and ``visibility``, plus the total ``score``,
  ``execution_time`` and an ``output`` for the whole submission;
* ``python/labtools/`` (the package, alone in its folder), ``bundle.json`` (the lab's grading
  bundle: hidden tests, never inside the kernel's view) and ``config.json`` (lab and limits).

``GRADESCOPE_ROOT`` (default ``/autograder``) moves the whole layout, so a test can run
``run_autograder`` on a folder laid out like Gradescope's.

Sandbox: where bubblewrap can start in Gradescope's container, each kernel runs in it as with
``labtools grade``; where it cannot (a container without user namespaces), the kernel runs
without it, as ``--no-sandbox`` does, and ``results.json``'s ``extra_data`` says so. Gradescope
already runs every submission in a fresh container of its own, so one student cannot reach
another's work or the gradebook; what is lost is the kernel's isolation from the grader inside
that container. It could read ``bundle.json`` (the grade still comes from the grader's own
judges on secret inputs, outside the kernel, so the hidden tests buy nothing), and a process it
leaves behind, as root and with no pid namespace, could rewrite ``results.json`` after the
grader wrote it: a known gap of unsandboxed grading there, which the sandbox closes.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from .files import printable

ROOT_ENV = "GRADESCOPE_ROOT"

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu).
set -euxo pipefail
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv python3-pip bubblewrap
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --no-cache-dir --upgrade pip
/autograder/venv/bin/pip install --no-cache-dir -r /autograder/source/requirements.txt
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission: labtools' grader grades the notebook in
# $ROOT/submission and writes $ROOT/results/results.json. GRADESCOPE_ROOT (default /autograder)
# moves the root, so the same script runs in a test on a folder laid out like Gradescope's.
set -euo pipefail
ROOT="${GRADESCOPE_ROOT:-/autograder}"
export GRADESCOPE_ROOT="$ROOT"
if [ -x "$ROOT/venv/bin/python3" ]; then
    PATH="$ROOT/venv/bin:$PATH"
fi
export PYTHONPATH="$ROOT/source/python"
export LABTOOLS_FAST=1
cd "$ROOT"
exec python3 -m labtools.grading.gradescope
"""


def requirements() -> list[str]:
    """What the grader needs: labtools' dependencies and its ``cpu`` and ``grader`` extras, as
    ``pyproject.toml`` lists them (environment markers kept: pip picks the TensorFlow for the
    image's platform)."""
    from ..paths import repo_root

    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    project = tomllib.loads((repo_root() / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project.get("optional-dependencies", {})
    wanted = [*project.get("dependencies", []), *extras.get("cpu", []), *extras.get("grader", [])]
    return [req for req in dict.fromkeys(wanted) if not req.startswith("labtools")]


def build(lab: str, out: Path, memory_mb: int = 3072, cell_timeout: float = 120, timeout: float = 600) -> Path:
    """Write the autograder zip for ``lab`` to ``out``; returns ``out``."""
    from ..labs import info
    from .runner import load_bundle

    meta = info(lab)
    bundle = load_bundle(meta.number)
    package = Path(__file__).resolve().parent.parent
    config = {
        "lab": meta.number,
        "memory_mb": memory_mb,
        "cell_timeout": cell_timeout,
        "submission_timeout": timeout,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER)):
            entry = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            entry.external_attr = (0o100755 << 16) | 0
            entry.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(entry, text)
        z.writestr("requirements.txt", "\n".join(requirements()) + "\n")
        z.writestr("config.json", json.dumps(config, indent=1))
        z.writestr("bundle.json", json.dumps(bundle))
        for path in sorted(package.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                z.write(path, f"python/labtools/{path.relative_to(package).as_posix()}")
    return out


def pick_notebook(folder: Path, stem: str) -> tuple[Path | None, str]:
    """The submitted notebook, and a note when there was a choice to make. Found as ``labtools
    grade`` finds them: no symlink is followed; a regular file is preferred to anything else
    (which is graded, as unreadable, only when there is nothing else)."""
    from .runner import find_notebooks

    found = find_notebooks([folder], warn=lambda line: None)
    regular = [p for p in found if p.is_file() and not p.is_symlink()]
    found = regular or found
    if len(found) <= 1:
        return (found[0] if found else None), ""
    named = [p for p in found if p.name == f"{stem}.ipynb"]
    chosen = named[0] if named else max(found, key=lambda p: (_mtime(p), p.as_posix()))
    return chosen, f"{len(found)} notebooks were submitted; graded {printable(chosen.name)}."


def _mtime(path: Path) -> float:
    try:
        return path.lstat().st_mtime
    except OSError:
        return 0.0


def results_json(result: dict, lab, seconds: float, note: str = "", extra: dict | None = None) -> dict:
    """A labtools result in Gradescope's format."""
    tests = []
    for qid, q in lab.questions.items():
        v = result.get("questions", {}).get(qid, {"status": "NOT ATTEMPTED", "points": 0, "message": ""})
        text = v.get("message", "")
        if v["status"] not in ("PASS", "MANUAL", "GRADED") and q.hints:
            text = (text + " " if text else "") + f"Hint: {q.hints[0]}"
        test = {
            "name": f"{qid} {q.title}",
            "score": v["points"],
            "max_score": q.points,
            "status": "passed" if v["status"] == "PASS" else "failed",
            "output": printable(f"{v['status']}. {text}".strip()),
            "output_format": "text",
            "visibility": "visible",
        }
        if v["status"] in ("MANUAL", "GRADED"):  # a written answer: a person grades it, nothing passed or failed
            del test["status"]
        tests.append(test)
    lines = [f"Lab {lab.number} {lab.title}: {result.get('total', 0):g} / {lab.max_points:g} points."]
    if result.get("pending", 0):
        lines.append(f"{result['pending']:g} points are pending: your instructor grades the written answers.")
    if result.get("status", "ok") != "ok":
        lines.append(f"Grading status: {result['status']}.")
    lines += [note] if note else []
    lines += [printable(n) for n in result.get("notes", [])]  # one line each: none can pose as the score
    return {
        "score": result.get("total", 0),
        "execution_time": round(seconds),
        "output": "\n".join(lines),
        "output_format": "text",  # shown as it is: nothing a submission wrote is rendered
        "test_output_format": "text",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": extra or {},
    }


def grade_submission(root: Path) -> dict:
    """Grade ``root/submission`` as ``root/source/config.json`` says; Gradescope's results."""
    from ..labs import info, load_lab
    from . import sandbox
    from .runner import Settings, grade_all
    from .worker import network_isolation_available

    started = time.perf_counter()
    source = root / "source"
    config = json.loads((source / "config.json").read_text(encoding="utf-8"))
    meta, lab = info(config["lab"]), load_lab(config["lab"])
    notebook, note = pick_notebook(root / "submission", meta.stem)
    if notebook is None:
        empty = {"status": "no notebook", "notes": [f"No .ipynb file was submitted: upload {meta.stem}.ipynb."]}
        return results_json(empty, lab, time.perf_counter() - started)
    sandboxed = sandbox.why_unavailable() is None
    print(f"labtools: grading {printable(notebook)} with the sandbox {'on' if sandboxed else 'off'}")
    with tempfile.TemporaryDirectory(prefix="labtools-gradescope-") as out:
        settings = Settings(
            lab=meta.number,
            bundle=json.loads((source / "bundle.json").read_text(encoding="utf-8")),
            out=Path(out),
            memory_mb=config["memory_mb"],
            cell_timeout=config["cell_timeout"],
            submission_timeout=config["submission_timeout"],
            sandbox=sandboxed,
            isolate_network=sandboxed or network_isolation_available(),
        )
        result = grade_all([notebook], settings, progress=False, ids={notebook: "submission"}, write=False)[0]
    import labtools

    extra = {"sandbox": sandboxed, "labtools": str(Path(labtools.__file__).parent), "status": result["status"]}
    return results_json(result, lab, time.perf_counter() - started, note, extra)


def main() -> int:
    root = Path(os.environ.get(ROOT_ENV) or "/autograder")
    target = root / "results" / "results.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    # an error in the grader itself raises: no results.json, so Gradescope reports the autograder
    # failed (with this traceback for the instructor) rather than a zero the student never earned
    results = grade_submission(root)
    target.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(f"labtools: wrote {target} (score {results['score']:g})")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
