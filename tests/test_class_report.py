"""OUT/report.html: failure causes counted by category, the rates per question, escaping, and
similar submissions (winnowed fingerprints, with the lab's own code removed).

The gradebook fixture is written by hand: results/<id>.json for each row and a lab 02 notebook
per student with its answer cells filled in, then published as a run publishes it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from labtools.cli import main
from labtools.grading.categories import category
from labtools.grading.class_report import REPORT, answer_cells, compare, lab_sources, question_stats, solution_path
from labtools.grading.gradebook import publish, stored_results
from labtools.grading.plan import plain
from labtools.grading.runner import Settings, load_bundle
from labtools.grading.similarity import explained_by, fingerprints, similar_pairs, tokens
from labtools.grading.submission import submission_digest
from labtools.labs import load_lab

ROOT = Path(__file__).resolve().parent.parent
STUDENT = ROOT / "notebooks" / "02_computation.ipynb"

# -- categories ----------------------------------------------------------------------------------

# each group: messages the judges give for ONE mistake, with what varies between students
SAME = [
    [
        "at x = -2.27 your derivative of x³ comes out as -4.54",
        "at x = 2.48 your derivative of x³ comes out as 14.88",
    ],
    [
        "grad_w has shape (2,); a gradient has the shape of its variable (3, 2)",
        "grad_w has shape (4, 3, 1); a gradient has the shape of its variable (None, 2)",
    ],
    [
        "the returned loss is not the mean loss of the batch before the update (the Adam step); use the optimizer",
        "the returned loss is not the mean loss of the batch before the update (the compiled Adam step); use the "
        "optimizer",
    ],
    [
        "compute_loss raised ValueError: Argument `output` must have rank (ndim) `target.ndim - 1`. Received: (2, 6)",
        "compute_loss raised ValueError: Shapes (4,) and (4, 65) are incompatible",
    ],
    [
        "dense has 1 unit; re-read how many the exercise asks for",
        "dense has 16 units; re-read how many the exercise asks for",
    ],
    [
        "api_choice lost the case 'two inputs'; keep all four keys",
        'api_choice lost the case "a skip"; keep all four keys',
    ],
    [
        "x_batch holds values that are not in the text; take the windows from `text_as_ints`",
        "x_batch holds values that are not in the text; take the windows from `vectorized_songs`",
    ],
    [
        "dL_dW is 42 times too large: L is a mean over all 42 entries",
        "dL_dW is 1.5e+02 times too large: L is a mean over all 150 entries",
    ],
    [
        "OurDenseLayer(3) has no bias: it needs a trainable weight with one value per unit (its weights have shapes "
        "(4, 3))",
        "OurDenseLayer(5) has no bias: it needs a trainable weight with one value per unit (its weights have shapes "
        "(2, 5), (2,))",
    ],
]
# different mistakes: each message its own category
DIFFERENT = [
    "difference is x - y; the exercise asks for y - x",
    "difference has the wrong sign where x is larger than y; the exercise asks for y - x",
    "compute_loss raised ValueError: Shapes (4,) and (4, 65) are incompatible",
    "compute_loss raised TypeError: unsupported operand",
    "the loss values are off: the logits go through the softmax twice",
    "the loss values are off: the loss takes the logits for probabilities, as if the model ended in a softmax",
    "grad_w is None: your loss is right but not connected to w on the tape",
    "grad_b is None: your loss is right but not connected to b on the tape",
    "model has 1 Dense layer; the exercise asks for two",
    "model has a Dropout layer; the exercise asks for two Dense layers only",
    "the weights after one step moved 12 times too far (the SGD step), as by the gradient of the sum of 12 losses",
    "the weights after one step moved against the gradient, but not by the optimizer's step (the SGD step)",
    "naive_matmul computes with np.dot; the exercise asks for the product written out with Python loops",
    "naive_matmul computes with tf.matmul; the exercise asks for the product written out with Python loops",
]


@pytest.mark.parametrize("messages", SAME, ids=lambda m: m[0][:30])
def test_the_same_mistake_with_other_numbers_is_one_category(messages):
    assert len({category(m) for m in messages}) == 1, [category(m) for m in messages]


def test_different_mistakes_are_different_categories():
    found = [category(m) for m in DIFFERENT]
    assert len(set(found)) == len(DIFFERENT), found


def test_a_category_keeps_the_judges_words():
    assert category("at x = -2.27 your derivative of x³ comes out as -4.54") == (
        "at x = # your derivative of x³ comes out as #"
    )
    assert category("compute_loss raised ValueError: Shapes (4,) and (4, 65) are incompatible") == (
        "compute_loss raised ValueError"
    )
    assert category("acceleration is None (the inner gradient call must run inside the outer `with` block)") == (
        "acceleration is None (the inner gradient call must run inside the outer `with` block)"
    )
    assert category("x0 and float32 stay; 3 goes") == "x0 and float32 stay; # goes"


def test_lab02s_wrong_answers_keep_their_category_on_every_draw():
    """The real judges on fresh inputs: each wrong answer's hints are one category over draws,
    and the lab's differently worded hints stay apart."""
    pytest.importorskip("tensorflow")
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    import test_answer_sets as sets

    per_case: dict[tuple, set] = {}
    messages: dict[str, set] = {}
    for param in sets.PARAMS:
        lab, qid, case = param.values
        if lab != "02" or case.expect != "FAIL":
            continue
        question = load_lab(lab).questions[qid]
        for k in range(3):
            verdict = sets._grader_path(question, case, sets._rng(f"class-report-{qid}-{case.name}", k))
            per_case.setdefault((qid, case.name), set()).add(category(verdict.message))
            messages.setdefault(category(verdict.message), set()).add(verdict.message)
    assert len(per_case) > 30
    split = {case: cats for case, cats in per_case.items() if len(cats) > 1}
    assert not split, split
    # hints worded differently by the judge (beyond numbers, shapes and names) are never merged
    assert len({c for cats in per_case.values() for c in cats}) >= 25


# -- the gradebook fixture -------------------------------------------------------------------------

RIGHT = {
    "q1-answer": "total = tf.add(x, y)\nproduct = tf.multiply(x, y)\ndifference = tf.subtract(y, x)",
    "q2-answer": "def func(a, b):\n    c = tf.add(a, b)\n    d = tf.subtract(b, 1)\n    e = tf.multiply(c, d)\n"
    "    return e",
    "q3-answer": "def difference_of_squares(a, b):\n    return tf.multiply(tf.add(a, b), tf.subtract(a, b))",
    "q4-answer": "compiled = tf.function(difference_of_squares, input_signature=[tf.TensorSpec([], tf.float32)] * 2)",
}
# one student's own way of writing every answer ...
OWN = {
    "q1-answer": "s = x + y\nm = x * y\ntotal, product, difference = s, m, tf.negative(x) + y",
    "q2-answer": "def func(a, b):\n    parts = [a + b, b - 1.0]\n    out = tf.reduce_prod(tf.stack(parts), axis=0)\n"
    "    for _ in range(1):\n        out = tf.identity(out)\n    return out",
    "q3-answer": "def difference_of_squares(a, b):\n    sq = lambda v: tf.pow(v, 2.0)\n    diff = sq(a) - sq(b)\n"
    "    return tf.convert_to_tensor(diff)",
    "q4-answer": "spec = tf.TensorSpec(shape=(), dtype=tf.float32)\n\n\n@tf.function(input_signature=(spec, spec))\n"
    "def compiled(a, b):\n    return difference_of_squares(a, b)",
}
# ... copied, with every name changed, comments, other constants and blank lines
COPIED = {
    "q1-answer": "# my own work </pre><script>alert(1)</script>\nsum_ = x + y\nprod_ = x * y\n\n"
    "total, product, difference = sum_, prod_, tf.negative(x) + y",
    "q2-answer": "def func(first, second):\n    # graph nodes\n    pieces = [first + second, second - 1]\n"
    "    result = tf.reduce_prod(tf.stack(pieces), axis=0)\n    for i in range(3):\n"
    "        result = tf.identity(result)\n    return result",
    "q3-answer": "def difference_of_squares(a, b):\n    square = lambda t: tf.pow(t, 2)\n"
    "    delta = square(a) - square(b)  # a² - b²\n    return tf.convert_to_tensor(delta)",
    "q4-answer": "signature = tf.TensorSpec(shape=(), dtype=tf.float32)\n\n@tf.function(input_signature=(signature, "
    "signature))\ndef compiled(p, q):\n    return difference_of_squares(p, q)",
}
# another right answer, written independently of OWN
OTHER = {
    "q1-answer": "total = x + y\nproduct = x * y\ndifference = y - x",
    "q2-answer": "def func(a, b):\n    return (a + b) * (b - 1)",
    "q3-answer": "def difference_of_squares(a, b):\n    return a * a - b * b",
    "q4-answer": "@tf.function(input_signature=[tf.TensorSpec([], tf.float32), tf.TensorSpec([], tf.float32)])\n"
    "def compiled(a, b):\n    return a ** 2 - b ** 2",
}
HOSTILE_ID = "<b onmouseover=alert(1)>eve"
HOSTILE_MESSAGE = "total is </code><script>alert('x')</script> \u202egnp.exe 4.5"


def _notebook(path: Path, answers: dict[str, str]) -> Path:
    nb = nbformat.read(STUDENT, as_version=4)
    for cell in nb.cells:
        if cell.get("id") in answers:
            cell.source = answers[cell.id]
    nbformat.write(nb, path)
    return path


def _q(title, status, points, max_points, message=""):
    return {"title": title, "status": status, "points": points, "max": max_points, "message": message}


def _result(sid: str, path: Path, verdicts: dict[str, tuple[str, str]], status: str = "ok") -> dict:
    """A result as the runner writes it: each question PASS (full points) or as given."""
    lab = load_lab("02")
    questions = {}
    for qid, q in lab.questions.items():
        state, message = verdicts.get(qid, ("PASS", ""))
        if q.__class__.__name__ == "Written" and qid not in verdicts:
            state = "MANUAL"
        questions[qid] = _q(q.title, state, q.points if state == "PASS" else 0, q.points, message)
    return {
        "id": sid,
        "file": str(path),
        "lab": "02",
        "sha256": submission_digest(path),
        "status": status,
        "notes": [],
        "questions": questions,
        "total": sum(v["points"] for v in questions.values()),
        "max": lab.max_points,
        "pending": 2.0,
        "seconds": 1.0,
        "isolated": False,
        "sandboxed": False,
    }


MISSING_BIAS = "the output ignores the bias b; add it before relu"
SIGN = "difference has the wrong sign where x is larger than y; the exercise asks for y - x"


def _gradebook(tmp_path: Path) -> tuple[Path, dict[str, dict]]:
    """Ten submissions: own/copied/other answers, wrong ones of two kinds with their numbers, a
    NOT ATTEMPTED, a timeout and a hostile id and message; results written as files."""
    subs = tmp_path / "subs"
    subs.mkdir()
    out = tmp_path / "out"
    (out / "results").mkdir(parents=True)
    template = dict.fromkeys(RIGHT, "")  # the notebook as handed out
    rows = [
        ("ann", OWN, {}),
        ("bob", COPIED, {}),
        ("cat", OTHER, {}),
        ("dan", RIGHT, {}),
        (
            "eli",
            template,
            {q: ("NOT ATTEMPTED", "the answer is still the placeholder") for q in ("q1", "q2", "q3", "q4")},
        ),
        (
            "fay",
            template,
            {q: ("NOT ATTEMPTED", "the answer is still the placeholder") for q in ("q1", "q2", "q3", "q4")},
        ),
        ("gus", RIGHT, {"q2": ("FAIL", "func(1.5, -2) gives 3.25; follow the graph node by node")}),
        ("hal", RIGHT, {"q2": ("FAIL", "func(0.25, 4) gives -7; follow the graph node by node"), "q1": ("FAIL", SIGN)}),
        (
            "ivy",
            RIGHT,
            {
                "q3": ("FAIL", "the notebook stopped before this check"),
                "q4": ("FAIL", "the notebook stopped before this check"),
            },
        ),
        (HOSTILE_ID, RIGHT, {"q1": ("FAIL", HOSTILE_MESSAGE)}),
    ]
    results = {}
    for sid, answers, verdicts in rows:
        path = _notebook(subs / f"{len(results):02d}.ipynb", answers)
        status = "timeout" if sid == "ivy" else "ok"
        results[sid] = _result(sid, path, verdicts, status)
        (out / "results" / f"{sid}.json").write_text(json.dumps(results[sid]), encoding="utf-8")
    return out, {sid: r for sid, r in results.items()}


def _publish(out: Path, results: dict[str, dict], similarity: float = 0.8) -> str:
    stored, lost = stored_results(out / "results", list(results), None)
    assert not lost
    plan = plain({Path(r["file"]): sid for sid, r in results.items()})
    settings = Settings(lab="02", bundle=load_bundle("02"), out=out, sandbox=False, similarity=similarity)
    _, problems = publish(plan, stored, settings)
    assert not [p for p in problems if REPORT in p]
    return (out / REPORT).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    out, results = _gradebook(tmp_path_factory.mktemp("class"))
    return out, results, _publish(out, results)


def test_counts_shares_and_rates_per_question(graded):
    out, results, page = graded
    stats = {s.qid: s for s in question_stats(list(results.values()), load_lab("02"))}
    q2 = stats["q2"]
    assert q2.n == 10 and q2.counts["FAIL"] == 2 and q2.counts["NOT ATTEMPTED"] == 2 and q2.counts["PASS"] == 6
    [cause] = q2.causes  # the two func(...) hints, other numbers: one cause
    assert cause.category == "func(…) gives #; follow the graph node by node"
    assert cause.rows == ["gus", "hal"] and q2.share(cause.count) == 0.2
    assert stats["q3"].timed_out == 1 and stats["q1"].timed_out == 0
    assert sorted(c.category for c in stats["q1"].causes) == sorted([category(SIGN), category(HOSTILE_MESSAGE)])
    # the page says the same: the cause with its count and share, the rates in the overview
    row = re.search(r"<tr><td>func\(…\) gives #; follow the graph node by node<details>.*?</tr>", page, re.S)
    assert row and '<td class="n">2</td>' in row.group(0) and "20%" in row.group(0)
    assert "not attempted 20% (2)" in page and "timed out 10% (1)" in page
    assert page.count('<img class="plot"') == 1 + len(load_lab("02").questions)
    assert "http://" not in page.replace("http://www.w3.org", "") and "<script" not in page.lower()


def test_hostile_ids_and_messages_are_escaped(graded):
    _, _, page = graded
    assert "<b onmouseover" not in page and "&lt;b onmouseover=alert(1)&gt;eve" in page
    assert "</code><script>" not in page and "&lt;/code&gt;&lt;script&gt;" in page
    assert "\u202e" not in page  # a bidirectional override is written as an escape
    assert "&lt;/pre&gt;&lt;script&gt;alert(1)" in page  # bob's comment, in the side-by-side view


def test_similarity_finds_the_copied_pair_only(graded):
    _, _, page = graded
    section = page.split("<h2>Similar submissions</h2>")[1]
    pairs = re.findall(
        r"<tr><td><a href=\"#pair-\d+\">\d+</a></td><td><code>(.*?)</code></td><td><code>(.*?)</code>", section
    )
    assert pairs == [("ann", "bob")]
    assert "1 pair(s) of the 10 submissions compared" in section
    # the side-by-side view holds both students' cells, with the shared lines marked
    assert "reduce_prod" in section and "pieces" in section and "class=m" in section


def test_independent_right_answers_and_the_template_alone_are_not_similar(graded):
    out, results, _ = graded
    rows = list(results.values())
    template = load_bundle("02")["template"]
    found = compare(rows, template, None, threshold=0.0001)  # every pair sharing enough fingerprints
    listed = {(p.a, p.b) for p in found.pairs}
    assert ("ann", "bob") in listed
    assert not {pair for pair in listed if {"cat", "ann"} <= set(pair) or {"cat", "bob"} <= set(pair)}
    # the untouched notebooks (eli, fay) and the solution's answers (dan, gus, hal...) have no
    # fingerprint the lab does not explain
    cells, _ = answer_cells(rows, template)
    explained = explained_by(
        [c["source"] for c in template["cells"] if c["cell_type"] == "code"] + list(RIGHT.values())
    )
    assert not fingerprints(cells["eli"], explained).where
    assert not fingerprints(cells["dan"], explained).where
    assert similar_pairs({"eli": fingerprints(cells["eli"], set()), "fay": fingerprints(cells["fay"], set())}) == []


def test_renaming_and_comments_do_not_change_the_tokens():
    a = "def f(a, b):\n    c = a + 1  # one\n    return c"
    b = "def g(x,y):\n\n    # plus one\n    z = x + 2\n    return z"
    assert [t.text for t in tokens(a)] == [t.text for t in tokens(b)]
    assert [t.text for t in tokens("tf.add(x, y)")] != [t.text for t in tokens("tf.multiply(x, y)")]


def test_labtools_report_rewrites_it_and_similarity_0_compares_nothing(graded, capsys):
    out, _, _ = graded
    (out / REPORT).unlink()
    assert main(["report", str(out), "--similarity", "0"]) == 0
    printed = capsys.readouterr().out
    assert "most common mistakes:" in printed and "not compared (--similarity 0)" in printed
    page = (out / REPORT).read_text(encoding="utf-8")
    assert "not compared (--similarity 0)" in page and "follow the graph node by node" in page
    assert main(["report", str(out / "nowhere")]) == 2
    with pytest.raises(SystemExit):
        main(["report", str(out), "--similarity", "2"])


@pytest.mark.copydetect
def test_copydetect_agrees_on_the_copied_pair(graded, tmp_path):
    """copydetect (not a dependency: `pip install copydetect`), given the lab's code as
    boilerplate, flags the pair this report lists and none of the others."""
    copydetect = pytest.importorskip("copydetect")
    out, results, _ = graded
    rows = list(results.values())
    template = load_bundle("02")["template"]
    cells, _ = answer_cells(rows, template)
    (tmp_path / "subs").mkdir()
    (tmp_path / "lab").mkdir()
    for sid in ("ann", "bob", "cat", "dan"):
        (tmp_path / "subs" / f"{sid}.py").write_text("\n\n".join(cells[sid].values()), encoding="utf-8")
    (tmp_path / "lab" / "lab.py").write_text("\n\n".join(lab_sources(template, solution_path("02"))), encoding="utf-8")
    detector = copydetect.CopyDetector(
        test_dirs=[str(tmp_path / "subs")],
        boilerplate_dirs=[str(tmp_path / "lab")],
        extensions=["py"],
        noise_t=10,
        guarantee_t=10,
        display_t=0.5,
        silent=True,
        autoopen=False,
        out_file=str(tmp_path / "copydetect.html"),
    )
    detector.run()
    flagged = {frozenset(Path(p).stem for p in found[2:4]) for found in detector.get_copied_code_list()}
    assert flagged == {frozenset({"ann", "bob"})}
