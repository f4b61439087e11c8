"""Every lab in JupyterLab in a real browser (headless Chromium), as a student meets it.

For each lab, in one JupyterLab server and one browser:

1. Run All on the fresh student notebook reaches the last cell: no cell ends in an error, no
   traceback and no stderr box; every check cell renders its NOT ATTEMPTED box and the last
   cell the progress table.
2. Wrong lines typed into the TODO lines of one exercise make its check render FAIL; the
   solution's lines typed in their place make it render PASS.
3. The lab's widgets render and respond: lab 05's sliders redraw the plot; lab 07's audio
   player has a source the browser can play. Labs 06 and 07 need their exercises done for the
   rest (the explorer's slider and *mistakes only*, the compose control): the test puts the
   solution into every answer cell and runs the notebook again.

Needs Debian's ``chromium`` and ``chromium-driver`` and the ``selenium`` package (``.ci/run``
installs all three); skipped when they are missing. Fast mode (``LABTOOLS_FAST=1``). The
screenshots (the end of each lab, its FAIL and PASS checks, each widget) and the seconds each
step took (``timings.json``) are kept in ``_ci_artifacts/browser/``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from notebooks import LOG_LINE, NOTEBOOKS, NUMPY_REPR, ROOT, SOLUTIONS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
selenium = pytest.importorskip("selenium", reason="selenium is not installed")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="chromium and chromium-driver are not installed"),
]
ARTIFACTS = ROOT / "_ci_artifacts" / "browser"
LABS = sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def _student_folder() -> str:
    """The folder the README's first command opens JupyterLab on."""
    first = re.search(r"```bash\n(.*?)\n```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    opened = re.search(r"jupyter lab (\S+)", first[1]) if first else None
    assert opened, "the README's first command should open JupyterLab on the students' folder"
    return opened[1].rstrip("/")


STUDENT_FOLDER = _student_folder()
TOKEN = "labtools-browser-test"

# One exercise per lab: its question and a wrong line for each of its TODO lines, in order.
# The right lines are the solution notebook's lines in the same places.
WRONG = {
    "01": ("q1", ["matrix = tf.constant([[1, 2], [3, 4]], dtype=tf.float32)"]),
    "02": ("q3", ["return tf.add(tf.multiply(a, a), tf.multiply(b, b))"]),
    "03": ("q4", ["n_params = 784 * 64 + 64 * 10"]),
    "04": (
        "q3",
        [
            'outputs = keras.layers.Dense(2, activation="sigmoid")(inputs)',
            "functional_model = keras.Model(inputs=inputs, outputs=outputs)",
        ],
    ),
    "05": ("q3", ["loss = tf.reduce_mean(x_batch @ w + b)", "grad_w, grad_b = tape.gradient(loss, [w, b])"]),
    "06": ("q2", ['model = keras.Sequential([keras.layers.Dense(10, activation="softmax")])']),
    "07": ("q1", ["return np.array([ord(c) for c in string])"]),
}

# Lab 07 trains for 60 steps instead of fast mode's 120 here (one checkpoint, time for CI).
SHORTER = {"07": ("steps=labtools.pick(fast=120,", "steps=labtools.pick(fast=60,")}

# JavaScript run in the page; JupyterLab exposes its app as window.jupyterapp with the flag below.
NOTEBOOK_READY = """
const nb = window.jupyterapp && window.jupyterapp.shell.currentWidget;
const kernel = nb && nb.sessionContext && nb.sessionContext.session && nb.sessionContext.session.kernel;
return Boolean(nb && nb.context.path === arguments[0] && kernel && kernel.status === 'idle'
               && kernel.connectionStatus === 'connected' && nb.content.widgets.length);
"""
# Run All is over when the kernel is idle and every code cell has run (its execution count is
# above the highest one before the run), or when a cell ended in an error (JupyterLab then stops
# the run and leaves the later cells unrun).
RUN_STATE = """
const nb = window.jupyterapp.shell.currentWidget;
const kernel = nb.sessionContext.session.kernel;
const code = nb.content.widgets.filter(w => w.model.type === 'code');
const error = code.findIndex(w => w.model.outputs.toJSON().some(o => o.output_type === 'error'));
const counts = code.map(w => w.model.executionCount || 0);
return {idle: kernel.status === 'idle', ran: counts.filter(n => n > arguments[0]).length,
        total: code.length, error: error, highest: Math.max(0, ...counts)};
"""
CELLS = """
const nb = window.jupyterapp.shell.currentWidget;
return nb.content.widgets.map((w, i) => {
  const code = w.model.type === 'code';
  return {index: i, type: w.model.type, source: w.model.sharedModel.getSource(),
          metadata: w.model.getMetadata('labtools') || null,
          count: code ? w.model.executionCount : null,
          text: code ? w.outputArea.node.textContent : '',
          boxes: code ? w.outputArea.node.querySelectorAll(
              '.jp-RenderedHTMLCommon div[style*="border-left"]').length : 0,
          stderr: code ? w.outputArea.node.querySelectorAll(
              '[data-mime-type="application/vnd.jupyter.stderr"]').length : 0};
});
"""
RUN_CELLS = """
const nb = window.jupyterapp.shell.currentWidget;
const app = window.jupyterapp;
const done = arguments[arguments.length - 1];
for (const i of arguments[0]) nb.content.widgets[i].model.outputs.clear();
(async () => {
  for (const i of arguments[0]) {
    nb.content.activeCellIndex = i;
    nb.content.deselectAll();
    await app.commands.execute('notebook:run-cell');
  }
})().then(() => done(true), e => done(String(e)));
"""
SAVE = """
const done = arguments[arguments.length - 1];
window.jupyterapp.commands.execute('docmanager:save').then(() => done(true), error => done(String(error)));
"""
SET_SOURCE = """
const nb = window.jupyterapp.shell.currentWidget;
nb.content.widgets[arguments[0]].model.sharedModel.setSource(arguments[1]);
"""
# Put the caret of a cell's editor on a selection of one line: from its first non-blank
# character to its end, so that typing replaces that much of the line.
SELECT_LINE = """
const nb = window.jupyterapp.shell.currentWidget;
const cell = nb.content.widgets[arguments[0]];
nb.content.activeCellIndex = arguments[0];
nb.content.mode = 'edit';
const line = cell.model.sharedModel.getSource().split('\\n')[arguments[1]];
const start = line.length - line.trimStart().length;
cell.editor.focus();
cell.editor.setSelection({start: {line: arguments[1], column: start},
                          end: {line: arguments[1], column: line.length}});
"""
# Close the notebook without a dialog; its kernel shuts down in the background.
CLOSE = """
const nb = window.jupyterapp.shell.currentWidget;
window.jupyterapp.serviceManager.sessions.shutdown(nb.sessionContext.session.id);
nb.context.model.dirty = false;
nb.dispose();
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# How long a wait may last before the test calls it a hang. A wait returns as soon as its event
# happens (a plot redrawn, a readout changed); the bound is far above what the busiest CI machine
# takes, so a busy machine changes no verdict: tests wait on events, not on the clock.
HANG_S = 300


def _wait(predicate, seconds: float, what: str, every: float = 0.25):
    """Poll until ``predicate()`` is true (the event); ``seconds`` is raised to :data:`HANG_S`."""
    seconds = max(seconds, HANG_S)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception:  # the page or server is still starting
            value = None
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One JupyterLab server for all labs, on a copy of the folder the README's first command
    opens (what a student sees); its settings and log live beside that folder, not in it."""
    home = tmp_path_factory.mktemp("jupyterlab")
    root = home / "notebooks"
    # as a fresh clone has it: what a run of the labs leaves there (git ignores it) is not copied
    ignored = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "training_checkpoints", "*.weights.h5")
    shutil.copytree(ROOT / STUDENT_FOLDER, root, ignore=ignored)
    port = _free_port()
    env = dict(os.environ, LABTOOLS_FAST="1", TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("MPLBACKEND", None)  # the tests' Agg backend would hide the plots in the browser
    settings = home / ".settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')  # no news pop-up
    log = (home / "jupyterlab.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            f"--port={port}",
            "--ip=127.0.0.1",
            f"--ServerApp.root_dir={root}",
            f"--IdentityProvider.token={TOKEN}",
            "--LabApp.expose_app_in_browser=True",
            f"--LabApp.user_settings_dir={home / '.settings'}",
            f"--LabApp.workspaces_dir={home / '.workspaces'}",  # no tabs restored from an earlier session
            "--ServerApp.allow_root=True",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(
            lambda: urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2).status == 200,
            90,
            "JupyterLab to start",
        )
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def headless_chromium(window: str, *flags: str, browser_log: bool = False):
    """A headless Chromium driven by selenium, with the flags every browser test uses."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--window-size={window}",
        *flags,
    ):
        options.add_argument(flag)
    if browser_log:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


@pytest.fixture(scope="module")
def browser(server):
    """One headless Chromium with JupyterLab open; each lab opens its notebook in it."""
    driver = headless_chromium("1400,1000", "--disable-quic", "--autoplay-policy=no-user-gesture-required")
    driver.set_script_timeout(60)
    driver.get(f"{server}/lab?token={TOKEN}")
    _wait(lambda: driver.execute_script("return Boolean(window.jupyterapp)"), 90, "JupyterLab")
    driver.execute_async_script("window.jupyterapp.restored.then(() => arguments[0](true));")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


TIMES: dict[str, dict[str, float]] = {}


class Page:
    """The notebook open in the browser, driven through JupyterLab's own commands."""

    def __init__(self, driver, path: str):
        self.driver = driver
        self.path = path
        self.times = TIMES.setdefault(path[:2], {})
        self.clock = time.monotonic()

    def lap(self, phase: str) -> None:
        """Note the seconds since the last lap (written to timings.json, printed with -s)."""
        now = time.monotonic()
        self.times[phase] = round(now - self.clock, 1)
        self.clock = now
        (ARTIFACTS / "timings.json").write_text(json.dumps(TIMES, indent=1))

    def open(self):
        self.driver.execute_script(
            "window.jupyterapp.commands.execute('docmanager:open', {path: arguments[0]});", self.path
        )
        _wait(lambda: self.driver.execute_script(NOTEBOOK_READY, self.path), 120, f"{self.path} and its kernel")

    def run_all(self, seconds: float = 240, watch=None) -> None:
        """Run All and wait for its end; ``watch()``, if given, is called at every poll meanwhile."""
        before = self.driver.execute_script(RUN_STATE, 0)["highest"]
        self.driver.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells');")

        def over():
            if watch is not None:
                watch()
            state = self.driver.execute_script(RUN_STATE, before)
            if state["error"] >= 0:
                return state
            return state if state["idle"] and state["ran"] == state["total"] else None

        state = _wait(over, seconds, f"Run All of {self.path} to reach the end", every=0.5)
        if state["error"] >= 0:
            cell = [c for c in self.cells() if c["type"] == "code"][state["error"]]
            raise AssertionError(f"{self.path}: Run All stopped at an error in\n{cell['source']}\n{cell['text']}")

    def cells(self) -> list[dict]:
        return self.driver.execute_script(CELLS)

    def run(self, *indices: int) -> None:
        assert self.driver.execute_async_script(RUN_CELLS, list(indices)) is True

    def type_line(self, cell: int, line: int, text: str) -> None:
        from selenium.webdriver.common.action_chains import ActionChains

        self.driver.execute_script(SELECT_LINE, cell, line)
        ActionChains(self.driver).send_keys(text).perform()
        written = self.cells()[cell]["source"].split("\n")[line]
        assert written.strip() == text, f"typed {text!r}, the editor holds {written!r}"

    def show(self, element) -> None:
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)

    def output(self, cell: int):
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell")[cell]

    def shot(self, name: str) -> None:
        self.driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))

    def close(self) -> None:
        self.driver.execute_script(CLOSE)


def _check_cell(cells: list[dict], qid: str) -> int:
    return next(c["index"] for c in cells if c["type"] == "code" and f"lab.{qid}.check(" in c["source"])


def _answer_cell(cells: list[dict], qid: str) -> int:
    return next(c["index"] for c in cells if (c["metadata"] or {}).get("answer") == qid)


def _solution_cells(name: str) -> dict[str, str]:
    nb = json.loads((SOLUTIONS / name).read_text(encoding="utf-8"))
    return {
        c["metadata"]["labtools"]["answer"]: "".join(c["source"])
        for c in nb["cells"]
        if c["metadata"].get("labtools", {}).get("answer")
    }


def _assert_ran_cleanly(page: Page, attempted: bool = False) -> list[dict]:
    cells = page.cells()
    code = [c for c in cells if c["type"] == "code"]
    assert all(c["count"] is not None for c in code), "Run All left cells unrun"
    markdown = [c for c in cells if c["type"] == "markdown"]
    written = {c["metadata"]["answer"] for c in markdown if (c["metadata"] or {}).get("answer")}
    for c in code:
        assert c["stderr"] == 0, f"{page.path}: a stderr box under\n{c['source']}\n{c['text']}"
        assert "Traceback" not in c["text"] and "Ellipsis" not in c["text"], c["source"]
        for pattern, what in ((LOG_LINE, "a log line"), (NUMPY_REPR, "a NumPy repr")):
            found = pattern.search(c["text"])
            assert not found, f"{page.path}: {what} ({c['text'][found.start() :][:80]!r}) under {c['source'][:80]!r}"
        if "lab.q" in c["source"] and ".check(" in c["source"]:
            qid = re.search(r"lab\.(q\d+)\.check\(", c["source"])[1]
            verdict = ("RECORDED" if qid in written else "PASS") if attempted else "NOT ATTEMPTED"
            assert verdict in c["text"] and c["boxes"], f"{page.path}: no {verdict} box under {c['source']!r}"
            assert qid not in written or "PASS" not in c["text"], f"{page.path}: a written answer got PASS"
    assert "points" in code[-1]["text"], f"{page.path}: the last cell shows no progress table"
    return cells


def _slider(driver, label: str):
    from selenium.webdriver.common.by import By

    return _wait(
        lambda: [
            s
            for s in driver.find_elements(By.CSS_SELECTOR, ".widget-slider")
            if s.find_element(By.CSS_SELECTOR, ".widget-label").text == label
        ],
        60,
        f"the {label!r} slider to render",
    )[0]


def _assert_roomy(driver, slider, label: str) -> None:
    """The slider's label is shown whole and its track is long enough to aim with the mouse."""
    from selenium.webdriver.common.by import By

    name = slider.find_element(By.CSS_SELECTOR, ".widget-label")
    assert driver.execute_script("return arguments[0].scrollWidth <= arguments[0].clientWidth;", name), (
        f"the label {label!r} is cut off"
    )
    track = slider.find_element(By.CSS_SELECTOR, ".slider-container")
    assert track.size["width"] >= 250, f"the {label!r} slider's track is only {track.size['width']} px long"


def _set_slider(slider, value: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    readout = slider.find_element(By.CSS_SELECTOR, ".widget-readout")
    readout.click()
    readout.send_keys(Keys.CONTROL, "a")
    readout.send_keys(value, Keys.ENTER)


def _plot(area) -> str:
    from selenium.webdriver.common.by import By

    return area.find_element(By.CSS_SELECTOR, ".widget-output img, .jp-OutputArea-output img").get_attribute("src")


def _audio_plays(driver, audio) -> float:
    """The duration of an <audio> element once the browser has decoded its source (0 if it cannot)."""
    return _wait(
        lambda: driver.execute_script(
            "const a = arguments[0]; a.load && a.readyState === 0 && a.load();"
            "return a.error ? -1 : (a.readyState >= 1 ? a.duration : 0);",
            audio,
        ),
        30,
        "the audio player to load its source",
    )


def _lab05_widgets(page: Page) -> None:
    from selenium.webdriver.common.by import By

    driver = page.driver
    for label in ("learning rate", "steps"):
        _assert_roomy(driver, _slider(driver, label), label)
    slider = _slider(driver, "steps")
    page.show(slider)
    area = slider.find_element(By.XPATH, "./ancestor::div[contains(@class,'widget-interact')]")
    readout = slider.find_element(By.CSS_SELECTOR, ".widget-readout")
    before = _wait(lambda: _plot(area), 30, "the learning-rate plot")
    assert readout.text == "30"
    _set_slider(slider, "80")
    _wait(lambda: readout.text == "80", 15, "the slider to take the new value")
    _wait(lambda: _plot(area) != before, 30, "the plot to redraw for the new value")
    page.shot("lab05_sliders")


def _lab06_widgets(page: Page) -> None:
    from selenium.webdriver.common.by import By

    driver = page.driver
    bars = driver.find_elements(By.CSS_SELECTOR, ".widget-hprogress")
    assert bars and min(b.size["width"] for b in bars) >= 200, "a training bar is squeezed"
    page.show(bars[0])
    page.shot("lab06_training")
    slider = _slider(driver, "image")
    _assert_roomy(driver, slider, "image")
    page.show(slider)
    cell = slider.find_element(By.XPATH, "./ancestor::div[contains(@class,'jp-CodeCell')]")
    view = cell.find_element(By.CSS_SELECTOR, ".widget-output")  # the explorer draws here only
    readout = slider.find_element(By.CSS_SELECTOR, ".widget-readout")
    tick = cell.find_element(By.CSS_SELECTOR, ".widget-checkbox input")  # mistakes only
    n_test = int(re.search(r"among (\d+) test images", cell.text)[1])
    n_mistakes = int(re.search(r"(\d+) mistakes among", cell.text)[1])
    assert 2 <= n_mistakes < n_test, f"{n_mistakes} mistakes among {n_test}: the model did not train"

    def says(mistakes: bool) -> tuple[int, int | None] | None:
        """The test image the explorer says it shows, and which mistake it is (None: all images);
        None until the text, the slider and the checkbox agree."""
        m = re.search(r"test image #(\d+)(?:, mistake #(\d+) among (\d+))?", view.text)
        if not m or (m[2] is not None) != mistakes or tick.is_selected() != mistakes:
            return None
        if int(readout.text) != int(m[2] if mistakes else m[1]):
            return None
        assert not mistakes or int(m[3]) == n_mistakes, view.text
        return int(m[1]), int(m[2]) if mistakes else None

    def wait_for(value: int, what: str, mistakes: bool = False) -> tuple[int, int | None]:
        _wait(lambda: readout.text == str(value), 15, what)
        return _wait(lambda: says(mistakes), 30, f"the explorer to say which image it shows ({what})")

    first = _wait(lambda: _plot(view), 30, "the explorer's plot")
    assert wait_for(0, "the first test image") == (0, None)
    _set_slider(slider, str(n_test + 100))  # past the end: the slider stops at the last test image
    assert wait_for(n_test - 1, "the last test image") == (n_test - 1, None)
    last = _wait(lambda: (src := _plot(view)) != first and src, 30, "the plot of the last image")
    # Ticked at the last image, the slider covers the mistakes and goes to the last one: no mistake
    # comes after the last image (which may itself be one: the run decides, so the text is checked).
    tick.click()
    end, _ = wait_for(n_mistakes - 1, "the slider to cover the mistakes, at the last one", mistakes=True)
    _set_slider(slider, str(n_mistakes - 2))  # the mistake before: another image, another plot
    before_end, _ = wait_for(n_mistakes - 2, "the slider to step back one mistake", mistakes=True)
    assert before_end < end <= n_test - 1
    _wait(lambda: _plot(view) != last, 30, "the plot to show another mistake")
    _set_slider(slider, str(n_test))  # past the end: the slider stops at the last mistake
    assert wait_for(n_mistakes - 1, "the slider to stop at the last mistake", mistakes=True) == (end, n_mistakes - 1)
    page.shot("lab06_explorer_mistakes")
    # Unticked at a mistake, the slider covers all test images again, at the image shown.
    _set_slider(slider, "0")
    image, _ = wait_for(0, "the first mistake", mistakes=True)
    tick.click()
    assert wait_for(image, "unticking to stay at the image shown") == (image, None)
    # Ticked in the middle: the first mistake at or after the image shown, or the last mistake.
    middle = n_test // 2
    _set_slider(slider, str(middle))
    wait_for(middle, "an image in the middle")
    tick.click()
    _wait(lambda: tick.is_selected() and "mistake #" in view.text, 30, "ticking in the middle")
    shown, k = _wait(lambda: says(True), 30, "the explorer to say which mistake it shows")
    assert shown >= middle or k == n_mistakes - 1, f"ticked at image {middle}, it went back to image {shown}"
    if k and shown >= middle:  # ... and the mistake before it comes before the image that was shown
        _set_slider(slider, str(k - 1))
        earlier, _ = wait_for(k - 1, "the mistake before", mistakes=True)
        assert earlier < middle, f"ticked at image {middle}, it skipped the mistake at image {earlier}"
        _set_slider(slider, str(k))
        wait_for(k, "the first mistake at or after the middle", mistakes=True)
    page.shot("lab06_explorer")


def _assert_says_what_it_plays(driver, audio, length: float | None = None) -> None:
    """What a tune's player says beside itself ("first 20 s of 64 s (cut short ...)" or "all
    12 s") agrees with what the browser plays and, when given, with the tune's length."""
    from selenium.webdriver.common.by import By

    plays = _audio_plays(driver, audio)
    assert plays > 0, "the player cannot play its tune"
    output = audio.find_element(By.XPATH, "./ancestor::div[contains(@class,'jp-OutputArea-output')]")
    said = re.search(r"(?:first (\d+) s of|all) (\d+) s", output.text)
    assert said, f"the player does not say how much it plays: {output.text!r}"
    if length is not None:
        assert int(said[2]) == round(length), f"the player says {said[0]!r}; the tune lasts {length:.0f} s"
    stated = float(said[1] or said[2])
    assert abs(plays - stated) <= 0.5 + 0.5 * (said[1] is None), f"the player says {said[0]!r}, plays {plays:.1f} s"
    assert said[1] is None or "cut" in output.text, "a player that plays part of a tune must say it is cut"


def _lab07_player(page: Page) -> None:
    from selenium.webdriver.common.by import By

    from labtools import music
    from labtools.mit import load_training_data

    audio = _wait(lambda: page.driver.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output audio"), 30, "a player")
    page.show(audio[0])
    source = audio[0].find_element(By.TAG_NAME, "source").get_attribute("src")
    assert source.startswith("data:audio/wav;base64,")
    assert 15 <= _audio_plays(page.driver, audio[0]) <= 21, "the player should play the first 20 s of its tune"
    # the plot under the player says the tune's length too, from the same parse
    _assert_says_what_it_plays(page.driver, audio[0], music.parse_tune(load_training_data()[0]).seconds())
    page.shot("lab07_player")


# The training cell of lab 07 while it runs: whether its loss plot already shows (an image among
# its outputs before the cell has finished, i.e. before its execution count is set).
LIVE_PLOT = """
const nb = window.jupyterapp.shell.currentWidget;
const cell = nb.content.widgets.find(
    w => w.model.type === 'code' && w.model.sharedModel.getSource().includes(arguments[0]));
if (!cell || cell.model.executionCount !== null || !cell.outputArea.node.querySelector('img')) return false;
nb.content.scrollToCell(cell, 'end').then(() => cell.outputArea.node.querySelector('img').scrollIntoView());
return true;
"""


class _Lab07LiveLoss:
    """Watches Run All of lab 07: its live loss plot shows while the loop still trains (its first
    point as soon as the first step is done, not at the end); screenshot lab07_live_loss."""

    def __init__(self, page: Page):
        self.page, self.seen = page, False

    def __call__(self) -> None:
        if not self.seen and self.page.driver.execute_script(LIVE_PLOT, "labtools.PeriodicPlotter("):
            self.seen = True
            time.sleep(0.5)  # the scroll
            self.page.shot("lab07_live_loss")


def _lab07_compose(page: Page) -> None:
    from selenium.webdriver.common.by import By

    driver = page.driver
    for label in ("temperature", "length"):
        _assert_roomy(driver, _slider(driver, label), label)
    slider = _slider(driver, "length")
    area = slider.find_element(By.XPATH, "./ancestor::div[contains(@class,'widget-interact')]")
    page.show(slider)
    _set_slider(_slider(driver, "temperature"), "0.6")  # safer choices: more tunes that parse
    area.find_element(By.TAG_NAME, "button").click()  # Run Interact
    output = area.find_element(By.CSS_SELECTOR, ".widget-output")
    # A model trained for 60 steps does not always write a tune that parses: then no player shows.
    # The count comes before the player, so wait for both.
    _wait(
        lambda: (
            "generated tunes are valid" in output.text
            and (output.text.startswith("0 of") or output.find_elements(By.TAG_NAME, "audio"))
        ),
        60,
        "compose to write tunes and show a player for a valid one",
    )
    audio = output.find_elements(By.TAG_NAME, "audio")
    if audio:
        _assert_says_what_it_plays(driver, audio[0])
    page.shot("lab07_compose")


LISTING = """
const done = arguments[arguments.length - 1];
window.jupyterapp.serviceManager.contents.get('', {content: true})
  .then(model => done(model.content.map(item => item.name).sort()), error => done(String(error)));
"""


def test_the_students_file_browser_holds_their_notebooks_only(browser):
    """No solution, source or grading bundle is one click away from the folder students open."""
    shown = browser.execute_async_script(LISTING)
    assert shown == LABS, f"the folder the README opens ({STUDENT_FOLDER}/) shows {shown}; it should hold the labs only"
    from selenium.webdriver.common.by import By

    browser.execute_script("window.jupyterapp.commands.execute('filebrowser:activate');")
    names = _wait(
        lambda: (
            sorted(item.text for item in browser.find_elements(By.CSS_SELECTOR, ".jp-DirListing-itemText"))
            if all(item.text for item in browser.find_elements(By.CSS_SELECTOR, ".jp-DirListing-itemText"))
            else None
        ),
        30,
        "the file browser to list the folder",
    )
    browser.save_screenshot(str(ARTIFACTS / "file_browser.png"))
    assert names == LABS, f"the file browser shows {names}"


@pytest.mark.parametrize("name", LABS, ids=[n[:2] for n in LABS])
def test_lab_in_jupyterlab(browser, name):
    number = name[:2]
    page = Page(browser, name)
    try:
        page.open()
        page.lap("open")
        # 1. Run All on the untouched student notebook reaches the end
        page.run_all()
        page.lap("run all")
        cells = _assert_ran_cleanly(page)
        if number == "05":
            _lab05_widgets(page)
        if number == "07":
            _lab07_player(page)
        page.lap("checks and widgets")

        # 2. a wrong answer typed in renders FAIL, the solution renders PASS
        qid, wrong = WRONG[number]
        answer, check = _answer_cell(cells, qid), _check_cell(cells, qid)
        todo = [i for i, line in enumerate(cells[answer]["source"].split("\n")) if "# TODO" in line]
        right = [_solution_cells(name)[qid].split("\n")[i].strip() for i in todo]
        assert len(todo) == len(wrong), f"{name} {qid}: {len(todo)} TODO lines, {len(wrong)} wrong lines"
        for verdict, lines in (("FAIL", wrong), ("PASS", right)):
            for i, text in zip(todo, lines, strict=True):
                page.type_line(answer, i, text)
            page.run(answer, check)
            shown = _wait(
                lambda c=check: (t := page.cells()[c]["text"]) and ("PASS" in t or "FAIL" in t) and t,
                60,
                f"{name} {qid}'s check to render",
            )
            assert verdict in shown, f"{name} {qid}: expected {verdict}, the check shows {shown!r}"
            page.show(page.output(check))
            page.shot(f"lab{number}_{verdict.lower()}")
        page.lap("wrong and right answer")

        # 3. labs 06 and 07: every exercise done, the widgets that need them
        if number in ("06", "07"):
            for qid, source in _solution_cells(name).items():
                page.driver.execute_script(SET_SOURCE, _answer_cell(cells, qid), source)
            # a written answer is read from the saved notebook, as a student's check reads it
            page.driver.execute_async_script(SAVE)
            if number in SHORTER:
                old, new = SHORTER[number]
                cell = next(c for c in cells if old in c["source"])
                page.driver.execute_script(SET_SOURCE, cell["index"], cell["source"].replace(old, new))
            live = _Lab07LiveLoss(page) if number == "07" else None
            page.run_all(watch=live)
            page.lap("run all with the solutions")
            if live is not None:
                assert live.seen, "lab 07's loss plot did not show while the training loop ran"
            _assert_ran_cleanly(page, attempted=True)
            (_lab06_widgets if number == "06" else _lab07_compose)(page)
            page.lap("widgets")
    finally:
        page.shot(f"lab{number}")
        page.close()
        page.lap("close")
        print(f"lab {number}: {page.times}")
