"""Writing the grader's files: each to a new file, renamed into place, so a reader or a rerun
never sees half a file (a kill between the two leaves the old file whole).

And text that came from a submission (its file name, what its notebook or kernel said), made
safe to write or print: :func:`printable` for one line a terminal, a CSV or a feedback file
shows as it is, :func:`escape_surrogates` for text that must stay whole (JSON). A file name
that is not UTF-8 (a zip from another system) reaches Python with its bytes as lone surrogates,
which no UTF-8 file or terminal can hold; they are written as ``\\xNN`` escapes.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # backslashreplace: a lone surrogate that got this far is written as an escape, never
        # the end of the gradebook
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(c: str) -> str:
    if c in _NAMED:
        return _NAMED[c]
    n = ord(c)
    if 0xDC80 <= n <= 0xDCFF:  # a byte of a name that was not UTF-8 (surrogateescape)
        return f"\\x{n - 0xDC00:02x}"
    if n < 0x100:
        return f"\\x{n:02x}"
    return f"\\u{n:04x}" if n < 0x10000 else f"\\U{n:08x}"


def escape_surrogates(text: object) -> str:
    """``text`` with each lone surrogate written as an escape (``\\xNN`` for a byte of a file
    name that was not UTF-8); everything else is kept, newlines included."""
    text = str(text)
    if text.isascii():
        return text
    return "".join(_escape(c) if "\ud800" <= c <= "\udfff" else c for c in text)


def printable(text: object, limit: int | None = None) -> str:
    """One line of printable characters: control codes (escape sequences, newlines, tabs),
    invisible formatting (bidirectional overrides) and lone surrogates written as backslash
    escapes, at most ``limit`` characters long."""
    if isinstance(text, Path):
        text = os.fspath(text)
    text = str(text)
    if not text.isprintable():
        text = "".join(c if c.isprintable() else _escape(c) for c in text)
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - 3)] + "..."
    return text
