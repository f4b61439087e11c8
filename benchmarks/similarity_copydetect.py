"""Similar submissions: labtools' winnowing (labtools/grading/similarity.py) beside copydetect.

    .venv/bin/pip install copydetect   # not a dependency of labtools: for this comparison only
    python benchmarks/similarity_copydetect.py [--threshold 0.8] [--copydetect-threshold 0.5]

A small corpus of lab 02 answer sets: six students who wrote every answer their own way, and
five who copied: renamed throughout; renamed with comments and blank lines; two of four answers
from one student and two from another (two partial copies); reformatted with dead code
inserted; renamed with a temporary inlined. Both tools are given the lab's own code (the
template's code cells and the model solution's) as boilerplate. Prints each tool's score for
every copied pair, the lowest copied and highest independent score, the pairs each flags at
its threshold, how often the two agree, and their rank correlation over all pairs. Not a test:
it prints figures.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from pathlib import Path

from labtools.grading.class_report import lab_sources, solution_path
from labtools.grading.runner import load_bundle
from labtools.grading.similarity import explained_by, fingerprints, similar_pairs

OWN = {
    "ann": {
        "q1": "s = x + y\nm = x * y\ntotal, product, difference = s, m, tf.negative(x) + y",
        "q2": "def func(a, b):\n    parts = [a + b, b - 1.0]\n    out = tf.reduce_prod(tf.stack(parts), axis=0)\n"
        "    for _ in range(1):\n        out = tf.identity(out)\n    return out",
        "q3": "def difference_of_squares(a, b):\n    sq = lambda v: tf.pow(v, 2.0)\n    diff = sq(a) - sq(b)\n"
        "    return tf.convert_to_tensor(diff)",
        "q4": "spec = tf.TensorSpec(shape=(), dtype=tf.float32)\n\n\n@tf.function(input_signature=(spec, spec))\n"
        "def compiled(a, b):\n    return difference_of_squares(a, b)",
    },
    "cat": {
        "q1": "total = x + y\nproduct = x * y\ndifference = y - x",
        "q2": "def func(a, b):\n    return (a + b) * (b - 1)",
        "q3": "def difference_of_squares(a, b):\n    return a * a - b * b",
        "q4": "@tf.function(input_signature=[tf.TensorSpec([], tf.float32), tf.TensorSpec([], tf.float32)])\n"
        "def compiled(a, b):\n    return a ** 2 - b ** 2",
    },
    "dia": {
        "q1": "total = tf.math.add(x, y)\nproduct = tf.math.multiply(x, y)\ndifference = tf.math.subtract(y, x)",
        "q2": "def func(a, b):\n    c = tf.math.add(a, b)\n    d = tf.math.subtract(b, 1.0)\n"
        "    return tf.math.multiply(c, d)",
        "q3": "def difference_of_squares(a, b):\n    return tf.math.square(a) - tf.math.square(b)",
        "q4": "compiled = tf.function(\n    difference_of_squares,\n    input_signature=(tf.TensorSpec(shape=[], "
        "dtype=tf.float32), tf.TensorSpec(shape=[], dtype=tf.float32)),\n)",
    },
    "eve": {
        "q1": "total, product, difference = tf.add_n([x, y]), y * x, -(x - y)",
        "q2": "def func(a, b):\n    c = a + b\n    d = b - 1\n    e = c * d\n    return e",
        "q3": "def difference_of_squares(a, b):\n    s = a + b\n    d = a - b\n    return s * d",
        "q4": "@tf.function(input_signature=[tf.TensorSpec(shape=(), dtype=tf.float32)] * 2)\n"
        "def compiled(a, b):\n    return difference_of_squares(a, b)",
    },
    "fox": {
        "q1": "results = [op(x, y) for op in (tf.add, tf.multiply)]\ntotal, product = results\n"
        "difference = tf.subtract(y, x)",
        "q2": "def func(a, b):\n    def node_c():\n        return a + b\n\n    def node_d():\n        return b - 1\n\n"
        "    return node_c() * node_d()",
        "q3": "def difference_of_squares(a, b):\n    a2 = tf.multiply(a, a)\n    b2 = tf.multiply(b, b)\n"
        "    return tf.subtract(a2, b2)",
        "q4": "scalar = tf.TensorSpec([], tf.float32)\n"
        "compiled = tf.function(lambda a, b: a * a - b * b, input_signature=[scalar, scalar])",
    },
    "gil": {
        "q1": "total = x + y\nproduct = tf.math.multiply(x, y)\ndifference = y + (-1) * x",
        "q2": "def func(a, b):\n    c = tf.add(a, b)\n    d = tf.add(b, -1.0)\n    e = tf.multiply(c, d)\n    return e",
        "q3": "def difference_of_squares(a, b):\n    return tf.reduce_sum(tf.stack([a ** 2, -(b ** 2)]))",
        "q4": "def _dos(a, b):\n    return difference_of_squares(a, b)\n\n\n"
        "compiled = tf.function(_dos, input_signature=[tf.TensorSpec([], tf.float32)] * 2, reduce_retracing=True)",
    },
}
COPIES = [  # (copy, source, how)
    ("bob", "ann", "renamed throughout, a comment, other constants"),
    ("hue", "dia", "renamed, comments and blank lines"),
    ("ida", "fox", "q2 and q3 copied (of 4), renamed"),
    ("ida", "cat", "q1 and q4 copied (of 4)"),
    ("jon", "gil", "reformatted, dead code inserted"),
    ("kim", "eve", "renamed, a temporary inlined"),
]
COPIED = {
    "bob": {
        "q1": "# my own work\nsum_ = x + y\nprod_ = x * y\n\n"
        "total, product, difference = sum_, prod_, tf.negative(x) + y",
        "q2": "def func(first, second):\n    # graph nodes\n    pieces = [first + second, second - 1]\n"
        "    result = tf.reduce_prod(tf.stack(pieces), axis=0)\n    for i in range(3):\n"
        "        result = tf.identity(result)\n    return result",
        "q3": "def difference_of_squares(a, b):\n    square = lambda t: tf.pow(t, 2)\n    delta = square(a) - square(b)"
        "  # a² - b²\n    return tf.convert_to_tensor(delta)",
        "q4": "signature = tf.TensorSpec(shape=(), dtype=tf.float32)\n\n@tf.function(input_signature=(signature, "
        "signature))\ndef compiled(p, q):\n    return difference_of_squares(p, q)",
    },
    "hue": {
        "q1": "# element-wise\ntotal = tf.math.add(x, y)\n\nproduct = tf.math.multiply(x, y)\n\n"
        "difference = tf.math.subtract(y, x)  # y minus x",
        "q2": "def func(u, v):\n    # the graph\n    left = tf.math.add(u, v)\n\n    right = tf.math.subtract(v, 1)\n"
        "    return tf.math.multiply(left, right)",
        "q3": "def difference_of_squares(p, q):\n    # a^2 - b^2\n    return tf.math.square(p) - tf.math.square(q)",
        "q4": "compiled = tf.function(difference_of_squares, input_signature=(\n"
        "tf.TensorSpec(shape=[], dtype=tf.float32), tf.TensorSpec(shape=[], dtype=tf.float32)))",
    },
    "ida": {
        "q1": OWN["cat"]["q1"],
        "q2": "def func(a, b):\n    def first():\n        return a + b\n\n    def second():\n        return b - 1\n\n"
        "    return first() * second()",
        "q3": "def difference_of_squares(a, b):\n    aa = tf.multiply(a, a)\n    bb = tf.multiply(b, b)\n"
        "    return tf.subtract(aa, bb)",
        "q4": OWN["cat"]["q4"],
    },
    "jon": {
        "q1": "total = x + y\nunused = tf.zeros([2])\nproduct = tf.math.multiply(\n    x,\n    y,\n)\n"
        "difference = y + (-1) * x",
        "q2": "def func(a, b):\n    c = tf.add(a, b)\n    if False:\n        print('debug', c)\n"
        "    d = tf.add(b, -1.0)\n    e = tf.multiply(c, d)\n    return e",
        "q3": "def difference_of_squares(a, b):\n    return tf.reduce_sum(\n"
        "        tf.stack([a ** 2, -(b ** 2)])\n    )",
        "q4": "def _dos(a, b):\n    return difference_of_squares(a, b)\n\n\ncompiled = tf.function(\n    _dos,\n"
        "    input_signature=[tf.TensorSpec([], tf.float32)] * 2,\n    reduce_retracing=True,\n)",
    },
    "kim": {
        "q1": "total, product, difference = tf.add_n([x, y]), y * x, -(x - y)",
        "q2": "def func(p, q):\n    s = p + q\n    t = q - 1\n    return s * t",
        "q3": "def difference_of_squares(m, n):\n    plus = m + n\n    minus = m - n\n    return plus * minus",
        "q4": "@tf.function(input_signature=[tf.TensorSpec(shape=(), dtype=tf.float32)] * 2)\n"
        "def compiled(m, n):\n    return difference_of_squares(m, n)",
    },
}


def corpus() -> dict[str, dict[str, str]]:
    """Every student's answer cells, by the template's cell ids."""
    return {sid: {f"{q}-answer": src for q, src in answers.items()} for sid, answers in {**OWN, **COPIED}.items()}


def ours(cells: dict[str, dict[str, str]], explained: set[int]) -> dict[frozenset, float]:
    prints = {sid: fingerprints(c, explained) for sid, c in cells.items()}
    return {frozenset((p.a, p.b)): p.similarity for p in similar_pairs(prints, threshold=0.0, min_shared=1)}


def theirs(cells: dict[str, dict[str, str]], boilerplate: list[str], folder: Path) -> dict[frozenset, float]:
    import copydetect

    (folder / "subs").mkdir()
    (folder / "lab").mkdir()
    for sid, c in cells.items():
        (folder / "subs" / f"{sid}.py").write_text("\n\n".join(c.values()) + "\n", encoding="utf-8")
    (folder / "lab" / "lab.py").write_text("\n\n".join(boilerplate) + "\n", encoding="utf-8")
    detector = copydetect.CopyDetector(
        test_dirs=[str(folder / "subs")],
        boilerplate_dirs=[str(folder / "lab")],
        extensions=["py"],
        noise_t=10,
        guarantee_t=10,
        display_t=0.0,
        silent=True,
        autoopen=False,
        out_file=str(folder / "copydetect.html"),
    )
    detector.run()
    names = [Path(f).stem for f in detector.test_files]
    scores = {}
    for i, j in itertools.combinations(range(len(names)), 2):
        a, b = detector.similarity_matrix[i, j], detector.similarity_matrix[j, i]
        scores[frozenset((names[i], names[j]))] = float(max(a[0], a[1], b[0], b[1], 0.0))
    return scores


def ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    r = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2
        i = j + 1
    return r


def spearman(x: list[float], y: list[float]) -> float:
    rx, ry = ranks(x), ranks(y)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    var = (sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry)) ** 0.5
    return cov / var if var else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threshold", type=float, default=0.8, help="labtools' threshold (default 0.8)")
    parser.add_argument("--copydetect-threshold", type=float, default=0.5, help="copydetect's (default 0.5)")
    args = parser.parse_args()
    template = load_bundle("02")["template"]
    boilerplate = lab_sources(template, solution_path("02"))
    cells = corpus()
    started = time.perf_counter()
    a = ours(cells, explained_by(boilerplate))
    ours_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        b = theirs(cells, boilerplate, Path(tmp))
        theirs_s = time.perf_counter() - started
    pairs = [frozenset(p) for p in itertools.combinations(sorted(cells), 2)]
    copied = {frozenset((c, source)) for c, source, _ in COPIES}
    print(f"{len(cells)} students, {len(pairs)} pairs, {len(copied)} copied pairs; lab 02 answer cells")
    print(f"{'copied pair':<12} {'how':<48} {'labtools':>8} {'copydetect':>10}")
    for c, source, how in COPIES:
        key = frozenset((c, source))
        print(f"{source + '-' + c:<12} {how:<48} {a.get(key, 0):>8.2f} {b.get(key, 0):>10.2f}")
    independent = [p for p in pairs if p not in copied]
    worst_a = max(independent, key=lambda p: a.get(p, 0))
    worst_b = max(independent, key=lambda p: b.get(p, 0))
    print(
        f"highest independent pair: labtools {'-'.join(sorted(worst_a))} {a.get(worst_a, 0):.2f}, "
        f"copydetect {'-'.join(sorted(worst_b))} {b.get(worst_b, 0):.2f}"
    )
    flag_a = {p for p in pairs if a.get(p, 0) >= args.threshold}
    flag_b = {p for p in pairs if b.get(p, 0) >= args.copydetect_threshold}
    for name, flagged, t in (("labtools", flag_a, args.threshold), ("copydetect", flag_b, args.copydetect_threshold)):
        hits, false = len(flagged & copied), len(flagged - copied)
        print(f"{name} at {t:g}: flags {len(flagged)} pair(s): {hits} of {len(copied)} copied, {false} independent")
    agree = sum((p in flag_a) == (p in flag_b) for p in pairs)
    for name, scores in (("labtools", a), ("copydetect", b)):
        low = min(scores.get(p, 0) for p in copied)
        high = max(scores.get(p, 0) for p in independent)
        print(f"{name}: lowest copied pair {low:.2f}, highest independent pair {high:.2f}")
    print(f"the two agree on {agree} of {len(pairs)} pairs (flagged or not)")
    rho = spearman([a.get(p, 0) for p in pairs], [b.get(p, 0) for p in pairs])
    print(f"rank correlation of the scores over all pairs (Spearman): {rho:.2f}")
    print(f"time: labtools {1000 * ours_s:.0f} ms, copydetect {1000 * theirs_s:.0f} ms")


if __name__ == "__main__":
    main()
