"""Run one composed notebook in a fresh, sandboxed kernel and stream what the probes report.

    python -m labtools.grading.worker NOTEBOOK --nonce N --conn DIR [--cell-timeout S]
                                      [--sandbox | --isolate-network]

Started by the runner in its own process. The signing key arrives on standard input. Every
hidden-test result goes back to the runner as one signed JSON line on the worker's standard
output (an inherited pipe) the moment its cell finishes, so points earned before a crash or a
kill are kept. The kernel cannot name that pipe: before the kernel starts, the worker keeps a
private copy of it and points its own standard input and output at /dev/null, which is all the
kernel inherits. With ``--sandbox`` the kernel runs in bubblewrap (:mod:`.sandbox`); it sees
only ``--conn DIR`` (its connection file and sockets), never NOTEBOOK's folder.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

from .probe import MIME, read_payloads

SETUP_ALLOWANCE_S = 180  # the setup cell and the grader's cells, whatever --cell-timeout says
OUTPUT_NOTE_BYTES = 10 * 2**20  # past this much printed output, the feedback says it was discarded


def _output_size(content: dict) -> int:
    if "text" in content:
        return len(content["text"])
    data = content.get("data") or {}
    return sum(len(v) if isinstance(v, str) else 64 for v in data.values()) + len(str(content.get("traceback", "")))


class GradingClient(NotebookClient):
    """A NotebookClient that keeps only the probes' outputs. Everything else the submission
    prints is counted and dropped on arrival, so a cell printing without end cannot fill the
    worker's memory (the output limit)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.output_bytes = 0
        self.interrupted_cells: set[int] = set()

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        if msg.get("msg_type") == "error" and content.get("ename") == "KeyboardInterrupt":
            self.interrupted_cells.add(cell_index)
        if msg.get("msg_type") in ("display_data", "execute_result") and MIME in (content.get("data") or {}):
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
    """A kernelspec running this Python: in the sandbox, or in a new network namespace."""
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    if sandboxed:
        from .sandbox import command

        argv = command(conn, argv)
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


def sign(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def run(
    notebook: Path, channel, nonce: str, cell_timeout: int, key: bytes, conn: Path, sandboxed: bool, isolate: bool
) -> int:
    from jupyter_client.manager import AsyncKernelManager
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    nb = nbformat.read(notebook, as_version=4)

    def emit(**event):
        text = json.dumps(event)
        channel.write(sign(key, text) + " " + text + "\n")
        channel.flush()

    noted_output = False

    def on_cell_executed(cell, cell_index, execute_reply=None, **_):
        nonlocal noted_output
        cid = cell.get("id", "")
        if cid.startswith("hidden-"):
            qid = cid.split("-")[1]
            payload = read_payloads(cell, nonce, qid)
            emit(event="result", qid=qid, payload=payload)
        elif cell_index in client.interrupted_cells:
            emit(event="note", text=f"a cell ran longer than {cell_timeout} s and was stopped")
        cell["outputs"] = []
        if client.output_bytes > OUTPUT_NOTE_BYTES and not noted_output:
            noted_output = True
            emit(
                event="note",
                text=f"the notebook printed more than {OUTPUT_NOTE_BYTES // 2**20} MB; the grader discarded it",
            )

    kernel = _kernel_spec(notebook.parent, conn, sandboxed, isolate)
    # the async manager matters: with the blocking one nbclient never gets to interrupt a cell
    ipc = sandboxed or isolate  # no network inside: the kernel's sockets are files in conn
    km = AsyncKernelManager(kernel_name=kernel, transport="ipc" if ipc else "tcp")
    km.connection_file = str(conn / "kernel.json")
    if ipc:
        km.ip = str(conn / "kernel-ipc")

    def timeout_of(cell):
        """Setup (importing TensorFlow) and the grader's own cells have their own allowance: a slow
        import on a busy machine is not the student's runaway code."""
        own = "setup" in cell.get("metadata", {}).get("tags", []) or "start_lab(" in cell.get("source", "")
        own = own or cell.get("metadata", {}).get("labtools", {}).get("grader") is True
        return max(cell_timeout, SETUP_ALLOWANCE_S) if own else cell_timeout

    client = GradingClient(
        nb,
        km=km,
        timeout_func=timeout_of,
        interrupt_on_timeout=True,
        allow_errors=True,
        resources={"metadata": {"path": str(conn)}},
        on_cell_executed=on_cell_executed,
    )
    emit(event="start", isolated=ipc, sandboxed=sandboxed)
    try:
        client.execute()
    except DeadKernelError:
        emit(event="died", text="the kernel died (a crash, os._exit or running out of memory)")
        return 0
    except CellTimeoutError:
        emit(event="died", text=f"a cell did not stop within {cell_timeout} s")
        return 0
    except Exception as exc:  # anything else: report it, the runner keeps the row
        emit(event="died", text=f"execution stopped: {type(exc).__name__}: {str(exc)[:200]}")
        return 0
    emit(event="done")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("notebook", type=Path)
    p.add_argument("--nonce", required=True)
    p.add_argument("--conn", type=Path, required=True, help="folder shared with the kernel")
    p.add_argument("--cell-timeout", type=int, default=120)
    p.add_argument("--sandbox", action="store_true")
    p.add_argument("--isolate-network", action="store_true")
    a = p.parse_args(argv)
    _die_with_parent()
    key = sys.stdin.readline().strip().encode("ascii")
    if not key:
        print("labtools.grading.worker: expected the signing key on standard input", file=sys.stderr)
        return 2
    channel = _private_channel()
    return run(a.notebook, channel, a.nonce, a.cell_timeout, key, a.conn, a.sandbox, a.isolate_network)


if __name__ == "__main__":
    sys.exit(main())
