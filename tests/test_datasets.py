"""The MNIST loader: bundled subset offline, never hangs, says which data it gives."""

import numpy as np
import pytest

from labtools import datasets


def test_subset_split_and_types():
    (x, y), (xt, yt) = datasets.load_mnist_subset()
    assert x.shape == (8000, 28, 28) and xt.shape == (2000, 28, 28)
    assert x.dtype == np.uint8 and y.dtype == np.uint8
    assert list(y[:10]) == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]  # the official order (data README)
    assert set(np.unique(yt)) == set(range(10))


def test_fast_mode_uses_the_subset_and_says_so(capsys, monkeypatch):
    monkeypatch.setenv("LABTOOLS_FAST", "1")
    (x, _), _ = datasets.load_mnist()
    assert len(x) == 8000
    out = capsys.readouterr().out
    assert "bundled subset" in out and "fast mode" in out and out.count("\n") == 1


def test_offline_falls_back_quickly(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("LABTOOLS_FAST", "0")
    monkeypatch.setattr(datasets, "_keras_cache", lambda: tmp_path / "none.npz")
    monkeypatch.setattr(datasets, "MNIST_HOST", ("192.0.2.1", 9))  # TEST-NET-1: never answers
    (x, _), _ = datasets.load_mnist(connect_timeout=0.5)
    assert len(x) == 8000
    assert "no internet connection" in capsys.readouterr().out


def test_a_stuck_download_is_abandoned(capsys, monkeypatch, tmp_path):
    import threading

    monkeypatch.setenv("LABTOOLS_FAST", "0")
    monkeypatch.setattr(datasets, "_online", lambda timeout: True)
    stuck = threading.Event()
    keras = pytest.importorskip("keras")
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: stuck.wait(30))
    (x, _), _ = datasets.load_mnist(download_timeout=0.5)
    stuck.set()
    assert len(x) == 8000
    assert "took too long" in capsys.readouterr().out


def test_bad_source_and_missing_file_say_what_to_do():
    with pytest.raises(ValueError, match="'auto', 'full' or 'subset'"):
        datasets.load_mnist("everything")
    with pytest.raises(FileNotFoundError, match="reinstall labtools"):
        datasets.data_path("nope.npz")
