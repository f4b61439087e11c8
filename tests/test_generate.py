"""The one-source pipeline: markers, errors, and committed files in sync with their sources."""

import ast
import json
import textwrap

import nbformat
import pytest

from labtools import generate
from labtools.checking import Lab, Question
from labtools.generate import SourceError, generate_lab, labs_with_sources, output_paths, repo_root
from labtools.kernel.exercise import Exercise
from labtools.labs import CATALOGUE

ROOT = repo_root()


def test_line_marker_becomes_none_todo():
    src = "x = tf.constant([1, 2])  # SOLUTION\n    return a * b  # SOLUTION\nobj.attr = 3 # SOLUTION"
    out = generate._student_code(src, "t").splitlines()
    assert out == ["x = None  # TODO", "    return None  # TODO", "obj.attr = None  # TODO"]
    assert generate._solution_code(src).splitlines()[0] == "x = tf.constant([1, 2])"


def test_block_marker_becomes_todo_at_same_indent_and_parses():
    src = textwrap.dedent("""\
        def f(x):
            ### BEGIN SOLUTION
            y = x * 2
            return y
            ### END SOLUTION
        """)
    student = generate._student_code(src, "t")
    assert "y = x * 2" not in student and "    ...  # TODO: your code here" in student
    ast.parse(student)
    solution = generate._solution_code(src)
    assert "BEGIN" not in solution and "return y" in solution


def test_top_level_block_becomes_pass_so_the_cell_shows_nothing():
    src = "### BEGIN SOLUTION\nmodel.compile(optimizer='adam')\n### END SOLUTION\n"
    assert generate._student_code(src, "t") == "pass  # TODO: your code here"


@pytest.mark.parametrize(
    "src, message",
    [
        ("### BEGIN SOLUTION\nx = 1\n", "without ### END"),
        ("x = 1\n### END SOLUTION\n", "without ### BEGIN"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n", "inside another"),
        ("print(1)  # SOLUTION\n", "assignment or a return"),
    ],
)
def test_bad_markers_name_the_problem(src, message):
    with pytest.raises(SourceError, match=message):
        generate._student_code(src, "cell 3")


def _toy_lab():
    exercise = Exercise("q1", answers=["x"], extract=lambda x: {})
    return Lab("01", [Question(exercise, title="One", points=1, judge=lambda d: None)])


def _write_source(tmp_path, body):
    src = tmp_path / "instructor" / "source"
    src.mkdir(parents=True, exist_ok=True)
    (src / "01_tensors.py").write_text(textwrap.dedent(body))
    return tmp_path


GOOD = """\
    # %% [markdown]
    # # Lab 01 · Toy
    # <!-- badges -->

    # %% tags=["setup"]
    import math

    # %% answer="q1"
    x = 41 + 1  # SOLUTION

    # %%
    lab.q1.check(x)

    # %% tags=["hidden-tests"]
    grade("q1", x)
    """


def test_generated_outputs_have_the_right_shape(tmp_path):
    root = _write_source(tmp_path, GOOD)
    g = generate_lab("01", root, lab=_toy_lab())
    student = nbformat.from_dict(g.student)
    nbformat.validate(student)
    codes = [c.source for c in student.cells if c.cell_type == "code"]
    assert 'labtools.start_lab("01")' in codes[0] and "import math" in codes[0]
    assert "google.colab" in codes[0]
    assert codes[1] == "x = None  # TODO"
    assert not any("grade(" in c for c in codes), "hidden tests leaked into the student notebook"
    assert "colab-badge.svg" in student.cells[0].source and "01_tensors.ipynb" in student.cells[0].source
    answer = student.cells[2]
    assert answer.id == "q1-answer" and answer.metadata["labtools"] == {"answer": "q1"}
    solution_codes = [c.source for c in g.solution["cells"] if c["cell_type"] == "code"]
    assert solution_codes[1] == "x = 41 + 1"
    check_cell = next(c for c in g.bundle["template"]["cells"] if c["source"] == "lab.q1.check(x)")
    assert g.bundle["hidden_tests"] == [{"after": check_cell["id"], "code": 'grade("q1", x)'}]
    assert student.metadata["labtools"]["generated_from"] == "instructor/source/01_tensors.py"
    assert g.bundle["questions"][0]["points"] == 1 and g.bundle["template"]["cells"][2]["id"] == "q1-answer"


def test_hidden_tests_are_generated_from_check_cells_unless_the_source_says_otherwise(tmp_path):
    without = GOOD.replace('# %% tags=["hidden-tests"]\n    grade("q1", x)\n', "")
    g = generate_lab("01", _write_source(tmp_path, without), lab=_toy_lab())
    assert [h["code"] for h in g.bundle["hidden_tests"]] == ['grade("q1", x)']
    own = GOOD.replace('grade("q1", x)', 'grade("q1", x + 0)')  # an explicit cell wins
    g = generate_lab("01", _write_source(tmp_path, own), lab=_toy_lab())
    assert [h["code"] for h in g.bundle["hidden_tests"]] == ['grade("q1", x + 0)']


def test_inserting_a_cell_changes_no_other_cell_id(tmp_path):
    before = generate_lab("01", _write_source(tmp_path, GOOD), lab=_toy_lab())
    inserted = GOOD.replace('    # %% tags=["setup"]', "    # %%\n    print('new cell')\n\n    # %% tags=[\"setup\"]")
    after = generate_lab("01", _write_source(tmp_path, inserted), lab=_toy_lab())
    ids_before = [c["id"] for c in before.student["cells"]]
    ids_after = [c["id"] for c in after.student["cells"]]
    assert len(ids_after) == len(ids_before) + 1 and set(ids_before) < set(ids_after)


@pytest.mark.parametrize(
    "body, message",
    [
        (GOOD.replace('# %% answer="q1"', "# %%"), "needs answer="),
        (GOOD.replace('answer="q1"', 'answer="q9"'), "not a question"),
        (GOOD.replace('grade("q1", x)', 'grade("q2", x)'), "unknown question"),
        (GOOD.replace("lab.q1.check(x)", "lab.q7.check(x)"), "names no question"),
        (GOOD.replace('grade("q1", x)', "print(x)"), "must call grade"),
        (GOOD.replace("x = 41 + 1  # SOLUTION", "x = (  # SOLUTION"), "does not parse"),
    ],
)
def test_source_errors_are_one_clear_line(tmp_path, body, message):
    root = _write_source(tmp_path, body)
    with pytest.raises(SourceError, match=message) as err:
        generate_lab("01", root, lab=_toy_lab())
    assert "\n" not in str(err.value)


def test_missing_source_is_reported(tmp_path):
    with pytest.raises(SourceError, match="source of lab 01 is missing"):
        generate_lab("01", tmp_path, lab=_toy_lab())


def test_cli_check_reports_stale_file_and_writes_nothing(tmp_path, monkeypatch, capsys):
    root = _write_source(tmp_path, GOOD)
    monkeypatch.setattr(generate, "load_lab", lambda n: _toy_lab())
    assert generate.run(["01"], check=True, root=root) == [
        "notebooks/01_tensors.ipynb",
        "instructor/solutions/01_tensors.ipynb",
        "instructor/bundles/01_tensors.json",
    ]
    assert not (root / "notebooks" / "01_tensors.ipynb").exists()
    assert len(generate.run(["01"], root=root)) == 3
    assert generate.run(["01"], check=True, root=root) == []


# -- the real repository ------------------------------------------------------------------------


def test_every_lab_in_the_catalogue_has_a_source():
    have = {i.number for i in labs_with_sources(ROOT)}
    assert have == {i.number for i in CATALOGUE}, (
        f"labs without a source: {sorted({i.number for i in CATALOGUE} - have)}"
    )


def test_committed_generated_files_are_up_to_date():
    stale = generate.run(check=True)
    assert stale == [], f"run `labtools generate` and commit: {stale}"


def test_no_committed_notebook_has_outputs():
    carrying = []
    for path in sorted((ROOT / "notebooks").rglob("*.ipynb")):
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            if cell.get("outputs") or cell.get("execution_count"):
                carrying.append(str(path.relative_to(ROOT)))
                break
    assert carrying == []


def test_student_notebooks_hold_no_solution_or_hidden_code():
    for lab_info in labs_with_sources(ROOT):
        paths = output_paths(lab_info, ROOT)
        text = paths["student"].read_text()
        assert "SOLUTION" not in text and "grade(" not in text
        bundle = json.loads(paths["bundle"].read_text())

        def sources(cells):
            return [(c["id"], "".join(c["source"])) for c in cells]

        assert sources(bundle["template"]["cells"]) == sources(json.loads(text)["cells"])


def test_step_select_hidden_tests_prefers_an_explicit_cell_and_requires_every_question():
    lab = _toy_lab()
    generated = {"after": "code-a", "code": 'grade("q1", x)', "qid": "q1"}
    explicit = {"after": "code-a", "code": 'grade("q1", x + 0)', "explicit": True}
    assert generate.select_hidden_tests([generated], set(), lab, "src") == [
        {"after": "code-a", "code": 'grade("q1", x)'}
    ]
    kept = generate.select_hidden_tests([generated, explicit], {"q1"}, lab, "src")
    assert kept == [{"after": "code-a", "code": 'grade("q1", x + 0)'}]
    with pytest.raises(SourceError, match=r"grades question\(s\) \['q1'\]"):
        generate.select_hidden_tests([], set(), lab, "src")


def test_step_code_versions_puts_the_prelude_in_front_of_the_setup_cell_only():
    lab = _toy_lab()
    student, solution = generate._code_versions("import math", "cell 2", None, ["setup"], lab, "01")
    assert student == solution and student.endswith("import math") and 'start_lab("01")' in student
    student, solution = generate._code_versions("x = 41 + 1  # SOLUTION", "cell 3", "q1", [], lab, "01")
    assert (student, solution) == ("x = None  # TODO", "x = 41 + 1")
