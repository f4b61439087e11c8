"""Shared test set-up: fast mode for every notebook, and the notebook suite's wall time."""

import os
import time
from collections import defaultdict

os.environ.setdefault("LABTOOLS_FAST", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

# Notebooks under tests/ are grading fixtures, not lab notebooks for nbval to execute.
collect_ignore_glob = ["*.ipynb", "**/*.ipynb"]


class NotebookTimer:
    """Adds up the time spent executing notebooks: nbval's cells (per notebook) and the tests
    marked ``notebooks``. Registered globally so that it sees nbval's items outside tests/."""

    def __init__(self):
        self.seconds = defaultdict(float)
        self.started = time.monotonic()

    def pytest_runtest_logreport(self, report):
        if report.when != "call":
            return
        if ".ipynb::" in report.nodeid:
            self.seconds["nbval " + report.nodeid.split("::")[0].rsplit("/", 1)[-1]] += report.duration
        elif "notebooks" in report.keywords:
            self.seconds[report.nodeid.split("::")[0].rsplit("/", 1)[-1]] += report.duration

    def pytest_terminal_summary(self, terminalreporter):
        if not self.seconds:
            return
        write = terminalreporter.write_line
        for name, s in sorted(self.seconds.items()):
            write(f"  {s:7.1f} s  {name}")
        write(
            f"notebook suite: {sum(self.seconds.values()):.1f} s of notebook execution "
            f"(whole run {time.monotonic() - self.started:.0f} s)"
        )


def pytest_configure(config):
    config.pluginmanager.register(NotebookTimer(), "labtools-notebook-timer")
