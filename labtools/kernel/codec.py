"""Plain data to JSON and back, without pickle: how a kernel's result travels to the grader.

Arrays travel as base64 bytes of numeric dtypes; nothing but dicts, lists, tuples, strings,
numbers, None and such arrays can be encoded, and :func:`decode` raises ValueError on anything
else, on a nesting deeper than :data:`MAX_DEPTH`, or on an array larger than it claims.
"""

from __future__ import annotations

import base64
import builtins
import math

import numpy as np

# bound here when the module loads (in a grading kernel: before any student code), so an answer
# that replaces ``builtins.isinstance`` cannot change what gets encoded
isinstance = builtins.isinstance  # noqa: A001

MAX_DEPTH = 32  # nesting a result may have; a deeper one is refused, not recursed into


def encode(value, depth: int = 0):
    """Plain data (dict, list, tuple, str, numbers, None, NumPy arrays) to JSON-able objects."""
    if depth > MAX_DEPTH:
        raise ValueError(f"the answer is nested more than {MAX_DEPTH} levels deep")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, np.generic):
        return encode(value.item(), depth + 1)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise TypeError(f"cannot send an array of dtype {value.dtype}")
        arr = np.ascontiguousarray(value)
        return {"__nd__": [arr.dtype.str, list(arr.shape), base64.b64encode(arr.tobytes()).decode("ascii")]}
    if isinstance(value, dict):
        return {"__dict__": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, depth + 1) for v in value]}
    if isinstance(value, list):
        return [encode(v, depth + 1) for v in value]
    raise TypeError(f"cannot send a {type(value).__name__}")


_ALLOWED_DTYPES = {
    np.dtype(t).str
    for t in ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
    + ("float16", "float32", "float64")
}


def decode(obj, depth: int = 0):
    """The inverse of :func:`encode`; anything unexpected raises ValueError."""
    if depth > MAX_DEPTH:
        raise ValueError("probe data nested too deeply")
    if obj is None or isinstance(obj, (bool, str, int, float)):
        return obj
    if isinstance(obj, list):
        return [decode(v, depth + 1) for v in obj]
    if isinstance(obj, dict) and len(obj) == 1:
        ((tag, body),) = obj.items()
        if tag == "__nd__":
            return _array(body)
        if tag == "__dict__" and isinstance(body, list):
            pairs = [(decode(k, depth + 1), decode(v, depth + 1)) for k, v in (_pair(p) for p in body)]
            if any(not isinstance(k, (str, int, float, bool, tuple, type(None))) for k, _ in pairs):
                raise ValueError("malformed probe data")
            return dict(pairs)
        if tag == "__tuple__" and isinstance(body, list):
            return tuple(decode(v, depth + 1) for v in body)
        if tag == "__float__" and body in ("nan", "inf", "-inf"):
            return float(body)
    raise ValueError("malformed probe data")


def _pair(p):
    if not isinstance(p, list) or len(p) != 2:
        raise ValueError("malformed probe data")
    return p


def _array(body) -> np.ndarray:
    if not isinstance(body, list) or len(body) != 3:
        raise ValueError("malformed probe data")
    dtype, shape, data = body
    if dtype not in _ALLOWED_DTYPES or not isinstance(data, str):
        raise ValueError(f"dtype {dtype!r} is not allowed")
    if not isinstance(shape, list) or len(shape) > MAX_DEPTH or not all(type(n) is int and n >= 0 for n in shape):
        raise ValueError("malformed array shape")
    raw = base64.b64decode(data, validate=True)
    arr = np.frombuffer(raw, dtype=np.dtype(dtype))
    if arr.size != math.prod(shape):
        raise ValueError("array data does not fit its shape")
    return arr.reshape(shape).copy()
