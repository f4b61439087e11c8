"""The shape every lab source follows, in the spirit of tensorflow/docs' nblint.

Each rule fails with one line naming the lab, the cell number (from 0, in the jupytext source) and the rule.
"""

import io
import re
import tokenize
from pathlib import Path

import jupytext
import pytest

SOURCES = sorted((Path(__file__).resolve().parents[1] / "instructor" / "source").glob("[0-9][0-9]_*.py"))
SECTION = re.compile(r"^## (\d+)\.", re.MULTILINE)
CHECK_CALL = "lab.{}.check("


def _cells(path: Path) -> list:
    return jupytext.reads(path.read_text(encoding="utf-8"), fmt="py:percent").cells


def _code(cell) -> str:
    """A code cell's source with IPython magics and shell escapes blanked, so that it tokenizes."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in cell.source.splitlines())


def _semicolon_lines(code: str) -> list[int]:
    """Lines (from 1) holding a ``;`` token: several statements packed on one line."""
    tokens = tokenize.generate_tokens(io.StringIO(code + "\n").readline)
    return sorted({tok.start[0] for tok in tokens if tok.type == tokenize.OP and tok.string == ";"})


@pytest.fixture(params=SOURCES, ids=[p.stem for p in SOURCES])
def lab(request):
    path = request.param
    return path.stem, path.stem[:2], _cells(path)


def test_there_are_lab_sources():
    assert SOURCES, "no instructor/source/NN_*.py found"


def test_title_cell(lab):
    name, number, cells = lab
    first = cells[0]
    assert first.cell_type == "markdown", f"{name} cell 0: the first cell must be markdown"
    assert first.source.startswith(f"# Lab {number} · "), (
        f"{name} cell 0: the title must start with '# Lab {number} · '"
    )
    assert "<!-- badges -->" in first.source, f"{name} cell 0: the title cell must contain '<!-- badges -->'"


def test_what_youll_learn(lab):
    name, _, cells = lab
    assert any(
        c.cell_type == "markdown" and re.search(r"^## What you'll learn\s*$", c.source, re.MULTILINE) for c in cells
    ), f"{name}: no markdown cell has a '## What you'll learn' heading"


def test_one_setup_cell_before_any_answer(lab):
    name, _, cells = lab
    setups = [i for i, c in enumerate(cells) if c.cell_type == "code" and "setup" in c.metadata.get("tags", [])]
    assert len(setups) == 1, f"{name} cells {setups}: there must be exactly one code cell tagged 'setup'"
    answers = [i for i, c in enumerate(cells) if "answer" in c.metadata]
    if answers:
        assert setups[0] < answers[0], (
            f"{name} cell {setups[0]}: the setup cell must come before answer cell {answers[0]}"
        )


def test_sections_numbered_in_order(lab):
    name, _, cells = lab
    expected = 1
    for i, cell in enumerate(cells):
        if cell.cell_type != "markdown":
            continue
        for match in SECTION.finditer(cell.source):
            found = int(match.group(1))
            assert found == expected, f"{name} cell {i}: section '## {found}.' found where '## {expected}.' was due"
            expected += 1
    assert expected > 1, f"{name}: no numbered section headings ('## 1.', '## 2.', ...)"


def test_summary_near_the_end(lab):
    name, _, cells = lab
    markdown = [i for i, c in enumerate(cells) if c.cell_type == "markdown"]
    last = markdown[-1]
    assert re.search(r"^## Summary\s*$", cells[last].source, re.MULTILINE), (
        f"{name} cell {last}: the last markdown cell must have a '## Summary' heading"
    )
    assert len(cells) - last <= 3, f"{name} cell {last}: the '## Summary' cell must be among the last three cells"


def test_last_code_cell_shows_progress(lab):
    name, _, cells = lab
    code = [i for i, c in enumerate(cells) if c.cell_type == "code"]
    last = code[-1]
    assert "labtools.progress()" in cells[last].source, (
        f"{name} cell {last}: the last code cell must call labtools.progress()"
    )


def test_every_answer_is_checked_later(lab):
    name, _, cells = lab
    for i, cell in enumerate(cells):
        qid = cell.metadata.get("answer")
        if qid is None:
            continue
        call = CHECK_CALL.format(qid)
        assert any(c.cell_type == "code" and call in c.source for c in cells[i + 1 :]), (
            f"{name} cell {i}: answer cell {qid!r} has no later code cell calling {call}...)"
        )


def test_one_statement_per_line(lab):
    name, _, cells = lab
    for i, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        lines = _semicolon_lines(_code(cell))
        assert not lines, (
            f"{name} cell {i}: ';' packs several statements on line(s) {lines} of the cell; use one per line"
        )
