"""Grading on many machines: shards of one run, and merging their signed results.

``labtools grade --shard K/N`` (0 <= K < N) grades the rows whose stable hash (SHA-256 of the row
id) is K modulo N, writes their signed ``results/<id>.json`` and then a signed manifest,
``shards/K-of-N.json``: the run's whole plan (every row, in order), the lab, the limits, a hash
of the lab's grading bundle, the run id (a hash of those, the same on every shard), the ids this
shard graded and, for each, the digest of the file it graded and of the result it wrote. Shards
may share one output folder (a shared volume) or each have their own (copied back from an object
store).

``labtools grade merge FOLDER...`` reads every manifest and result, and builds the gradebook,
feedback and exports only when: all N manifests are there and agree on the plan and the run id,
every manifest and every result is signed with the shared key, each result is the one its
shard was to grade (its id, its lab, its file) and the very one its manifest recorded, and each
file graded is, now, the file that was graded (its digest recomputed). Anything else is refused
with one line per problem, so a tampered, missing or replayed result, or one for a file that has
changed since, never reaches a gradebook.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .files import printable, write_atomic
from .plan import Plan
from .signing import digest, sign, verify
from .submission import submission_digest

SETTINGS_KEPT = ("cell_timeout", "submission_timeout", "memory_mb", "sandbox", "isolate_network")


class MergeError(ValueError):
    """Why shards cannot be merged: one line per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` as (K, N) with 0 <= K < N; a ValueError says what is wrong, in one line."""
    k, sep, n = text.partition("/")
    try:
        shard, count = int(k), int(n)
    except ValueError:
        shard, count = -1, 0
    if not sep or count < 1 or not 0 <= shard < count:
        raise ValueError(f"--shard {text!r}: expected K/N with 0 <= K < N, e.g. 0/3 (Kubernetes' JOB_COMPLETION_INDEX)")
    return shard, count


def shard_of(row_id: str, count: int) -> int:
    """The shard a row belongs to: the same on every machine and every Python (no hash seed)."""
    return int.from_bytes(hashlib.sha256(row_id.encode("utf-8")).digest()[:8], "big") % count


def manifest_path(out: Path, shard: int, count: int) -> Path:
    return out / "shards" / f"{shard}-of-{count}.json"


def run_id(record: dict) -> str:
    """The run a manifest belongs to: a hash of its lab, limits, bundle and plan, so every shard
    of one run computes the same id, and a shard of any other run another."""
    run = {name: record[name] for name in ("lab", "settings", "bundle_sha256", "plan")}
    return hashlib.sha256(json.dumps(run, sort_keys=True, separators=(",", ":")).encode("ascii")).hexdigest()


def write_manifest(out: Path, shard: int, count: int, plan: Plan, settings, ids: list[str], key: bytes) -> Path:
    """Write the signed manifest, last: it binds each result this shard wrote (read back from
    ``out/results``) to the run id and to the digest of the file it graded."""
    record: dict = {
        "shard": shard,
        "of": count,
        "lab": settings.lab,
        "settings": {name: getattr(settings, name) for name in SETTINGS_KEPT},
        "bundle_sha256": hashlib.sha256(json.dumps(settings.bundle, sort_keys=True).encode()).hexdigest(),
        "plan": plan.to_json(),
        "ids": sorted(ids),
    }
    record = json.loads(json.dumps(record))  # as merge reads it back (tuples become lists)
    record["run"] = run_id(record)
    graded = {}
    for row_id in record["ids"]:
        try:
            result = json.loads((out / "results" / f"{row_id}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # no result: the merge says so
        if isinstance(result, dict) and verify(result, key):
            graded[row_id] = {"sha256": result.get("sha256", ""), "result": digest(result)}
    record["graded"] = graded
    path = manifest_path(out, shard, count)
    write_atomic(path, json.dumps(sign(record, key), indent=1))
    return path


def _read(path: Path, key: bytes, problems: list[str]) -> dict | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"{path}: missing")
        return None
    except (OSError, ValueError) as exc:
        problems.append(f"{path}: unreadable ({getattr(exc, 'strerror', None) or type(exc).__name__})")
        return None
    if not verify(record, key):
        problems.append(f"{path}: its signature does not match (changed after grading, or signed with another key)")
        return None
    return record


def _manifests(folders: list[Path], key: bytes, problems: list[str]) -> dict[int, tuple[dict, Path]]:
    found: dict[int, tuple[dict, Path]] = {}
    for folder in folders:
        for path in sorted((folder / "shards").glob("*-of-*.json")):
            record = _read(path, key, problems)
            if record is None:
                continue
            if not isinstance(record.get("graded"), dict) or record.get("run") != run_id(record):
                problems.append(
                    f"{path}: records no run id or no digests (written by an older labtools?); grade that shard again"
                )
                continue
            k = record["shard"]
            if k in found and found[k][0] != record:
                problems.append(f"{path}: shard {k} was also found in {found[k][1]}, with other contents")
            found[k] = (record, folder)
    return found


def collect(folders: list[Path], key: bytes) -> tuple[Plan, dict, dict[str, dict]]:
    """The plan, the manifest's lab and settings, and every verified result; raises
    :class:`MergeError` listing every problem found."""
    problems: list[str] = []
    found = _manifests(folders, key, problems)
    if not found:
        raise MergeError(problems or [f"no shard manifests (shards/K-of-N.json) in {', '.join(map(str, folders))}"])
    first = next(iter(found.values()))[0]
    count = first["of"]
    for k, (record, _) in sorted(found.items()):
        for field in ("of", "lab", "plan", "settings", "bundle_sha256", "run"):
            if record[field] != first[field]:
                problems.append(
                    f"shard {k}/{record['of']} disagrees with shard {first['shard']} on its {field} "
                    "(were all shards given the same submissions, roster, options and labtools?)"
                )
    absent = [k for k in range(count) if k not in found]
    if absent:
        problems.append(f"shard(s) {', '.join(map(str, absent))} of {count} have not finished (no manifest)")
    plan = Plan.from_json(first["plan"])
    files = {r.id: r.file for r in plan.rows}
    results: dict[str, dict] = {}
    for k, (record, folder) in sorted(found.items()):
        results.update(_shard_results(k, record, folder, files, key, problems))
    graded = {rid for rid, f in files.items() if f}
    lost = sorted(graded - results.keys() - {i for r, _ in found.values() for i in r["ids"]})
    if lost and not absent:
        problems.append(f"no shard graded {', '.join(lost[:5])}" + (" ..." if len(lost) > 5 else ""))
    if problems:
        raise MergeError(problems)
    return plan, {"lab": first["lab"], **first["settings"]}, results


def _shard_results(
    k: int, record: dict, folder: Path, files: dict[str, str], key: bytes, problems: list[str]
) -> dict[str, dict]:
    """The results shard ``k`` graded that can be merged; a line in ``problems`` for each other."""
    results = {}
    for row_id in record["ids"]:
        path = folder / "results" / f"{row_id}.json"
        result = _read(path, key, problems)
        if result is None:
            continue
        if shard_of(row_id, record["of"]) != k or row_id not in files:
            problems.append(f"{path}: not a row shard {k} of {record['of']} grades")
        elif (result.get("id"), result.get("lab"), result.get("file")) != (row_id, record["lab"], files[row_id]):
            problems.append(f"{path}: the result of another submission or lab")
        elif problem := _bound(result, record["graded"].get(row_id), Path(files[row_id]), k):
            problems.append(f"{path}: {problem}")
        else:
            results[row_id] = result
    return results


def _bound(result: dict, recorded, file: Path, k: int) -> str | None:
    """Why ``result`` is not the one shard ``k`` recorded for this run, for the file as it is
    now (its digest recomputed); None when it is."""
    if not isinstance(recorded, dict):
        return f"shard {k}'s manifest records no result for it; grade that shard again"
    if digest(result) != recorded.get("result") or result.get("sha256") != recorded.get("sha256"):
        return f"not the result shard {k} recorded in this run (one from another run?); grade that shard again"
    now = submission_digest(file)
    if now != recorded.get("sha256"):
        if not os.path.lexists(file):
            return f"its submission {printable(file)} is not here to check; merge where the submissions are"
        return f"its submission {printable(file)} has changed since shard {k} graded it; grade that shard again"
    return None
