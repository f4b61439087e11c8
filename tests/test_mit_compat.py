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
    assert type(player).__name__ == "Audio" and player.data[:4] == b"RIFF"
    assert mdl.play_song("not a tune") is None
    assert "Cannot play" in capsys.readouterr().out
    path = mdl.save_song_to_abc(songs[1], str(tmp_path / "tune"))
    assert open(path).read() == songs[1]


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


def test_custom_dense_layer_output_uses_the_layers_own_weights():
    tf = pytest.importorskip("tensorflow")
    keras = pytest.importorskip("keras")
    layer = keras.layers.Dense(3, activation="sigmoid")
    x = tf.constant([[1.0, 2.0]])
    assert mdl.test_custom_dense_layer_output(layer(x), layer=layer, x=x)
    with pytest.raises(AssertionError, match="own weights"):
        mdl.test_custom_dense_layer_output(layer(x) + 0.01, layer=layer, x=x)
    with pytest.raises(AssertionError, match=r"\(1, 3\)"):
        mdl.test_custom_dense_layer_output(np.ones((1, 4)) * 0.5)


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
