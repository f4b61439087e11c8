"""Generating text from a trained character model (Embedding -> LSTM -> Dense) of lab 07.

Two samplers with the same distribution:

* ``sample_stepwise``: the classic loop, one eager model call per character (what the course's
  notebook does); easy to read, slow, because every character pays Python and dispatch overhead.
* ``sample_compiled``: one ``tf.function`` that runs the LSTM *cell* in a ``tf.while_loop``
  for all characters and several sequences at once; the weights are the trained model's own.
"""

from __future__ import annotations

import numpy as np

from .runtime import import_tensorflow


def _parts(model):
    import keras

    emb = next(layer for layer in model.layers if isinstance(layer, keras.layers.Embedding))
    lstm = next(layer for layer in model.layers if isinstance(layer, keras.layers.LSTM))
    dense = next(layer for layer in model.layers if isinstance(layer, keras.layers.Dense))
    return emb, lstm, dense


def sample_stepwise(model, start_ids, length: int, temperature: float = 1.0, seed: int | None = None):
    """One eager call per character: embedding, one LSTM step with the carried state, dense."""
    tf = import_tensorflow()
    emb, lstm, dense = _parts(model)
    rng = tf.random.Generator.from_seed(seed) if seed is not None else tf.random.get_global_generator()
    ids = tf.constant([list(start_ids)], tf.int32)
    state = [tf.zeros([1, lstm.units]), tf.zeros([1, lstm.units])]
    # prime the state with the start string, one character at a time
    out = []
    logits = None
    for t in range(ids.shape[1]):
        h, state = lstm.cell(emb(ids[:, t]), state)
        logits = dense(h)
    for _ in range(length):
        next_id = _draw(tf, rng, logits, temperature)
        out.append(int(next_id[0]))
        h, state = lstm.cell(emb(next_id), state)
        logits = dense(h)
    return out


def _draw(tf, rng, logits, temperature):
    scaled = logits / temperature
    # Gumbel-max: argmax(logits/T + Gumbel noise) is a draw from softmax(logits/T)
    u = rng.uniform(tf.shape(scaled), minval=1e-20, maxval=1.0)
    return tf.cast(tf.argmax(scaled - tf.math.log(-tf.math.log(u)), axis=-1), tf.int32)


class CompiledSampler:
    """Build once per model; call many times.  ``sampler(start_ids, length, temperature, n)``."""

    def __init__(self, model, seed: int | None = None):
        tf = import_tensorflow()
        self.tf = tf
        self.emb, self.lstm, self.dense = _parts(model)
        self.rng = (
            tf.random.Generator.from_seed(seed)
            if seed is not None
            else tf.random.Generator.from_non_deterministic_state()
        )
        self._run = tf.function(self._loop, reduce_retracing=True)

    def _loop(self, start, length, temperature):
        tf = self.tf
        n = tf.shape(start)[0]
        units = self.lstm.units
        state = [tf.zeros([n, units]), tf.zeros([n, units])]
        # prime the state with every start character; the last one's output gives the first draw
        for_steps = tf.shape(start)[1]
        h = tf.zeros([n, units])
        for t in tf.range(for_steps):
            h, state = self.lstm.cell(self.emb(start[:, t]), state)
        logits = self.dense(h)
        out = tf.TensorArray(tf.int32, size=length)
        for i in tf.range(length):
            next_id = _draw(tf, self.rng, logits, temperature)
            out = out.write(i, next_id)
            h, state = self.lstm.cell(self.emb(next_id), state)
            logits = self.dense(h)
        return tf.transpose(out.stack())

    def __call__(self, start_ids, length: int, temperature: float = 1.0, n: int = 1) -> np.ndarray:
        tf = self.tf
        start = tf.constant(np.tile(np.asarray(start_ids, dtype=np.int32)[None, :], (n, 1)))
        return self._run(start, tf.constant(length), tf.constant(float(temperature))).numpy()


def sample_compiled(model, start_ids, length: int, temperature: float = 1.0, n: int = 1, seed: int | None = None):
    """``n`` sequences of ``length`` characters from one compiled loop."""
    return CompiledSampler(model, seed)(start_ids, length, temperature, n)
