"""The sandbox each submission's kernel runs in: bubblewrap (``bwrap``) on Linux.

The kernel gets new user, pid, network, mount, ipc, uts and cgroup namespaces and runs as
``nobody`` (uid 65534) inside them. It sees:

* the operating system's ``/usr`` and a few files of ``/etc`` (libraries, fonts), read-only;
* the Python environment and the kernel side of ``labtools``, read-only: only the parts named in
  :data:`KERNEL_VISIBLE` (less :data:`HIDDEN_FROM_KERNEL`); the judges, the grader and the
  generator are covered by empty folders and files;
* a private ``/proc`` (its own processes only), a minimal ``/dev``;
* ``/tmp`` (its working directory and home) and ``/dev/shm``: private, size-limited tmpfs;
* one folder shared with the worker for the kernel's connection file and sockets (a small
  tmpfs of its own when the grader is root: see :mod:`.limits`).

It does not see the repository, solutions, instructor bundles, other submissions, the
gradebook, the grader's processes or the network. ``--die-with-parent`` and the pid
namespace end every process it started, daemons included, when the kernel is stopped.

bwrap is started by a small launcher (this file run as a script, :func:`launch`) that:

* starts bwrap with an empty environment, so no variable of the grader is readable anywhere
  inside (``/proc/1/environ`` is bwrap's);
* when the grader is root, runs bwrap as ``nobody`` (uid 65534 outside the sandbox too): a user
  namespace made by root maps the kernel to root on the host, so a set-user-ID file it left
  behind would be root's. The folders bwrap binds must then be reachable by ``nobody``; those
  under a folder it cannot enter (a Python under ``/root``) are made reachable in a mount
  namespace of the launcher's own, by a tmpfs over that folder holding just them;
* gives the kernel a session keyring of its own (``KEYCTL_JOIN_SESSION_KEYRING``);
* loads a seccomp filter (``bwrap --seccomp``, built with libseccomp's Python binding,
  ``pyseccomp``) that makes :data:`BLOCKED_SYSCALLS` fail with EPERM, and kills 32-bit and x32
  system calls;
* makes the kernel's processes the OOM killer's first choice and writes no core files.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import platform
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
# system calls a kernel gets EPERM for: keyrings, tracing and reading other processes, eBPF,
# mounts and namespaces, swap, reboot, kernel modules, userfaultfd, file handles, io_uring
BLOCKED_SYSCALLS = (
    "keyctl",
    "add_key",
    "request_key",
    "ptrace",
    "bpf",
    "perf_event_open",
    "mount",
    "umount2",
    "unshare",
    "setns",
    "pivot_root",
    "swapon",
    "swapoff",
    "reboot",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "userfaultfd",
    "process_vm_readv",
    "process_vm_writev",
    "open_by_handle_at",
    "name_to_handle_at",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "move_mount",
    "open_tree",
    "mount_setattr",
    "pidfd_getfd",
    "kcmp",
    "acct",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
)
KEYCTL = {"x86_64": 250, "aarch64": 219, "riscv64": 219, "ppc64le": 271, "s390x": 280}  # keyctl's number
INODE_BYTES = 1024  # the kernel memory (inode, dentry) an empty file in a tmpfs costs, about


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
    for line in notes():
        print(f"labtools grade: {line}", file=sys.stderr)


def notes() -> list[str]:
    """What the sandbox cannot do on this machine, one line each (none where it does it all)."""
    found = []
    if _seccomp_module() is None:
        found.append(
            "no seccomp filter in the sandbox (pip install pyseccomp, or apt-get install python3-seccomp): "
            "keyctl, ptrace, bpf, perf_event_open and the other calls it blocks are left to the namespaces"
        )
    if _is_root() and kernel_uid() != NOBODY:
        found.append(
            "the kernels map to root outside their sandbox: this machine lets no unprivileged user "
            "create user namespaces"
        )
    return found


def _is_root() -> bool:
    return sys.platform.startswith("linux") and os.geteuid() == 0


def kernel_uid() -> int:
    """The user a sandboxed kernel is outside its sandbox: ``nobody`` when the grader is root and
    this machine lets ``nobody`` make user namespaces, else the grader's own."""
    return NOBODY if _is_root() and _unprivileged_userns() else os.getuid()


def _unprivileged_userns() -> bool:
    for path, off in (
        ("/proc/sys/kernel/unprivileged_userns_clone", "0"),
        ("/proc/sys/user/max_user_namespaces", "0"),
        ("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1"),
    ):
        try:
            if Path(path).read_text().strip() == off:
                return False
        except OSError:
            pass
    return True


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
    """The command that runs argv sealed off, with ``shared`` (same path inside) writable: the
    launcher (this file), then ``bwrap ... -- argv``."""
    launcher = [sys.executable, "-I", str(Path(__file__).resolve()), "--shared", str(shared)]
    if _is_root() and kernel_uid() == NOBODY:
        launcher += ["--as", str(NOBODY)]
    return [*launcher, "--", *bwrap_command(shared, argv, limits, env)]


def bwrap_command(shared: Path, argv: list[str], limits: Limits = Limits(), env: dict | None = None) -> list[str]:
    """``bwrap ... -- argv``: what the launcher runs, with an empty environment."""
    namespaces = ["--unshare-all", "--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY)]
    namespaces += ["--die-with-parent", "--new-session", "--disable-userns", "--cap-drop", "ALL"]
    args = [shutil.which("bwrap") or "/usr/bin/bwrap", *namespaces, "--hostname", "sandbox", *_system_binds()]
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--size", str(limits.shm_mb * 2**20), "--tmpfs", "/dev/shm"]
    args += ["--size", str(limits.tmp_mb * 2**20), "--tmpfs", "/tmp"]
    for root in _python_roots():  # after the tmpfs, so an environment under /tmp stays visible
        args += ["--ro-bind", str(root), str(root)]
    args += judge_side_covers()  # after the labtools bind, so they cover its files
    if str(shared) != "/":
        args += ["--bind", str(shared), str(shared)]
    args += ["--chdir", "/tmp", "--clearenv"]
    for key, value in _kernel_environment(env or os.environ).items():
        args += ["--setenv", key, value]
    return [*args, "--", *argv]


def _kernel_environment(outside) -> dict[str, str]:
    """The kernel's whole environment: a few fixed values and the :data:`KERNEL_ENV` the grader set."""
    fixed = {
        "HOME": "/tmp",
        "PATH": "/usr/bin:/bin",
        "MPLCONFIGDIR": "/tmp/.matplotlib",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": str(_labtools_dir().parent),  # holds only labtools inside
    }
    return {**fixed, **{key: outside[key] for key in KERNEL_ENV if outside.get(key) is not None}}


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
    """Bytes held in the sandboxes' /tmp and /dev/shm (tmpfs pages are in no process's RSS), and
    INODE_BYTES for each file there: a million empty files cost the kernel a GiB of slab."""
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
            total += (vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize + (vfs.f_files - vfs.f_ffree) * INODE_BYTES
    return total


# -- the launcher: runs as ``python -I sandbox.py [--as UID] --shared DIR -- bwrap ...`` --------

CLONE_NEWNS = 0x00020000
MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_SLAVE = 2, 4, 4096, 16384, 1 << 19
BIND_OPTIONS = ("--bind", "--ro-bind", "--dev-bind")
TAKES_TWO = (*BIND_OPTIONS, "--setenv", "--symlink", "--chmod")
TAKES_ONE = frozenset(
    "--uid --gid --hostname --cap-drop --size --tmpfs --proc --dev --chdir --remount-ro --seccomp".split()
)


def launch(args: list[str]) -> int:
    """Start bwrap as the module's text says; returns only if it cannot."""
    split = args.index("--")
    options, bwrap = args[:split], args[split + 1 :]
    shared = options[options.index("--shared") + 1] if "--shared" in options else "/"
    uid = int(options[options.index("--as") + 1]) if "--as" in options else None
    import resource

    with contextlib.suppress(OSError, ValueError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    with contextlib.suppress(OSError), open("/proc/self/oom_score_adj", "w") as f:
        f.write("1000")
    if uid is not None and os.geteuid() == 0:
        if shared != "/":  # the kernel's folder, and the connection file the worker wrote in it
            os.chown(shared, uid, uid)
            for entry in os.scandir(shared):
                os.chown(entry.path, uid, uid, follow_symlinks=False)
        _reachable(uid, bind_sources(bwrap))
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    _new_session_keyring()
    fd = seccomp_filter()
    if fd is not None:
        bwrap = [bwrap[0], "--seccomp", str(fd), *bwrap[1:]]
    os.execve(bwrap[0], bwrap, {})
    return 1


def bind_sources(bwrap: list[str]) -> list[str]:
    """The source paths of bwrap's bind options (up to its ``--``)."""
    sources, i = [], 1
    while i < len(bwrap) and bwrap[i] != "--":
        arg = bwrap[i]
        if arg in BIND_OPTIONS:
            sources.append(bwrap[i + 1])
        i += 3 if arg in TAKES_TWO else 2 if arg in TAKES_ONE else 1
    return sources


def _can_enter(path: str, uid: int) -> bool:
    st = os.stat(path)
    if st.st_uid == uid:
        return bool(st.st_mode & 0o100)
    if st.st_gid == uid:
        return bool(st.st_mode & 0o010)
    return bool(st.st_mode & 0o001)


def _blocked_at(source: str, uid: int) -> str | None:
    """The outermost folder above ``source`` that ``uid`` cannot enter, if any."""
    parts = Path(source).parts
    for n in range(1, len(parts)):
        folder = str(Path(*parts[:n]))
        if not _can_enter(folder, uid):
            return folder
    return None


def _reachable(uid: int, sources: list[str]) -> None:
    """Make every source reachable by ``uid`` at its own path, in a mount namespace of this
    process's own (nothing changes outside): over each folder ``uid`` cannot enter, a tmpfs that
    holds only the sources under it, each bound back in place."""
    blocked: dict[str, list[str]] = {}
    for source in sources:
        folder = _blocked_at(source, uid)
        if folder is not None:
            blocked.setdefault(folder, []).append(source)
    if not blocked:
        return
    libc = ctypes.CDLL(None, use_errno=True)

    def check(result: int, what: str) -> None:
        if result != 0:
            code = ctypes.get_errno()
            raise OSError(code, f"{what}: {os.strerror(code)}")

    check(libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    check(libc.mount(b"none", b"/", None, MS_REC | MS_SLAVE, None), "making / a slave mount")
    for folder, inside in sorted(blocked.items()):
        kept = [s for s in inside if not any(o != s and Path(o) in Path(s).parents for o in inside)]
        fds = {s: os.open(s, os.O_PATH | os.O_CLOEXEC) for s in kept}  # before the tmpfs hides them
        options = f"mode=0755,size=1m,nr_inodes={64 + 64 * len(kept)}".encode()
        check(libc.mount(b"tmpfs", os.fsencode(folder), b"tmpfs", MS_NOSUID | MS_NODEV, options), f"tmpfs on {folder}")
        for source, fd in fds.items():
            path = Path(folder)
            for part in Path(source).relative_to(folder).parts[:-1]:  # in the new tmpfs: no source holds another
                path = path / part
                if not path.is_dir():
                    os.mkdir(path)
                    os.chmod(path, 0o755)  # whatever the umask
            if os.path.isdir(f"/proc/self/fd/{fd}"):
                os.mkdir(source, 0o755)
            else:
                os.close(os.open(source, os.O_CREAT | os.O_WRONLY, 0o644))
            check(libc.mount(f"/proc/self/fd/{fd}".encode(), os.fsencode(source), None, MS_BIND | MS_REC, None), source)
            os.close(fd)


def _new_session_keyring() -> None:
    """Join a new, empty session keyring: nothing the grader's keyring holds is the kernel's."""
    number = KEYCTL.get(platform.machine())
    if number is None:
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).syscall(number, 1, None)  # KEYCTL_JOIN_SESSION_KEYRING, no name


def _seccomp_module():
    for name in ("pyseccomp", "seccomp"):
        try:
            return __import__(name)
        except Exception:  # noqa: BLE001 - not installed, or no libseccomp.so.2 under it
            continue
    return None


def seccomp_filter() -> int | None:
    """An inheritable descriptor holding the BPF program bwrap loads, or None without libseccomp."""
    module = _seccomp_module()
    if module is None:
        return None
    rules = module.SyscallFilter(module.ALLOW)  # other architectures (32-bit, x32): killed
    for name in BLOCKED_SYSCALLS:
        with contextlib.suppress(Exception):  # a call this libseccomp does not know
            rules.add_rule(module.ERRNO(errno.EPERM), name)
    fd = os.memfd_create("labtools-seccomp", 0)
    with os.fdopen(os.dup(fd), "w+b") as f:
        rules.export_bpf(f)
        f.flush()
    os.lseek(fd, 0, os.SEEK_SET)
    os.set_inheritable(fd, True)
    return fd


if __name__ == "__main__":
    try:
        sys.exit(launch(sys.argv[1:]))
    except (OSError, ValueError) as exc:
        print(f"labtools sandbox launcher: {exc}", file=sys.stderr)
        sys.exit(1)
