"""Lab 05 - Automatic differentiation: the kernel side of its checks (see :mod:`labtools.kernel`).

Each exercise runs the student's code on the inputs the judge drew and returns what came out.

The exercises that ask for a function (q1, q2, q5) run it while :func:`_tape_log` watches the
tape: it records every ``tf.GradientTape.gradient`` / ``jacobian`` call (its sources, whether a
gradient came back None) and every ``watch``, and it *marks* what the tape returns: each
gradient comes back multiplied by the judge's drawn factor ``mark``. A derivative that went
through the tape carries the mark; one typed in by hand (``return 2 * x``, even after a tape
call) or a descent that steps with a gradient of its own does not, and the judge tells them
apart. Exercise 4 is a cell, not a function: the ``fall`` it hands out has custom gradients
that record what the tapes computed from it, so the judge can tell a speed a tape gave from a
finite difference. The judge computes every expected value itself.
"""

from __future__ import annotations

import contextlib
import functools
import re

import numpy as np

from .calling import call, describe, tensor_facts, two_values
from .errors import Fail, NotAttempted
from .exercise import Exercise, exercises, written

_TAPE_METHODS = ("gradient", "jacobian", "batch_jacobian")


def _flatten(value) -> list:
    import tensorflow as tf

    return tf.nest.flatten(value)


def _kind(value) -> str:
    """ "variable", "tensor" or "other": what a gradient's source or a watched object is."""
    import tensorflow as tf

    if isinstance(value, tf.Variable):
        return "variable"
    return "tensor" if isinstance(value, tf.Tensor) else "other"


def _marked(result, mark):
    """``result`` (a gradient, or a structure of them) times ``mark``; None stays None."""
    import tensorflow as tf

    def one(g):
        if isinstance(g, tf.IndexedSlices):
            return tf.IndexedSlices(g.values * tf.cast(mark, g.values.dtype), g.indices, g.dense_shape)
        if isinstance(g, tf.Tensor) and g.dtype.is_floating:
            return g * tf.cast(mark, g.dtype)
        return g

    return tf.nest.map_structure(one, result)


@contextlib.contextmanager
def _tape_log(mark: float | None = None):
    """Every ``tape.gradient`` / ``tape.jacobian`` call made inside the block, as dicts with its
    ``result``, the kinds of its ``sources`` and whether a gradient came back ``none``; and
    every ``tape.watch`` (the kinds of what it watched). With ``mark``, each gradient the tape
    returns is multiplied by it (a jacobian's inner gradient calls are left alone).

    tf.functions run eagerly meanwhile, so a compiled answer (traced long ago) shows its tape too."""
    import tensorflow as tf

    cls, calls, watched = tf.GradientTape, [], []
    saved = {name: cls.__dict__[name] for name in (*_TAPE_METHODS, "watch") if name in cls.__dict__}
    depth = [0]

    def recording(method):
        @functools.wraps(method)
        def wrapper(self, target, sources, *args, **kwargs):
            if depth[0] == 0 and "other" in [_kind(s) for s in _flatten(sources)]:
                raise Fail(
                    f"tape.{method.__name__} was asked about a plain number; ask it about the tf.Variable or the "
                    "watched tensor itself (not its .numpy() or float value)"
                )
            depth[0] += 1
            try:
                result = method(self, target, sources, *args, **kwargs)
            finally:
                depth[0] -= 1
            if depth[0] == 0:
                if mark is not None:
                    result = _marked(result, mark)
                calls.append(
                    {
                        "result": result,
                        "sources": [_kind(s) for s in _flatten(sources)],
                        "none": any(g is None for g in _flatten(result)),
                    }
                )
            return result

        return wrapper

    def watching(method):
        @functools.wraps(method)
        def wrapper(self, tensor):
            if "other" in [_kind(t) for t in _flatten(tensor)]:
                raise Fail("tape.watch was given a plain number; it watches tensors (tf.constant) and variables")
            watched.extend(_kind(t) for t in _flatten(tensor))
            return method(self, tensor)

        return wrapper

    eager = tf.config.functions_run_eagerly()
    for name, method in saved.items():
        setattr(cls, name, watching(method) if name == "watch" else recording(method))
    tf.config.run_functions_eagerly(True)
    try:
        yield calls, watched
    finally:
        tf.config.run_functions_eagerly(eager)
        for name, method in saved.items():
            setattr(cls, name, method)


_TF_WORDS = (
    (
        re.compile(r"'(?:[\w.]+\.)?(?:EagerTensor|SymbolicTensor)' object has no attribute '(assign\w*)'"),
        r"a tensor has no \1 (only a tf.Variable has)",
    ),
    (re.compile(r"'?(?:[\w.]+\.)?(?:EagerTensor|SymbolicTensor)'?"), "tf.Tensor"),
    (re.compile(r"'?(?:[\w.]+\.)?ResourceVariable'?"), "tf.Variable"),
    (re.compile(r"'?(?:[\w.]+\.)?IndexedSlices'?"), "sparse gradient"),
)


def _plain_words(text: str) -> str:
    """An error message with TensorFlow's class names in the student's words."""
    for pattern, words in _TF_WORDS:
        text = pattern.sub(words, text)
    return text


def _stopped_being_a_variable(calls) -> bool:
    """A gradient came back None for a plain tensor after an earlier call had a variable as its
    source: the variable was replaced by a tensor (``x = x - ...``)."""
    for i, c in enumerate(calls):
        if c["none"] and "tensor" in c["sources"]:
            return any("variable" in earlier["sources"] for earlier in calls[:i])
    return False


def _taped_call(fn, name, *args, none_gradient, none="returns None; return the result", mark=None):
    """Call the student's function while watching (and marking) the tape; returns (result, calls,
    watched)."""
    with _tape_log(mark) as (calls, watched):
        try:
            out = call(fn, name, *args, none=none)
        except Fail as exc:
            if _stopped_being_a_variable(calls):
                raise Fail(
                    "x stopped being a tf.Variable after the first step: `x = x - ...` makes a new tensor, which "
                    "the tape does not watch; change the variable in place"
                ) from None
            if any(c["none"] for c in calls):
                raise Fail(f"the tape's gradient in {name} is None: {none_gradient}") from None
            raise Fail(_plain_words(str(exc))) from None
    if not calls:
        raise Fail(
            f"{name} never asked a gradient tape; compute the derivative with tf.GradientTape "
            "and tape.gradient, not by hand"
        )
    return out, calls, watched


def _one_number(value, name) -> float:
    """A single number from a tensor, NumPy value or Python number."""
    import tensorflow as tf

    if isinstance(value, tf.Variable):
        value = value.read_value()
    if isinstance(value, (str, bytes, bool)):
        raise Fail(f"{name} is {describe(value)}; return the gradient, a number")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError, RuntimeError):
        arr = None
    if arr is None or arr.dtype.kind not in "iuf":
        strings = (arr is not None and arr.dtype.kind in "SU") or (
            isinstance(value, tf.Tensor) and value.dtype == tf.string
        )
        what = "holds strings" if strings else f"is {describe(value)}"
        raise Fail(f"{name} {what}; return the gradient, a number")
    if arr.size != 1:
        raise Fail(f"{name} holds {arr.size} numbers for a single x; return the one gradient")
    return float(arr.reshape(-1)[0])


def _came_from_tape(value: float, calls) -> bool:
    """True if ``value`` is one of the gradients the tape returned (or one it cannot show)."""
    for c in calls:
        for g in _flatten(c["result"]):
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


def _derivatives(fn, name, given, make, none_gradient):
    """At each drawn point: the value returned (through the marked tape), whether it is one the
    tape returned, whether the function watched a tensor and whether it took a gradient with
    respect to a variable."""
    points = []
    for x in given["x"]:
        label = f"{name}({x:g})"
        out, calls, watched = _taped_call(
            fn,
            label,
            make(float(x)),
            none_gradient=none_gradient,
            none="returns None; return the gradient",
            mark=given["mark"],
        )
        value = _one_number(out, label)
        points.append(
            {
                "value": value,
                "from_tape": _came_from_tape(value, calls),
                "watched_tensor": "tensor" in watched,
                "variable_source": any("variable" in c["sources"] for c in calls),
            }
        )
    return {"points": points}


def _extract_square(derivative_of_square, given):
    import tensorflow as tf

    return _derivatives(
        derivative_of_square,
        "derivative_of_square",
        given,
        tf.Variable,
        "compute y from x with TensorFlow operations inside the `with` block",
    )


def _extract_cube(gradient_of_cube, given):
    import tensorflow as tf

    return _derivatives(
        gradient_of_cube, "gradient_of_cube", given, tf.constant, "the tape did not watch the constant x"
    )


# q3 -- gradients of several variables ------------------------------------------------------------


def _hand_linear(inputs):
    import tensorflow as tf

    return tf.constant(inputs["x"]), tf.Variable(inputs["w"], name="w"), tf.Variable(inputs["b"], name="b")


def _extract_linear_grads(grad_w, grad_b, loss, given):
    import tensorflow as tf

    # a sparse gradient (from a gather) is still the gradient: read it as the dense tensor it stands for
    grad_w, grad_b = (tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in (grad_w, grad_b))
    return {
        "grad_w": None if grad_w is None else tensor_facts(grad_w, "grad_w", "get it from tape.gradient"),
        "grad_b": None if grad_b is None else tensor_facts(grad_b, "grad_b", "get it from tape.gradient"),
        "loss": tensor_facts(loss, "loss", "compute it with TensorFlow operations inside the tape"),
    }


# q4 -- second derivative: the falling apple --------------------------------------------------

# What the tapes computed from the ``fall`` handed out for the current inputs: the speeds (first
# derivatives) and accelerations (second derivatives) its custom gradients returned, as numbers,
# or "symbolic" for one computed inside a compiled function (its value is not known then). Kept
# while the inputs stay the same, so running the cell that hands out ``fall`` again does not
# make a speed computed before it look untaped; new inputs start a new record.
_APPLE_TAPES: dict[str, list] = {"speeds": [], "accelerations": [], "inputs": []}
_NOTED_MAX = 500  # the latest ones are kept


def _noted(key: str, value):
    import tensorflow as tf

    noted = _APPLE_TAPES[key]
    noted.append(np.asarray(value, dtype="float64").ravel().tolist() if tf.executing_eagerly() else "symbolic")
    del noted[:-_NOTED_MAX]


def _hand_time(inputs):
    import tensorflow as tf

    g, vt = tf.constant(inputs["g"], tf.float32), tf.constant(inputs["vt"], tf.float32)
    key = [float(inputs[k]) for k in ("t", "g", "vt")]
    if _APPLE_TAPES["inputs"] != key:
        _APPLE_TAPES.update(speeds=[], accelerations=[], inputs=key)

    @tf.custom_gradient
    def velocity(t):
        def acceleration(upstream):
            out = upstream * g * (1.0 - tf.math.tanh(g * t / vt) ** 2)
            _noted("accelerations", out)
            return out

        return vt * tf.math.tanh(g * t / vt), acceleration

    @tf.custom_gradient
    def position(t):
        def speed(upstream):
            out = upstream * velocity(t)
            _noted("speeds", out)
            return out

        return vt**2 / g * tf.math.log(tf.math.cosh(g * t / vt)), speed

    def fall(t):
        """Metres the apple has fallen after t seconds, air drag included."""
        return position(t)

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

    return {
        "acceleration": number(acceleration, "acceleration"),
        "speed": number(speed, "speed"),
        "tape_speeds": list(_APPLE_TAPES["speeds"]),
        "tape_accelerations": list(_APPLE_TAPES["accelerations"]),
    }


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
            f"minimise returns {describe(out)}; return the list of x values: x before the first "
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
        out, _, _ = _taped_call(
            minimise,
            "minimise",
            x0,
            x_f,
            lr,
            steps,
            none_gradient="compute the loss from the variable x inside the `with` block",
            none="returns None; return the list of x values",
            mark=given["mark"],
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
        raise Fail(f"{name} is {describe(value)}; return it as a tensor or a NumPy array of numbers") from None
    return arr


def _extract_backprop(dense_gradients, given):
    import tensorflow as tf

    results = []
    for i in range(2):
        x, W, b, y = (tf.constant(given[f"{k}{i}"]) for k in ("x", "W", "b", "y"))
        with _tape_log() as (calls, _):
            out = call(dense_gradients, "dense_gradients(x, W, b, y)", x, W, b, y)
        if calls:
            raise Fail(
                "dense_gradients asked a gradient tape; derive the gradients with the chain rule and compute "
                "them with matrix operations"
            )
        two_values(out, "dense_gradients", "(dL_dW, dL_db)")
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
    written("q7"),
)
