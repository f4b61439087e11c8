"""The names of MIT 6.S191 Lab 1's helper package (``mitdeeplearning.lab1`` and ``.util``),
implemented on labtools, so MIT-style notebook code runs unchanged. Every spelling works:

    import labtools as mdl            # instead of: import mitdeeplearning as mdl
    mdl.lab1.play_song(mdl.lab1.load_training_data()[0])
    import labtools.lab1              # or: from labtools.lab1 import play_song
    from labtools.util import PeriodicPlotter, LossHistory

Differences on purpose (also listed in docs/mit-names.md): songs play through a built-in synthesiser
(no abc2midi/timidity); ``load_training_data`` returns all 804 tunes and prints nothing;
``extract_song_snippet`` returns only complete tunes and prints how many it found;
``play_generated_song`` says how many generated tunes are valid and shows players;
``test_custom_dense_layer_output`` checks the values against the layer's own weights (MIT's
compared with numbers that changed with Keras' seeding).
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


def extract_song_snippet(text: str, quiet: bool = False) -> list[str]:
    """The complete tunes in generated text (a tune cut off at the end is left out); prints
    "Found N songs in text" as MIT's does."""
    songs = music.split_tunes(text, complete_only=True)
    if not quiet:
        print(f"Found {len(songs)} songs in text")
    return songs


def play_song(song: str):
    """An audio player for one ABC tune, or None (with the reason printed) if it does not parse.
    Beside it the player says how much of the tune it plays ("first 20 s of 64 s ...")."""
    report = music.check_tune(song)
    if not report.valid or report.tune is None:  # a valid report always has its tune
        print(f"Cannot play this tune: {report.reason}")
        return None
    return music.audio(report.tune)


def play_generated_song(generated_text: str, max_songs: int = 3):
    """Report how many generated tunes are valid and show a player for the first few valid ones."""
    from IPython.display import display

    reports = [music.check_tune(t) for t in extract_song_snippet(generated_text, quiet=True)]
    print(music.summarise(reports) + ("" if reports else " (no complete tune yet: generate more text)"))
    shown = 0
    for r in reports:
        if r.valid and r.tune is not None and shown < max_songs:
            print(f"  {r.title}: {len(r.tune.notes)} notes")  # the player says how long, and if it is cut
            display(music.audio(r.tune))
            shown += 1
    return reports


def save_song_to_abc(song: str, filename: str = "tmp") -> str:
    """Write a tune to ``filename.abc`` and return ``filename`` without ".abc", as MIT's does
    (MIT code goes on with ``basename + ".abc"``)."""
    Path(f"{filename}.abc").write_text(song, encoding="utf-8")
    return filename


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
    """Check that ``y`` is sigmoid(x W + b) of a dense layer with 3 units, from the layer's own
    weights. MIT's test compared ``y`` with fixed numbers that changed with Keras' seeding, so
    MIT code calls it with ``y`` alone: then the layer and its input are looked up among the
    caller's variables (a Keras layer with a (d, 3) kernel and a bias of 3, and an input of
    shape (1, d), such as MIT's ``layer`` and ``x_input``). Pass ``layer=`` and ``x=`` to say
    which."""
    import inspect

    y = np.asarray(y)
    if y.shape != (1, 3):
        raise AssertionError(f"[FAIL] the output should have shape (1, 3), got {y.shape}")
    if layer is None or x is None:
        frame = inspect.currentframe()
        caller = frame.f_back if frame is not None else None
        names = {**caller.f_globals, **caller.f_locals} if caller is not None else {}
        layers = [layer] if layer is not None else [v for v in names.values() if _is_layer(v)]
        inputs = [x] if x is not None else [v for v in names.values() if _is_row(v)]
    else:
        layers, inputs = [layer], [x]
    pairs = [(lay, inp) for lay in layers for inp in inputs if _fits(lay, inp)]
    if not pairs:
        biasless = [lay for lay in layers if len(getattr(lay, "trainable_weights", [])) == 1]
        if biasless:
            raise AssertionError("[FAIL] the layer has a kernel but no bias: y = sigmoid(x W + b) needs both")
        raise AssertionError(
            "[FAIL] no dense layer with 3 units and its (1, d) input found: "
            "call test_custom_dense_layer_output(y, layer=layer, x=x_input)"
        )
    for lay, inp in pairs:
        W, b = (np.asarray(w, dtype="float64") for w in lay.trainable_weights[:2])
        expected = 1 / (1 + np.exp(-(np.asarray(inp, dtype="float64") @ W + b.reshape(-1))))
        if np.allclose(y, expected, atol=1e-5):
            print("[PASS] test_custom_dense_layer_output")
            return True
    raise AssertionError("[FAIL] the output is not sigmoid(x W + b) of the layer's own kernel W and bias b")


def _is_layer(value) -> bool:
    weights = getattr(value, "trainable_weights", None)
    return hasattr(value, "build") and isinstance(weights, list) and 1 <= len(weights) <= 2


def _is_row(value) -> bool:
    """A (1, d) tensor or array."""
    try:
        shape = tuple(value.shape)
    except (AttributeError, TypeError):
        return False
    return len(shape) == 2 and shape[0] == 1 and not _is_layer(value)


def _fits(layer, x) -> bool:
    """A dense layer with 3 units, a kernel and a bias, whose kernel takes x's d columns."""
    try:
        shapes = [tuple(w.shape) for w in layer.trainable_weights]
        d = tuple(x.shape)[1]
    except (AttributeError, TypeError, IndexError):
        return False
    return len(shapes) == 2 and shapes[0] == (d, 3) and shapes[1] in ((3,), (1, 3))


class PeriodicPlotter:
    """A live line plot that redraws at most every ``sec`` seconds (MIT's ``util.PeriodicPlotter``).
    The first call draws at once, so the first step's loss shows as soon as it is known."""

    SCALES = (None, "semilogx", "semilogy", "loglog")

    def __init__(self, sec: float, xlabel: str = "", ylabel: str = "", scale: str | None = None):
        if scale not in self.SCALES:
            raise ValueError(f"unrecognized parameter scale {scale!r}: use one of {self.SCALES}")
        self.sec, self.xlabel, self.ylabel, self.scale = sec, xlabel, ylabel, scale
        self.last = 0.0
        self._handle = None

    def plot(self, data, force: bool = False):
        if not force and time.time() - self.last < self.sec:
            return
        import matplotlib.pyplot as plt
        from IPython.display import display

        fig, ax = plt.subplots(figsize=(5, 2.8))
        marker = "o" if len(data) == 1 else None  # a line through one point would not show
        if self.scale == "semilogx":
            ax.semilogx(data, marker=marker)
        elif self.scale == "semilogy":
            ax.semilogy(data, marker=marker)
        elif self.scale == "loglog":
            ax.loglog(data, marker=marker)
        else:
            ax.plot(data, marker=marker)
        ax.set_xlabel(self.xlabel)
        ax.set_ylabel(self.ylabel)
        fig.tight_layout()
        if self._handle is None:
            self._handle = display(fig, display_id=True)
        else:
            self._handle.update(fig)
        plt.close(fig)
        self.last = time.time()


class LossHistory:
    """A list of losses, smoothed by an exponential moving average (MIT's ``util.LossHistory``)."""

    def __init__(self, smoothing_factor: float = 0.0):
        self.alpha = smoothing_factor
        self.loss: list[float] = []

    def append(self, value) -> None:
        value = float(value)
        self.loss.append(self.alpha * self.loss[-1] + (1 - self.alpha) * value if self.loss else value)

    def get(self) -> list[float]:
        return self.loss
