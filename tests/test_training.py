"""Training feedback: the history plot's epochs and labels, the bar's short postfix, no tqdm monitor thread."""

import matplotlib

matplotlib.use("Agg")

from labtools.runtime import no_tqdm_monitor  # noqa: E402
from labtools.training import _fmt, plot_history  # noqa: E402


def test_history_plot_counts_whole_epochs_and_names_its_curves():
    logs = {"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.6, 0.4], "accuracy": [0.5, 0.7, 0.8]}
    axes = plot_history(logs, labels=("training", "test"))
    assert [line.get_label() for line in axes[0].get_lines()] == ["training loss", "test loss"]
    lo, hi = axes[0].get_xlim()
    ticks = [t for t in axes[0].get_xticks() if lo <= t <= hi]
    assert ticks and all(float(t).is_integer() for t in ticks), ticks
    assert axes[1].get_title() == "accuracy"


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
