"""Lab 06 - A first neural network on MNIST: questions, points, hints and judges (the kernel side
of its checks is :mod:`labtools.kernel.lab06_mnist`).

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

from ..checking import Fail, Lab, NotAttempted, Question
from ..judging import expect_close, expect_shape
from ..kernel.lab06_mnist import DENSE_SHAPES, DENSE_UNITS, TRAIN_STEP_CASES, network_weights
from ..kernel.lab06_mnist import EXERCISES as KERNEL
from ..reference import cross_entropy, relu, softmax

# Accuracy the trained model must reach on the held-out images, by setting: fast mode (CI and
# the grader: 3,000 training images, 4 epochs; the lab's model reaches 88-92%), full settings on
# the bundled subset (8,000 images, 10 epochs: 94.5-95.6%) and full settings on full MNIST.
THRESHOLDS = {"fast": 0.85, "subset": 0.92, "full": 0.96}


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

_DENSE_ACTIVATIONS = ("relu", "softmax")  # the activations of the layers of DENSE_UNITS


def _draw_network(rng) -> dict:
    return {
        "x": rng.uniform(0, 1, size=(int(rng.integers(3, 8)), 784)).astype("float32"),
        "seed": int(rng.integers(0, 2**31 - 1)),
    }


def _judge_network(d, inputs):
    if d["others"]:
        raise Fail(f"model has a {d['others'][0]} layer; the network is just the two Dense layers")
    layers = d["layers"]
    if len(layers) != 2:
        raise Fail(f"model has {_plural(len(layers), 'Dense layer')}; the network has two")
    for i, (layer, units, act) in enumerate(zip(layers, DENSE_UNITS, _DENSE_ACTIVATIONS, strict=True), start=1):
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
    for i, (shapes, want) in enumerate(zip(d["kernels"], DENSE_SHAPES, strict=False), start=1):
        if list(want) not in [list(s) for s in shapes]:
            raise Fail(
                f"layer {i}'s kernel does not fit rows of 784 pixels (its weights have shapes "
                f"{', '.join(str(tuple(s)) for s in shapes)}); the model reads the prepared images"
            )
    x = inputs["x"].astype("float64")
    (W1, b1), (W2, b2) = ((W.astype("float64"), b.astype("float64")) for W, b in network_weights(inputs["seed"]))
    want = softmax(relu(x @ W1 + b1) @ W2 + b2)
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
    return {"labels": labels.astype(np.uint8), "probabilities": softmax(logits).astype("float32")}


def _draw_predictions(rng) -> dict:
    """Two batches of predictions of different sizes and accuracies (never 0 or 1), so only a
    metric that computes the accuracy matches both: no constant value does."""
    n1, n2 = (int(n) for n in rng.choice(np.arange(16, 33), size=2, replace=False))
    k1 = int(rng.integers(n1 // 4, 3 * n1 // 4))
    k2 = int(rng.choice([k for k in range(n2 // 4, 3 * n2 // 4) if k * n1 != k1 * n2]))
    return {"batches": [_batch_of_predictions(rng, n1, k1), _batch_of_predictions(rng, n2, k2)]}


def _judge_loss(loss_name, loss, y, p):
    one_hot = "categoricalcrossentropy" in str(loss_name) and "sparse" not in str(loss_name)
    loss = None if loss is None else np.asarray(loss, dtype="float64")
    if loss is not None and loss.size == 1 and np.isclose(float(loss.ravel()[0]), cross_entropy(p, y), rtol=1e-4):
        return
    if one_hot:
        raise Fail("categorical cross-entropy wants one-hot labels; the labels here are integers 0-9")
    if (
        loss is not None
        and loss.size == 1
        and np.isclose(float(loss.ravel()[0]), cross_entropy(softmax(p), y), rtol=1e-4)
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


def _lab_network(d) -> list[tuple[np.ndarray, np.ndarray]]:
    """The kernels and biases of the network of Exercise 2, or Fail saying how the model differs."""
    layers, reason = d["layers"], None
    if d["others"]:
        reason = f"it has a {d['others'][0]} layer"
    elif len(layers) != len(DENSE_UNITS):
        reason = f"it has {_plural(len(layers), 'Dense layer')}" if layers else "it has no Dense layers"
    else:
        for i, (layer, units, act) in enumerate(zip(layers, DENSE_UNITS, _DENSE_ACTIVATIONS, strict=True), start=1):
            if layer["units"] != units or layer["activation"] != act:
                used = "no activation" if layer["activation"] == "linear" else layer["activation"]
                reason = f"its layer {i} has {layer['units']} units and {used}"
                break
    weights = [] if reason else [(np.asarray(W, "float32"), np.asarray(b, "float32")) for W, b in d["weights"]]
    if not reason:
        for i, ((W, b), shape) in enumerate(zip(weights, DENSE_SHAPES, strict=True), start=1):
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


def _draw_steps(rng) -> dict:
    cases = {}
    for name, (_, hidden, _, (low, high)) in TRAIN_STEP_CASES.items():
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


def _loss_and_gradients(x, y, weights):
    """Mean sparse categorical cross-entropy of a relu...softmax stack and its gradients."""
    pairs = list(zip(weights[::2], weights[1::2], strict=True))
    a, inputs, zs = x, [], []
    for i, (W, b) in enumerate(pairs):
        inputs.append(a)
        zs.append(a @ W + b)
        a = softmax(zs[-1]) if i == len(pairs) - 1 else relu(zs[-1])
    delta = a.copy()
    delta[np.arange(len(y)), y] -= 1
    delta /= len(y)
    grads = []
    for i in reversed(range(len(pairs))):
        grads[:0] = [inputs[i].T @ delta, delta.sum(axis=0)]
        if i:
            delta = (delta @ pairs[i][0].T) * (zs[i - 1] > 0)
    return cross_entropy(a, y), grads


def _update(kind, lr, weights, grads):
    if kind == "RMSprop":  # Keras' first RMSprop step: velocity = (1 - rho) g², rho = 0.9, epsilon = 1e-7
        return [w - lr * g / np.sqrt(0.1 * g * g + 1e-7) for w, g in zip(weights, grads, strict=True)]
    return [w - lr * g for w, g in zip(weights, grads, strict=True)]


def _judge_train_step(d, inputs):
    for name, case in inputs.items():
        kind = TRAIN_STEP_CASES[name][0]
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
            KERNEL["q1"],
            title="Preprocess the images",
            points=1,
            judge=_judge_prepare,
            draw=_draw_images,
            hints=[
                "Each 28x28 image becomes one row of 784 numbers: reshape with -1 or 784.",
                "Convert to float32 before dividing by 255.",
            ],
        ),
        Question(
            KERNEL["q2"],
            title="The network",
            points=1,
            judge=_judge_network,
            draw=_draw_network,
            hints=[
                "keras.Sequential takes a list of two Dense layers.",
                "512 relu units, then one softmax unit per digit.",
            ],
        ),
        Question(
            KERNEL["q3"],
            title="Compile",
            points=1,
            judge=_judge_compile,
            draw=_draw_predictions,
            hints=[
                "model.compile(optimizer=..., loss=..., metrics=[...]).",
                "The labels are integers, so the loss name starts with 'sparse_'.",
            ],
        ),
        Question(
            KERNEL["q4"],
            title="Test accuracy",
            points=2,
            judge=_judge_accuracy,
            draw=_draw_held_out,
            hints=[
                "Train with model.fit on the prepared training images.",
                "If accuracy stays near 10%, look at the preprocessing and the loss.",
            ],
        ),
        Question(
            KERNEL["q5"],
            title="A hand-written training step",
            points=3,
            judge=_judge_train_step,
            draw=_draw_steps,
            hints=[
                "Under a GradientTape: predictions = model(x, training=True), then the loss.",
                "tape.gradient(loss, model.trainable_weights), then optimizer.apply_gradients(zip(...)).",
                "Return the loss you computed before the update.",
            ],
        ),
    ],
)
