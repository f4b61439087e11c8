"""Lab 06 - A first neural network on MNIST: questions, points, hints and checks.

Every check draws its own inputs (see :mod:`labtools.checking`) and judges what the answer does
with them: ``prepare`` on fresh batches of images of two sizes, the network on a batch with the
judge's random weights, the compiled loss and metrics on two batches of predictions of different
sizes and accuracies (one metric must compute the accuracy of both; at most four metrics), the
trained model on MNIST images the notebook never loaded and ``train_step`` on three small models
whose weights, data and learning rates the judge chose.

The trained model is judged by its weights: the kernel sends the two Dense layers' kernels and
biases, and the judge computes ``relu(x W1 + b1) W2 + b2`` on the held-out images it loads
itself. ``load_mnist(hold_out=True)`` keeps those images back, and while a notebook is graded its
kernel cannot read them at all (their file is hidden by the sandbox), so neither the model's
``predict`` nor anything else in the kernel can answer from their labels.
"""

from __future__ import annotations

import numpy as np

from ..checking import Fail, Lab, NotAttempted, Question, clean_message, expect_close, expect_shape
from ..judging import activation_name, call, is_tensor, kernel_and_bias, to_array

# Accuracy the trained model must reach on the held-out images, by setting: fast mode (CI and
# the grader: 3,000 training images, 4 epochs; the lab's model reaches 88-92%), full settings on
# the bundled subset (8,000 images, 10 epochs: 94.5-95.6%) and full settings on full MNIST.
THRESHOLDS = {"fast": 0.85, "subset": 0.92, "full": 0.96}


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _cross_entropy(p, y):
    return float(-np.mean(np.log(p[np.arange(len(y)), y])))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


# q1 -- preprocessing ----------------------------------------------------------------------------


def _draw_images(rng) -> dict:
    """Two batches of different sizes: one spans 0..255, the other stays inside it, so dividing
    by a batch's own maximum (or min-max scaling) is told apart from dividing by 255."""
    n1, n2 = (int(n) for n in rng.choice(np.arange(2, 13), size=2, replace=False))
    wide = rng.integers(0, 256, size=(n1, 28, 28)).astype(np.uint8)
    wide[0, 0, 0], wide[-1, -1, -1] = 0, 255
    narrow = rng.integers(int(rng.integers(10, 40)), int(rng.integers(180, 240)), size=(n2, 28, 28)).astype(np.uint8)
    return {"wide": wide, "narrow": narrow}


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


def _judge_prepare(d, inputs):
    for key, images in inputs.items():
        n, got = len(images), np.asarray(d[key])
        if got.shape != (n, 784):
            raise Fail(
                f"prepare turns {n} images of 28x28 into shape {got.shape}; it should give ({n}, 784), "
                "one row of pixels per image"
            )
        if got.dtype.name != "float32":
            raise Fail(f"the prepared pixels have dtype {got.dtype.name}; the network wants float32")
        if not np.all(np.isfinite(got)) or got.max() > 1.0 + 1e-6 or got.min() < -1e-6:
            raise Fail("the prepared pixels are not all in [0, 1]; scale the bytes 0..255 into [0, 1]")
        expect_close("the prepared array", got, images.reshape(n, 784) / 255.0, rtol=1e-5, atol=1e-6)


# q2 -- the architecture, judged by what it computes with the judge's weights --------------------

_SHAPES = [(784, 512), (512, 10)]
_UNITS, _ACTIVATIONS = (512, 10), ("relu", "softmax")


def _draw_network(rng) -> dict:
    return {
        "x": rng.uniform(0, 1, size=(int(rng.integers(3, 8)), 784)).astype("float32"),
        "seed": int(rng.integers(0, 2**31 - 1)),
    }


def _network_weights(seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The kernel and bias of each Dense layer for a probe (both sides make them from the seed)."""
    rng = np.random.default_rng(seed)
    return [
        (
            (scale * rng.standard_normal(shape)).astype("float32"),
            (0.5 * rng.standard_normal(shape[1])).astype("float32"),
        )
        for shape, scale in zip(_SHAPES, (0.08, 0.15), strict=True)
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
    if others or [d["units"] for d in data["layers"]] != list(_UNITS):
        return data
    x = tf.constant(given["x"])
    try:
        model(x)  # builds a model that has not seen data yet
    except Exception:  # noqa: BLE001 - the judge words it
        data["error"] = True
        return data
    shapes = [[tuple(int(n) for n in w.shape) for w in layer.trainable_weights] for layer, _ in dense]
    data["kernels"] = [[list(s) for s in layer_shapes] for layer_shapes in shapes]
    if any(_SHAPES[i] not in shapes[i] for i in range(2)):
        return data
    saved = [w.numpy() for w in model.weights]
    try:
        for (layer, _), layer_shapes, (W, b), (n_in, units) in zip(
            dense, shapes, _network_weights(given["seed"]), _SHAPES, strict=True
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


def _judge_network(d, inputs):
    if d["others"]:
        raise Fail(f"model has a {d['others'][0]} layer; the network is just the two Dense layers")
    layers = d["layers"]
    if len(layers) != 2:
        raise Fail(f"model has {_plural(len(layers), 'Dense layer')}; the network has two")
    for i, (layer, units, act) in enumerate(zip(layers, _UNITS, _ACTIVATIONS, strict=True), start=1):
        if layer["units"] != units:
            raise Fail(f"layer {i} has {layer['units']} units; re-read the architecture")
        if layer["activation"] != act:
            used = "no activation (linear)" if layer["activation"] == "linear" else layer["activation"]
            raise Fail(f"layer {i} uses {used}; re-read which activation it needs")
        if not layer["bias"]:
            raise Fail(f"layer {i} has no bias (use_bias=False); keep the Dense layer's bias")
    if d["error"]:
        raise Fail("model cannot take a batch of prepared images (rows of 784 pixels); check its input shape")
    # strict=False: d["kernels"] comes from the kernel and its length is not checked here
    for i, (shapes, want) in enumerate(zip(d["kernels"], _SHAPES, strict=False), start=1):
        if list(want) not in [list(s) for s in shapes]:
            raise Fail(
                f"layer {i}'s kernel does not fit rows of 784 pixels (its weights have shapes "
                f"{', '.join(str(tuple(s)) for s in shapes)}); the model reads the prepared images"
            )
    x = inputs["x"].astype("float64")
    (W1, b1), (W2, b2) = ((W.astype("float64"), b.astype("float64")) for W, b in _network_weights(inputs["seed"]))
    want = _softmax(np.maximum(x @ W1 + b1, 0.0) @ W2 + b2)
    expect_shape(f"the model's output for {len(x)} images", np.shape(d["output"]), want.shape)
    expect_close("the model's output with the check's weights", d["output"], want, rtol=1e-3, atol=1e-5)


# q3 -- compile settings: the loss and the metrics computed on the judge's predictions ------------


MAX_METRICS = 4  # more than this many metrics is a spray, not a choice


def _batch_of_predictions(rng, n: int, k: int) -> dict:
    """``n`` integer labels and softmax probabilities for them, of which exactly ``k`` rows put
    their largest probability on the right class."""
    labels = rng.integers(0, 10, size=n)
    logits = rng.normal(0.0, 1.5, size=(n, 10))
    right = rng.permutation(n) < k
    for i in range(n):
        best_other = np.max(np.delete(logits[i], labels[i]))
        logits[i, labels[i]] = best_other + (1 if right[i] else -1) * rng.uniform(0.2, 1.5)
    return {"labels": labels.astype(np.uint8), "probabilities": _softmax(logits).astype("float32")}


def _draw_predictions(rng) -> dict:
    """Two batches of predictions of different sizes and accuracies (never 0 or 1), so only a
    metric that computes the accuracy matches both: no constant value does."""
    n1, n2 = (int(n) for n in rng.choice(np.arange(16, 33), size=2, replace=False))
    k1 = int(rng.integers(n1 // 4, 3 * n1 // 4))
    k2 = int(rng.choice([k for k in range(n2 // 4, 3 * n2 // 4) if k * n1 != k1 * n2]))
    return {"batches": [_batch_of_predictions(rng, n1, k1), _batch_of_predictions(rng, n2, k2)]}


def _name(obj) -> str:
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
    return {
        "optimizer": kind,
        "loss_name": _name(getattr(model, "loss", None)),
        "metrics_given": len(listed) if isinstance(listed, (list, tuple, dict)) else int(listed is not None),
        "batches": [_on_batch(keras, settings, batch) for batch in given["batches"]],
    }


def _judge_loss(loss_name, loss, y, p):
    one_hot = "categoricalcrossentropy" in str(loss_name) and "sparse" not in str(loss_name)
    loss = None if loss is None else np.asarray(loss, dtype="float64")
    if loss is not None and loss.size == 1 and np.isclose(float(loss.ravel()[0]), _cross_entropy(p, y), rtol=1e-4):
        return
    if one_hot:
        raise Fail("categorical cross-entropy wants one-hot labels; the labels here are integers 0-9")
    if (
        loss is not None
        and loss.size == 1
        and np.isclose(float(loss.ravel()[0]), _cross_entropy(_softmax(p), y), rtol=1e-4)
    ):
        raise Fail(
            "the loss treats the model's outputs as logits (from_logits=True), but the last layer "
            "already gives probabilities"
        )
    what = "cannot be computed from" if loss is None else "does not compute the cross-entropy of"
    raise Fail(
        f"the loss {what} integer labels and 10 probabilities per image (tried on batches of "
        "predictions); pick the cross-entropy for integer class labels"
    )


def _judge_compile(d, inputs):
    if d["optimizer"] != "RMSprop":
        raise Fail(f"the optimiser is {d['optimizer']}; the lab uses keras.optimizers.RMSprop")
    batches = [(b["labels"].astype(int), b["probabilities"].astype("float64")) for b in inputs["batches"]]
    results = d["batches"]
    if len(results) != len(batches):
        raise Fail("the loss and metrics were not computed on every batch of predictions")
    for (y, p), got in zip(batches, results, strict=True):
        _judge_loss(d["loss_name"], got["loss"], y, p)
    if any(got["metrics"] is None for got in results):
        raise Fail(
            "a metric cannot be computed from integer labels and 10 probabilities per image, so fit "
            "would crash; use the accuracy that fits integer labels"
        )
    given = max(int(d["metrics_given"]), *(len(got["metrics"]) for got in results))
    if given > MAX_METRICS:
        raise Fail(
            f"model.compile got {given} metrics; keep metrics to accuracy (and at most {MAX_METRICS} metrics in all)"
        )

    def computes_accuracy(i: int) -> bool:
        for (y, p), got in zip(batches, results, strict=True):
            m = got["metrics"][i] if i < len(got["metrics"]) else None
            accuracy = float(np.mean(p.argmax(axis=1) == y))
            if m is None or np.size(m) != 1 or not np.isclose(float(np.ravel(m)[0]), accuracy, atol=1e-6):
                return False
        return True

    if not any(computes_accuracy(i) for i in range(len(results[0]["metrics"]))):
        raise Fail(
            "no metric computes the accuracy of the predictions (tried on two batches of predictions); "
            "add accuracy to metrics"
        )


# q4 -- accuracy on images the notebook never loaded ---------------------------------------------


def _draw_held_out(rng) -> dict:
    """The order of the held-out images (the judge loads them itself: never the images or labels)."""
    from ..datasets import HELD_OUT

    return {"index": rng.permutation(HELD_OUT)}


def _setting() -> str:
    from ..datasets import _keras_cache
    from ..runtime import fast_mode

    return "fast" if fast_mode() else ("full" if _keras_cache().exists() else "subset")


def _extract_accuracy(model, given):
    """The network's Dense layers and their trained weights (float16: 784 x 512 is 0.8 MB). The
    judge computes the predictions itself, on images the kernel cannot read while graded, so
    nothing the model's predict or call does is trusted."""
    import keras

    if not isinstance(model, keras.Model):
        raise Fail(f"model is a {type(model).__name__}, not a Keras model")
    if not model.built and model.layers:  # its layers never saw data
        raise NotAttempted("model has not been trained yet")
    dense, others = _dense_stack(model)
    iterations = getattr(getattr(model, "optimizer", None), "iterations", None)
    steps = int(keras.ops.convert_to_numpy(iterations)) if iterations is not None else None
    data = {"others": others, "layers": _layer_facts(dense), "weights": [], "setting": _setting(), "steps": steps}
    if others or len(dense) != len(_UNITS):
        return data
    if not all(layer.built for layer, _ in dense):
        raise NotAttempted("model has not been trained yet")
    for layer, _ in dense:
        kernel = keras.ops.convert_to_numpy(layer.kernel).astype("float32")
        bias = keras.ops.convert_to_numpy(layer.bias).astype("float32") if layer.use_bias else np.zeros(layer.units)
        data["weights"].append([kernel.astype("float16"), bias.astype("float16")])
    return data


def _lab_network(d) -> list[tuple[np.ndarray, np.ndarray]]:
    """The kernels and biases of the network of Exercise 2, or Fail saying how the model differs."""
    layers, reason = d["layers"], None
    if d["others"]:
        reason = f"it has a {d['others'][0]} layer"
    elif len(layers) != len(_UNITS):
        reason = f"it has {_plural(len(layers), 'Dense layer')}" if layers else "it has no Dense layers"
    else:
        for i, (layer, units, act) in enumerate(zip(layers, _UNITS, _ACTIVATIONS, strict=True), start=1):
            if layer["units"] != units or layer["activation"] != act:
                used = "no activation" if layer["activation"] == "linear" else layer["activation"]
                reason = f"its layer {i} has {layer['units']} units and {used}"
                break
    weights = [] if reason else [(np.asarray(W, "float32"), np.asarray(b, "float32")) for W, b in d["weights"]]
    if not reason:
        for i, ((W, b), shape) in enumerate(zip(weights, _SHAPES, strict=True), start=1):
            if W.shape != shape or b.shape != shape[1:]:
                reason = f"layer {i}'s kernel has shape {W.shape}, not {shape}"
                break
    if reason:
        raise Fail(
            f"model is not the network of Exercise 2 ({reason}); the check measures that network, "
            "Dense(512, relu) then Dense(10, softmax), trained"
        )
    if not all(np.all(np.isfinite(a)) for pair in weights for a in pair):
        raise Fail("the model's weights are not all finite numbers; training diverged - check the preprocessing")
    return weights


def _judge_accuracy(d, inputs):
    from ..datasets import mnist_held_out

    (W1, b1), (W2, b2) = _lab_network(d)
    images, labels = (a[inputs["index"]] for a in mnist_held_out())
    x = images.reshape(len(images), 784).astype("float32") / 255.0
    predicted = (np.maximum(x @ W1 + b1, 0.0) @ W2 + b2).argmax(axis=1)  # softmax keeps the order
    setting = d["setting"] if d["setting"] in THRESHOLDS else "full"
    need, accuracy = THRESHOLDS[setting], float(np.mean(predicted == labels))
    if not accuracy >= need and d.get("steps") == 0:  # compiled, maybe evaluated, but fit never ran
        raise NotAttempted("model has not been trained yet: do Exercise 4 (model.fit)")
    if not accuracy >= need:
        raise Fail(
            f"accuracy on {len(labels):,} images the notebook never loaded is {accuracy:.1%}; it should "
            f"reach {need:.0%} ({setting} setting) - train longer, or check the preprocessing"
        )


# q5 -- one step of a hand-written training loop, redone in NumPy --------------------------------

# name: (optimiser, hidden layer?, run through tf.function as the lab's loop does, learning rates)
_STEPS = {
    "softmax regression": ("SGD", False, False, (0.1, 0.6)),
    "two-layer network": ("SGD", True, True, (0.01, 0.1)),
    "softmax regression with RMSprop": ("RMSprop", False, False, (0.001, 0.01)),
}


def _draw_steps(rng) -> dict:
    cases = {}
    for name, (_, hidden, _, (low, high)) in _STEPS.items():
        n, n_in, units = int(rng.integers(5, 13)), int(rng.integers(3, 9)), int(rng.integers(3, 7))
        sizes = [n_in, int(rng.integers(4, 10)), units] if hidden else [n_in, units]
        cases[name] = {
            "x": rng.standard_normal((n, n_in)).astype("float32"),
            "y": rng.integers(0, units, size=n).astype("int32"),
            "lr": float(rng.uniform(low, high)),
            "weights": [
                a
                for i in range(len(sizes) - 1)
                for a in (
                    (0.6 * rng.standard_normal((sizes[i], sizes[i + 1]))).astype("float32"),
                    (rng.choice([-1.0, 1.0], sizes[i + 1]) * rng.uniform(0.2, 1.0, sizes[i + 1])).astype("float32"),
                )
            ],
        }
    return cases


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
    if not compiled:
        loss = call(train_step, "train_step", model, optimizer, x, y, none=none)
    else:  # as the lab's loop runs it
        try:
            loss = tf.function(lambda x, y: train_step(model, optimizer, x, y))(x, y)
        except Exception as exc:  # noqa: BLE001 - TensorFlow puts the cause on the last line
            lines = [line for line in str(exc).splitlines() if line.strip()]
            cause = clean_message(lines[-1]) if lines else type(exc).__name__
            raise Fail(
                f"train_step fails when the lab's loop compiles it with tf.function ({cause}); keep to "
                "TensorFlow operations (no .numpy() or float() inside)"
            ) from None
        if loss is None:
            raise Fail(f"train_step {none}")
    return {
        "loss": to_array(loss, "the value train_step returns"),
        "weights": [a for layer in layers for a in (layer.kernel.numpy(), layer.bias.numpy())],
    }


def _extract_train_step(train_step, given):
    return {name: _one_step(train_step, case, _STEPS[name][0], _STEPS[name][2]) for name, case in given.items()}


def _loss_and_gradients(x, y, weights):
    """Mean sparse categorical cross-entropy of a relu...softmax stack and its gradients."""
    pairs = list(zip(weights[::2], weights[1::2], strict=True))
    a, inputs, zs = x, [], []
    for i, (W, b) in enumerate(pairs):
        inputs.append(a)
        zs.append(a @ W + b)
        a = _softmax(zs[-1]) if i == len(pairs) - 1 else np.maximum(zs[-1], 0.0)
    delta = a.copy()
    delta[np.arange(len(y)), y] -= 1
    delta /= len(y)
    grads = []
    for i in reversed(range(len(pairs))):
        grads[:0] = [inputs[i].T @ delta, delta.sum(axis=0)]
        if i:
            delta = (delta @ pairs[i][0].T) * (zs[i - 1] > 0)
    return _cross_entropy(a, y), grads


def _update(kind, lr, weights, grads):
    if kind == "RMSprop":  # Keras' first RMSprop step: velocity = (1 - rho) g², rho = 0.9, epsilon = 1e-7
        return [w - lr * g / np.sqrt(0.1 * g * g + 1e-7) for w, g in zip(weights, grads, strict=True)]
    return [w - lr * g for w, g in zip(weights, grads, strict=True)]


def _judge_train_step(d, inputs):
    for name, case in inputs.items():
        kind = _STEPS[name][0]
        got = d[name]
        x, y, lr = case["x"].astype("float64"), case["y"].astype(int), case["lr"]
        before = [w.astype("float64") for w in case["weights"]]
        loss, grads = _loss_and_gradients(x, y, before)
        after = _update(kind, lr, before, grads)
        returned = np.asarray(got["loss"], dtype="float64")
        if returned.size != 1:
            raise Fail(
                f"train_step returns {returned.size} values for a batch of {len(y)}; return the mean "
                "loss of the batch, one number"
            )
        if not np.isclose(float(returned.ravel()[0]), loss, rtol=1e-4, atol=1e-6):
            if np.isclose(float(returned.ravel()[0]), _loss_and_gradients(x, y, after)[0], rtol=1e-4, atol=1e-6):
                raise Fail("train_step returns the loss after the update; return the loss computed before it")
            raise Fail(
                "the returned loss is not the mean sparse categorical cross-entropy of the batch "
                f"(the {name}); compute it from the model's predictions before the update"
            )
        moved = [np.asarray(w, dtype="float64") for w in got["weights"]]
        if len(moved) != len(before) or any(m.shape != w.shape for m, w in zip(moved, before, strict=True)):
            raise Fail("the model's weights changed shape; update them with the optimiser")
        if all(np.allclose(m, w) for m, w in zip(moved, before, strict=True)):
            raise Fail("the weights did not change; apply the gradients with the optimiser")
        if any(np.allclose(m, w) and not np.allclose(a, w) for m, w, a in zip(moved, before, after, strict=True)):
            raise Fail(
                f"only some of the weights changed (the {name}); take the gradients of all "
                "model.trainable_weights and apply them all"
            )
        uphill = _update(kind, -lr, before, grads)
        if all(np.allclose(m, w, atol=1e-4) for m, w in zip(moved, uphill, strict=True)):
            raise Fail("the weights moved uphill; the optimiser subtracts the gradient for you")
        if kind != "SGD" and all(
            np.allclose(m, w, atol=1e-4) for m, w in zip(moved, _update("SGD", lr, before, grads), strict=True)
        ):
            raise Fail(
                "the weights moved by learning rate x gradient, not as the optimiser moves them; "
                "let optimizer.apply_gradients do the update"
            )
        for i, (m, w) in enumerate(zip(moved, after, strict=True)):
            expect_close(
                f"the {'kernel' if i % 2 == 0 else 'bias'} of layer {i // 2 + 1} after one step (the {name})",
                m,
                w,
                rtol=1e-3,
                atol=1e-4,
            )


LAB = Lab(
    "06",
    "A first neural network on MNIST",
    [
        Question(
            "q1",
            "Preprocess the images",
            1,
            ["prepare"],
            _extract_prepare,
            _judge_prepare,
            draw=_draw_images,
            hints=[
                "Each 28x28 image becomes one row of 784 numbers: reshape with -1 or 784.",
                "Convert to float32 before dividing by 255.",
            ],
        ),
        Question(
            "q2",
            "The network",
            1,
            ["model"],
            _extract_network,
            _judge_network,
            draw=_draw_network,
            hints=[
                "keras.Sequential takes a list of two Dense layers.",
                "512 relu units, then one softmax unit per digit.",
            ],
        ),
        Question(
            "q3",
            "Compile",
            1,
            ["model"],
            _extract_compile,
            _judge_compile,
            draw=_draw_predictions,
            hints=[
                "model.compile(optimizer=..., loss=..., metrics=[...]).",
                "The labels are integers, so the loss name starts with 'sparse_'.",
            ],
        ),
        Question(
            "q4",
            "Test accuracy",
            2,
            ["model"],
            _extract_accuracy,
            _judge_accuracy,
            draw=_draw_held_out,
            hints=[
                "Train with model.fit on the prepared training images.",
                "If accuracy stays near 10%, look at the preprocessing and the loss.",
            ],
        ),
        Question(
            "q5",
            "A hand-written training step",
            3,
            ["train_step"],
            _extract_train_step,
            _judge_train_step,
            draw=_draw_steps,
            hints=[
                "Under a GradientTape: predictions = model(x, training=True), then the loss.",
                "tape.gradient(loss, model.trainable_weights), then optimizer.apply_gradients(zip(...)).",
                "Return the loss you computed before the update.",
            ],
        ),
    ],
)
