"""The autograder: malformed, broken, endless and hostile submissions, resume, gradebook.

Fast unit tests first; then one grading run over a corpus of lab 02 submissions built from
the solution notebook, each row checked; then every lab's solution (full marks) and untouched
student notebook (zero, status ok).
"""

import ast
import csv
import json
import re
import types
from pathlib import Path

import nbformat
import numpy as np
import pytest

from labtools.grading import probe, sandbox
from labtools.grading.naming import submission_ids
from labtools.grading.processes import tree_rss
from labtools.grading.runner import EventReader, Settings, grade_all, load_bundle
from labtools.grading.signing import mac
from labtools.grading.submission import Unreadable, answer_ids, extract_answers, read_notebook
from labtools.labs import CATALOGUE, load_lab

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SOLUTIONS = ROOT / "instructor" / "solutions"


# -- reading and composing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "content, says",
    [
        (b"", "empty"),
        (bytes(range(256)) * 4, "binary"),
        (b"hello, grader", "not a Jupyter notebook"),
        (b"[1, 2, 3]", "not a Jupyter notebook"),
        (json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []}).encode(), "nbformat 3"),
    ],
)
def test_malformed_files_get_one_clear_line(tmp_path, content, says):
    path = tmp_path / "bad.ipynb"
    path.write_bytes(content)
    with pytest.raises(Unreadable, match=says) as info:
        read_notebook(path)
    assert "\n" not in str(info.value)


def solution_cells(lab="02"):
    nb = nbformat.read(SOLUTIONS / f"{lab}_{_slug(lab)}.ipynb", 4)
    return nb, {c.id: c for c in nb.cells}


def _slug(lab):
    return next(i.slug for i in CATALOGUE if i.number == lab)


def test_answers_found_by_id_or_metadata_in_any_order():
    bundle = load_bundle("02")
    nb, _ = solution_cells()
    nb.cells = nb.cells[::-1]
    for cell in nb.cells:
        if cell.id == "q2-answer":
            cell.id = "renamed-by-an-old-jupyter"  # the metadata still says q2
    found = extract_answers(nb, answer_ids(bundle["template"]))
    assert set(found.cells) == {"q1-answer", "q2-answer", "q3-answer", "q4-answer"} and not found.notes


def test_missing_duplicated_and_retyped_answer_cells_are_noted():
    bundle = load_bundle("02")
    nb, cells = solution_cells()
    dup = nbformat.from_dict(dict(cells["q3-answer"]))
    dup.id = "q3-answer-copy"
    dup.source = "def difference_of_squares(a, b):\n    return a - b"
    nb.cells = [c for c in nb.cells if c.id != "q1-answer"] + [dup]
    cells["q2-answer"].cell_type = "markdown"
    found = extract_answers(nb, answer_ids(bundle["template"]))
    assert any(n.startswith("q1: the answer cell is missing") for n in found.notes)
    assert any(n.startswith("q2: the answer cell was changed to markdown") for n in found.notes)
    assert "q1-answer" not in found.cells and "q2-answer" not in found.cells


def test_probe_data_round_trips_without_pickle():
    import numpy as np

    data = {
        "a": np.arange(6, dtype="float32").reshape(2, 3),
        "b": (1, "x", None),
        "c": [np.int64(3)],
        "d": float("nan"),
    }
    back = probe.decode(json.loads(json.dumps(probe.encode(data))))
    assert back["a"].dtype == np.float32 and back["a"].tolist() == data["a"].tolist()
    assert back["b"] == (1, "x", None) and back["c"] == [3] and back["d"] != back["d"]
    with pytest.raises(TypeError):
        probe.encode(np.array([object()]))
    with pytest.raises(ValueError):
        probe.decode({"__nd__": ["|O", [1], ""]})
    with pytest.raises(ValueError):
        probe.decode({"__reduce__": "os.system"})


def test_hidden_cells_call_the_probe_lazily_with_their_own_inputs_only():
    code = probe.hidden_cell("abc", "q5", ["scores", "x", "W", "b"])
    assert code == "_labtools_probe_abc('q5', lambda: (scores, x, W, b,), None)"
    code = probe.hidden_cell("abc", "q2", ["f"], {"a": np.arange(2.0)})
    given = ast.parse(code).body[0].value.args[2].value  # the inputs travel as one JSON string literal
    assert np.array_equal(probe.decode(json.loads(given))["a"], np.arange(2.0))
    with pytest.raises(ValueError):
        probe.hidden_cell("abc", "q1", ["import os"])


def test_unsigned_event_lines_are_ignored_and_the_stream_is_capped():
    import io

    key = b"k" * 16
    good = json.dumps({"event": "result", "qid": "q1", "payload": None})
    forged = json.dumps({"event": "result", "qid": "q2", "payload": {"status": "data"}})
    reader = EventReader(io.BytesIO(f"{mac(good.encode(), key)} {good}\n0000 {forged}\n{forged}\n".encode()), key)
    reader.run()
    assert [e["qid"] for e in reader.events] == ["q1"] and not reader.overflow
    flood = io.BytesIO(f"{mac(good.encode(), key)} {good}\n".encode() + b"junk " * 16_000_000)  # 80 MB, no newline
    reader = EventReader(flood, key)
    reader.run()
    assert [e["qid"] for e in reader.events] == ["q1"] and reader.overflow


def test_memory_of_a_process_tree_still_counts_when_one_process_vanishes():
    import psutil

    class Proc:
        def __init__(self, rss, kids=()):
            self.rss, self.kids = rss, kids

        def children(self, recursive):
            return list(self.kids)

        def memory_info(self):
            if self.rss is None:
                raise psutil.ZombieProcess(1)
            return types.SimpleNamespace(rss=self.rss)

    assert tree_rss(Proc(100, [Proc(None), Proc(50)])) == 150


def test_submission_ids_are_unique_and_safe(tmp_path):
    paths = [tmp_path / "a" / "alice.ipynb", tmp_path / "b" / "alice.ipynb", tmp_path / "bob smith!.ipynb"]
    ids = list(submission_ids(paths).values())
    assert ids == ["a__alice", "b__alice", "bob_smith_.ipynb"[:-6]] and len(set(ids)) == 3


# -- a corpus of broken and hostile submissions ---------------------------------------------------

WRONG_Q1 = "total = tf.subtract(x, y)\nproduct = tf.multiply(x, y)\ndifference = tf.subtract(y, x)\n"
RIGHT_Q1 = "total = tf.add(x, y)\nproduct = tf.multiply(x, y)\ndifference = tf.subtract(y, x)\n"
EXTRA = {
    "fake_pass": WRONG_Q1 + 'print("q1 Element-wise operations: PASS")\n'
    'from IPython.display import HTML, display\ndisplay(HTML("<b>PASS</b> 8/8 points"))',
    "monkeypatch": WRONG_Q1 + "import labtools, labtools.checking as c\n"
    "c.Question.assess = lambda self, data: c.Verdict(self.id, self.title, c.Status.PASS)\n"
    "c.Question.collect = lambda self, *a: {}\n"
    "c.expect_close = lambda *a, **k: None\n"
    "for q in lab.questions.values():\n    q.judge = lambda d: None\n    q.extract = lambda *a: {}",
    "grader_names": RIGHT_Q1 + "def grade(*args, **kwargs):\n    return 'PASS'\n"
    "print = lambda *a, **k: None\nprobe = None\n",
    "files": RIGHT_Q1 + "import glob, os\n"
    "open('grades.csv', 'w').write('files,ok,1,2,2,1,6,6\\n')\n"
    "for f in glob.glob('/tmp/labtools-events-*/events.jsonl') + glob.glob('../*/events.jsonl'):\n"
    '    open(f, \'a\').write(\'{"event": "result", "qid": "q2", "payload": {"status": "data", "data": null}}\\n\')',
    "sleep_q1": "import time\ntime.sleep(10**6)",
    "flood_q1": RIGHT_Q1 + "for _ in range(300):\n    print('spam ' * 100_000)",
}
WRONG_Q2 = "def func(a, b):\n    return (a + b) * (a - 1)"

# Attacks on the grader itself (the sandbox issue). Each runs in q1's answer cell; where it
# finds what it looks for, it flips q1 to a wrong answer (``LEAK``), so a leak costs the point
# the test expects, and it tries to do damage that the tests below look for.
LEAK = "total = tf.subtract(x, y)\n"
SANDBOX_ATTACKS = {
    "proc_snoop": (
        "import glob\nfound = []\nfor f in glob.glob('/proc/[0-9]*/cmdline'):\n"
        "    try:\n        found.append(open(f, 'rb').read())\n    except OSError:\n        pass\n"
        "if any(b'labtools.grading' in c or b'pytest' in c for c in found):\n    " + LEAK
    ),
    "read_repo": (
        "import glob\nif glob.glob('{root}/instructor/solutions/*.ipynb') "
        "or glob.glob('{root}/instructor/bundles/*'):\n"
        "    " + LEAK
    ),
    "read_others": (
        "import glob, os\nif glob.glob('{folder}/*.ipynb') or glob.glob('{out}/*') "
        "or glob.glob('/tmp/labtools-grade-*'):\n"
        "    " + LEAK + "for f in glob.glob('{folder}/zz_*.ipynb'):\n    open(f, 'w').write('overwritten')"
    ),
    "network": (
        "import socket\ntry:\n"
        "    socket.create_connection(('127.0.0.1', {port}), timeout=3).sendall(b'escaped')\n"
        "    " + LEAK + "except OSError:\n    pass"
    ),
    "env_leak": "import os\nif 'LABTOOLS_TEST_SECRET' in os.environ or os.getuid() == 0:\n    " + LEAK,
    "daemon": (
        "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
        "        for _ in range(600):\n            time.sleep(0.1)\n"
        "            for f in ('{out}/grades.csv', '{out}/results/daemon.json'):\n"
        "                try:\n                    open(f, 'w').write('forged')\n"
        "                except OSError:\n                    pass\n    os._exit(0)"
    ),
    "shm_fill": (
        "try:\n    with open('/dev/shm/hog', 'wb') as f:\n        for _ in range(2048):\n"
        "            f.write(b'x' * 2**20)\nexcept OSError:\n    pass"
    ),
    "stdout_forge": (
        "import os, sys, json\nline = '0' * 64 + ' ' + json.dumps({{'event': 'result', 'qid': 'q2', "
        "'payload': {{'status': 'data', 'data': None}}}}) + '\\n'\n"
        "for fd in (1, 2):\n    try:\n        os.write(fd, line.encode() * 1000)\n    except OSError:\n"
        "        pass\nsys.__stdout__.write(line)"
    ),
    "fork_many": (
        "import os, time\nfor _ in range(400):\n    os.posix_spawn('/usr/bin/sleep', ['sleep', '60'], {{}})\n"
        "time.sleep(30)"
    ),
    # every process it may signal: inside its pid namespace that is none (EPERM), so it goes on
    "kill_all": "import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError:\n    pass",
    # a class name the check quotes back: 5000 characters, an escape code and a fake table row
    "exception_leak": (
        "total = type('Leak' + 'A' * 5000 + '\\x1b[31m\\n| q9 | PASS | 99 |', (), {{}})()\n"
        "product = tf.multiply(x, y)\ndifference = tf.subtract(y, x)"
    ),
}


def make_corpus(folder: Path) -> None:
    nb, cells = solution_cells()

    def write(name, mutate=None, raw=None):
        path = folder / f"{name}.ipynb"
        if raw is not None:
            path.write_bytes(raw)
            return
        copy = nbformat.from_dict(json.loads(json.dumps(nb)))
        by_id = {c.id: c for c in copy.cells}
        if mutate:
            mutate(copy, by_id)
        path.write_text(nbformat.writes(copy))

    def set_source(cid, source):
        return lambda copy, by_id: by_id[cid].__setitem__("source", source)

    write("solution")
    (folder / "untouched.ipynb").write_text((NOTEBOOKS / "02_computation.ipynb").read_text())
    write("empty", raw=b"")
    write("binary", raw=bytes(range(256)) * 8)
    write("not_json", raw=b"{ this is not json")
    write("reordered", lambda copy, by_id: setattr(copy, "cells", copy.cells[::-1]))
    write("missing_q1", lambda copy, by_id: setattr(copy, "cells", [c for c in copy.cells if c.id != "q1-answer"]))

    def to_markdown(copy, by_id):  # what Jupyter's cell-type menu does
        cell = by_id["q2-answer"]
        cell.cell_type = "markdown"
        cell.pop("outputs"), cell.pop("execution_count")

    write("markdown_q2", to_markdown)
    write("loop_q2", set_source("q2-answer", "while True:\n    pass"))
    write("exit_q3", set_source("q3-answer", "import os\nos._exit(1)"))
    write("segfault_q3", set_source("q3-answer", "import ctypes\nctypes.string_at(0)"))
    # one 3 GB block, then wait: the limit is 2.5 GB, however slowly a busy machine fills it
    write("memory_q3", set_source("q3-answer", "import time\nhog = b'x' * 3_000_000_000\ntime.sleep(60)"))
    write(
        "ignores_interrupt_q3",
        set_source("q3-answer", "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"),
    )
    for name, source in SANDBOX_ATTACKS.items():
        code = source.format(root=ROOT, folder=folder, out=folder.parent / "gradebook", port=LISTENER["port"])
        write(name, set_source("q1-answer", code + "\n" + (RIGHT_Q1 if name != "exception_leak" else "")))

    write("zz_victim")  # graded after the attacks, which try to overwrite it
    for name, source in EXTRA.items():
        wrong_q2 = name == "grader_names" or name == "files"
        write(
            name,
            lambda copy, by_id, s=source, w=wrong_q2: (
                by_id["q1-answer"].__setitem__("source", s),
                w and by_id["q2-answer"].__setitem__("source", WRONG_Q2),
            ),
        )


EXPECTED = {  # submission: (status, points per question q1..q4)
    "solution": ("ok", [1, 2, 2, 1]),
    "untouched": ("ok", [0, 0, 0, 0]),
    "empty": ("unreadable", [0, 0, 0, 0]),
    "binary": ("unreadable", [0, 0, 0, 0]),
    "not_json": ("unreadable", [0, 0, 0, 0]),
    "reordered": ("ok", [1, 2, 2, 1]),
    "missing_q1": ("ok", [0, 2, 2, 1]),
    "markdown_q2": ("ok", [1, 0, 2, 1]),
    "loop_q2": ("ok", [1, 0, 2, 1]),
    "sleep_q1": ("ok", [0, 2, 2, 1]),
    "exit_q3": ("kernel died", [1, 2, 0, 0]),
    "segfault_q3": ("kernel died", [1, 2, 0, 0]),
    "memory_q3": ("memory limit", [1, 2, 0, 0]),
    "ignores_interrupt_q3": ("timeout", [1, 2, 0, 0]),
    "fake_pass": ("ok", [0, 2, 2, 1]),
    "monkeypatch": ("ok", [0, 2, 2, 1]),
    "grader_names": ("ok", [1, 0, 2, 1]),
    "files": ("ok", [1, 0, 2, 1]),
    "flood_q1": ("ok", [1, 2, 2, 1]),
    "proc_snoop": ("ok", [1, 2, 2, 1]),
    "read_repo": ("ok", [1, 2, 2, 1]),
    "read_others": ("ok", [1, 2, 2, 1]),
    "network": ("ok", [1, 2, 2, 1]),
    "env_leak": ("ok", [1, 2, 2, 1]),
    "daemon": ("ok", [1, 2, 2, 1]),
    "shm_fill": ("ok", [1, 2, 2, 1]),
    "stdout_forge": ("ok", [1, 2, 2, 1]),
    "fork_many": ("process limit", [0, 0, 0, 0]),
    "exception_leak": ("ok", [0, 2, 2, 1]),
    "kill_all": ("ok", [1, 2, 2, 1]),
    "zz_victim": ("ok", [1, 2, 2, 1]),
}
LISTENER: dict = {}


def sandbox_or_skip():
    """The sandbox tests run wherever bwrap works; CI (LABTOOLS_REQUIRE_SANDBOX=1) insists on it."""
    import os

    reason = sandbox.why_unavailable()
    if reason and os.environ.get("LABTOOLS_REQUIRE_SANDBOX"):
        pytest.fail(f"the sandbox is required here but {reason}")
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    import os
    import socket
    import threading

    sandbox_or_skip()
    root = tmp_path_factory.mktemp("corpus")
    folder, out = root / "submissions", root / "gradebook"
    folder.mkdir()
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.5)
    LISTENER.update(port=server.getsockname()[1], received=[])
    stop = threading.Event()

    def listen():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            LISTENER["received"].append(conn.recv(100))
            conn.close()

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    make_corpus(folder)
    victim_before = (folder / "zz_victim.ipynb").read_bytes()
    os.environ["LABTOOLS_TEST_SECRET"] = "do not leak"
    settings = Settings(  # CPU limits: 6 s a cell, 45 s a submission; wall-clock backstops 12 s and 135 s
        lab="02", bundle=load_bundle("02"), out=out, jobs=2, cell_timeout=6, submission_timeout=45, memory_mb=2500
    )
    settings.cell_wall_timeout = 12
    paths = sorted(folder.glob("*.ipynb"))
    try:
        results = grade_all(paths, settings, progress=False)
    finally:
        os.environ.pop("LABTOOLS_TEST_SECRET", None)
        stop.set()
        thread.join(timeout=5)
        server.close()
    LISTENER["victim_unchanged"] = (folder / "zz_victim.ipynb").read_bytes() == victim_before
    return folder, out, settings, paths, results


@pytest.mark.notebooks
def test_every_submission_gets_the_grade_its_real_answers_earn(corpus_run):
    _, _, _, _, results = corpus_run
    by_id = {r["id"]: r for r in results}
    assert set(by_id) == set(EXPECTED)
    wrong = {}
    for sid, (status, points) in EXPECTED.items():
        got = (by_id[sid]["status"], [by_id[sid]["questions"][q]["points"] for q in ("q1", "q2", "q3", "q4")])
        if got != (status, points):
            wrong[sid] = {"expected": (status, points), "got": got, "notes": by_id[sid]["notes"]}
    assert not wrong, json.dumps(wrong, indent=1)


@pytest.mark.notebooks
def test_the_gradebook_has_every_row_in_order(corpus_run):
    _, out, _, paths, _ = corpus_run
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert [r["id"] for r in rows] == [p.stem for p in paths]
    assert {r["id"]: float(r["total"]) for r in rows}["solution"] == 6


@pytest.mark.notebooks
def test_the_json_gradebook_counts_every_submission(corpus_run):
    _, out, _, paths, _ = corpus_run
    assert json.loads((out / "grades.json").read_text())["summary"]["submissions"] == len(paths)


FEEDBACK_SAYS = [
    ("loop_q2", "a cell used more than 6 s of CPU time"),
    ("loop_q2", "| q1 Element-wise operations | PASS |"),
    ("sleep_q1", "still waiting after 12 s"),  # waiting without end: stopped by the wall-clock backstop
    ("ignores_interrupt_q3", "went on using CPU after it was stopped"),
    ("flood_q1", "printed more than 10 MB; the grader discarded it"),
    ("fork_many", "process limit"),
]


@pytest.mark.notebooks
@pytest.mark.parametrize("name, says", FEEDBACK_SAYS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(FEEDBACK_SAYS)])
def test_feedback_says_what_stopped_a_submission(corpus_run, name, says):
    _, out, _, _, _ = corpus_run
    assert says in (out / "feedback" / f"{name}.md").read_text()


@pytest.mark.notebooks
def test_a_submission_that_waits_is_run_once(corpus_run):
    _, out, _, _, _ = corpus_run
    assert "two runs" not in (out / "feedback" / "sleep_q1.md").read_text()


@pytest.mark.notebooks
def test_printed_output_stays_out_of_the_gradebook(corpus_run):
    _, out, _, _, _ = corpus_run
    assert (out / "grades.json").stat().st_size < 200_000


@pytest.mark.notebooks
def test_no_feedback_shows_the_grader_s_cells_or_a_judge(corpus_run):
    _, out, _, _, _ = corpus_run
    for fb in (out / "feedback").glob("*.md"):
        body = fb.read_text()
        assert "_labtools_probe" not in body and "grade(" not in body and "(a + b) * (b - 1)" not in body, fb.name


@pytest.mark.notebooks
def test_no_kernel_reached_a_server_on_the_host(corpus_run):
    assert LISTENER["received"] == [], "a kernel reached a server on the host's loopback"


@pytest.mark.notebooks
def test_no_kernel_rewrote_another_submission(corpus_run):
    assert LISTENER["victim_unchanged"], "a kernel rewrote another student's submission"


@pytest.mark.notebooks
def test_every_kernel_ran_in_the_sandbox(corpus_run):
    *_, results = corpus_run
    assert all(r["sandboxed"] for r in results if r["status"] not in ("unreadable",)), "a kernel ran unsandboxed"


@pytest.mark.notebooks
def test_a_daemon_left_behind_cannot_write_the_gradebook(corpus_run):
    import time

    _, out, _, _, _ = corpus_run
    grades = (out / "grades.csv").read_text()
    time.sleep(2)  # a daemon that escaped would write now
    assert (out / "grades.csv").read_text() == grades and "forged" not in grades
    daemon = out / "results" / "daemon.json"
    assert not daemon.exists() or "forged" not in daemon.read_text()


@pytest.mark.notebooks
def test_no_kernel_outlives_the_run(corpus_run):
    import os

    import psutil

    def orphaned(p):  # a kernel whose run is over: its folder shared with the worker is gone
        conns = [a for a in p.info["cmdline"] or [] if "labtools-kernel-" in a]
        return bool(conns) and not any(os.path.exists(c) for c in conns)

    left = [p for p in psutil.process_iter(["cmdline"]) if orphaned(p)]
    assert not left, f"{len(left)} kernel process(es) outlived the run"


@pytest.mark.notebooks
def test_an_exception_quoted_back_cannot_flood_or_inject(corpus_run):
    _, out, _, _, _ = corpus_run
    feedback = (out / "feedback" / "exception_leak.md").read_text()
    assert "AAAAAAAAAA" * 30 not in feedback and "\x1b" not in feedback and "| q9 |" not in feedback


def test_grading_refuses_without_a_sandbox_unless_told(tmp_path, monkeypatch, capsys):
    from labtools.cli import main

    (tmp_path / "a.ipynb").write_text((NOTEBOOKS / "02_computation.ipynb").read_text())
    monkeypatch.setattr(sandbox, "why_unavailable", lambda: "bubblewrap (bwrap) is not installed")
    assert main(["grade", "--lab", "02", str(tmp_path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--no-sandbox" in err and "bwrap" in err
    assert not (tmp_path / "out" / "grades.csv").exists()


@pytest.mark.notebooks
def test_a_gradebook_that_cannot_be_written_costs_no_row(tmp_path, capsys):
    sandbox_or_skip()
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.ipynb").write_text((NOTEBOOKS / "02_computation.ipynb").read_text())
    out = tmp_path / "out"
    (out / "grades.csv").mkdir(parents=True)  # a folder where the gradebook goes
    settings = Settings(lab="02", bundle=load_bundle("02"), out=out, cell_timeout=60, submission_timeout=120)
    results = grade_all([folder / "a.ipynb"], settings, progress=False)
    assert [r["status"] for r in results] == ["ok"]
    assert (out / "results" / "a.json").exists() and (out / "grades.json").exists()
    assert "could not write" in capsys.readouterr().err


@pytest.mark.notebooks
def test_rerun_resumes_without_losing_or_duplicating_rows(corpus_run):
    folder, out, settings, paths, first = corpus_run
    (out / "results" / "solution.json").unlink()
    (out / "results" / "untouched.json").write_text("{ torn write")
    again = grade_all(paths, settings, progress=False)
    assert [r["id"] for r in again] == [r["id"] for r in first]
    assert [r["total"] for r in again] == [r["total"] for r in first]
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert len(rows) == len(paths) == len({r["id"] for r in rows})


BURN_LIMIT_S = 600  # a burner ends by itself after this long, whatever happens to the test


@pytest.fixture
def busy_machine():
    """One CPU-burning process per core beside the grader, started and stopped by the test."""
    import os
    import subprocess
    import sys

    code = f"import time\nend = time.monotonic() + {BURN_LIMIT_S}\nwhile time.monotonic() < end:\n    pass"
    burners = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(os.cpu_count() or 1)]
    try:
        yield len(burners)
    finally:
        for b in burners:
            b.kill()
            b.wait()


# Labs whose cells compute longest (their code calls fit or defines a train_step): the ones a
# busy machine could push past a limit, so they are graded beside a CPU burner per core. Derived
# from the sources, so a new lab that trains joins them. The others are graded on whatever else
# the test run is doing at the time.
BUSY_LABS = {
    info.number
    for info in CATALOGUE
    if re.search(
        r"^[^#\n]*(\.fit\(|def train_step\()", (ROOT / "instructor" / "source" / f"{info.stem}.py").read_text(), re.M
    )
}


def _solution_params():
    for info in CATALOGUE:
        if info.number in BUSY_LABS:  # one at a time: two sets of burners would be a different test
            one_at_a_time = pytest.mark.xdist_group("busy machine")
            yield pytest.param(info.number, True, marks=one_at_a_time, id=f"{info.number}-busy")
        else:
            yield pytest.param(info.number, False, id=info.number)


@pytest.mark.notebooks
@pytest.mark.parametrize("lab, busy", list(_solution_params()))
def test_solutions_get_full_marks_and_untouched_notebooks_zero(tmp_path, lab, busy, request):
    if busy:
        request.getfixturevalue("busy_machine")
    slug = _slug(lab)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "solution.ipynb").write_text((SOLUTIONS / f"{lab}_{slug}.ipynb").read_text())
    (folder / "student.ipynb").write_text((NOTEBOOKS / f"{lab}_{slug}.ipynb").read_text())
    sandbox_or_skip()
    # the grader's default limits, which count CPU time, so the burners beside it cannot cost a point
    # (the heaviest cell, lab 07's training, uses about 85 of a cell's 120 CPU seconds per thread)
    settings = Settings(lab=lab, bundle=load_bundle(lab), out=tmp_path / "out", jobs=2)
    results = {r["id"]: r for r in grade_all(sorted(folder.glob("*.ipynb")), settings, progress=False)}
    solution = results["solution"]
    assert solution["status"] == "ok", solution["notes"]
    # full marks on every auto-graded question; the written answers (the model answers) wait for a person
    written = {qid for qid, q in load_lab(lab).questions.items() if getattr(q.exercise, "written", False)}
    assert written and {solution["questions"][q]["status"] for q in written} == {"MANUAL"}
    assert solution["pending"] == sum(solution["questions"][q]["max"] for q in written)
    assert solution["total"] == solution["max"] - solution["pending"], solution["questions"]
    assert results["student"]["status"] == "ok" and results["student"]["total"] == 0
    assert {q["status"] for q in results["student"]["questions"].values()} == {"NOT ATTEMPTED"}


@pytest.mark.notebooks
def test_kill_9_of_the_grader_loses_nothing_and_leaves_no_kernel(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    import psutil

    sandbox_or_skip()
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    for name in ("a_solution", "b_solution"):
        (folder / f"{name}.ipynb").write_text((SOLUTIONS / "02_computation.ipynb").read_text())
    cmd = [sys.executable, "-m", "labtools.cli", "grade", "--lab", "02", str(folder), "--out", str(out), "--quiet"]
    runner = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while not (out / "results" / "a_solution.json").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert (out / "results" / "a_solution.json").exists(), "the first result never arrived"
    time.sleep(1)
    family = psutil.Process(runner.pid).children(recursive=True)  # b_solution's worker and kernel
    assert family, "no worker was running"
    os.kill(runner.pid, signal.SIGKILL)
    runner.wait()
    gone, alive = psutil.wait_procs(family, timeout=10)
    assert not alive, f"{len(alive)} worker or kernel process(es) outlived kill -9 of the grader"
    first = (out / "results" / "a_solution.json").read_text()
    assert subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300).returncode == 0
    assert (out / "results" / "a_solution.json").read_text() == first  # resumed, not regraded
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert [(r["id"], r["total"]) for r in rows] == [("a_solution", "6"), ("b_solution", "6")]


def test_an_environment_under_tmp_stays_visible_inside_the_sandbox(monkeypatch):
    """The sandbox's own /tmp is mounted first, so a Python environment kept under /tmp (a CI
    checkout, a Gradescope-like layout) is still bound in read-only, not hidden by it."""
    import os
    import shutil
    import subprocess
    import tempfile

    sandbox_or_skip()
    env_dir, conn = Path(tempfile.mkdtemp(dir="/tmp")), Path(tempfile.mkdtemp(dir="/tmp"))
    try:
        os.chmod(env_dir, 0o755)
        (env_dir / "marker").write_text("here")
        roots = sandbox._python_roots()
        monkeypatch.setattr(sandbox, "_python_roots", lambda: [*roots, env_dir])
        cmd = sandbox.command(conn, ["/bin/cat", str(env_dir / "marker")])
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert done.stdout == "here", done.stderr
    finally:
        shutil.rmtree(env_dir, ignore_errors=True)
        shutil.rmtree(conn, ignore_errors=True)
