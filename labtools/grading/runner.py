"""Grade many submissions: one worker process and one fresh kernel each, with limits.

Each submission's result is written atomically to ``OUT/results/<id>.json`` as soon as it is
known; a re-run skips submissions whose file has not changed, so an interrupted run resumes
and no row is lost or written twice. The gradebook is rebuilt from those files.

Time limits count CPU time, so a busy machine does not change a grade: a cell may use
``cell_timeout`` and a submission ``submission_timeout`` seconds of CPU time per thread it is
given (``threads``, the kernel's TensorFlow/OpenMP thread count). Wall-clock limits, ``WALL_FACTOR``
times as long, are backstops for code that waits without end; a submission is run once, so its
wall-clock time never exceeds its wall-clock limit, whatever it does.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np

from ..checking import Status
from ..kernel.grading import GRADING_ENV
from ..labs import info as lab_info
from ..labs import load_lab
from ..written import written_questions
from . import limits, probe
from .files import write_atomic
from .naming import submission_ids
from .processes import kill_tree, tree_cpu_seconds, tree_rss
from .processes import tree as process_tree
from .report import write_gradebook
from .results import QuestionResult, SubmissionResult
from .submission import Unreadable, answer_ids, compose, extract_answers, read_submission, written_answers

WALL_FACTOR = 3  # wall-clock backstops are this many times the CPU limits


@dataclass
class Settings:
    lab: str
    bundle: dict
    out: Path
    jobs: int = 1
    cell_timeout: float = 120  # CPU seconds per thread a cell may use
    submission_timeout: float = 600  # CPU seconds per thread a submission may use
    memory_mb: int = 4096
    isolate_network: bool = True  # without the sandbox: `unshare -n` where it works
    sandbox: bool = True  # each kernel in bubblewrap (see sandbox.py)
    max_processes: int = 256
    threads: int = 0  # TensorFlow/OpenMP threads per kernel; 0: the machine's cores shared among the jobs
    cell_wall_timeout: float = 0  # 0: WALL_FACTOR x cell_timeout
    submission_wall_timeout: float = 0  # 0: WALL_FACTOR x submission_timeout
    similarity: float = 0.8  # report.html lists pairs of submissions this alike (0: no comparison)

    def kernel_threads(self) -> int:
        return self.threads or max(1, (os.cpu_count() or 1) // max(1, self.jobs))

    def cell_wall(self) -> float:
        return self.cell_wall_timeout or WALL_FACTOR * self.cell_timeout

    def submission_wall(self) -> float:
        return self.submission_wall_timeout or WALL_FACTOR * self.submission_timeout


@dataclass
class Run:
    """What one execution of a submission gave: its events, its status, and whether a wall-clock
    backstop (not a CPU limit) stopped something in it."""

    events: list[dict]
    status: str
    wall_stopped: bool = False


def load_bundle(lab: str, root: Path | None = None) -> dict:
    from ..paths import outputs

    meta = lab_info(lab)
    path = outputs(meta, root)["bundle"]
    if not path.exists():
        raise FileNotFoundError(
            f"no grading bundle for lab {meta.number} at {path}; run `labtools generate {meta.number}`"
        )
    return json.loads(path.read_text(encoding="utf-8"))


# -- one submission ---------------------------------------------------------------------------


def grade_one(path: Path, sid: str, settings: Settings) -> dict:
    """Grade one submission; returns its result in JSON form (:class:`SubmissionResult`)."""
    started = time.perf_counter()
    lab = load_lab(settings.lab)
    result = SubmissionResult(id=sid, file=str(path), lab=lab.number)
    events: list[dict] = []
    # the judges' inputs, drawn here from a secret seed; the kernel gets each in its own cell only
    rng = np.random.default_rng(secrets.randbits(128))
    inputs = {qid: q.fresh_inputs(rng) for qid, q in lab.questions.items() if q.draw is not None}
    written = written_questions(lab)
    texts: dict[str, str | None] = {}
    try:
        result.sha256, nb = read_submission(path)  # one bounded read: the digest is of what was graded
        answers = extract_answers(nb, answer_ids(settings.bundle["template"]))
        texts, text_notes = written_answers(nb, list(written))  # read here, never run: a person grades them
        result.notes += answers.notes + text_notes
        run = _execute(answers, settings, inputs)  # once: a submission that waits is not run twice
        events, result.status = run.events, run.status
    except Unreadable as exc:
        result.sha256 = exc.sha256
        result.status = "unreadable"
        result.notes.append(str(exc))
    payloads, whys = _results(events)
    result.notes += [e["text"] for e in events if e.get("event") in ("note", "died", "stopped")]
    starts = [e for e in events if e.get("event") == "start"]
    result.isolated = any(e.get("isolated") for e in starts)
    result.sandboxed = any(e.get("sandboxed") for e in starts)
    missing_answers = {n.split(":")[0] for n in result.notes if "missing" in n or "changed to" in n}
    for qid, q in lab.questions.items():
        if qid in written:
            text = texts.get(qid)
            verdict = written[qid].graded(text)
            answer = text if verdict.status is Status.MANUAL and text is not None else ""
            result.questions[qid] = QuestionResult(
                q.title, verdict.status.value, 0.0, q.points, verdict.message[:300], answer
            )
            continue
        verdict = _verdict(q, payloads.get(qid), qid in missing_answers, result.status, inputs.get(qid), whys.get(qid))
        result.questions[qid] = QuestionResult(
            q.title, verdict.status.value, verdict.points, q.points, verdict.message[:300]
        )
    return result.finish(lab.max_points, time.perf_counter() - started).to_dict()


def _results(events: list[dict]) -> tuple[dict, dict]:
    """Each question's one result from the worker's events, and why a question has none. A
    question whose hidden test reported twice (the notebook cannot do that honestly) earns nothing."""
    payloads: dict = {}
    whys: dict = {}
    for e in events:
        if e.get("event") != "result" or not isinstance(e.get("qid"), str):
            continue
        qid = e["qid"]
        if qid in payloads or qid in whys:
            payloads.pop(qid, None)
            whys[qid] = "the hidden test ran more than once"
            continue
        if isinstance(e.get("payload"), dict):
            payloads[qid] = e["payload"]
        else:
            whys[qid] = e.get("why") or ""
    return payloads, whys


def _verdict(question, payload, answer_missing: bool, run_status: str, inputs=None, why: str | None = None):
    if payload is None:
        if answer_missing or run_status == "unreadable":
            return question.verdict(Status.NOT_ATTEMPTED, "no answer found in the submission")
        if why:
            return question.verdict(Status.FAIL, why)
        why = "the notebook stopped before this check" if run_status != "ok" else "the check did not run"
        return question.verdict(Status.FAIL, why)
    status = payload.get("status")
    message = sanitise(payload.get("message", ""))
    if status == "not_attempted":
        return question.verdict(Status.NOT_ATTEMPTED, message)
    if status == "fail":
        return question.verdict(Status.FAIL, message)
    try:
        data = probe.decode(payload.get("data"))
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return question.verdict(Status.FAIL, "the answer could not be read")
    return question.assess(data, inputs)


def sanitise(text, limit: int = 200) -> str:
    """Text that came from the kernel, made safe for feedback: one line of printable characters,
    at most ``limit`` long (a kernel's message can carry anything its code could read)."""
    text = "".join(c if c.isprintable() else " " for c in str(text))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _execute(answers, settings: Settings, inputs: dict | None = None) -> Run:
    """Run the composed notebook in a worker process.

    The composed notebook stays in a folder only the worker reads; the kernel shares just
    ``conn`` with it (connection file and sockets). Results come back on the worker's stdout."""
    from .limits import make_shared, remove_shared
    from .sandbox import kernel_uid

    nonce, key = secrets.token_hex(8), secrets.token_hex(32)
    # the composed notebook, for the worker only; named like the shared folders, so a later run
    # sweeps it away if this grader is killed
    private = Path(tempfile.mkdtemp(prefix=f"{limits.PREFIX}{os.getpid()}-private-"))
    # shared with the kernel: a small tmpfs of its own when root; its cgroup is named after it
    conn = make_shared(kernel_uid() if settings.sandbox else None)
    cgroup = _cgroup(settings, conn)
    try:
        notebook = private / "submission.ipynb"
        nbformat.write(compose(settings.bundle, answers, nonce, load_lab(settings.lab), inputs), notebook)
        proc = subprocess.Popen(
            _worker_command(settings, notebook, conn, nonce),
            cwd=private,
            env=_worker_env(settings),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        assert proc.stdin is not None and proc.stdout is not None  # both are pipes (PIPE above)
        reader = EventReader(proc.stdout, key.encode("ascii"))
        reader.start()
        proc.stdin.write(key.encode("ascii") + b"\n")
        proc.stdin.close()
        status = _watch(proc, settings, cgroup, conn)
        reader.join(timeout=5)  # the pipe closes with the worker; never wait past that
        return _run_of(status, list(reader.events), reader.overflow, settings)
    finally:
        shutil.rmtree(private, ignore_errors=True)
        cgroup.remove()  # ends whatever is left in it
        remove_shared(conn)


def _cgroup(settings: Settings, conn: Path):
    """The submission's cgroup (memory and tasks), or the one line saying what is not limited."""
    from .limits import Cgroup, task_limit, warn_once

    tasks = task_limit(settings.max_processes, settings.kernel_threads())
    cgroup = Cgroup.create(conn.name, settings.memory_mb * 2**20, tasks)
    if cgroup.missing():
        warn_once(
            "labtools grade: no cgroup can be made here (cgroup v2 with memory and pids delegated, or v1 as "
            f"root): {' and '.join(cgroup.missing())} are not limited; memory is polled as resident plus tmpfs"
        )
    return cgroup


def _worker_command(settings: Settings, notebook: Path, conn: Path, nonce: str) -> list[str]:
    cmd = [sys.executable, "-m", "labtools.grading.worker", str(notebook), "--nonce", nonce, "--conn", str(conn)]
    cmd += ["--cell-cpu", str(settings.cell_timeout * settings.kernel_threads())]
    cmd += ["--cell-wall", str(settings.cell_wall())]
    if settings.sandbox:
        cmd.append("--sandbox")
    elif settings.isolate_network:
        cmd.append("--isolate-network")
    return cmd


def _worker_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "LABTOOLS_FAST": "1",
        "PYTHONHASHSEED": "0",
        "MPLBACKEND": "Agg",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        GRADING_ENV: "1",
        **thread_env(settings.kernel_threads()),
    }


def _run_of(status: str, events: list[dict], overflow: bool, settings: Settings) -> Run:
    """The run's status from how the worker ended and what it reported."""
    if overflow:
        events.append({"event": "note", "text": "the grader stopped reading results past its size limit"})
    wall = status == "wall timeout" or any(e.get("limit") == "wall" for e in events)
    if status == "wall timeout":
        status = "timeout"
        seconds = round(settings.submission_wall())
        events.append({"event": "note", "text": f"the submission was still running after {seconds} s and was stopped"})
    elif status == "ok" and not any(e.get("event") == "done" for e in events):
        if any(e.get("event") == "stopped" for e in events):
            status = "timeout"
        else:
            status = "kernel died" if any(e.get("event") == "died" for e in events) else "worker failed"
    return Run(events, status, wall)


# one event line holds one probe result (at most probe.PAYLOAD_MAX characters, escaped once more
# inside the event's JSON); a submission sends one per question
EVENT_LINE_MAX = 3 * probe.PAYLOAD_MAX
EVENTS_MAX_BYTES = 64 * 2**20


class EventReader(threading.Thread):
    """Reads signed event lines from the worker's stdout, with a size cap; unsigned lines are
    ignored. A daemon thread, so an endless stream can never hold the grader."""

    def __init__(self, stream, key: bytes):
        super().__init__(daemon=True)
        self.stream, self.key = stream, key
        self.events: list[dict] = []
        self.overflow = False

    def run(self) -> None:
        total = 0
        try:
            while True:
                line = self.stream.readline(EVENT_LINE_MAX)
                if not line:
                    return
                total += len(line)
                if total > EVENTS_MAX_BYTES:
                    self.overflow = True
                    return
                event = parse_event(line.decode("utf-8", errors="replace").rstrip("\n"), self.key)
                if event is not None:
                    self.events.append(event)
        except (OSError, ValueError):
            return
        finally:
            try:
                self.stream.close()
            except OSError:
                pass


def parse_event(line: str, key: bytes) -> dict | None:
    """One signed event line (``signature json``), or None if unsigned or malformed."""
    from .signing import mac

    signature, _, text = line.partition(" ")
    if not hmac.compare_digest(signature, mac(text.encode("utf-8"), key)):
        return None
    try:
        event = json.loads(text)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


def thread_env(threads: int) -> dict[str, str]:
    """Environment variables that give a kernel's TensorFlow and OpenMP this many threads."""
    n = str(threads)
    return {"TF_NUM_INTRAOP_THREADS": n, "TF_NUM_INTEROP_THREADS": n, "OMP_NUM_THREADS": n}


def _watch(proc, settings: Settings, cgroup=None, conn: Path | None = None) -> str:
    """Wait for the worker, enforcing the submission's limits: CPU time, then the wall-clock
    backstop ("wall timeout"), processes and memory. In a cgroup (:mod:`.limits`) the operating
    system holds memory and tasks to their limits, and this notices when it did (an OOM kill, a
    refused process or thread); what no cgroup limits is polled: resident memory plus tmpfs
    usage, and the shared folder's size where it is not a tmpfs of its own."""
    import psutil

    from .limits import shared_usage
    from .sandbox import tmpfs_usage

    if cgroup is not None:
        cgroup.add(proc.pid)  # the worker also joins it itself, before it starts the kernel
    deadline = time.monotonic() + settings.submission_wall()
    cpu_limit = settings.submission_timeout * settings.kernel_threads()
    limit = settings.memory_mb * 2**20
    polled = cgroup is None or cgroup.memory is None

    def enforced() -> str | None:
        if cgroup is not None and cgroup.oom_kills():
            return "memory limit"
        if cgroup is not None and cgroup.tasks_refused():
            return "process limit"
        return None

    try:
        parent = psutil.Process(proc.pid)
    except psutil.Error:  # the worker is gone already
        proc.wait()
        return enforced() or "ok"
    while proc.poll() is None:
        if time.monotonic() > deadline:
            _kill_tree(parent, cgroup)
            return "wall timeout"
        if tree_cpu_seconds(parent) > cpu_limit:
            _kill_tree(parent, cgroup)
            return "timeout"
        tree = process_tree(parent)
        used = shared_usage(conn) if conn is not None else 0
        if polled:
            used += tree_rss(parent) + tmpfs_usage([p.pid for p in tree])
        status = enforced() or ("process limit" if len(tree) > settings.max_processes else None)
        status = status or ("memory limit" if used > limit else None)
        if status:
            _kill_tree(parent, cgroup)
            return status
        time.sleep(0.2)
    status = enforced() or "ok"  # e.g. the OOM killer ended the kernel and the worker reported it
    _kill_tree(parent, cgroup)  # a kernel left behind by a crashed worker
    return status


def _kill_tree(parent, cgroup=None) -> None:
    """Kill the worker and its descendants, then whatever else is left in its cgroup."""
    kill_tree(parent, wait=5)
    if cgroup is not None:
        cgroup.kill(timeout=5)


# -- many submissions -------------------------------------------------------------------------


def find_notebooks(paths: list[Path], warn=print) -> list[Path]:
    """The notebooks to grade: files as given, folders searched (checkpoints skipped).

    Nothing is followed or opened: a symlink (to a file or a folder) or anything else that is not
    a regular file is listed as it is, and its row says why it is unreadable; a folder that
    cannot be listed is skipped with a warning. ``warn`` gets one printable line each."""
    from .files import printable

    found: list[Path] = []
    for p in map(Path, paths):
        try:
            mode = os.lstat(p).st_mode
        except FileNotFoundError:
            warn(f"labtools grade: {printable(p)} does not exist; skipped")
            continue
        except OSError as exc:
            warn(f"labtools grade: cannot look at {printable(p)} ({exc.strerror}); skipped")
            continue
        if stat.S_ISDIR(mode):
            found += _walk(p, warn)
            continue
        if stat.S_ISLNK(mode) and _points_to_folder(p):
            warn(
                f"labtools grade: {printable(p)} is a symlink to a folder; not followed "
                "(to grade that folder, name it rather than the link)"
            )
        found.append(p)
    return found


def _walk(root: Path, warn) -> list[Path]:
    """The ``*.ipynb`` entries under ``root`` and every symlink to a folder, sorted; folders are
    entered only when they are folders themselves, never through a symlink."""
    from .files import printable

    found: list[Path] = []
    folders = [root]
    while folders:  # a stack, not recursion: a folder 10,000 deep is just long
        folder = folders.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as exc:
            warn(f"labtools grade: cannot list {printable(folder)} ({exc.strerror}); skipped")
            continue
        for entry in entries:
            if entry.name == ".ipynb_checkpoints":
                continue
            path = Path(entry.path)
            try:
                link, folder_entry = entry.is_symlink(), entry.is_dir(follow_symlinks=False)
            except OSError:
                link, folder_entry = False, False
            if link:
                if entry.name.endswith(".ipynb") or _points_to_folder(path):
                    found.append(path)
            elif folder_entry:
                folders.append(path)
            elif entry.name.endswith(".ipynb"):
                found.append(path)  # a regular file, or a FIFO, socket or device: its row says so
    return sorted(found)


def _points_to_folder(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)  # stat only: nothing is opened
    except (OSError, ValueError):
        return False


def _unreadable(path: Path, sid: str, settings: Settings, why: str) -> dict:
    """The row of a submission that is not a regular file: unreadable, found before any kernel."""
    lab = load_lab(settings.lab)
    result = SubmissionResult(id=sid, file=str(path), lab=lab.number, status="unreadable", notes=[why])
    for qid, q in lab.questions.items():
        verdict = _verdict(q, None, False, "unreadable")
        result.questions[qid] = QuestionResult(
            q.title, verdict.status.value, verdict.points, q.points, verdict.message[:300]
        )
    return result.finish(lab.max_points, 0.0).to_dict()


def grade_all(
    paths: list[Path],
    settings: Settings,
    progress: bool = True,
    *,
    ids: dict[Path, str] | None = None,
    regrade: frozenset[str] | set[str] = frozenset(),
    key: bytes | None = None,
    write: bool = True,
) -> list[dict]:
    """Grade ``paths`` (resuming from ``OUT/results``) and write the gradebook; returns the rows.

    ``ids`` names each path's row (default :func:`submission_ids`; a roster names them by
    student); ids in ``regrade`` are graded even when unchanged. With ``key`` each result file is
    signed (see signing.py) and a stored result is reused only when its signature checks out.
    With ``write=False`` no gradebook is written: a shard, or a roster run, writes its own."""
    from tqdm.auto import tqdm

    from .files import printable

    results_dir = settings.out / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    ids = ids if ids is not None else submission_ids(paths)
    done = {}
    for path, sid in ids.items():
        previous = None if sid in regrade else _previous(results_dir / f"{sid}.json", path, settings.lab, key)
        if previous:
            done[sid] = previous
    todo = [(path, sid) for path, sid in ids.items() if sid not in done]
    bar = tqdm(total=len(ids), initial=len(done), desc=f"grading lab {settings.lab}", unit="nb", disable=not progress)
    with ThreadPoolExecutor(max_workers=max(1, settings.jobs)) as pool:
        for sid, result in pool.map(lambda item: _grade_and_keep(item[0], item[1], settings, key), todo):
            done[sid] = result
            bar.update(1)
    bar.close()
    ordered = [done[sid] for sid in ids.values()]
    if write:
        from .gradebook import with_manual

        rows, manual_problems = with_manual(ordered, settings)
        for line in manual_problems:
            print(f"labtools grade: {printable(line)}", file=sys.stderr)
        for problem in write_gradebook(rows, settings):
            where = printable(results_dir)
            print(
                f"labtools grade: could not write {printable(problem)}; the results are kept in {where}",
                file=sys.stderr,
            )
    return ordered


def _grade_and_keep(path: Path, sid: str, settings: Settings, key: bytes | None) -> tuple[str, dict]:
    """One row, whatever happens (a grader error is a row too), signed with ``key`` and written to
    ``OUT/results/<id>.json`` at once."""
    from .signing import sign
    from .submission import not_regular, submission_digest

    try:
        why = not_regular(path)  # a symlink, FIFO, device or folder: never opened, never followed
        result = _unreadable(path, sid, settings, why) if why else grade_one(path, sid, settings)
    except Exception as exc:  # never lose a row, whatever happened
        result = SubmissionResult(
            id=sid,
            file=str(path),
            lab=settings.lab,
            sha256=submission_digest(path),  # the file this row is for, so a merge can check it is unchanged
            status="grader error",
            notes=[f"{type(exc).__name__}: {exc}"[:300]],
            max=load_lab(settings.lab).max_points,
        ).to_dict()
    if key is not None:
        result = sign(result, key)
    try:
        write_atomic(settings.out / "results" / f"{sid}.json", json.dumps(result, indent=1))
    except OSError as exc:  # the row stays in this run's gradebook; a rerun grades it again
        result.setdefault("notes", []).append(f"its result file could not be written ({exc.strerror})")
    return sid, result


def _previous(path: Path, submission: Path, lab: str, key: bytes | None = None) -> dict | None:
    """The stored result of ``submission`` when it can be kept: the file unchanged (its digest
    read as grading reads it, never through a symlink or from a FIFO), the same lab, and with a
    key a valid signature."""
    from .signing import verify
    from .submission import submission_digest

    try:
        result = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(result, dict):
        return None
    digest = submission_digest(submission)
    if not digest:  # not a regular file now: graded again (at once, no kernel)
        return None
    if key is not None and not verify(result, key):
        return None
    if result.get("sha256") == digest and result.get("lab") == lab and result.get("status") != "grader error":
        return result
    return None
