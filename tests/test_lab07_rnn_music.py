"""Lab 07 checks: right, wrong and untouched answers."""
import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from labcheck import assert_fail, assert_not_attempted, assert_pass  # noqa: E402
from labtools.labs.lab07_rnn_music import corpus_vocabulary  # noqa: E402

LAB = "07"


def untouched(*args):
    ...  # TODO: your code here


def test_q1_vectorize():
    char2idx = {c: i for i, c in enumerate(corpus_vocabulary())}
    assert_pass(LAB, "q1", lambda s: np.array([char2idx[c] for c in s]))
    unsorted = {c: i for i, c in enumerate(set(corpus_vocabulary()) - {"A"} | {"A"})}
    shifted = {c: i + 1 for c, i in char2idx.items()}
    assert_fail(LAB, "q1", lambda s: np.array([shifted[c] for c in s]), says="wrong index")
    assert_fail(LAB, "q1", lambda s: np.array([float(char2idx[c]) for c in s]), says="integers")
    assert_fail(LAB, "q1", lambda s: np.array([char2idx[c] for c in s.strip()]), says="characters should give")
    assert unsorted  # a set's order is arbitrary; the sorted vocabulary is what the lab uses
    assert_not_attempted(LAB, "q1", untouched)


def batches(shift=1, fixed=False, as_list=False):
    def get_batch(vectorized, seq_length, batch_size):
        starts = np.arange(batch_size) if fixed else np.random.choice(len(vectorized) - seq_length - 1, batch_size)
        x = np.array([vectorized[i:i + seq_length] for i in starts])
        y = np.array([vectorized[i + shift:i + seq_length + shift] for i in starts])
        return (x.tolist(), y.tolist()) if as_list else (x, y)

    return get_batch


def test_q2_get_batch():
    assert_pass(LAB, "q2", batches())
    assert_fail(LAB, "q2", batches(shift=2), says="shifted by one")
    assert_fail(LAB, "q2", batches(shift=0), says="shifted by one")
    assert_fail(LAB, "q2", batches(fixed=True), says="random")
    assert_fail(LAB, "q2", batches(as_list=True), says="NumPy")
    assert_fail(LAB, "q2", lambda v, s, b: batches()(v, b, s), says="(6, 20)")
    assert_fail(LAB, "q2", lambda v, s, b: batches()(v, s, b)[0], says="two arrays")
    assert_not_attempted(LAB, "q2", untouched)


def builder(return_sequences=True, activation=None, layers=None):
    def build_model(vocab_size, embedding_dim, rnn_units):
        return keras.Sequential(layers(vocab_size, embedding_dim, rnn_units) if layers else [
            keras.layers.Embedding(vocab_size, embedding_dim),
            keras.layers.LSTM(rnn_units, return_sequences=return_sequences),
            keras.layers.Dense(vocab_size, activation=activation),
        ])

    return build_model


def test_q3_build_model():
    assert_pass(LAB, "q3", builder())
    assert_fail(LAB, "q3", builder(return_sequences=False), says="return_sequences")
    assert_fail(LAB, "q3", builder(activation="softmax"), says="logits")
    assert_fail(LAB, "q3", builder(layers=lambda v, e, r: [keras.layers.Embedding(v, e),
                                                         keras.layers.GRU(r, return_sequences=True),
                                                         keras.layers.Dense(v)]), says="Embedding -> LSTM -> Dense")
    assert_fail(LAB, "q3", builder(layers=lambda v, e, r: [keras.layers.Embedding(v, r),
                                                         keras.layers.LSTM(e, return_sequences=True),
                                                         keras.layers.Dense(v)]), says="embedding_dim")
    assert_not_attempted(LAB, "q3", untouched)


def test_q4_loss_from_logits():
    scce = keras.losses.sparse_categorical_crossentropy
    assert_pass(LAB, "q4", lambda y, z: scce(y, z, from_logits=True))
    assert_pass(LAB, "q4", lambda y, z: tf.reduce_mean(scce(y, z, from_logits=True)))
    assert_fail(LAB, "q4", lambda y, z: scce(y, z), says="from_logits=True")
    assert_fail(LAB, "q4", lambda y, z: tf.reduce_sum(scce(y, z, from_logits=True), axis=0), says="shape")
    assert_not_attempted(LAB, "q4", untouched)
