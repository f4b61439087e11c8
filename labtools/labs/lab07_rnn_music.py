"""Lab 07 - Music generation with an LSTM: questions, points, hints and checks."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..checking import Fail, Lab, NotAttempted, Question, does_nothing

PROBE_TEXT = "X:7\nT:Probe\nM:6/8\nL:1/8\nK:G Major\n|:GAB c2d|e3 d3:|\n"


@lru_cache(maxsize=1)
def corpus_vocabulary() -> list[str]:
    """The lab's vocabulary: the sorted characters of all tunes joined by blank lines."""
    from ..mit import load_training_data

    return sorted(set("\n\n".join(load_training_data())))


def _returned(fn, name, *args):
    out = fn(*args)
    if out is None:
        if does_nothing(fn):
            raise NotAttempted(f"{name} is still the placeholder")
        raise Fail(f"{name} returns None; return the result")
    return out


# q1 -- vectorising text ------------------------------------------------------------------------

def _extract_vectorize(vectorize_string):
    return {"out": np.asarray(_returned(vectorize_string, "vectorize_string", PROBE_TEXT))}


def _judge_vectorize(d):
    vocab = corpus_vocabulary()
    want = np.array([vocab.index(c) for c in PROBE_TEXT])
    out = d["out"]
    if out.shape != want.shape:
        raise Fail(f"a string of {len(PROBE_TEXT)} characters should give {len(PROBE_TEXT)} numbers, "
                   f"not an array of shape {out.shape}")
    if not np.issubdtype(out.dtype, np.integer):
        raise Fail(f"the numbers have dtype {out.dtype}; indices are integers")
    if not np.array_equal(out, want):
        raise Fail("some characters map to the wrong index; use char2idx built from the sorted vocabulary")


# q2 -- batches of windows ----------------------------------------------------------------------

def _extract_batch(get_batch):
    seq = np.arange(300)
    calls = [_returned(get_batch, "get_batch", seq, 20, 6) for _ in range(3)]
    for out in calls:
        if not (isinstance(out, tuple) and len(out) == 2):
            raise Fail("get_batch should return two arrays: (x_batch, y_batch)")
    return {"calls": [(np.asarray(x), np.asarray(y), type(x).__name__) for x, y in calls]}


def _judge_batch(d):
    starts = []
    for x, y, kind in d["calls"]:
        if kind != "ndarray":
            raise Fail(f"x_batch is a {kind}; return NumPy arrays")
        if x.shape != (6, 20) or y.shape != (6, 20):
            raise Fail(f"with seq_length 20 and batch_size 6 the batches have shapes {x.shape} and "
                       f"{y.shape}; both should be (batch_size, seq_length) = (6, 20)")
        if not np.array_equal(x[:, 1:], y[:, :-1]):
            raise Fail("y_batch should be x_batch shifted by one character")
        windows = x - x[:, :1]
        if not np.array_equal(windows, np.tile(np.arange(20), (6, 1))) or not np.array_equal(y, x + 1):
            raise Fail("each row should be a contiguous window of the text, and y the window one step on")
        if x.min() < 0 or y.max() > 299:
            raise Fail("a window runs past the end of the text; pick starts up to len - seq_length - 1")
        starts.append(tuple(x[:, 0].tolist()))
    if len(set(starts)) == 1:
        raise Fail("the windows always start at the same places; pick random starting points")


# q3 -- the model ---------------------------------------------------------------------------

def _extract_model(build_model):
    import keras
    import tensorflow as tf

    model = _returned(build_model, "build_model", 30, 8, 16)
    if not isinstance(model, keras.Model):
        raise Fail(f"build_model returns a {type(model).__name__}; return a Keras model")
    out = model(tf.zeros([2, 7], tf.int32))
    layers = [{"kind": type(l).__name__, "units": getattr(l, "units", None),
               "input_dim": getattr(l, "input_dim", None), "output_dim": getattr(l, "output_dim", None),
               "return_sequences": getattr(l, "return_sequences", None),
               "activation": getattr(getattr(l, "activation", None), "__name__", None)}
              for l in model.layers]
    return {"layers": layers, "out_shape": list(out.shape)}


def _judge_model(d):
    kinds = [l["kind"] for l in d["layers"]]
    if kinds != ["Embedding", "LSTM", "Dense"]:
        raise Fail(f"the layers are {' -> '.join(kinds) or 'none'}; the model is Embedding -> LSTM -> Dense")
    emb, lstm, dense = d["layers"]
    if emb["input_dim"] != 30 or emb["output_dim"] != 8:
        raise Fail("the Embedding should map vocab_size indices to embedding_dim numbers")
    if lstm["units"] != 16:
        raise Fail("the LSTM should have rnn_units units")
    if not lstm["return_sequences"]:
        raise Fail("the LSTM returns only its last output; set return_sequences=True to predict every step")
    if dense["units"] != 30:
        raise Fail("the Dense layer should give one score per character of the vocabulary")
    if dense["activation"] not in ("linear", None):
        raise Fail(f"the Dense layer applies {dense['activation']}; leave it linear (the loss takes logits)")
    if d["out_shape"] != [2, 7, 30]:
        raise Fail(f"for a batch of 2 sequences of 7 characters the output has shape {tuple(d['out_shape'])}; "
                   "expected (2, 7, vocab_size)")


# q4 -- the loss -----------------------------------------------------------------------------

def _extract_loss(compute_loss):
    import tensorflow as tf

    rng = np.random.default_rng(4)
    labels = rng.integers(0, 10, size=(2, 5))
    logits = (3 * rng.normal(size=(2, 5, 10))).astype("float32")
    out = _returned(compute_loss, "compute_loss", tf.constant(labels), tf.constant(logits))
    return {"labels": labels, "logits": logits, "out": np.asarray(out, dtype=float)}


def _judge_loss(d):
    z = d["logits"] - d["logits"].max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    per_step = -np.take_along_axis(logp, d["labels"][..., None], axis=-1)[..., 0]
    out = d["out"]
    if out.shape not in ((), (1,), per_step.shape):
        raise Fail(f"the loss has shape {out.shape}; return one value per step {per_step.shape} or their mean")
    value = float(out.mean())
    if not np.isclose(value, per_step.mean(), rtol=1e-4):
        raise Fail(f"the mean loss comes out as {value:.4f}, which is not the cross-entropy of these "
                   "logits; the model outputs logits, so tell the loss from_logits=True")


LAB = Lab("07", "Music generation with an LSTM", [
    Question("q1", "Vectorise the text", 1, ["vectorize_string"], _extract_vectorize, _judge_vectorize,
             hints=["Look each character up in char2idx.",
                    "A list comprehension over the string, turned into a NumPy array."]),
    Question("q2", "Training batches", 2, ["get_batch"], _extract_batch, _judge_batch,
             hints=["Draw batch_size random start indices with np.random.choice.",
                    "x is text[i : i + seq_length], y is text[i + 1 : i + seq_length + 1]."]),
    Question("q3", "The model", 2, ["build_model"], _extract_model, _judge_model,
             hints=["keras.Sequential([Embedding, LSTM, Dense]).",
                    "LSTM(rnn_units, return_sequences=True); Dense(vocab_size) with no activation."]),
    Question("q4", "The loss", 1, ["compute_loss"], _extract_loss, _judge_loss,
             hints=["keras.losses.sparse_categorical_crossentropy compares integer labels with scores.",
                    "The Dense layer has no softmax, so its outputs are logits."]),
])
