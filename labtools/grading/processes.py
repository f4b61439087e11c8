"""A process and its descendants: listing, memory, CPU time and killing, in one place (the
runner watches a worker's tree, the worker watches its kernel's). A process that vanishes while
it is read counts as zero; nothing here raises."""

from __future__ import annotations

import psutil


def tree(root: psutil.Process) -> list[psutil.Process]:
    """A process and all its descendants (just the process if they cannot be listed)."""
    try:
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return [root]


def tree_rss(root: psutil.Process) -> int:
    """Resident memory of a process and all its descendants."""
    total = 0
    for p in tree(root):
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def tree_cpu_seconds(root: psutil.Process) -> float:
    """CPU time (user + system) used so far by a process, its descendants and the children they
    have reaped."""
    total = 0.0
    for p in tree(root):
        try:
            t = p.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
        except psutil.Error:
            pass
    return total


def kill_tree(root: psutil.Process, wait: float = 0) -> None:
    """Kill a process and its descendants (and wait up to ``wait`` seconds for them to go)."""
    procs = tree(root)
    for p in procs:
        try:
            p.kill()
        except psutil.Error:
            pass
    if wait:
        psutil.wait_procs(procs, timeout=wait)
