"""Running the student's code and reading what it returned, in the student's terms.

Kernel side (see :mod:`labtools.kernel`): call the student's function with a clear one-line
error, read a tensor with an exact type check, put known random weights into a layer, find
kernel and bias by shape, tell an activation by what it does. Everything here raises
:class:`~labtools.kernel.errors.Fail` with a message in the student's terms, never an internal
error.

Type checks compare exact classes, taken from TensorFlow the first time they are needed (in a
grading kernel: before any student code runs), never what an object says of itself: a subclass
made with ``object.__new__`` or a class whose ``__module__`` claims to be TensorFlow is neither
a tensor nor a ``tf.function`` here.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import numpy as np

from .errors import Fail, NotAttempted, clean_message, does_nothing, raised

__all__ = [
    "call",
    "describe",
    "tensor_facts",
    "is_tensor",
    "is_tf_function",
    "to_array",
    "set_random_weights",
    "kernel_and_bias",
    "activation_name",
    "run_layer",
    "probe_dense",
    "model_copy",
    "exact_types",
    "dense_cases",
]


@lru_cache(maxsize=1)
def exact_types() -> dict[str, tuple[type, ...]]:
    """The classes TensorFlow really makes, captured once: ``tensor`` (an eager tensor),
    ``variable`` (a ``tf.Variable``), ``function`` (a ``tf.function``)."""
    import tensorflow as tf

    return {
        "tensor": (type(tf.constant(0.0)),),
        "variable": (type(tf.Variable(0.0)),),
        "function": (type(tf.function(lambda: 0)),),
    }


def _is(value: Any, kind: str) -> bool:
    return type(value) in exact_types()[kind]


# what an activation does, on a probe, to tell which one a layer uses (identification, not judging)
_ACTIVATIONS: dict[str, Callable[[Any], Any]] = {
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0.0),
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
    "softmax": lambda z: (
        np.exp(z - z.max(-1, keepdims=True)) / np.exp(z - z.max(-1, keepdims=True)).sum(-1, keepdims=True)
    ),
}


def call(fn: Any, name: str, *args: Any, none: str = "returns None; return the result", **kwargs: Any) -> Any:
    """Call the student's ``fn``: its exception becomes one line, an untouched body NOT ATTEMPTED."""
    if not callable(fn):
        raise Fail(f"{name} is {describe(fn)}, not a function")
    try:
        out = fn(*args, **kwargs)
    except (Fail, NotAttempted):
        raise
    except TypeError as exc:
        text = clean_message(str(exc))
        if "argument" in text:
            raise Fail(f"{name} cannot be called as the exercise calls it ({text})") from None
        raise Fail(f"{name} raised TypeError: {text}") from None
    except Exception as exc:
        raise raised(name, exc) from None
    if out is None:
        if does_nothing(fn):
            raise NotAttempted(f"{name} is still the placeholder")
        raise Fail(f"{name} {none}")
    return out


def describe(value: Any) -> str:
    """What a value is, in the student's words: "a NumPy array", "a Python list", "a tf.Tensor"."""
    import tensorflow as tf

    if _is(value, "variable"):
        return "a tf.Variable"
    if _is(value, "tensor"):
        return "a tf.Tensor"
    if isinstance(value, (tf.Tensor, tf.Variable)):
        return "an object that pretends to be a tensor"
    if isinstance(value, tf.IndexedSlices):
        return "a sparse gradient"
    known = {
        bool: "a boolean",
        str: "a string",
        list: "a Python list",
        tuple: "a tuple",
        dict: "a dict",
        np.ndarray: "a NumPy array",
    }
    for kind, words in known.items():
        if isinstance(value, kind):
            return words
    if isinstance(value, (int, float, np.generic)):
        return "a single number"
    module = type(value).__module__.split(".")[0]
    name = f"{module}.{type(value).__name__}" if module in ("keras", "tensorflow") else type(value).__name__
    name = clean_message(name)[:60] or "object"
    return ("an " if name[:1].lower() in "aeiou" else "a ") + name


def two_values(out: Any, what: str, names: str) -> None:
    """Fail unless ``what`` returned a pair (a tuple or a list of two); ``names`` spells it: "(W, b)"."""
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise Fail(f"{what} returns {describe(out)}; return two values: {names}")


def is_tensor(value: Any) -> bool:
    """A real tf.Tensor or tf.Variable: its exact class is TensorFlow's own (no subclass, no
    duck typing)."""
    return _is(value, "tensor") or _is(value, "variable")


def is_tf_function(value: Any) -> bool:
    """A function compiled with ``tf.function``: its exact class is the one ``tf.function``
    returns (``register()`` on an abstract base, or a subclass whose ``__module__`` says
    tensorflow, does not make a function one)."""
    return _is(value, "function")


def tensor_facts(value: Any, name: str, what: str = "build it with a tf function") -> dict:
    """Shape, dtype and values of a tensor as plain data (Fail if it is not a real tensor)."""
    import tensorflow as tf

    if _is(value, "variable"):
        value = value.read_value()
    if not _is(value, "tensor"):
        raise Fail(f"{name} is {describe(value)}, not a tf.Tensor; {what}")
    if value.dtype == tf.string:
        raise Fail(f"{name} holds strings; the exercise asks for numbers")
    return {"shape": [int(n) for n in value.shape], "dtype": value.dtype.name, "values": value.numpy()}


def to_array(value: Any, name: str, kind: str = "numbers") -> np.ndarray:
    """A NumPy array of numbers from a tensor, array, list or number; Fail if it is not one."""
    if isinstance(value, (str, bytes)):
        raise Fail(f"{name} is a string; the exercise asks for {kind}")
    try:
        arr = np.asarray(value)
    except Exception:
        raise Fail(f"{name} is {describe(value)}; the exercise asks for {kind}") from None
    if arr.dtype.kind not in "biuf":
        raise Fail(f"{name} is {describe(value)} that does not hold {kind}")
    return arr


def set_random_weights(layer: Any, rng: np.random.Generator, scale: float = 0.5) -> list[np.ndarray]:
    """Give every trainable weight of ``layer`` (or model) known random values; returns them.

    Zero-initialised biases hide a missing or misplaced bias, so a check never probes with
    the initial weights."""
    values = []
    for w in layer.trainable_weights:
        v = (scale * rng.standard_normal(tuple(w.shape))).astype(
            np.dtype(w.dtype.name if hasattr(w.dtype, "name") else w.dtype)
        )
        w.assign(v)
        values.append(v)
    return values


def kernel_and_bias(shapes: list[tuple], n_in: int, units: int) -> tuple[int, int | None]:
    """Indices of the kernel (shape ``(n_in, units)``) and the bias (``units`` values) among
    weight shapes, told apart by shape, not by the order they were created. Fail if absent."""
    kernel = [i for i, s in enumerate(shapes) if tuple(s) == (n_in, units)]
    bias = [i for i, s in enumerate(shapes) if i not in kernel[:1] and tuple(s) in ((units,), (1, units))]
    if not kernel:
        got = ", ".join(str(tuple(s)) for s in shapes) or "none"
        raise Fail(
            f"no weight has the kernel's shape ({n_in}, {units}) for {n_in} input features and "
            f"{units} units (the weights have shapes {got}); take the input size from input_shape[-1]"
        )
    return kernel[0], (bias[0] if bias else None)


def activation_name(fn: Any) -> str:
    """What an activation does, judged on a probe (a string, a function, a layer or None)."""
    import keras
    import tensorflow as tf

    if fn is None:
        return "linear"
    if isinstance(fn, str):
        try:
            fn = keras.activations.get(fn)
        except Exception:
            return fn
    z = np.array([[-2.0, -0.5, 0.0, 0.7, 1.5, 3.0], [0.3, -1.2, 2.2, -0.1, 0.9, -3.0]], dtype="float32")
    try:
        out = np.asarray(fn(tf.constant(z)), dtype="float64")
    except Exception:
        return getattr(fn, "__name__", type(fn).__name__)
    for name, ref in _ACTIVATIONS.items():
        if out.shape == z.shape and np.allclose(out, ref(z.astype("float64")), atol=1e-5):
            return name
    return getattr(fn, "__name__", type(fn).__name__)


def run_layer(layer: Any, name: str, x: Any, **kwargs: Any) -> Any:
    """Call a Keras layer or model on ``x``: like :func:`call`, with the error Keras wraps in
    "Exception encountered when calling ..." unwrapped (:func:`clean_message`)."""
    import tensorflow as tf

    try:
        out = layer(tf.constant(x) if isinstance(x, np.ndarray) else x, **kwargs)
    except (Fail, NotAttempted):
        raise
    except Exception as exc:  # noqa: BLE001 - the student's code may raise anything
        raise raised(name, exc) from None
    if out is None:
        raise Fail(f"{name} returns None; return the result")
    return out


def probe_dense(
    layer: Any,
    name: str,
    x: np.ndarray,
    W: np.ndarray,
    b: np.ndarray,
    no_weights: str = "has no trainable weights after a call; create them with self.add_weight(...)",
) -> np.ndarray:
    """Run ``layer`` (a layer or a model) on ``x`` once to build it, give every trainable weight
    random values, put the judge's kernel ``W`` and bias ``b`` into the weights of their shapes
    (found by shape, not by creation order), run it again and return the output.

    Fails with a message in the student's terms when the weights are missing or mis-shaped."""
    import warnings

    n_in, units = W.shape
    with warnings.catch_warnings():  # Keras warns about unbuilt state while an answer is unfinished
        warnings.simplefilter("ignore")
        try:
            run_layer(layer, name, x)
            failed = None
        except Fail as exc:  # a mis-shaped weight is the likelier cause: look at the weights first
            failed = exc
        weights = list(layer.trainable_weights)
        shapes = [tuple(int(n) for n in w.shape) for w in weights]
        if not weights:
            if failed is not None:
                raise failed
            raise Fail(f"{name} {no_weights}")
        if (n_in, units) not in shapes:
            got = ", ".join(str(s) for s in shapes)
            if (units, n_in) in shapes:
                raise Fail(
                    f"{name}'s kernel is transposed: on {n_in} input features it should have shape "
                    f"(input features, units) = ({n_in}, {units}); its weights have shapes {got}"
                )
            if any(len(s) == 2 and s[0] == n_in for s in shapes):
                raise Fail(
                    f"{name} on {n_in} input features has weights of shapes {got}; with {units} "
                    f"units the kernel should be ({n_in}, {units}), one column per unit"
                )
        k, bias = kernel_and_bias(shapes, n_in, units)
        if bias is None:
            raise Fail(
                f"{name} has no bias: it needs a trainable weight with one value per unit "
                f"(its weights have shapes {', '.join(str(s) for s in shapes)})"
            )
        if failed is not None:
            raise failed
        set_random_weights(layer, np.random.default_rng(len(shapes) + 10 * n_in + 100 * units))
        for i, value in ((k, W), (bias, b)):
            dtype = getattr(weights[i].dtype, "name", weights[i].dtype)
            weights[i].assign(value.reshape(shapes[i]).astype(np.dtype(dtype)))
        out = run_layer(layer, name, x)
    return to_array(out, f"the output of {name}")


@contextmanager
def model_copy(model: Any):
    """A copy of a Sequential or functional model to probe, so a check leaves the notebook's model
    as it was. Activation functions are carried over as they are (Keras cannot serialise one like
    tf.nn.softmax). If Keras cannot copy the model, it yields the model itself and puts its
    weights back afterwards."""
    import keras

    def clone_layer(layer):
        config = layer.get_config()
        if "activation" in config:
            config["activation"] = layer.activation
        return type(layer).from_config(config)

    try:
        target = keras.models.clone_model(model, clone_function=clone_layer)
    except Exception:  # noqa: BLE001 - any layer Keras cannot copy
        target = model
    saved = [(w, w.numpy()) for w in model.weights] if target is model else []
    try:
        yield target
    finally:
        for w, value in saved:
            w.assign(value)


def dense_cases(inputs: dict) -> list[tuple]:
    """The probe configurations a judge drew (``labtools.judging.draw_dense_cases``) as
    ``(units, x, W, b)`` tuples."""
    return [(int(u), inputs[f"x{i}"], inputs[f"W{i}"], inputs[f"b{i}"]) for i, u in enumerate(inputs["units"])]
