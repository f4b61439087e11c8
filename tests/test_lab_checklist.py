"""Adding a lab is one checklist (CONTRIBUTING.md, "Add a lab"): every step left out fails here
with one line that names the missing piece, so no lab is ever silently skipped."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from labtools.labs import CATALOGUE, load_lab
from labtools.paths import outputs

ROOT = Path(__file__).resolve().parent.parent
IDS = [info.number for info in CATALOGUE]


def test_every_lab_source_is_in_the_catalogue():
    stems = {info.stem for info in CATALOGUE}
    for source in sorted((ROOT / "instructor" / "source").glob("[0-9][0-9]_*.py")):
        assert source.stem in stems, f"{source.name}: add LabInfo(...) for it to CATALOGUE in labtools/labs/__init__.py"


@pytest.mark.parametrize("info", CATALOGUE, ids=IDS)
def test_the_source_and_its_generated_notebooks(info):
    source = ROOT / "instructor" / "source" / f"{info.stem}.py"
    assert source.exists(), f"lab {info.number}: write its source, instructor/source/{info.stem}.py"
    for kind, path in outputs(info).items():
        assert path.exists(), (
            f"lab {info.number}: no {kind} at {path.relative_to(ROOT)}; run `labtools generate {info.number}`"
        )


@pytest.mark.parametrize("info", CATALOGUE, ids=IDS)
def test_the_notebook_heading_is_the_catalogue_title(info):
    source = ROOT / "instructor" / "source" / f"{info.stem}.py"
    heading = f"# # Lab {info.number} · {info.title}"
    first = next((line for line in source.read_text(encoding="utf-8").splitlines() if line.startswith("# # ")), None)
    assert first == heading, f"lab {info.number}: the first heading of {source.name} should read {heading[4:]!r}"


@pytest.mark.parametrize("info", CATALOGUE, ids=IDS)
def test_the_kernel_side_and_the_judge_side(info):
    kernel = ROOT / "labtools" / "kernel" / f"lab{info.number}_{info.slug}.py"
    judges = ROOT / "labtools" / "labs" / f"lab{info.number}_{info.slug}.py"
    assert kernel.exists(), f"lab {info.number}: write its exercises (extract, hand) in {kernel.relative_to(ROOT)}"
    assert judges.exists(), f"lab {info.number}: write its questions (judges, hints) in {judges.relative_to(ROOT)}"
    assert load_lab(info.number).number == info.number, f"lab {info.number}: its LAB has another number"


@pytest.mark.parametrize("info", CATALOGUE, ids=IDS)
def test_an_answer_set(info):
    try:
        importlib.import_module(f"answers.lab{info.number}")
    except ModuleNotFoundError:
        pytest.fail(f"lab {info.number}: write its answer set, tests/answers/lab{info.number}.py (CONTRIBUTING.md)")


@pytest.mark.parametrize("info", CATALOGUE, ids=IDS)
def test_a_wrong_answer_for_the_browser_test(info):
    from test_browser import WRONG

    assert info.number in WRONG, f"lab {info.number}: add a wrong answer for it to WRONG in tests/test_browser.py"


@pytest.mark.parametrize("info", CATALOGUE, ids=IDS)
def test_crafted_submissions(info):
    from test_crafted_submissions import SUBMISSIONS

    assert info.number in SUBMISSIONS, (
        f"lab {info.number}: add crafted submissions to tests/test_crafted_submissions.py"
    )


@pytest.mark.parametrize("info", CATALOGUE, ids=IDS)
def test_a_row_in_the_readme(info):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    row = f"| {info.number} | [`notebooks/{info.stem}.ipynb`]"
    assert row in readme, f"lab {info.number}: add its row to the README's table of labs ({row} ...)"
