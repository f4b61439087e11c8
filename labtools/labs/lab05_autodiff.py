"""Lab 05 - Automatic differentiation: questions, points, hints and judges (the kernel side of
its checks is :mod:`labtools.kernel.lab05_autodiff`).

Every check draws fresh inputs (see :mod:`labtools.checking`): the points where a derivative is
taken, the linear model's ``x_batch, w, b``, the apple's time and the descent settings. So a
table of the checker's inputs or a typed-in number cannot pass.

The exercises that ask for a function (q1, q2, q5) also watch the tape while the student's code
runs (in the kernel side): a derivative typed in by hand (``return 2 * x``) has the right value
but never asked a tape, and fails. The judge still computes every expected value itself.
"""

from __future__ import annotations

import numpy as np

from ..checking import Fail, Lab, Question
from ..kernel.lab05_autodiff import EXERCISES as KERNEL
from ..kernel.lab05_autodiff import descent_settings

# q1, q2 -- a derivative at drawn points ---------------------------------------------------------


def _draw_points(rng) -> dict:
    """Four points where x², 2x, x³ and 3x² all differ clearly (away from 0, 1.5, 2 and 3)."""
    points: list[float] = []
    while len(points) < 4:
        x = round(float(rng.uniform(-4, 4)), 2)
        if min(abs(x - p) for p in (0.0, 1.5, 2.0, 3.0, *points)) > 0.25:
            points.append(x)
    return {"x": np.array(points)}


def _judge_derivatives(d, inputs, name, power, expression):
    xs = inputs["x"].astype("float32").astype("float64")
    got = np.asarray(d["values"], dtype="float64")
    if got.shape != xs.shape:
        raise Fail(f"{name} was not run at every point")
    for x, value in zip(xs, got, strict=True):
        if not np.isfinite(value):
            raise Fail(f"{name}({x:g}) is NaN or infinite")
        if np.isclose(value, x**power, rtol=1e-4, atol=1e-4):
            raise Fail(f"{name}({x:g}) returns y itself; return the gradient dy/dx")
        if not np.isclose(value, power * x ** (power - 1), rtol=1e-4, atol=1e-4):
            raise Fail(f"at x = {x:g} your derivative of {expression} comes out as {value:g}")


# q3 -- gradients of several variables ------------------------------------------------------------


def _draw_linear(rng) -> dict:
    return {
        "x": rng.standard_normal((4, 3)).astype("float32"),
        "w": rng.standard_normal((3, 2)).astype("float32"),
        "b": rng.standard_normal(2).astype("float32"),
    }


def _judge_linear_grads(d, inputs):
    x, w, b = (inputs[k].astype("float64") for k in ("x", "w", "b"))
    missing = [name for name in ("grad_w", "grad_b") if d[name] is None]
    if len(missing) == 2:
        raise Fail(
            "grad_w and grad_b are None: the loss is not connected to w and b on the tape; compute "
            "it from w and b with TensorFlow operations inside the `with` block"
        )
    if missing:
        var = missing[0][-1]
        raise Fail(
            f"{missing[0]} is None: the loss is not connected to {var} on the tape; compute it from "
            f"{var} inside the `with` block"
        )
    y = x @ w + b
    if np.asarray(d["loss"]["values"]).size != 1:
        raise Fail(
            f"loss has shape {tuple(d['loss']['shape'])}; it should be a single number, the mean over the whole batch"
        )
    if not np.isclose(float(np.asarray(d["loss"]["values"]).reshape(-1)[0]), np.mean(y**2), rtol=1e-4):
        raise Fail(
            "loss is off: it should be the mean of the squared outputs x_batch · w + b, computed "
            "from the lab's x_batch, w and b"
        )
    dy = 2 * y / y.size  # the derivative of mean(y²) with respect to y
    for name, want in (("grad_w", x.T @ dy), ("grad_b", dy.sum(axis=0))):
        g = d[name]
        if tuple(g["shape"]) != want.shape:
            raise Fail(f"{name} has shape {tuple(g['shape'])}; a gradient has the shape of its variable {want.shape}")
        if not np.allclose(np.asarray(g["values"], dtype="float64"), want, rtol=1e-4, atol=1e-5):
            raise Fail(f"{name} has the right shape but its values are off; take it from tape.gradient of your loss")


# q4 -- second derivative: the falling apple --------------------------------------------------


def _draw_time(rng) -> dict:
    """A planet's gravity ``g``, the apple's terminal speed ``vt`` and a time ``t`` at which drag
    matters (g t / vt between 0.3 and 1.4), all secret in grading: the derivatives of ``fall``
    cannot be typed in, only computed."""
    g = round(float(rng.uniform(3.0, 25.0)), 2)
    vt = round(float(rng.uniform(8.0, 40.0)), 2)
    t = round(float(rng.uniform(0.3, 1.4)) * vt / g, 3)
    return {"t": t, "g": g, "vt": vt}


def _fall_reference(inputs) -> tuple[float, float, float]:
    """Position, speed and acceleration at the judge's own t, in float64."""
    g, vt = float(np.float32(inputs["g"])), float(np.float32(inputs["vt"]))
    u = g * float(np.float32(inputs["t"])) / vt
    return vt**2 / g * np.log(np.cosh(u)), vt * np.tanh(u), g * (1 - np.tanh(u) ** 2)


def _judge_apple(d, inputs):
    position, want_speed, want_acceleration = _fall_reference(inputs)
    speed, acceleration = d["speed"], d["acceleration"]
    if speed is None:
        raise Fail("speed is None: the inner tape did not record the position from t")
    if np.isclose(speed, position, rtol=1e-3):
        raise Fail("speed is the position itself; differentiate fall(t) with the inner tape")
    if not np.isclose(speed, want_speed, rtol=1e-3):
        raise Fail(f"speed is {speed:g} m/s, not the derivative of fall(t) at the t handed to you")
    if acceleration is None:
        raise Fail(
            "acceleration is None: the outer tape did not record how speed was computed (the "
            "inner tape's gradient call must run inside the outer `with` block)"
        )
    if np.isclose(acceleration, speed, rtol=1e-3):
        raise Fail("acceleration equals the speed; differentiate once more")
    if not np.isclose(acceleration, want_acceleration, rtol=1e-3, atol=1e-4):
        raise Fail(f"acceleration is {acceleration:g} m/s²; differentiate fall(t) twice, with nested tapes")


# q5 -- gradient descent on (x - x_f)² --------------------------------------------------------------


def _draw_descent(rng) -> dict:
    """Three settings: a small, a medium and a large learning rate, different step counts."""
    lrs = [rng.uniform(0.02, 0.08), rng.uniform(0.12, 0.3), rng.uniform(0.32, 0.45)]
    x0 = rng.uniform(-6, 6, size=3)
    x_f = x0 + rng.choice([-1, 1], size=3) * rng.uniform(2, 6, size=3)
    return {
        "x0": x0.round(2),
        "x_f": x_f.round(2),
        "learning_rate": np.array(lrs).round(3)[rng.permutation(3)],
        "steps": rng.choice(np.arange(5, 31), size=3, replace=False),
    }


def _judge_descent(d, inputs):
    settings = descent_settings(inputs)
    if len(d["histories"]) != len(settings):
        raise Fail("minimise was not run for every setting")
    for (x0, x_f, lr, steps), got in zip(settings, d["histories"], strict=True):
        got = np.asarray(got, dtype="float64").reshape(-1)
        where = f"with x0={x0:g}, x_f={x_f:g}, learning_rate={lr:g}, steps={steps}:"
        if got.size != steps + 1:
            raise Fail(f"{where} the history has {got.size} values; record x at the start and after every step")
        if not np.all(np.isfinite(got)):
            raise Fail(f"{where} the history contains NaN or infinity")
        if not np.isclose(got[0], x0, rtol=1e-5, atol=1e-5):
            raise Fail(f"{where} the history does not start at x0")
        if abs(got[-1] - x_f) > abs(got[0] - x_f):
            raise Fail(f"{where} x moves away from x_f: step against the gradient (subtract it)")
        x, want = x0, [x0]
        for _ in range(steps):
            x = x - lr * 2 * (x - x_f)
            want.append(x)
        err = float(np.max(np.abs(got - np.asarray(want))))
        if err > 1e-4 + 1e-4 * max(abs(x0), abs(x_f)):
            raise Fail(
                f"{where} the path of x is off (largest error {err:.3g}); each step moves x by "
                "the learning rate times the tape's gradient"
            )


# q6 -- backpropagation by hand: a dense layer's gradients -----------------------------------------


def _draw_backprop(rng) -> dict:
    """Two cases of a linear dense layer with a squared-error loss, n, d, u all different."""
    cases = {}
    for i in range(2):
        u, n, d = (int(k) for k in rng.permutation(np.arange(3, 8))[:3])  # u > 2: its factor differs from 2
        for name, shape in (("x", (n, d)), ("W", (d, u)), ("b", (u,)), ("y", (n, u))):
            cases[f"{name}{i}"] = rng.standard_normal(shape).astype("float32")
    return cases


def _backprop_cases(inputs):
    return [tuple(inputs[f"{k}{i}"].astype("float64") for k in ("x", "W", "b", "y")) for i in range(2)]


def _judge_backprop(d, inputs):
    if len(d["results"]) != 2:
        raise Fail("dense_gradients was not run on every probe")
    for got, (x, W, b, y) in zip(d["results"], _backprop_cases(inputs), strict=True):
        err = x @ W + b - y
        dz = 2 * err / err.size  # dL/dz for L = mean((z - y)^2)
        want = {"dW": x.T @ dz, "db": dz.sum(axis=0)}
        for key, name in (("dW", "dL_dW"), ("db", "dL_db")):
            g, w = np.asarray(got[key]), want[key]
            if g.shape != w.shape:
                raise Fail(
                    f"{name} has shape {g.shape}; a gradient has the shape of its variable, {w.shape} here"
                    + ("" if key == "dW" else ": sum over the batch")
                )
            if np.allclose(g, w, rtol=1e-4, atol=1e-6):
                continue
            factors = (
                (err.size, f"L is a mean over all {err.size} entries"),
                (err.shape[1], "L averages over the outputs too, not only over the batch"),
                (2, "d(e²)/de is 2e"),
            )
            for factor, why in factors:
                if np.allclose(g, w * factor, rtol=1e-4, atol=1e-6):
                    raise Fail(f"{name} is {factor} times too large: {why}")
            if np.allclose(g, -w, rtol=1e-4, atol=1e-6):
                raise Fail(f"{name} has the wrong sign: the error is z - y, the output minus the target")
            raise Fail(f"{name} is off; follow the chain: dL/dz first, then dz/d{name[-1]}")


LAB = Lab(
    "05",
    "Automatic differentiation",
    [
        Question(
            KERNEL["q1"],
            title="The derivative of x²",
            points=1,
            judge=lambda d, inputs: _judge_derivatives(d, inputs, "derivative_of_square", 2, "x²"),
            draw=_draw_points,
            hints=[
                "Compute y inside `with tf.GradientTape() as tape:`, then ask the tape.",
                "tape.gradient(target, source): target is y, source is x.",
            ],
        ),
        Question(
            KERNEL["q2"],
            title="Watching a constant",
            points=1,
            judge=lambda d, inputs: _judge_derivatives(d, inputs, "gradient_of_cube", 3, "x³"),
            draw=_draw_points,
            hints=[
                "A tape only follows variables unless you tell it otherwise.",
                "tape.watch(x) as the first line inside the `with` block.",
            ],
        ),
        Question(
            KERNEL["q3"],
            title="Gradients of several variables",
            points=2,
            judge=_judge_linear_grads,
            draw=_draw_linear,
            hints=[
                "tape.gradient accepts a list of sources and returns a list of gradients.",
                "The loss is the mean of the squared outputs x_batch · w + b, computed inside the tape.",
            ],
        ),
        Question(
            KERNEL["q4"],
            title="Second derivatives: the falling apple",
            points=2,
            judge=_judge_apple,
            draw=_draw_time,
            hints=[
                "Nest two tapes: the inner one gives the speed, the outer one its derivative.",
                "The inner tape's gradient call must run inside the outer tape's block.",
            ],
        ),
        Question(
            KERNEL["q5"],
            title="Gradient descent by hand",
            points=2,
            judge=_judge_descent,
            draw=_draw_descent,
            hints=[
                "Each step: compute the loss under a tape, take its gradient, move x against it.",
                "x.assign_sub(learning_rate * grad), and append float(x) after each step.",
            ],
        ),
        Question(
            KERNEL["q6"],
            title="Backpropagation by hand",
            points=2,
            judge=_judge_backprop,
            draw=_draw_backprop,
            hints=[
                "Go backwards: first dL/dz for z = x W + b, then from dL/dz to W and to b.",
                "L averages (z - y)² over every entry of z, so dL/dz = 2 (z - y) / (number of entries).",
                "z = x W + b: dL/dW = xᵀ · dL/dz, and dL/db adds dL/dz up over the rows of the batch.",
            ],
        ),
    ],
)
