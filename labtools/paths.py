"""Where a lab's files live, in one place: its source, the generated notebooks, the bundle.

Students see ``notebooks/`` (their notebooks only); the source, the solutions and the grading
bundles live in ``instructor/``, outside the folder the labs open on."""

from __future__ import annotations

from pathlib import Path

from .labs import LabInfo


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def source(lab: LabInfo, root: Path | None = None) -> Path:
    """``instructor/source/NN_topic.py``: the one source of a lab."""
    return (root or repo_root()) / "instructor" / "source" / f"{lab.stem}.py"


def outputs(lab: LabInfo, root: Path | None = None) -> dict[str, Path]:
    """What ``labtools generate`` writes: the student notebook, the solution, the grading bundle."""
    root = root or repo_root()
    return {
        "student": root / "notebooks" / f"{lab.stem}.ipynb",
        "solution": root / "instructor" / "solutions" / f"{lab.stem}.ipynb",
        "bundle": root / "instructor" / "bundles" / f"{lab.stem}.json",
    }
