"""The ``labtools`` command, all of it: ``labtools generate`` (notebooks and grading bundles from
each lab's source), ``labtools badges`` (the same; badges are part of every generated notebook)
and ``labtools grade`` (a folder of submissions into a gradebook and feedback)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="labtools", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_generate(subparsers)
    _add_grade(subparsers)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("labtools: interrupted", file=sys.stderr)
        return 130


# -- labtools generate / badges ---------------------------------------------------------------


def _add_generate(subparsers) -> None:
    for name, extra in (("generate", ""), ("badges", " (the badges are part of every generated notebook)")):
        p = subparsers.add_parser(name, help=f"regenerate notebooks and grading bundles from notebooks/source{extra}")
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


# -- labtools grade ---------------------------------------------------------------------------


def _add_grade(subparsers) -> None:
    p = subparsers.add_parser("grade", help="grade submitted notebooks into a gradebook and feedback")
    p.add_argument("submissions", nargs="+", type=Path, help="notebook files or folders of them")
    p.add_argument("--lab", required=True, metavar="NN", help="lab number, e.g. 03")
    p.add_argument("--out", type=Path, default=Path("grading-out"), help="output folder (default: grading-out)")
    p.add_argument("-j", "--jobs", type=int, default=1, help="submissions graded in parallel (default 1)")
    p.add_argument("--cell-timeout", type=int, default=120, help="seconds a cell may run (default 120)")
    p.add_argument("--timeout", type=int, default=600, help="seconds a submission may run (default 600)")
    p.add_argument("--memory-mb", type=int, default=4096, help="memory a submission may use (default 4096)")
    p.add_argument(
        "--allow-network", action="store_true", help="with --no-sandbox: do not cut submissions off the network"
    )
    p.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run kernels without the bubblewrap sandbox (they can read and write what you can)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_grade)


def _grade(args) -> int:
    from .grading import sandbox
    from .grading.report import summary_table
    from .grading.runner import Settings, find_notebooks, grade_all, load_bundle
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
        memory_mb=args.memory_mb,
        isolate_network=isolate,
        sandbox=sandboxed,
    )
    results = grade_all(paths, settings, progress=not args.quiet)
    print(summary_table(results, lab))
    print(f"gradebook: {args.out / 'grades.csv'} and grades.json; feedback in {args.out / 'feedback'}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
