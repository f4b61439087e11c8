"""Colab keeps working after the setup cell.

A "Colab-like" venv holds Colab's versions of the packages Colab pins (tests/colab_runtime.txt:
TensorFlow 2.20 with its CUDA plugin, Keras 3.13, IPython 7.34, ipywidgets 7.7, ...), on the
Python CI has. In it:

1. the notebooks' own install command, taken from a generated notebook's setup cell, is resolved
   with ``pip install --dry-run --report``: it must install labtools and nothing else, so no
   package Colab pins would change (today's Colab warns that changing IPython can crash the
   runtime, and ipywidgets 8 breaks ``interact`` there);
2. every solution notebook runs in fast mode in that venv's kernel (ipykernel 6.17): no errors,
   the setup cell shows no stderr line (the full ``tensorflow`` package logs ``failed call to
   cuInit`` on a machine without a GPU), and widgets, audio and plots come out under ipywidgets 7.7;
3. widgets (``interact``, ``interact_manual``, sliders, a checkbox, a tqdm bar), audio and plots
   display both there (ipywidgets 7.7, IPython 7.34) and in this environment (ipywidgets 8).

The Colab-like tests are marked ``colab``. The venv is built once and kept in
``~/.cache/labtools`` (keyed by the pins and the Python), so later runs reuse it. Set
``LABTOOLS_COLAB_VENV`` to put it elsewhere.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from notebooks import NOTEBOOKS, ROOT, SOLUTIONS, noise

PINS_FILE = Path(__file__).with_name("colab_runtime.txt")
SOLUTIONS = sorted((SOLUTIONS).glob("[0-9][0-9]_*.ipynb"))


def colab_pins() -> dict[str, str]:
    pins = {}
    for line in PINS_FILE.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[_normal(name)] = version
    return pins


def _normal(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _venv_dir() -> Path:
    if os.environ.get("LABTOOLS_COLAB_VENV"):
        return Path(os.environ["LABTOOLS_COLAB_VENV"])
    key = hashlib.sha256(PINS_FILE.read_bytes() + sys.version.encode()).hexdigest()[:12]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "labtools" / f"colab-like-{key}"


@pytest.fixture(scope="session")
def colab_python(request) -> Path:
    """The Colab-like venv's python, built on first use (about 4 minutes on 2 busy cores) and then
    reused; a lock keeps two test runs from building it at once."""
    import fcntl

    venv = _venv_dir()
    python = venv / "bin" / "python"
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.with_name(venv.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (venv / ".complete").exists():
            started = time.monotonic()
            shutil.rmtree(venv, ignore_errors=True)  # a build that did not finish
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            run = subprocess.run(
                [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-compile"]
                + ["-r", str(PINS_FILE)],
                capture_output=True,
                text=True,
                timeout=1200,
            )
            assert run.returncode == 0, f"building the Colab-like venv failed:\n{run.stderr[-3000:]}"
            (venv / ".complete").write_text(f"built in {time.monotonic() - started:.0f} s\n")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter:
        reporter.write_line(f"\nColab-like venv: {venv} ({(venv / '.complete').read_text().strip()})")
    return python


def installed(python: Path) -> dict[str, str]:
    listing = subprocess.run(
        [str(python), "-m", "pip", "list", "--format", "json", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
    )
    return {_normal(p["name"]): p["version"] for p in json.loads(listing.stdout)}


def notebook_install_command() -> list:
    """The argument list of the setup cell's ``subprocess.run([...])``, as the notebooks have it
    (``sys.executable`` stays the name ``"sys.executable"``)."""
    nb = json.loads((NOTEBOOKS / "01_tensors.ipynb").read_text())
    setup = next(c for c in nb["cells"] if c["cell_type"] == "code")
    source = "".join(setup["source"])
    calls = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "subprocess.run"
    ]
    assert len(calls) == 1, "the setup cell should run pip once"
    assert 'if "google.colab" in sys.modules:' in source, "the setup cell should install only on Colab"
    return [a.value if isinstance(a, ast.Constant) else ast.unparse(a) for a in calls[0].args[0].elts]


@pytest.mark.colab
def test_the_notebooks_install_line_changes_nothing_colab_pins(colab_python, tmp_path):
    pins = colab_pins()
    before = installed(colab_python)
    assert {name: before.get(name) for name in pins} == pins, "the Colab-like venv should have Colab's versions"

    command = notebook_install_command()
    assert command[0] == "sys.executable" and command[1:4] == ["-m", "pip", "install"]
    requirement = command[-1]
    assert requirement.startswith("labtools @ git+https://github.com/"), command
    # The same command, with this checkout in place of the repository on GitHub (what the
    # notebooks will install once this commit is there), resolved but not installed.
    local = f"labtools @ {ROOT.as_uri()}"
    report = tmp_path / "report.json"
    args = [str(colab_python), *command[1:-1], "--dry-run", "--report", str(report), local]
    run = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    would_install = {
        _normal(i["metadata"]["name"]): i["metadata"]["version"] for i in json.loads(report.read_text())["install"]
    }
    changed = {name: (pins[name], would_install[name]) for name in would_install if name in pins}
    assert not changed, f"the install line would change Colab's pinned packages (pinned, new): {changed}"
    assert set(would_install) == {"labtools"}, (
        f"the install line would add or change more than labtools: {would_install}"
    )


def _kernel_spec(tmp_path: Path, python: Path) -> Path:
    kernels = tmp_path / "jupyter" / "kernels" / "colab-like"
    kernels.mkdir(parents=True)
    spec = {
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Colab-like",
        "language": "python",
        "env": {"PYTHONPATH": str(ROOT)},  # labtools from this checkout, as the install would give
    }
    (kernels / "kernel.json").write_text(json.dumps(spec))
    return tmp_path / "jupyter"


def _outputs(nb, mime: str) -> list[str]:
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if mime == "stderr" and out.get("name") == "stderr":
                found.append(out.get("text", ""))
            elif mime in out.get("data", {}):
                value = out["data"][mime]
                found.append(value if isinstance(value, str) else json.dumps(value))
    return found


@pytest.mark.colab
@pytest.mark.notebooks
@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_solution_notebook_runs_under_colabs_versions(colab_python, path, tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    # The kernel starts as on Colab: no TensorFlow log level set beforehand (the setup cell sets
    # it), matplotlib's inline backend; fast mode so that it takes seconds.
    monkeypatch.setenv("JUPYTER_PATH", str(_kernel_spec(tmp_path, colab_python)))
    monkeypatch.setenv("LABTOOLS_FAST", "1")
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="colab-like", resources={"metadata": {"path": str(tmp_path)}}).execute()

    pins = colab_pins()
    setup = next(c for c in nb.cells if c.cell_type == "code")
    shown = "".join(o.get("text", "") for o in setup.outputs if o.get("output_type") == "stream")
    assert f"TensorFlow {pins['tensorflow']}, Keras {pins['keras']}" in shown, shown
    stderr = [o.get("text", "") for o in setup.outputs if o.get("name") == "stderr"]
    assert not stderr, f"the setup cell showed a red stderr line: {stderr}"
    everything = "\n".join(_outputs(nb, "stderr") + _outputs(nb, "text/plain"))
    assert "cuInit" not in everything and "CUDA error" not in everything
    seen = noise(nb, path.stem)  # log lines, NumPy reprs, summaries in pieces, blank gaps
    assert not seen, "Run All shows what a student should not see:\n" + "\n".join(seen)

    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    if "widgets." in source:
        views = _outputs(nb, "application/vnd.jupyter.widget-view+json")
        assert views, "an ipywidgets 7.7 widget should be displayed"
    if "plt.show()" in source:
        assert _outputs(nb, "image/png"), "a plot should be displayed"
    if "play_song" in source or "Audio(" in source:
        assert any("<audio" in html for html in _outputs(nb, "text/html")), "a tune should be playable"


# Widgets, audio, plots and progress bars as the labs make them, without TensorFlow, so that it
# takes seconds: in this environment (ipywidgets 8) and in the Colab-like one (ipywidgets 7.7).
DISPLAYS = [
    "import ipywidgets as widgets, matplotlib.pyplot as plt, labtools\nfrom labtools import music\n"
    "from tqdm.auto import tqdm\nprint('ipywidgets', widgets.__version__)",
    "_ = widgets.interact(lambda n: print('n =', n), n=widgets.IntSlider(value=2, min=0, max=5, description='n'))",
    "_ = widgets.interact_manual(lambda t: print(t), t=widgets.FloatLogSlider(value=0.1, base=10, min=-3, max=0))",
    "_ = widgets.interact(lambda on: print('on =', on), on=widgets.Checkbox(False, description='on'))",
    "plt.plot([0, 1], [1, 0])\nplt.show()",
    "display(music.audio(labtools.load_training_data()[0], seconds=2))",
    "for _ in tqdm(range(3), desc='steps'):\n    pass",
]


# The Colab-like case joins the other tests of that venv in one worker (conftest.py groups by the
# fixtures a test names; this one asks for colab_python at run time).
COLAB_LIKE = pytest.param("Colab-like", marks=[pytest.mark.colab, pytest.mark.xdist_group("colab_python")])


@pytest.mark.parametrize("where", ["this environment", COLAB_LIKE])
def test_widgets_audio_and_plots_display(where, request, tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    kernel = "python3"
    if where == "Colab-like":
        monkeypatch.setenv("JUPYTER_PATH", str(_kernel_spec(tmp_path, request.getfixturevalue("colab_python"))))
        kernel = "colab-like"
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code) for code in DISPLAYS])
    NotebookClient(nb, timeout=300, kernel_name=kernel, resources={"metadata": {"path": str(ROOT)}}).execute()

    version = nb.cells[0].outputs[0]["text"].split()[1]
    expected = colab_pins()["ipywidgets"] if where == "Colab-like" else None
    assert version == expected if expected else int(version.split(".")[0]) >= 8, version
    # interact ran each function once: what it printed is in its Output widget's saved state
    state = json.dumps(nb.metadata.get("widgets", {}))
    assert "n = 2" in state and "on = False" in state, "interact should call its function with the initial value"
    assert not _outputs(nb, "stderr"), _outputs(nb, "stderr")
    views = _outputs(nb, "application/vnd.jupyter.widget-view+json")
    assert len(views) >= 4, "three interact controls and a tqdm bar should each show a widget"
    assert _outputs(nb, "image/png"), "the plot should be displayed"
    assert any("<audio" in html for html in _outputs(nb, "text/html")), "the tune should be playable"
