"""MIT 6.S191 Lab 1 code runs on labtools: the same names, no abc2midi, no mitdeeplearning."""

import numpy as np
import pytest

import labtools as mdl


def right_batch(vectorized, seq_length, batch_size):
    starts = np.random.choice(len(vectorized) - seq_length - 1, batch_size)
    return (
        np.array([vectorized[i : i + seq_length] for i in starts]),
        np.array([vectorized[i + 1 : i + seq_length + 1] for i in starts]),
    )


def test_songs_play_without_system_programs(tmp_path, capsys):
    songs = mdl.load_training_data()
    assert len(songs) == 804 and songs[0].startswith("X:1\nT:Alexander's")
    player = mdl.play_song(songs[0])
    from IPython.display import Audio

    assert isinstance(player, Audio) and player.data[:4] == b"RIFF"
    assert "first 20 s of 64 s" in player._repr_html_()  # what it plays, beside the player
    assert mdl.play_song("not a tune") is None
    assert "Cannot play" in capsys.readouterr().out
    basename = mdl.save_song_to_abc(songs[1], str(tmp_path / "tune"))  # MIT: the name without .abc
    assert basename == str(tmp_path / "tune") and open(basename + ".abc").read() == songs[1]


def test_play_generated_song_counts_valid_tunes(capsys):
    songs = mdl.load_training_data()
    text = songs[0] + "\n\n" + "X:9\nT:broken\nK:C\nab" + "\n\n" + songs[2] + "\n\nX:10\nT:cut"
    reports = mdl.play_generated_song(text, max_songs=1)
    assert "2 of 3 generated tunes are valid" in capsys.readouterr().out
    assert [r.valid for r in reports] == [True, False, True]


def test_batch_tests_pass_right_and_reject_wrong(capsys):
    args = (np.arange(100), 10, 2)
    assert mdl.test_batch_func_types(right_batch, args)
    assert mdl.test_batch_func_shapes(right_batch, args)
    assert mdl.test_batch_func_next_step(right_batch, args)
    assert capsys.readouterr().out.count("[PASS]") == 3
    with pytest.raises(AssertionError, match="NumPy array"):
        mdl.test_batch_func_types(lambda *a: tuple(x.tolist() for x in right_batch(*a)), args)
    with pytest.raises(AssertionError, match=r"\(2, 10\)"):
        mdl.test_batch_func_shapes(lambda v, s, b: right_batch(v, b, s), args)
    with pytest.raises(AssertionError, match="shifted by one"):
        mdl.test_batch_func_next_step(lambda *a: (right_batch(*a)[0],) * 2, args)


class MitDense:
    """MIT's OurDenseLayer, as the lab writes it (Keras 3: add_weight(name=..., shape=...))."""

    @staticmethod
    def make(bias=True, bias_shape=(3,)):
        keras = pytest.importorskip("keras")
        tf = pytest.importorskip("tensorflow")

        class OurDenseLayer(keras.layers.Layer):
            def build(self, input_shape):
                self.W = self.add_weight(name="weight", shape=(int(input_shape[-1]), 3))
                if bias:
                    self.b = self.add_weight(name="bias", shape=bias_shape)

            def call(self, x):
                z = tf.matmul(x, self.W) + (self.b if bias else 0)
                return tf.math.sigmoid(z)

        return OurDenseLayer()


def test_custom_dense_layer_output_with_y_alone_finds_the_layer_as_mit_code_calls_it(capsys):
    """MIT's cell: layer.build((1, 2)); y = layer.call(x_input); test_custom_dense_layer_output(y)."""
    tf = pytest.importorskip("tensorflow")
    x_input = tf.constant([[1.0, 2.0]])
    for bias_shape in ((3,), (1, 3)):
        layer = MitDense.make(bias_shape=bias_shape)
        layer.build((1, 2))
        y = layer.call(x_input)
        assert mdl.lab1.test_custom_dense_layer_output(y)
        assert mdl.test_custom_dense_layer_output(y)
    assert capsys.readouterr().out.count("[PASS]") == 4
    layer = MitDense.make(bias=False)  # the wrong answer that used to pass: no bias
    layer.build((1, 2))
    y = layer.call(x_input)
    with pytest.raises(AssertionError, match="no bias"):
        mdl.test_custom_dense_layer_output(y)
    layer = MitDense.make()
    layer.build((1, 2))
    for wrong in (
        tf.math.sigmoid(tf.matmul(x_input, layer.W)),  # bias left out of the sum
        tf.nn.relu(tf.matmul(x_input, layer.W) + layer.b),  # wrong activation
        tf.math.sigmoid(tf.matmul(x_input, layer.W) - layer.b),
        tf.fill((1, 3), 0.5),
    ):
        with pytest.raises(AssertionError, match="own kernel W and bias b"):
            mdl.test_custom_dense_layer_output(wrong)
    with pytest.raises(AssertionError, match=r"\(1, 3\)"):
        mdl.test_custom_dense_layer_output(np.ones((1, 4)) * 0.5)


def test_custom_dense_layer_output_with_the_layer_named():
    tf = pytest.importorskip("tensorflow")
    keras = pytest.importorskip("keras")
    layer = keras.layers.Dense(3, activation="sigmoid")
    x = tf.constant([[1.0, 2.0]])
    assert mdl.test_custom_dense_layer_output(layer(x), layer=layer, x=x)
    with pytest.raises(AssertionError, match="own kernel"):
        mdl.test_custom_dense_layer_output(layer(x) + 0.01, layer=layer, x=x)
    no_bias = keras.layers.Dense(3, activation="sigmoid", use_bias=False)
    with pytest.raises(AssertionError, match="no bias"):
        mdl.test_custom_dense_layer_output(no_bias(x), layer=no_bias, x=x)


def test_every_mit_import_spelling_works():
    import importlib

    import labtools.lab1
    import labtools.util
    from labtools.lab1 import load_training_data, play_song  # noqa: F401
    from labtools.util import LossHistory, PeriodicPlotter  # noqa: F401

    assert mdl.lab1 is labtools.lab1 and mdl.util is labtools.util
    assert importlib.import_module("labtools.lab1").play_song is mdl.play_song
    for name in (
        "load_training_data",
        "extract_song_snippet",
        "save_song_to_abc",
        "play_song",
        "play_generated_song",
        "test_batch_func_types",
        "test_batch_func_shapes",
        "test_batch_func_next_step",
        "test_custom_dense_layer_output",
    ):
        assert callable(getattr(labtools.lab1, name)), name
    history = labtools.util.LossHistory(smoothing_factor=0.5)
    for v in (4.0, 2.0, 2.0):
        history.append(v)
    assert history.get() == [4.0, 3.0, 2.5]


def test_extract_song_snippet_prints_what_it_found_as_mit_does(capsys):
    songs = mdl.load_training_data()
    assert capsys.readouterr().out == ""  # the lab prints the count itself
    assert mdl.lab1.extract_song_snippet(songs[0] + "\n\n" + songs[1] + "\n\n") == songs[:2]
    assert "Found 2 songs in text" in capsys.readouterr().out


def test_periodic_plotter_refuses_an_unknown_scale():
    with pytest.raises(ValueError, match="unrecognized parameter scale 'semilog'"):
        mdl.util.PeriodicPlotter(sec=1, scale="semilog")
    for scale in (None, "semilogx", "semilogy", "loglog"):
        mdl.util.PeriodicPlotter(sec=1, scale=scale)


def test_periodic_plotter_redraws_at_most_every_sec(monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda fig, display_id=None: shown.append(fig) or _Handle(shown))
    plotter = mdl.PeriodicPlotter(sec=60, xlabel="step", ylabel="loss")
    for i in range(5):
        plotter.plot(list(range(i + 1)))
    assert len(shown) == 1
    plotter.plot([1, 2, 3], force=True)
    assert len(shown) == 2


def test_periodic_plotter_shows_the_first_step_at_once(monkeypatch):
    """The first call draws, and its one point shows (a line through one point would not)."""
    import matplotlib

    matplotlib.use("Agg")
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda fig, display_id=None: shown.append(fig) or _Handle(shown))
    mdl.PeriodicPlotter(sec=10).plot([4.4])
    (line,) = shown[0].axes[0].get_lines()
    assert len(line.get_xdata()) == 1 and line.get_marker() not in (None, "None", "", " ")


class _Handle:
    def __init__(self, shown):
        self.shown = shown

    def update(self, fig):
        self.shown.append(fig)


def test_mit_submodule_spelling_reaches_the_same_helpers():
    # MIT notebooks write mdl.lab1.load_training_data() and mdl.util.PeriodicPlotter
    assert mdl.lab1.load_training_data is mdl.load_training_data
    assert mdl.lab1.test_batch_func_next_step is mdl.test_batch_func_next_step
    assert mdl.util.PeriodicPlotter is mdl.PeriodicPlotter
    with pytest.raises(AttributeError):
        _ = mdl.lab2
