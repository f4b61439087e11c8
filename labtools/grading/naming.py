"""The id of each row: from a submission's file name, or a roster's student id, made safe."""

from __future__ import annotations

from pathlib import Path


def submission_ids(paths: list[Path]) -> dict[Path, str]:
    """A readable, unique id per file: its stem, with the folder name added when stems clash."""
    stems: dict[str, int] = {}
    for p in paths:
        stems[p.stem] = stems.get(p.stem, 0) + 1
    ids, used = {}, set()
    for p in paths:
        base = p.stem if stems[p.stem] == 1 else f"{p.parent.name}__{p.stem}"
        sid, k = safe_id(base), 2
        while sid in used:
            sid, k = f"{safe_id(base)}-{k}", k + 1
        used.add(sid)
        ids[p] = sid
    return ids


def safe_id(name: str) -> str:
    """A name fit for a file and a gradebook row: letters, digits, - _ . only, at most 80."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:80] or "submission"
