"""The compiled sampler and the one-call-per-character loop draw from the same distribution."""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from labtools import sampling  # noqa: E402


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(3)
    m = keras.Sequential(
        [keras.layers.Embedding(12, 4), keras.layers.LSTM(16, return_sequences=True), keras.layers.Dense(12)]
    )
    m.build((1, None))
    for w in m.weights:  # spread the logits so that sampling is far from uniform
        w.assign(w * 3)
    return m


def greedy(model, start, length):
    ids = list(start)
    for _ in range(length):
        ids.append(int(tf.argmax(model(tf.constant([ids]))[0, -1])))
    return ids[len(start) :]


def test_both_samplers_follow_the_full_model_at_low_temperature(model):
    start = [1, 5, 2]
    want = greedy(model, start, 15)
    assert sampling.sample_stepwise(model, start, 15, temperature=1e-4, seed=0) == want
    assert sampling.sample_compiled(model, start, 15, temperature=1e-4, n=3, seed=0).tolist() == [want] * 3


def test_first_character_frequencies_match_softmax(model):
    start = [4, 7]
    probs = tf.nn.softmax(model(tf.constant([start]))[0, -1] / 0.8).numpy()
    draws = sampling.sample_compiled(model, start, 1, temperature=0.8, n=6000, seed=1)[:, 0]
    freq = np.bincount(draws, minlength=12) / len(draws)
    assert np.abs(freq - probs).max() < 0.025
    steps = [sampling.sample_stepwise(model, start, 1, temperature=0.8, seed=s)[0] for s in range(300)]
    step_freq = np.bincount(steps, minlength=12) / len(steps)
    assert np.abs(step_freq - probs).max() < 0.09
