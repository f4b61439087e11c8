"""Lab 06 - A first neural network: the kernel side of its checks (see
:mod:`labtools.kernel`).

Each exercise runs the student's code on the inputs the judge drew and returns what came out:
``prepare`` on the judge's batches of images, the network with the judge's weights (made from a
seed by :func:`network_weights`, on both sides), the compiled loss and metrics on the judge's
predictions, the trained network's Dense layers and weights with what its ``fit`` recorded (the
History: epochs, steps per epoch, the metrics of every epoch; the judge computes the validation
results and the accuracy on held-out images this side never sees) and ``train_step`` on small
models with the judge's weights and data.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np

from .calling import activation_name, call, describe, is_tensor, kernel_and_bias, to_array
from .errors import Fail, NotAttempted, clean_message, does_nothing
from .exercise import Exercise, exercises, written
from .settings import fast_mode, keras_mnist_cache

# q1 -- preprocessing ----------------------------------------------------------------------------


def _extract_prepare(prepare, given):
    out = {}
    for key, images in given.items():
        result = call(prepare, "prepare", images, none="returns None; return the prepared array")
        if is_tensor(result):
            raise Fail("prepare returns a tf.Tensor; return a NumPy array (the cells below use NumPy methods)")
        if not isinstance(result, np.ndarray):
            raise Fail(f"prepare returns a {type(result).__name__}; return a NumPy array")
        out[key] = to_array(result, "the prepared array")
    return out


# q2 -- the architecture, run with the judge's weights -------------------------------------------

DENSE_SHAPES = [(784, 512), (512, 10)]  # the kernels of the lab's network (both sides)
DENSE_UNITS = (512, 10)


def network_weights(seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The kernel and bias of each Dense layer for a probe (both sides make them from the seed)."""
    rng = np.random.default_rng(seed)
    return [
        (
            (scale * rng.standard_normal(shape)).astype("float32"),
            (0.5 * rng.standard_normal(shape[1])).astype("float32"),
        )
        for shape, scale in zip(DENSE_SHAPES, (0.08, 0.15), strict=True)
    ]


def _fixed_function(layer):
    """A copy of a layer without weights that computes the same in training and inference (an
    activation, a Flatten), or None (a Dropout, a normalisation layer). The copy is what gets
    probed, so the student's layer is not built on the probe's shape."""
    import tensorflow as tf

    z = tf.constant([[-2.0, -0.5, 0.0, 0.7, 1.5, 3.0], [0.3, -1.2, 2.2, -0.1, 0.9, -3.0]])
    try:
        copy = type(layer).from_config(layer.get_config())
        same = np.allclose(np.asarray(copy(z, training=True)), np.asarray(copy(z, training=False)))
    except Exception:  # noqa: BLE001 - a layer that cannot run on the probe is not an activation
        return None
    return copy if same and not copy.weights else None


def _chain(functions):
    def composed(z):
        for fn in functions:
            z = fn(z)
        return z

    return composed


def _dense_stack(model):
    """The model's Dense layers, each with the activations that follow it (its own, then any
    activation layers after it), and the names of the layers that are neither (InputLayer and a
    Flatten before the first Dense layer are skipped)."""
    import keras

    dense, others = [], []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, keras.layers.Dense):
            dense.append((layer, [layer.activation]))
        elif (fn := _fixed_function(layer)) is None:
            others.append(type(layer).__name__)
        elif dense:  # an activation layer after a Dense layer acts as its activation
            dense[-1][1].append(fn)
        elif activation_name(fn) != "linear":  # a Flatten before the first layer changes nothing
            others.append(type(layer).__name__)
    return dense, others


def _layer_facts(dense) -> list[dict]:
    facts = []
    for layer, acts in dense:
        name = activation_name(_chain(acts))
        facts.append(
            {
                "units": int(layer.units),
                "bias": bool(layer.use_bias),
                "activation": name
                if name in ("linear", "relu", "softmax", "sigmoid", "tanh")
                else "an activation of its own",
            }
        )
    return facts


def _extract_network(model, given):
    import keras
    import tensorflow as tf

    if not isinstance(model, keras.Model):
        raise Fail(f"model is a {type(model).__name__}; build it with keras.Sequential([...])")
    dense, others = _dense_stack(model)
    data = {"others": others, "layers": _layer_facts(dense), "error": False, "kernels": [], "output": np.zeros(0)}
    if others or [d["units"] for d in data["layers"]] != list(DENSE_UNITS):
        return data
    x = tf.constant(given["x"])
    try:
        model(x)  # builds a model that has not seen data yet
    except Exception:  # noqa: BLE001 - the judge words it
        data["error"] = True
        return data
    shapes = [[tuple(int(n) for n in w.shape) for w in layer.trainable_weights] for layer, _ in dense]
    data["kernels"] = [[list(s) for s in layer_shapes] for layer_shapes in shapes]
    if any(DENSE_SHAPES[i] not in shapes[i] for i in range(2)):
        return data
    saved = [w.numpy() for w in model.weights]
    try:
        for (layer, _), layer_shapes, (W, b), (n_in, units) in zip(
            dense, shapes, network_weights(given["seed"]), DENSE_SHAPES, strict=True
        ):
            k, bias = kernel_and_bias(layer_shapes, n_in, units)
            layer.trainable_weights[k].assign(W)
            if bias is not None:
                layer.trainable_weights[bias].assign(b.reshape(layer_shapes[bias]))
        data["output"] = to_array(model(x, training=False), "the model's output")
    finally:
        for w, value in zip(model.weights, saved, strict=False):  # a student's layer may add weights when run
            w.assign(value)
    return data


# q3 -- compile settings: the loss and the metrics computed on the judge's predictions ------------


def _loss_name(obj) -> str:
    """'sparsecategoricalcrossentropy' for a loss given as a string or an object (hints only)."""
    if not isinstance(obj, str):
        fn = getattr(obj, "fn", None)
        obj = getattr(fn, "__name__", None) or getattr(obj, "__name__", None) or type(obj).__name__
    return obj.replace("_", "").lower()


def _on_batch(keras, settings, batch):
    """The compiled loss and metrics on one batch of the judge's predictions: a model whose output
    is the predictions, compiled with the arguments model.compile got."""
    import tensorflow as tf

    probe = keras.Sequential([keras.Input((10,)), keras.layers.Identity()])
    probe.compile(
        optimizer="sgd", **{k: settings.get(k) for k in ("loss", "loss_weights", "metrics", "weighted_metrics")}
    )
    y, p = tf.constant(batch["labels"]), tf.constant(batch["probabilities"])
    out = {"loss": None, "metrics": None}
    try:
        out["loss"] = to_array(probe.compute_loss(y=y, y_pred=p), "the loss")
    except Exception:  # noqa: BLE001 - a loss that cannot be computed here would crash fit: the judge says so
        out["loss"] = None
    try:
        probe.compute_metrics(None, y, p, None)  # builds the metrics; a metric object may hold old state
        probe.reset_metrics()
        results = probe.compute_metrics(None, y, p, None)
        out["metrics"] = [to_array(v, "a metric").astype("float64").ravel() for k, v in results.items() if k != "loss"]
    except Exception:  # noqa: BLE001 - likewise for a metric
        out["metrics"] = None
    return out


def _extract_compile(model, given):
    import keras

    if not isinstance(model, keras.Model):
        raise Fail(f"model is a {type(model).__name__}, not a Keras model")
    if not getattr(model, "compiled", False):
        raise NotAttempted("model is not compiled yet; call model.compile(...)")
    settings = getattr(getattr(model, "_compile_config", None), "config", None) or {"loss": model.loss}
    optimizer = getattr(model, "optimizer", None)
    kind = type(optimizer).__name__
    if isinstance(optimizer, keras.optimizers.RMSprop):
        kind = "RMSprop"
    elif kind == "RMSprop":
        kind = "a class of its own named RMSprop"
    listed = settings.get("metrics")
    weights = settings.get("loss_weights")
    misplaced = [str(w) for w in _flat_values(weights) if not isinstance(w, (int, float)) or isinstance(w, bool)]
    if misplaced:  # metrics passed as compile's third positional argument, loss_weights
        settings = {**settings, "loss_weights": None}
    return {
        "optimizer": kind,
        "loss_name": _loss_name(getattr(model, "loss", None)),
        "metrics_given": len(listed) if isinstance(listed, (list, tuple, dict)) else int(listed is not None),
        "loss_weights_not_numbers": [w[:40] for w in misplaced[:4]],
        "batches": [_on_batch(keras, settings, batch) for batch in given["batches"]],
    }


def _flat_values(value) -> list:
    """The leaves of a value that may be a list, tuple or dict (or None: no leaves)."""
    if value is None:
        return []
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in _flat_values(item)]
    return [value]


# q4 -- the trained network's weights -------------------------------------------------------------


def _setting() -> str:
    """The setting the notebook trains in: "fast" (CI and the grader), "full" (Keras' MNIST
    download is cached) or "subset" (the bundled subset)."""
    return "fast" if fast_mode() else ("full" if keras_mnist_cache().exists() else "subset")


def _history_facts(history, model) -> dict:
    """What ``fit`` recorded: the epochs it ran, its settings (epochs, steps per epoch) and the
    metrics of every epoch, training and validation; whether it is the fit of ``model``."""
    import keras

    if isinstance(history, dict):
        raise Fail("history is a dict (fit(...).history?); keep the History object that model.fit returns")
    if not isinstance(history, keras.callbacks.History):
        raise Fail(f"history is {describe(history)}; keep what model.fit returns in history")
    params = getattr(history, "params", None) or {}

    def count(key):
        value = params.get(key)
        return int(value) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else None

    logs = {}
    for key, values in (getattr(history, "history", None) or {}).items():
        try:
            logs[str(key)[:60]] = np.asarray(values, dtype="float64").ravel()
        except (TypeError, ValueError):
            continue
    return {
        "epochs_run": len(getattr(history, "epoch", None) or []),
        "epochs": count("epochs"),
        "steps": count("steps"),
        "logs": logs,
        "same_model": getattr(history, "model", None) is model,
    }


def _extract_training(model, history, given):
    """The trained network's Dense layers and their weights (float32: the judge recomputes the
    validation results of the last epoch from them), the training steps the optimiser took, the
    loss it was compiled with and what ``fit`` returned. The judge computes the predictions
    itself, on images the kernel cannot read while graded, so nothing the model's predict or
    call does is trusted."""
    import keras

    if not isinstance(model, keras.Model):
        raise Fail(f"model is {describe(model)}, not a Keras model")
    if not model.built and model.layers and history is None:  # its layers never saw data
        raise NotAttempted("model has not been trained yet")
    dense, others = _dense_stack(model)
    iterations = getattr(getattr(model, "optimizer", None), "iterations", None)
    steps = int(keras.ops.convert_to_numpy(iterations)) if iterations is not None else None
    data = {
        "others": others,
        "layers": _layer_facts(dense),
        "weights": [],
        "setting": _setting(),
        "steps": steps,
        "loss_name": _loss_name(getattr(model, "loss", None)),
        "history": None if history is None else _history_facts(history, model),
    }
    if others or len(dense) != len(DENSE_UNITS) or not all(layer.built for layer, _ in dense):
        return data
    for layer, _ in dense:
        kernel = keras.ops.convert_to_numpy(layer.kernel).astype("float32")
        bias = keras.ops.convert_to_numpy(layer.bias).astype("float32") if layer.use_bias else np.zeros(layer.units)
        data["weights"].append([kernel, bias.astype("float32")])
    return data


# q5 -- one step of a hand-written training loop -------------------------------------------------


class TrainStepCase(NamedTuple):
    """One call of the student's train_step: the Keras optimiser it gets, whether the model has a
    hidden layer, whether it runs through tf.function as the lab's loop does, and the [low, high)
    range of its learning rate."""

    optimizer: str
    hidden: bool
    compiled: bool
    learning_rates: tuple[float, float]


TRAIN_STEP_CASES = {
    "softmax regression": TrainStepCase("SGD", hidden=False, compiled=False, learning_rates=(0.1, 0.6)),
    "two-layer network": TrainStepCase("SGD", hidden=True, compiled=True, learning_rates=(0.01, 0.1)),
    "softmax regression with RMSprop": TrainStepCase(
        "RMSprop", hidden=False, compiled=False, learning_rates=(0.001, 0.01)
    ),
}


def _one_step(train_step, case, kind, compiled):
    """A fresh model with the judge's weights, one call of the student's step; the weights after it."""
    import keras
    import tensorflow as tf

    weights = case["weights"]
    sizes = [weights[0].shape[0]] + [W.shape[1] for W in weights[::2]]
    activations = ["relu"] * (len(sizes) - 2) + ["softmax"]
    layers = [keras.layers.Dense(units, activation=a) for units, a in zip(sizes[1:], activations, strict=True)]
    model = keras.Sequential([keras.Input((sizes[0],)), *layers])
    for layer, W, b in zip(layers, weights[::2], weights[1::2], strict=True):
        layer.kernel.assign(W)
        layer.bias.assign(b)
    optimizer = getattr(keras.optimizers, kind)(learning_rate=case["lr"])
    optimizer.build(model.trainable_variables)  # so a step written as a tf.function creates no variables
    x, y = tf.constant(case["x"]), tf.constant(case["y"])
    none = "returns None; return the batch's loss"
    if not callable(train_step):
        raise Fail(f"train_step is {describe(train_step)}, not a function")
    try:
        if not compiled:
            loss = train_step(model, optimizer, x, y)
        else:  # as the lab's loop runs it
            loss = tf.function(lambda x, y: train_step(model, optimizer, x, y))(x, y)
    except (Fail, NotAttempted):
        raise
    except Exception as exc:  # noqa: BLE001 - the student's code may raise anything
        raise _step_failure(exc, compiled) from None
    if loss is None:
        if does_nothing(train_step):
            raise NotAttempted("train_step is still the placeholder")
        raise Fail(f"train_step {none}")
    return {
        "loss": to_array(loss, "the value train_step returns"),
        "weights": [a for layer in layers for a in (layer.kernel.numpy(), layer.bias.numpy())],
    }


# what a failed step says, by a fragment of its error: the cause in the student's words
_STEP_CAUSES = (
    ("no attribute 'numpy'", "it calls .numpy(), which has no value to give while the loop compiles it"),
    ("to a numpy array", "it hands a tensor to NumPy, which cannot run while the loop compiles it"),
    ("singleton tf.Variables", "it creates a variable (an optimiser, a model, a tf.Variable) on every call"),
    ("_unique_id'", "it gives the optimiser a NumPy array where a model's variable belongs"),
    ("_id'", "it gives the optimiser a NumPy array where a model's variable belongs"),
    ("Iterating over a symbolic", "it loops over a tensor; the optimiser takes (gradient, variable) pairs"),
    ("Binding inputs", "it cannot be called as train_step(model, optimizer, x, y)"),
    ("positional argument", "it cannot be called as train_step(model, optimizer, x, y)"),
)
_TF_INTERNALS = re.compile(r"Tensor'|Tensor\b.*symbolic|IndexedSlices|tf\.function|https?://|_id'|graph", re.I)


def _step_failure(exc: BaseException, compiled: bool) -> Fail:
    """One line for a step that raised: the cause in the student's words when it is a known one,
    else the error itself (its type alone when its text is TensorFlow's internals)."""
    lines = [line for line in str(exc).splitlines() if line.strip()]
    text = " ".join(lines)
    where = "train_step fails when the lab's loop compiles it with tf.function" if compiled else "train_step fails"
    for fragment, cause in _STEP_CAUSES:
        if fragment in text:
            return Fail(f"{where}: {cause}")
    last = clean_message(lines[-1]) if lines else ""
    if not last or _TF_INTERNALS.search(last):
        return Fail(f"{where}: it raised {type(exc).__name__}")
    if not last.startswith(type(exc).__name__):
        last = f"{type(exc).__name__}: {last}"
    return Fail(f"{where}: it raised {last[:100]}")


def _extract_train_step(train_step, given):
    return {
        name: _one_step(train_step, case, TRAIN_STEP_CASES[name].optimizer, TRAIN_STEP_CASES[name].compiled)
        for name, case in given.items()
    }


EXERCISES = exercises(
    Exercise("q1", answers=["prepare"], extract=_extract_prepare),
    Exercise("q2", answers=["model"], extract=_extract_network),
    Exercise("q3", answers=["model"], extract=_extract_compile),
    Exercise("q4", answers=["model", "history"], extract=_extract_training, none_is_an_answer=["history"]),
    Exercise("q5", answers=["train_step"], extract=_extract_train_step),
    written("q6"),
)
