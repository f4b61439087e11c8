"""Run one composed notebook in a fresh, sandboxed kernel and stream what the probes report.

    python -m labtools.grading.worker NOTEBOOK --nonce N --conn DIR [--cell-cpu S] [--cell-wall S]
                                      [--sandbox | --isolate-network]

Started by the runner in its own process. The signing key arrives on standard input. Every
hidden-test result goes back to the runner as one signed JSON line on the worker's standard
output (an inherited pipe) the moment its cell finishes, so points earned before a crash or a
kill are kept. The kernel cannot name that pipe: before the kernel starts, the worker keeps a
private copy of it and points its own standard input and output at /dev/null, which is all the
kernel inherits. With ``--sandbox`` the kernel runs in bubblewrap (:mod:`.sandbox`); it sees
only ``--conn DIR`` (its connection file and sockets), never NOTEBOOK's folder.

Limits: a cell is stopped when the kernel's process tree has used ``--cell-cpu`` seconds of CPU
time in it (an endless loop burns CPU; a slow import on a busy machine mostly waits, so load
does not change a grade). ``--cell-wall`` seconds of wall-clock time is only a backstop for
code that waits without end (``sleep``, ``input()``): it stops a cell that has run that long
and is not computing; HARD_WALL_FACTOR times as long stops any cell. The runner's own deadline bounds the
whole submission.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from jupyter_core.utils import ensure_async
from nbclient import NotebookClient

from .probe import MIME, PAYLOAD_MAX, read_payload
from .processes import kill_tree, tree_cpu_seconds
from .signing import mac

SETUP_ALLOWANCE_S = 180  # CPU seconds for the setup cell and the grader's cells, whatever --cell-cpu says
KERNEL_START_S = 300  # wall-clock seconds a kernel may take to start (a busy machine starts slowly)
CPU_POLL_S = 0.25
IDLE_WINDOW_S = 5.0  # a cell that used under 5% of a core this long is waiting, not computing
HARD_WALL_FACTOR = 4  # nbclient's own timeout: this many times the waiting limit, whatever the cell does
OUTPUT_NOTE_BYTES = 10 * 2**20  # past this much printed output, the feedback says it was discarded


def _output_size(content: dict) -> int:
    if "text" in content:
        return len(content["text"])
    data = content.get("data") or {}
    return sum(len(v) if isinstance(v, str) else 64 for v in data.values()) + len(str(content.get("traceback", "")))


class GradingClient(NotebookClient):
    """A NotebookClient that keeps only the probes' outputs and limits each cell's CPU time.

    Everything the submission prints is counted and dropped on arrival, so a cell printing
    without end cannot fill the worker's memory (the output limit). While a cell runs, a watch
    reads the CPU time of the kernel's process tree; past the cell's limit it interrupts the
    kernel, and if the cell still burns CPU after that, it kills the kernel."""

    def __init__(self, *args: Any, limits_of=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.output_bytes = 0
        self.interrupted_cells: set[int] = set()
        self.cpu_stopped: dict[int, float] = {}  # cell index -> the CPU limit it went past
        self.idle_stopped: dict[int, float] = {}  # cell index -> the seconds it had waited
        self.cpu_killed = False
        self.idle_killed = False
        self.limits_of = limits_of  # cell -> (CPU seconds, wall-clock seconds of waiting)

    def _kernel_process(self):
        import psutil

        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        try:
            return psutil.Process(process.pid) if process is not None else None
        except psutil.Error:
            return None

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        kernel = self._kernel_process() if self.limits_of else None
        watch = None
        if kernel is not None and self.limits_of is not None:
            watch = asyncio.ensure_future(self._watch(kernel, cell_index, *self.limits_of(cell)))
        try:
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        finally:
            if watch is not None:
                watch.cancel()

    async def _watch(self, kernel, cell_index: int, cpu_limit: float, wall: float) -> None:
        """Interrupt the cell past its CPU limit (and end the kernel if it burns on), or once it
        has run ``wall`` seconds and is waiting, not computing: it used less than 5% of a core
        in the last IDLE_WINDOW_S. A cell that computes slowly on a busy machine is left alone."""
        start, began = tree_cpu_seconds(kernel), time.monotonic()
        grace = max(5.0, 0.25 * cpu_limit)  # time to unwind after the interrupt
        samples: list[tuple[float, float]] = []
        idle_since = 0.0
        while True:
            await asyncio.sleep(CPU_POLL_S)
            now, used = time.monotonic(), tree_cpu_seconds(kernel) - start
            samples = [(t, u) for t, u in samples if t >= now - IDLE_WINDOW_S] + [(now, used)]
            stopped = cell_index in self.cpu_stopped or cell_index in self.idle_stopped
            if used > cpu_limit and not stopped:
                self.cpu_stopped[cell_index] = cpu_limit
                await ensure_async(self.km.interrupt_kernel())  # type: ignore[union-attr]
            elif cell_index in self.cpu_stopped and used > cpu_limit + grace:
                self.cpu_killed = True  # it ignored the interrupt and goes on burning
                kill_tree(kernel)
                return
            elif not stopped and now - began > wall and used - samples[0][1] < 0.05 * IDLE_WINDOW_S:
                self.idle_stopped[cell_index] = wall
                idle_since = now
                await ensure_async(self.km.interrupt_kernel())  # type: ignore[union-attr]
            elif cell_index in self.idle_stopped and now - idle_since > grace:
                self.idle_killed = True  # the interrupt was not answered (a kernel its own code broke)
                kill_tree(kernel)
                return

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        if msg.get("msg_type") == "error" and content.get("ename") == "KeyboardInterrupt":
            self.interrupted_cells.add(cell_index)
        data = content.get("data") or {}
        if msg.get("msg_type") in ("display_data", "execute_result") and MIME in data:
            hidden = str(self.nb.cells[cell_index].get("id", "")).startswith("hidden-")
            kept = sum(1 for o in outs if MIME in (o.get("data") or {}))
            if (
                hidden
                and kept < 2
                and len(data) == 1
                and isinstance(data[MIME], str)
                and len(data[MIME]) <= PAYLOAD_MAX
            ):
                # a result (read_payload takes exactly one; a second is kept to say there were more)
                return super().output(outs, msg, display_id, cell_index)
        self.output_bytes += _output_size(content)
        return None


def network_isolation_available() -> bool:
    """True when `unshare -n` can give the kernel a network namespace with no interfaces up."""
    if not sys.platform.startswith("linux") or not shutil.which("unshare"):
        return False
    try:
        return subprocess.run(["unshare", "-n", "--", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _kernel_spec(private: Path, conn: Path, sandboxed: bool, isolate: bool) -> str:
    """A kernelspec running this Python: in the sandbox, or in a new network namespace. This
    worker first joins the cgroup the runner made for its submission, so the kernel starts in it."""
    from .limits import join

    join(conn.name)  # the runner's cgroup for this submission (if any), before the kernel starts
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    if sandboxed:
        from .sandbox import command

        argv = command(conn, argv)  # the launcher: bwrap as nobody, no environment, seccomp
    elif isolate:
        argv = ["unshare", "-n", "--", *argv]
    spec_dir = private / ".jupyter" / "kernels" / "labtools-grader"
    spec_dir.mkdir(parents=True, exist_ok=True)
    (spec_dir / "kernel.json").write_text(
        json.dumps(
            # "message": interrupt through the kernel's control channel; a signal to bwrap would end the sandbox
            {"argv": argv, "display_name": "labtools grader", "language": "python", "interrupt_mode": "message"}
        )
    )
    os.environ["JUPYTER_PATH"] = str(private / ".jupyter") + os.pathsep + os.environ.get("JUPYTER_PATH", "")
    return "labtools-grader"


def _die_with_parent() -> None:
    """Linux: end this worker (and so its sandboxed kernel) if the runner is killed, even by -9."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _private_channel():
    """The pipe to the runner, on a descriptor no child inherits; fds 0 and 1 become /dev/null."""
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")  # os.dup: not inheritable (PEP 446)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the worker
    return channel


@dataclass(frozen=True)
class Job:
    """One worker's settings, from its command line."""

    notebook: Path
    nonce: str
    cell_cpu: float  # CPU seconds a student's cell may use
    cell_wall: float  # wall-clock seconds a student's cell may wait
    conn: Path  # the folder shared with the kernel
    sandboxed: bool
    isolate: bool

    def limits_of(self, cell) -> tuple[float, float]:
        """(CPU seconds, wall-clock seconds of waiting) for one cell. The setup cell (importing
        TensorFlow) has its own allowance: it is not the student's code. The grader's cells run
        the student's code (a hidden test calls their functions), so they have a student cell's
        limits: a submission that makes them wait cannot stretch them."""
        setup = "setup" in cell.get("metadata", {}).get("tags", []) or "start_lab(" in cell.get("source", "")
        cpu = max(self.cell_cpu, SETUP_ALLOWANCE_S) if setup else self.cell_cpu
        return cpu, cpu * (self.cell_wall / self.cell_cpu if self.cell_cpu else 1)


class Channel:
    """Signed event lines to the runner."""

    def __init__(self, stream, key: bytes) -> None:
        self.stream, self.key = stream, key

    def emit(self, **event) -> None:
        text = json.dumps(event)
        self.stream.write(mac(text.encode("utf-8"), self.key) + " " + text + "\n")
        self.stream.flush()


class Reporter:
    """After each cell: its probe result (a hidden test's one result) and the limits it hit, sent
    at once, so points earned before a crash or a kill are kept; then its outputs are dropped."""

    def __init__(self, job: Job, channel: Channel) -> None:
        self.job, self.channel = job, channel
        self.client: GradingClient | None = None
        self.noted_output = False

    def __call__(self, cell, cell_index, execute_reply=None, **_) -> None:
        client, emit = self.client, self.channel.emit
        assert client is not None  # set before the notebook runs
        cid = cell.get("id", "")
        if cid.startswith("hidden-"):
            qid = cid.split("-")[1]
            payload, why = read_payload(cell, self.job.nonce, qid)
            emit(event="result", qid=qid, payload=payload, why=why)
        if cell_index in client.cpu_stopped:
            seconds = round(client.cpu_stopped[cell_index])
            emit(event="note", limit="cpu", text=f"a cell used more than {seconds} s of CPU time and was stopped")
        elif cell_index in client.idle_stopped:
            seconds = round(client.idle_stopped[cell_index])
            emit(event="note", limit="wall", text=f"a cell was still waiting after {seconds} s and was stopped")
        elif cell_index in client.interrupted_cells:
            seconds = round(HARD_WALL_FACTOR * self.job.limits_of(cell)[1])
            emit(event="note", limit="wall", text=f"a cell was still running after {seconds} s and was stopped")
        cell["outputs"] = []
        if client.output_bytes > OUTPUT_NOTE_BYTES and not self.noted_output:
            self.noted_output = True
            megabytes = OUTPUT_NOTE_BYTES // 2**20
            emit(event="note", text=f"the notebook printed more than {megabytes} MB; the grader discarded it")


def _kernel_manager(job: Job):
    from jupyter_client.manager import AsyncKernelManager

    kernel = _kernel_spec(job.notebook.parent, job.conn, job.sandboxed, job.isolate)
    # the async manager matters: with the blocking one nbclient never gets to interrupt a cell
    ipc = job.sandboxed or job.isolate  # no network inside: the kernel's sockets are files in conn
    km = AsyncKernelManager(kernel_name=kernel, transport="ipc" if ipc else "tcp")
    km.connection_file = str(job.conn / "kernel.json")
    if ipc:
        km.ip = str(job.conn / "kernel-ipc")
    return km


def run(job: Job, channel: Channel) -> int:
    """Run the composed notebook, reporting each hidden test's result and each limit as it goes."""
    reporter = Reporter(job, channel)
    client = GradingClient(
        nbformat.read(job.notebook, as_version=4),
        km=_kernel_manager(job),
        limits_of=job.limits_of,
        timeout_func=lambda cell: round(HARD_WALL_FACTOR * job.limits_of(cell)[1]),
        startup_timeout=KERNEL_START_S,
        interrupt_on_timeout=True,
        allow_errors=True,
        resources={"metadata": {"path": str(job.conn)}},
        on_cell_executed=reporter,
    )
    reporter.client = client
    channel.emit(event="start", isolated=job.sandboxed or job.isolate, sandboxed=job.sandboxed)
    try:
        client.execute()
    except Exception as exc:  # noqa: BLE001 - whatever ended the run, the runner keeps the row
        channel.emit(**_ending(client, exc))
        return 0
    channel.emit(event="done")
    return 0


def _ending(client: GradingClient, exc: Exception) -> dict:
    """The event that says why a run ended before its last cell."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    if isinstance(exc, DeadKernelError):
        if client.cpu_killed:
            return dict(
                event="stopped", limit="cpu", text="a cell went on using CPU after it was stopped; the kernel was ended"
            )
        if client.idle_killed:
            return dict(
                event="stopped",
                limit="wall",
                text="a waiting cell did not answer when it was stopped; the kernel was ended",
            )
        return dict(event="died", text="the kernel died (a crash, os._exit or running out of memory)")
    if isinstance(exc, CellTimeoutError):
        return dict(event="stopped", limit="wall", text="a cell did not stop after its time limit")
    return dict(event="died", text=f"execution stopped: {type(exc).__name__}: {str(exc)[:200]}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("notebook", type=Path)
    p.add_argument("--nonce", required=True)
    p.add_argument("--conn", type=Path, required=True, help="folder shared with the kernel")
    p.add_argument("--cell-cpu", type=float, default=120, help="CPU seconds a cell may use")
    p.add_argument("--cell-wall", type=float, default=480, help="wall-clock seconds a cell may take (a backstop)")
    p.add_argument("--sandbox", action="store_true")
    p.add_argument("--isolate-network", action="store_true")
    a = p.parse_args(argv)
    _die_with_parent()
    key = sys.stdin.readline().strip().encode("ascii")
    if not key:
        print("labtools.grading.worker: expected the signing key on standard input", file=sys.stderr)
        return 2
    channel = Channel(_private_channel(), key)
    job = Job(a.notebook, a.nonce, a.cell_cpu, a.cell_wall, a.conn, a.sandbox, a.isolate_network)
    return run(job, channel)


if __name__ == "__main__":
    sys.exit(main())
