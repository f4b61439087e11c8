"""Lab 01 - Tensors: the kernel side of its checks (see :mod:`labtools.kernel`).

Each exercise reads the student's tensor (or runs the student's function on the inputs the judge
drew) and returns shapes, dtypes and values as plain data.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from .calling import call, describe, tensor_facts
from .errors import Fail
from .exercise import Exercise, exercises, written


def _facts(value, name: str, what: str = "build it with TensorFlow (tf.constant, tf.zeros, ...)") -> dict:
    """Shape, dtype and values of a real tf.Tensor or tf.Variable (Fail for anything else)."""
    import tensorflow as tf

    if not isinstance(value, (tf.Tensor, tf.Variable)):
        raise Fail(f"{name} is {describe(value)}, not a tf.Tensor; {what}")
    return tensor_facts(value, name, what)


# q1 -- a matrix ---------------------------------------------------------------------------------


def _extract_matrix(matrix):
    return _facts(matrix, "matrix")


# q2 -- a batch of images ------------------------------------------------------------------------


def _extract_images(images):
    facts = _facts(images, "images")
    values = facts.pop("values")  # ~2 million numbers: send what the judge needs, not all of them
    facts["nonzero"] = int(np.count_nonzero(values))
    return facts


# q3 -- slicing the notebook's grid = lab.q3.inputs() -----------------------------------------


def _hand_grid(inputs):
    import tensorflow as tf

    return tf.constant(inputs["grid"], tf.int32)


def _extract_corner(corner, given):
    return _facts(corner, "corner", "take it from grid by slicing")


# q4 -- a variable updated in place ------------------------------------------------------------
# The notebook's `weights = lab.q4.inputs()` is a tf.Variable with random starting values and a
# name carrying a tag drawn with them: a new tf.Variable (right values or not) has another name.


def _weights_name(inputs) -> str:
    return f"weights_{int(inputs['tag'])}"


def _hand_weights(inputs):
    import tensorflow as tf

    return tf.Variable(inputs["start"], name=_weights_name(inputs))


def _extract_variable(weights, given):
    import tensorflow as tf

    if not isinstance(weights, tf.Variable):
        raise Fail(
            f"weights is {describe(weights)}, not a tf.Variable: update the variable in place "
            "(assign, assign_add) instead of computing a new tensor"
        )
    if weights.name.split(":")[0] != _weights_name(given):
        raise Fail(
            "weights is a new tf.Variable; update the one lab.q4.inputs() gives you in place "
            "(assign, assign_add) instead of creating another"
        )
    return {"shape": [int(n) for n in weights.shape], "dtype": weights.dtype.name, "values": weights.numpy()}


# q5 -- a dense layer by hand: broadcasting and a matrix product ---------------------------------


def _hand_layer(inputs):
    import tensorflow as tf

    return tf.constant(inputs["x"]), tf.constant(inputs["W"]), tf.constant(inputs["b"])


def _extract_scores(scores, given):
    return {"scores": _facts(scores, "scores", "compute it with TensorFlow operations on x, W and b")}


# q6 -- reshape and transpose --------------------------------------------------------------------


def _hand_pictures(inputs):
    import tensorflow as tf

    return tf.constant(inputs["pictures"])


def _extract_flat(flat, columns, given):
    what = "use TensorFlow's reshape and transpose"
    return {"flat": _facts(flat, "flat", what), "columns": _facts(columns, "columns", what)}


# q7 -- rotating points --------------------------------------------------------------------------


def _extract_rotate(rotate, given):
    import tensorflow as tf

    results = []
    for points, degrees in zip(given["points"], given["angles"], strict=True):
        out = call(rotate, "rotate", tf.constant(points, tf.float32), degrees)
        results.append(_facts(out, f"rotate(points, {degrees:g})", "rotate with TensorFlow operations"))
    return {"results": results}


# q8 -- a matrix product with loops ---------------------------------------------------------------
# The exercise asks for the product written out with Python loops. While the student's function
# runs, its matrices are a NumPy subclass that notes each library matrix product they go through
# (``@``, np.matmul, np.dot, x.dot, np.einsum, ...), and TensorFlow notes each matrix-product op
# it runs (tf.matmul, ``@`` on tensors, tf.einsum, keras.ops.matmul, ...). The facts go to the judge.

_USED: list[set] = []  # what the function under watch used: one set per watch, the innermost last


def _note(what: str) -> None:
    if _USED:
        _USED[-1].add(what)


_PRODUCT_UFUNCS = {"matmul": "@ (np.matmul)", "vecdot": "np.vecdot", "matvec": "np.matvec", "vecmat": "np.vecmat"}
_PRODUCT_FUNCTIONS = {
    "dot": "np.dot",
    "inner": "np.inner",
    "vdot": "np.vdot",
    "tensordot": "np.tensordot",
    "einsum": "np.einsum",
    "linalg.multi_dot": "np.linalg.multi_dot",
    "linalg.matmul": "np.linalg.matmul",
    "linalg.vecdot": "np.linalg.vecdot",
    "linalg.tensordot": "np.linalg.tensordot",
}
_BROADCAST = "one broadcast product of all of x and y"  # x[:, :, None] * y[None]: every product at once, no loop
_PRODUCT_OPS = {
    "MatMul": "tf.matmul",
    "BatchMatMul": "tf.matmul",
    "BatchMatMulV2": "tf.matmul",
    "BatchMatMulV3": "tf.matmul",
    "_MklMatMul": "tf.matmul",
    "SparseMatMul": "tf.matmul",
    "Einsum": "tf.einsum",
}


def _library_functions() -> dict:
    """NumPy's matrix-product functions (those this NumPy has) and the names a student knows them by."""
    found = {}
    for path, name in _PRODUCT_FUNCTIONS.items():
        fn: object = np
        for part in path.split("."):
            fn = getattr(fn, part, None)
        if fn is not None:
            found[fn] = name
    return found


_LIBRARY = _library_functions()


def _plain(value):
    return value.view(np.ndarray) if isinstance(value, _Watched) else value


class _Watched(np.ndarray):
    """A NumPy array that notes the library matrix products it goes through; its slices, views
    and element-wise results are watched too. Everything else behaves as on a plain array."""

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        if ufunc.__name__ in _PRODUCT_UFUNCS:
            _note(_PRODUCT_UFUNCS[ufunc.__name__])
        if out is not None:
            kwargs["out"] = tuple(_plain(o) for o in out)
        result = getattr(ufunc, method)(*(_plain(i) for i in inputs), **kwargs)
        if ufunc is np.multiply and method == "__call__" and np.ndim(result) >= 3:
            _note(_BROADCAST)
        if out is not None:
            return out[0] if len(out) == 1 else out
        if isinstance(result, tuple):
            return tuple(r.view(_Watched) if isinstance(r, np.ndarray) else r for r in result)
        return result.view(_Watched) if isinstance(result, np.ndarray) else result

    def __array_function__(self, func, types, args, kwargs):
        if func in _LIBRARY:
            _note(_LIBRARY[func])
        return super().__array_function__(func, types, args, kwargs)

    def dot(self, b, out=None):
        _note("the .dot method")
        return np.ndarray.dot(self.view(np.ndarray), _plain(b), out)


def _op_callback(op_type, inputs, attrs, outputs, op_name=None, graph=None):
    name = op_type.decode() if isinstance(op_type, bytes) else str(op_type)
    if name in _PRODUCT_OPS:
        _note(_PRODUCT_OPS[name])
    elif name == "Mul" and any(_rank(o) >= 3 for o in outputs or ()):
        _note(_BROADCAST)


def _rank(tensor) -> int:
    try:
        return len(tensor.shape)
    except (TypeError, ValueError, AttributeError):  # a graph tensor of unknown rank
        return 0


@contextmanager
def _watching(used: set):
    """Note in ``used`` the library matrix products of the code that runs meanwhile: NumPy's on
    :class:`_Watched` arrays, TensorFlow's on any tensor."""
    try:
        from tensorflow.python.framework import op_callbacks
    except ImportError:  # a TensorFlow without op callbacks: NumPy's side is still watched
        op_callbacks = None
    _USED.append(used)
    if op_callbacks is not None:
        op_callbacks.add_op_callback(_op_callback)
    try:
        yield
    finally:
        if op_callbacks is not None:
            op_callbacks.remove_op_callback(_op_callback)
        _USED.pop()


def _watched(a) -> _Watched:
    return np.array(a, dtype="float64").view(_Watched)


def _shapes(x, y) -> str:
    return f"x of shape {x.shape}, y of shape {y.shape}"


def _extract_naive_matmul(fn, given):
    used = set()
    results = []
    for i in range(3):
        x, y = given[f"x{i}"], given[f"y{i}"]
        with _watching(used):
            out = call(fn, f"naive_matmul({_shapes(x, y)})", _watched(x), _watched(y))
        try:
            values = np.asarray(out, dtype="float64")
        except (TypeError, ValueError):
            raise Fail(f"naive_matmul returns {describe(out)}; return a NumPy array of numbers") from None
        results.append(values)
    # matrices whose inner sizes differ: what the function raised, if anything
    raised = []
    for x, y in zip(given["bad_x"], given["bad_y"], strict=True):
        try:
            with _watching(used):
                fn(_watched(x), _watched(y))
        except Exception as exc:  # noqa: BLE001 - the student's code may raise anything
            raised.append({"type": type(exc).__name__, "value_error": isinstance(exc, ValueError)})
        else:
            raised.append(None)
    return {"results": results, "raised": raised, "library": sorted(used)}


EXERCISES = exercises(
    Exercise("q1", answers=["matrix"], extract=_extract_matrix),
    Exercise("q2", answers=["images"], extract=_extract_images),
    Exercise("q3", answers=["corner"], extract=_extract_corner, hand=_hand_grid),
    Exercise("q4", answers=["weights"], extract=_extract_variable, hand=_hand_weights),
    Exercise("q5", answers=["scores"], extract=_extract_scores, hand=_hand_layer),
    Exercise("q6", answers=["flat", "columns"], extract=_extract_flat, hand=_hand_pictures),
    Exercise("q7", answers=["rotate"], extract=_extract_rotate),
    Exercise("q8", answers=["naive_matmul"], extract=_extract_naive_matmul),
    written("q9"),
)
