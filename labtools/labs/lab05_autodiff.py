"""Lab 05 - Automatic differentiation: questions, points, hints and checks.

Every check draws fresh inputs (see :mod:`labtools.checking`): the points where a derivative is
taken, the linear model's ``x_batch, w, b``, the apple's time and the descent settings. So a
table of the checker's inputs or a typed-in number cannot pass.

The exercises that ask for a function (q1, q2, q5) also watch the tape while the student's code
runs: :func:`_tape_log` records what ``tf.GradientTape.gradient`` (and ``jacobian``) return
meanwhile. A derivative typed in by hand (``return 2 * x``) has the right value but never asked
a tape, and fails; q1 and q2 must return the very value the tape gave. This runs in the
student's kernel for their own benefit; the judge still computes every expected value itself.
"""

from __future__ import annotations

import contextlib
import functools

import numpy as np

from ..checking import Fail, Lab, NotAttempted, Question
from ..judging import call, tensor_facts

_TAPE_METHODS = ("gradient", "jacobian", "batch_jacobian")


@contextlib.contextmanager
def _tape_log():
    """The results of every ``tape.gradient`` / ``tape.jacobian`` call made inside the block.

    tf.functions run eagerly meanwhile, so a compiled answer (traced long ago) shows its tape too."""
    import tensorflow as tf

    cls, log = tf.GradientTape, []
    saved = {name: cls.__dict__[name] for name in _TAPE_METHODS if name in cls.__dict__}

    def recording(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            result = method(self, *args, **kwargs)
            log.append(result)
            return result

        return wrapper

    eager = tf.config.functions_run_eagerly()
    for name, method in saved.items():
        setattr(cls, name, recording(method))
    tf.config.run_functions_eagerly(True)
    try:
        yield log
    finally:
        tf.config.run_functions_eagerly(eager)
        for name, method in saved.items():
            setattr(cls, name, method)


def _flat(log):
    import tensorflow as tf

    return [g for result in log for g in tf.nest.flatten(result)]


def _gave_none(log) -> bool:
    return any(g is None for g in _flat(log))


def _taped_call(fn, name, *args, none_gradient, none="returns None; return the result"):
    """Call the student's function while watching the tape; returns (result, the tape's results)."""
    with _tape_log() as log:
        try:
            out = call(fn, name, *args, none=none)
        except Fail:
            if _gave_none(log):
                raise Fail(f"the tape's gradient in {name} is None: {none_gradient}") from None
            raise
    if not log:
        raise Fail(
            f"{name} never asked a gradient tape; compute the derivative with tf.GradientTape "
            "and tape.gradient, not by hand"
        )
    return out, log


def _a(value) -> str:
    """``value``'s type with its article, in the student's words: "a str", "an int", "a tf.Tensor"."""
    import tensorflow as tf

    kind = "tf.Tensor" if isinstance(value, tf.Tensor) else type(value).__name__
    kind = {"str": "string", "ndarray": "NumPy array"}.get(kind, kind)
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


def _one_number(value, name) -> float:
    """A single number from a tensor, NumPy value or Python number."""
    import tensorflow as tf

    if isinstance(value, tf.Variable):
        value = value.read_value()
    if isinstance(value, (str, bytes, bool)):
        raise Fail(f"{name} is {_a(value)}; return the gradient, a number")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError, RuntimeError):
        arr = None
    if arr is None or arr.dtype.kind not in "iuf":
        strings = (arr is not None and arr.dtype.kind in "SU") or (
            isinstance(value, tf.Tensor) and value.dtype == tf.string
        )
        what = "holds strings" if strings else f"is {_a(value)}"
        raise Fail(f"{name} {what}; return the gradient, a number")
    if arr.size != 1:
        raise Fail(f"{name} holds {arr.size} numbers for a single x; return the one gradient")
    return float(arr.reshape(-1)[0])


def _came_from_tape(value: float, log) -> bool:
    """True if ``value`` is one of the gradients the tape returned (or one it cannot show)."""
    for g in _flat(log):
        if g is None:
            continue
        try:
            got = np.asarray(g, dtype="float64")
        except (TypeError, ValueError, RuntimeError):  # symbolic (jacobian's loop): the tape did run
            return True
        if got.size == 1 and np.isclose(float(got.reshape(-1)[0]), value, rtol=1e-6, atol=1e-7):
            return True
    return False


# q1, q2 -- a derivative at drawn points ---------------------------------------------------------


def _draw_points(rng) -> dict:
    """Four points where x², 2x, x³ and 3x² all differ clearly (away from 0, 1.5, 2 and 3)."""
    points: list[float] = []
    while len(points) < 4:
        x = round(float(rng.uniform(-4, 4)), 2)
        if min(abs(x - p) for p in (0.0, 1.5, 2.0, 3.0, *points)) > 0.25:
            points.append(x)
    return {"x": np.array(points)}


def _derivatives(fn, name, given, make, none_gradient, power):
    values = []
    for x in given["x"]:
        label = f"{name}({x:g})"
        out, log = _taped_call(
            fn, label, make(float(x)), none_gradient=none_gradient, none="returns None; return the gradient"
        )
        value = _one_number(out, label)
        if not _came_from_tape(value, log):
            x32 = float(np.float32(x))
            if np.isclose(value, x32**power, rtol=1e-4):
                raise Fail(f"{label} returns y itself; return the gradient dy/dx that the tape gives")
            raise Fail(f"{label} returns something other than the tape's gradient; return what tape.gradient gives")
        values.append(value)
    return {"values": values}


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


def _extract_square(derivative_of_square, given):
    import tensorflow as tf

    return _derivatives(
        derivative_of_square,
        "derivative_of_square",
        given,
        tf.Variable,
        "compute y from x with TensorFlow operations inside the `with` block",
        2,
    )


def _extract_cube(gradient_of_cube, given):
    import tensorflow as tf

    return _derivatives(
        gradient_of_cube, "gradient_of_cube", given, tf.constant, "the tape did not watch the constant x", 3
    )


# q3 -- gradients of several variables ------------------------------------------------------------


def _draw_linear(rng) -> dict:
    return {
        "x": rng.standard_normal((4, 3)).astype("float32"),
        "w": rng.standard_normal((3, 2)).astype("float32"),
        "b": rng.standard_normal(2).astype("float32"),
    }


def _hand_linear(inputs):
    import tensorflow as tf

    return tf.constant(inputs["x"]), tf.Variable(inputs["w"], name="w"), tf.Variable(inputs["b"], name="b")


def _extract_linear_grads(grad_w, grad_b, loss, given):
    return {
        "grad_w": None if grad_w is None else tensor_facts(grad_w, "grad_w", "get it from tape.gradient"),
        "grad_b": None if grad_b is None else tensor_facts(grad_b, "grad_b", "get it from tape.gradient"),
        "loss": tensor_facts(loss, "loss", "compute it with TensorFlow operations inside the tape"),
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


def _hand_time(inputs):
    import tensorflow as tf

    g, vt = tf.constant(inputs["g"], tf.float32), tf.constant(inputs["vt"], tf.float32)

    def fall(t):
        """Metres the apple has fallen after t seconds, air drag included."""
        return vt**2 / g * tf.math.log(tf.math.cosh(g * t / vt))

    return tf.Variable(inputs["t"], dtype=tf.float32, name="t"), fall


def _fall_reference(inputs) -> tuple[float, float, float]:
    """Position, speed and acceleration at the judge's own t, in float64."""
    g, vt = float(np.float32(inputs["g"])), float(np.float32(inputs["vt"]))
    u = g * float(np.float32(inputs["t"])) / vt
    return vt**2 / g * np.log(np.cosh(u)), vt * np.tanh(u), g * (1 - np.tanh(u) ** 2)


def _extract_apple(acceleration, speed, given):
    if acceleration is None and speed is None:
        raise NotAttempted("speed and acceleration are still the placeholders")

    def number(value, name):
        if value is None:
            return None
        facts = tensor_facts(value, name, "get it from a tape's gradient, not by hand")
        if np.asarray(facts["values"]).size != 1:
            raise Fail(f"{name} has shape {tuple(facts['shape'])}; it should be a single number")
        return float(np.asarray(facts["values"], dtype="float64").reshape(-1)[0])

    return {"acceleration": number(acceleration, "acceleration"), "speed": number(speed, "speed")}


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


def _settings(inputs):
    return [
        (float(x0), float(x_f), float(lr), int(steps))
        for x0, x_f, lr, steps in zip(
            inputs["x0"], inputs["x_f"], inputs["learning_rate"], inputs["steps"], strict=True
        )
    ]


def _history(out) -> np.ndarray:
    import tensorflow as tf

    if isinstance(out, (tf.Tensor, np.ndarray)) and np.ndim(out) == 1:
        out = list(out)
    if not isinstance(out, (list, tuple)):
        raise Fail(
            f"minimise returns {_a(out)}; return the list of x values: x before the first step and after every step"
        )
    if any(isinstance(v, tf.Variable) for v in out):
        raise Fail(
            "the history holds the variable x itself, which keeps changing; append its value at each step (a number)"
        )
    try:
        return np.array([_one_number(v, "a value in the history") for v in out], dtype="float64")
    except Fail:
        raise Fail("minimise should return a list of numbers: x before the first step and after every step") from None


def _extract_descent(minimise, given):
    histories = []
    for x0, x_f, lr, steps in _settings(given):
        out, _ = _taped_call(
            minimise,
            "minimise",
            x0,
            x_f,
            lr,
            steps,
            none_gradient="compute the loss from the variable x inside the `with` block",
            none="returns None; return the list of x values",
        )
        histories.append(_history(out))
    return {"histories": histories}


def _judge_descent(d, inputs):
    settings = _settings(inputs)
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


def _values(value, name) -> np.ndarray:
    import tensorflow as tf

    if isinstance(value, tf.Variable):
        value = value.read_value()
    try:
        arr = np.asarray(value, dtype="float64")
    except (TypeError, ValueError, RuntimeError):
        raise Fail(f"{name} is {_a(value)}; return it as a tensor or a NumPy array of numbers") from None
    return arr


def _extract_backprop(dense_gradients, given):
    import tensorflow as tf

    results = []
    for i in range(2):
        x, W, b, y = (tf.constant(given[f"{k}{i}"]) for k in ("x", "W", "b", "y"))
        with _tape_log() as log:
            out = call(dense_gradients, "dense_gradients(x, W, b, y)", x, W, b, y)
        if log:
            raise Fail(
                "dense_gradients asked a gradient tape; derive the gradients with the chain rule and "
                "compute them with matrix operations (the cell below compares them with the tape)"
            )
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise Fail(f"dense_gradients returns {_a(out)}; return two values: (dL_dW, dL_db)")
        results.append({"dW": _values(out[0], "dL_dW"), "db": _values(out[1], "dL_db")})
    return {"results": results}


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
            "q1",
            "The derivative of x²",
            1,
            ["derivative_of_square"],
            _extract_square,
            lambda d, inputs: _judge_derivatives(d, inputs, "derivative_of_square", 2, "x²"),
            draw=_draw_points,
            hints=[
                "Compute y inside `with tf.GradientTape() as tape:`, then ask the tape.",
                "tape.gradient(target, source): target is y, source is x.",
            ],
        ),
        Question(
            "q2",
            "Watching a constant",
            1,
            ["gradient_of_cube"],
            _extract_cube,
            lambda d, inputs: _judge_derivatives(d, inputs, "gradient_of_cube", 3, "x³"),
            draw=_draw_points,
            hints=[
                "A tape only follows variables unless you tell it otherwise.",
                "tape.watch(x) as the first line inside the `with` block.",
            ],
        ),
        Question(
            "q3",
            "Gradients of several variables",
            2,
            ["grad_w", "grad_b", "loss"],
            _extract_linear_grads,
            _judge_linear_grads,
            none_is_an_answer=["grad_w", "grad_b"],
            draw=_draw_linear,
            hand=_hand_linear,
            hints=[
                "tape.gradient accepts a list of sources and returns a list of gradients.",
                "The loss is the mean of the squared outputs x_batch · w + b, computed inside the tape.",
            ],
        ),
        Question(
            "q4",
            "Second derivatives: the falling apple",
            2,
            ["acceleration", "speed"],
            _extract_apple,
            _judge_apple,
            none_is_an_answer=["acceleration", "speed"],
            draw=_draw_time,
            hand=_hand_time,
            hints=[
                "Nest two tapes: the inner one gives the speed, the outer one its derivative.",
                "The inner tape's gradient call must run inside the outer tape's block.",
            ],
        ),
        Question(
            "q5",
            "Gradient descent by hand",
            2,
            ["minimise"],
            _extract_descent,
            _judge_descent,
            draw=_draw_descent,
            hints=[
                "Each step: compute the loss under a tape, take its gradient, move x against it.",
                "x.assign_sub(learning_rate * grad), and append float(x) after each step.",
            ],
        ),
        Question(
            "q6",
            "Backpropagation by hand",
            2,
            ["dense_gradients"],
            _extract_backprop,
            _judge_backprop,
            draw=_draw_backprop,
            hints=[
                "Go backwards: first dL/dz for z = x W + b, then from dL/dz to W and to b.",
                "L averages (z - y)² over every entry of z, so dL/dz = 2 (z - y) / (number of entries).",
                "z = x W + b: dL/dW = xᵀ · dL/dz, and dL/db adds dL/dz up over the rows of the batch.",
            ],
        ),
    ],
)
