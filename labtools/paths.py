"""Where a lab's files live, in one place: its source, the generated notebooks, the bundle."""

from __future__ import annotations

from pathlib import Path

from .labs import LabInfo


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def source(lab: LabInfo, root: Path | None = None) -> Path:
    """``notebooks/source/NN_topic.py``: the one source of a lab."""
    return (root or repo_root()) / "notebooks" / "source" / f"{lab.stem}.py"


def outputs(lab: LabInfo, root: Path | None = None) -> dict[str, Path]:
    """What ``labtools generate`` writes: the student notebook, the solution, the grading bundle."""
    nbdir = (root or repo_root()) / "notebooks"
    return {
        "student": nbdir / f"{lab.stem}.ipynb",
        "solution": nbdir / "solutions" / f"{lab.stem}.ipynb",
        "bundle": nbdir / "instructor" / f"{lab.stem}.json",
    }
