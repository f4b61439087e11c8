"""Lab 05 - Automatic differentiation: the kernel side of its checks (see :mod:`labtools.kernel`).

Each exercise runs the student's code on the inputs the judge drew and returns what came out.

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

from .calling import call, tensor_facts
from .errors import Fail, NotAttempted
from .exercise import Exercise, exercises

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


def _type_with_article(value) -> str:
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
        raise Fail(f"{name} is {_type_with_article(value)}; return the gradient, a number")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError, RuntimeError):
        arr = None
    if arr is None or arr.dtype.kind not in "iuf":
        strings = (arr is not None and arr.dtype.kind in "SU") or (
            isinstance(value, tf.Tensor) and value.dtype == tf.string
        )
        what = "holds strings" if strings else f"is {_type_with_article(value)}"
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


def _hand_linear(inputs):
    import tensorflow as tf

    return tf.constant(inputs["x"]), tf.Variable(inputs["w"], name="w"), tf.Variable(inputs["b"], name="b")


def _extract_linear_grads(grad_w, grad_b, loss, given):
    return {
        "grad_w": None if grad_w is None else tensor_facts(grad_w, "grad_w", "get it from tape.gradient"),
        "grad_b": None if grad_b is None else tensor_facts(grad_b, "grad_b", "get it from tape.gradient"),
        "loss": tensor_facts(loss, "loss", "compute it with TensorFlow operations inside the tape"),
    }


# q4 -- second derivative: the falling apple --------------------------------------------------


def _hand_time(inputs):
    import tensorflow as tf

    g, vt = tf.constant(inputs["g"], tf.float32), tf.constant(inputs["vt"], tf.float32)

    def fall(t):
        """Metres the apple has fallen after t seconds, air drag included."""
        return vt**2 / g * tf.math.log(tf.math.cosh(g * t / vt))

    return tf.Variable(inputs["t"], dtype=tf.float32, name="t"), fall


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


# q5 -- gradient descent on (x - x_f)² --------------------------------------------------------------


def descent_settings(inputs) -> list[tuple[float, float, float, int]]:
    """The drawn descent settings as ``(x0, x_f, learning_rate, steps)`` tuples (both sides)."""
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
            f"minimise returns {_type_with_article(out)}; return the list of x values: x before the first "
            "step and after every step"
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
    for x0, x_f, lr, steps in descent_settings(given):
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


# q6 -- backpropagation by hand: a dense layer's gradients -----------------------------------------


def _values(value, name) -> np.ndarray:
    import tensorflow as tf

    if isinstance(value, tf.Variable):
        value = value.read_value()
    try:
        arr = np.asarray(value, dtype="float64")
    except (TypeError, ValueError, RuntimeError):
        raise Fail(
            f"{name} is {_type_with_article(value)}; return it as a tensor or a NumPy array of numbers"
        ) from None
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
            raise Fail(f"dense_gradients returns {_type_with_article(out)}; return two values: (dL_dW, dL_db)")
        results.append({"dW": _values(out[0], "dL_dW"), "db": _values(out[1], "dL_db")})
    return {"results": results}


EXERCISES = exercises(
    Exercise("q1", answers=["derivative_of_square"], extract=_extract_square),
    Exercise("q2", answers=["gradient_of_cube"], extract=_extract_cube),
    Exercise(
        "q3",
        answers=["grad_w", "grad_b", "loss"],
        extract=_extract_linear_grads,
        hand=_hand_linear,
        none_is_an_answer=["grad_w", "grad_b"],
    ),
    Exercise(
        "q4",
        answers=["acceleration", "speed"],
        extract=_extract_apple,
        hand=_hand_time,
        none_is_an_answer=["acceleration", "speed"],
    ),
    Exercise("q5", answers=["minimise"], extract=_extract_descent),
    Exercise("q6", answers=["dense_gradients"], extract=_extract_backprop),
)
