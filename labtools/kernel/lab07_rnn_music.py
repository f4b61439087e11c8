"""Lab 07 - Music generation with an LSTM: the kernel side of its checks (see :mod:`labtools.kernel`).

Each exercise runs the student's function on the inputs the judge drew (strings of the lab's
vocabulary, a shuffled text, model sizes with their weights, labels and logits, a small model
with a batch and an optimiser, small generation models) and returns what came out.
"""

from __future__ import annotations

import functools
import re
from contextlib import contextmanager

import numpy as np

from .calling import call, describe, tensor_facts, to_array
from .errors import Fail, NotAttempted, clean_message
from .exercise import Exercise, exercises, written

MESSAGE_LIMIT = 159  # characters of a hint: one line, under 160

# TensorFlow's words in an error a student's code raised, and what they mean in the student's terms
_PLAIN_WORDS = (
    (re.compile(r"Binding inputs to tf\.function failed due to `([^`]*)`.*"), r"\1"),
    (
        re.compile(r"tf\.function only supports singleton tf\.Variables.*"),
        "it creates a new variable every time it runs, which a compiled function cannot do",
    ),
    (re.compile(r"Cannot convert a symbolic tf\.Tensor.*"), "a NumPy function was given a tensor of the graph"),
    (re.compile(r"'(?:Symbolic|Eager)Tensor' object"), "a tensor"),
    (re.compile(r"\b(?:Symbolic|Eager)Tensor\b"), "tensor"),
    (re.compile(r"'?IndexedSlices'?"), "a sparse gradient"),
    (re.compile(r"""\blayer ["'][\w.]+["']"""), "a layer"),
    (re.compile(r"\s*See https?://\S*"), ""),
    (re.compile(r"\b(?:tensorflow\.python|keras\.src)(?:\.\w+)*\.(\w+)"), r"\1"),
)


def plain(message: str) -> str:
    """A hint without TensorFlow's internal words, on one line under 160 characters."""
    text = " ".join(str(message).split())
    for pattern, words in _PLAIN_WORDS:
        text = pattern.sub(words, text)
    if text.count("(") > text.count(")"):  # a quoted error cut short inside its parentheses
        text += ")"
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 3].rstrip() + "..."


def _plain_fails(extract):
    """Every Fail of ``extract`` in plain words (see :func:`plain`)."""

    @functools.wraps(extract)
    def wrapped(*answers, given):
        try:
            return extract(*answers, given=given)
        except Fail as exc:
            raise Fail(plain(str(exc))) from None

    return wrapped


def _graph_cause(exc: Exception) -> str:
    """Why code that runs eagerly failed inside a tf.function, in the student's terms."""
    text = " ".join(str(exc).split())
    if "numpy" in text and isinstance(exc, AttributeError):
        return "it calls .numpy(), and in a graph a tensor has no value yet"
    if "symbolic" in text.lower() and "numpy" in text.lower():
        return "it hands a tensor to NumPy, and in a graph a tensor has no value yet"
    if "singleton tf.Variables" in text:
        return "it creates a new variable (an optimizer, a model, a tf.Variable) on every call"
    if type(exc).__name__ == "OperatorNotAllowedInGraphError":
        return "it uses a tensor as a Python bool or loops over it"
    lines = [line for line in str(exc).splitlines() if line.strip()]  # TensorFlow puts the cause last
    return _quote(exc, 80, lines[-1] if lines else "")


def _what(value) -> str:
    """What a value is, in the student's words: "a list", "a tf.Tensor", "a NumPy array"."""
    return describe(value).replace("a Python list", "a list")


def _quote(exc: Exception, room: int, line: str | None = None) -> str:
    """``Type: first line`` of an error (or ``Type: line``), at most ``room`` characters."""
    text = f"{type(exc).__name__}: {clean_message(str(exc) if line is None else line)}".rstrip(": ")
    return text if len(text) <= room else text[: room - 3].rstrip() + "..."


def _numbers(value, subject: str, asked: str) -> np.ndarray:
    """A NumPy array of numbers from the student (Fail for a list, a tensor, characters).
    ``subject`` is how the message starts: "x_batch is", "vectorize_string returns"."""
    if not isinstance(value, np.ndarray):
        raise Fail(f"{subject} {_what(value)}; the exercise asks for {asked}")
    if value.dtype.kind not in "biuf":
        raise Fail(f"{subject} an array of {value.dtype.name}, not of numbers")
    return value


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


# q1 -- vectorising text: the judge's strings, as text -------------------------------------------


def _extract_vectorize(vectorize_string, given):
    results = []
    for text in given["texts"]:
        out = call(vectorize_string, "vectorize_string", text)
        results.append(_numbers(out, "vectorize_string returns", "a NumPy array of indices").copy())
    return {"results": results}


# q2 -- training batches: get_batch called many times on each shuffled text ---------------------


def _extract_batches(get_batch, given):
    runs = []
    for setting in given["settings"]:
        batches, errors = [], []
        for _ in range(setting["calls"]):
            try:
                out = call(get_batch, "get_batch", setting["text"].copy(), setting["seq_length"], setting["batch_size"])
            except Fail as exc:
                errors.append(exc)
                continue
            if not (isinstance(out, tuple) and len(out) == 2):
                raise Fail(f"get_batch returns {_what(out)}; return a tuple of two arrays: (x_batch, y_batch)")
            batches.append(
                tuple(
                    _numbers(value, f"{name} is", "a NumPy array").copy()
                    for value, name in zip(out, ("x_batch", "y_batch"), strict=True)
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


# q3 -- the model: built for each set of sizes, run with the judge's weights ----------------------


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


def _all_layers(model) -> list:
    """Every layer of a model, nested models' layers included."""
    import keras

    found = []
    for layer in getattr(model, "layers", []):
        found += _all_layers(layer) if isinstance(layer, keras.Model) else [layer]
    return found


def _extract_model(build_model, given):
    with _full_float32():
        return _run_models(build_model, given)


def _run_models(build_model, given):
    import keras
    import tensorflow as tf

    runs = []
    for config in given["configs"]:
        sizes = (config["vocab_size"], config["embedding_dim"], config["rnn_units"])
        model = call(build_model, "build_model", *sizes)
        if not isinstance(model, keras.Model):
            raise Fail(f"build_model returns {_what(model)}; return a Keras model")
        tokens = [tf.constant(batch) for batch in config["tokens"]]

        def run(batch, model=model):
            try:
                out = model(batch)
            except Exception as exc:  # noqa: BLE001 - whatever the student's model raises
                where = f"the model cannot run on a batch of {batch.shape[0]} sequences of {batch.shape[1]} characters"
                if any(getattr(layer, "stateful", False) for layer in _all_layers(model)):
                    raise Fail(
                        f"{where}: a stateful LSTM keeps one batch size; this model should take any batch"
                    ) from None
                raise Fail(f"{where} ({_quote(exc, 90)})") from None
            if isinstance(out, (list, tuple, dict)):
                raise Fail(f"the model gives {len(out)} outputs; it should give one tensor of scores")
            return _numbers(np.asarray(out), "the model's output is", "one tensor of scores").astype("float64")

        run(tokens[0])  # builds the model
        shapes = [tuple(int(n) for n in weight.shape) for weight in model.trainable_weights]
        found = {"layers": _layers_with_weights(model), "shapes": shapes}
        by_shape = {tuple(weight.shape): weight for weight in config["weights"].values()}
        if sorted(shapes) == sorted(by_shape):
            for weight, shape in zip(model.trainable_weights, shapes, strict=True):
                weight.assign(by_shape[shape])
            found["outputs"] = [run(batch) for batch in tokens] + [run(tokens[0])]
        runs.append(found)
    return {"runs": runs}


# q4 -- the loss: value, and gradient as the training loop takes it --------------------------------


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
                f"compute_loss fails inside a tf.function, as the training step runs it: {_graph_cause(exc)}"
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


# q5 -- one training step: each case names its optimiser and whether the loop compiles the step ---


def _compiled_failure(exc: Exception) -> Fail:
    return Fail(f"train_step fails when the training loop compiles it with tf.function: {_graph_cause(exc)}")


def _unknown_variable(exc: Exception) -> bool:
    return "unknown variable" in str(exc).lower()


_OTHER_VARIABLES = (
    "train_step updates variables the optimizer it was given was not built for; use the model and the "
    "optimizer passed to train_step, not the notebook's"
)


def _one_train_step(train_step, case):
    """A fresh model with the judge's weights, one call of the student's step (with the case's
    optimiser, through tf.function if the case says so); the loss and the weights after it."""
    import keras
    import tensorflow as tf

    vocab_size, embedding_dim = case["embeddings"].shape
    embedding, dense = keras.layers.Embedding(vocab_size, embedding_dim), keras.layers.Dense(vocab_size)
    model = keras.Sequential([keras.Input((None,), dtype="int32"), embedding, dense])
    embedding.embeddings.assign(case["embeddings"])
    dense.kernel.assign(case["kernel"])
    dense.bias.assign(case["bias"])
    optimizer = getattr(keras.optimizers, case["optimizer"])(learning_rate=case["lr"])
    optimizer.build(model.trainable_variables)  # as the lab's loop does before compiling the step
    x, y = tf.constant(case["x"]), tf.constant(case["y"])
    none = "returns None; return the batch's loss"
    if not case["compiled"]:
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
        "weights": [np.asarray(weight.numpy()) for weight in (embedding.embeddings, dense.kernel, dense.bias)],
    }


def _extract_train_step(train_step, given):
    with _full_float32():
        return {name: _one_train_step(train_step, case) for name, case in given.items()}


# q6 -- the generation loop: greedy runs on model A, samples from model B -------------------------

SAMPLING_TEMPERATURES = (1.0, 2.5)  # the judge checks the samples' distribution at each of them
SAMPLE_START = "X:"  # the start string of the samples (any: model B forgets it)
_SAMPLES = 200  # characters drawn per temperature, in calls of SAMPLE_LENGTH (a loop that reruns
SAMPLE_LENGTH = 10  # the whole text each step costs length squared: 300 at once took 4 minutes)
_GREEDY_TEMPERATURE = 1e-4  # a temperature so low that sampling picks the largest logit


def _generation_model(weights):
    """Embedding -> LSTM(return_sequences=True) -> Dense with the given weights, for a batch of one."""
    import keras

    vocab_size, embedding_dim = weights["embeddings"].shape
    rnn_units = weights["lstm_recurrent"].shape[0]
    model = keras.Sequential(
        [
            keras.layers.Embedding(vocab_size, embedding_dim),
            keras.layers.LSTM(rnn_units, return_sequences=True),
            keras.layers.Dense(vocab_size),
        ]
    )
    model.build((1, None))
    model.layers[0].set_weights([weights["embeddings"]])
    model.layers[1].set_weights([weights["lstm_kernel"], weights["lstm_recurrent"], weights["lstm_bias"]])
    model.layers[2].set_weights([weights["dense_kernel"], weights["dense_bias"]])
    return model


def _text(out) -> str:
    """generate_text's result, which should be a string (the judge reads the start string and the
    generated characters in it)."""
    if not isinstance(out, str):
        raise Fail(f"generate_text returns {_what(out)}; return the text, a string")
    return str(out)


def _extract_generation(generate_text, given):
    with _full_float32():
        model_a, model_b = _generation_model(given["model_a"]), _generation_model(given["model_b"])
        length = given["length"]
        greedy = []
        for start in given["starts"]:
            name = f"generate_text(model, {start!r}, {length}, temperature={_GREEDY_TEMPERATURE})"
            greedy.append(_text(call(generate_text, name, model_a, start, length, _GREEDY_TEMPERATURE)))
        samples = []
        for temperature in SAMPLING_TEMPERATURES:
            name = f"generate_text(model, {SAMPLE_START!r}, {SAMPLE_LENGTH}, temperature={temperature})"
            samples.append(
                [
                    _text(call(generate_text, name, model_b, SAMPLE_START, SAMPLE_LENGTH, temperature))
                    for _ in range(_SAMPLES // SAMPLE_LENGTH)
                ]
            )
    return {"greedy": greedy, "samples": samples}


EXERCISES = exercises(
    Exercise("q1", answers=["vectorize_string"], extract=_plain_fails(_extract_vectorize)),
    Exercise("q2", answers=["get_batch"], extract=_plain_fails(_extract_batches)),
    Exercise("q3", answers=["build_model"], extract=_plain_fails(_extract_model)),
    Exercise("q4", answers=["compute_loss"], extract=_plain_fails(_extract_loss)),
    Exercise("q5", answers=["train_step"], extract=_plain_fails(_extract_train_step)),
    Exercise("q6", answers=["generate_text"], extract=_plain_fails(_extract_generation)),
    written("q7"),
)
