"""The moves lab judges share, so each lab's judge module only says *what* it checks.

Judge side (see :mod:`labtools.checking`): compare shape, then dtype, then values, computing
every expected value from the judge's own inputs. Everything here raises
:class:`~labtools.kernel.errors.Fail` with a message in the student's terms, never an internal
error. Running the student's code is the kernel side's job (:mod:`labtools.kernel.calling`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .kernel.calling import dense_cases
from .kernel.errors import Fail
from .reference import ACTIVATIONS

__all__ = [
    "expect_shape",
    "expect_close",
    "expect_float_dtype",
    "draw_dense_cases",
    "dense_cases",
    "expect_dense_outputs",
]


def expect_shape(name: str, actual: Sequence[int], expected: Sequence[int]) -> None:
    actual, expected = tuple(actual), tuple(expected)
    if actual != expected:
        raise Fail(f"{name} has shape {actual}; the exercise asks for shape {expected}")


def expect_close(name: str, actual, expected, rtol: float = 1e-4, atol: float = 1e-5) -> None:
    """Compare numbers or arrays; the hint says how far off, not what the answer is."""
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape:
        raise Fail(f"{name} has shape {a.shape}, which does not fit what the exercise asks for")
    if not np.all(np.isfinite(a)):
        raise Fail(f"{name} contains NaN or infinity")
    if not np.allclose(a, e, rtol=rtol, atol=atol):
        err = float(np.max(np.abs(a - e)))
        raise Fail(f"{name} has the right shape but its values are off (largest error {err:.3g})")


def expect_float_dtype(name: str, dtype: str, want: str | None = None) -> None:
    """A floating-point dtype (exactly ``want`` when given)."""
    if want is not None and dtype != want:
        raise Fail(f"{name} has dtype {dtype}; the exercise asks for {want}")
    if not dtype.startswith(("float", "bfloat")):
        raise Fail(f"{name} has dtype {dtype}; the exercise asks for floating-point numbers")


# -- a dense layer probed with the judge's own weights ----------------------------------------


def draw_dense_cases(rng: np.random.Generator, count: int = 2) -> dict:
    """``count`` probe configurations for a layer ``f(units)`` on inputs of ``n_in`` features: unit
    counts and input sizes all different (and never equal within a case, so a transposed kernel
    is told apart), a batch ``x{i}``, a kernel ``W{i}`` and a bias ``b{i}`` far from zero."""
    units = [int(u) for u in rng.permutation(np.arange(2, 9))[:count]]
    n_in: list[int] = []
    for u in units:
        n_in.append(int(rng.choice([n for n in range(2, 8) if n != u and n not in n_in])))
    cases: dict = {"units": np.array(units), "n_in": np.array(n_in)}
    for i, (u, n) in enumerate(zip(units, n_in, strict=True)):
        cases[f"x{i}"] = rng.standard_normal((int(rng.integers(3, 7)), n)).astype("float32")
        cases[f"W{i}"] = (0.6 * rng.standard_normal((n, u))).astype("float32")
        cases[f"b{i}"] = (rng.choice([-1.0, 1.0], u) * rng.uniform(0.3, 1.0, u)).astype("float32")
    return cases


def expect_dense_outputs(outputs: list, inputs: dict, name: str, activation: str = "sigmoid") -> None:
    """Judge side: each output against activation(x W + b) computed from the judge's own inputs
    (:func:`draw_dense_cases`): shape first, then a missing activation or bias, then the values.
    ``name`` may hold ``{units}``: "OurDenseLayer({units})"."""
    g = ACTIVATIONS[activation]
    cases = dense_cases(inputs)
    if len(outputs) != len(cases):
        raise Fail(f"{name.format(units='n')} was not run on every probe")
    for (units, x, W, b), y in zip(cases, outputs, strict=True):
        label = f"the output of {name.format(units=units)}"
        y = np.asarray(y, dtype="float64")
        z = x.astype("float64") @ W.astype("float64") + b.astype("float64")
        expect_shape(f"{label} on a batch of {x.shape[0]} with {x.shape[1]} features", y.shape, z.shape)
        if np.allclose(y, z, atol=1e-4):
            raise Fail(f"{label} is x·W + b without the activation; apply the {activation}")
        if np.allclose(y, g(z - b), atol=1e-4):
            raise Fail(f"{label} ignores the bias b; add it before the activation")
        expect_close(label, y, g(z), atol=1e-5)
