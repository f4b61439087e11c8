"""What the operating system enforces for one submission: a cgroup and the folder its kernel writes.

**The cgroup.** Each submission's worker, and with it the kernel and everything the kernel
starts, runs in a cgroup of its own wherever this machine lets the grader make one: cgroup v2
(``memory.max``, ``pids.max``) where the grader's own cgroup can have children with those
controllers (a delegated subtree, or the root of the hierarchy), else cgroup v1's ``memory`` and
``pids`` hierarchies (root). The memory limit then counts everything the submission holds, not
only what its processes have resident: tmpfs files (its ``/tmp``, ``/dev/shm``, the shared
folder), a memfd, and the kernel's own memory for its files and folders (slab); past the limit
the OOM killer ends a kernel process (the launcher makes the kernel's processes its first
choice) and the runner ends the rest. ``pids.max`` counts threads as well as processes. Where
no cgroup can be made (no root and no delegation, another operating system), the runner keeps
polling resident memory and tmpfs usage and counts processes, and says once what it cannot limit.

**The shared folder.** The kernel writes its sockets in one folder the worker also sees. When
the grader is root it is a tmpfs of its own (a few MiB, a few hundred files, nosuid, nodev,
noexec) owned by the kernel's unprivileged user: nothing the kernel leaves there outlives the
unmount, it cannot fill a disk, and a set-user-ID file there means nothing. Otherwise it is a
private folder (mode 700) whose size the runner polls with the memory limit.

Nothing here raises: a limit that cannot be set is reported as missing instead.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PREFIX = "labtools-kernel-"  # the shared folders' names, and their cgroups'
SHARED_MB = 16  # the shared tmpfs: a connection file and five sockets need a few kB
SHARED_INODES = 256
SCAN_ENTRIES = 5000  # a plain shared folder with more entries than this counts as over the memory limit
MNT_DETACH = 2
MS_NOSUID, MS_NODEV, MS_NOEXEC = 2, 4, 8

_warned: set[str] = set()
_warn_lock = threading.Lock()


def warn_once(text: str) -> None:
    """Print one line on standard error, once per process."""
    with _warn_lock:
        if text in _warned:
            return
        _warned.add(text)
    print(text, file=sys.stderr)


# -- cgroups ------------------------------------------------------------------------------------


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _write(path: Path, text: str) -> bool:
    try:
        with open(path, "w") as f:
            f.write(text)
        return True
    except OSError:
        return False


def _counter(path: Path, key: str) -> int:
    """A ``key value`` line of a cgroup file (memory.events, pids.events, memory.oom_control)."""
    for line in _read(path).splitlines():
        name, _, value = line.partition(" ")
        if name == key and value.strip().isdigit():
            return int(value)
    return 0


def _hierarchies() -> list[tuple[str, Path]]:
    """(controllers, folder) of this process's cgroup in each mounted hierarchy: ``"v2"`` for the
    unified one, else the v1 controllers' names joined by commas (``"memory"``, ``"pids"``)."""
    if not sys.platform.startswith("linux"):
        return []
    own: dict[str, str] = {}
    for line in _read(Path("/proc/self/cgroup")).splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            own["v2" if parts[0] == "0" and parts[1] == "" else parts[1]] = parts[2]
    found = []
    for line in _read(Path("/proc/self/mountinfo")).splitlines():
        fields = line.split(" ")
        if " - " not in line or len(fields) < 5:
            continue
        root, point = fields[3], fields[4]
        fstype, _, options = line.split(" - ", 1)[1].partition(" ")
        if fstype == "cgroup2":
            key = "v2"
        elif fstype == "cgroup":
            names = [o for o in options.split(" ")[-1].split(",") if o in ("memory", "pids")]
            if not names:
                continue
            key = ",".join(names)
        else:
            continue
        path = own.get(key)
        if path is None or not (path == root or path.startswith(root.rstrip("/") + "/")):
            continue
        rel = path[len(root.rstrip("/")) :].lstrip("/")
        found.append((key, Path(point.replace("\\040", " ")) / rel))
    return found


class Cgroup:
    """One submission's cgroup: a folder per hierarchy (one for v2; v1's memory and pids)."""

    def __init__(self, memory: Path | None = None, pids: Path | None = None, v2: bool = False):
        self.memory, self.pids, self.v2 = memory, pids, v2

    @property
    def dirs(self) -> list[Path]:
        return list(dict.fromkeys(d for d in (self.memory, self.pids) if d is not None))

    def missing(self) -> list[str]:
        """What this cgroup does not limit, in words."""
        gaps = []
        if self.memory is None:
            gaps.append("memory outside resident memory and tmpfs (memfd, kernel slab)")
        if self.pids is None:
            gaps.append("threads")
        return gaps

    @classmethod
    def create(cls, name: str, memory_bytes: int, tasks: int) -> Cgroup:
        """A new cgroup ``name`` under this process's own, with the limits set; the controllers
        that cannot be had here are left out (see :meth:`missing`)."""
        group = cls()
        for key, parent in _hierarchies():
            if key == "v2":
                if group.memory is None and group.pids is None and _enable_v2(parent):
                    folder = _mkdir(parent / name)
                    if folder is not None:
                        group.memory = group.pids = folder
                        group.v2 = True
                        _write(folder / "memory.max", str(memory_bytes))
                        _write(folder / "memory.swap.max", "0")
                        _write(folder / "memory.oom.group", "1")
                        _write(folder / "pids.max", str(tasks))
                continue
            if "memory" in key and group.memory is None:
                folder = _mkdir(parent / name)
                if folder is not None and _write(folder / "memory.limit_in_bytes", str(memory_bytes)):
                    _write(folder / "memory.memsw.limit_in_bytes", str(memory_bytes))  # no swap past the limit
                    group.memory = folder
                elif folder is not None:
                    _rmdir(folder)
            if "pids" in key and group.pids is None:
                folder = group.memory if key == "memory,pids" else _mkdir(parent / name)
                if folder is not None and _write(folder / "pids.max", str(tasks)):
                    group.pids = folder
                elif folder is not None and folder != group.memory:
                    _rmdir(folder)
        return group

    @classmethod
    def find(cls, name: str) -> Cgroup:
        """The cgroup ``name`` that :meth:`create` made for this process (or its parent), if any."""
        group = cls()
        for key, own in _hierarchies():
            folder = own if own.name == name else own / name
            if not folder.is_dir():
                continue
            if key == "v2":
                group.memory = group.pids = folder
                group.v2 = True
            else:
                if "memory" in key:
                    group.memory = folder
                if "pids" in key:
                    group.pids = folder
        return group

    def add(self, pid: int) -> bool:
        """Move a process (all its threads) into the cgroup; True if every hierarchy took it."""
        return all([_write(d / "cgroup.procs", str(pid)) for d in self.dirs])

    def procs(self) -> set[int]:
        found: set[int] = set()
        for d in self.dirs:
            found |= {int(p) for p in _read(d / "cgroup.procs").split() if p.isdigit()}
        return found

    def oom_kills(self) -> int:
        """How many processes the OOM killer ended for going past the memory limit."""
        if self.memory is None:
            return 0
        if self.v2:
            return _counter(self.memory / "memory.events", "oom_kill")
        return _counter(self.memory / "memory.oom_control", "oom_kill")

    def tasks_refused(self) -> int:
        """How many times a new process or thread was refused for going past ``pids.max``."""
        return 0 if self.pids is None else _counter(self.pids / "pids.events", "max")

    def kill(self, timeout: float = 10) -> None:
        """SIGKILL everything in the cgroup, until it is empty or ``timeout`` has passed."""
        for d in self.dirs:
            if self.v2:
                _write(d / "cgroup.kill", "1")
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            procs = self.procs() - {os.getpid()}
            if not procs:
                return
            for pid in procs:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)

    def remove(self) -> None:
        """End what is left in the cgroup and delete it; never raises."""
        try:
            self.kill()
            for d in self.dirs:
                _rmdir(d)
        except Exception:  # noqa: BLE001 - cleanup must never stop the grader
            pass


def _mkdir(folder: Path) -> Path | None:
    try:
        folder.mkdir()
    except FileExistsError:
        pass
    except OSError:
        return None
    return folder


def _rmdir(folder: Path, timeout: float = 5) -> None:
    """A cgroup's folder goes once its last process has exited: retry a while."""
    end = time.monotonic() + timeout
    while folder.exists():
        try:
            folder.rmdir()
            return
        except OSError:
            if time.monotonic() > end:
                return
            time.sleep(0.05)


def _enable_v2(parent: Path) -> bool:
    """True when children of ``parent`` can have the memory and pids controllers."""
    wanted = {"memory", "pids"}
    if not wanted <= set(_read(parent / "cgroup.controllers").split()):
        return False
    if wanted <= set(_read(parent / "cgroup.subtree_control").split()):
        return True
    # only a cgroup without processes of its own can hand controllers down (the root excepted)
    return _write(parent / "cgroup.subtree_control", "+memory +pids")


def join(name: str) -> bool:
    """Put this process into the cgroup ``name`` that the runner made for it (before it starts
    the kernel, so nothing can begin outside it); True if there is one and it is in it."""
    group = Cgroup.find(name)
    return bool(group.dirs) and group.add(os.getpid())


def task_limit(max_processes: int, kernel_threads: int) -> int:
    """``pids.max``: the processes a submission may run, plus its threads (TensorFlow starts a few
    per core and per thread it is given) and the worker's and Jupyter's own."""
    return max_processes + 4 * ((os.cpu_count() or 1) + kernel_threads) + 64


# -- the folder shared with the kernel --------------------------------------------------------


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def make_shared(owner: int | None = None) -> Path:
    """A new folder for the kernel's connection file and sockets: a small tmpfs owned by
    ``owner`` when this process is root (see the module's text), else a private folder. Its
    name (``labtools-kernel-PID-...``) is also its cgroup's, and holds this process's id, so a
    later run can remove what a grader killed with -9 left behind (:func:`sweep`)."""
    sweep()
    folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
    os.chmod(folder, 0o700)
    if sys.platform.startswith("linux") and os.geteuid() == 0:
        uid = os.getuid() if owner is None else owner
        options = f"size={SHARED_MB}m,nr_inodes={SHARED_INODES},mode=0700,uid={uid},gid={uid}"
        done = _libc().mount(
            b"tmpfs", os.fsencode(folder), b"tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, options.encode()
        )
        if done != 0:
            warn_once(
                "labtools grade: could not mount a tmpfs for the kernels' shared folders "
                f"({os.strerror(ctypes.get_errno())}); their size is polled with the memory limit"
            )
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


_swept = False


def sweep() -> None:
    """Once per process: remove the shared folders (and their empty cgroups) of graders that
    are no longer running; never raises."""
    global _swept
    if _swept:
        return
    _swept = True
    try:
        places = [Path(tempfile.gettempdir())] + [folder for _, folder in _hierarchies()]
        for place in places:
            for entry in place.glob(f"{PREFIX}*"):
                pid, dash, _ = entry.name[len(PREFIX) :].partition("-")
                if not (dash and pid.isdigit()) or _alive(int(pid)) or not entry.is_dir():
                    continue
                if place.parts[:4] == ("/", "sys", "fs", "cgroup") or (entry / "cgroup.procs").exists():
                    _rmdir(entry, timeout=0)  # goes only if empty
                else:
                    remove_shared(entry)
    except Exception:  # noqa: BLE001 - tidying up must never stop the grader
        pass


def is_mount(folder: Path) -> bool:
    try:
        return os.path.ismount(folder)
    except OSError:
        return False


def shared_usage(folder: Path) -> int:
    """Bytes the kernel keeps in the shared folder, when it is not a tmpfs of its own (that one
    is capped and counted by the cgroup); a folder of more than SCAN_ENTRIES entries, or one too
    deep to walk, counts as 2**62 bytes: over any limit."""
    if is_mount(folder):
        return 0
    total, seen, stack = 0, 0, [folder]
    try:
        while stack:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    seen += 1
                    if seen > SCAN_ENTRIES:
                        return 2**62
                    st = entry.stat(follow_symlinks=False)
                    total += st.st_blocks * 512 + 1024  # its blocks, and about 1 KiB of inode and name
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
    except OSError as exc:
        return 2**62 if exc.errno == 36 else total  # ENAMETOOLONG: a chain too deep to walk
    return total


def remove_shared(folder: Path) -> None:
    """Delete the shared folder, whatever the kernel left in it (a 3000-deep chain of folders,
    a million files, files it made read-only); never raises."""
    try:
        if is_mount(folder):
            _libc().umount2(os.fsencode(folder), MNT_DETACH)
        _remove_tree(folder)
    except Exception:  # noqa: BLE001 - cleanup must never stop the grader
        pass


def _remove_tree(folder: Path) -> None:
    if not os.path.lexists(folder):
        return
    with contextlib.suppress(Exception):  # RecursionError and too many open files included
        shutil.rmtree(folder, ignore_errors=True)
    if os.path.lexists(folder) and shutil.which("rm"):
        # GNU rm walks any depth without recursion or a path per entry
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(
                ["rm", "-rf", "--one-file-system", "--", str(folder)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=120,
            )
