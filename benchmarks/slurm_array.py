"""A class graded through docs/slurm-array.sh on one node and on two, and what Slurm adds per task.

Needs the test cluster (``sudo .ci/slurm-cluster.sh start``: nodes n1 and n2, one CPU each, on
this one machine). Grades ``--copies`` copies of the lab 02 solution as ``--shards`` shards of
``-j 1``:

* on this machine, without Slurm: the shards' commands one after another;
* as a job array on n1 only (``sbatch -w n1``): the tasks one after another, so the difference
  from the line above, per task, is what Slurm adds to a task (scheduling, start, clean-up);
* as a job array on n1 and n2: two tasks at once. Both nodes are this machine, so they share
  its cores: the ratio says how well two tasks use two cores, not what a second machine gives
  (that is about 2x: each node grades at the one-node rate).

Also: an array of empty tasks (``--wrap true``), Slurm's turnaround alone.

    python benchmarks/slurm_array.py --copies 8 --shards 4
"""

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "docs" / "slurm-array.sh"


def class_of(folder: Path, copies: int) -> Path:
    solution = (ROOT / "instructor" / "solutions" / "02_computation.ipynb").read_text()
    folder.mkdir(parents=True)
    for i in range(copies):
        (folder / f"s{i:02d}.ipynb").write_text(solution)
    roster = folder.parent / "roster.csv"
    roster.write_text("id\n" + "".join(f"s{i:02d}\n" for i in range(copies)))
    return roster


def timed(argv: list[str], env: dict, cwd: Path) -> float:
    started = time.monotonic()
    subprocess.run(argv, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def array_timed(argv: list[str], env: dict, cwd: Path) -> float:
    """Submit (sbatch --parsable) and wait until Slurm lists none of the job's tasks: polled every
    0.2 s (sbatch --wait polls every few seconds, too coarse here)."""
    started = time.monotonic()
    job = subprocess.run(argv, env=env, cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()
    while subprocess.run(["squeue", "-h", "-j", job], capture_output=True, text=True).stdout.strip():
        time.sleep(0.2)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=6)
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--empty-tasks", type=int, default=8)
    args = parser.parse_args()
    if not shutil.which("sbatch"):
        sys.exit("no Slurm here: sudo .ci/slurm-cluster.sh start")
    base = Path(tempfile.mkdtemp(prefix="labtools-bench-slurm-"))
    roster = class_of(base / "subs", args.copies)
    key = base / "grading.key"
    key.write_text(secrets.token_hex(32))
    key.chmod(0o600)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "LAB": "02",
        "SUBMISSIONS": str(base / "subs"),
        "ROSTER": str(roster),
        "LABTOOLS_GRADING_KEY_FILE": str(key),
        "LABTOOLS_FAST": "1",
    }
    n = args.shards
    array = ["sbatch", "--parsable", f"--array=0-{n - 1}", f"--chdir={base}"]
    array += ["--cpus-per-task=1", "--mem=3G", "--time=00:30:00"]
    times = {}
    direct = {**env, "OUT": str(base / "direct")}
    grade = [sys.executable, "-m", "labtools.cli", "grade", "--lab", "02", str(base / "subs"), "--roster", str(roster)]
    times["this machine, the shards one after another"] = sum(
        timed([*grade, "--out", str(base / "direct"), "--shard", f"{k}/{n}", "-j", "1", "--quiet"], direct, base)
        for k in range(n)
    )
    times["job array on 1 node (n1)"] = array_timed(
        [*array, "-w", "n1", str(SCRIPT)], {**env, "OUT": str(base / "one")}, ROOT
    )
    times["job array on 2 nodes (n1, n2)"] = array_timed([*array, str(SCRIPT)], {**env, "OUT": str(base / "two")}, ROOT)
    empty = array_timed(["sbatch", "--parsable", f"--array=0-{args.empty_tasks - 1}", "--wrap", "true"], env, base)
    load = os.getloadavg()[0]
    print(f"{args.copies} copies of the lab 02 solution, {n} shards of -j 1; load average {load:.1f} at the end")
    print("| run | seconds | submissions/min |")
    print("|---|---|---|")
    for name, seconds in times.items():
        print(f"| {name} | {seconds:.1f} | {60 * args.copies / seconds:.1f} |")
    one, two = times["job array on 1 node (n1)"], times["job array on 2 nodes (n1, n2)"]
    alone = times["this machine, the shards one after another"]
    print(f"2 nodes vs 1: x{one / two:.2f} (both nodes share this machine's cores)")
    print(f"Slurm per task (1 node less this machine, per task): {(one - alone) / n:.1f} s")
    per_task = empty / args.empty_tasks * 2
    print(f"{args.empty_tasks} empty tasks on 2 nodes: {empty:.1f} s, {per_task:.1f} s per task on a node")
    shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
