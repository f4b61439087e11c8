"""Training feedback: the history plot's epochs and labels, the bar's short postfix, no tqdm monitor thread."""

import matplotlib

matplotlib.use("Agg")

from pathlib import Path  # noqa: E402
from types import SimpleNamespace  # noqa: E402

import jupytext  # noqa: E402
import pytest  # noqa: E402

from labtools.runtime import no_tqdm_monitor  # noqa: E402
from labtools.training import _fmt, plot_history  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def test_history_plot_counts_whole_epochs_and_names_its_curves():
    logs = {"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.6, 0.4], "accuracy": [0.5, 0.7, 0.8]}
    axes = plot_history(logs, labels=("training", "test"))
    assert [line.get_label() for line in axes[0].get_lines()] == ["training loss", "test loss"]
    lo, hi = axes[0].get_xlim()
    ticks = [t for t in axes[0].get_xticks() if lo <= t <= hi]
    assert ticks and all(float(t).is_integer() for t in ticks), ticks
    assert axes[1].get_title() == "accuracy"


@pytest.mark.parametrize(
    "logs, said, plots",
    [
        ({}, "Nothing to plot: the history has no epochs", 0),  # fit(..., epochs=0)
        ({"loss": [1.0, 0.5], "accuracy": [0.5, 0.7]}, "Not plotted: validation curves (fit got no validation", 2),
        ({"loss": [1.0], "val_loss": [1.1]}, "Not plotted: accuracy (not among compile's metrics)", 1),
    ],
    ids=["no epochs", "no validation", "no accuracy"],
)
def test_lab06_history_cell_plots_what_there_is_and_says_what_is_missing(logs, said, plots, capsys):
    """Lab 06's plot cell after fit, as a student may have called fit: one line, no traceback."""
    import matplotlib.pyplot as plt
    import numpy as np

    import labtools

    cells = jupytext.read(ROOT / "instructor" / "source" / "06_mnist.py").cells
    cell = next(c.source for c in cells if c.cell_type == "code" and "labtools.plot_history(history)" in c.source)
    plt.close("all")
    history = SimpleNamespace(history=logs)
    model = SimpleNamespace(optimizer="rmsprop")
    exec(cell, {"labtools": labtools, "plt": plt, "np": np, "history": history, "model": model, "prepare": np.ravel})
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith(said) and len(out) == (2 if "val_accuracy" in logs else 1), out
    assert sum(len(f.axes) for f in map(plt.figure, plt.get_fignums())) == plots


def test_bar_postfix_is_short():
    assert _fmt({"loss": 0.12345, "accuracy": 0.9, "val_accuracy": 0.8, "note": "x"}) == {
        "loss": "0.123",
        "acc": "0.900",
        "val_acc": "0.800",
    }


def test_no_tqdm_monitor_thread():
    from tqdm import tqdm

    before = tqdm.monitor_interval
    try:
        no_tqdm_monitor()
        assert tqdm.monitor_interval == 0
    finally:
        tqdm.monitor_interval = before
