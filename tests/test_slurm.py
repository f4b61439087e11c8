"""A class graded on a real Slurm: docs/slurm-array.sh submitted as a job array and the merge as a
dependent job, with the commands its header gives, while a task is cancelled and requeued and a
node goes down; the merged gradebook equals a one-machine `labtools grade` row for row.

Needs a Slurm with nodes n1 and n2 (``sudo .ci/slurm-cluster.sh start``, which CI runs); skipped
without one, failed without one where LABTOOLS_REQUIRE_SLURM=1 (CI, once it started the cluster).
"""

import csv
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from labtools.grading.shards import shard_of

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "docs" / "slurm-array.sh"
NODES = ("n1", "n2")
N = 3  # shards: one more than nodes, so a task waits for a node and one node runs two
HANG_S = 600  # a wait that lasts this long is a hang, however busy the machine
OPTIONS = "--cpus-per-task=1 --mem=3G --time=00:30:00"  # the test cluster's nodes have 1 CPU each

ENDED = ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL")

pytestmark = [pytest.mark.slurm, pytest.mark.notebooks]


def cluster_or_skip() -> None:
    """Skip (fail where LABTOOLS_REQUIRE_SLURM is set) unless sbatch works and n1, n2 are idle."""
    reason = None
    if not shutil.which("sbatch"):
        reason = "no Slurm here (sbatch not found); start one with `sudo .ci/slurm-cluster.sh start`"
    else:
        up = subprocess.run(["sinfo", "-h", "-N", "-o", "%N %t"], capture_output=True, text=True, timeout=30)
        states = dict(line.split() for line in up.stdout.splitlines() if line.strip())
        if up.returncode != 0 or any(states.get(n) != "idle" for n in NODES):
            seen = ", ".join(f"{n} {t}" for n, t in states.items()) or "no slurmctld answers"
            reason = f"the test cluster is not up ({seen}); start it with `sudo .ci/slurm-cluster.sh start`"
    if reason and os.environ.get("LABTOOLS_REQUIRE_SLURM"):
        pytest.fail(f"Slurm is required here but {reason}")
    if reason:
        pytest.skip(reason)


# -- the class: right, wrong, broken, hostile and missing ---------------------------------------------


def lab02_class(folder: Path) -> tuple[Path, dict[str, str]]:
    """14 lab 02 submissions and a roster of 15 students (two submit nothing; one file matches
    nobody), built from the grading tests' corpus; returns the roster and what each id is."""
    from test_grading import EXTRA, RIGHT_Q1, SANDBOX_ATTACKS, WRONG_Q1, WRONG_Q2, solution_cells

    nb, _ = solution_cells()
    kinds = {  # chosen so that every shard of 3 grades 3 to 5 notebooks in a kernel
        "s01": "right",
        "s02": "untouched",
        "s03": "wrong q1",
        "s04": "wrong q2",
        "s05": "empty",
        "s06": "read_repo",
        "s07": "exit_q3",
        "s08": "proc_snoop",
        "s09": "segfault_q3",
        "s10": "env_leak",
        "s11": "fake_pass",
        "s12": "monkeypatch",
        "s13": "kill_all",
        "s14": "files",
        "stranger": "not json",
    }
    sources = {
        "wrong q1": {"q1-answer": WRONG_Q1},
        "wrong q2": {"q2-answer": WRONG_Q2},
        "exit_q3": {"q3-answer": "import os\nos._exit(1)"},
        "segfault_q3": {"q3-answer": "import ctypes\nctypes.string_at(0)"},
        **{
            k: {"q1-answer": SANDBOX_ATTACKS[k].format(root=ROOT) + "\n" + RIGHT_Q1}
            for k in ("read_repo", "proc_snoop", "env_leak", "kill_all")
        },
        **{k: {"q1-answer": EXTRA[k]} for k in ("fake_pass", "monkeypatch")},
        "files": {"q1-answer": EXTRA["files"], "q2-answer": WRONG_Q2},
    }
    folder.mkdir(parents=True)
    for sid, kind in kinds.items():
        path = folder / f"{sid}.ipynb"
        if kind == "untouched":
            path.write_text((ROOT / "notebooks" / "02_computation.ipynb").read_text())
        elif kind in ("empty", "not json"):
            path.write_bytes(b"" if kind == "empty" else b"{ this is not json")
        else:
            copy = nbformat.from_dict(json.loads(json.dumps(nb)))
            for cell in copy.cells:
                cell.source = sources.get(kind, {}).get(cell.get("id"), cell.source)
            path.write_text(nbformat.writes(copy))
    students = [f"s{i:02d},Student {i},s{i:02d}@x.org,A" for i in range(1, 17)]  # s15, s16: nothing
    roster = folder.parent / "roster.csv"
    roster.write_text("\n".join(["id,name,email,section", *students]) + "\n")
    return roster, kinds


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


# -- Slurm, through its commands ----------------------------------------------------------------------


def run(*argv: str, check: bool = True, timeout: float = 120, **kw) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(argv)}: {done.stderr.strip() or done.stdout.strip()}")
    return done


def tasks(job: str) -> dict[str, dict]:
    """Every job of `job` (an array's tasks, one by one) that Slurm still knows: its state, reason,
    node and restarts, from `scontrol show job -o`."""
    found = {}
    for line in run("scontrol", "show", "job", "-o", job, check=False).stdout.splitlines():
        fields = dict(re.findall(r"(\w+)=(\S*)", line))
        name = f"{fields['ArrayJobId']}_{fields['ArrayTaskId']}" if "ArrayTaskId" in fields else fields["JobId"]
        found[name] = fields
    return found


def task(name: str) -> dict:
    """One job, or one task ``JOB_K`` of an array, as :func:`tasks` reads it."""
    return tasks(name)[name]


def wait_for(what: str, probe, logs: Path):
    """probe() until it returns something true; a hang (HANG_S) fails with the queue and the logs."""
    deadline = time.monotonic() + HANG_S
    while time.monotonic() < deadline:
        got = probe()
        if got:
            return got
        time.sleep(0.5)
    queue = run("squeue", "-a", check=False).stdout
    tails = {
        p.name: p.read_text(errors="replace")[-800:] for p in sorted(logs.glob("*.log")) + sorted(logs.glob("*.out"))
    }
    raise AssertionError(f"no {what} after {HANG_S} s\n{queue}\n{json.dumps(tails, indent=1)}")


def header_commands() -> dict[str, str]:
    """The commands docs/slurm-array.sh's header gives an instructor, by what they do."""
    lines = [line[4:] for line in SCRIPT.read_text().splitlines() if line.startswith("#   ")]
    found = {
        "exports": " ".join(line for line in lines if line.startswith("export ")),
        "submit": next(line for line in lines if line.startswith("JOB=$(sbatch ")),
        "merge": next(line for line in lines if "--dependency=afterok:$JOB " in line),
        "merge again": next(line for line in lines if "--dependency=afterany:$JOB " in line),
    }
    return found


def submitted(shell_line: str, env: dict, cwd: Path) -> str:
    """Run one of the header's lines in bash; the id of the job it submitted."""
    if shell_line.startswith("JOB=$("):
        shell_line += '\necho "Submitted batch job $JOB"'
    done = run("bash", "-euc", shell_line, cwd=cwd, env=env)
    ids = re.findall(r"^Submitted batch job (\d+)$", done.stdout, re.M)
    assert len(ids) == 1, done.stdout
    return ids[0]


# -- the run ------------------------------------------------------------------------------------------


def faults_and_merge(record: dict, env: dict, work: Path, out: Path, base: Path) -> None:
    """Submit the array and the merge with the header's commands, put the faults to them, and
    merge again as the header says; what happened goes into ``record``."""
    commands = record["commands"]
    started = time.monotonic()
    # the instructor's commands: the array (N tasks, this cluster's options) and the dependent merge
    submit = commands["submit"].replace("--array=0-7 ", f"--array=0-{N - 1} --chdir={work} {OPTIONS} ")
    job = submitted(submit, env, ROOT)  # the line names docs/slurm-array.sh
    merge = submitted(commands["merge"], {**env, "JOB": job}, work)
    record.update(job=job, merge=merge)
    graded_ids = {f"s{i:02d}" for i in range(1, 15)} | {"unmatched__stranger"}

    def results_of(shard: int) -> dict[str, tuple[int, bytes]]:
        ids = {i for i in graded_ids if shard_of(i, N) == shard}
        files = [out / "results" / f"{i}.json" for i in sorted(ids)]
        return {f.name: (f.stat().st_mtime_ns, f.read_bytes()) for f in files if f.exists()}

    # 1. cancel a task while it runs, once it has written a result
    def running_with_a_result():
        now = tasks(job)
        return next(
            (
                int(t["ArrayTaskId"])
                for t in now.values()
                if t["JobState"] == "RUNNING" and results_of(int(t["ArrayTaskId"]))
            ),
            None,
        )

    cancelled = wait_for("running task with a result written", running_with_a_result, work)
    run("scancel", f"{job}_{cancelled}")
    wait_for("end of the cancelled task", lambda: task(f"{job}_{cancelled}")["JobState"] in ENDED, work)
    assert task(f"{job}_{cancelled}")["JobState"] == "CANCELLED", f"task {cancelled} ended before scancel reached it"
    record.update(cancelled=cancelled, kept=results_of(cancelled))

    # 2. the node of another running task goes down: Slurm requeues that task
    def running_on_n2():
        now = tasks(job)
        found = next((name for name, t in now.items() if t["JobState"] == "RUNNING" and t["NodeList"] == "n2"), None)
        assert found or any(t["JobState"] == "PENDING" for t in now.values()), f"no task left to run on n2: {now}"
        return found

    on_n2 = wait_for("task running on n2", running_on_n2, work)
    run("scontrol", "update", "NodeName=n2", "State=DOWN", "Reason=test")
    requeued = wait_for(
        "requeued task", lambda: next((t for t in [task(on_n2)] if t["JobState"] == "PENDING"), None), work
    )
    record.update(node_down_task=on_n2, requeued=requeued)

    # 3. a merge while shards are missing (the cancelled one at least) refuses and writes nothing
    wait_for("finished shard", lambda: list((out / "shards").glob("*.json")), work)
    cli = [sys.executable, "-m", "labtools.cli"]
    early = run(*cli, "grade", "merge", str(out), "--out", str(base / "early"), check=False, env=env)
    record.update(early=early, early_wrote=(base / "early" / "grades.csv").exists())

    # 4. the cancelled task again, the node back; the first merge never starts: the header's way out
    run("scontrol", "requeue", f"{job}_{cancelled}")
    run("scontrol", "update", "NodeName=n2", "State=RESUME")
    stuck = wait_for("merge marked never to run", lambda: task(merge)["Reason"] == "DependencyNeverSatisfied", work)
    run("scancel", merge)
    again = submitted(commands["merge again"], {**env, "JOB": job}, work)

    def merge_ended():
        state = task(again)["JobState"]
        return state if state in ENDED else None

    record.update(stuck=stuck, merge_again=again, merge_state=wait_for("merge", merge_ended, work))
    record.update(slurm_s=time.monotonic() - started, tasks=tasks(job), merge_log=(work / f"slurm-{again}.out"))


@pytest.fixture(scope="module")
def slurm_run(tmp_path_factory):
    from test_grading import sandbox_or_skip

    cluster_or_skip()
    sandbox_or_skip()
    base = tmp_path_factory.mktemp("slurm")
    subs, out, single, work = base / "submissions", base / "lab02", base / "single", base / "work"
    roster, kinds = lab02_class(subs)
    work.mkdir()
    key = base / "grading.key"
    key.write_text(secrets.token_hex(32) + "\n")
    key.chmod(0o600)
    commands = header_commands()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",  # `labtools` of this checkout
        "LAB": "02",
        "SUBMISSIONS": str(subs),
        "ROSTER": str(roster),
        "OUT": str(out),
        "LABTOOLS_GRADING_KEY_FILE": str(key),
        "LABTOOLS_TEST_SECRET": "do not leak",  # env_leak looks for it
    }
    record: dict = {"kinds": kinds, "out": out, "single": single, "work": work, "commands": commands}

    # the same class on this machine, one run, meanwhile (it fills the waits below)
    started = time.monotonic()
    with open(base / "direct.err", "w") as err:
        direct = subprocess.Popen(
            [sys.executable, "-m", "labtools.cli", "grade", "--lab", "02", "--quiet", str(subs)]
            + ["--roster", str(roster), "--out", str(single), "-j", "2"],
            env=env, stdout=subprocess.DEVNULL, stderr=err,
        )  # fmt: skip

    try:
        faults_and_merge(record, env, work, out, base)
    except BaseException:  # leave the cluster as it was: no job of this run left, n2 up
        for name in ("job", "merge", "merge_again"):
            if name in record:
                run("scancel", record[name], check=False)
        run("scontrol", "update", "NodeName=n2", "State=RESUME", check=False)
        direct.kill()
        raise
    assert direct.wait(timeout=HANG_S) == 0, (base / "direct.err").read_text()[-2000:]
    record.update(direct_s=time.monotonic() - started, direct_err=(base / "direct.err").read_text())
    print(f"slurm: array, faults and merge {record['slurm_s']:.0f} s; one run beside them {record['direct_s']:.0f} s")
    return record


def test_the_header_s_commands_are_the_ones_this_test_runs():
    commands = header_commands()
    assert re.findall(r"(\w+)=", commands["exports"]) == [
        "LAB",
        "SUBMISSIONS",
        "ROSTER",
        "OUT",
        "LABTOOLS_GRADING_KEY_FILE",
    ]
    assert commands["submit"] == "JOB=$(sbatch --parsable --array=0-7 docs/slurm-array.sh)"
    merge = '--wrap \'labtools grade merge "$OUT" --out "$OUT-gradebook"\''
    assert commands["merge"] == f"sbatch --dependency=afterok:$JOB {merge}"
    assert commands["merge again"] == f"sbatch --dependency=afterany:$JOB {merge}"
    script = SCRIPT.read_text()
    for name in ("LAB", "SUBMISSIONS", "ROSTER", "OUT", "LABTOOLS_GRADING_KEY_FILE"):
        assert f'{name}="${{{name}:-' in script, f"the script takes {name} from the environment"


def test_the_merge_after_the_array_equals_one_run_row_for_row(slurm_run):
    r = slurm_run
    assert r["merge_state"] == "COMPLETED", r["merge_log"].read_text()[-2000:]
    merged = r["out"].parent / (r["out"].name + "-gradebook")
    rows = read_csv(r["single"] / "grades.csv")
    assert read_csv(merged / "grades.csv") == rows
    for name in ("canvas.csv", "moodle.csv", "matching.csv"):
        assert read_csv(merged / name) == read_csv(r["single"] / name), name
    ids = [row[0] for row in rows[1:]]
    assert len(ids) == len(set(ids)) == 17, "one row per student and one for the unmatched file"
    total = rows[0].index("total")
    totals = {row[0]: (row[1], row[total]) for row in rows[1:]}
    assert totals["s01"] == ("ok", "6") and totals["s02"] == ("ok", "0") and totals["s03"] == ("ok", "5")
    assert totals["s05"][0] == "unreadable" and totals["s15"] == totals["s16"] == ("missing", "0")
    for sid in ("s06", "s08", "s10", "s13"):  # an attack that found what it looks for loses q1's point
        assert totals[sid] == ("ok", "6"), (sid, r["kinds"][sid])
    assert {r["kinds"][s]: totals[s][0] for s in ("s07", "s09")} == {
        "exit_q3": "kernel died",
        "segfault_q3": "kernel died",
    }


def test_a_cancelled_task_requeued_keeps_what_it_graded(slurm_run):
    r = slurm_run
    task = r["tasks"][f"{r['job']}_{r['cancelled']}"]
    assert task["JobState"] == "COMPLETED" and int(task["Restarts"]) >= 1
    assert r["kept"], "the task was cancelled before it wrote a result"
    results = r["out"] / "results"
    now = {name: ((results / name).stat().st_mtime_ns, (results / name).read_bytes()) for name in r["kept"]}
    assert now == r["kept"], "a result written before the cancel was graded again"


def test_a_task_on_a_node_that_went_down_is_requeued_and_completes(slurm_run):
    r = slurm_run
    assert r["requeued"]["JobState"] == "PENDING"
    task = r["tasks"][r["node_down_task"]]
    assert task["JobState"] == "COMPLETED" and int(task["Restarts"]) >= 1
    assert all(t["JobState"] == "COMPLETED" for t in r["tasks"].values()), r["tasks"]


def test_a_merge_before_every_shard_finished_refuses_in_one_line(slurm_run):
    r = slurm_run
    early = r["early"]
    lines = early.stderr.strip().splitlines()
    assert early.returncode == 1 and not r["early_wrote"]
    assert len(lines) == 2 and "have not finished (no manifest)" in lines[0] and "nothing written" in lines[1], lines
    assert re.search(rf"shard\(s\) [\d, ]*\b{r['cancelled']}\b[\d, ]* of {N}", lines[0]), lines[0]
    assert r["stuck"], "Slurm never starts an afterok merge after a cancelled task (the header says so)"


def test_the_sandbox_under_slurmd_isolates_as_a_direct_run(slurm_run):
    r = slurm_run
    for sid in r["kinds"]:
        name = f"{sid if sid != 'stranger' else 'unmatched__stranger'}.json"
        direct = json.loads((r["single"] / "results" / name).read_text())
        shard = json.loads((r["out"] / "results" / name).read_text())
        assert (shard["sandboxed"], shard["isolated"]) == (direct["sandboxed"], direct["isolated"]), sid
        if direct["status"] != "unreadable":
            assert shard["sandboxed"] and shard["isolated"], sid

    def notes(text: str) -> set[str]:  # what the grader says it cannot do here (sandbox, cgroups)
        return {line for line in text.splitlines() if line.startswith("labtools grade:") and "matches no" not in line}

    under_slurm = set().union(*(notes(p.read_text(errors="replace")) for p in r["work"].glob("grade-lab02-*.log")))
    missing = under_slurm - notes(r["direct_err"])
    assert not missing, f"under slurmd the grader says what a direct run does not: {sorted(missing)}"
