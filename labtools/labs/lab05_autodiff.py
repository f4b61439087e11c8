"""Lab 05 - Automatic differentiation: questions, points, hints and judges (the kernel side of
its checks is :mod:`labtools.kernel.lab05_autodiff`).

Every check draws fresh inputs (see :mod:`labtools.checking`): the points where a derivative is
taken, the linear model's ``x_batch, w, b``, the apple's time and planet and the descent
settings. So a table of the checker's inputs or a typed-in number cannot pass. Each draw is
redrawn until the right answer and every known mistake differ clearly (by several percent), so
no verdict depends on where a draw happened to land.

The exercises that ask for a function (q1, q2, q5) run it while the kernel side marks the tape:
every gradient the tape returns comes back multiplied by the drawn ``mark``. The judge expects
the mark on the answer, so a derivative typed in by hand (``return 2 * x``, even after a tape
call) or a descent that steps with a gradient of its own is told apart from the tape's. For
Exercise 4, the handed ``fall`` records what the tapes computed from it: a speed or an
acceleration that no tape computed (a finite difference) fails.
"""

from __future__ import annotations

import numpy as np

from ..checking import Fail, Lab, Question
from ..kernel.lab05_autodiff import EXERCISES as KERNEL
from ..kernel.lab05_autodiff import descent_settings
from ..written import Criterion, Written

MARK_RANGE = (1.1, 1.4)  # the factor the kernel side puts on every gradient the tape returns
SEPARATION = 0.05  # a known mistake must differ from the right answer by this much (relative)


def _apart(want: float, *mistakes: float, rel: float = SEPARATION) -> bool:
    """True when every mistake differs from ``want`` by more than ``rel`` of the larger size."""
    return all(abs(m - want) > rel * max(abs(want), abs(m), 0.1) for m in mistakes)


def _draw_mark(rng) -> float:
    """A factor in MARK_RANGE, away from the simple ratios a hand-typed formula could hit."""
    while True:
        mark = round(float(rng.uniform(*MARK_RANGE)), 4)
        if min(abs(mark - r) for r in (1.125, 1.2, 1.25, 4 / 3)) > 0.02:
            return mark


# q1, q2 -- a derivative at drawn points ---------------------------------------------------------


def _derivative_mistakes(x: float, power: int, mark: float) -> list[float]:
    """What the known mistakes return at x: y itself, the derivative by hand (no mark), half of
    it, the derivative of the next and the previous power, y through the tape's mark."""
    return [
        x**power,
        power * x ** (power - 1),
        mark * power * x ** (power - 1) / 2,
        mark * (power + 1) * x**power,
        mark * (power - 1) * x ** max(power - 2, 0),
        mark * x**power,
        mark * x ** (power - 1),
    ]


def _draw_points(power: int):
    def draw(rng) -> dict:
        """Four points where the derivative of x^power and every known mistake differ clearly."""
        mark = _draw_mark(rng)
        points: list[float] = []
        while len(points) < 4:
            x = round(float(rng.uniform(-4, 4)), 2)
            x32 = float(np.float32(x))
            want = mark * power * x32 ** (power - 1)
            if abs(x) > 0.3 and min((abs(x - p) for p in points), default=1.0) > 0.25:
                if _apart(want, *_derivative_mistakes(x32, power, mark)):
                    points.append(x)
        return {"x": np.array(points), "mark": mark}

    return draw


def _judge_derivatives(d, inputs, name, power, expression, watch=False):
    xs = inputs["x"].astype("float32").astype("float64")
    mark = float(inputs["mark"])
    points = d["points"]
    if len(points) != len(xs):
        raise Fail(f"{name} was not run at every point")
    for x, point in zip(xs, points, strict=True):
        value = float(point["value"])
        if not np.isfinite(value):
            raise Fail(f"{name}({x:g}) is NaN or infinite")
        if watch and point["variable_source"] and not point["watched_tensor"]:
            raise Fail(
                f"{name} differentiates with respect to a tf.Variable of its own; the exercise asks the tape "
                "to watch the constant x itself"
            )
        if np.isclose(value, x**power, rtol=1e-4, atol=1e-4):
            raise Fail(f"{name}({x:g}) returns y itself; return the gradient dy/dx")
        if np.isclose(value, mark * power * x ** (power - 1), rtol=1e-4, atol=1e-4):
            continue
        if np.isclose(value, power * x ** (power - 1), rtol=1e-4, atol=1e-4):
            raise Fail(
                f"{name}({x:g}) returns a derivative of its own, not the tape's; return what tape.gradient gives"
            )
        if not point["from_tape"]:
            raise Fail(
                f"{name}({x:g}) returns something other than the tape's gradient; return what tape.gradient gives"
            )
        raise Fail(f"at x = {x:g} your derivative of {expression} comes out as {value / mark:g}")


# q3 -- gradients of several variables ------------------------------------------------------------


def _draw_linear(rng) -> dict:
    """A batch, weights and a bias for which the known mistakes stand apart: the loss differs
    clearly from the mean without the square and the mean without the bias, and every entry of
    dL/db is clearly away from zero."""
    while True:
        x = rng.standard_normal((4, 3)).astype("float32")
        w = rng.standard_normal((3, 2)).astype("float32")
        b = rng.standard_normal(2).astype("float32")
        y = x.astype("float64") @ w + b
        grad_b = (2 * y / y.size).sum(axis=0)
        if _apart(np.mean(y**2), np.mean(y), np.mean((x @ w) ** 2)) and np.min(np.abs(grad_b)) > 0.05:
            return {"x": x, "w": w, "b": b}


def _judge_linear_grads(d, inputs):
    x, w, b = (inputs[k].astype("float64") for k in ("x", "w", "b"))
    y = x @ w + b
    loss = np.asarray(d["loss"]["values"], dtype="float64")
    loss_right = loss.size == 1 and bool(np.isclose(float(loss.reshape(-1)[0]), np.mean(y**2), rtol=1e-4))
    missing = [name for name in ("grad_w", "grad_b") if d[name] is None]
    if len(missing) == 2:
        raise Fail(
            "grad_w and grad_b are None: the loss is not connected to w and b on the tape; compute "
            "it from w and b with TensorFlow operations inside the `with` block"
        )
    if missing:
        name, var = missing[0], missing[0][-1]
        if loss_right:
            raise Fail(
                f"{name} is None: your loss is right but not connected to {var} on the tape (no .numpy() "
                f"inside it), or the call that gives {name} never ran"
            )
        raise Fail(
            f"{name} is None: the loss is not connected to {var} on the tape; compute it from "
            f"{var} inside the `with` block"
        )
    if loss.size != 1:
        raise Fail(
            f"loss has shape {tuple(d['loss']['shape'])}; it should be a single number, the mean over the whole batch"
        )
    if not loss_right:
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


def _fall_reference(inputs) -> tuple[float, float, float]:
    """Position, speed and acceleration at the judge's own t, in float64."""
    g, vt = float(np.float32(inputs["g"])), float(np.float32(inputs["vt"]))
    t = float(np.float32(inputs["t"]))
    u = g * t / vt
    return vt**2 / g * np.log(np.cosh(u)), vt * np.tanh(u), g * (1 - np.tanh(u) ** 2)


def _off_the_grid(value: float) -> bool:
    """True when ``value`` is clearly not a number with 1, 2 or 3 decimals (so the value a
    student read off a printout and typed in differs from it by far more than the tolerance)."""
    return all(abs(value * 10**d - round(value * 10**d)) > 0.05 for d in (1, 2, 3))


def _draw_time(rng) -> dict:
    """A planet's gravity ``g``, the apple's terminal speed ``vt`` and a time ``t`` at which drag
    matters (g t / vt between 0.5 and 1.4), all secret in grading: the derivatives of ``fall``
    cannot be typed in, only computed. Redrawn until the speed stands apart from the position,
    from free fall (g t, 9.8 t) and from the acceleration, and the acceleration from g, 9.8,
    the speed and half of itself, and until neither is a number with few decimals."""
    while True:
        g = round(float(rng.uniform(3.0, 25.0)), 2)
        vt = round(float(rng.uniform(8.0, 40.0)), 2)
        t = round(float(rng.uniform(0.5, 1.4)) * vt / g, 3)
        inputs = {"t": t, "g": g, "vt": vt}
        position, speed, acceleration = _fall_reference(inputs)
        typed = all(_off_the_grid(v) for v in (speed, acceleration))
        if (
            typed
            and _apart(speed, position, g * t, 9.8 * t, acceleration, 19.6)
            and _apart(acceleration, g, 9.8, speed)
        ):
            return inputs


def _from_a_tape(value: float, noted) -> bool:
    """True when a tape computed ``value`` from the handed ``fall`` (or computed something inside
    a compiled function, whose value the kernel could not see)."""
    for entry in noted:
        if entry == "symbolic":
            return True
        if len(entry) == 1 and np.isclose(value, entry[0], rtol=1e-6, atol=1e-9):
            return True
    return False


def _judge_apple(d, inputs):
    position, want_speed, want_acceleration = _fall_reference(inputs)
    speed, acceleration = d["speed"], d["acceleration"]
    if speed is None:
        raise Fail("speed is None: the inner tape did not record the position from t")
    if np.isclose(speed, position, rtol=1e-2):
        raise Fail("speed is the position itself; differentiate fall(t) with the inner tape")
    if not np.isclose(speed, want_speed, rtol=1e-2) or (
        not np.isclose(speed, want_speed, rtol=1e-4) and _from_a_tape(speed, d["tape_speeds"])
    ):
        raise Fail(f"speed is {speed:g} m/s, not the derivative of fall(t) at the t handed to you")
    if not _from_a_tape(speed, d["tape_speeds"]):
        raise Fail(
            "speed is near the derivative of fall(t), but no tape computed it (a finite difference?); "
            "differentiate fall(t) with the inner tape"
        )
    if acceleration is None:
        raise Fail(
            "acceleration is None: the outer tape did not record how speed was computed (the "
            "inner tape's gradient call must run inside the outer `with` block)"
        )
    if np.isclose(acceleration, speed, rtol=1e-2):
        raise Fail("acceleration equals the speed; differentiate once more")
    if not np.isclose(acceleration, want_acceleration, rtol=1e-2) or (
        not np.isclose(acceleration, want_acceleration, rtol=1e-4, atol=1e-4)
        and _from_a_tape(acceleration, d["tape_accelerations"])
    ):
        raise Fail(f"acceleration is {acceleration:g} m/s²; differentiate fall(t) twice, with nested tapes")
    if not _from_a_tape(acceleration, d["tape_accelerations"]):
        raise Fail(
            "acceleration is near the second derivative of fall(t), but no tape computed it (a finite "
            "difference?); differentiate the speed with the outer tape"
        )


# q5 -- gradient descent on (x - x_f)² --------------------------------------------------------------


def _descent_path(x0: float, x_f: float, rate: float, steps: int) -> np.ndarray:
    """x before the first step and after each step of x <- x - rate · d(x - x_f)²/dx."""
    x, path = x0, [x0]
    for _ in range(steps):
        x = x - rate * 2 * (x - x_f)
        path.append(x)
    return np.asarray(path)


def _draw_descent(rng) -> dict:
    """Three settings: a small, a medium and a large learning rate, different step counts, and
    the mark on the tape's gradients (so a step with a gradient of its own is told apart)."""
    lrs = [rng.uniform(0.02, 0.08), rng.uniform(0.12, 0.3), rng.uniform(0.32, 0.45)]
    x0 = rng.uniform(-6, 6, size=3)
    x_f = x0 + rng.choice([-1, 1], size=3) * rng.uniform(2, 6, size=3)
    return {
        "x0": x0.round(2),
        "x_f": x_f.round(2),
        "learning_rate": np.array(lrs).round(3)[rng.permutation(3)],
        "steps": rng.choice(np.arange(5, 31), size=3, replace=False),
        "mark": _draw_mark(rng),
    }


def _judge_descent(d, inputs):
    settings = descent_settings(inputs)
    mark = float(inputs["mark"])
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
        tolerance = 1e-4 + 1e-4 * max(abs(x0), abs(x_f))
        err = float(np.max(np.abs(got - _descent_path(x0, x_f, lr * mark, steps))))
        if err <= tolerance:
            continue
        if float(np.max(np.abs(got - _descent_path(x0, x_f, lr, steps)))) <= tolerance:
            raise Fail(f"{where} x steps with a gradient of its own, not the one tape.gradient returns")
        raise Fail(f"{where} the path of x is off (largest error {err:.3g}); each step is learning rate x gradient")


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
    [
        Question(
            KERNEL["q1"],
            title="The derivative of x²",
            points=1,
            judge=lambda d, inputs: _judge_derivatives(d, inputs, "derivative_of_square", 2, "x²"),
            draw=_draw_points(2),
            hints=[
                "Compute y inside `with tf.GradientTape() as tape:`, then ask the tape.",
                "Return what the tape answers, not a formula of your own: the tape's gradient method takes a target "
                "and a source (tensorflow.org/guide/autodiff, 'Gradient tapes').",
            ],
        ),
        Question(
            KERNEL["q2"],
            title="Watching a constant",
            points=1,
            judge=lambda d, inputs: _judge_derivatives(d, inputs, "gradient_of_cube", 3, "x³", watch=True),
            draw=_draw_points(3),
            hints=[
                "A tape only follows variables unless you tell it otherwise.",
                "A tape can be told to watch a tensor before the computation uses it: see 'Controlling what the "
                "tape watches' in tensorflow.org/guide/autodiff.",
            ],
        ),
        Question(
            KERNEL["q3"],
            title="Gradients of several variables",
            points=2,
            judge=_judge_linear_grads,
            draw=_draw_linear,
            hints=[
                "The loss is the mean of the squared outputs x_batch · w + b, computed inside the tape.",
                "One tape answers once unless it is persistent, and tape.gradient accepts several sources at once "
                "(tensorflow.org/guide/autodiff, 'Gradients with respect to a model').",
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
                "The outer tape has to be recording while the inner tape computes its gradient: see 'Higher-order "
                "gradients' in tensorflow.org/guide/advanced_autodiff.",
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
                "A tf.Variable changes in place through its assign methods (tensorflow.org/guide/variable), and "
                "the history keeps numbers, not the variable.",
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
                "L averages (z - y)² over every entry of z, so dL/dz divides by the number of entries.",
                "Each weight meets every example, so its gradient adds up over the batch: the chain rule gives a "
                "matrix product for W and a sum over the rows for b.",
            ],
        ),
        Written(
            KERNEL["q7"],
            title="How the tape computes a gradient",
            points=2,
            rubric=[
                Criterion(
                    "the tape records the operations run inside its with-block on watched variables or tensors", 1
                ),
                Criterion(
                    "tape.gradient goes backwards through that record, applying the chain rule to each operation's "
                    "known derivative",
                    1,
                ),
            ],
        ),
    ],
)
