"""Binder, conda and Colab launch files: checked offline with the tools that read them."""

import re
import shutil
import subprocess
import sys

import pytest

try:
    import tomllib
except ImportError:  # Python 3.10: the same parser, as the tomli package (a dev dependency there)
    import tomli as tomllib

from labtools import repo
from notebooks import NOTEBOOKS, ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
EXTRAS = PYPROJECT["project"]["optional-dependencies"]


def test_conda_environment_installs_labtools_with_existing_extras():
    text = (ROOT / "environment.yml").read_text()
    assert "python=3.11" in text
    requirement = re.search(r"-\s+-e\s+\.\[([a-z,]+)\]", text)
    assert requirement, "environment.yml should pip-install the repository (-e .[extras])"
    assert set(requirement[1].split(",")) <= set(EXTRAS), "environment.yml names an extra pyproject.toml lacks"


def test_binder_postbuild_installs_labtools_with_existing_extras():
    post = ROOT / "binder" / "postBuild"
    assert post.stat().st_mode & 0o111, "binder/postBuild must be executable"
    extras = re.search(r'pip install .*-e "\.\[([a-z,]+)\]"', post.read_text())
    assert extras and set(extras[1].split(",")) <= set(EXTRAS)
    assert "python=3.11" in (ROOT / "binder" / "environment.yml").read_text()


@pytest.mark.skipif(
    not shutil.which("repo2docker"), reason="repo2docker is not installed (pip install jupyter-repo2docker)"
)
def test_repo2docker_build_plan_uses_the_binder_folder(tmp_path):
    # repo2docker reads what it builds from; give it a copy without the local virtualenv.
    shutil.copytree(ROOT, tmp_path / "repo", ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__"))
    plan = subprocess.run(
        ["repo2docker", "--no-build", "--no-run", "--debug", str(tmp_path / "repo")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    text = plan.stdout + plan.stderr
    assert plan.returncode == 0, text[-2000:]
    assert "Building conda environment for python=3.11" in text
    assert '--file "binder/environment.yml"' in text
    assert "./binder/postBuild" in text and "binder/start" in text
    assert '"environment.yml"' not in text, "the root environment.yml must not be what Binder reads"


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.stem)
def test_colab_and_binder_badges_point_at_this_notebook(path):
    text = path.read_text()
    relative = f"notebooks/{path.name}"
    assert repo.colab_url(relative) in text and repo.binder_url(relative) in text
    assert repo.pip_requirement().split(" @ ")[1] in text, (
        "the Colab setup line should install labtools from the repository"
    )


def _workflow(name: str) -> dict:
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())


def test_cpu_workflow_runs_the_ci_script():
    steps = _workflow("ci.yml")["jobs"]["cpu"]["steps"]
    assert any(s.get("run") == "bash .ci/run" for s in steps)


def test_gpu_workflow_runs_every_solution_notebook_in_full_settings_on_a_gpu_runner():
    job = _workflow("gpu-notebooks.yml")["jobs"]["full-settings"]
    assert "gpu" in job["runs-on"] and job["env"]["LABTOOLS_FAST"] == "0"
    runs = "\n".join(s.get("run", "") for s in job["steps"])
    assert '".[gpu,dev]"' in runs and "pytest instructor/solutions" in runs
    assert "gpu" in EXTRAS and any("and-cuda" in r for r in EXTRAS["gpu"])


GRADER_TOOLS = {"nbformat", "nbclient", "jupytext", "ipykernel", "psutil"}


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[ <>=!~;\[]", r, maxsplit=1)[0].lower() for r in requirements}


def test_core_dependencies_are_what_a_notebook_needs_with_floors_colab_satisfies():
    from packaging.requirements import Requirement
    from test_colab import colab_pins

    core = PYPROJECT["project"]["dependencies"]
    assert not _names(core) & GRADER_TOOLS, "the grader's tools belong in the grader extra, not in every install"
    assert GRADER_TOOLS <= _names(EXTRAS["grader"])
    assert "labtools[grader]" in EXTRAS["lab"] and "labtools[grader]" in EXTRAS["dev"]
    pins = colab_pins()
    for line in core:
        req = Requirement(line)
        if req.name in pins:
            assert pins[req.name] in req.specifier, f"{line}: Colab has {req.name} {pins[req.name]}"
    assert {"ipython", "ipywidgets"} <= _names(core) & set(pins)


def test_a_notebook_needs_none_of_the_grader_tools():
    """A student's install has no nbformat, nbclient, jupytext, ipykernel or psutil of labtools'
    asking: the lab code must not import them (Colab has them, a bare pip install need not)."""
    blocked = sorted(GRADER_TOOLS | {"jupyter_client"})
    code = (
        "import sys\n"
        f"for name in {blocked!r}: sys.modules[name] = None\n"
        "import labtools, labtools.mit, labtools.music, labtools.training, labtools.datasets\n"
        "lab = labtools.start_lab('03', quiet=True)\n"
        "labtools.progress()\n"
        "print('ok')\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 0 and run.stdout.strip().endswith("ok"), run.stderr[-2000:]


def test_setup_cell_says_in_one_line_what_to_do_without_tensorflow():
    """Colab's TPU runtime has no TensorFlow: the setup cell stops with one line, no traceback."""
    code = (
        "import sys\n"
        "sys.modules['tensorflow'] = None\n"
        "sys.modules['google.colab'] = type(sys)('google.colab')\n"
        "from IPython.testing.globalipapp import start_ipython\n"
        "shell = start_ipython()\n"
        "result = shell.run_cell('import labtools\\nlab = labtools.start_lab(\"01\")\\nimport tensorflow as tf')\n"
        "print('success' if result.success else 'stopped')\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    lines = [line for line in run.stdout.splitlines() if line.strip() and "\x1b]0;" not in line]
    assert lines[-1] == "stopped", run.stdout + run.stderr
    said = [line for line in lines[:-1] if "TensorFlow" in line]
    assert len(said) == 1 and said[0].startswith("\u2718 ") and "Change runtime type" in said[0], lines
    assert "Traceback" not in run.stdout + run.stderr


def test_grading_without_the_grader_extra_says_what_to_install_in_one_line(tmp_path):
    """A student's install (no grader extra) that runs `labtools grade` gets one line, no traceback."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "for name in ('nbclient', 'nbformat', 'psutil'):\n"
        "    sys.modules[name] = None\n"
        "from labtools.cli import main\n"
        f"sys.exit(main(['grade', '--lab', '02', {str(tmp_path)!r}]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and 'pip install "labtools[grader]"' in lines[0], done.stderr
