"""Lab 03 - Layers: the kernel side of its checks (see :mod:`labtools.kernel`).

Each exercise reads the student's layer or model (units, activation told apart by what it does)
or runs it with the judge's kernel and bias put into its weights, and returns what came out.
"""

from __future__ import annotations

import numpy as np

from .calling import (
    activation_name,
    call,
    dense_cases,
    describe,
    kernel_and_bias,
    model_copy,
    probe_dense,
    run_layer,
    set_random_weights,
    tensor_facts,
    two_values,
)
from .errors import Fail, NotAttempted, does_nothing
from .exercise import Exercise, exercises, written

# q1 -- a Dense layer and its arguments ----------------------------------------------------------
# An activation is named by what it does on a small probe (labtools.kernel.calling.activation_name);
# its outputs on inputs far from zero go with the name, so the judge can tell relu from relu6.

WIDE_PROBE = np.array([[-40.0, -7.0, -2.5, -0.5, 0.0, 0.3, 0.7, 2.5, 7.0, 40.0]], dtype="float32")


def _on_wide_probe(fn) -> np.ndarray | None:
    """The activation's outputs on :data:`WIDE_PROBE` (None where it cannot run on it)."""
    import keras
    import tensorflow as tf

    if fn is None:
        return WIDE_PROBE.astype("float64")
    try:
        if isinstance(fn, str):
            fn = keras.activations.get(fn)
        out = np.asarray(fn(tf.constant(WIDE_PROBE)), dtype="float64")
    except Exception:  # noqa: BLE001 - an activation that does not run on a batch: named as it is
        return None
    return out if out.shape == WIDE_PROBE.shape else None


def activation_facts(fn) -> dict:
    """What an activation is: its name (by what it does near zero) and its outputs far from zero."""
    return {"activation": activation_name(fn), "wide": _on_wide_probe(fn)}


def _extract_dense(layer):
    import keras

    if isinstance(layer, type):
        raise Fail("dense is a class, not a layer; create one by calling keras.layers.Dense(...)")
    if not isinstance(layer, keras.layers.Dense):
        raise Fail(f"dense is {describe(layer)}; make it with keras.layers.Dense(...)")
    return {"units": int(layer.units), **activation_facts(layer.activation), "use_bias": bool(layer.use_bias)}


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


# q3 -- a Sequential model -----------------------------------------------------------------------

_ACTIVATION_LAYERS = ("Activation", "ReLU", "Softmax")
_SKIPPED = ("InputLayer", "Flatten")  # no computation on a batch of flat inputs


def stack_arrays(seed: int, shape_in: tuple) -> tuple:
    """x (6 rows of ``shape_in``), W1, b1, W2, b2 of a 64-relu / 10-softmax stack, from ``seed``
    (the judge rebuilds the same arrays from the same seed)."""
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
            facts[-1].update(activation_facts(layer))
            continue
        if isinstance(layer, keras.layers.Dense):
            facts.append({"kind": "Dense", "units": int(layer.units), **activation_facts(layer.activation)})
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
            x, W1, b1, W2, b2 = stack_arrays(seed, shape_in)
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


# q5 -- a dense layer by hand, on fresh shapes and values ----------------------------------------


def naive_cases(inputs):
    """The judge's three ``(x, W, b)`` cases for ``naive_dense``."""
    return [(inputs[f"x{i}"], inputs[f"W{i}"], inputs[f"b{i}"]) for i in range(3)]


def _extract_naive_dense(fn, given):
    import tensorflow as tf

    results = []
    for i, (x, W, b) in enumerate(naive_cases(given)):
        # the notebook later passes a Keras layer's weights, so one probe uses variables
        wrap = tf.Variable if i == 2 else tf.constant
        out = call(fn, "naive_dense(x, W, b)", tf.constant(x), wrap(W), wrap(b))
        results.append(tensor_facts(out, "naive_dense's output", "use TensorFlow operations"))
    return {"results": results}


# q6 -- two linear layers are one ----------------------------------------------------------------


def collapse_cases(inputs):
    """The judge's two ``(W1, b1, W2, b2)`` stacks of linear Dense layers."""
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
    for W1, b1, W2, b2 in collapse_cases(given):
        first, second = keras.layers.Dense(W1.shape[1]), keras.layers.Dense(W2.shape[1])
        first.build((None, W1.shape[0]))
        second.build((None, W2.shape[0]))
        first.set_weights([W1, b1])
        second.set_weights([W2, b2])
        out = call(collapse, "collapse(first, second)", first, second)
        two_values(out, "collapse(first, second)", "(W, b)")
        results.append({"W": _array_facts(out[0], "W"), "b": _array_facts(out[1], "b")})
    return {"results": results}


EXERCISES = exercises(
    Exercise("q1", answers=["dense"], extract=_extract_dense),
    Exercise("q2", answers=["OurDenseLayer"], extract=_extract_custom_layer),
    Exercise("q3", answers=["model"], extract=_extract_sequential),
    Exercise("q4", answers=["n_params"], extract=_extract_count),
    Exercise("q5", answers=["naive_dense"], extract=_extract_naive_dense),
    Exercise("q6", answers=["collapse"], extract=_extract_collapse),
    written("q7"),
)
