"""Lab 03 - Layers: questions, points, hints and checks.

Layer checks compute the expected output from the student's own weights, so they do not depend
on how a TensorFlow/Keras version seeds its initialisers.
"""
from __future__ import annotations

import numpy as np

from ..checking import Fail, Lab, NotAttempted, Question, expect_close


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _activation_name(layer) -> str:
    act = getattr(layer, "activation", None)
    return getattr(act, "__name__", str(act))


# q1 -- a Dense layer and its arguments ----------------------------------------------------------

def _extract_dense(layer):
    import keras

    if not isinstance(layer, keras.layers.Dense):
        raise Fail(f"dense is a {type(layer).__name__}; make it with keras.layers.Dense(...)")
    return {"units": int(layer.units), "activation": _activation_name(layer),
            "use_bias": bool(layer.use_bias)}


def _judge_dense(d):
    if d["units"] != 32:
        raise Fail(f"dense has {d['units']} units; the exercise asks for 32")
    if d["activation"] != "relu":
        raise Fail(f"dense uses the {d['activation']} activation; set activation='relu'")
    if d["use_bias"]:
        raise Fail("dense still has a bias; one argument switches it off")


# q2 -- a custom layer ---------------------------------------------------------------------------

def _extract_custom_layer(layer_class):
    import keras
    import tensorflow as tf

    if not (isinstance(layer_class, type) and issubclass(layer_class, keras.layers.Layer)):
        raise Fail("OurDenseLayer must be a class that subclasses keras.layers.Layer")
    layer = layer_class(3)
    x = tf.constant(np.random.default_rng(3).normal(size=(4, 2)), tf.float32)
    y = layer(x)
    if y is None:
        raise NotAttempted("OurDenseLayer.call still returns None")
    weights = [w.numpy() for w in layer.trainable_weights]
    shapes = [list(w.shape) for w in weights]
    return {"x": x.numpy(), "y": np.asarray(y), "shapes": shapes, "weights": weights}


def _judge_custom_layer(d):
    shapes = [tuple(s) for s in d["shapes"]]
    if len(shapes) != 2:
        raise Fail(f"the layer has {len(shapes)} trainable weight(s); build() should add two: W and b")
    W, b = d["weights"] if len(shapes[0]) == 2 else d["weights"][::-1]
    if W.shape != (2, 3):
        raise Fail(f"W has shape {W.shape}; for 2 input features and 3 units it should be (2, 3) - "
                   "take the input size from input_shape[-1] in build()")
    if b.size != 3:
        raise Fail(f"b has {b.size} elements; it needs one per unit (3)")
    expected = _sigmoid(d["x"] @ W + b.reshape(-1))
    y = np.asarray(d["y"])
    if y.shape != expected.shape:
        raise Fail(f"the layer's output has shape {y.shape}; for a batch of 4 and 3 units it "
                   f"should be {expected.shape}")
    if np.allclose(y, d["x"] @ W + b.reshape(-1), atol=1e-5):
        raise Fail("the output is x·W + b without the activation; apply the sigmoid")
    expect_close("the output", y, expected, atol=1e-5)


# q3 -- a Sequential model -----------------------------------------------------------------------

def _extract_sequential(model):
    import keras

    if not isinstance(model, keras.Sequential):
        raise Fail(f"model is a {type(model).__name__}; build it with keras.Sequential")
    return {"layers": [{"kind": type(l).__name__, "units": getattr(l, "units", None),
                        "activation": _activation_name(l)} for l in model.layers]}


def _judge_sequential(d):
    layers = d["layers"]
    if len(layers) != 2:
        raise Fail(f"model has {len(layers)} layer(s); the exercise asks for two Dense layers")
    want = [(64, "relu"), (10, "softmax")]
    for i, (layer, (units, act)) in enumerate(zip(layers, want), start=1):
        if layer["kind"] != "Dense":
            raise Fail(f"layer {i} is a {layer['kind']}; both layers are Dense")
        if layer["units"] != units:
            raise Fail(f"layer {i} has {layer['units']} units; re-read how many it needs")
        if layer["activation"] != act:
            raise Fail(f"layer {i} uses the {layer['activation']} activation; re-read which one it needs")


# q4 -- shape inference and parameter counts ----------------------------------------------------

def _extract_count(n_params):
    try:
        return {"n": int(n_params)}
    except (TypeError, ValueError):
        raise Fail(f"n_params is a {type(n_params).__name__}; it should be a whole number") from None


def _judge_count(d):
    weights_only = 784 * 64 + 64 * 10
    if d["n"] == weights_only:
        raise Fail("that counts the kernels only; each unit also has a bias")
    if d["n"] != 784 * 64 + 64 + 64 * 10 + 10:
        raise Fail(f"{d['n']} is not the number of parameters; count a kernel of "
                   "(inputs x units) plus one bias per unit, for each layer")


# q5 -- a dense layer by hand --------------------------------------------------------------------

def _extract_naive_dense(fn):
    import tensorflow as tf

    rng = np.random.default_rng(5)
    cases = []
    for n, i, u in [(3, 4, 2), (5, 2, 6)]:
        x, W, b = (rng.normal(size=s).astype("float32") for s in [(n, i), (i, u), (u,)])
        out = fn(tf.constant(x), tf.constant(W), tf.constant(b))
        if out is None:
            raise NotAttempted("naive_dense still returns None")
        cases.append({"x": x, "W": W, "b": b, "out": np.asarray(out)})
    return {"cases": cases}


def _judge_naive_dense(d):
    for c in d["cases"]:
        z = c["x"] @ c["W"] + c["b"]
        out = c["out"]
        if out.shape != z.shape:
            raise Fail(f"for a batch of {z.shape[0]} and {z.shape[1]} units the output should have "
                       f"shape {z.shape}, not {out.shape}")
        if np.allclose(out, z, atol=1e-4):
            raise Fail("the output is x·W + b; the layer also applies relu")
        expect_close("naive_dense's output", out, np.maximum(z, 0), atol=1e-4)


LAB = Lab("03", "Layers", [
    Question("q1", "A Dense layer and its arguments", 1, ["dense"], _extract_dense, _judge_dense,
             hints=["Look at the arguments of keras.layers.Dense: units, activation, use_bias, ...",
                    "use_bias=False drops the bias."]),
    Question("q2", "A custom layer", 3, ["OurDenseLayer"], _extract_custom_layer, _judge_custom_layer,
             hints=["build() creates the weights with self.add_weight(shape=...), call() uses them.",
                    "W has shape (input features, units) and b has shape (units,) or (1, units).",
                    "call() multiplies the inputs by W with tf.matmul, adds b and squashes the result."]),
    Question("q3", "A Sequential model", 1, ["model"], _extract_sequential, _judge_sequential,
             hints=["keras.Sequential([...]) takes a list of layers.",
                    "The first layer has 64 units and relu, the last one softmax over 10 classes."]),
    Question("q4", "Counting parameters", 1, ["n_params"], _extract_count, _judge_count,
             hints=["A Dense layer with i inputs and u units has i*u kernel entries and u biases.",
                    "Add both layers: the second one has 64 inputs."]),
    Question("q5", "A dense layer by hand", 2, ["naive_dense"], _extract_naive_dense, _judge_naive_dense,
             hints=["tf.matmul, then add the bias (it broadcasts over the batch), then tf.nn.relu.",
                    "Activation last: relu is applied to the whole affine result."]),
])
