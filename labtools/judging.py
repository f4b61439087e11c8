"""The moves lab checks share, so each lab module only says *what* it checks.

Two kinds of helpers:

* in the kernel (``extract``): call the student's function with a clear one-line error, read a
  tensor with an exact type check, put known random weights into a layer, find kernel and bias
  by shape, tell an activation by what it does;
* in the judge: compare shape, then dtype, then values (``expect_*`` in :mod:`labtools.checking`).

Everything here raises :class:`~labtools.checking.Fail` with a message in the student's terms,
never an internal error.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .checking import Fail, NotAttempted, clean_message, does_nothing

__all__ = [
    "call",
    "tensor_facts",
    "is_tensor",
    "is_tf_function",
    "to_array",
    "set_random_weights",
    "kernel_and_bias",
    "activation_name",
    "expect_float_dtype",
]


def call(fn: Any, name: str, *args: Any, none: str = "returns None; return the result", **kwargs: Any) -> Any:
    """Call the student's ``fn``: its exception becomes one line, an untouched body NOT ATTEMPTED."""
    if not callable(fn):
        raise Fail(f"{name} is a {type(fn).__name__}, not a function")
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
        text = clean_message(str(exc))
        raise Fail(f"{name} raised {type(exc).__name__}" + (f": {text}" if text else "")) from None
    if out is None:
        if does_nothing(fn):
            raise NotAttempted(f"{name} is still the placeholder")
        raise Fail(f"{name} {none}")
    return out


def is_tensor(value: Any) -> bool:
    """A real tf.Tensor (or tf.Variable): no duck typing."""
    import tensorflow as tf

    return isinstance(value, (tf.Tensor, tf.Variable))


def is_tf_function(value: Any) -> bool:
    """A function compiled with ``tf.function`` (not an object that only looks like one)."""
    import tensorflow as tf

    kinds = tuple(
        k
        for k in (
            getattr(tf.types.experimental, "PolymorphicFunction", None),
            getattr(tf.types.experimental, "GenericFunction", None),
        )
        if isinstance(k, type)
    )
    return bool(kinds) and isinstance(value, kinds)


def tensor_facts(value: Any, name: str, what: str = "build it with a tf function") -> dict:
    """Shape, dtype and values of a tensor as plain data (Fail if it is not a real tensor)."""
    import tensorflow as tf

    if isinstance(value, tf.Variable):
        value = value.read_value()
    if not isinstance(value, tf.Tensor):
        raise Fail(f"{name} is a {type(value).__name__}, not a tf.Tensor; {what}")
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
        raise Fail(f"{name} is a {type(value).__name__}; the exercise asks for {kind}") from None
    if arr.dtype.kind not in "biuf":
        raise Fail(f"{name} is a {type(value).__name__} that does not hold {kind}")
    return arr


def expect_float_dtype(name: str, dtype: str, want: str | None = None) -> None:
    """A floating-point dtype (exactly ``want`` when given)."""
    if want is not None and dtype != want:
        raise Fail(f"{name} has dtype {dtype}; the exercise asks for {want}")
    if not dtype.startswith(("float", "bfloat")):
        raise Fail(f"{name} has dtype {dtype}; the exercise asks for floating-point numbers")


# -- layers and models ------------------------------------------------------------------------


def set_random_weights(layer: Any, rng: np.random.Generator, scale: float = 0.5) -> list[np.ndarray]:
    """Give every trainable weight of ``layer`` (or model) known random values; returns them.

    Zero-initialised biases hide a missing or misplaced bias, so a check never probes with
    the initial weights."""
    values = []
    for w in layer.trainable_weights:
        v = (scale * rng.standard_normal(tuple(w.shape))).astype(np.dtype(w.dtype.name if hasattr(w.dtype, "name") else w.dtype))
        w.assign(v)
        values.append(v)
    return values


def kernel_and_bias(shapes: list[tuple], n_in: int, units: int) -> tuple[int, int | None]:
    """Indices of the kernel (shape ``(n_in, units)``) and the bias (``units`` values) among
    weight shapes, told apart by shape, not by the order they were created. Fail if absent."""
    kernel = [i for i, s in enumerate(shapes) if tuple(s) == (n_in, units)]
    bias = [
        i for i, s in enumerate(shapes) if i not in kernel[:1] and tuple(s) in ((units,), (1, units))
    ]
    if not kernel:
        got = ", ".join(str(tuple(s)) for s in shapes) or "none"
        raise Fail(f"no weight has the kernel's shape ({n_in}, {units}) for {n_in} input features and "
                   f"{units} units (the weights have shapes {got}); take the input size from input_shape[-1]")
    return kernel[0], (bias[0] if bias else None)


_ACTIVATIONS = {
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0.0),
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
    "softmax": lambda z: np.exp(z - z.max(-1, keepdims=True)) / np.exp(z - z.max(-1, keepdims=True)).sum(-1, keepdims=True),
}


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
