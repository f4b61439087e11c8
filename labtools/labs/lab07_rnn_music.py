"""Lab 07 - Music generation with an LSTM: questions, points, hints and checks.

Every check draws fresh random inputs (see :mod:`labtools.checking`): strings of the lab's
vocabulary, a shuffled text cut into batches, model sizes with their weights, labels and logits,
a small model's weights with a batch and a learning rate for one training step (which the judge
redoes in NumPy). So an answer must compute; a table of the checker's inputs or a typed-in result cannot pass.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from functools import lru_cache

import numpy as np

from ..checking import Fail, Lab, NotAttempted, Question, clean_message, expect_close
from ..judging import _ACTIVATIONS, call, expect_float_dtype, tensor_facts, to_array


@lru_cache(maxsize=1)
def corpus_vocabulary() -> list[str]:
    """The lab's vocabulary: the sorted characters of all tunes joined by blank lines."""
    from ..mit import load_training_data

    return sorted(set("\n\n".join(load_training_data())))


def _a(value) -> str:
    """'a list', 'an EagerTensor': the type of a value with its article."""
    name = type(value).__name__
    return f"{'an' if name[0] in 'AEIOUaeiou' or name == 'ndarray' else 'a'} {name}"


def _numbers(value, subject: str, asked: str) -> np.ndarray:
    """A NumPy array of numbers from the student (Fail for a list, a tensor, characters).
    ``subject`` is how the message starts: "x_batch is", "vectorize_string returns"."""
    if not isinstance(value, np.ndarray):
        raise Fail(f"{subject} {_a(value)}; the exercise asks for {asked}")
    if value.dtype.kind not in "biuf":
        raise Fail(f"{subject} an array of {value.dtype.name}, not of numbers")
    return value


# q1 -- vectorising text: three random strings of the vocabulary; the answer is their indices --------


def _draw_strings(rng) -> dict:
    n = len(corpus_vocabulary())
    return {
        "strings": [rng.integers(0, n, size=int(rng.integers(lo, hi))) for lo, hi in ((2, 9), (20, 61), (120, 241))]
    }


def _extract_vectorize(vectorize_string, given):
    vocab = corpus_vocabulary()
    results = []
    for indices in given["strings"]:
        out = call(vectorize_string, "vectorize_string", "".join(vocab[i] for i in indices))
        results.append(_numbers(out, "vectorize_string returns", "a NumPy array of indices").copy())
    return {"results": results}


def _judge_vectorize(d, inputs):
    for want, got in zip(inputs["strings"], d["results"], strict=True):
        if got.shape != want.shape:
            raise Fail(
                f"a string of {len(want)} characters should give {len(want)} numbers, one per "
                f"character, not an array of shape {got.shape}"
            )
        if got.dtype.kind not in "iu":
            raise Fail(f"the indices have dtype {got.dtype.name}; indices are integers")
        if not np.array_equal(got, want):
            raise Fail("some characters map to the wrong index; use char2idx, built from the sorted vocabulary")


# q2 -- training batches ------------------------------------------------------------------------
# The text is a random permutation of 0..n-1, so every value tells where it sits. A window
# starting at s needs s + seq_length + 1 <= n: the k = n - seq_length legal starts are 0..k-1.
# Each setting draws T = calls * batch_size >= k (ln k + 24) starts, so a uniform sampler misses
# some legal start with probability <= k (1 - 1/k)^T <= e^-24 < 4e-11 (less if a batch draws
# without replacement). A batch of b rows is all one window with probability k^-(b-1): at most
# 14^-10 per batch, < 2e-10 over all batches. Together a right answer fails with p < 1e-9.

_BATCH_SETTINGS = (
    ((18, 25), (3, 5), (11, 13)),  # (text length, seq_length, batch_size) ranges
    ((26, 33), (6, 9), (14, 17)),
)


def _draw_batches(rng) -> dict:
    settings = []
    for (n_lo, n_hi), (l_lo, l_hi), (b_lo, b_hi) in _BATCH_SETTINGS:
        n, seq_length, batch_size = (int(rng.integers(lo, hi)) for lo, hi in ((n_lo, n_hi), (l_lo, l_hi), (b_lo, b_hi)))
        k = n - seq_length
        settings.append(
            {
                "text": rng.permutation(n),
                "seq_length": seq_length,
                "batch_size": batch_size,
                "calls": math.ceil(k * (math.log(k) + 24) / batch_size),
            }
        )
    return {"settings": settings}


def _extract_batches(get_batch, given):
    runs = []
    for s in given["settings"]:
        batches, errors = [], []
        for _ in range(s["calls"]):
            try:
                out = call(get_batch, "get_batch", s["text"].copy(), s["seq_length"], s["batch_size"])
            except Fail as exc:
                errors.append(exc)
                continue
            if not (isinstance(out, tuple) and len(out) == 2):
                raise Fail(f"get_batch returns {_a(out)}; return a tuple of two arrays: (x_batch, y_batch)")
            batches.append(
                tuple(
                    _numbers(v, f"{name} is", "a NumPy array").copy()
                    for v, name in zip(out, ("x_batch", "y_batch"), strict=True)
                )
            )
        if errors and batches:
            raise Fail(
                "get_batch works on some calls and fails on others; does a window sometimes run "
                "past the end of the text?"
            )
        if errors:
            raise errors[0]
        runs.append(batches)
    return {"runs": runs}


def _window_starts(x, y, text, seq_length):
    """The start of every row of x (Fail unless x is a window of the text and y the next one)."""
    n = len(text)
    if not (np.all(x == np.round(x)) and x.min() >= 0 and x.max() < n):
        raise Fail("x_batch holds values that are not in the text; take the windows from `vectorized`")
    where = np.argsort(text)  # where[value] = its position in the text
    pos = where[x.astype(np.int64)]
    starts = pos[:, 0]
    if starts.max() + seq_length >= n:
        raise Fail("a window starts so late that its target runs past the end of the text")
    if not np.array_equal(pos, starts[:, None] + np.arange(seq_length)):
        raise Fail("a row of x_batch is not seq_length consecutive characters of the text")
    if np.array_equal(y, x):
        raise Fail("y_batch equals x_batch; it should be the same window one step further on")
    if not np.array_equal(y, text[pos + 1]):
        raise Fail(
            "y_batch should be x_batch shifted by one character: y_batch[:, t] is the character "
            "that follows x_batch[:, t]"
        )
    return starts


def _judge_batches(d, inputs):
    for s, batches in zip(inputs["settings"], d["runs"], strict=True):
        text, seq_length, batch_size = s["text"], s["seq_length"], s["batch_size"]
        if len(batches) != s["calls"]:
            raise Fail("get_batch was not run as often as the check asks")
        starts = []
        for x, y in batches:
            if x.shape != (batch_size, seq_length) or y.shape != (batch_size, seq_length):
                raise Fail(
                    f"with seq_length {seq_length} and batch_size {batch_size} the batches have shapes "
                    f"{x.shape} and {y.shape}; both should be (batch_size, seq_length)"
                )
            starts.append(_window_starts(x, y, text, seq_length))
        if any(len(set(row.tolist())) == 1 for row in starts):
            raise Fail("all rows of a batch are the same window; pick a random start for each row")
        if all(np.array_equal(np.sort(row), row.min() + np.arange(batch_size)) for row in starts):
            raise Fail("the windows of a batch always start next to each other; pick every start at random")
        seen = set(np.concatenate(starts).tolist())
        k, draws = len(text) - seq_length, len(starts) * batch_size
        if k - 1 not in seen:
            raise Fail(
                f"in {draws} random windows the last one of the text (ending on its last character) never "
                "came up; every window should be possible, the last one included"
            )
        if 0 not in seen:
            raise Fail(
                f"in {draws} random windows the first one of the text never came up; every window should "
                "be possible, the first one included"
            )
        if len(seen) < k:
            raise Fail(
                f"in {draws} random windows some possible windows never came up; give every start the same chance"
            )


# q3 -- the model: two sets of sizes, the judge's weights in every layer, outputs on random tokens --

_MODEL_SIZES = (
    ((20, 31), (4, 9), (9, 13)),  # (vocab_size, embedding_dim, rnn_units) ranges: all
    ((33, 46), (9, 13), (5, 9)),
)  # sizes differ, and vocab_size != 4 * rnn_units


def _draw_models(rng) -> dict:
    configs = []
    for ranges in _MODEL_SIZES:
        v, e, u = (int(rng.integers(lo, hi)) for lo, hi in ranges)
        shapes = {
            "embeddings": (v, e),
            "lstm_kernel": (e, 4 * u),
            "lstm_recurrent": (u, 4 * u),
            "lstm_bias": (4 * u,),
            "dense_kernel": (u, v),
            "dense_bias": (v,),
        }
        weights = {name: (0.5 * rng.standard_normal(shape)).astype("float32") for name, shape in shapes.items()}
        tokens = [
            rng.integers(0, v, size=shape).astype("int32")
            for shape in ((2, int(rng.integers(5, 9))), (3, int(rng.integers(2, 5))))
        ]
        tokens[0][0, 1] = 0  # index 0 is a real character ("\n"), not padding
        configs.append({"vocab_size": v, "embedding_dim": e, "rnn_units": u, "weights": weights, "tokens": tokens})
    return {"configs": configs}


def _layers_with_weights(model) -> list[dict]:
    """Kind and size of every layer that holds weights (nested models flattened, InputLayer ignored)."""
    import keras

    found = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found += _layers_with_weights(layer)
        elif layer.weights:
            cell = getattr(layer, "cell", None)  # keras.layers.RNN(LSTMCell(...)) is an LSTM too
            kind = type(cell).__name__.removesuffix("Cell") if cell is not None else type(layer).__name__
            source = cell if cell is not None else layer
            found.append(
                {
                    "kind": kind,
                    "units": getattr(source, "units", None),
                    "input_dim": getattr(layer, "input_dim", None),
                    "output_dim": getattr(layer, "output_dim", None),
                }
            )
    return found


@contextmanager
def _full_float32():
    """Matrix products in full float32 while the model runs: on recent GPUs TensorFlow otherwise
    rounds them to TF32 (10-bit mantissa), which moves the outputs by up to ~3e-3."""
    import tensorflow as tf

    was = tf.config.experimental.tensor_float_32_execution_enabled()
    tf.config.experimental.enable_tensor_float_32_execution(False)
    try:
        yield
    finally:
        tf.config.experimental.enable_tensor_float_32_execution(was)


def _extract_model(build_model, given):
    with _full_float32():
        return _run_models(build_model, given)


def _run_models(build_model, given):
    import keras
    import tensorflow as tf

    runs = []
    for c in given["configs"]:
        sizes = (c["vocab_size"], c["embedding_dim"], c["rnn_units"])
        model = call(build_model, "build_model", *sizes)
        if not isinstance(model, keras.Model):
            raise Fail(f"build_model returns {_a(model)}; return a Keras model")
        tokens = [tf.constant(t) for t in c["tokens"]]

        def run(t, model=model):
            try:
                out = model(t)
            except Exception as exc:  # noqa: BLE001 - whatever the student's model raises
                raise Fail(
                    f"the model cannot run on a batch of {t.shape[0]} sequences of {t.shape[1]} characters "
                    f"({clean_message(str(exc)) or type(exc).__name__})"
                ) from None
            return _numbers(np.asarray(out), "the model's output is", "one tensor of scores").astype("float64")

        run(tokens[0])  # builds the model
        shapes = [tuple(int(n) for n in w.shape) for w in model.trainable_weights]
        found = {"layers": _layers_with_weights(model), "shapes": shapes}
        by_shape = {tuple(w.shape): w for w in c["weights"].values()}
        if sorted(shapes) == sorted(by_shape):
            for w, shape in zip(model.trainable_weights, shapes, strict=True):
                w.assign(by_shape[shape])
            found["outputs"] = [run(t) for t in tokens] + [run(tokens[0])]
        runs.append(found)
    return {"runs": runs}


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _reference(w, tokens):
    """Embedding -> LSTM(return_sequences=True) -> Dense logits, in float64 (Keras's gate order i, f, c, o)."""
    w = {k: v.astype("float64") for k, v in w.items()}
    x = w["embeddings"][tokens]
    batch, steps, _ = x.shape
    units = w["lstm_recurrent"].shape[0]
    h, c, outputs = np.zeros((batch, units)), np.zeros((batch, units)), []
    for t in range(steps):
        z = x[:, t] @ w["lstm_kernel"] + h @ w["lstm_recurrent"] + w["lstm_bias"]
        i, f, g, o = np.split(z, 4, axis=-1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, axis=1) @ w["dense_kernel"] + w["dense_bias"]


def _diagnose_layers(layers, v, e, u):
    """Why a model's weights do not fit Embedding -> LSTM -> Dense of these sizes."""
    kinds = [layer["kind"] for layer in layers]
    if kinds != ["Embedding", "LSTM", "Dense"]:
        raise Fail(
            f"the layers with weights are {' -> '.join(kinds) or 'none'}; the model is Embedding -> LSTM -> Dense"
        )
    emb, lstm, dense = layers
    if (emb["input_dim"], emb["output_dim"]) != (v, e):
        raise Fail("the Embedding should map vocab_size indices to vectors of embedding_dim numbers")
    if lstm["units"] != u:
        raise Fail("the LSTM should have rnn_units units")
    if dense["units"] != v:
        raise Fail("the Dense layer should give one score per character of the vocabulary")
    raise Fail("the model's weights do not fit Embedding -> LSTM -> Dense (does a layer leave out its bias?)")


_CLOSE = {"rtol": 1e-3, "atol": 5e-3}  # float32 against float64; wide enough even for TF32 products


def _judge_model(d, inputs):
    for c, found in zip(inputs["configs"], d["runs"], strict=True):
        v, e, u = c["vocab_size"], c["embedding_dim"], c["rnn_units"]
        if "outputs" not in found:
            _diagnose_layers(found["layers"], v, e, u)
        *outputs, again = found["outputs"]
        for tokens, out in zip(c["tokens"], outputs, strict=True):
            batch, steps = tokens.shape
            if out.shape == (batch, v):
                raise Fail(
                    "the model gives one prediction per sequence, not one per step; set "
                    "return_sequences=True on the LSTM"
                )
            if out.shape != (batch, steps, v):
                raise Fail(
                    f"for a batch of {batch} sequences of {steps} characters the output has shape "
                    f"{out.shape}; expected (batch, steps, vocab_size)"
                )
        if not np.allclose(again, outputs[0], **_CLOSE):
            raise Fail(
                "the model gives different outputs for the same input; it should not keep state between "
                "calls (no stateful=True)"
            )
        for tokens, out in zip(c["tokens"], outputs, strict=True):
            want = _reference(c["weights"], tokens)
            if np.allclose(out, want, **_CLOSE):
                continue
            for name, act in _ACTIVATIONS.items():
                if name != "linear" and np.allclose(out, act(want), **_CLOSE):
                    raise Fail(
                        f"the last Dense layer applies {name}; leave it linear: the model outputs logits "
                        "and the loss applies the softmax"
                    )
            err = float(np.max(np.abs(out - want)))
            raise Fail(
                f"with the same weights the outputs differ from Embedding -> LSTM -> Dense (largest error "
                f"{err:.3g}); keep every layer's default options"
            )


# q4 -- the loss: random labels and logits of two shapes, value and gradient ---------------------


def _draw_losses(rng) -> dict:
    cases = []
    for (b_lo, b_hi), (t_lo, t_hi), (v_lo, v_hi) in (((2, 4), (5, 8), (5, 12)), ((5, 8), (2, 5), (13, 30))):
        b, t, v = (int(rng.integers(lo, hi)) for lo, hi in ((b_lo, b_hi), (t_lo, t_hi), (v_lo, v_hi)))
        cases.append(
            {
                "labels": rng.integers(0, v, size=(b, t)),
                "logits": (3 * rng.standard_normal((b, t, v))).astype("float32"),
            }
        )
    return {"cases": cases}


def _extract_loss(compute_loss, given):
    import tensorflow as tf

    @tf.function
    def training_step(labels, logits):  # how the training loop uses it
        with tf.GradientTape() as tape:
            tape.watch(logits)
            loss = compute_loss(labels, logits)
            mean = tf.reduce_mean(loss)
        return mean, tape.gradient(mean, logits)

    runs = []
    for case in given["cases"]:
        labels, logits = tf.constant(case["labels"]), tf.constant(case["logits"])
        out = call(compute_loss, "compute_loss", labels, logits)
        facts = tensor_facts(out, "compute_loss(labels, logits)", "compute it with TensorFlow (e.g. a Keras loss)")
        try:
            mean, grad = training_step(labels, logits)
        except Exception as exc:  # noqa: BLE001 - whatever the student's code raises
            raise Fail(
                f"compute_loss fails inside a tf.function, as in the training step ({type(exc).__name__}); "
                "use only TensorFlow operations, no .numpy() or Python numbers"
            ) from None
        runs.append(
            {
                "shape": facts["shape"],
                "dtype": facts["dtype"],
                "values": np.asarray(facts["values"], dtype="float64"),
                "mean": float(mean),
                "grad": None if grad is None else grad.numpy().astype("float64"),
            }
        )
    return {"runs": runs}


def _judge_loss(d, inputs):
    for case, run in zip(inputs["cases"], d["runs"], strict=True):
        labels, logits = case["labels"], case["logits"].astype("float64")
        z = logits - logits.max(axis=-1, keepdims=True)
        probs = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
        per_step = -np.log(np.take_along_axis(probs, labels[..., None], axis=-1)[..., 0])
        shape = tuple(run["shape"])
        if shape not in ((), (1,), per_step.shape, (per_step.size,)):
            raise Fail(
                f"for labels of shape {per_step.shape} the loss has shape {shape}; return one value per "
                "step (the labels' shape) or their mean (a single number)"
            )
        expect_float_dtype("the loss", run["dtype"])
        values = np.asarray(run["values"], dtype="float64")
        want = per_step.mean() if shape in ((), (1,)) else per_step.reshape(shape)
        if values.size == 1 and np.isclose(values.item(), per_step.sum(), rtol=1e-4):
            raise Fail("the loss adds up the steps; return their mean (or one value per step)")
        if not np.allclose(values.reshape(np.shape(want)), want, rtol=1e-4, atol=1e-5):
            err = float(np.max(np.abs(values.reshape(np.shape(want)) - want)))
            raise Fail(
                f"the loss values are off (largest error {err:.3g}); it is the cross-entropy of the labels "
                "and the softmax of the logits: the model outputs logits, so tell the loss from_logits=True"
            )
        if run["grad"] is None:
            raise Fail("no gradient flows from the loss back to the logits; compute it with TensorFlow operations")
        onehot = np.eye(logits.shape[-1])[labels]
        expect_close("the loss's gradient with respect to the logits", run["grad"], (probs - onehot) / labels.size)


# q5 -- one training step, redone in NumPy -------------------------------------------------------
# A small sequence model the judge can redo by hand: Embedding(V, d) -> Dense(V), logits at every
# step. One call of the student's train_step with SGD and with Adam (the lab's optimiser), and one
# through tf.function as the lab's loop runs it; the judge computes the loss, the gradients and the
# weights after the step from its own copy of the drawn inputs.

# name: (optimiser, run through tf.function as the loop does, learning-rate range)
_TRAIN_STEPS = {
    "SGD step": ("SGD", False, (0.3, 1.0)),
    "Adam step": ("Adam", False, (0.005, 0.02)),
    "Adam step compiled with tf.function": ("Adam", True, (0.005, 0.02)),
}
_WEIGHT_NAMES = ("the embedding table", "the Dense kernel", "the Dense bias")
_ADAM = {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}  # Keras' defaults


def _draw_train_steps(rng) -> dict:
    cases = {}
    for name, (_, _, (low, high)) in _TRAIN_STEPS.items():
        v, d = int(rng.integers(5, 10)), int(rng.integers(3, 7))
        b, t = int(rng.integers(2, 5)), int(rng.integers(3, 7))
        x = rng.integers(0, v, size=(b, t)).astype("int32")
        x[-1, -1] = x[0, 0]  # a character used twice: its gradients add up in the embedding table
        cases[name] = {
            "x": x,
            "y": rng.integers(0, v, size=(b, t)).astype("int32"),
            "lr": float(rng.uniform(low, high)),
            "embeddings": (0.8 * rng.standard_normal((v, d))).astype("float32"),
            "kernel": (0.8 * rng.standard_normal((d, v))).astype("float32"),
            "bias": (rng.choice([-1.0, 1.0], v) * rng.uniform(0.2, 1.0, v)).astype("float32"),
        }
    return cases


def _compiled_failure(exc: Exception) -> Fail:
    lines = [line for line in str(exc).splitlines() if line.strip()]  # TensorFlow puts the cause last
    cause = clean_message(lines[-1]) if lines else type(exc).__name__
    return Fail(
        f"train_step fails when the training loop compiles it with tf.function ({cause or type(exc).__name__}); "
        "keep to TensorFlow operations inside (no .numpy() or float())"
    )


def _unknown_variable(exc: Exception) -> bool:
    return "unknown variable" in str(exc).lower()


_OTHER_VARIABLES = (
    "train_step updates variables the optimizer it was given was not built for; use the model and the "
    "optimizer passed to train_step, not the notebook's"
)


def _one_train_step(train_step, case, kind, compiled):
    """A fresh model with the judge's weights, one call of the student's step; the weights after it."""
    import keras
    import tensorflow as tf

    v, d = case["embeddings"].shape
    embedding, dense = keras.layers.Embedding(v, d), keras.layers.Dense(v)
    model = keras.Sequential([keras.Input((None,), dtype="int32"), embedding, dense])
    embedding.embeddings.assign(case["embeddings"])
    dense.kernel.assign(case["kernel"])
    dense.bias.assign(case["bias"])
    optimizer = getattr(keras.optimizers, kind)(learning_rate=case["lr"])
    optimizer.build(model.trainable_variables)  # as the lab's loop does before compiling the step
    x, y = tf.constant(case["x"]), tf.constant(case["y"])
    none = "returns None; return the batch's loss"
    if not compiled:
        try:
            loss = call(train_step, "train_step", model, optimizer, x, y, none=none)
        except Fail as exc:
            if _unknown_variable(exc):
                raise Fail(_OTHER_VARIABLES) from None
            raise
    else:
        try:
            loss = tf.function(lambda x, y: train_step(model, optimizer, x, y))(x, y)
        except (Fail, NotAttempted):
            raise
        except Exception as exc:  # noqa: BLE001 - whatever the student's code raises
            raise (Fail(_OTHER_VARIABLES) if _unknown_variable(exc) else _compiled_failure(exc)) from None
        if loss is None:
            raise Fail(f"train_step {none}")
    return {
        "loss": to_array(loss, "the value train_step returns"),
        "weights": [np.asarray(w.numpy()) for w in (embedding.embeddings, dense.kernel, dense.bias)],
    }


def _extract_train_step(train_step, given):
    with _full_float32():
        return {
            name: _one_train_step(train_step, case, _TRAIN_STEPS[name][0], _TRAIN_STEPS[name][1])
            for name, case in given.items()
        }


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _picked(p, y):
    """The probability each step gives its label."""
    return np.take_along_axis(p, y[..., None], axis=-1)[..., 0]


def _step_reference(case, weights):
    """Logits, per-step losses and the gradients of their mean for Embedding -> Dense, in float64;
    and, for each row of the embedding table, the sum of the squares of its uses' gradients."""
    E, K, c = weights
    x, y = case["x"].astype(int), case["y"].astype(int)
    h = E[x]  # (batch, steps, d)
    z = h @ K + c  # logits, (batch, steps, vocab)
    p = _softmax(z)
    per_step = -np.log(_picked(p, y))
    dz = p.copy()
    np.put_along_axis(dz, y[..., None], _picked(p, y)[..., None] - 1.0, axis=-1)
    dz /= y.size  # the gradient of the mean
    dh = dz @ K.T
    dE, squares = np.zeros_like(E), np.zeros_like(E)
    np.add.at(dE, x, dh)  # each row used gets the gradients of all its uses
    np.add.at(squares, x, dh * dh)
    return z, per_step, [dE, np.einsum("btd,btv->dv", h, dz), dz.sum(axis=(0, 1))], squares


def _adam(w, g, g2, lr):
    """Keras' first Adam step: m = (1 - b1) g, v = (1 - b2) g2 (g2 = g² for a dense gradient)."""
    b1, b2, eps = _ADAM["beta_1"], _ADAM["beta_2"], _ADAM["epsilon"]
    alpha = lr * np.sqrt(1 - b2) / (1 - b1)
    return w - alpha * (1 - b1) * g / (np.sqrt((1 - b2) * g2) + eps)


def _optimiser_step(kind, lr, weights, grads):
    if kind == "Adam":
        return [_adam(w, g, g * g, lr) for w, g in zip(weights, grads, strict=True)]
    return [w - lr * g for w, g in zip(weights, grads, strict=True)]


def _steps_after(kind, lr, weights, grads, squares):
    """The weights after one step, each way Keras may take it. The embedding table's gradient comes
    as tf.IndexedSlices, one slice per use of a row; Keras' Adam squares each slice before adding
    them up (v from the sum of squares, not the square of the sum), unless the step made the
    gradient dense. SGD is linear, so both ways agree."""
    dense = _optimiser_step(kind, lr, weights, grads)
    if kind != "Adam":
        return [dense]
    return [dense, [_adam(weights[0], grads[0], squares, lr), *dense[1:]]]


def _near(a, b, tol=1e-4):
    return bool(np.isclose(a, b, rtol=tol, atol=1e-6))


def _judge_returned_loss(returned, case, before, afters, name):
    z, per_step, _, _ = _step_reference(case, before)
    y = case["y"].astype(int)
    n = y.size
    if returned.size != 1:
        raise Fail(
            f"train_step returns {returned.size} values for a batch of {y.shape[0]} sequences of {y.shape[1]} "
            "characters; return the mean loss of the batch, one number"
        )
    got = float(returned.ravel()[0])
    if _near(got, per_step.mean()):
        return
    if any(_near(got, _step_reference(case, after)[1].mean()) for after in afters):
        raise Fail("train_step returns the loss after the update; return the loss computed before it")
    if _near(got, per_step.sum()):
        raise Fail(
            f"the returned loss adds up the losses of all {n} characters; train on their mean (check compute_loss too)"
        )
    if _near(got, per_step[:, -1].mean()) or _near(got, per_step[:, -1].sum()):
        raise Fail(
            "the returned loss is that of the last character of each sequence only; the model predicts the "
            "next character at every step, and each step counts"
        )
    as_probabilities = np.clip(z, 1e-7, 1 - 1e-7)
    as_probabilities /= as_probabilities.sum(-1, keepdims=True)
    if _near(got, -np.log(_picked(as_probabilities, y)).mean()):
        raise Fail(
            "the returned loss treats the model's outputs as probabilities, but they are logits (the last "
            "layer has no softmax); check compute_loss (Exercise 4)"
        )
    if _near(got, -np.log(_picked(_softmax(_softmax(z)), y)).mean()):
        raise Fail(
            "the returned loss applies the softmax twice to the model's logits; check compute_loss "
            "(Exercise 4) and what train_step hands it"
        )
    raise Fail(
        f"the returned loss is not the mean loss of the batch under the model given to train_step, "
        f"before the update (the {name}); check that compute_loss passes (Exercise 4)"
    )


def _moved_like(moved, candidates) -> bool:
    """The weights after the step are one of the candidate lists of weights."""
    return any(
        all(np.allclose(m, w, rtol=1e-3, atol=1e-4) for m, w in zip(moved, want, strict=True)) for want in candidates
    )


def _judge_train_step(d, inputs):
    for name, case in inputs.items():
        kind = _TRAIN_STEPS[name][0]
        got, lr = d[name], case["lr"]
        before = [case[k].astype("float64") for k in ("embeddings", "kernel", "bias")]
        _, _, grads, squares = _step_reference(case, before)
        afters = _steps_after(kind, lr, before, grads, squares)
        _judge_returned_loss(np.asarray(got["loss"], dtype="float64"), case, before, afters, name)
        moved = [np.asarray(w, dtype="float64") for w in got["weights"]]
        if len(moved) != len(before) or any(m.shape != w.shape for m, w in zip(moved, before, strict=True)):
            raise Fail("the model's weights changed shape; update them with the optimizer")
        if all(np.allclose(m, w) for m, w in zip(moved, before, strict=True)):
            raise Fail(f"the weights did not change (the {name}); apply the gradients with the optimizer")
        for m, w, a, what in zip(moved, before, afters[0], _WEIGHT_NAMES, strict=True):
            if np.allclose(m, w) and not np.allclose(a, w):
                raise Fail(
                    f"only some of the weights changed: {what} did not (the {name}); take the gradients of "
                    "all the model's trainable variables and apply them all"
                )

        if _moved_like(moved, _steps_after(kind, -lr, before, grads, squares)):
            raise Fail("the weights moved uphill; the optimizer subtracts the gradient for you")
        if kind != "SGD" and _moved_like(moved, [_optimiser_step("SGD", lr, before, grads)]):
            raise Fail(
                "the weights moved by learning rate x gradient, not as the optimizer moves them; "
                "let the optimizer do the update"
            )
        n = case["y"].size
        if kind == "SGD" and _moved_like(moved, [_optimiser_step(kind, lr * n, before, grads)]):
            raise Fail(
                f"the weights moved as if by the gradient of the sum of the {n} characters' losses; take the "
                "gradient of their mean, one number"
            )
        for i, (m, what) in enumerate(zip(moved, _WEIGHT_NAMES, strict=True)):
            if not any(np.allclose(m, after[i], rtol=1e-3, atol=1e-4) for after in afters):
                expect_close(f"{what} after one step (the {name})", m, afters[0][i], rtol=1e-3, atol=1e-4)


# q6 -- the generation loop ----------------------------------------------------------------------

_GEN_SIZES = (8, 16)  # embedding_dim, rnn_units of the judge's small models
_TEMPERATURES = (1.0, 2.5)  # for the sampling test: the distribution must follow the temperature
_SAMPLES = 200  # characters drawn per temperature, in calls of _SAMPLE_LENGTH (a loop that reruns
_SAMPLE_LENGTH = 10  # the whole text each step costs length squared: 300 at once took 4 minutes)
_GREEDY_T = 1e-4  # a temperature so low that sampling picks the largest logit


def _draw_generation(rng) -> dict:
    """Model A: random weights, for greedy runs from two start strings (the state must be carried
    and the start string primed). Model B: a Dense layer with no kernel and a bias that favours
    three characters, so every step draws from the same known distribution."""
    v = len(corpus_vocabulary())
    e, u = _GEN_SIZES
    shapes = {
        "embeddings": (v, e),
        "lstm_kernel": (e, 4 * u),
        "lstm_recurrent": (u, 4 * u),
        "lstm_bias": (4 * u,),
        "dense_kernel": (u, v),
        "dense_bias": (v,),
    }
    a = {name: (0.8 * rng.standard_normal(shape)).astype("float32") for name, shape in shapes.items()}
    b = {name: np.zeros(shape, "float32") for name, shape in shapes.items()}
    favourites = rng.choice(v, size=3, replace=False)
    b["dense_bias"][:] = -12.0
    b["dense_bias"][favourites] = [3.0, 1.5, 0.0]
    starts = ["".join(np.asarray(corpus_vocabulary())[rng.integers(0, v, size=int(n))]) for n in rng.integers(2, 6, 2)]
    return {"model_a": a, "model_b": b, "starts": starts, "favourites": favourites.astype("int64"), "length": 20}


def _generation_model(weights):
    import keras

    v, e = weights["embeddings"].shape
    u = weights["lstm_recurrent"].shape[0]
    model = keras.Sequential(
        [keras.layers.Embedding(v, e), keras.layers.LSTM(u, return_sequences=True), keras.layers.Dense(v)]
    )
    model.build((1, None))
    model.layers[0].set_weights([weights["embeddings"]])
    model.layers[1].set_weights([weights["lstm_kernel"], weights["lstm_recurrent"], weights["lstm_bias"]])
    model.layers[2].set_weights([weights["dense_kernel"], weights["dense_bias"]])
    return model


def _generated(out, start: str, length: int) -> str:
    """The generated characters of generate_text's result (with or without the start string)."""
    if not isinstance(out, str):
        raise Fail(f"generate_text returns {_a(out)}; return the text, a string")
    if len(out) == len(start) + length and out.startswith(start):
        return out[len(start) :]
    if len(out) == length:
        return out
    raise Fail(
        f"generate_text(model, {start!r}, {length}) returns {len(out)} characters; return the start string "
        f"followed by {length} generated characters"
    )


def _extract_generation(generate_text, given):
    with _full_float32():
        a, b = _generation_model(given["model_a"]), _generation_model(given["model_b"])
        greedy = []
        for start in given["starts"]:
            name = f"generate_text(model, {start!r}, {given['length']}, temperature={_GREEDY_T})"
            out = call(generate_text, name, a, start, given["length"], _GREEDY_T)
            greedy.append(_generated(out, start, given["length"]))
        samples = []
        for t in _TEMPERATURES:
            name = f"generate_text(model, 'X', {_SAMPLE_LENGTH}, temperature={t})"
            parts = [call(generate_text, name, b, "X", _SAMPLE_LENGTH, t) for _ in range(_SAMPLES // _SAMPLE_LENGTH)]
            samples.append("".join(_generated(out, "X", _SAMPLE_LENGTH) for out in parts))
    return {"greedy": greedy, "samples": samples}


def _judge_generation(d, inputs):
    vocab = corpus_vocabulary()
    index = {c: i for i, c in enumerate(vocab)}
    for start, text in zip(inputs["starts"], d["greedy"], strict=True):
        tokens = [index[c] for c in start]
        for k, char in enumerate(text):
            logits = _reference(inputs["model_a"], np.array([tokens]))[0, -1]
            best = int(np.argmax(logits))
            got = index.get(char)
            if got is None:
                raise Fail(
                    f"generate_text produced {char!r}, which is not in the vocabulary; map indices with idx2char"
                )
            if got != best and logits[got] < logits.max() - 1e-3:  # a near tie may go either way
                raise Fail(
                    f"at a temperature near 0 the text should follow the most likely character each time; from "
                    f"{start!r} it goes astray at character {k + 1}: prime the state with the whole start string, "
                    "then feed each sampled character back with the state"
                )
            tokens.append(got)
    logits = inputs["model_b"]["dense_bias"].astype("float64")
    for t, text in zip(_TEMPERATURES, d["samples"], strict=True):
        z = logits / t
        probs = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        counts = np.bincount([index[c] for c in text if c in index], minlength=len(vocab))
        for fav in inputs["favourites"]:
            p, seen = probs[fav], counts[fav] / len(text)
            if abs(seen - p) > 4.5 * math.sqrt(p * (1 - p) / len(text)) + 1e-9:
                raise Fail(
                    f"at temperature {t} a character with probability {p:.2f} came {seen:.2f} of the time; "
                    "sample from the logits divided by the temperature (tf.random.categorical), do not take the largest"
                )


LAB = Lab(
    "07",
    "Music generation with an LSTM",
    [
        Question(
            "q1",
            "Vectorise the text",
            1,
            ["vectorize_string"],
            _extract_vectorize,
            _judge_vectorize,
            draw=_draw_strings,
            hints=[
                "Look each character up in char2idx.",
                "A list comprehension over the string, turned into a NumPy array.",
            ],
        ),
        Question(
            "q2",
            "Training batches",
            2,
            ["get_batch"],
            _extract_batches,
            _judge_batches,
            draw=_draw_batches,
            hints=[
                (
                    "Draw batch_size random start indices, e.g. with np.random.choice; every window that fits "
                    "should be possible, the last one included."
                ),
                (
                    "The input of a window starting at i is seq_length characters from i; the target is the "
                    "same length, one character further on."
                ),
            ],
        ),
        Question(
            "q3",
            "The model",
            2,
            ["build_model"],
            _extract_model,
            _judge_model,
            draw=_draw_models,
            hints=[
                "keras.Sequential([Embedding, LSTM, Dense]).",
                "LSTM(rnn_units, return_sequences=True); Dense(vocab_size) with no activation.",
            ],
        ),
        Question(
            "q4",
            "The loss",
            1,
            ["compute_loss"],
            _extract_loss,
            _judge_loss,
            draw=_draw_losses,
            hints=[
                "keras.losses.sparse_categorical_crossentropy compares integer labels with scores.",
                "The Dense layer has no softmax, so its outputs are logits.",
            ],
        ),
        Question(
            "q5",
            "The training step",
            2,
            ["train_step"],
            _extract_train_step,
            _judge_train_step,
            draw=_draw_train_steps,
            hints=[
                "Under a tf.GradientTape: logits = model(x, training=True), then the mean of compute_loss(y, logits).",
                "tape.gradient(loss, model.trainable_variables), then optimizer.apply_gradients(zip(grads, ...)).",
                "Return the loss you computed before the update.",
            ],
        ),
        Question(
            "q6",
            "The generation loop",
            2,
            ["generate_text"],
            _extract_generation,
            _judge_generation,
            draw=_draw_generation,
            hints=[
                "Prime: feed every start character through the embedding and lstm.cell, carrying the state.",
                "Each step: logits = dense(h) / temperature, draw with tf.random.categorical, then feed that "
                "character back in with the state.",
                "Return start_string + the generated characters (idx2char turns an index back into a character).",
            ],
        ),
    ],
)
