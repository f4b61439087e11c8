"""The names of MIT 6.S191 Lab 1's helper package (``mitdeeplearning.lab1`` and ``.util``),
implemented on labtools, so MIT-style notebook code runs unchanged:

    import labtools as mdl            # instead of: import mitdeeplearning as mdl
    songs = mdl.load_training_data()
    mdl.play_song(songs[0])

Differences on purpose: songs play through a built-in synthesiser (no abc2midi/timidity),
``play_generated_song`` says how many generated tunes are valid, and the custom dense layer test
can check against the layer's own weights instead of numbers that depend on seeding.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from . import music
from .datasets import data_path


def load_training_data() -> list[str]:
    """The 804 Irish folk tunes of the lab, one ABC string per tune."""
    text = data_path("irish.abc").read_text(encoding="utf-8")
    return music.split_tunes(text, complete_only=False)


def extract_song_snippet(text: str) -> list[str]:
    """The complete tunes in generated text (a tune cut off at the end is left out)."""
    return music.split_tunes(text, complete_only=True)


def play_song(song: str):
    """An audio player for one ABC tune, or None (with the reason printed) if it does not parse."""
    report = music.check_tune(song)
    if not report.valid or report.tune is None:  # a valid report always has its tune
        print(f"Cannot play this tune: {report.reason}")
        return None
    return music.audio(report.tune)


def play_generated_song(generated_text: str, max_songs: int = 3):
    """Report how many generated tunes are valid and show a player for the first few valid ones."""
    from IPython.display import display

    reports = [music.check_tune(t) for t in extract_song_snippet(generated_text)]
    print(music.summarise(reports) + ("" if reports else " (no complete tune yet: generate more text)"))
    shown = 0
    for r in reports:
        if r.valid and r.tune is not None and shown < max_songs:
            length = r.tune.seconds()
            played = f" (the player has the first {music.PLAYER_SECONDS:.0f})" if length > music.PLAYER_SECONDS else ""
            print(f"  {r.title}: {len(r.tune.notes)} notes, {length:.0f} s{played}")
            display(music.audio(r.tune))
            shown += 1
    return reports


def save_song_to_abc(song: str, filename: str = "tmp") -> str:
    """Write a tune to ``filename.abc`` and return the path."""
    path = Path(f"{filename}.abc")
    path.write_text(song, encoding="utf-8")
    return str(path)


# -- the batch tests of MIT's lab, with messages that say what is wrong ------------------------


def _batch(func, args):
    out = func(*args)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise AssertionError(
            f"{getattr(func, '__name__', 'the function')} should return (x_batch, y_batch), got {type(out).__name__}"
        )
    return out


def test_batch_func_types(func, args):
    x, y = _batch(func, args)
    for name, v in (("x_batch", x), ("y_batch", y)):
        if not isinstance(v, np.ndarray):
            raise AssertionError(f"{name} should be a NumPy array, got {type(v).__name__}")
    print("[PASS] test_batch_func_types")
    return True


def test_batch_func_shapes(func, args):
    _, seq_length, batch_size = args
    x, y = _batch(func, args)
    for name, v in (("x_batch", x), ("y_batch", y)):
        if np.shape(v) != (batch_size, seq_length):
            raise AssertionError(
                f"{name} has shape {np.shape(v)}; expected (batch_size, seq_length) = {(batch_size, seq_length)}"
            )
    print("[PASS] test_batch_func_shapes")
    return True


def test_batch_func_next_step(func, args):
    x, y = _batch(func, args)
    if not np.array_equal(np.asarray(x)[:, 1:], np.asarray(y)[:, :-1]):
        raise AssertionError("y_batch should be x_batch shifted by one step: y[:, t] == x[:, t + 1]")
    print("[PASS] test_batch_func_next_step")
    return True


def test_custom_dense_layer_output(y, layer=None, x=None):
    """MIT's test compared y with fixed numbers that changed with Keras' seeding.  Pass the
    ``layer`` and its input ``x`` to check y == sigmoid(x W + b) from the layer's own weights;
    with y alone, only the shape (1, 3) and the sigmoid's range are checked."""
    y = np.asarray(y)
    if layer is not None and x is not None:
        W, b = (np.asarray(w) for w in layer.trainable_weights[:2])
        expected = 1 / (1 + np.exp(-(np.asarray(x) @ W + b.reshape(-1))))
        if y.shape != expected.shape or not np.allclose(y, expected, atol=1e-5):
            raise AssertionError("the output is not sigmoid(x W + b) of the layer's own weights")
    elif y.shape != (1, 3) or not np.all((y > 0) & (y < 1)):
        raise AssertionError(f"expected shape (1, 3) with values in (0, 1), got shape {y.shape}")
    print("[PASS] test_custom_dense_layer_output")
    return True


class PeriodicPlotter:
    """A live line plot that redraws at most every ``sec`` seconds (MIT's ``util.PeriodicPlotter``)."""

    def __init__(self, sec: float, xlabel: str = "", ylabel: str = "", scale: str | None = None):
        self.sec, self.xlabel, self.ylabel, self.scale = sec, xlabel, ylabel, scale
        self.last = 0.0
        self._handle = None

    def plot(self, data, force: bool = False):
        if not force and time.time() - self.last < self.sec:
            return
        import matplotlib.pyplot as plt
        from IPython.display import display

        fig, ax = plt.subplots(figsize=(5, 2.8))
        if self.scale == "semilogy":
            ax.semilogy(data)
        elif self.scale == "loglog":
            ax.loglog(data)
        else:
            ax.plot(data)
        ax.set_xlabel(self.xlabel)
        ax.set_ylabel(self.ylabel)
        fig.tight_layout()
        if self._handle is None:
            self._handle = display(fig, display_id=True)
        else:
            self._handle.update(fig)
        plt.close(fig)
        self.last = time.time()
