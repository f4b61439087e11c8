"""Parallel test runs: which tests share a pytest-xdist worker (any invocation, any path)."""

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """With pytest-xdist (``-n auto --dist loadgroup``, the default here), tests run in parallel
    workers. Tests that must share one worker get an ``xdist_group``: the cells of one notebook
    (nbval runs them in order in one kernel), and tests that share a module- or session-scoped
    fixture of ours (a graded corpus, a JupyterLab server, the Colab-like venv, which a second
    worker would only wait for while the first builds it), so that it is built once. A test's own
    ``xdist_group`` mark wins. Everything else is spread one test at a time."""
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        if ".ipynb::" in item.nodeid:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
            continue
        info = getattr(item, "_fixtureinfo", None)
        shared = sorted(
            name
            for name, defs in (info.name2fixturedefs.items() if info else ())
            if any(d.scope != "function" and d.baseid for d in defs)
        )
        if shared:
            item.add_marker(pytest.mark.xdist_group("+".join(shared)))
