"""Lab 03 - Layers: questions, points, hints and checks.

Layers are judged by what they compute on the judge's own inputs: a custom layer is built with
several unit counts and input sizes, its kernel and bias (found by shape) get the judge's random
values, and its output is compared with sigmoid(x W + b) computed from those values.
Activations are told apart by what they do, so "relu", tf.nn.relu and keras.layers.ReLU() are
the same answer.
"""

from __future__ import annotations

import numpy as np

from ..checking import Fail, Lab, NotAttempted, Question, does_nothing, expect_close, expect_shape
from ..judging import (
    activation_name,
    call,
    dense_cases,
    describe,
    draw_dense_cases,
    expect_dense_outputs,
    expect_float_dtype,
    kernel_and_bias,
    model_copy,
    probe_dense,
    run_layer,
    set_random_weights,
    tensor_facts,
)


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _relu(z):
    return np.maximum(z, 0.0)


# q1 -- a Dense layer and its arguments ----------------------------------------------------------


def _extract_dense(layer):
    import keras

    if isinstance(layer, type):
        raise Fail("dense is a class, not a layer; create one by calling keras.layers.Dense(...)")
    if not isinstance(layer, keras.layers.Dense):
        raise Fail(f"dense is {describe(layer)}; make it with keras.layers.Dense(...)")
    return {
        "units": int(layer.units),
        "activation": activation_name(layer.activation),
        "use_bias": bool(layer.use_bias),
    }


def _judge_dense(d):
    if d["units"] != 32:
        raise Fail(f"dense has {d['units']} units; re-read how many the exercise asks for")
    if d["activation"] != "relu":
        raise Fail(f"dense uses the {d['activation']} activation; re-read which one the exercise asks for")
    if d["use_bias"]:
        raise Fail("dense still has a bias; one argument switches it off")


# q2 -- a custom layer, probed with two unit counts and input sizes -----------------------------


def _extract_custom_layer(layer_class, given):
    import keras

    if not (isinstance(layer_class, type) and issubclass(layer_class, keras.layers.Layer)):
        raise Fail("OurDenseLayer must be a class that subclasses keras.layers.Layer")
    if does_nothing(getattr(layer_class, "call", None)):
        raise NotAttempted("OurDenseLayer.call is still the placeholder")
    outputs = []
    for units, x, W, b in dense_cases(given):
        layer = call(layer_class, "OurDenseLayer", units)
        outputs.append(
            probe_dense(
                layer,
                f"OurDenseLayer({units})",
                x,
                W,
                b,
                no_weights="has no trainable weights after a call; build() should "
                "create W and b with self.add_weight(...)",
            )
        )
    return {"outputs": outputs}


def _judge_custom_layer(d, inputs):
    expect_dense_outputs(d["outputs"], inputs, "OurDenseLayer({units})")


# q3 -- a Sequential model -----------------------------------------------------------------------

_ACTIVATION_LAYERS = ("Activation", "ReLU", "Softmax")
_SKIPPED = ("InputLayer", "Flatten")  # no computation on a batch of flat inputs


def _draw_stack(rng) -> dict:
    return {"seed": int(rng.integers(2**31)), "n_in": int(rng.integers(5, 40))}


def _stack_arrays(seed: int, shape_in: tuple) -> tuple:
    """x (6 rows of ``shape_in``), W1, b1, W2, b2 of a 64-relu / 10-softmax stack, from ``seed``."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape_in))
    x = rng.standard_normal((6, *shape_in)).astype("float32")
    W1 = (rng.standard_normal((n, 64)) / np.sqrt(n)).astype("float32")
    b1 = (0.5 * rng.standard_normal(64)).astype("float32")
    W2 = (0.5 * rng.standard_normal((64, 10))).astype("float32")
    b2 = (0.5 * rng.standard_normal(10)).astype("float32")
    return x, W1, b1, W2, b2


def _layer_facts(model) -> list[dict]:
    """The model's computing layers in order; an activation layer after a linear Dense is folded into it."""
    import keras

    facts: list[dict] = []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind in _SKIPPED:
            continue
        if (
            kind in _ACTIVATION_LAYERS
            and facts
            and facts[-1]["kind"] == "Dense"
            and facts[-1]["activation"] == "linear"
        ):
            facts[-1]["activation"] = activation_name(layer)
            continue
        if isinstance(layer, keras.layers.Dense):
            facts.append({"kind": "Dense", "units": int(layer.units), "activation": activation_name(layer.activation)})
        else:
            facts.append({"kind": kind})
    return facts


def _run_stack(model, seed: int, n_in: int):
    """A copy of the model with the judge's weights, run on the judge's x: (input shape, output)."""
    import warnings

    import keras

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with model_copy(model) as target:
            if not target.built:
                target.build((None, n_in))
            shape_in = tuple(int(n) for n in target.inputs[0].shape[1:])
            x, W1, b1, W2, b2 = _stack_arrays(seed, shape_in)
            set_random_weights(target, np.random.default_rng(seed))
            dense = [layer for layer in target.layers if isinstance(layer, keras.layers.Dense)]
            # strict=False: a model with more or fewer Dense layers is probed all the same; the judge says why
            for layer, W, b in zip(dense, (W1, W2), (b1, b2), strict=False):
                weights = list(layer.trainable_weights)
                k, bias = kernel_and_bias([tuple(w.shape) for w in weights], *W.shape)
                weights[k].assign(W)
                if bias is not None:
                    weights[bias].assign(b.reshape(tuple(weights[bias].shape)))
            out = run_layer(target, "model", x)
    return list(shape_in), np.asarray(out)


def _extract_sequential(model, given):
    import keras

    if not isinstance(model, keras.Model):
        raise Fail(f"model is {describe(model)}; build it with keras.Sequential([...])")
    if not isinstance(model, keras.Sequential) and not getattr(model, "inputs", None):
        raise Fail("model is a subclassed keras.Model; build it with keras.Sequential([...])")
    facts = _layer_facts(model)
    if [f.get("units") for f in facts] != [64, 10]:
        return {"layers": facts}  # the judge names the structural problem
    shape_in, out = _run_stack(model, given["seed"], given["n_in"])
    return {"layers": facts, "shape_in": shape_in, "output": out}


def _judge_sequential(d, inputs):
    layers = d["layers"]
    for layer in layers:
        if layer["kind"] != "Dense":
            raise Fail(f"model has a {layer['kind']} layer; the exercise asks for two Dense layers only")
    if len(layers) != 2:
        raise Fail(f"model has {len(layers)} Dense layer(s); the exercise asks for two")
    for i, (layer, (units, act)) in enumerate(zip(layers, [(64, "relu"), (10, "softmax")], strict=True), start=1):
        if layer["units"] != units:
            raise Fail(f"layer {i} has {layer['units']} units; re-read how many it needs")
        if layer["activation"] != act:
            raise Fail(f"layer {i} uses the {layer['activation']} activation; re-read which one it needs")
    x, W1, b1, W2, b2 = (a.astype("float64") for a in _stack_arrays(inputs["seed"], tuple(d["shape_in"])))
    expected = _softmax(_relu(x.reshape(len(x), -1) @ W1 + b1) @ W2 + b2)
    expect_close("the model's output on a batch", d["output"], expected, atol=1e-5)


# q4 -- shape inference and parameter counts ----------------------------------------------------


def _extract_count(n_params):
    import tensorflow as tf

    if isinstance(n_params, (tf.Tensor, tf.Variable)):
        n_params = n_params.numpy()
    if isinstance(n_params, np.ndarray) and n_params.ndim == 0:
        n_params = n_params[()]
    if isinstance(n_params, (bool, np.bool_)) or not isinstance(n_params, (int, np.integer)):
        what = "a float" if isinstance(n_params, (float, np.floating)) else describe(n_params)
        raise Fail(f"n_params is {what}; store the count as a whole number (an int)")
    return {"n": int(n_params)}


def _judge_count(d):
    n = d["n"]
    first, second = 784 * 64 + 64, 64 * 10 + 10
    if n == 784 * 64 + 64 * 10:
        raise Fail("that counts the kernels only; each unit also has a bias")
    if n in (first, second):
        raise Fail("that counts one layer only; add up both layers")
    if n != first + second:
        raise Fail(
            f"{n} is not the number of parameters; count a kernel of (inputs x units) plus "
            "one bias per unit, for each layer"
        )


# q5 -- a dense layer by hand, on fresh shapes and values ----------------------------------------


def _draw_naive(rng) -> dict:
    """Three cases of different shapes; each has outputs on both sides of zero and a bias that
    changes the result, so a missing relu or bias shows."""
    cases = {}
    sizes = rng.permutation(np.arange(2, 8))
    for i in range(3):
        n, k, u = int(rng.integers(2, 6)), int(sizes[2 * i]), int(sizes[2 * i + 1])
        while True:
            x, W, b = (rng.standard_normal(s).astype("float32") for s in ((n, k), (k, u), (u,)))
            z = x @ W + b
            if (z < -0.1).any() and (z > 0.1).any() and not np.allclose(_relu(z), _relu(z - b), atol=1e-3):
                break
        cases.update({f"x{i}": x, f"W{i}": W, f"b{i}": b})
    return cases


def _naive_cases(inputs):
    return [(inputs[f"x{i}"], inputs[f"W{i}"], inputs[f"b{i}"]) for i in range(3)]


def _extract_naive_dense(fn, given):
    import tensorflow as tf

    results = []
    for i, (x, W, b) in enumerate(_naive_cases(given)):
        # the notebook later passes a Keras layer's weights, so one probe uses variables
        wrap = tf.Variable if i == 2 else tf.constant
        out = call(fn, "naive_dense(x, W, b)", tf.constant(x), wrap(W), wrap(b))
        results.append(tensor_facts(out, "naive_dense's output", "use TensorFlow operations"))
    return {"results": results}


def _judge_naive_dense(d, inputs):
    if len(d["results"]) != 3:
        raise Fail("naive_dense was not run on every probe")
    for facts, (x, W, b) in zip(d["results"], _naive_cases(inputs), strict=True):
        z = x.astype("float64") @ W.astype("float64") + b.astype("float64")
        expect_shape(f"naive_dense's output for x of shape {x.shape} and W of shape {W.shape}", facts["shape"], z.shape)
        expect_float_dtype("naive_dense's output", facts["dtype"])
        out = np.asarray(facts["values"], dtype="float64")
        if np.allclose(out, z, atol=1e-4):
            raise Fail("the output is x·W + b; the layer also applies relu")
        if np.allclose(out, _relu(z - b), atol=1e-4):
            raise Fail("the output ignores the bias b; add it before relu")
        expect_close("naive_dense's output", out, _relu(z), atol=1e-4)


# q6 -- two linear layers are one ----------------------------------------------------------------


def _draw_collapse(rng) -> dict:
    """Two stacks of two linear Dense layers, d -> h -> k with d, h, k all different (so a
    transposed or reordered product has the wrong shape) and a bias that matters."""
    cases = {}
    for i in range(2):
        d, h, k = (int(n) for n in rng.permutation(np.arange(2, 8))[:3])
        for name, shape in (("W1", (d, h)), ("b1", (h,)), ("W2", (h, k)), ("b2", (k,))):
            cases[f"{name}_{i}"] = rng.standard_normal(shape).astype("float32")
    return cases


def _collapse_cases(inputs):
    return [tuple(inputs[f"{n}_{i}"] for n in ("W1", "b1", "W2", "b2")) for i in range(2)]


def _array_facts(value, name: str) -> dict:
    """A tensor, variable or NumPy array as plain data."""
    import keras
    import tensorflow as tf

    if isinstance(value, np.ndarray) and value.dtype.kind in "fiu":
        return {"shape": list(value.shape), "dtype": value.dtype.name, "values": value}
    if isinstance(value, keras.Variable):  # a layer's own weight, returned as it is
        value = tf.convert_to_tensor(value)
    return tensor_facts(value, name, "return the kernel and bias as tensors (or NumPy arrays)")


def _extract_collapse(collapse, given):
    import keras

    results = []
    for W1, b1, W2, b2 in _collapse_cases(given):
        first, second = keras.layers.Dense(W1.shape[1]), keras.layers.Dense(W2.shape[1])
        first.build((None, W1.shape[0]))
        second.build((None, W2.shape[0]))
        first.set_weights([W1, b1])
        second.set_weights([W2, b2])
        out = call(collapse, "collapse(first, second)", first, second)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise Fail(f"collapse(first, second) returns {describe(out)}; return two values: (W, b)")
        results.append({"W": _array_facts(out[0], "W"), "b": _array_facts(out[1], "b")})
    return {"results": results}


def _judge_collapse(d, inputs):
    if len(d["results"]) != 2:
        raise Fail("collapse was not run on every probe")
    for got, (W1, b1, W2, b2) in zip(d["results"], _collapse_cases(inputs), strict=True):
        W1, b1, W2, b2 = (a.astype("float64") for a in (W1, b1, W2, b2))
        W, b = np.asarray(got["W"]["values"], dtype="float64"), np.asarray(got["b"]["values"], dtype="float64")
        want_W, want_b = W1 @ W2, b1 @ W2 + b2
        if W.shape == want_W.T.shape and np.allclose(W, want_W.T, atol=1e-4):
            raise Fail("W is transposed: Keras layers compute x W + b, with one row of W per input")
        where = f"for layers {W1.shape[0]} -> {W1.shape[1]} -> {W2.shape[1]}"
        expect_shape(f"W {where}", W.shape, want_W.shape)
        if b.shape == (1, *want_b.shape):
            b = b.reshape(-1)
        expect_shape(f"b {where}", b.shape, want_b.shape)
        if not np.allclose(W, want_W, atol=1e-4):
            raise Fail(f"W {where} is not the kernel of the two layers together: x goes through W1, then W2")
        if np.allclose(b, b2, atol=1e-4):
            raise Fail("b is only the second layer's bias: the first layer's bias goes through W2 too")
        expect_close(f"b {where}", b, want_b, atol=1e-4)


LAB = Lab(
    "03",
    "Layers",
    [
        Question(
            "q1",
            "A Dense layer and its arguments",
            1,
            ["dense"],
            _extract_dense,
            _judge_dense,
            hints=[
                "Look at the arguments of keras.layers.Dense: units, activation, use_bias, ...",
                "One boolean argument decides whether the layer adds b.",
            ],
        ),
        Question(
            "q2",
            "A custom layer",
            3,
            ["OurDenseLayer"],
            _extract_custom_layer,
            _judge_custom_layer,
            draw=draw_dense_cases,
            hints=[
                "build() creates the weights with self.add_weight(shape=...), call() uses them.",
                "W has shape (input features, n_output_nodes); b has one value per unit.",
                "call() multiplies the inputs by W with tf.matmul, adds b and squashes the result.",
            ],
        ),
        Question(
            "q3",
            "A Sequential model",
            1,
            ["model"],
            _extract_sequential,
            _judge_sequential,
            draw=_draw_stack,
            hints=[
                "keras.Sequential([...]) takes a list of layers.",
                "The first layer has 64 units and relu, the last one softmax over 10 classes.",
            ],
        ),
        Question(
            "q4",
            "Counting parameters",
            1,
            ["n_params"],
            _extract_count,
            _judge_count,
            hints=[
                "A Dense layer with i inputs and u units has i*u kernel entries and u biases.",
                "Add both layers: the second one has 64 inputs.",
            ],
        ),
        Question(
            "q5",
            "A dense layer by hand",
            2,
            ["naive_dense"],
            _extract_naive_dense,
            _judge_naive_dense,
            draw=_draw_naive,
            hints=[
                "tf.matmul, then add the bias (it broadcasts over the batch), then tf.nn.relu.",
                "Activation last: relu is applied to the whole affine result.",
            ],
        ),
        Question(
            "q6",
            "Two linear layers are one",
            1,
            ["collapse"],
            _extract_collapse,
            _judge_collapse,
            draw=_draw_collapse,
            hints=[
                "Write second(first(x)) out: (x W1 + b1) W2 + b2, and multiply it out.",
                "Collect what multiplies x (that is W) and what is left over (that is b).",
            ],
        ),
    ],
)
