"""Grading throughput: 20 copies of a lab's solution notebook with 1 and with 2 workers, and
as 2 shards of 1 worker each.

    python benchmarks/grading_throughput.py [--lab 02] [--copies 20] [--shards 2] [--nbgrader PATH]

Prints submissions per minute for each worker count (fresh output folder each time, so nothing
is resumed) and checks that every copy got full marks. Run it on an otherwise idle machine.

With ``--shards N`` (default 2; 0 skips it) it also runs ``labtools grade --shard K/N -j 1`` as N
processes at once (what N machines would each run, here sharing this one) and then
``labtools grade merge``, and prints their rate, merge included, and the speed-up over the
largest ``-j`` run: on one machine N shards of -j 1 and one -j N run use the same cores, so the
figure shows what sharding costs; across N machines it multiplies.

With ``--nbgrader /path/to/bin/nbgrader`` (an environment with nbgrader, TensorFlow and labtools
installed) it also grades the same copies with ``nbgrader autograde``: the same notebook, its
answer cells marked as nbgrader solution cells and one autograder test cell per question that
asserts the labtools verdict. nbgrader grades one submission at a time.
"""

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import nbformat

from labtools.generate import repo_root
from labtools.gradecall import graded_question
from labtools.grading import sandbox
from labtools.grading.runner import Settings, grade_all, load_bundle
from labtools.grading.worker import network_isolation_available
from labtools.labs import info


def nbgrader_notebook(solution: Path, bundle: dict) -> nbformat.NotebookNode:
    """The solution notebook in nbgrader's format: solution cells and autograded test cells."""
    nb = nbformat.read(solution, as_version=4)
    points = {q["id"]: q["points"] for q in bundle["questions"]}
    answers = {q["id"]: q["answers"] for q in bundle["questions"]}
    tests = {t["after"]: t["code"] for t in bundle["hidden_tests"]}
    cells = []
    for cell in nb.cells:
        meta = {"schema_version": 3, "grade": False, "solution": False, "locked": False, "grade_id": cell.id}
        if cell.id.endswith("-answer"):
            meta["solution"] = True
        cells.append(cell)
        cell.metadata["nbgrader"] = meta
        if cell.id in tests:
            qid = graded_question(tests[cell.id])
            test = nbformat.v4.new_code_cell(
                f"_v = lab.{qid}.evaluate({', '.join(answers[qid])})\nassert _v.status.value == 'PASS', _v.message"
            )
            test.id = f"{qid}-test"
            test.metadata["nbgrader"] = {
                "schema_version": 3,
                "grade": True,
                "solution": False,
                "locked": True,
                "grade_id": test.id,
                "points": points[qid],
            }
            cells.append(test)
    nb.cells = cells
    return nb


def run_nbgrader(nbgrader: str, nb: nbformat.NotebookNode, copies: int, root: Path) -> None:
    (root / "source" / "lab").mkdir(parents=True)
    nbformat.write(nb, root / "source" / "lab" / "lab.ipynb")
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'bench'\n"
        "c.ExecutePreprocessor.timeout = 120\nc.Execute.timeout = 120\n"
    )
    env = dict(
        os.environ,
        LABTOOLS_FAST="1",
        TF_CPP_MIN_LOG_LEVEL="2",
        PYTHONHASHSEED="0",
        PATH=str(Path(nbgrader).parent) + os.pathsep + os.environ["PATH"],
    )  # nbgrader runs `alembic`

    def nbg(*argv):
        done = subprocess.run([nbgrader, *argv], cwd=root, env=env, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"nbgrader {' '.join(argv)} failed:\n{done.stdout[-1500:]}{done.stderr[-1500:]}")

    nbg("db", "assignment", "add", "lab")
    nbg("generate_assignment", "lab", "--force")
    for i in range(copies):
        student = f"student{i:02d}"
        nbg("db", "student", "add", student)
        dest = root / "submitted" / student / "lab"
        dest.mkdir(parents=True)
        nbformat.write(nb, dest / "lab.ipynb")
    start = time.perf_counter()
    done = subprocess.run([nbgrader, "autograde", "lab", "--force"], cwd=root, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    autograded = sorted((root / "autograded").glob("*/lab/lab.ipynb"))
    graded, full = len(autograded), 0
    for path in autograded:
        out = nbformat.read(path, as_version=4)
        tests = [c for c in out.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")]
        ran = all(c.get("execution_count") for c in tests)
        failed = any(o.get("output_type") == "error" for c in tests for o in c.get("outputs", []))
        full += ran and not failed
    if done.returncode:
        print(done.stderr[-2000:])
    print(
        f"nbgrader autograde: {graded} submissions in {seconds:6.1f} s = {60 * graded / seconds:5.1f} "
        f"submissions/min ({full}/{graded} with every test cell passing)"
    )


def run_shards(folder: Path, tmp: Path, lab: str, count: int, sandboxed: bool) -> float:
    """``labtools grade --shard K/count -j 1`` as ``count`` processes at once, then ``merge``;
    prints and returns submissions per minute, merge included."""
    import csv
    import secrets
    import sys

    key, out, book = tmp / "grading.key", tmp / "out-shards", tmp / "out-merged"
    key.write_text(secrets.token_hex(32))
    env = dict(os.environ, LABTOOLS_GRADING_KEY_FILE=str(key))
    cli = [sys.executable, "-m", "labtools.cli"]
    grade = [*cli, "grade", "--lab", lab, str(folder), "--out", str(out), "-j", "1", "--quiet"]
    grade += [] if sandboxed else ["--no-sandbox"]
    start = time.perf_counter()
    shards = [
        subprocess.Popen([*grade, "--shard", f"{k}/{count}"], env=env, stdout=subprocess.DEVNULL) for k in range(count)
    ]
    if any(p.wait() for p in shards):
        raise SystemExit("a shard failed")
    graded = time.perf_counter()
    merged = subprocess.run([*cli, "grade", "merge", str(out), "--out", str(book)], env=env, capture_output=True)
    seconds = time.perf_counter() - start
    if merged.returncode:
        raise SystemExit(f"merge failed: {merged.stderr.decode()[-1500:]}")
    rows = list(csv.DictReader(open(book / "grades.csv")))
    full = sum(r["total"] == r["max"] for r in rows)
    rate = 60 * len(rows) / seconds
    print(
        f"{count} shards of -j 1, merged: {len(rows)} submissions in {seconds:6.1f} s = {rate:5.1f} "
        f"submissions/min ({full}/{len(rows)} full marks; the merge {seconds - (graded - start):.1f} s of it)"
    )
    return rate


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", default="02")
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--jobs", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--shards", type=int, default=2, help="also grade as this many shards of -j 1 (0: skip)")
    parser.add_argument("--nbgrader", help="path to an nbgrader executable to compare with")
    parser.add_argument("--no-sandbox", action="store_true", help="grade without the bubblewrap sandbox")
    args = parser.parse_args()
    meta = info(args.lab)
    solution = repo_root() / "instructor" / "solutions" / f"{meta.number}_{meta.slug}.ipynb"
    bundle = load_bundle(meta.number)
    sandboxed = not args.no_sandbox
    if sandboxed:
        sandbox.require()
    isolate = sandboxed or network_isolation_available()
    print(
        f"lab {meta.number} ({meta.slug}), {args.copies} copies of the solution, {os.cpu_count()} CPU cores, "
        f"sandbox {'on' if sandboxed else 'off'}, network isolation {'on' if isolate else 'off'}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "submissions"
        folder.mkdir()
        for i in range(args.copies):
            shutil.copy(solution, folder / f"student{i:02d}.ipynb")
        paths = sorted(folder.glob("*.ipynb"))
        rates = {}
        for jobs in args.jobs:
            out = Path(tmp) / f"out-j{jobs}"
            settings = Settings(
                lab=meta.number, bundle=bundle, out=out, jobs=jobs, isolate_network=isolate, sandbox=sandboxed
            )
            start = time.perf_counter()
            results = grade_all(paths, settings, progress=False)
            seconds = time.perf_counter() - start
            full = sum(r["total"] == r["max"] for r in results)
            rates[jobs] = 60 * len(results) / seconds
            print(
                f"-j {jobs}: {len(results)} submissions in {seconds:6.1f} s = "
                f"{60 * len(results) / seconds:5.1f} submissions/min ({full}/{len(results)} full marks)"
            )
        if args.shards:
            rate = run_shards(folder, Path(tmp), meta.number, args.shards, sandboxed)
            if rates:
                jobs = max(rates)
                print(f"{args.shards} shards of -j 1 against one -j {jobs} run: speed-up x{rate / rates[jobs]:.2f}")
        if args.nbgrader:
            run_nbgrader(args.nbgrader, nbgrader_notebook(solution, bundle), args.copies, Path(tmp) / "nbgrader")


if __name__ == "__main__":
    main()
