"""`labtools release`: the student release holds the student notebooks, the install line and a
README, and nothing an instructor keeps (solutions, sources, grading bundles)."""

from __future__ import annotations

import json

import pytest

from labtools import repo
from labtools.cli import main
from labtools.labs import CATALOGUE
from labtools.paths import outputs

STUDENT_FILES = sorted(f"{lab.stem}.ipynb" for lab in CATALOGUE)


def test_a_release_holds_what_students_need_and_nothing_else(tmp_path):
    out = tmp_path / "release"
    assert main(["release", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted([*STUDENT_FILES, "README.md", "requirements.txt"])
    for lab in CATALOGUE:
        copied = (out / f"{lab.stem}.ipynb").read_text(encoding="utf-8")
        assert copied == outputs(lab)["student"].read_text(encoding="utf-8"), (
            f"lab {lab.number}: not the student notebook"
        )
        bundle = json.loads(outputs(lab)["bundle"].read_text(encoding="utf-8"))
        for test in bundle["hidden_tests"] if isinstance(bundle.get("hidden_tests"), list) else []:
            assert test.get("code", "") not in copied
    requirement = (out / "requirements.txt").read_text().strip()
    assert requirement.startswith("labtools[cpu,lab] @ ") and repo.REPOSITORY in requirement
    readme = (out / "README.md").read_text()
    assert "pip install -r requirements.txt" in readme and "jupyter lab" in readme
    assert all(name in readme for name in STUDENT_FILES)


def test_a_release_of_some_labs_updates_an_earlier_one(tmp_path):
    out = tmp_path / "release"
    assert main(["release", str(out)]) == 0
    (out / ".git").mkdir()  # a course repository
    assert main(["release", str(out), "1", "3"]) == 0
    assert sorted(p.name for p in out.glob("*.ipynb")) == [STUDENT_FILES[0], STUDENT_FILES[2]]
    assert (out / ".git").is_dir()


@pytest.mark.parametrize("other", ["notes.txt", "solutions"])
def test_a_release_never_writes_into_a_folder_of_other_files(tmp_path, capsys, other):
    out = tmp_path / "course"
    out.mkdir()
    (out / other).write_text("mine") if "." in other else (out / other).mkdir()
    assert main(["release", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and other in err and "new or empty folder" in err
    assert sorted(p.name for p in out.iterdir()) == [other], "nothing may be written beside another's files"
