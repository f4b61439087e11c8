"""Lab 06 - A first neural network on MNIST: questions, points, hints and checks."""
from __future__ import annotations

import numpy as np

from ..checking import Fail, Lab, NotAttempted, Question, does_nothing, expect_close

# Test accuracy the trained model must reach on labtools' own test images, by setting.
THRESHOLDS = {"fast": 0.85, "subset": 0.94, "full": 0.97}


def _name(obj) -> str:
    """A loss/metric/optimiser given as a string or an object, reduced to e.g. 'sparsecategoricalcrossentropy'."""
    if isinstance(obj, dict):  # a serialised Keras object
        obj = obj.get("class_name", "")
    if not isinstance(obj, str):
        fn = getattr(obj, "fn", None)
        obj = getattr(fn, "__name__", None) or getattr(obj, "__name__", None) or type(obj).__name__
    return obj.replace("_", "").lower()


# q1 -- preprocessing ----------------------------------------------------------------------------

def _extract_prepare(prepare):
    images = np.random.default_rng(6).integers(0, 256, size=(7, 28, 28), dtype=np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255  # make sure both ends of the range occur
    out = prepare(images.copy())
    if out is None:
        if does_nothing(prepare):
            raise NotAttempted("prepare is still the placeholder")
        raise Fail("prepare returns None; return the prepared array")
    out = np.asarray(out)
    return {"images": images, "out": out, "dtype": out.dtype.name}


def _judge_prepare(d):
    out, images = d["out"], d["images"]
    if out.shape != (7, 784):
        raise Fail(f"prepare turns 7 images of 28x28 into shape {out.shape}; it should be (7, 784), "
                   "one row of pixels per image")
    if d["dtype"] != "float32":
        raise Fail(f"the prepared pixels have dtype {d['dtype']}; the network wants float32")
    if out.max() > 1.0 + 1e-6:
        raise Fail(f"the pixels go up to {out.max():g}; scale them into [0, 1]")
    expect_close("the prepared pixels", out, images.reshape(7, 784) / 255.0, atol=1e-6)


# q2 -- the architecture -------------------------------------------------------------------------

def _extract_model(model):
    import keras

    if not isinstance(model, keras.Model):
        raise Fail(f"model is a {type(model).__name__}; build it with keras.Sequential([...])")
    layers = [l for l in model.layers if not isinstance(l, keras.layers.InputLayer)]
    return {"layers": [{"kind": type(l).__name__, "units": getattr(l, "units", None),
                        "activation": getattr(getattr(l, "activation", None), "__name__", None)}
                       for l in layers]}


def _judge_model(d):
    layers = d["layers"]
    if len(layers) != 2:
        raise Fail(f"model has {len(layers)} layers; the network has two Dense layers")
    for i, (layer, units, act) in enumerate(zip(layers, (512, 10), ("relu", "softmax")), start=1):
        if layer["kind"] != "Dense":
            raise Fail(f"layer {i} is a {layer['kind']}; both layers are Dense")
        if layer["units"] != units:
            raise Fail(f"layer {i} has {layer['units']} units; re-read the architecture")
        if layer["activation"] != act:
            raise Fail(f"layer {i} uses {layer['activation']}; re-read which activation it needs")


# q3 -- compile settings -------------------------------------------------------------------------

def _extract_compile(model):
    import keras

    if not isinstance(model, keras.Model):
        raise Fail(f"model is a {type(model).__name__}, not a Keras model")
    if not getattr(model, "compiled", False):
        raise NotAttempted("model is not compiled yet; call model.compile(...)")
    config = model.get_compile_config() or {}
    metrics = config.get("metrics") or []
    return {"optimizer": _name(type(model.optimizer).__name__), "loss": _name(model.loss),
            "metrics": [_name(m) for m in (metrics if isinstance(metrics, list) else [metrics])]}


def _judge_compile(d):
    if d["optimizer"] != "rmsprop":
        raise Fail(f"the optimiser is {d['optimizer']}; the lab uses RMSprop")
    if d["loss"] == "categoricalcrossentropy":
        raise Fail("categorical cross-entropy wants one-hot labels; the labels here are integers 0-9")
    if d["loss"] != "sparsecategoricalcrossentropy":
        raise Fail(f"the loss is {d['loss']}; pick the cross-entropy for integer class labels")
    if not any(m in ("accuracy", "acc", "sparsecategoricalaccuracy") for m in d["metrics"]):
        raise Fail("the model does not report accuracy; add it to metrics")


# q4 -- test accuracy ----------------------------------------------------------------------------

def _extract_accuracy(model):
    """Evaluate on labtools' own copy of the test images, not on the notebook's variables."""
    import keras

    from ..datasets import load_mnist
    from ..runtime import fast_mode

    if not isinstance(model, keras.Model):
        raise Fail(f"model is a {type(model).__name__}, not a Keras model")
    if not model.built or not model.weights:
        raise NotAttempted("model has not been trained yet")
    (x_train, _), (x_test, y_test) = load_mnist(verbose=False)
    probs = np.asarray(model.predict(x_test.reshape(len(x_test), 784).astype("float32") / 255.0,
                                     batch_size=500, verbose=0))
    if probs.shape != (len(x_test), 10):
        raise Fail(f"the model's predictions have shape {probs.shape}; expected one row of 10 "
                   "probabilities per image")
    setting = "fast" if fast_mode() else ("full" if len(x_train) > 10000 else "subset")
    return {"accuracy": float(np.mean(probs.argmax(axis=1) == y_test)), "setting": setting}


def _judge_accuracy(d):
    need = THRESHOLDS.get(d["setting"], THRESHOLDS["full"])
    if not d["accuracy"] >= need:
        raise Fail(f"test accuracy is {d['accuracy']:.1%}; it should reach {need:.0%} "
                   f"({d['setting']} setting) - train longer, or check the preprocessing")


# q5 -- one step of a hand-written training loop -------------------------------------------------

def _extract_train_step(train_step):
    """Run the student's step on a tiny softmax-regression model; the judge redoes it in NumPy."""
    import keras
    import tensorflow as tf

    rng = np.random.default_rng(7)
    x = rng.normal(size=(6, 5)).astype("float32")
    y = rng.integers(0, 3, size=6).astype("int32")
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, activation="softmax")])
    W0, b0 = (w.numpy().copy() for w in model.weights)
    loss = train_step(model, keras.optimizers.SGD(learning_rate=0.5), tf.constant(x), tf.constant(y))
    if loss is None:
        if does_nothing(train_step):
            raise NotAttempted("train_step is still the placeholder")
        raise Fail("train_step returns None; return the batch's loss")
    W1, b1 = (w.numpy() for w in model.weights)
    return {"x": x, "y": y, "W0": W0, "b0": b0, "W1": W1, "b1": b1, "loss": float(np.asarray(loss))}


def _judge_train_step(d):
    x, y, W0, b0 = d["x"], d["y"], d["W0"], d["b0"]
    z = x @ W0 + b0
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(p[np.arange(len(y)), y]))
    if not np.isclose(d["loss"], loss, rtol=1e-3):
        raise Fail(f"the returned loss is {d['loss']:.4f}; it should be the mean sparse categorical "
                   "cross-entropy of the batch before the update")
    if np.allclose(d["W1"], W0) and np.allclose(d["b1"], b0):
        raise Fail("the weights did not change; apply the gradients with the optimiser")
    err = p.copy()
    err[np.arange(len(y)), y] -= 1
    err /= len(y)
    W_want, b_want = W0 - 0.5 * x.T @ err, b0 - 0.5 * err.sum(axis=0)
    if np.allclose(d["W1"], W0 + 0.5 * x.T @ err, atol=1e-4):
        raise Fail("the weights moved uphill; the optimiser subtracts the gradient for you")
    expect_close("the weights after one step", d["W1"], W_want, atol=1e-4)
    expect_close("the biases after one step", d["b1"], b_want, atol=1e-4)


LAB = Lab("06", "A first neural network on MNIST", [
    Question("q1", "Preprocess the images", 1, ["prepare"], _extract_prepare, _judge_prepare,
             hints=["Each 28x28 image becomes one row of 784 numbers: reshape with -1 or 784.",
                    "Convert to float32 before dividing by 255."]),
    Question("q2", "The network", 1, ["model"], _extract_model, _judge_model,
             hints=["keras.Sequential takes a list of two Dense layers.",
                    "512 relu units, then one softmax unit per digit."]),
    Question("q3", "Compile", 1, ["model"], _extract_compile, _judge_compile,
             hints=["model.compile(optimizer=..., loss=..., metrics=[...]).",
                    "The labels are integers, so the loss name starts with 'sparse_'."]),
    Question("q4", "Test accuracy", 2, ["model"], _extract_accuracy, _judge_accuracy,
             hints=["Train with model.fit on the prepared training images.",
                    "If accuracy stays near 10%, look at the preprocessing and the loss."]),
    Question("q5", "A hand-written training step", 3, ["train_step"], _extract_train_step,
             _judge_train_step,
             hints=["Under a GradientTape: predictions = model(x, training=True), then the loss.",
                    "tape.gradient(loss, model.trainable_weights), then optimizer.apply_gradients(zip(...)).",
                    "Return the loss you computed before the update."]),
])
