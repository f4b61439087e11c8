"""JupyterLab in a real browser: run a whole lab, see a check say PASS, move a widget.

Needs Debian's ``chromium`` and ``chromium-driver`` and the ``selenium`` package (``.ci/run``
installs all three); skipped when they are missing. The screenshots are kept in
``_ci_artifacts/browser/``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from notebooks import NOTEBOOKS, ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
selenium = pytest.importorskip("selenium", reason="selenium is not installed")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="chromium and chromium-driver are not installed"),
]
ARTIFACTS = ROOT / "_ci_artifacts" / "browser"
LAB = "05_autodiff.ipynb"  # checks that pass and an ipywidgets control, in about ten seconds
TOKEN = "labtools-browser-test"

# JavaScript run in the page; JupyterLab exposes its app as window.jupyterapp with the flag below.
KERNEL_IDLE = """
const nb = window.jupyterapp && window.jupyterapp.shell.currentWidget;
const kernel = nb && nb.sessionContext && nb.sessionContext.session && nb.sessionContext.session.kernel;
return Boolean(kernel && kernel.status === 'idle' && nb.content && nb.content.widgets.length);
"""
ALL_CELLS_RAN = """
const nb = window.jupyterapp.shell.currentWidget;
const kernel = nb.sessionContext.session.kernel;
const code = nb.content.widgets.filter(w => w.model.type === 'code');
return kernel.status === 'idle' && code.every(w => w.model.executionCount !== null);
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception:  # the page or server is still starting
            value = None
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")


@pytest.fixture()
def jupyterlab(tmp_path):
    shutil.copy(NOTEBOOKS / "solutions" / LAB, tmp_path / LAB)
    port = _free_port()
    env = dict(os.environ, LABTOOLS_FAST="1", TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("MPLBACKEND", None)  # the tests' Agg backend would hide the plots in the browser
    settings = tmp_path / ".settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')  # no news pop-up
    log = (tmp_path / "jupyterlab.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            f"--port={port}",
            "--ip=127.0.0.1",
            f"--ServerApp.root_dir={tmp_path}",
            f"--IdentityProvider.token={TOKEN}",
            "--LabApp.expose_app_in_browser=True",
            f"--LabApp.user_settings_dir={tmp_path / '.settings'}",
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
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture()
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


def test_a_lab_runs_in_jupyterlab_shows_pass_and_its_widget_responds(jupyterlab, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.get(f"{jupyterlab}/lab/tree/{LAB}?token={TOKEN}")
    try:
        _wait(lambda: browser.execute_script(KERNEL_IDLE), 120, "the notebook and its kernel")
        browser.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells');")
        _wait(lambda: browser.execute_script(ALL_CELLS_RAN), 240, "every cell to run")

        outputs = browser.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output")
        shown = "\n".join(o.text for o in outputs)
        assert "PASS" in shown, "no check cell rendered PASS"
        assert "FAIL" not in shown and "Traceback" not in shown
        passed = [o for o in outputs if "PASS" in o.text]
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", passed[1 if len(passed) > 1 else 0])
        browser.save_screenshot(str(ARTIFACTS / "lab05_check.png"))

        # The learning-rate explorer: an IntSlider for the number of steps and a plot below it.
        slider = _wait(
            lambda: [s for s in browser.find_elements(By.CSS_SELECTOR, ".widget-slider") if "steps" in s.text],
            30,
            "the ipywidgets slider to render",
        )[0]
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", slider)
        readout = slider.find_element(By.CSS_SELECTOR, ".widget-readout")
        area = slider.find_element(By.XPATH, "./ancestor::div[contains(@class,'widget-interact')]")
        before_value = readout.text
        before_plot = _wait(lambda: area.find_element(By.TAG_NAME, "img").get_attribute("src"), 30, "the plot")
        browser.save_screenshot(str(ARTIFACTS / "lab05_before.png"))

        readout.click()
        readout.send_keys(Keys.CONTROL, "a")
        readout.send_keys("80", Keys.ENTER)
        _wait(lambda: readout.text == "80", 15, "the slider to take the new value")
        after_plot = _wait(
            lambda: (src := area.find_element(By.TAG_NAME, "img").get_attribute("src")) != before_plot and src,
            30,
            "the plot to redraw for the new value",
        )
        assert before_value == "30" and after_plot != before_plot
    finally:
        browser.save_screenshot(str(ARTIFACTS / "lab05.png"))
