"""``labtools generate``: write the student, solution and grading files from each lab source."""

from __future__ import annotations

import sys


def add_parser(subparsers) -> None:
    for name, extra in (("generate", ""), ("badges", " (the badges are part of every generated notebook)")):
        p = subparsers.add_parser(name, help=f"regenerate notebooks and grading bundles from notebooks/source{extra}")
        p.add_argument("labs", nargs="*", metavar="NN", help="lab numbers (default: every lab with a source)")
        p.add_argument(
            "--check", action="store_true", help="write nothing; exit 1 if any generated file is out of date"
        )
        p.set_defaults(func=_run)


def _run(args) -> int:
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
