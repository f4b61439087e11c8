"""What grading one submission produces, as typed records. ``to_dict()`` is the JSON form that
``OUT/results/<id>.json`` holds, that ``grade_all`` returns and that the gradebook is built from."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class QuestionResult:
    title: str
    status: str  # PASS, FAIL or NOT ATTEMPTED; a written question MANUAL (a person grades it), then GRADED
    points: float
    max: float
    message: str = ""  # the hint (at most 300 characters); a grader's comment for GRADED
    answer: str = ""  # a written question's text (printable, at most 10,000 characters; labtools.written)


@dataclass
class SubmissionResult:
    id: str
    file: str
    lab: str
    sha256: str = ""
    status: str = "ok"  # ok, unreadable, timeout, kernel died, memory limit, process limit, grader error
    notes: list[str] = field(default_factory=list)
    questions: dict[str, QuestionResult] = field(default_factory=dict)
    total: float = 0.0
    max: float = 0.0
    pending: float = 0.0  # the points of its MANUAL questions, waiting for a person
    seconds: float = 0.0
    isolated: bool = False
    sandboxed: bool = False

    def finish(self, max_points: float, seconds: float) -> SubmissionResult:
        self.total = round(sum(q.points for q in self.questions.values()), 3)
        self.max = max_points
        self.pending = round(sum(q.max for q in self.questions.values() if q.status == "MANUAL"), 3)
        self.seconds = round(seconds, 1)
        return self

    def to_dict(self) -> dict:
        return asdict(self)
