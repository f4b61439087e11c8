"""What a grading run is to produce: one gradebook row per submission, or with a roster one per
student (``missing`` when they submitted nothing) plus one per submission matching no student.

Every shard of a run computes the same plan from the same submissions and roster, so the plan
also tells ``labtools grade merge`` which rows the merged gradebook must have, in which order.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from .results import QuestionResult, SubmissionResult

SUBMITTED, MISSING, UNMATCHED = "submitted", "missing", "unmatched"


@dataclass(frozen=True)
class Student:
    id: str  # the student id (Canvas: SIS User ID; Moodle: ID number)
    name: str = ""
    email: str = ""
    section: str = ""
    login: str = ""  # Canvas: SIS Login ID
    lms_id: str = ""  # Canvas: ID (Canvas's own user id), where the roster has it


@dataclass(frozen=True)
class Row:
    id: str  # the gradebook row's id: the student id with a roster, else from the file name
    file: str  # the submission graded for this row; "" when the student submitted nothing
    state: str  # submitted, missing (a roster student without a submission) or unmatched
    student: Student | None = None  # None: no roster, or a submission matching no student


@dataclass
class Plan:
    rows: list[Row]
    roster: bool = False
    superseded: list[tuple[str, str]] = field(default_factory=list)  # (file, the student id)
    # (file, the student whose folder it is in and who it counts for, the student its name names)
    misnamed: list[tuple[str, str, str]] = field(default_factory=list)

    def graded(self) -> dict[Path, str]:
        """The files to grade, each with its row id."""
        return {Path(r.file): r.id for r in self.rows if r.file}

    def to_json(self) -> dict:
        return {
            "roster": self.roster,
            "rows": [asdict(r) for r in self.rows],
            "superseded": [list(s) for s in self.superseded],
            "misnamed": [list(m) for m in self.misnamed],
        }

    @classmethod
    def from_json(cls, data: dict) -> Plan:
        rows = [
            Row(r["id"], r["file"], r["state"], Student(**r["student"]) if r.get("student") else None)
            for r in data["rows"]
        ]
        return cls(
            rows,
            bool(data.get("roster")),
            [(f, s) for f, s in data.get("superseded", [])],
            [(f, owner, named) for f, owner, named in data.get("misnamed", [])],
        )

    def misnamed_note(self, file: str) -> str:
        """For matching.csv: the student a file's name names, when that is not whose folder it is in."""
        for f, owner, named in self.misnamed:
            if f == file:
                return f"its name names student {named}; counted for {owner}, whose folder it is in"
        return ""


def plain(ids: dict[Path, str]) -> Plan:
    """The plan without a roster: every submission, its row named as ``submission_ids`` names it."""
    return Plan([Row(sid, str(path), SUBMITTED) for path, sid in ids.items()])


def missing_result(row: Row, lab) -> dict:
    """The row of a roster student who submitted nothing: status ``missing``, no points."""
    result = SubmissionResult(id=row.id, file="", lab=lab.number, status=MISSING)
    result.notes.append("no submission from this student")
    for qid, q in lab.questions.items():
        result.questions[qid] = QuestionResult(q.title, "NOT ATTEMPTED", 0, q.points, "no submission")
    return result.finish(lab.max_points, 0.0).to_dict()


def assemble(plan: Plan, results: dict[str, dict], lab) -> list[dict]:
    """The gradebook's rows in the plan's order: each graded row's result, a ``missing`` row for
    each roster student without a submission. A graded row without a result is an error."""
    rows = []
    for row in plan.rows:
        if row.state == MISSING:
            rows.append(missing_result(row, lab))
        else:
            rows.append(results[row.id])
    return rows
