"""The sandbox each submission's kernel runs in: bubblewrap (``bwrap``) on Linux.

The kernel gets new user, pid, network, mount, ipc, uts and cgroup namespaces and runs as
``nobody`` (uid 65534) inside them. It sees:

* the operating system's ``/usr`` and a few files of ``/etc`` (libraries, fonts), read-only;
* the Python environment and the kernel side of ``labtools``, read-only: only the parts named in
  :data:`KERNEL_VISIBLE` (less :data:`HIDDEN_FROM_KERNEL`); the judges, the grader and the
  generator are covered by empty folders and files;
* a private ``/proc`` (its own processes only), a minimal ``/dev``;
* ``/tmp`` (its working directory and home) and ``/dev/shm``: private, size-limited tmpfs;
* one folder shared with the worker for the kernel's connection file and sockets.

It does not see the repository, solutions, instructor bundles, other submissions, the
gradebook, the grader's processes or the network. ``--die-with-parent`` and the pid
namespace end every process it started, daemons included, when the kernel is stopped.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

NOBODY = 65534
KERNEL_ENV = (
    "LABTOOLS_FAST",
    "LABTOOLS_GRADING",
    "PYTHONHASHSEED",
    "MPLBACKEND",
    "TF_CPP_MIN_LOG_LEVEL",
    "LANG",
    "LC_ALL",
    "OMP_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "CUDA_VISIBLE_DEVICES",
)
ETC_FILES = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "fonts",
    "localtime",
    "nsswitch.conf",
    "alternatives",
    "matplotlibrc",
)

# what of the labtools package a grading kernel sees: the kernel side of the checks
# (labtools/kernel) and the helpers the notebooks call. Everything else (the judges in labs/,
# judging.py and reference.py, the grader, the generator, compiled files) is covered: an empty
# read-only folder over a folder, an empty file over a file. Judge-side code is not in the sandbox.
KERNEL_VISIBLE = (
    "__init__.py",
    "kernel",
    "runtime.py",
    "checking.py",
    "datasets.py",
    "music.py",
    "mit.py",
    "lab1.py",
    "util.py",
    "sampling.py",
    "training.py",
    "data",
)
# files inside the visible folders the kernel must not read (the answers of a check's inputs);
# the judges read them outside
HIDDEN_FROM_KERNEL = ("data/mnist_held_out.npz",)  # lab 06's held-out MNIST images and labels


@dataclass(frozen=True)
class Limits:
    tmp_mb: int = 256  # /tmp: the kernel's working directory and home
    shm_mb: int = 64  # /dev/shm


class NoSandbox(RuntimeError):
    """No sandbox can start here; the message says why and what to do, in one line."""


def why_unavailable() -> str | None:
    """None when bwrap can start a sandbox here, else the reason in a few words."""
    if not sys.platform.startswith("linux"):
        return f"bubblewrap sandboxes need Linux (this is {sys.platform})"
    if not shutil.which("bwrap"):
        return "bubblewrap (bwrap) is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    try:
        probe = subprocess.run(command(Path("/"), ["/bin/true"]), capture_output=True, timeout=20)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"bwrap could not start ({type(exc).__name__})"
    if probe.returncode != 0:
        first = probe.stderr.decode(errors="replace").strip().splitlines()
        return "bwrap cannot create user namespaces here" + (f" ({first[0][:120]})" if first else "")
    return None


def require() -> None:
    reason = why_unavailable()
    if reason:
        raise NoSandbox(
            f"cannot sandbox the kernels: {reason}; fix that, or pass --no-sandbox to grade without "
            "isolation (the submissions can then read and write what you can)"
        )


def _python_roots() -> list[Path]:
    """Folders the kernel's Python needs: the interpreter, its environment and labtools."""
    roots = {Path(sys.base_prefix), Path(sys.prefix), Path(sys.executable).resolve().parent.parent, _labtools_dir()}
    # site folders only, never sys.path: it can hold the current folder or the repository root
    for p in [*site.getsitepackages(), site.getusersitepackages()]:
        if p and Path(p).is_dir():
            roots.add(Path(p).resolve())
    kept = sorted(r for r in roots if r != Path("/") and r.exists())
    return [r for r in kept if not any(r != o and o in r.parents for o in kept)]


def _labtools_dir() -> Path:
    import labtools

    return Path(labtools.__file__).resolve().parent


def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for name in ETC_FILES:
        if (Path("/etc") / name).exists():
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    return args


def command(shared: Path, argv: list[str], limits: Limits = Limits(), env: dict | None = None) -> list[str]:
    """``bwrap ... -- argv``: argv run sealed off, with ``shared`` (same path inside) writable."""
    args = [
        "bwrap",
        "--unshare-all",
        "--unshare-user",
        "--uid",
        str(NOBODY),
        "--gid",
        str(NOBODY),
        "--die-with-parent",
        "--new-session",
        "--disable-userns",
        "--cap-drop",
        "ALL",
        "--hostname",
        "sandbox",
        *_system_binds(),
    ]
    args += [
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--size",
        str(limits.shm_mb * 2**20),
        "--tmpfs",
        "/dev/shm",
        "--size",
        str(limits.tmp_mb * 2**20),
        "--tmpfs",
        "/tmp",
    ]
    for root in _python_roots():  # after the tmpfs, so an environment under /tmp stays visible
        args += ["--ro-bind", str(root), str(root)]
    args += judge_side_covers()  # after the labtools bind, so they cover its files
    if str(shared) != "/":
        args += ["--bind", str(shared), str(shared)]
    args += [
        "--chdir",
        "/tmp",
        "--clearenv",
        "--setenv",
        "HOME",
        "/tmp",
        "--setenv",
        "PATH",
        "/usr/bin:/bin",
        "--setenv",
        "MPLCONFIGDIR",
        "/tmp/.matplotlib",
        "--setenv",
        "PYTHONDONTWRITEBYTECODE",
        "1",
        "--setenv",
        "PYTHONPATH",
        str(_labtools_dir().parent),
    ]  # holds only labtools inside
    for key in KERNEL_ENV:
        value = (env or os.environ).get(key)
        if value is not None:
            args += ["--setenv", key, value]
    return [*args, "--", *argv]


def judge_side_covers(package: Path | None = None) -> list[str]:
    """bwrap arguments that cover every part of the labtools package a kernel must not see."""
    package = package or _labtools_dir()
    hidden = [p for p in sorted(package.iterdir()) if p.name not in KERNEL_VISIBLE]
    hidden += [package / name for name in HIDDEN_FROM_KERNEL]
    args: list[str] = []
    for path in hidden:
        if path.is_symlink() or not path.exists():
            continue
        if path.is_dir():
            args += ["--tmpfs", str(path), "--remount-ro", str(path)]
        else:
            args += ["--ro-bind", "/dev/null", str(path)]
    return args


def tmpfs_usage(pids: list[int]) -> int:
    """Bytes held in the sandboxes' /tmp and /dev/shm (tmpfs pages are in no process's RSS)."""
    seen, total = set(), 0
    host = {os.stat(p).st_dev for p in ("/tmp", "/dev/shm") if os.path.exists(p)}
    for pid in pids:
        for sub in ("tmp", "dev/shm"):
            path = f"/proc/{pid}/root/{sub}"
            try:
                dev = os.stat(path).st_dev
                if dev in seen or dev in host:
                    continue
                vfs = os.statvfs(path)
            except OSError:
                continue
            seen.add(dev)
            total += (vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize
    return total
