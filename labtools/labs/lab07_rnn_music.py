"""Lab 07 - Music generation with an LSTM: questions, points, hints and judges (the kernel side
of its checks is :mod:`labtools.kernel.lab07_rnn_music`).

Every check draws fresh random inputs (see :mod:`labtools.checking`): strings of the lab's
vocabulary, a shuffled text cut into batches, model sizes with their weights, labels and logits,
a small model's weights with a batch and a learning rate for one training step (which the judge
redoes in NumPy). So an answer must compute; a table of the checker's inputs or a typed-in result cannot pass.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from ..checking import Fail, Lab, Question
from ..judging import expect_close, expect_float_dtype
from ..kernel.lab07_rnn_music import EXERCISES as KERNEL
from ..kernel.lab07_rnn_music import SAMPLE_LENGTH, SAMPLE_START, SAMPLING_TEMPERATURES
from ..reference import ACTIVATIONS, FIRST_STEPS, adam_first_step, lstm_sequence, lstm_step, softmax
from ..training_step import StepCase, judge_returned_loss, judge_weights, same_loss
from ..written import Criterion, Written


@lru_cache(maxsize=1)
def corpus_vocabulary() -> list[str]:
    """The lab's vocabulary: the sorted characters of all tunes joined by blank lines."""
    from ..mit import load_training_data

    return sorted(set("\n\n".join(load_training_data())))


def _lstm_weight_shapes(vocab_size: int, embedding_dim: int, rnn_units: int) -> dict[str, tuple[int, ...]]:
    """The weights of Embedding -> LSTM -> Dense by name, with their shapes."""
    return {
        "embeddings": (vocab_size, embedding_dim),
        "lstm_kernel": (embedding_dim, 4 * rnn_units),
        "lstm_recurrent": (rnn_units, 4 * rnn_units),
        "lstm_bias": (4 * rnn_units,),
        "dense_kernel": (rnn_units, vocab_size),
        "dense_bias": (vocab_size,),
    }


def _reference_logits(weights, tokens):
    """Embedding -> LSTM(return_sequences=True) -> Dense logits, in float64."""
    weights = {name: value.astype("float64") for name, value in weights.items()}
    hidden = lstm_sequence(
        weights["embeddings"][tokens], weights["lstm_kernel"], weights["lstm_recurrent"], weights["lstm_bias"]
    )
    return hidden @ weights["dense_kernel"] + weights["dense_bias"]


# q1 -- vectorising text: three random strings of the vocabulary; the answer is their indices --------
# Spaces and newlines are characters of the tunes like any other. Every string holds both inside it
# (two spaces in a row among them), and two of them at each end: two spaces at one end and two
# newlines at the other, the other way round in the next string. So skipping, stripping (any end, any
# whitespace) or splitting changes the result, and differs from dropping one end character.

_STRING_LENGTHS = ((10, 15), (20, 61), (120, 241))  # [low, high) of each string's length
_WHITESPACE = (" ", "\n")


def _draw_strings(rng) -> dict:
    """The strings as indices (what the answer should give) and as text (what the kernel hands in)."""
    vocab = corpus_vocabulary()
    space, newline = (vocab.index(char) for char in _WHITESPACE)
    strings = []
    for k, (low, high) in enumerate(_STRING_LENGTHS):
        indices = rng.integers(0, len(vocab), size=int(rng.integers(low, high)))
        pair = int(rng.integers(3, len(indices) - 5))  # two spaces in a row, then a space and a newline after them
        inside = pair + 2 + rng.choice(len(indices) - pair - 4, size=2, replace=False)
        indices[[pair, pair + 1, *inside]] = [space, space, space, newline]
        ends = [space, space, newline, newline] if k % 2 == 0 else [newline, newline, space, space]
        indices[[0, 1, -2, -1]] = ends
        strings.append(indices)
    return {"strings": strings, "texts": ["".join(vocab[i] for i in indices) for indices in strings]}


def _without_whitespace(indices) -> np.ndarray:
    vocab = corpus_vocabulary()
    whitespace = [vocab.index(char) for char in _WHITESPACE]
    return indices[~np.isin(indices, whitespace)]


def _judge_vectorize(d, inputs):
    for want, got in zip(inputs["strings"], d["results"], strict=True):
        one_end_dropped = got.shape == (want.size - 1,) and (
            np.array_equal(got, want[1:]) or np.array_equal(got, want[:-1])
        )
        if (
            got.ndim == 1
            and got.size < want.size
            and not one_end_dropped
            and np.array_equal(_without_whitespace(got), _without_whitespace(want))
        ):
            raise Fail(
                "some spaces or newlines are missing from the result; they are characters of the text too, each "
                "with its own index"
            )
        if got.shape != want.shape:
            raise Fail(
                f"a string of {len(want)} characters should give {len(want)} numbers, one per "
                f"character, not an array of shape {got.shape}"
            )
        if got.dtype.kind not in "iu":
            raise Fail(f"the indices have dtype {got.dtype.name}; indices are integers")
        if not np.array_equal(got, want):
            raise Fail("some characters map to the wrong index; use char2idx, built from the sorted vocabulary")


Q1 = Question(
    KERNEL["q1"],
    title="Vectorise the text",
    points=1,
    judge=_judge_vectorize,
    draw=_draw_strings,
    hints=[
        "Look each character up in char2idx; spaces and newlines are characters too.",
        "One index per character, in order, as a NumPy array of integers (see np.array in NumPy's documentation).",
    ],
)


# q2 -- training batches ------------------------------------------------------------------------
# The text is a random permutation of 0..n-1, so every value tells where it sits. A window
# starting at s needs s + seq_length + 1 <= n: the k = n - seq_length legal starts are 0..k-1.
# Each setting draws T = calls * batch_size >= k (ln k + 24) starts, so a uniform sampler misses
# some legal start with probability <= k (1 - 1/k)^T <= e^-24 < 4e-11 (less if a batch draws
# without replacement). A batch of b rows is all one window with probability k^-(b-1): at most
# 14^-10 per batch, < 2e-10 over all batches. Together a right answer fails with p < 1e-9.


class _BatchRanges(NamedTuple):
    """[low, high) ranges of one setting of the batches check."""

    text_length: tuple[int, int]
    seq_length: tuple[int, int]
    batch_size: tuple[int, int]


_BATCH_SETTINGS = (
    _BatchRanges(text_length=(18, 25), seq_length=(3, 5), batch_size=(11, 13)),
    _BatchRanges(text_length=(26, 33), seq_length=(6, 9), batch_size=(14, 17)),
)


def _draw_batches(rng) -> dict:
    settings = []
    for ranges in _BATCH_SETTINGS:
        text_length = int(rng.integers(*ranges.text_length))
        seq_length = int(rng.integers(*ranges.seq_length))
        batch_size = int(rng.integers(*ranges.batch_size))
        n_windows = text_length - seq_length
        settings.append(
            {
                "text": rng.permutation(text_length),
                "seq_length": seq_length,
                "batch_size": batch_size,
                "calls": math.ceil(n_windows * (math.log(n_windows) + 24) / batch_size),
            }
        )
    return {"settings": settings}


def _window_starts(x_batch, y_batch, text, seq_length):
    """The start of every row of x_batch (Fail unless it is a window of the text and y_batch the next one)."""
    text_length = len(text)
    if not (np.all(x_batch == np.round(x_batch)) and x_batch.min() >= 0 and x_batch.max() < text_length):
        raise Fail("x_batch holds values that are not in the text; take the windows from `vectorized`")
    where = np.argsort(text)  # where[value] = its position in the text
    positions = where[x_batch.astype(np.int64)]
    starts = positions[:, 0]
    if starts.max() + seq_length >= text_length:
        raise Fail("a window starts so late that its target runs past the end of the text")
    if not np.array_equal(positions, starts[:, None] + np.arange(seq_length)):
        raise Fail("a row of x_batch is not seq_length consecutive characters of the text")
    if np.array_equal(y_batch, x_batch):
        raise Fail("y_batch equals x_batch; it should be the same window one step further on")
    if not np.array_equal(y_batch, text[positions + 1]):
        raise Fail(
            "y_batch should be x_batch shifted by one character: y_batch[:, t] is the character "
            "that follows x_batch[:, t]"
        )
    return starts


def _judge_batches(d, inputs):
    for setting, batches in zip(inputs["settings"], d["runs"], strict=True):
        text, seq_length, batch_size = setting["text"], setting["seq_length"], setting["batch_size"]
        if len(batches) != setting["calls"]:
            raise Fail("get_batch was not run as often as the check asks")
        starts = []
        for x_batch, y_batch in batches:
            if x_batch.shape != (batch_size, seq_length) or y_batch.shape != (batch_size, seq_length):
                raise Fail(
                    f"with seq_length {seq_length} and batch_size {batch_size} the batches have shapes "
                    f"{x_batch.shape} and {y_batch.shape}; both should be (batch_size, seq_length)"
                )
            starts.append(_window_starts(x_batch, y_batch, text, seq_length))
        if any(len(set(row.tolist())) == 1 for row in starts):
            raise Fail("all rows of a batch are the same window; pick a random start for each row")
        if all(np.array_equal(np.sort(row), row.min() + np.arange(batch_size)) for row in starts):
            raise Fail("the windows of a batch always start next to each other; pick every start at random")
        seen = set(np.concatenate(starts).tolist())
        n_windows, draws = len(text) - seq_length, len(starts) * batch_size
        if n_windows - 1 not in seen:
            raise Fail(
                f"in {draws} random windows the last one of the text (ending on its last character) never "
                "came up; every window should be possible, the last one included"
            )
        if 0 not in seen:
            raise Fail(
                f"in {draws} random windows the first one of the text never came up; every window should "
                "be possible, the first one included"
            )
        if len(seen) < n_windows:
            raise Fail(
                f"in {draws} random windows some possible windows never came up; give every start the same chance"
            )


Q2 = Question(
    KERNEL["q2"],
    title="Training batches",
    points=2,
    judge=_judge_batches,
    draw=_draw_batches,
    hints=[
        (
            "Draw batch_size random start indices, e.g. with np.random.choice; every window that fits "
            "should be possible, the last one included."
        ),
        (
            "A window starting at i: the input is seq_length characters from i, the target the same "
            "length one character later (see slicing in NumPy's documentation)."
        ),
    ],
)


# q3 -- the model: two sets of sizes, the judge's weights in every layer, outputs on random tokens --


class _ModelSizes(NamedTuple):
    """[low, high) ranges of the sizes of one model the check builds."""

    vocab_size: tuple[int, int]
    embedding_dim: tuple[int, int]
    rnn_units: tuple[int, int]


_MODEL_SIZES = (  # all sizes differ, and vocab_size != 4 * rnn_units
    _ModelSizes(vocab_size=(20, 31), embedding_dim=(4, 9), rnn_units=(9, 13)),
    _ModelSizes(vocab_size=(33, 46), embedding_dim=(9, 13), rnn_units=(5, 9)),
)


def _draw_models(rng) -> dict:
    configs = []
    for ranges in _MODEL_SIZES:
        vocab_size = int(rng.integers(*ranges.vocab_size))
        embedding_dim = int(rng.integers(*ranges.embedding_dim))
        rnn_units = int(rng.integers(*ranges.rnn_units))
        shapes = _lstm_weight_shapes(vocab_size, embedding_dim, rnn_units)
        weights = {name: (0.5 * rng.standard_normal(shape)).astype("float32") for name, shape in shapes.items()}
        tokens = [
            rng.integers(0, vocab_size, size=shape).astype("int32")
            for shape in ((2, int(rng.integers(5, 9))), (3, int(rng.integers(2, 5))))
        ]
        tokens[0][0, 1] = 0  # index 0 is a real character ("\n"), not padding
        configs.append(
            {
                "vocab_size": vocab_size,
                "embedding_dim": embedding_dim,
                "rnn_units": rnn_units,
                "weights": weights,
                "tokens": tokens,
            }
        )
    return {"configs": configs}


def _diagnose_layers(layers, vocab_size, embedding_dim, rnn_units):
    """Why a model's weights do not fit Embedding -> LSTM -> Dense of these sizes."""
    kinds = [layer["kind"] for layer in layers]
    if kinds != ["Embedding", "LSTM", "Dense"]:
        raise Fail(
            f"the layers with weights are {' -> '.join(kinds) or 'none'}; the model is Embedding -> LSTM -> Dense"
        )
    embedding, lstm, dense = layers
    if (embedding["input_dim"], embedding["output_dim"]) != (vocab_size, embedding_dim):
        raise Fail("the Embedding should map vocab_size indices to vectors of embedding_dim numbers")
    if lstm["units"] != rnn_units:
        raise Fail("the LSTM should have rnn_units units")
    if dense["units"] != vocab_size:
        raise Fail("the Dense layer should give one score per character of the vocabulary")
    raise Fail("the model's weights do not fit Embedding -> LSTM -> Dense (does a layer leave out its bias?)")


_CLOSE = {"rtol": 1e-3, "atol": 5e-3}  # float32 against float64; wide enough even for TF32 products


def _judge_model(d, inputs):
    for config, found in zip(inputs["configs"], d["runs"], strict=True):
        vocab_size = config["vocab_size"]
        if "outputs" not in found:
            _diagnose_layers(found["layers"], vocab_size, config["embedding_dim"], config["rnn_units"])
        *outputs, again = found["outputs"]
        for tokens, out in zip(config["tokens"], outputs, strict=True):
            batch, steps = tokens.shape
            if out.shape == (batch, vocab_size):
                raise Fail(
                    "the model gives one prediction per sequence, not one per step; set "
                    "return_sequences=True on the LSTM"
                )
            if out.shape != (batch, steps, vocab_size):
                raise Fail(
                    f"for a batch of {batch} sequences of {steps} characters the output has shape "
                    f"{out.shape}; expected (batch, steps, vocab_size)"
                )
        if not np.allclose(again, outputs[0], **_CLOSE):
            raise Fail(
                "the model gives different outputs for the same input; it should not keep state between "
                "calls (no stateful=True)"
            )
        for tokens, out in zip(config["tokens"], outputs, strict=True):
            want = _reference_logits(config["weights"], tokens)
            if np.allclose(out, want, **_CLOSE):
                continue
            for name, activation in ACTIVATIONS.items():
                if name != "linear" and np.allclose(out, activation(want), **_CLOSE):
                    raise Fail(
                        f"the last Dense layer applies {name}; leave it linear: the model outputs logits "
                        "and the loss applies the softmax"
                    )
            err = float(np.max(np.abs(out - want)))
            raise Fail(
                f"with the same weights the outputs differ from Embedding -> LSTM -> Dense (largest error "
                f"{err:.3g}); keep every layer's default options"
            )


Q3 = Question(
    KERNEL["q3"],
    title="The model",
    points=2,
    judge=_judge_model,
    draw=_draw_models,
    hints=[
        "Three layers in a row, as section 4 lists them: an Embedding, an LSTM and a Dense layer.",
        (
            "The LSTM should give an output at every step, not only the last (see keras.layers.LSTM's "
            "documentation), and the last layer gives logits: no activation."
        ),
    ],
)


# q4 -- the loss: random labels and logits of two shapes, value and gradient ---------------------


class _LossShape(NamedTuple):
    """[low, high) ranges of the shape of one case of labels and logits."""

    batch: tuple[int, int]
    steps: tuple[int, int]
    vocab_size: tuple[int, int]


_LOSS_SHAPES = (
    _LossShape(batch=(2, 4), steps=(5, 8), vocab_size=(5, 12)),
    _LossShape(batch=(5, 8), steps=(2, 5), vocab_size=(13, 30)),
)


def _draw_losses(rng) -> dict:
    cases = []
    for ranges in _LOSS_SHAPES:
        batch = int(rng.integers(*ranges.batch))
        steps = int(rng.integers(*ranges.steps))
        vocab_size = int(rng.integers(*ranges.vocab_size))
        cases.append(
            {
                "labels": rng.integers(0, vocab_size, size=(batch, steps)),
                "logits": (3 * rng.standard_normal((batch, steps, vocab_size))).astype("float32"),
            }
        )
    return {"cases": cases}


def _as_probabilities(logits):
    """What Keras' cross-entropies make of logits when not told that they are logits: the sparse one
    clips them into (0, 1) and takes the softmax of their log; the one-hot one scales them to add up
    to 1, then clips them."""
    epsilon = 1e-7
    clipped = np.clip(logits, epsilon, 1 - epsilon)
    with np.errstate(all="ignore"):
        scaled = np.clip(logits / logits.sum(-1, keepdims=True), epsilon, 1 - epsilon)
    return [clipped / clipped.sum(-1, keepdims=True), scaled]


def _judge_loss(d, inputs):
    for case, run in zip(inputs["cases"], d["runs"], strict=True):
        labels, logits = case["labels"], case["logits"].astype("float64")
        probs = softmax(logits)
        per_step = -np.log(_picked(probs, labels))
        shape = tuple(run["shape"])
        if shape not in ((), (1,), per_step.shape, (per_step.size,)):
            raise Fail(
                f"for labels of shape {per_step.shape} the loss has shape {shape}; return one value per "
                "step (the labels' shape) or their mean (a single number)"
            )
        expect_float_dtype("the loss", run["dtype"])
        values = np.asarray(run["values"], dtype="float64").reshape(shape)
        single = shape in ((), (1,))

        def gives(steps, values=values, single=single):
            """The answer's values are these per-step losses (or their mean)."""
            want = steps.mean() if single else steps.reshape(values.shape)
            return bool(np.allclose(values, want, rtol=1e-4, atol=1e-5))

        if gives(per_step):
            if run["grad"] is None:
                raise Fail("no gradient flows from the loss back to the logits; compute it with TensorFlow operations")
            onehot = np.eye(logits.shape[-1])[labels]
            expect_close("the loss's gradient with respect to the logits", run["grad"], (probs - onehot) / labels.size)
            continue
        if single:
            for total, what in (
                (per_step.sum(), "adds up the losses of all the steps"),
                (per_step.sum(axis=1).mean(), "adds up the steps of each sequence"),
                (per_step.sum(axis=0).mean(), "adds up the sequences at each step"),
            ):
                if np.isclose(values.item(), total, rtol=1e-4):
                    raise Fail(f"the loss {what}; return their mean (or one value per step)")
        if any(gives(-np.log(_picked(wrong, labels))) for wrong in _as_probabilities(logits)):
            raise Fail(
                "the loss values are off: the loss takes the logits for probabilities, as if the model ended in a "
                "softmax (see its arguments)"
            )
        if gives(-np.log(_picked(softmax(probs), labels))):
            raise Fail("the loss values are off: the logits go through the softmax twice")
        if not np.all(np.isfinite(values)):
            raise Fail(
                "some loss values are NaN or infinite; logits can be any number of either sign, and the loss "
                "needs their softmax"
            )
        err = float(np.max(np.abs(values - (per_step.mean() if single else per_step.reshape(shape)))))
        raise Fail(
            f"the loss values are off (largest error {err:.3g}); the loss of a step is minus the log of the "
            "probability the softmax of its logits gives its label"
        )


Q4 = Question(
    KERNEL["q4"],
    title="The loss",
    points=1,
    judge=_judge_loss,
    draw=_draw_losses,
    hints=[
        "The labels are integer indices, not one-hot vectors: Keras has a cross-entropy for each kind.",
        (
            "The Dense layer has no softmax, so its outputs are logits; keras.losses' documentation says how a "
            "loss is told so."
        ),
    ],
)


# q5 -- one training step, redone in NumPy -------------------------------------------------------
# A small sequence model the judge can redo by hand: Embedding(V, d) -> Dense(V), logits at every
# step. One call of the student's train_step with SGD and with Adam (the lab's optimiser), and one
# through tf.function as the lab's loop runs it; the judge computes the loss, the gradients and the
# weights after the step from its own copy of the drawn inputs.


class _TrainStep(NamedTuple):
    """One call of the student's train_step: the Keras optimiser it gets, whether it runs through
    tf.function as the lab's loop does, and the [low, high) range of its learning rate."""

    optimizer: str
    compiled: bool
    learning_rates: tuple[float, float]


_TRAIN_STEPS = {
    "SGD step": _TrainStep(optimizer="SGD", compiled=False, learning_rates=(0.3, 1.0)),
    "Adam step": _TrainStep(optimizer="Adam", compiled=False, learning_rates=(0.005, 0.02)),
    "compiled Adam step": _TrainStep(optimizer="Adam", compiled=True, learning_rates=(0.005, 0.02)),
}
_WEIGHT_NAMES = ("the embedding table", "the Dense kernel", "the Dense bias")


def _draw_train_steps(rng) -> dict:
    """Each case carries its optimiser and whether the step is compiled, so the kernel side knows
    how to run it."""
    cases = {}
    for name, step in _TRAIN_STEPS.items():
        low, high = step.learning_rates
        vocab_size, embedding_dim = int(rng.integers(5, 10)), int(rng.integers(3, 7))
        batch, steps = int(rng.integers(2, 5)), int(rng.integers(3, 7))
        x = rng.integers(0, vocab_size, size=(batch, steps)).astype("int32")
        x[-1, -1] = x[0, 0]  # a character used twice: its gradients add up in the embedding table
        cases[name] = {
            "x": x,
            "y": rng.integers(0, vocab_size, size=(batch, steps)).astype("int32"),
            "lr": float(rng.uniform(low, high)),
            "embeddings": (0.8 * rng.standard_normal((vocab_size, embedding_dim))).astype("float32"),
            "kernel": (0.8 * rng.standard_normal((embedding_dim, vocab_size))).astype("float32"),
            "bias": (rng.choice([-1.0, 1.0], vocab_size) * rng.uniform(0.2, 1.0, vocab_size)).astype("float32"),
            "optimizer": step.optimizer,
            "compiled": step.compiled,
        }
    return cases


def _picked(probs, labels):
    """The probability each step gives its label."""
    return np.take_along_axis(probs, labels[..., None], axis=-1)[..., 0]


def _step_reference(case, weights):
    """Logits, per-step losses and the gradients of their mean for Embedding -> Dense, in float64;
    and, for each row of the embedding table, the sum of the squares of its uses' gradients."""
    embeddings, kernel, bias = weights
    x, y = case["x"].astype(int), case["y"].astype(int)
    embedded = embeddings[x]  # (batch, steps, embedding_dim)
    logits = embedded @ kernel + bias  # (batch, steps, vocab)
    probs = softmax(logits)
    per_step = -np.log(_picked(probs, y))
    d_logits = probs.copy()
    np.put_along_axis(d_logits, y[..., None], _picked(probs, y)[..., None] - 1.0, axis=-1)
    d_logits /= y.size  # the gradient of the mean
    d_embedded = d_logits @ kernel.T
    d_embeddings, squares = np.zeros_like(embeddings), np.zeros_like(embeddings)
    np.add.at(d_embeddings, x, d_embedded)  # each row used gets the gradients of all its uses
    np.add.at(squares, x, d_embedded * d_embedded)
    grads = [d_embeddings, np.einsum("btd,btv->dv", embedded, d_logits), d_logits.sum(axis=(0, 1))]
    return logits, per_step, grads, squares


def _steps_after(kind, lr, weights, grads, squares):
    """The weights after one step, each way Keras may take it. The embedding table's gradient comes
    as tf.IndexedSlices, one slice per use of a row; Keras' Adam squares each slice before adding
    them up (v from the sum of squares, not the square of the sum), unless the step made the
    gradient dense. SGD is linear, so both ways agree."""
    dense = [FIRST_STEPS[kind](weight, grad, lr) for weight, grad in zip(weights, grads, strict=True)]
    if kind != "Adam":
        return [dense]
    return [dense, [adam_first_step(weights[0], grads[0], lr, grad_squared=squares), *dense[1:]]]


def _diagnose_loss(got, case, logits, per_step):
    """The hint for each known wrong loss of a sequence batch (the right one and the loss after
    the update are the shared judge's)."""
    labels = case["y"].astype(int)
    if same_loss(got, per_step.sum()):
        raise Fail(
            f"the returned loss adds up the losses of all {labels.size} characters; train on their mean "
            "(check compute_loss too)"
        )
    if same_loss(got, per_step[:, -1].mean()) or same_loss(got, per_step[:, -1].sum()):
        raise Fail(
            "the returned loss is that of the last character of each sequence only; the model predicts the "
            "next character at every step, and each step counts"
        )
    as_probabilities = np.clip(logits, 1e-7, 1 - 1e-7)
    as_probabilities /= as_probabilities.sum(-1, keepdims=True)
    if same_loss(got, -np.log(_picked(as_probabilities, labels)).mean()):
        raise Fail(
            "the returned loss treats the model's outputs as probabilities, but they are logits (the last "
            "layer has no softmax); check compute_loss (Exercise 4)"
        )
    if same_loss(got, -np.log(_picked(softmax(softmax(logits)), labels)).mean()):
        raise Fail(
            "the returned loss applies the softmax twice to the model's logits; check compute_loss "
            "(Exercise 4) and what train_step hands it"
        )


def _judge_train_step(d, inputs):
    for name, case in inputs.items():
        kind = _TRAIN_STEPS[name].optimizer
        got = d[name]
        before = [case[key].astype("float64") for key in ("embeddings", "kernel", "bias")]
        logits, per_step, grads, squares = _step_reference(case, before)
        step = StepCase(
            name=f"the {name}",
            optimizer=kind,
            lr=case["lr"],
            before=before,
            grads=grads,
            weight_names=_WEIGHT_NAMES,
            count=case["y"].size,
            after=lambda lr, before=before, grads=grads, squares=squares, kind=kind: _steps_after(
                kind, lr, before, grads, squares
            ),
        )
        batch, steps = case["y"].shape
        judge_returned_loss(
            got["loss"],
            step,
            per_step.mean(),
            [_step_reference(case, after)[1].mean() for after in step.after(step.lr)],
            f"a batch of {batch} sequences of {steps} characters",
            diagnose=lambda value, case=case, logits=logits, per_step=per_step: _diagnose_loss(
                value, case, logits, per_step
            ),
            advice="check that compute_loss passes (Exercise 4)",
        )
        judge_weights(got["weights"], step)


Q5 = Question(
    KERNEL["q5"],
    title="The training step",
    points=2,
    judge=_judge_train_step,
    draw=_draw_train_steps,
    hints=[
        "Under a tf.GradientTape: logits = model(x, training=True), then the mean of compute_loss(y, logits).",
        "tape.gradient(loss, model.trainable_variables), then optimizer.apply_gradients(zip(grads, ...)).",
        (
            "Return the loss computed before the update; TensorFlow's guide 'Writing a training loop from "
            "scratch' walks through such a step."
        ),
    ],
)


# q6 -- the generation loop ----------------------------------------------------------------------
# Model A, random weights, runs greedily (a temperature near 0) from two start strings; the judge
# follows the characters the answer produced and fails at the first one that is clearly not the most
# likely after the start string and the characters before it. A random LSTM can forget its past so
# fast that a loop which loses the state follows the same path as the right one, so the draw runs the
# right loop and each known mistake (_LOOP_MISTAKES) in NumPy and redraws the model until every
# mistake leaves the path within _GEN_HORIZON characters by at least _GEN_MARGIN in logits, with no
# near tie (< _GEN_TIE) on the way that float32 could break the other way, and no two mistakes give
# the same text (so that the hint names the mistake). About 1 draw in 4 qualifies.
# Model B: a Dense layer with no kernel and a bias that favours three characters, so that every step
# draws from the same known distribution, whatever the state: its samples judge the temperature.

_GEN_EMBEDDING_DIM, _GEN_RNN_UNITS, _GEN_LENGTH = 8, 16, 20  # the judge's small models and greedy runs
_GEN_HORIZON = 10  # every known mistake leaves the most likely path within this many characters ...
_GEN_MARGIN = 0.3  # ... by at least this much in logits
_GEN_TIE = 0.005  # closer logits are a tie that float32 may break either way: no run the draw relies on has one
_GEN_TOLERANCE = 1e-3  # a character this close to the largest logit counts as the most likely
_GEN_TRIES = 400  # models drawn at most (each qualifies with p ~ 1/4)

# the known ways to lose the state, each with what its hint says
_LOOP_MISTAKES = {
    "state not carried": "each step starts again from the state after the start string, so the state is not carried",
    "state reset every step": "the state goes back to zeros at every step, so the LSTM forgets the text so far",
    "state reset after priming": "the state goes back to zeros after the start string, so the priming is lost",
    "no priming": "the start string never goes through the LSTM, so the state is not primed",
    "last start character only": "only the last character of the start string primes the state",
    "first start character skipped": "the first character of the start string does not prime the state",
    "last start character twice": "the last character of the start string goes through the LSTM twice",
}


def _lstm_step(weights, token, state):
    """One step of the LSTM on one token, in float64."""
    embedded = weights["embeddings"][token]
    return lstm_step(embedded, state, weights["lstm_kernel"], weights["lstm_recurrent"], weights["lstm_bias"])


def _float64(weights) -> dict:
    return {name: np.asarray(value, dtype="float64") for name, value in weights.items()}


def _greedy_run(weights, start, length, loop="right"):
    """The tokens a greedy generation loop gives from the tokens ``start``: the right loop, or one of
    _LOOP_MISTAKES; and at each step the gap between the two largest logits."""
    zero = (np.zeros(_GEN_RNN_UNITS), np.zeros(_GEN_RNN_UNITS))
    primed = {
        "no priming": [],
        "last start character only": start[-1:],
        "first start character skipped": start[1:],
        "last start character twice": [*start, start[-1]],
    }.get(loop, start)
    state = zero
    for token in primed:
        state = _lstm_step(weights, token, state)
    hidden = state[0]
    if loop == "state reset after priming":
        state = zero
    after_priming = state
    tokens, gaps = [], []
    for _ in range(length):
        logits = hidden @ weights["dense_kernel"] + weights["dense_bias"]
        second, first = np.sort(logits)[-2:]
        tokens.append(int(np.argmax(logits)))
        gaps.append(first - second)
        state = _lstm_step(
            weights, tokens[-1], {"state not carried": after_priming, "state reset every step": zero}.get(loop, state)
        )
        hidden = state[0]
    return tokens, np.array(gaps)


def _leaves_path(weights, start, tokens):
    """(position, by how much in logits) of the first token that is clearly not the most likely after
    the start and the tokens before it; None if every token is."""
    state = (np.zeros(_GEN_RNN_UNITS), np.zeros(_GEN_RNN_UNITS))
    for token in start:
        state = _lstm_step(weights, token, state)
    for position, token in enumerate(tokens):
        logits = state[0] @ weights["dense_kernel"] + weights["dense_bias"]
        if logits[token] < logits.max() - _GEN_TOLERANCE:
            return position, float(logits.max() - logits[token])
        state = _lstm_step(weights, token, state)
    return None


def _steady(tokens, gaps) -> list[int]:
    """The tokens of a run up to its first near tie (where float32 may go the other way)."""
    ties = np.flatnonzero(gaps < _GEN_TIE)
    return tokens[: ties[0]] if len(ties) else tokens


def _mistake_runs(weights, starts, length) -> dict[str, list[list[int]]]:
    """Each known mistake's greedy tokens from each start, up to its first near tie."""
    return {loop: [_steady(*_greedy_run(weights, start, length, loop)) for start in starts] for loop in _LOOP_MISTAKES}


def _same_start(a, b) -> bool:
    common = min(len(a), len(b))
    return a[:common] == b[:common]


def _separates(weights, starts, length) -> bool:
    """Every known mistake leaves the most likely path early and clearly, the right loop never comes
    near a tie, and no two mistakes give the same tokens from every start."""
    for start in starts:
        if _greedy_run(weights, start, length)[1].min() < _GEN_TIE:
            return False
        for loop in _LOOP_MISTAKES:
            tokens, gaps = _greedy_run(weights, start, length, loop)
            left = _leaves_path(weights, start, tokens)
            if left is None or left[0] >= _GEN_HORIZON or left[1] < _GEN_MARGIN or gaps[: left[0] + 1].min() < _GEN_TIE:
                return False
    runs = _mistake_runs(weights, starts, length)
    names = list(runs)
    return not any(
        all(_same_start(a, b) for a, b in zip(runs[first], runs[second], strict=True))
        for i, first in enumerate(names)
        for second in names[i + 1 :]
    )


def _draw_generation(rng) -> dict:
    """Model A: random weights (a wide Dense layer, a forget gate that leans open) that tell every
    known loop mistake from the right loop; its start strings. Model B: see above."""
    vocab = corpus_vocabulary()
    vocab_size = len(vocab)
    shapes = _lstm_weight_shapes(vocab_size, _GEN_EMBEDDING_DIM, _GEN_RNN_UNITS)
    for _ in range(_GEN_TRIES):
        model_a = {name: rng.standard_normal(shape).astype("float32") for name, shape in shapes.items()}
        model_a["dense_kernel"] *= 3
        model_a["lstm_bias"][_GEN_RNN_UNITS : 2 * _GEN_RNN_UNITS] += 1
        starts = [rng.integers(0, vocab_size, size=int(length)).tolist() for length in rng.integers(2, 6, 2)]
        if _separates(_float64(model_a), starts, _GEN_LENGTH):
            break
    else:  # pragma: no cover - each try qualifies with p ~ 1/4
        raise RuntimeError("no generation model told the loop mistakes apart")
    model_b = {name: np.zeros(shape, "float32") for name, shape in shapes.items()}
    favourites = rng.choice(vocab_size, size=3, replace=False)
    model_b["dense_bias"][:] = -12.0
    model_b["dense_bias"][favourites] = [3.0, 1.5, 0.0]
    return {
        "model_a": model_a,
        "model_b": model_b,
        "starts": ["".join(vocab[i] for i in start) for start in starts],
        "favourites": favourites.astype("int64"),
        "length": _GEN_LENGTH,
    }


def _generated(text: str, start: str, length: int) -> str:
    """The generated characters of generate_text's result, which is the start string and then them."""
    if len(text) == len(start) + length and text.startswith(start):
        return text[len(start) :]
    if len(text) == length and not text.startswith(start):
        raise Fail(
            f"generate_text gives only the {length} generated characters; step 3 returns the start string "
            "followed by them"
        )
    if len(text) == len(start) + length:
        raise Fail(f"the text does not begin with the start string {start!r}; step 3 returns it first")
    chars = "character" if len(text) == 1 else "characters"
    raise Fail(
        f"from {start!r} with length {length} generate_text gives {len(text)} {chars}; return the start "
        f"string followed by {length} generated characters"
    )


def _judge_samples(texts, inputs, index):
    """Model B's samples at each temperature: how often each favourite character came."""
    bias = inputs["model_b"]["dense_bias"].astype("float64")
    favourites = inputs["favourites"]
    seen = []
    for text in texts:
        counts = np.bincount([index[char] for char in text], minlength=len(bias))
        seen.append(counts[favourites] / len(text))

    def fits(distribution) -> bool:
        """The samples came as often as ``distribution(temperature)`` says at every temperature."""
        for temperature, text, share in zip(SAMPLING_TEMPERATURES, texts, seen, strict=True):
            probs = distribution(temperature)[favourites]
            if np.any(np.abs(share - probs) > 4.5 * np.sqrt(probs * (1 - probs) / len(text)) + 1e-9):
                return False
        return True

    if fits(lambda t: softmax(bias / t)):
        return
    if all(share[0] == 1 for share in seen):
        raise Fail(
            "at temperatures 1 and 2.5 generate_text always gives the most likely character; do not take the "
            "largest: draw at random, as the probabilities say"
        )
    if fits(lambda t: softmax(bias)):
        raise Fail(
            "the temperature changes nothing: at 2.5 the characters come as often as at 1 (step 2 says what "
            "the temperature does)"
        )
    if fits(lambda t: softmax(bias * t)):
        raise Fail(
            "a higher temperature makes the text more predictable here, not more adventurous: the logits are "
            "multiplied by the temperature, not divided"
        )
    if fits(lambda t: softmax(softmax(bias / t))):
        raise Fail(
            "the characters come almost evenly: the draw gets probabilities where it expects logits (it "
            "applies the softmax itself)"
        )
    for temperature, text, share in zip(SAMPLING_TEMPERATURES, texts, seen, strict=True):
        probs = softmax(bias / temperature)[favourites]
        off = np.abs(share - probs) > 4.5 * np.sqrt(probs * (1 - probs) / len(text)) + 1e-9
        if np.any(off):
            k = int(np.argmax(off))
            raise Fail(
                f"at temperature {temperature} a character with probability {probs[k]:.2f} came "
                f"{share[k]:.2f} of the time; draw from the logits divided by the temperature"
            )


def _judge_greedy(texts, inputs, index):
    """Model A's greedy runs: every character the most likely one; a known mistake named."""
    weights = _float64(inputs["model_a"])
    starts = [[index[char] for char in start] for start in inputs["starts"]]
    runs = [[index[char] for char in text] for text in texts]
    left = [_leaves_path(weights, start, tokens) for start, tokens in zip(starts, runs, strict=True)]
    if all(where is None for where in left):
        return
    mistakes = _mistake_runs(weights, starts, inputs["length"])
    named = [loop for loop, made in mistakes.items() if all(map(_same_start, made, runs))]
    k = next(i for i, where in enumerate(left) if where is not None)
    cause = (
        _LOOP_MISTAKES[named[0]]
        if named
        else "each character should be the most likely one after the start string and those before it"
    )
    raise Fail(f"from {inputs['starts'][k]!r} the text goes astray at character {left[k][0] + 1}: {cause}")


def _judge_generation(d, inputs):
    index = {char: i for i, char in enumerate(corpus_vocabulary())}
    length = inputs["length"]
    greedy = [_generated(text, start, length) for start, text in zip(inputs["starts"], d["greedy"], strict=True)]
    samples = ["".join(_generated(text, SAMPLE_START, SAMPLE_LENGTH) for text in texts) for texts in d["samples"]]
    for char in "".join(greedy + samples):
        if char not in index:
            raise Fail(f"generate_text produced {char!r}, which is not in the vocabulary; map indices with idx2char")
    _judge_samples(samples, inputs, index)
    _judge_greedy(greedy, inputs, index)


Q6 = Question(
    KERNEL["q6"],
    title="The generation loop",
    points=2,
    judge=_judge_generation,
    draw=_draw_generation,
    hints=[
        "Prime first: every character of the start string goes through the LSTM, one step at a time.",
        (
            "The temperature divides the logits before the draw; tf.random.categorical draws from logits "
            "(its documentation gives the shapes it takes and returns)."
        ),
        (
            "The state [h, c] is the LSTM's memory of the text: carry it through every step (see "
            "keras.layers.LSTMCell), and return the start string with the new text."
        ),
    ],
)


Q7 = Written(
    KERNEL["q7"],
    title="Why sampling carries the state",
    points=2,
    rubric=[
        Criterion("the LSTM's state summarises every character generated so far", 1),
        Criterion(
            "feeding one character at a time with the carried state keeps that context (and is cheap); resetting it "
            "would forget the tune so far",
            1,
        ),
    ],
)

LAB = Lab("07", [Q1, Q2, Q3, Q4, Q5, Q6, Q7])
