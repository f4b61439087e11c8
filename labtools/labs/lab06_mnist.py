"""Lab 06 - A first neural network: questions, points, hints and judges (the kernel side
of its checks is :mod:`labtools.kernel.lab06_mnist`).

Every check draws its own inputs (see :mod:`labtools.checking`) and judges what the answer does
with them: ``prepare`` on fresh batches of images of two sizes, the network on a batch with the
judge's random weights, the compiled loss and metrics on two batches of predictions of different
sizes and accuracies (one metric must compute the accuracy of both; at most four metrics), the
student's own ``fit`` (Exercise 4) and ``train_step`` on three small models whose weights, data
and learning rates the judge chose.

Exercise 4 is judged by what the student's ``fit`` did, right after it ran (no later cell of the
notebook trains ``model``): the History it returned (the epochs, the validation results of every
epoch on the lab's validation part, the steps per epoch that the training part in batches of 128
takes), validation results of the last epoch that the trained weights reproduce on the judge's
own copy of the validation images, and the accuracy of those weights on MNIST images the
notebook never loaded. The kernel sends the two Dense layers' kernels and biases, and the judge
computes ``relu(x W1 + b1) W2 + b2`` itself. ``load_mnist(hold_out=True)`` keeps the held-out
images back, and while a notebook is graded its kernel cannot read them at all (their file is
hidden by the sandbox), so neither the model's ``predict`` nor anything else in the kernel can
answer from their labels.
"""

from __future__ import annotations

import functools

import numpy as np

from ..checking import Fail, Lab, NotAttempted, Question
from ..judging import expect_close, expect_shape
from ..kernel.lab06_mnist import DENSE_SHAPES, DENSE_UNITS, TRAIN_STEP_CASES, network_weights
from ..kernel.lab06_mnist import EXERCISES as KERNEL
from ..reference import FIRST_STEPS, cross_entropy, relu, softmax
from ..training_step import StepCase, judge_returned_loss, judge_weights
from ..written import Criterion, Written

# Accuracy the model trained by Exercise 4's own fit must reach on the held-out images, by
# setting: far below what that fit reaches and far above the known mistakes that get this far
# (labels shuffled: 4-18%; 30 images: 31-41%). Fast mode (CI and the grader: 2,100 training
# images, 3 epochs) measured 87.9-89.8% over 8 seeds; full settings on the bundled subset (5,600
# images, 5 epochs) 92.5-93.5% over 5 seeds; full settings on full MNIST (41,300 images, 5 epochs)
# reach about 97-98%.
THRESHOLDS = {"fast": 0.75, "subset": 0.85, "full": 0.92}


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
        f"the loss {what} integer labels and 10 probabilities per image; pick the cross-entropy for integer "
        "class labels"
    )


def _judge_compile(d, inputs):
    if d["optimizer"] != "RMSprop":
        raise Fail(f"the optimiser is {d['optimizer']}; the lab uses keras.optimizers.RMSprop")
    if d.get("loss_weights_not_numbers"):
        raise Fail(
            f"model.compile got {d['loss_weights_not_numbers'][0]!r} as loss_weights (its third positional "
            "argument), not as metrics; name the argument"
        )
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


# q4 -- the student's own training: what fit recorded, and the accuracy on images never loaded -----

# Epochs the notebook's `epochs` holds, by setting (labtools.pick(fast=3, full=5)).
EPOCHS = {"fast": 3, "subset": 5, "full": 5}
BATCH_SIZE = 128
VALIDATION_SHARE = 0.3  # the notebook's split: a shuffled 30% of the training images to validate on
SAME_IMAGES = 2  # images by which a recomputed validation accuracy may differ from Keras' (rounding)


def _draw_held_out(rng) -> dict:
    """The order of the held-out images (the judge loads them itself: never the images or labels)."""
    from ..datasets import HELD_OUT

    return {"index": rng.permutation(HELD_OUT)}


def _lab_network(d) -> None:
    """Fail saying how the model differs from the network of Exercise 2, if it does."""
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
    if reason:
        raise Fail(
            f"model is not the network of Exercise 2 ({reason}); the check measures Dense(512, relu) then "
            "Dense(10, softmax), trained"
        )


def _trained_weights(d) -> list[tuple[np.ndarray, np.ndarray]]:
    """The kernels and biases of the trained network (of Exercise 2's shapes, all finite)."""
    if not d["weights"]:
        raise NotAttempted("model has not been trained yet: do Exercise 4 (model.fit)")
    weights = [(np.asarray(W, "float32"), np.asarray(b, "float32")) for W, b in d["weights"]]
    for i, ((W, b), shape) in enumerate(zip(weights, DENSE_SHAPES, strict=True), start=1):
        if W.shape != shape or b.shape != shape[1:]:
            raise Fail(
                f"model is not the network of Exercise 2 (layer {i}'s kernel has shape {W.shape}, not {shape}); "
                "the check measures that network, trained"
            )
    if not all(np.all(np.isfinite(a)) for pair in weights for a in pair):
        raise Fail("the model's weights are not all finite numbers; training diverged - check the preprocessing")
    return weights


def _logits(weights, x) -> np.ndarray:
    (W1, b1), (W2, b2) = weights
    return (np.maximum(x @ W1 + b1, 0.0) @ W2 + b2).astype("float64")


def _losses(z: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """The mean cross-entropy as Keras computes it: from the logits under a softmax layer, or from
    probabilities clipped to [1e-7, 1 - 1e-7] (a softmax Keras cannot see through)."""
    top = z.max(axis=1, keepdims=True)
    log_p = z - top - np.log(np.exp(z - top).sum(axis=1, keepdims=True))
    picked = log_p[np.arange(len(labels)), labels]
    return float(-np.mean(picked)), float(-np.mean(np.log(np.clip(np.exp(picked), 1e-7, 1 - 1e-7))))


@functools.lru_cache(maxsize=2)
def _training_images(setting: str):
    """The notebook's training images and labels in ``setting`` (``load_mnist(hold_out=True)``
    and ``n_train``), or None when this machine does not have them."""
    from ..datasets import load_mnist
    from ..kernel.settings import keras_mnist_cache

    if setting == "full" and not keras_mnist_cache().exists():  # no download from inside a check
        return None
    try:
        (x, y), _ = load_mnist("full" if setting == "full" else "subset", hold_out=True, verbose=False)
    except Exception:  # noqa: BLE001 - no copy of the full data set here: the check does without
        return None
    n_train = 3000 if setting == "fast" else len(x)
    return x[:n_train], y[:n_train]


def _split(n_train: int) -> tuple[np.ndarray, np.ndarray]:
    """The notebook's ``val_idx, fit_idx``: the same shuffled split, made the same way."""
    order = np.random.default_rng(0).permutation(n_train)
    n_val = int(VALIDATION_SHARE * n_train)
    return order[:n_val], order[n_val:]


def _validation_fits(weights, images, labels, val_loss, val_accuracy, check_loss: bool) -> bool:
    """True when ``fit``'s last validation results are those of these weights on these images."""
    z = _logits(weights, images.reshape(len(images), 784).astype("float32"))
    correct = int(np.sum(z.argmax(axis=1) == labels))
    if abs(correct - val_accuracy * len(labels)) > SAME_IMAGES:
        return False
    return not check_loss or any(np.isclose(loss, val_loss, rtol=2e-4) for loss in _losses(z, labels))


def _judge_record(d, setting: str) -> tuple | None:
    """What fit recorded: the epochs, validation results on the lab's validation part and the
    training part in batches of 128. Returns the validation images, their labels and the last
    validation loss and accuracy (None where this machine lacks the data set)."""
    h = d["history"]
    if h is None:
        if not d.get("steps"):
            raise NotAttempted("model has not been trained yet: do Exercise 4 (model.fit)")
        raise Fail(f"history is None, but the model took {d['steps']} training steps; keep what model.fit returns")
    if not h["same_model"]:
        raise Fail("history is the record of another model's fit; keep what model.fit returns when it trains `model`")
    want_epochs = EPOCHS[setting]
    if h["epochs_run"] != want_epochs:
        raise Fail(
            f"fit ran {_plural(h['epochs_run'], 'epoch')}; the exercise trains for `epochs` epochs "
            f"({want_epochs} in the {setting} setting)"
        )
    logs = h["logs"]
    named = ("val_accuracy", "val_acc", "val_sparse_categorical_accuracy")
    accuracy_keys = [k for k in named if k in logs] + [
        k for k in logs if k.startswith("val_") and "acc" in k and "top" not in k and k not in named
    ]
    if "val_loss" not in logs:
        raise Fail("history has no validation results; pass the lab's validation part to fit as validation_data")
    if not accuracy_keys:
        raise Fail("history has no validation accuracy; compile the model with the accuracy metric (Exercise 3)")
    data = _training_images(setting)
    if data is None:  # the full data set is not on this machine: judge what can be judged
        return None
    x, y = data
    val_idx, fit_idx = _split(len(x))
    val_accuracy = np.asarray(logs[accuracy_keys[0]], dtype="float64")
    counts = val_accuracy * len(val_idx)
    if np.any(np.abs(counts - np.round(counts)) > 1e-3 * max(1, len(val_idx) / 1000)):
        raise Fail(
            f"the validation results are not on the {len(val_idx):,} images of x_train[val_idx]; pass the "
            "lab's validation part as validation_data"
        )
    steps = h["steps"]
    want_steps = -(-len(fit_idx) // BATCH_SIZE)
    if steps is not None and steps != want_steps:
        if steps == -(-len(x) // BATCH_SIZE):
            why = "fit trained on all of x_train, validation part included"
        elif steps == -(-len(val_idx) // BATCH_SIZE):
            why = "fit trained on the validation part"
        elif steps == -(-len(fit_idx) // 32):
            why = "fit used batches of 32, its default"
        else:
            why = f"fit took {_plural(steps, 'step')} per epoch"
        raise Fail(f"{why}; train on the {len(fit_idx):,} images of x_train[fit_idx] in mini-batches of {BATCH_SIZE}")
    return x[val_idx].astype("float32") / 255.0, y[val_idx], float(logs["val_loss"][-1]), float(val_accuracy[-1])


def _judge_validation(d, weights, validation) -> None:
    """The last epoch's validation results must be what the trained weights give on the lab's
    validation part (Keras validates with the final weights after the last epoch)."""
    images, labels, val_loss, last = validation
    check_loss = d.get("loss_name") == "sparsecategoricalcrossentropy"
    if _validation_fits(weights, images, labels, val_loss, last, check_loss):
        return
    if _validation_fits(weights, images * 255.0, labels, val_loss, last, check_loss):
        raise Fail(
            "history's validation results are those of pixels from 0 to 255: check the preprocessing "
            "(Exercise 1) and train on the prepared images"
        )
    raise Fail(
        "history's validation results are not those of the trained model on x_train[val_idx]; pass the "
        "lab's validation part as validation_data"
    )


def _judge_training(d, inputs):
    from ..datasets import mnist_held_out

    _lab_network(d)
    setting = d["setting"] if d["setting"] in THRESHOLDS else "full"
    validation = _judge_record(d, setting)
    weights = _trained_weights(d)
    if validation is not None:
        _judge_validation(d, weights, validation)
    images, labels = (a[inputs["index"]] for a in mnist_held_out())
    x = images.reshape(len(images), 784).astype("float32") / 255.0
    predicted = _logits(weights, x).argmax(axis=1)  # softmax keeps the order
    need, accuracy = THRESHOLDS[setting], float(np.mean(predicted == labels))
    if not accuracy >= need:
        raise Fail(
            f"accuracy on {len(labels):,} images the notebook never loaded is {accuracy:.1%}; it should "
            f"reach {need:.0%} ({setting} setting): check the training labels and the preprocessing"
        )


# q5 -- one step of a hand-written training loop, redone in NumPy --------------------------------


def _draw_steps(rng) -> dict:
    cases = {}
    for name, setting in TRAIN_STEP_CASES.items():
        hidden, (low, high) = setting.hidden, setting.learning_rates
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


def _judge_train_step(d, inputs):
    for name, case in inputs.items():
        kind = TRAIN_STEP_CASES[name].optimizer
        got = d[name]
        x, y = case["x"].astype("float64"), case["y"].astype(int)
        before = [w.astype("float64") for w in case["weights"]]
        loss, grads = _loss_and_gradients(x, y, before)
        step = StepCase(
            name=f"the {name}",
            optimizer=kind,
            lr=case["lr"],
            before=before,
            grads=grads,
            weight_names=[f"the {('kernel', 'bias')[i % 2]} of layer {i // 2 + 1}" for i in range(len(before))],
            count=len(y),
            after=lambda lr, before=before, grads=grads, kind=kind: [
                [FIRST_STEPS[kind](w, g, lr) for w, g in zip(before, grads, strict=True)]
            ],
        )
        after = step.after(step.lr)[0]
        judge_returned_loss(
            got["loss"],
            step,
            loss,
            [_loss_and_gradients(x, y, after)[0]],
            f"a batch of {len(y)}",
            advice="use sparse categorical cross-entropy",
        )
        judge_weights(got["weights"], step)


LAB = Lab(
    "06",
    [
        Question(
            KERNEL["q1"],
            title="Preprocess the images",
            points=1,
            judge=_judge_prepare,
            draw=_draw_images,
            hints=[
                "Each 28x28 image becomes one row of 784 numbers: reshape with -1 or 784.",
                "The network wants float32 values in [0, 1]: NumPy arrays convert their dtype and reshape "
                "themselves (numpy.org/doc, 'ndarray.astype' and 'ndarray.reshape').",
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
                "Section 3 names the units and the activation of each layer; a Dense layer takes both as "
                "arguments (keras.io/api/layers/core_layers/dense).",
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
                "The table in section 4 pairs integer labels with a loss; keras.io/api/losses lists the names "
                "compile accepts, and keras.io/api/metrics the metrics.",
            ],
        ),
        Question(
            KERNEL["q4"],
            title="Training with fit",
            points=2,
            judge=_judge_training,
            draw=_draw_held_out,
            hints=[
                "Train with model.fit on the training part, for `epochs` epochs in batches of 128, and keep what "
                "it returns.",
                "fit validates on the data given as validation_data at the end of every epoch; the History it "
                "returns records each epoch (keras.io/api/models/model_training_apis, 'fit').",
            ],
        ),
        Question(
            KERNEL["q5"],
            title="A hand-written training step",
            points=3,
            judge=_judge_train_step,
            draw=_draw_steps,
            hints=[
                "Under a GradientTape: run the model on x in training mode, then compute the loss.",
                "The tape gives one gradient per trainable weight, and the optimiser applies (gradient, weight) pairs.",
                "Return the loss computed before the update; the Keras guide 'Writing a training loop from "
                "scratch in TensorFlow' (keras.io/guides) walks through one step.",
            ],
        ),
        Written(
            KERNEL["q6"],
            title="Overfitting and the validation split",
            points=2,
            rubric=[
                Criterion(
                    "overfitting: the model learns the training images (noise included) so training loss keeps "
                    "falling while held-out loss rises",
                    1,
                ),
                Criterion(
                    "the validation split is data the model never trains on, so its loss and accuracy show when to "
                    "stop or change the model",
                    1,
                ),
            ],
        ),
    ],
)
