"""``labtools grade --lab NN SUBMISSIONS... --out DIR [-j N]``"""

from __future__ import annotations

import sys
from pathlib import Path


def add_parser(subparsers) -> None:
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
    p.set_defaults(func=_run)


def collect(paths: list[Path]) -> list[Path]:
    found = []
    for p in paths:
        if p.is_dir():
            found += sorted(q for q in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts)
        elif p.exists():
            found.append(p)
        else:
            print(f"labtools grade: {p} does not exist; skipped", file=sys.stderr)
    return found


def _run(args) -> int:
    from ..labs import info
    from . import sandbox
    from .report import summary_table
    from .runner import Settings, grade_all, load_bundle
    from .worker import network_isolation_available

    try:
        lab = info(args.lab).number
        bundle = load_bundle(lab)
    except (KeyError, FileNotFoundError) as exc:
        print(f"labtools grade: {exc}", file=sys.stderr)
        return 2
    paths = collect(args.submissions)
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
