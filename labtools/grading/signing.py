"""Signed result files: a key the graders share, and an HMAC over each record they write.

A shard's ``results/<id>.json`` and its manifest carry ``"signature"``: HMAC-SHA256, under the
shared key, of the record's canonical JSON (sorted keys, no spaces) without that field.
``labtools grade merge`` accepts a record only when its signature checks out, so a result edited
on the shared volume, or written by anything that does not hold the key, is refused.

The key is read from a file: ``--key-file PATH``, else the file named by the environment
variable ``LABTOOLS_GRADING_KEY_FILE`` (a Kubernetes or Slurm secret mounted as a file). The key
itself never goes on a command line, where ``ps`` and shell histories would show it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path

KEY_ENV = "LABTOOLS_GRADING_KEY_FILE"
MIN_KEY_BYTES = 16
FIELD = "signature"


class BadKey(ValueError):
    """The key file is missing, unreadable or too short; the message says which, in one line."""


def load_key(path: Path | str | None = None) -> bytes | None:
    """The shared key from ``path``, else from the file ``$LABTOOLS_GRADING_KEY_FILE``; None
    when neither is given. Surrounding whitespace (a trailing newline) is not part of the key."""
    if path is None:
        path = os.environ.get(KEY_ENV) or None
    if path is None:
        return None
    try:
        key = Path(path).read_bytes().strip()
    except OSError as exc:
        raise BadKey(f"cannot read the key file {path}: {exc.strerror or exc}") from None
    if len(key) < MIN_KEY_BYTES:
        raise BadKey(
            f"the key file {path} holds {len(key)} bytes; use at least {MIN_KEY_BYTES} "
            "(make one with `openssl rand -hex 32 > grading.key`)"
        )
    return key


def _canonical(record: dict) -> bytes:
    body = {k: v for k, v in record.items() if k != FIELD}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def mac(data: bytes, key: bytes) -> str:
    """HMAC-SHA256 of ``data`` under ``key``, in hex: the one signature the grader uses (result
    files, manifests, and the worker's event lines)."""
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def signature(record: dict, key: bytes) -> str:
    return mac(_canonical(record), key)


def sign(record: dict, key: bytes) -> dict:
    """The record with its ``signature`` set (a new dict; the argument is left as it was).

    Not to be confused with ``worker.sign(key, text)``, the HMAC of one event line between a
    worker and the runner: the other order of arguments, and a hex string, not a record."""
    return {**{k: v for k, v in record.items() if k != FIELD}, FIELD: signature(record, key)}


def verify(record: object, key: bytes) -> bool:
    """True when ``record`` is a dict whose ``signature`` is right for its other fields."""
    if not isinstance(record, dict) or not isinstance(record.get(FIELD), str):
        return False
    try:
        expected = signature(record, key)
    except (TypeError, ValueError):
        return False
    return hmac.compare_digest(record[FIELD], expected)


def digest(record: dict) -> str:
    """SHA-256 of a record's canonical JSON, its signature included: what a shard's manifest
    records of each result, so that only that very result can be merged for the row."""
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()
