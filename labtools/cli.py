"""The ``labtools`` command, all of it: ``labtools generate`` (notebooks and grading bundles from
each lab's source), ``labtools badges`` (the same; badges are part of every generated notebook),
``labtools release`` (what students get: their notebooks and the install line), ``labtools grade``
(a folder of submissions into a gradebook and feedback; with a roster, Canvas and Moodle files;
one shard of a class), ``labtools grade merge`` (the shards into one gradebook), ``labtools
gradescope`` (a lab's Gradescope autograder zip) and ``labtools review`` (a local page to grade
written answers into ``OUT/manual.csv``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

GRADER_MODULES = {"nbformat", "nbclient", "jupytext", "ipykernel", "jupyter_client", "psutil", "tomli"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="labtools", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_generate(subparsers)
    _add_release(subparsers)
    _add_grade(subparsers)
    _add_merge(subparsers)
    _add_gradescope(subparsers)
    _add_review(subparsers)
    _add_report(subparsers)
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:2] == ["grade", "merge"]:  # `grade` takes paths, so `grade merge` is its own command
        argv = ["grade-merge", *argv[2:]]
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except ModuleNotFoundError as exc:  # the grader's tools are an extra a student's install leaves out
        if (exc.name or "").split(".")[0] not in GRADER_MODULES:
            raise
        print(
            f"labtools {args.command}: {exc.name} is not installed; "
            'install the grader\'s tools: pip install "labtools[grader]"',
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print("labtools: interrupted", file=sys.stderr)
        return 130


# -- labtools generate / badges ---------------------------------------------------------------


def _add_generate(subparsers) -> None:
    for name, extra in (("generate", ""), ("badges", " (the badges are part of every generated notebook)")):
        p = subparsers.add_parser(name, help=f"regenerate notebooks and grading bundles from instructor/source{extra}")
        p.add_argument("labs", nargs="*", metavar="NN", help="lab numbers (default: every lab with a source)")
        p.add_argument(
            "--check", action="store_true", help="write nothing; exit 1 if any generated file is out of date"
        )
        p.set_defaults(func=_generate)


def _generate(args) -> int:
    from .generate import SourceError, run

    try:
        stale = run(args.labs or None, check=args.check)
    except (SourceError, KeyError) as exc:
        print(f"labtools generate: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if stale:
            print("Out of date (run `labtools generate` and commit):", *stale, sep="\n  ")
            return 1
        print("All generated notebooks are up to date.")
        return 0
    print(f"Wrote {len(stale)} file(s)." if stale else "Nothing to do: everything is up to date.")
    for path in stale:
        print(f"  {path}")
    return 0


# -- labtools release -------------------------------------------------------------------------


def _add_release(subparsers) -> None:
    p = subparsers.add_parser(
        "release", help="write what students get: their notebooks, the install line and how to open them"
    )
    p.add_argument("out", type=Path, help="a new or empty folder (or an earlier release to update)")
    p.add_argument("labs", nargs="*", metavar="NN", help="lab numbers (default: every lab)")
    p.add_argument("--course", default="TensorFlow and Keras labs", help="the release README's title")
    p.set_defaults(func=_release)


def _release(args) -> int:
    from .generate import SourceError
    from .release import ReleaseError, release

    try:
        written = release(args.out, args.labs or None, course=args.course)
    except (ReleaseError, SourceError, KeyError) as exc:
        print(f"labtools release: {exc}", file=sys.stderr)
        return 2
    print(f"Wrote {len(written)} file(s) to {args.out}: the student notebooks, requirements.txt, README.md.")
    return 0


# -- labtools grade ---------------------------------------------------------------------------


def _add_grade(subparsers) -> None:
    p = subparsers.add_parser("grade", help="grade submitted notebooks into a gradebook and feedback")
    p.add_argument("submissions", nargs="+", type=Path, help="notebook files or folders of them")
    p.add_argument("--lab", required=True, metavar="NN", help="lab number, e.g. 03")
    p.add_argument("--out", type=Path, default=Path("grading-out"), help="output folder (default: grading-out)")
    p.add_argument("-j", "--jobs", type=int, default=1, help="submissions graded in parallel (default 1)")
    p.add_argument(
        "--cell-timeout", type=float, default=120, help="CPU seconds per thread a cell may use (default 120)"
    )
    p.add_argument(
        "--timeout", type=float, default=600, help="CPU seconds per thread a submission may use (default 600)"
    )
    p.add_argument(
        "--threads", type=int, default=0, help="TensorFlow threads per kernel (default: the cores divided by -j)"
    )
    p.add_argument("--memory-mb", type=int, default=4096, help="memory a submission may use (default 4096)")
    _add_similarity(p)
    p.add_argument(
        "--allow-network", action="store_true", help="with --no-sandbox: do not cut submissions off the network"
    )
    p.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run kernels without the bubblewrap sandbox (they can read and write what you can)",
    )
    _add_course_options(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_grade)


def _grade(args) -> int:
    from .grading import sandbox
    from .grading.runner import Settings, find_notebooks, load_bundle
    from .grading.worker import network_isolation_available
    from .labs import info

    try:
        lab = info(args.lab).number
        bundle = load_bundle(lab)
    except (KeyError, FileNotFoundError) as exc:
        print(f"labtools grade: {exc}", file=sys.stderr)
        return 2
    paths = find_notebooks(args.submissions, warn=lambda line: print(line, file=sys.stderr))
    if not paths:
        print("labtools grade: no .ipynb files to grade", file=sys.stderr)
        return 2
    sandboxed = not args.no_sandbox
    if sandboxed:
        try:
            sandbox.require()
        except sandbox.NoSandbox as exc:
            print(f"labtools grade: {exc}", file=sys.stderr)
            return 2
        isolate = True
    else:
        isolate = not args.allow_network and network_isolation_available()
        print(
            "labtools grade: --no-sandbox: each kernel runs as you, and can read and write your files, see "
            "other processes and " + ("not the network" if isolate else "reach the network"),
            file=sys.stderr,
        )
    settings = Settings(
        lab=lab,
        bundle=bundle,
        out=args.out,
        jobs=args.jobs,
        cell_timeout=args.cell_timeout,
        submission_timeout=args.timeout,
        threads=args.threads,
        memory_mb=args.memory_mb,
        isolate_network=isolate,
        sandbox=sandboxed,
        similarity=args.similarity,
    )
    return _run(args, paths, settings)


# -- rosters, shards and merging (see grading/roster.py, shards.py, gradebook.py) -------------


def _add_course_options(p) -> None:
    p.add_argument(
        "--roster", type=Path, help="class roster CSV (id, name, email, section in its header): a row per student"
    )
    p.add_argument("--match", metavar="REGEX", help="find the student key in a submission's path (group `student`)")
    p.add_argument(
        "--match-column", default="id", metavar="COLUMN", help="roster column the key is compared with (default: id)"
    )
    p.add_argument("--student", metavar="ID", help="regrade this student only; every other row is kept as it is")
    p.add_argument("--assignment", metavar="NAME", help="the assignment's column in canvas.csv and moodle.csv")
    p.add_argument("--shard", metavar="K/N", help="grade only shard K of N (0 <= K < N); then `labtools grade merge`")
    p.add_argument(
        "--key-file", type=Path, help="file holding the key that signs results (default: $LABTOOLS_GRADING_KEY_FILE)"
    )


def _printable(text) -> str:
    """What is printed of a name or message: one line, escape codes and odd bytes escaped (a
    submission's file name can hold anything a file system allows)."""
    from .grading.files import printable

    return printable(text)


def _fail(command: str, message) -> int:
    print(f"labtools {command}: {_printable(message)}", file=sys.stderr)
    return 2


def _run(args, paths, settings) -> int:
    """Grade what this run is to grade (everything, one shard or one student), then write the
    gradebook and exports, or for a shard its signed manifest."""
    from .grading.gradebook import stored_results
    from .grading.naming import submission_ids
    from .grading.plan import plain
    from .grading.roster import Roster, RosterError, compile_pattern, match
    from .grading.runner import grade_all
    from .grading.shards import parse_shard, shard_of, write_manifest
    from .grading.signing import BadKey, load_key

    try:
        key = load_key(args.key_file)
        shard = parse_shard(args.shard) if args.shard else None
        if args.roster:
            plan = match(paths, Roster.load(args.roster), compile_pattern(args.match), args.match_column)
        else:
            plan = plain(submission_ids(paths))
    except (BadKey, RosterError, ValueError) as exc:
        return _fail("grade", exc)
    if shard and key is None:
        return _fail("grade", "--shard needs the key the shards share: --key-file FILE or $LABTOOLS_GRADING_KEY_FILE")
    if shard and args.student:
        return _fail("grade", "--student regrades one row of a whole gradebook; it does not go with --shard")
    if args.roster and not any(r.state == "submitted" for r in plan.rows) and paths:
        return _fail("grade", f"no submission matches a student of {args.roster} (see --match and --match-column)")
    todo, regrade = plan.graded(), set()
    if args.student:
        row = next((r for r in plan.rows if args.student in (r.id, r.student and r.student.id)), None)
        if row is None or not row.file:
            why = "has no submission to grade" if row else "is not a row of this gradebook"
            return _fail("grade", f"--student {args.student} {why}")
        todo, regrade = {Path(row.file): row.id}, {row.id}
    if shard:
        todo = {p: s for p, s in todo.items() if shard_of(s, shard[1]) == shard[0]}
    if not shard:
        _say_unmatched(plan)
    results = {
        r["id"]: r
        for r in grade_all(list(todo), settings, not args.quiet, ids=todo, regrade=regrade, key=key, write=False)
    }
    if shard and key is not None:
        write_manifest(args.out, shard[0], shard[1], plan, settings, list(todo.values()), key)
        out = _printable(args.out)
        print(f"shard {shard[0]}/{shard[1]}: graded {len(todo)} of {len(plan.graded())} submissions into {out}")
        return 0
    if args.student:
        others, lost = stored_results(
            args.out / "results", [i for i in plan.graded().values() if i not in results], key
        )
        if lost:
            return _fail("grade", f"--student: no valid stored result for {lost[0]}; grade the whole class first")
        results.update(others)
    return _publish(plan, results, settings, args.assignment)


def _say_unmatched(plan) -> None:
    from .grading.lms import unmatched_files

    for file in unmatched_files(plan):
        print(
            f"labtools grade: {_printable(file)} matches no student on the roster; graded as its own row",
            file=sys.stderr,
        )
    for file, owner, named in plan.misnamed:
        print(
            f"labtools grade: {_printable(file)} is in the folder of student {_printable(owner)} but its name "
            f"names student {_printable(named)}; counted for {_printable(owner)} (the folder decides)",
            file=sys.stderr,
        )
    for file, student in plan.superseded:
        print(
            f"labtools grade: {_printable(file)} not graded: student {_printable(student)} has a later submission",
            file=sys.stderr,
        )


def _publish(plan, results: dict, settings, assignment: str | None) -> int:
    from .grading.gradebook import publish
    from .grading.manual import FILENAME as MANUAL_CSV
    from .grading.report import summary_table

    rows, problems = publish(plan, results, settings, assignment)
    for problem in problems:
        if problem.startswith(MANUAL_CSV):  # a line of manual.csv that was not counted; the file is kept as it is
            print(f"labtools grade: {_printable(problem)}", file=sys.stderr)
            continue
        where = _printable(settings.out / "results")
        print(
            f"labtools grade: could not write {_printable(problem)}; the results are kept in {where}", file=sys.stderr
        )
    print(summary_table(rows, settings.lab))
    from .grading.class_report import printed_summary

    for line in printed_summary(settings.out):
        print(line)
    out = settings.out
    print(f"gradebook: {_printable(out / 'grades.csv')} and grades.json; feedback in {_printable(out / 'feedback')}")
    if plan.roster:
        lms = f"{_printable(out / 'canvas.csv')}, {_printable(out / 'moodle.csv')}"
        print(f"for the LMS: {lms}; who submitted what: {_printable(out / 'matching.csv')}")
    return 0


def _add_merge(subparsers) -> None:
    p = subparsers.add_parser(
        "grade-merge", prog="labtools grade merge", help="(`labtools grade merge`) one gradebook from shards' results"
    )
    p.add_argument("folders", nargs="+", type=Path, help="the shards' output folders (one if they shared it)")
    p.add_argument("--out", type=Path, default=Path("grading-out"), help="output folder (default: grading-out)")
    p.add_argument("--assignment", metavar="NAME", help="the assignment's column in canvas.csv and moodle.csv")
    p.add_argument(
        "--key-file", type=Path, help="file holding the shards' shared key (default: $LABTOOLS_GRADING_KEY_FILE)"
    )
    _add_similarity(p)
    p.set_defaults(func=_merge)


def _merge(args) -> int:
    from .grading.runner import Settings
    from .grading.shards import MergeError, collect
    from .grading.signing import BadKey, load_key

    try:
        key = load_key(args.key_file)
    except BadKey as exc:
        return _fail("grade merge", exc)
    if key is None:
        return _fail("grade merge", "needs the shards' key: --key-file FILE or $LABTOOLS_GRADING_KEY_FILE")
    try:
        plan, kept, results = collect(args.folders, key)
    except MergeError as exc:
        for problem in exc.problems:
            print(f"labtools grade merge: {_printable(problem)}", file=sys.stderr)
        print(f"labtools grade merge: refused ({len(exc.problems)} problem(s)); nothing written", file=sys.stderr)
        return 1
    settings = Settings(lab=kept.pop("lab"), bundle={}, out=args.out, similarity=args.similarity, **kept)
    return _publish(plan, results, settings, args.assignment)


def _add_review(subparsers) -> None:
    p = subparsers.add_parser("review", help="a local page to grade written answers (into OUT/manual.csv)")
    p.add_argument("out", type=Path, metavar="OUT", help="a graded folder (the --out of `labtools grade`)")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    p.add_argument("--grader", metavar="NAME", default="", help="your name in manual.csv (default: your user name)")
    p.set_defaults(func=_review)


def _review(args) -> int:
    from .grading.review import serve

    if not (args.out / "results").is_dir():
        return _fail(
            "review", f"{_printable(args.out)} has no results/ folder; give the --out folder of `labtools grade`"
        )
    try:
        return serve(args.out, args.port, args.grader)
    except OSError as exc:
        return _fail("review", f"cannot listen on 127.0.0.1:{args.port} ({exc.strerror or exc}); try another --port")


def _add_similarity(p) -> None:
    p.add_argument(
        "--similarity",
        type=_share,
        default=0.8,
        metavar="SHARE",
        help="report.html lists pairs of submissions whose answers are at least this alike, 0 to 1 (default 0.8; "
        "0: no comparison); never changes a grade",
    )


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a share from 0 to 1, e.g. 0.8")
    return value


def _add_report(subparsers) -> None:
    p = subparsers.add_parser("report", help="write OUT/report.html again: what the class got wrong, similar pairs")
    p.add_argument("out", type=Path, metavar="OUT", help="a graded folder (the --out of `labtools grade`)")
    _add_similarity(p)
    p.set_defaults(func=_report)


def _report(args) -> int:
    from .grading.class_report import printed_summary, rewrite

    try:
        problems = rewrite(args.out, args.similarity)
    except ValueError as exc:
        return _fail("report", exc)
    if problems:
        return _fail("report", f"could not write {problems[0]}")
    for line in printed_summary(args.out):
        print(line)
    return 0


def _add_gradescope(subparsers) -> None:
    p = subparsers.add_parser("gradescope", help="build a lab's Gradescope autograder zip")
    p.add_argument("--lab", required=True, metavar="NN", help="lab number, e.g. 02")
    p.add_argument("--out", type=Path, help="the zip to write (default: autograder-labNN.zip)")
    p.add_argument("--memory-mb", type=int, default=3072, help="memory a submission may use (default 3072)")
    p.set_defaults(func=_gradescope)


def _gradescope(args) -> int:
    from .grading.gradescope import build
    from .labs import info

    try:
        lab = info(args.lab).number
        out = build(lab, args.out or Path(f"autograder-lab{lab}.zip"), memory_mb=args.memory_mb)
    except (KeyError, FileNotFoundError) as exc:
        return _fail("gradescope", exc)
    print(f"wrote {out}: upload it as the assignment's autograder on Gradescope")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
