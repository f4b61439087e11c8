"""Binder, conda and Colab launch files: checked offline with the tools that read them."""

import re
import shutil
import subprocess
import tomllib

import pytest

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
    assert '".[gpu,dev]"' in runs and "pytest notebooks/solutions" in runs
    assert "gpu" in EXTRAS and any("and-cuda" in r for r in EXTRAS["gpu"])
