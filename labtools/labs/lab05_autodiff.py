"""Lab 05 - Automatic differentiation: questions, points, hints and checks."""
from __future__ import annotations

import numpy as np

from ..checking import Fail, Lab, NotAttempted, Question, does_nothing, expect_close

_POINTS = [-2.0, 0.5, 3.0]


def _as_number(value, what):
    import tensorflow as tf

    if value is None:
        raise Fail(f"{what} is None: the tape did not see the computation (is x watched, "
                   "and is the computation inside the `with` block?)")
    if not tf.is_tensor(value):
        raise Fail(f"{what} is a {type(value).__name__}; get it from tape.gradient(...), not by hand")
    return float(np.asarray(value).reshape(-1)[0])


# q1 -- the derivative of x² ---------------------------------------------------------------------

def _extract_square(fn):
    import tensorflow as tf

    values = []
    for x in _POINTS:
        out = fn(tf.Variable(x))
        if out is None and does_nothing(fn):
            raise NotAttempted("derivative_of_square still returns None")
        values.append(_as_number(out, f"derivative_of_square({x:g})"))
    return {"points": _POINTS, "values": values}


def _judge_square(d):
    for x, got in zip(d["points"], d["values"]):
        if np.isclose(got, x * x):
            raise Fail(f"at x = {x:g} you return y itself ({got:g}); return the gradient dy/dx")
        if not np.isclose(got, 2 * x, atol=1e-4):
            raise Fail(f"at x = {x:g} the derivative of x² comes out as {got:g}")


# q2 -- gradients with respect to a constant ----------------------------------------------------

def _extract_cube(fn):
    import tensorflow as tf

    values = []
    for x in _POINTS:
        out = fn(tf.constant(x))
        if out is None and does_nothing(fn):
            raise NotAttempted("gradient_of_cube still returns None")
        values.append(_as_number(out, f"gradient_of_cube({x:g})"))
    return {"points": _POINTS, "values": values}


def _judge_cube(d):
    for x, got in zip(d["points"], d["values"]):
        if not np.isclose(got, 3 * x * x, atol=1e-4):
            raise Fail(f"at x = {x:g} the derivative of x³ comes out as {got:g}")


# q4 -- second derivative: the falling apple ----------------------------------------------------

def _extract_acceleration(acceleration, speed):
    if acceleration is None and speed is None:
        raise NotAttempted("speed and acceleration are still the placeholders")
    return {"value": _as_number(acceleration, "acceleration")}


def _judge_acceleration(d):
    if np.isclose(d["value"], 0.0):
        raise Fail("acceleration is 0: the outer tape must record the inner tape's gradient "
                   "(compute speed inside the outer `with` block)")
    if np.isclose(d["value"], 4.9 * 2 * 2.0):
        raise Fail("that is the speed at t = 2 s; differentiate once more")
    if not np.isclose(d["value"], 9.8, atol=1e-3):
        raise Fail(f"acceleration is {d['value']:g} m/s²; differentiate the position twice")


# q5 -- gradient descent on (x - x_f)² -----------------------------------------------------------

_DESCENT = {"x0": 5.0, "x_f": -1.5, "learning_rate": 0.1, "steps": 25}


def _extract_descent(fn):
    history = fn(**_DESCENT)
    if history is None:
        if does_nothing(fn):
            raise NotAttempted("minimise is still the placeholder")
        raise Fail("minimise returns None; return the list of x values")
    try:
        values = np.asarray([float(np.asarray(v)) for v in history], dtype=float)
    except (TypeError, ValueError):
        raise Fail("minimise should return a list of numbers: x before each step and after the last") from None
    return {"history": values, **_DESCENT}


def _judge_descent(d):
    x, lr, steps = d["x0"], d["learning_rate"], d["steps"]
    expected = [x]
    for _ in range(steps):
        x = x - lr * 2 * (x - d["x_f"])
        expected.append(x)
    got = d["history"]
    if len(got) != steps + 1:
        raise Fail(f"the history has {len(got)} values for {steps} steps; record x at the start and "
                   "after every step")
    if not np.isclose(got[0], d["x0"]):
        raise Fail("the history should start at x0")
    if abs(got[-1] - d["x_f"]) > abs(got[0] - d["x_f"]):
        raise Fail("x moves away from x_f: step against the gradient (subtract it)")
    expect_close("the path of x", got, expected, atol=1e-4)


# q3 -- gradients for a list of variables -------------------------------------------------------

def _extract_linear_grads(grad_w, grad_b, x, w, b):
    import tensorflow as tf

    for name, g in (("grad_w", grad_w), ("grad_b", grad_b)):
        if g is not None and not tf.is_tensor(g):
            raise Fail(f"{name} is a {type(g).__name__}; get it from tape.gradient(loss, [w, b])")
    if grad_w is None or grad_b is None:
        raise Fail("a gradient is None: compute the loss inside the tape from w and b")
    return {"grad_w": np.asarray(grad_w), "grad_b": np.asarray(grad_b), "x": np.asarray(x),
            "w": np.asarray(w), "b": np.asarray(b)}


def _judge_linear_grads(d):
    x, w, b = d["x"], d["w"], d["b"]
    y = x @ w + b
    dy = 2 * y / y.size  # derivative of mean(y²)
    want_w, want_b = x.T @ dy, dy.sum(axis=0)
    if d["grad_w"].shape != want_w.shape:
        raise Fail(f"grad_w has shape {d['grad_w'].shape}; a gradient has the shape of its variable {want_w.shape}")
    if d["grad_b"].shape != want_b.shape:
        raise Fail(f"grad_b has shape {d['grad_b'].shape}; a gradient has the shape of its variable {want_b.shape}")
    expect_close("grad_w", d["grad_w"], want_w, atol=1e-4)
    expect_close("grad_b", d["grad_b"], want_b, atol=1e-4)


LAB = Lab("05", "Automatic differentiation", [
    Question("q1", "The derivative of x²", 1, ["derivative_of_square"], _extract_square, _judge_square,
             hints=["Compute y inside `with tf.GradientTape() as tape:`, then ask the tape.",
                    "tape.gradient(target, source): target is y, source is x."]),
    Question("q2", "Watching a constant", 1, ["gradient_of_cube"], _extract_cube, _judge_cube,
             hints=["A tape only follows variables unless you tell it otherwise.",
                    "tape.watch(x) as the first line inside the `with` block."]),
    Question("q3", "Gradients of several variables", 2, ["grad_w", "grad_b", "x", "w", "b"],
             _extract_linear_grads, _judge_linear_grads,
             hints=["tape.gradient accepts a list of sources and returns a list of gradients.",
                    "The loss is the mean of the squared outputs x·w + b."]),
    Question("q4", "Second derivatives: the falling apple", 2, ["acceleration", "speed"],
             _extract_acceleration, _judge_acceleration, none_is_an_answer=["acceleration"],
             hints=["Nest two tapes: the inner one gives the speed, the outer one its derivative.",
                    "The inner tape's gradient call must run inside the outer tape's block."]),
    Question("q5", "Gradient descent by hand", 2, ["minimise"], _extract_descent, _judge_descent,
             hints=["Each step: compute the loss under a tape, take its gradient, move x against it.",
                    "x.assign_sub(learning_rate * grad), and append float(x) after each step."]),
])
