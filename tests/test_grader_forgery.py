"""A grading kernel holds no judge: results it forges earn nothing, and publishing a result means
doing the exercise (the issue "A grader no submission can break", class 1 and 2).

Each submission is lab 02's untouched student notebook (or its solution, where the attack flips
an answer to a wrong one when it finds what it looks for) with an attack in q1's answer cell. An
attack that worked against a grader whose judges sat in the kernel earns nothing here.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from labtools.grading import sandbox
from labtools.grading.runner import Settings, grade_all, load_bundle

ROOT = Path(__file__).resolve().parent.parent
RIGHT_Q1 = "total = tf.add(x, y)\nproduct = tf.multiply(x, y)\ndifference = tf.subtract(y, x)\n"
LEAK = "total = tf.subtract(x, y)\n"  # a wrong q1: what an attack does when it finds a judge

# where the attack publishes results of its own: a payload for every question, in every cell
FORGE = """
import json, re, threading, time
from IPython import get_ipython
MIME = "application/vnd.labtools.probe+json"
def forged(nonce):
    return [json.dumps({"nonce": nonce, "qid": q, "status": "data", "data": {"__dict__": []}})
            for q in ("q1", "q2", "q3", "q4")]
NONCE = [m for m in (re.match(r"_labtools_probe_(\\w+)$", k) for k in list(globals())) if m]
NONCE = NONCE[0].group(1) if NONCE else "x"
"""

ATTACKS = {
    # the judges and their inputs: none of it is in the sandbox
    "reach_judges": (
        "solution",
        RIGHT_Q1 + "import importlib, glob, os\nfound = []\n"
        "for name in ('labtools.labs.lab02_computation', 'labtools.judging', 'labtools.reference',"
        " 'labtools.grading.runner'):\n"
        "    try:\n        m = importlib.import_module(name)\n"
        "        found += [k for k in ('LAB', 'expect_close', 'softmax', 'grade_one') if hasattr(m, k)]\n"
        "    except Exception:\n        pass\n"
        "import labtools\nbase = os.path.dirname(labtools.__file__)\n"
        "for f in glob.glob(base + '/labs/*.py') + glob.glob(base + '/judging.py') + glob.glob(base + '/**/*.pyc',"
        " recursive=True):\n"
        "    try:\n        found += [f] if b'_judge_' in open(f, 'rb').read() else []\n"
        "    except OSError:\n        pass\n"
        "if found:\n    " + LEAK,
    ),
    # the probe replaced by one that publishes what the attacker likes
    "replace_probe": (
        "untouched",
        FORGE + "for k in [k for k in globals() if k.startswith('_labtools_probe_')]:\n"
        "    globals()[k] = lambda qid, answers, given=None: [get_ipython().display_pub.publish("
        "data={MIME: p}, metadata={}) for p in forged(NONCE) if json.loads(p)['qid'] == qid]\n",
    ),
    # IPython hooks that publish before and after every cell, the probe's own result aside
    "run_cell_hooks": (
        "untouched",
        FORGE + "def publish(*args, **kwargs):\n"
        "    for p in forged(NONCE):\n        get_ipython().display_pub.publish(data={MIME: p}, metadata={})\n"
        "get_ipython().events.register('pre_run_cell', publish)\n"
        "get_ipython().events.register('post_run_cell', publish)\n",
    ),
    # a thread that keeps publishing into whatever cell runs
    "publishing_thread": (
        "untouched",
        FORGE + "def spam():\n    for _ in range(3000):\n"
        "        for p in forged(NONCE):\n            get_ipython().display_pub.publish(data={MIME: p}, metadata={})\n"
        "        time.sleep(0.005)\n"
        "threading.Thread(target=spam, daemon=True).start()\n",
    ),
    # a right answer, and a hook that adds a second result to each hidden cell: only one counts
    "second_result": (
        "solution",
        RIGHT_Q1 + FORGE + "def publish(*args, **kwargs):\n"
        "    for p in forged(NONCE):\n        get_ipython().display_pub.publish(data={MIME: p}, metadata={})\n"
        "get_ipython().events.register('post_run_cell', publish)\n",
    ),
    # objects that say they are tensors or tf.functions
    "tensor_subclass": (
        "untouched",
        "Fake = type('Fake', (tf.Tensor,), {'numpy': lambda self: x.numpy() + y.numpy(), 'shape': property("
        "lambda self: x.shape), 'dtype': property(lambda self: x.dtype)})\n"
        "try:\n    total = object.__new__(Fake)\nexcept TypeError:\n    total = Fake.__new__(Fake)\n"
        "product = difference = total\n",
    ),
    "isinstance_always_true": ("solution", RIGHT_Q1 + "import builtins\nbuiltins.isinstance = lambda o, t: True\n"),
}
EXPECTED = {  # submission: points for q1..q4
    "reach_judges": [1, 2, 2, 1],
    "replace_probe": [0, 0, 0, 0],
    "run_cell_hooks": [0, 0, 0, 0],
    "publishing_thread": [0, 0, 0, 0],
    "second_result": [0, 0, 0, 0],
    "tensor_subclass": [0, 0, 0, 0],
}


def _write(folder: Path, name: str, base: str, source: str) -> None:
    path = ROOT / ("instructor/solutions" if base == "solution" else "notebooks") / "02_computation.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.get("id") == "q1-answer":
            cell.source = source
    nbformat.write(nb, folder / f"{name}.ipynb")


@pytest.fixture(scope="module")
def forged_run(tmp_path_factory):
    import os

    reason = sandbox.why_unavailable()
    if reason and os.environ.get("LABTOOLS_REQUIRE_SANDBOX"):
        pytest.fail(f"the sandbox is required here but {reason}")
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("forgery")
    folder, out = root / "submissions", root / "out"
    folder.mkdir()
    for name, (base, source) in ATTACKS.items():
        _write(folder, name, base, source)
    settings = Settings(lab="02", bundle=load_bundle("02"), out=out, jobs=2, cell_timeout=6, submission_timeout=45)
    settings.cell_wall_timeout = 12
    results = grade_all(sorted(folder.glob("*.ipynb")), settings, progress=False)
    return {r["id"]: r for r in results}, settings


@pytest.mark.notebooks
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_forged_result_earns_nothing(forged_run, name):
    rows, _ = forged_run
    row = rows[name]
    got = [row["questions"][q]["points"] for q in ("q1", "q2", "q3", "q4")]
    assert got == EXPECTED[name], f"{name}: {got} ({json.dumps(row['notes'])[:300]})"
    assert row["sandboxed"], "the forgery corpus runs in the sandbox"


@pytest.mark.notebooks
def test_a_replaced_builtin_costs_only_its_own_answers_and_time_stays_bounded(forged_run):
    rows, settings = forged_run
    row = rows["isinstance_always_true"]
    assert row["status"] in ("ok", "timeout", "kernel died"), row["status"]
    assert row["questions"]["q1"]["points"] in (0, 1)
    assert row["seconds"] <= settings.submission_wall() + 30, row["seconds"]


def test_the_sandbox_carries_only_the_kernel_side():
    """Inside the sandbox the judge side is empty: no lab's judges, no grader, no compiled copies."""
    import os
    import subprocess
    import sys

    reason = sandbox.why_unavailable()
    if reason and os.environ.get("LABTOOLS_REQUIRE_SANDBOX"):
        pytest.fail(f"the sandbox is required here but {reason}")
    if reason:
        pytest.skip(reason)
    code = (
        "import glob, importlib, json, os, labtools\n"
        "base = os.path.dirname(labtools.__file__)\n"
        "judge_text = [f for f in glob.glob(base + '/**/*', recursive=True) if os.path.isfile(f)"
        " and b'_judge_' in open(f, 'rb').read()]\n"
        "mods = {}\n"
        "for name in ('labtools.labs.lab02_computation', 'labtools.judging', 'labtools.grading.runner',"
        " 'labtools.kernel.lab02_computation'):\n"
        "    try:\n        mods[name] = sorted(vars(importlib.import_module(name)))\n"
        "    except Exception as exc:\n        mods[name] = type(exc).__name__\n"
        "print(json.dumps({'judge_text': judge_text, 'mods': mods}))\n"
    )
    env = {**os.environ, "LABTOOLS_GRADING": "1"}
    out = subprocess.run(sandbox.command(Path("/"), [sys.executable, "-c", code], env=env), capture_output=True)
    assert out.returncode == 0, out.stderr.decode(errors="replace")[-500:]
    seen = json.loads(out.stdout)
    assert seen["judge_text"] == [], seen["judge_text"]
    assert "LAB" not in seen["mods"]["labtools.labs.lab02_computation"]
    assert "expect_close" not in seen["mods"]["labtools.judging"]
    assert "grade_one" not in seen["mods"]["labtools.grading.runner"]
    assert "EXERCISES" in seen["mods"]["labtools.kernel.lab02_computation"]  # the kernel side is there
