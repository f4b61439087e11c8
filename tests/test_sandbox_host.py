"""What a kernel in the grading sandbox can do to the machine that grades it: attacks of the
corpus's class 3 ("a grader no submission can break"), each as a few lines of plain Python run
straight in :func:`labtools.grading.sandbox.command` (no TensorFlow, no notebook): the grader's
environment, the folder shared with the kernel, memory and tasks past their limits, keyrings
and the system calls the seccomp filter blocks.

They need bubblewrap; those about the tmpfs, set-user-ID files and cgroups need root (CI runs as
root). Each is skipped with its reason where that is missing, and fails instead when
LABTOOLS_REQUIRE_SANDBOX=1 (CI).
"""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from labtools.grading import limits, sandbox

REQUIRED = bool(os.environ.get("LABTOOLS_REQUIRE_SANDBOX"))


def need(ok: bool, reason: str) -> None:
    if ok:
        return
    if REQUIRED:
        pytest.fail(f"LABTOOLS_REQUIRE_SANDBOX=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def bwrap():
    reason = sandbox.why_unavailable()
    need(reason is None, reason or "")


@pytest.fixture
def root(bwrap):
    need(sandbox._is_root(), "the grader is not root here: no tmpfs of its own, no cgroup v1, no uid change")


@pytest.fixture
def shared(bwrap):
    folder = limits.make_shared(sandbox.kernel_uid())
    yield folder
    limits.remove_shared(folder)


def cgroup_or_skip(memory_mb: int = 4096, tasks: int = 4096) -> limits.Cgroup:
    group = limits.Cgroup.create(f"labtools-test-{secrets.token_hex(4)}", memory_mb * 2**20, tasks)
    if group.missing():
        group.remove()
        need(False, f"no cgroup can be made here: {' and '.join(group.missing())} not limited")
    return group


def inside(code: str, shared: Path, cgroup: limits.Cgroup | None = None, timeout: float = 120):
    """Run ``python -c code`` in the sandbox (in ``cgroup`` from its first instruction)."""
    join = (lambda: cgroup.add(os.getpid()) or None) if cgroup is not None else None
    return subprocess.run(
        sandbox.command(shared, [sys.executable, "-c", code]),
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=join,
    )


def test_no_variable_of_the_grader_is_readable_inside(shared, monkeypatch):
    """Before: bubblewrap (pid 1 inside) kept the grader's environment, in /proc/1/environ."""
    secret = "grader-secret-" + secrets.token_hex(8)
    monkeypatch.setenv("LABTOOLS_TEST_GRADER_SECRET", secret)
    code = (
        "import glob, os\nseen = [repr(dict(os.environ))]\n"
        "for f in glob.glob('/proc/*/environ') + glob.glob('/proc/*/task/*/environ') + glob.glob('/proc/*/cmdline'):\n"
        "    try:\n        seen.append(repr(open(f, 'rb').read()))\n    except OSError:\n        pass\n"
        "print(len(seen), *seen)"
    )
    done = inside(code, shared)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[0]) >= 4, done.stdout  # it did read pid 1's files and its own
    assert secret not in done.stdout and "LABTOOLS_TEST_GRADER_SECRET" not in done.stdout


def test_a_setuid_file_in_the_shared_folder_is_not_setuid_on_the_host(root, shared):
    """Before: the shared folder was a host folder and the kernel was root outside: a copy of a
    program made set-user-ID root there stayed on the host."""
    code = (
        f"import os, shutil\nos.chdir({str(shared)!r})\nshutil.copy('/usr/bin/id', 'suid')\n"
        "os.chmod('suid', 0o4755)\nprint(os.stat('suid').st_mode & 0o7777)"
    )
    done = inside(code, shared)
    assert done.returncode == 0, done.stderr
    made = shared / "suid"
    st = made.stat()
    assert st.st_uid == sandbox.NOBODY, "the kernel is nobody on the host, not root"
    assert os.statvfs(shared).f_flag & os.ST_NOSUID, "the shared folder is a nosuid tmpfs"
    assert os.statvfs(shared).f_flag & os.ST_NOEXEC
    with pytest.raises(PermissionError):  # nothing runs from the shared folder (noexec)
        subprocess.run([str(made)], capture_output=True)
    limits.remove_shared(shared)
    assert not os.path.lexists(made) and not os.path.lexists(shared)
    assert str(shared) not in Path("/proc/self/mountinfo").read_text()


def test_filling_the_shared_folder_fails_early(root, shared):
    """Before: 3 GiB written in the shared folder landed on the host's disk."""
    code = (
        f"import os\nn = 0\ntry:\n    with open(os.path.join({str(shared)!r}, 'fill'), 'wb') as f:\n"
        "        for _ in range(3 * 1024):\n            f.write(b'x' * 2**20)\n            f.flush()\n"
        "            n += 1\nexcept OSError as exc:\n    print('refused', exc.errno)\nprint(n)\n"
        "k = 0\ntry:\n    for k in range(100_000):\n"
        f"        open(os.path.join({str(shared)!r}, f'e{{k}}'), 'w').close()\nexcept OSError as exc:\n"
        "    print('files refused', exc.errno)\nprint(k)"
    )
    done = inside(code, shared)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.split("\n")
    assert lines[0] == "refused 28" and int(lines[1]) <= limits.SHARED_MB, done.stdout  # ENOSPC at the cap
    assert lines[2] == "files refused 28" and int(lines[3]) < limits.SHARED_INODES, done.stdout


def test_a_3000_deep_chain_of_folders_is_cleaned_up(bwrap, shared, tmp_path):
    """Before: a 3000-deep chain left in the shared folder broke its cleanup. Both kinds of
    shared folder: the kernel's tmpfs (root), and a plain folder (the fallback, GNU rm)."""
    code = (
        f"import os\nos.chdir({str(shared)!r})\ndepth = 0\ntry:\n    for _ in range(3000):\n"
        "        os.mkdir('d')\n        os.chdir('d')\n        depth += 1\nexcept OSError:\n    pass\nprint(depth)"
    )
    done = inside(code, shared)
    depth = int(done.stdout)
    # the kernel's own tmpfs stops the chain at its inode cap; a plain folder holds all of it
    assert depth == 3000 or (limits.is_mount(shared) and depth < limits.SHARED_INODES), done.stderr
    limits.remove_shared(shared)
    assert not os.path.lexists(shared)

    plain = tmp_path / "plain"
    plain.mkdir()
    here = os.getcwd()
    try:
        os.chdir(plain)
        for _ in range(3000):
            os.mkdir("d")
            os.chdir("d")
    finally:
        os.chdir(here)
    assert limits.shared_usage(plain) == 2**62, "too deep to walk: over any memory limit"
    limits.remove_shared(plain)  # no RecursionError, no 'File name too long'
    assert not os.path.lexists(plain)


def test_a_memfd_past_the_memory_limit_is_killed(shared):
    """Before: 2 GiB held in a memfd (in no process's resident memory) went unnoticed under
    --memory-mb 1000."""
    group = cgroup_or_skip(memory_mb=1000)
    try:
        code = (
            "import os\nfd = os.memfd_create('hog')\nfor n in range(2048):\n"
            "    os.write(fd, b'x' * 2**20)\nprint('held 2 GiB')"
        )
        done = inside(code, shared, group)
        assert done.returncode != 0 and "held 2 GiB" not in done.stdout, done.stdout
        assert group.oom_kills() >= 1, "the OOM killer of its cgroup ended it"
    finally:
        group.remove()
    assert not any(d.exists() for d in group.dirs)


def test_empty_files_in_tmp_count_against_the_memory_limit(shared):
    """Before: 1.5 M empty files in /tmp cost 1.9 GiB of kernel memory (slab) no limit saw."""
    group = cgroup_or_skip(memory_mb=300)
    try:
        code = "import os\nos.chdir('/tmp')\nfor n in range(1_500_000):\n    open(f'f{n}', 'w').close()\nprint('made')"
        done = inside(code, shared, group, timeout=300)
        assert done.returncode != 0 and "made" not in done.stdout
        assert group.oom_kills() >= 1
    finally:
        group.remove()


def test_threads_past_pids_max_are_refused(shared):
    """Before: 3000 threads ran (the process count saw one process)."""
    group = cgroup_or_skip(tasks=256)
    try:
        code = (
            "import threading\nstop = threading.Event()\nn = 0\ntry:\n    for _ in range(3000):\n"
            "        threading.Thread(target=stop.wait, daemon=True).start()\n        n += 1\n"
            "except RuntimeError:\n    pass\nstop.set()\nprint(n)"
        )
        done = inside(code, shared, group)
        assert done.returncode == 0, done.stderr
        assert int(done.stdout) < 256 and group.tasks_refused() >= 1, done.stdout
    finally:
        group.remove()


def test_a_fork_bomb_stops_at_pids_max(shared):
    """Before: a fork bomb reached about 800 processes before the polled limit of 256 saw it."""
    group = cgroup_or_skip(tasks=256)
    try:
        code = (
            "import os, time\nn = 0\ntry:\n    for _ in range(2000):\n        if os.fork() == 0:\n"
            "            time.sleep(30)\n            os._exit(0)\n        n += 1\nexcept OSError:\n    pass\nprint(n)"
        )
        done = inside(code, shared, group)
        assert int(done.stdout) < 256 and group.tasks_refused() >= 1, done.stdout + done.stderr
    finally:
        group.remove()


def _syscall_numbers(names: list[str]) -> dict[str, int]:
    module = sandbox._seccomp_module()
    need(module is not None, "no libseccomp binding (pip install pyseccomp): no seccomp filter")
    assert module is not None
    return {name: module.resolve_syscall(module.system_arch(), name) for name in names}


def test_the_keyring_is_out_of_reach(shared):
    """Before: a kernel stored a key in the grader's session keyring, and the next one read it."""
    numbers = _syscall_numbers(["keyctl", "add_key", "request_key"])
    code = (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        f"calls = {{'keyctl': ({numbers['keyctl']}, 0, -3, 1), "  # KEYCTL_GET_KEYRING_ID of the session keyring
        f"'add_key': ({numbers['add_key']}, b'user', b'note', b'secret', 6, -3), "
        f"'request_key': ({numbers['request_key']}, b'user', b'note', None, 0)}}\n"
        "for name, args in calls.items():\n    print(name, libc.syscall(*args), ctypes.get_errno())"
    )
    done = inside(code, shared)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:3] == ["keyctl -1 1", "add_key -1 1", "request_key -1 1"], done.stdout


def test_blocked_system_calls_fail_with_eperm(shared):
    names = ["ptrace", "bpf", "perf_event_open", "unshare", "userfaultfd", "process_vm_readv", "mount", "setns"]
    numbers = _syscall_numbers(names)
    code = (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        f"for name, number in {numbers!r}.items():\n"
        "    ctypes.set_errno(0)\n    print(name, libc.syscall(number, 0, 0, 0, 0, 0), ctypes.get_errno())"
    )
    done = inside(code, shared)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[: len(names)] == [f"{n} -1 1" for n in names], done.stdout


def _listing(folder: str) -> dict[str, tuple[int, int]]:
    found = {}
    try:
        with os.scandir(folder) as entries:
            for e in entries:
                try:
                    st = e.stat(follow_symlinks=False)
                except OSError:
                    continue
                found[e.name] = (st.st_uid, st.st_mode)
    except OSError:
        pass
    return found


def test_the_hosts_writable_places_are_as_they_were(shared, tmp_path):
    """/tmp, /dev/shm, /var/tmp and the grader's output folder after an attack that writes
    everywhere it can: nothing of its own (other programs on this machine may write there too,
    so only what could be the kernel's counts: its marker, uid nobody (other than another
    grader's shared folder), a set-user-ID bit)."""
    out = tmp_path / "gradebook"
    out.mkdir()
    (out / "grades.csv").write_text("id,total\n")
    places = ["/tmp", "/dev/shm", "/var/tmp", str(out)]
    before = {p: _listing(p) for p in places}
    marker = "attack" + secrets.token_hex(6)
    code = (
        f"import os\nfor place in {places!r} + [{str(shared)!r}]:\n"
        "    for name in ('', '.hidden'):\n        try:\n"
        f"            path = os.path.join(place, name + {marker!r})\n"
        "            open(path, 'w').write('x')\n            os.chmod(path, 0o4777)\n"
        f"            os.mkdir(path + 'dir')\n        except OSError:\n            pass\nprint('done')"
    )
    done = inside(code, shared)
    assert done.stdout.strip() == "done", done.stderr
    limits.remove_shared(shared)
    for place in places:
        after = _listing(place)
        new = {n: v for n, v in after.items() if n not in before[place] or before[place][n] != v}
        theirs = {
            n: v
            for n, v in new.items()
            if marker in n
            or v[1] & (stat.S_ISUID | stat.S_ISGID)
            or (v[0] == sandbox.NOBODY and not n.startswith(limits.PREFIX))  # other graders' shared folders
        }
        assert not theirs, f"left in {place}: {theirs}"
    assert _listing(str(out)) == before[str(out)]
    mounts = Path("/proc/self/mountinfo").read_text()
    assert str(shared) not in mounts and marker not in mounts, "a mount outlived its sandbox"
    assert not os.path.lexists(shared)


def test_the_launcher_finds_every_bind_source():
    args = sandbox.bwrap_command(Path("/tmp/shared-x"), ["/bin/true"])
    sources = sandbox.bind_sources(args)
    assert "/usr" in sources and "/tmp/shared-x" in sources and "/dev/null" in sources
    assert all(s.startswith("/") for s in sources)
    assert "HOME" not in sources and "/tmp" not in sources  # --setenv values and --tmpfs are not binds


def test_cleanup_never_raises_on_what_is_not_there(tmp_path):
    limits.remove_shared(tmp_path / "never-made")
    limits.Cgroup().remove()
    assert limits.Cgroup().missing() == ["memory outside resident memory and tmpfs (memfd, kernel slab)", "threads"]


def test_what_a_grader_killed_with_9_left_is_swept_by_the_next(bwrap, monkeypatch):
    """A grader killed with -9 leaves its shared folders (mounted tmpfs when root) and empty
    cgroups; the next one removes those whose grader is gone, and nothing of a live one."""
    dead = subprocess.Popen(["true"])
    dead.wait()
    monkeypatch.setattr(os, "getpid", lambda: dead.pid)
    stale = limits.make_shared(sandbox.kernel_uid())
    group = limits.Cgroup.create(stale.name, 2**30, 64)
    monkeypatch.undo()
    live = limits.make_shared(sandbox.kernel_uid())
    try:
        assert stale.name.startswith(f"{limits.PREFIX}{dead.pid}-")
        monkeypatch.setattr(limits, "_swept", False)
        limits.sweep()
        assert not os.path.lexists(stale) and not any(d.exists() for d in group.dirs)
        assert str(stale) not in Path("/proc/self/mountinfo").read_text()
        assert live.is_dir()
    finally:
        group.remove()
        limits.remove_shared(stale)
        limits.remove_shared(live)
