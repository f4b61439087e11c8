"""Grading a class: rosters (missing, extra and duplicate submissions), Canvas and Moodle files,
regrading one student, shards merged under a shared key, and Gradescope's autograder.

The roster and merge tests grade with a stand-in for ``grade_one`` (instant, its marks read from
the file), so they test the bookkeeping; the shard test and the Gradescope test grade real lab
02 notebooks in the sandbox.
"""

import csv
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from subprocess import PIPE

import nbformat
import pytest

from labtools.cli import main
from labtools.grading import runner
from labtools.grading.plan import MISSING, SUBMITTED, UNMATCHED
from labtools.grading.results import QuestionResult, SubmissionResult
from labtools.grading.roster import Roster, RosterError, compile_pattern, match
from labtools.grading.shards import parse_shard, shard_of
from labtools.grading.signing import BadKey, load_key, sign, verify
from labtools.labs import load_lab
from labtools.written import written_questions

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SOLUTIONS = ROOT / "instructor" / "solutions"
LAB = load_lab("02")
QIDS = list(LAB.questions)
WRITTEN = written_questions(LAB)  # MANUAL in every fake result: a person grades them (tests/test_written.py)


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def write_roster(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "grading.key"
    path.write_text(secrets.token_hex(32) + "\n")
    return path


# -- a stand-in grader: a "submission" is {"marks": [q1, q2, q3, q4]} ----------------------------


def fake_grade_one(path, sid, settings):
    data = Path(path).read_bytes()
    marks = json.loads(data)["marks"]
    result = SubmissionResult(id=sid, file=str(path), lab="02", sha256=hashlib.sha256(data).hexdigest())
    code = [(qid, q) for qid, q in LAB.questions.items() if qid not in WRITTEN]
    for (qid, q), m in zip(code, marks, strict=True):
        result.questions[qid] = QuestionResult(q.title, "PASS" if m == q.points else "FAIL", m, q.points, "")
    for qid, q in WRITTEN.items():
        result.questions[qid] = QuestionResult(q.title, "MANUAL", 0, q.points, "", "an answer")
    return result.finish(LAB.max_points, 0.0).to_dict()


@pytest.fixture
def fake_grader(monkeypatch):
    monkeypatch.setattr(runner, "grade_one", fake_grade_one)


def submit(folder: Path, name: str, marks: list[float], mtime: float | None = None) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"marks": marks}))
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def grade(*argv: str) -> int:
    return main(["grade", "--lab", "02", "--no-sandbox", "--allow-network", "--quiet", *argv])


# -- the roster --------------------------------------------------------------------------------


def test_roster_columns_are_found_by_their_header(tmp_path):
    canvas = write_roster(
        tmp_path / "canvas.csv",
        ["Student,ID,SIS User ID,SIS Login ID,Section", '"Lovelace, Ada",101,s1,ada,A', "Turing,102,s2,alan,B"],
    )
    roster = Roster.load(canvas)
    ada = roster.students[0]
    assert (ada.id, ada.name, ada.lms_id, ada.login, ada.section) == ("s1", "Lovelace, Ada", "101", "ada", "A")
    plain = write_roster(tmp_path / "plain.csv", ["\ufeffStudent_ID,Name,E-mail,Section", "s9,Grace,g@x.org,C", ""])
    grace = Roster.load(plain).students
    assert [(s.id, s.email, s.lms_id) for s in grace] == [("s9", "g@x.org", "")]


@pytest.mark.parametrize(
    "lines, says",
    [
        (["name,email", "Ada,a@x.org"], "no student id column"),
        (["id,name", "s1,Ada", "s1,Alan"], "student id s1 is on lines 2 and 3"),
        (["id,name", ",Ada"], "line 2: no student id"),
        ([], "empty"),
    ],
)
def test_a_roster_that_cannot_be_used_says_why_in_one_line(tmp_path, lines, says):
    path = write_roster(tmp_path / "roster.csv", lines)
    with pytest.raises(RosterError, match=says) as info:
        Roster.load(path)
    assert "\n" not in str(info.value)


def test_submissions_match_by_stem_folder_pattern_or_any_column(tmp_path):
    roster = Roster.load(
        write_roster(tmp_path / "r.csv", ["id,email,notebook", "s1,ada@x.org,ada-lab.ipynb", "s2,alan@x.org,"])
    )
    subs = tmp_path / "subs"
    by_stem, by_folder = submit(subs, "S1.ipynb", [0] * 4), submit(subs, "s2/lab02.ipynb", [0] * 4)
    plan = match([by_stem, by_folder], roster)
    assert [(r.id, r.state, Path(r.file).name if r.file else "") for r in plan.rows] == [
        ("s1", SUBMITTED, "S1.ipynb"),
        ("s2", SUBMITTED, "lab02.ipynb"),
    ]
    canvas_style = submit(subs, "lovelaceada_LATE_ada@x.org_lab.ipynb", [0] * 4)
    plan = match([canvas_style], roster, compile_pattern(r"_(?P<student>[^_]+@[^_]+)_"), "email")
    assert [(r.id, r.state) for r in plan.rows] == [("s1", SUBMITTED), ("s2", MISSING)]
    canvas_roster = Roster.load(
        write_roster(tmp_path / "c.csv", ["Student,ID,SIS User ID", "Ada,4711,s1", "Alan,4712,s2"])
    )
    downloads = [
        submit(subs, n, [0] * 4) for n in ("lovelaceada_4711_90001_lab.ipynb", "turingalan_late_4712_9_x.ipynb")
    ]
    plan = match(downloads, canvas_roster, compile_pattern(r"^[a-z]+_(?i:late_)?(?P<student>\d+)_"), "canvas id")
    assert [(r.id, Path(r.file).name) for r in plan.rows] == [
        ("s1", "lovelaceada_4711_90001_lab.ipynb"),
        ("s2", "turingalan_late_4712_9_x.ipynb"),
    ]
    own_column = submit(subs, "ada-lab.ipynb", [0] * 4)
    plan = match([own_column], roster, None, "notebook")
    assert plan.rows[0].file == str(own_column)
    with pytest.raises(RosterError, match="no column 'nope'"):
        match([own_column], roster, None, "nope")


def test_roster_run_has_every_student_and_every_submission(tmp_path, fake_grader, capsys):
    subs, out = tmp_path / "subs", tmp_path / "out"
    roster = write_roster(
        tmp_path / "roster.csv",
        [
            "Student ID,Name,Email,Section",
            "s1,Ada Lovelace,ada@x.org,A",
            "s2,Alan Turing,alan@x.org,A",
            "s3,Grace Hopper,grace@x.org,B",  # submits nothing
        ],
    )
    submit(subs, "s1_first.ipynb", [1, 0, 0, 0], mtime=1_700_000_000)
    submit(subs, "s1_second.ipynb", [1, 2, 2, 1], mtime=1_700_000_100)  # the later one is graded
    submit(subs, "s1_a_copy_sorted_last.ipynb", [0, 0, 0, 0], mtime=1_600_000_000)  # older, though last by name
    submit(subs, "s2_lab.ipynb", [1, 2, 0, 0])
    submit(subs, "stranger_lab.ipynb", [1, 1, 1, 1])  # nobody on the roster
    assert grade(str(subs), "--out", str(out), "--roster", str(roster), "--match", r"^(?P<student>[^_/]+)_") == 0
    err = capsys.readouterr().err
    assert "stranger_lab.ipynb matches no student" in err
    assert "s1_first.ipynb not graded: student s1 has a later submission" in err

    rows = {r["id"]: r for r in csv.DictReader(open(out / "grades.csv"))}
    assert list(rows) == ["s1", "s2", "s3", "unmatched__stranger_lab"]
    assert (rows["s1"]["status"], rows["s1"]["total"]) == ("ok", "6")
    assert (rows["s2"]["total"], rows["s3"]["status"], rows["s3"]["total"]) == ("3", "missing", "0")
    assert rows["unmatched__stranger_lab"]["total"] == "4"
    assert (out / "feedback" / "s3.md").read_text().count("NOT ATTEMPTED") == len(QIDS)

    canvas = read_csv(out / "canvas.csv")
    assignment = f"Lab 02: {LAB.title}"
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment]
    assert canvas[1] == ["Points Possible", "", "", "", "", f"{LAB.max_points:g}"]  # written points too
    assert canvas[2:] == [
        ["Ada Lovelace", "", "s1", "", "A", "6"],
        ["Alan Turing", "", "s2", "", "A", "3"],
        ["Grace Hopper", "", "s3", "", "B", "0"],
    ]
    moodle = read_csv(out / "moodle.csv")
    assert moodle == [
        ["Email address", "ID number", assignment],
        ["ada@x.org", "s1", "6"],
        ["alan@x.org", "s2", "3"],
        ["grace@x.org", "s3", "0"],
    ]
    matched = csv.DictReader(open(out / "matching.csv"))
    matching = {(r["state"], Path(r["file"]).name if r["file"] else "") for r in matched}
    assert matching == {
        (SUBMITTED, "s1_second.ipynb"),
        (SUBMITTED, "s2_lab.ipynb"),
        (MISSING, ""),
        (UNMATCHED, "stranger_lab.ipynb"),
        ("superseded", "s1_first.ipynb"),
        ("superseded", "s1_a_copy_sorted_last.ipynb"),
    }


def test_regrading_one_student_replaces_only_their_row(tmp_path, fake_grader):
    subs, out = tmp_path / "subs", tmp_path / "out"
    roster = write_roster(tmp_path / "roster.csv", ["id,name,email", "s1,Ada,a@x", "s2,Alan,b@x", "s3,Grace,c@x"])
    for sid in ("s1", "s2", "s3"):
        submit(subs, f"{sid}.ipynb", [0, 0, 0, 0])
    assert grade(str(subs), "--out", str(out), "--roster", str(roster)) == 0
    before = {f: (out / f).read_text() for f in ("results/s1.json", "results/s3.json")}
    canvas_before = read_csv(out / "canvas.csv")
    for sid in ("s1", "s2", "s3"):  # everyone resubmits; only s2 is to be regraded
        submit(subs, f"{sid}.ipynb", [1, 2, 2, 1])
    assert grade(str(subs), "--out", str(out), "--roster", str(roster), "--student", "s2") == 0
    assert {f: (out / f).read_text() for f in before} == before
    totals = {r["id"]: r["total"] for r in csv.DictReader(open(out / "grades.csv"))}
    assert totals == {"s1": "0", "s2": "6", "s3": "0"}
    canvas_after = read_csv(out / "canvas.csv")
    changed = [i for i, (a, b) in enumerate(zip(canvas_before, canvas_after, strict=True)) if a != b]
    assert changed == [3] and canvas_after[3][2] == "s2"
    assert grade(str(subs), "--out", str(out), "--roster", str(roster), "--student", "s9") == 2
    nobody = write_roster(tmp_path / "nobody.csv", ["id", "x1", "x2"])
    assert grade(str(subs), "--out", str(tmp_path / "o2"), "--roster", str(nobody)) == 2


# -- signatures, shards and merging ----------------------------------------------------------------


def test_keys_come_from_a_file_and_signatures_catch_any_change(tmp_path, monkeypatch, key_file):
    key = load_key(key_file)
    monkeypatch.setenv("LABTOOLS_GRADING_KEY_FILE", str(key_file))
    assert load_key() == key and len(key) == 64
    short = tmp_path / "short.key"
    short.write_text("abc")
    with pytest.raises(BadKey, match="at least 16"):
        load_key(short)
    with pytest.raises(BadKey, match="cannot read"):
        load_key(tmp_path / "absent.key")
    record = sign({"id": "s1", "total": 6, "questions": {"q1": {"points": 1}}}, key)
    assert verify(json.loads(json.dumps(record)), key)
    assert not verify({**record, "total": 5}, key) and not verify(record, b"another key of 32 bytes........")
    assert not verify({k: v for k, v in record.items() if k != "signature"}, key)


def test_shards_are_stable_and_cover_every_row():
    ids = [f"s{i}" for i in range(300)]
    shards = [shard_of(i, 3) for i in ids]
    assert set(shards) == {0, 1, 2} and min(shards.count(k) for k in range(3)) > 60
    assert shard_of("s1", 3) == int.from_bytes(hashlib.sha256(b"s1").digest()[:8], "big") % 3
    assert parse_shard("2/3") == (2, 3)
    for bad in ("3/3", "-1/3", "1", "a/b", "0/0"):
        with pytest.raises(ValueError, match="K/N"):
            parse_shard(bad)


def shard_run(subs, out, roster, key_file, count=3, extra=()):
    for k in range(count):
        argv = [str(subs), "--out", str(out), "--roster", str(roster), "--shard", f"{k}/{count}"]
        assert grade(*argv, "--key-file", str(key_file), *extra) == 0


def test_merge_refuses_tampered_missing_and_foreign_results(tmp_path, fake_grader, key_file, capsys):
    subs, shared, merged = tmp_path / "subs", tmp_path / "shared", tmp_path / "merged"
    roster = write_roster(tmp_path / "roster.csv", ["id", *[f"s{i}" for i in range(8)]])
    for i in range(7):  # s7 submits nothing
        submit(subs, f"s{i}.ipynb", [1, 2, i % 3, 0])
    assert grade(str(subs), "--out", str(shared), "--shard", "0/3") == 2  # no key: refused
    assert "--shard needs the key" in capsys.readouterr().err
    shard_run(subs, shared, roster, key_file)
    merge = ["grade", "merge", str(shared), "--out", str(merged), "--key-file", str(key_file)]
    assert main(merge) == 0
    totals = {r["id"]: r["total"] for r in csv.DictReader(open(merged / "grades.csv"))}
    assert totals == {**{f"s{i}": str(3 + i % 3) for i in range(7)}, "s7": "0"}
    assert read_csv(merged / "canvas.csv")[-1][2:] == ["s7", "", "", "0"]

    victim = shared / "results" / "s1.json"
    honest = victim.read_text()
    victim.write_text(honest.replace('"total": 4', '"total": 6'))
    capsys.readouterr()
    assert main(merge) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "s1.json: its signature does not match" in err[0] and "nothing written" in err[1]
    victim.write_text(honest)

    other_key = tmp_path / "other.key"
    other_key.write_text(secrets.token_hex(32))
    assert main([*merge[:-1], str(other_key)]) == 1
    assert "signature does not match" in capsys.readouterr().err

    manifest = next((shared / "shards").glob("1-of-3.json"))
    manifest.rename(tmp_path / "away.json")
    assert main(merge) == 1
    assert "shard(s) 1 of 3 have not finished" in capsys.readouterr().err
    (tmp_path / "away.json").rename(manifest)

    swapped = shared / "results" / "s2.json"
    swapped.write_text((shared / "results" / "s3.json").read_text())  # signed, but another student's
    assert main(merge) == 1
    assert "s2.json: the result of another submission" in capsys.readouterr().err

    swapped.unlink()
    assert main(merge) == 1
    assert "s2.json: missing" in capsys.readouterr().err


# -- real grading: 3 shards against one run -----------------------------------------------------------


def lab02_class(folder: Path) -> Path:
    """Three lab 02 submissions (right, untouched, one answer wrong), one per shard of 3, and a
    roster of four students (one submits nothing)."""
    solution = (SOLUTIONS / "02_computation.ipynb").read_text()
    folder.mkdir()
    (folder / "s1.ipynb").write_text(solution)
    (folder / "s2.ipynb").write_text((NOTEBOOKS / "02_computation.ipynb").read_text())
    wrong = nbformat.reads(solution, 4)
    for cell in wrong.cells:
        if cell.id == "q1-answer":
            cell.source = cell.source.replace("tf.add(", "tf.subtract(")
    (folder / "s3.ipynb").write_text(nbformat.writes(wrong))
    students = [f"s{i},Student {i},s{i}@x.org,A" for i in range(1, 5)]
    return write_roster(folder.parent / "roster.csv", ["id,name,email,section", *students])


def verdicts(feedback: Path) -> list[str]:
    """A feedback file less the hints' text: its score, status and each question's result and points."""
    lines = feedback.read_text().splitlines()
    return [line.rsplit("|", 2)[0] if line.startswith("| q") else line for line in lines]


@pytest.mark.notebooks
def test_three_shards_merged_equal_one_run_row_for_row(tmp_path, key_file):
    from test_grading import sandbox_or_skip

    sandbox_or_skip()
    subs = tmp_path / "subs"
    roster = lab02_class(subs)
    single, shared, merged = tmp_path / "single", tmp_path / "shared", tmp_path / "merged"
    limits = ["--cell-timeout", "120", "--timeout", "300"]
    base = ["grade", "--lab", "02", "--quiet", *limits, str(subs), "--roster", str(roster)]
    assert main([*base, "--out", str(single), "-j", "2"]) == 0
    # the shards as three processes at once, as three machines would run them, on one shared folder
    env = {**os.environ, "LABTOOLS_GRADING_KEY_FILE": str(key_file)}
    cli = [sys.executable, "-m", "labtools.cli", *base, "--out", str(shared)]
    shards = [subprocess.Popen([*cli, "--shard", f"{k}/3"], env=env, stdout=PIPE, stderr=PIPE) for k in range(3)]
    outputs = [p.communicate(timeout=600) for p in shards]
    assert [p.returncode for p in shards] == [0, 0, 0], [err.decode()[-1000:] for _, err in outputs]
    assert not (shared / "grades.csv").exists(), "a shard writes results, not a gradebook"
    assert main(["grade", "merge", str(shared), "--out", str(merged), "--key-file", str(key_file)]) == 0

    rows = read_csv(single / "grades.csv")
    assert read_csv(merged / "grades.csv") == rows
    totals = {r[0]: (r[1], r[rows[0].index("total")]) for r in rows[1:]}
    assert totals == {"s1": ("ok", "6"), "s2": ("ok", "0"), "s3": ("ok", "5"), "s4": ("missing", "0")}
    assert sorted(shard_of(f"s{i}", 3) for i in (1, 2, 3)) == [0, 1, 2], "one submission per shard"
    for name in ("canvas.csv", "moodle.csv", "matching.csv"):
        assert read_csv(merged / name) == read_csv(single / name), name
    feedback = sorted(p.name for p in (single / "feedback").glob("*.md"))
    assert feedback == sorted(p.name for p in (merged / "feedback").glob("*.md")) == [f"s{i}.md" for i in range(1, 5)]
    for name in feedback:  # the same verdicts; the values a hint quotes come from inputs drawn afresh each time
        assert verdicts(merged / "feedback" / name) == verdicts(single / "feedback" / name)
    single_book = json.loads((single / "grades.json").read_text())
    merged_book = json.loads((merged / "grades.json").read_text())
    assert merged_book["summary"] == single_book["summary"]


# -- Gradescope ---------------------------------------------------------------------------------------


@pytest.fixture
def outside_tmp():
    """A folder outside /tmp: the sandbox mounts a /tmp of its own over the host's, so a labtools
    under /tmp (where pytest's tmp_path is) would be hidden from the kernel. On Gradescope the
    package is under /autograder."""
    import tempfile

    base = Path("/var/tmp") if os.access("/var/tmp", os.W_OK) else Path.home()
    folder = Path(tempfile.mkdtemp(prefix="labtools-test-gradescope-", dir=base))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def gradescope_root(tmp_path: Path) -> Path:
    """A folder laid out like Gradescope's /autograder, from the zip `labtools gradescope` builds."""
    archive = tmp_path / "autograder.zip"
    assert main(["gradescope", "--lab", "02", "--out", str(archive)]) == 0
    root = tmp_path / "autograder"
    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
        assert {"setup.sh", "run_autograder", "requirements.txt", "bundle.json", "config.json"} <= set(names)
        assert "python/labtools/grading/runner.py" in names and not any("__pycache__" in n for n in names)
        z.extractall(root / "source")
        for info in z.infolist():  # zipfile does not restore modes; Gradescope does
            if info.external_attr >> 16 & 0o111:
                os.chmod(root / "source" / info.filename, 0o755)
    assert os.access(root / "source" / "run_autograder", os.X_OK)
    needs = (root / "source" / "requirements.txt").read_text().splitlines()
    assert {"nbformat", "nbclient", "ipykernel", "psutil", "tensorflow-cpu", "keras"} <= {
        n.split(">")[0].split("=")[0].split(";")[0].strip() for n in needs
    }, "the grader's own extra and the cpu extra"
    (root / "submission").mkdir()
    return root


def run_autograder(root: Path) -> dict:
    env = {**os.environ, "GRADESCOPE_ROOT": str(root), "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [str(root / "source" / "run_autograder")], env=env, cwd=root, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads((root / "results" / "results.json").read_text())


def test_gradescope_without_a_notebook_scores_zero_and_says_what_to_upload(tmp_path):
    root = gradescope_root(tmp_path)
    (root / "submission" / "answers.txt").write_text("I forgot the notebook")
    results = run_autograder(root)
    assert results["score"] == 0 and "upload 02_computation.ipynb" in results["output"]
    assert [t["score"] for t in results["tests"]] == [0] * len(QIDS)


@pytest.mark.notebooks
def test_gradescope_run_autograder_grades_with_the_same_grader(tmp_path, outside_tmp):
    from test_grading import sandbox_or_skip

    sandbox_or_skip()
    root = gradescope_root(outside_tmp)
    lab02_class(tmp_path / "class")
    shutil.copy(tmp_path / "class" / "s3.ipynb", root / "submission" / "02_computation.ipynb")
    results = run_autograder(root)
    assert results["score"] == 5 and results["execution_time"] >= 0
    assert results["extra_data"]["labtools"].startswith(str(root)), "graded with the zip's own labtools"
    assert results["extra_data"]["sandbox"] is True and results["extra_data"]["status"] == "ok"
    tests = results["tests"]
    assert [t["name"] for t in tests] == [f"{qid} {q.title}" for qid, q in LAB.questions.items()]
    assert [(t["score"], t["max_score"], t.get("status")) for t in tests] == [
        (0, 1, "failed"),
        (2, 2, "passed"),
        (2, 2, "passed"),
        (1, 1, "passed"),
        (0, 2, None),  # the written answer: a person grades it, neither passed nor failed
    ]
    assert tests[4]["output"].startswith("MANUAL") and "pending" in results["output"]
    assert all(t["visibility"] == "visible" and isinstance(t["output"], str) for t in tests)
    assert tests[0]["output"].startswith("FAIL") and "Hint:" in tests[0]["output"]
    assert set(results) >= {"score", "execution_time", "output", "tests"}


def test_the_cluster_examples_shard_consistently_and_keep_the_key_off_command_lines():
    import re

    import yaml

    grade_job, merge_job = yaml.safe_load_all((ROOT / "docs" / "k8s-indexed-job.yaml").read_text())
    spec = grade_job["spec"]
    assert spec["completionMode"] == "Indexed"
    command = " ".join(spec["template"]["spec"]["containers"][0]["args"])
    assert f'--shard "${{JOB_COMPLETION_INDEX}}/{spec["completions"]}"' in command
    for job in (grade_job, merge_job):
        container = job["spec"]["template"]["spec"]["containers"][0]
        assert {"name": "LABTOOLS_GRADING_KEY_FILE", "value": "/var/run/secrets/labtools/key"} in container["env"]
    assert merge_job["spec"]["template"]["spec"]["containers"][0]["command"][:3] == ["labtools", "grade", "merge"]
    slurm = (ROOT / "docs" / "slurm-array.sh").read_text()
    assert re.search(r"#SBATCH --array=0-\d+\n", slurm) and '--shard "$K/$N"' in slurm
    assert subprocess.run(["bash", "-n", str(ROOT / "docs" / "slurm-array.sh")]).returncode == 0
    actions = yaml.safe_load((ROOT / "docs" / "github-actions-grading.yml").read_text())
    steps = " ".join(str(s.get("run", "")) for s in actions["jobs"]["shard"]["steps"])
    assert actions["jobs"]["shard"]["strategy"]["matrix"]["shard"] == [0, 1, 2, 3]
    assert '--shard "${{ matrix.shard }}/${{ strategy.job-total }}"' in steps
    assert actions["jobs"]["merge"]["needs"] == "shard"
    for text in (command, slurm, steps):
        assert "--key-file" not in text or "$" in text.split("--key-file")[1][:3]


def test_the_kubernetes_example_is_valid_against_the_api_schema():
    """docs/k8s-indexed-job.yaml against the Kubernetes API's schema (offline, strict: an unknown
    field is an error), for the oldest Kubernetes it names and the newest the validator knows."""
    import yaml

    kv = pytest.importorskip("kubernetes_validate", reason="kubernetes-validate is not installed (the dev extra)")
    jobs = list(yaml.safe_load_all((ROOT / "docs" / "k8s-indexed-job.yaml").read_text()))
    assert [j["kind"] for j in jobs] == ["Job", "Job"]
    for version in ("1.30.0", kv.latest_version()):
        for job in jobs:
            kv.validate(job, version, strict=True)  # raises ValidationError, naming the field
    typo = json.loads(json.dumps(jobs[0]))
    grader = typo["spec"]["template"]["spec"]["containers"][0]
    grader["volumeMount"] = grader.pop("volumeMounts")  # one letter short
    with pytest.raises(kv.ValidationError, match="volumeMount"):
        kv.validate(typo, "1.30.0", strict=True)


def test_without_a_roster_the_gradebook_is_a_row_per_file_and_no_lms_files(tmp_path, fake_grader):
    subs, out = tmp_path / "subs", tmp_path / "out"
    submit(subs, "b.ipynb", [1, 2, 2, 1])
    submit(subs, "a/x.ipynb", [1, 0, 0, 0])
    submit(subs, "c/x.ipynb", [0, 0, 0, 0])
    assert grade(str(subs), "--out", str(out)) == 0
    assert [(r["id"], r["total"]) for r in csv.DictReader(open(out / "grades.csv"))] == [
        ("a__x", "1"),
        ("b", "6"),
        ("c__x", "0"),
    ]
    assert not any((out / name).exists() for name in ("canvas.csv", "moodle.csv", "matching.csv"))
