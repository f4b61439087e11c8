"""A class roster (CSV with a header) and which submission belongs to which student.

Columns are found by their header, case and ``_``/``-`` ignored: the student id (``id``,
``student id``, ``sis user id``, ``id number``, ...; required), ``name``, ``email``,
``section``, ``login`` (``sis login id``, ``username``) and Canvas's own user id (``canvas id``,
or ``id`` beside a ``sis user id``). Other columns are kept and can be matched on.

A submission's keys are taken from its path: by ``--match REGEX`` (its group ``student``, else
its first group, else the whole match), else the name of its folder and the file's stem. Keys
are compared, ignoring case and a trailing ``.ipynb``, with one roster column
(``--match-column``, default ``id``).

The folder decides: when the file's folder names a student (a folder per student), the file is
theirs, whatever its name says; a file whose name names another student (``s200/s100.ipynb``)
is counted for the folder's student and flagged (``misnamed`` in the plan: matching.csv's
``note`` and a line on stderr). Otherwise the file's name decides (the pattern is searched in
the name, then in the whole path). A student with several submissions gets the one modified
last (equal times: the last by path); the others are reported as superseded.
A submission matching no student keeps a row of its own (``unmatched__<file>``).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from .plan import MISSING, SUBMITTED, UNMATCHED, Plan, Row, Student

FIELDS = {  # field: header aliases, most specific first
    "id": ("student id", "sis user id", "id number", "idnumber", "student number", "matriculation number", "id"),
    "name": ("name", "full name", "student name", "student"),
    "email": ("email", "email address", "e mail"),
    "section": ("section", "group"),
    "login": ("sis login id", "login id", "login", "username"),
    "lms_id": ("canvas id", "canvas user id", "id"),
}


class RosterError(ValueError):
    """A roster that cannot be used; the message says why and where, in one line."""


def _norm_header(text: str) -> str:
    return " ".join(text.replace("_", " ").replace("-", " ").lower().split())


def _norm_key(text: str) -> str:
    text = text.strip().casefold()
    return text[: -len(".ipynb")] if text.endswith(".ipynb") else text


@dataclass
class Roster:
    path: Path
    students: list[Student]
    columns: dict[str, list[str]]  # every column of the file by its header, in student order

    @classmethod
    def load(cls, path: Path) -> Roster:
        try:
            with open(path, newline="", encoding="utf-8-sig") as f:
                lines = list(csv.reader(f))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise RosterError(f"cannot read the roster {path}: {getattr(exc, 'strerror', None) or exc}") from None
        if not lines or not any(h.strip() for h in lines[0]):
            raise RosterError(f"the roster {path} is empty; it needs a header line (id,name,email,section)")
        header = [h.strip() for h in lines[0]]
        where = _find_columns(header, path)
        students: list[Student] = []
        seen: dict[str, int] = {}
        for number, line in enumerate(lines[1:], start=2):
            if not any(cell.strip() for cell in line):
                continue
            values = {field: (line[i].strip() if i < len(line) else "") for field, i in where.items()}
            if not values["id"]:
                raise RosterError(f"{path}, line {number}: no student id (column {header[where['id']]!r})")
            if values["id"] in seen:
                raise RosterError(f"{path}: student id {values['id']} is on lines {seen[values['id']]} and {number}")
            seen[values["id"]] = number
            students.append(Student(**values))
        rows = [line for line in lines[1:] if any(cell.strip() for cell in line)]
        columns = {h: [(r[i].strip() if i < len(r) else "") for r in rows] for i, h in enumerate(header) if h}
        return cls(Path(path), students, columns)

    def values(self, column: str) -> list[str]:
        """One value per student: a field (id, email, login, lms_id, ...), any column by its
        header, or a field by one of its names (``canvas id``, ``email address``, ...)."""
        if column in FIELDS:
            return [getattr(s, column) for s in self.students]
        for header, values in self.columns.items():
            if _norm_header(header) == _norm_header(column):
                return values
        for field, aliases in FIELDS.items():
            if _norm_header(column) in aliases:
                return [getattr(s, field) for s in self.students]
        raise RosterError(f"the roster {self.path.name} has no column {column!r} (it has: {', '.join(self.columns)})")


def _find_columns(header: list[str], path: Path) -> dict[str, int]:
    normal = [_norm_header(h) for h in header]
    where: dict[str, int] = {}
    for field, aliases in FIELDS.items():
        for alias in aliases:
            if alias in normal and normal.index(alias) not in where.values():
                where[field] = normal.index(alias)
                break
    if "id" not in where:
        raise RosterError(
            f"the roster {path} has no student id column (its header: {', '.join(header)}); "
            "name it `id` or `student id`"
        )
    return where


def _group(found: re.Match, pattern: re.Pattern) -> str:
    if "student" in pattern.groupindex:
        return found.group("student") or ""
    return (found.group(1) or "") if pattern.groups else found.group(0)


def folder_key(path: Path, pattern: re.Pattern | None) -> list[str]:
    """The key the file's folder gives (none when the pattern misses its name)."""
    if pattern is None:
        return [path.parent.name]
    found = pattern.search(path.parent.name)
    return [_group(found, pattern)] if found else []


def name_key(path: Path, pattern: re.Pattern | None) -> list[str]:
    """The key the file's name gives (with a pattern: searched in the name, then the whole path)."""
    if pattern is None:
        return [path.stem]
    found = pattern.search(path.name) or pattern.search(path.as_posix())
    return [_group(found, pattern)] if found else []


def submission_key(path: Path, pattern: re.Pattern | None) -> list[str]:
    """The keys a submission may be known by, its folder's first (none when the pattern misses)."""
    return [*folder_key(path, pattern), *name_key(path, pattern)]


def compile_pattern(text: str | None) -> re.Pattern | None:
    if not text:
        return None
    try:
        return re.compile(text)
    except re.error as exc:
        raise RosterError(f"--match {text!r} is not a regular expression: {exc}") from None


def match(paths: list[Path], roster: Roster, pattern: re.Pattern | None = None, column: str = "id") -> Plan:
    """The plan for a roster: a row per student in roster order (the latest of their
    submissions, or ``missing``), then a row per submission that matches no student."""
    from .naming import safe_id, submission_ids

    lookup: dict[str, int] = {}
    for i, value in enumerate(roster.values(column)):
        if value:
            lookup.setdefault(_norm_key(value), i)

    def who(keys: list[str]) -> int | None:
        return next((lookup[k] for k in map(_norm_key, keys) if k in lookup), None)

    claims: dict[int, list[Path]] = {}
    unmatched: list[Path] = []
    misnamed: list[tuple[str, str, str]] = []
    for path in paths:
        owner, named = who(folder_key(path, pattern)), who(name_key(path, pattern))
        if owner is None:  # no folder per student: the name decides
            owner = named
        elif named is not None and named != owner:  # the folder decides; the name is flagged
            misnamed.append((str(path), roster.students[owner].id, roster.students[named].id))
        if owner is None:
            unmatched.append(path)
        else:
            claims.setdefault(owner, []).append(path)
    rows, superseded, used = [], [], set()
    for i, student in enumerate(roster.students):
        sid = safe_id(student.id)
        if sid in used:
            raise RosterError(f"the roster {roster.path.name}: student ids that differ only in odd characters: {sid}")
        used.add(sid)
        files = sorted(claims.get(i, []), key=lambda p: (_mtime(p), p.as_posix()))
        if files:
            rows.append(Row(sid, str(files[-1]), SUBMITTED, student))
            superseded += [(str(p), student.id) for p in files[:-1]]
        else:
            rows.append(Row(sid, "", MISSING, student))
    for path, sid in submission_ids(unmatched).items():
        rows.append(Row(f"unmatched__{sid}", str(path), UNMATCHED))
    return Plan(rows, roster=True, superseded=superseded, misnamed=misnamed)


def _mtime(path: Path) -> float:
    try:
        return path.lstat().st_mtime  # a symlink's own time: never followed
    except OSError:
        return 0.0
