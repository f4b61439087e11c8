"""Lab 05 answer set: automatic differentiation."""

import keras
import numpy as np
import tensorflow as tf

from . import right, untouched, wrong


def _no_body(x): ...  # TODO: your code here


def _no_body_descent(x0, x_f, learning_rate, steps): ...  # TODO: your code here


def _taped(f, watch=False, persistent=False):
    """d f(x) / dx with a tape, the way the notebook teaches it."""

    def derivative(x):
        with tf.GradientTape(persistent=persistent) as tape:
            if watch:
                tape.watch(x)
            y = f(x)
        return tape.gradient(y, x)

    return derivative


def _table(table):
    """A lookup table of the old fixed points (what a student copies from a checker's constants)."""

    def fn(x):
        return tf.constant(table.get(round(float(x), 3), 0.0))

    return fn


class FakeTensor:
    """An object that only looks like a tensor."""

    shape = ()
    dtype = tf.float32

    def __init__(self, v):
        self.v = v

    def numpy(self):
        return np.float32(self.v)


# -- q1 -----------------------------------------------------------------------------------------


def _square_list_source(x):
    with tf.GradientTape() as tape:
        y = tf.square(x)
    return tape.gradient(y, [x])[0]


def _square_numpy(x):
    with tf.GradientTape() as tape:
        y = x**2
    return tape.gradient(y, x).numpy()


def _square_jacobian(x):
    with tf.GradientTape() as tape:
        y = x * x
    return tape.jacobian(y, x)


def _square_y_itself(x):
    with tf.GradientTape() as tape:
        y = x**2
    tape.gradient(y, x)
    return y


def _square_through_numpy(x):
    with tf.GradientTape() as tape:
        y = tf.constant(x.numpy() ** 2)
    return tape.gradient(y, x)


def _square_outside_tape(x):
    y = x * x
    with tf.GradientTape() as tape:
        pass
    return tape.gradient(y, x)


def _tape_then_constant(x):
    with tf.GradientTape() as tape:
        y = x * x
    tape.gradient(y, x)
    return tf.constant(6.0)


def _square_tape_then_by_hand(x):
    """Asks the tape, then returns the derivative worked out by hand."""
    with tf.GradientTape() as tape:
        y = x**2
    tape.gradient(y, x)
    return 2 * x


def _square_tape_then_float(x):
    with tf.GradientTape() as tape:
        y = x * x
    grad = tape.gradient(y, x)
    return float(grad)


def _square_source_numpy(x):
    with tf.GradientTape() as tape:
        y = x**2
    return tape.gradient(y, x.numpy())


def _square_gradient_inside(x):
    with tf.GradientTape() as tape:
        y = x**2
        grad = tape.gradient(y, x)
    return grad


# -- q2 -----------------------------------------------------------------------------------------


def _cube_as_variable(x):
    v = tf.Variable(x)
    with tf.GradientTape() as tape:
        y = v**3
    return tape.gradient(y, v)


def _cube_watch_list(x):
    with tf.GradientTape() as tape:
        tape.watch([x])
        y = tf.pow(x, 3.0)
    return tape.gradient(y, x)


def _cube_watch_after(x):
    with tf.GradientTape() as tape:
        y = x**3
        tape.watch(x)
    return tape.gradient(y, x)


def _cube_y_itself(x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x**3
    tape.gradient(y, x)
    return y


def _cube_watch_only_accessed(x):
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(x)
        y = x * x * x
    return tape.gradient(y, x)


def _cube_convert_then_watch(x):
    x = tf.convert_to_tensor(x, dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x**3
    return tape.gradient(y, x)


def _cube_variable_from_numpy(x):
    v = tf.Variable(x.numpy())
    with tf.GradientTape() as tape:
        y = v * v * v
    return tape.gradient(y, v)


def _cube_tape_then_by_hand(x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x**3
    tape.gradient(y, x)
    return 3 * x**2


def _cube_watch_numpy(x):
    x = x.numpy()
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x**3
    return tape.gradient(y, x)


# -- q3 -----------------------------------------------------------------------------------------


def _linear(loss_fn, sources="list"):
    def make(x_batch, w, b):
        with tf.GradientTape(persistent=sources == "two calls") as tape:
            loss = loss_fn(x_batch, w, b)
        if sources == "dict":
            grads = tape.gradient(loss, {"w": w, "b": b})
            return grads["w"], grads["b"], loss
        if sources == "two calls":
            return tape.gradient(loss, w), tape.gradient(loss, b), loss
        grad_w, grad_b = tape.gradient(loss, [w, b] if sources == "list" else (w, b))
        return grad_w, grad_b, loss

    return make


def _mean_sq(x_batch, w, b):
    return tf.reduce_mean((x_batch @ w + b) ** 2)


def _changed(change):
    """The right answer, then changed by ``change(grad_w, grad_b, loss)``."""
    return lambda x_batch, w, b: change(*_linear(_mean_sq)(x_batch, w, b))


def _loss_outside_tape(x_batch, w, b):
    loss = _mean_sq(x_batch, w, b)
    with tf.GradientTape() as tape:
        pass
    grad_w, grad_b = tape.gradient(loss, [w, b])
    return grad_w, grad_b, loss


def _own_variables(x_batch, w, b):
    w2, b2 = tf.Variable(tf.random.normal([3, 2])), tf.Variable(tf.zeros([2]))
    return _linear(_mean_sq)(x_batch, w2, b2)


def _old_notebook_values(x_batch, w, b):
    """The old notebook's own random batch and a zero bias, not the handed inputs."""
    tf.random.set_seed(0)
    x2, w2, b2 = tf.random.normal([4, 3]), tf.Variable(tf.random.normal([3, 2])), tf.Variable(tf.zeros([2]))
    return _linear(_mean_sq)(x2, w2, b2)


def _grads_of_sum_loss_of_mean(x_batch, w, b):
    with tf.GradientTape() as tape:
        loss = _mean_sq(x_batch, w, b)
        total = tf.reduce_sum((x_batch @ w + b) ** 2)
    grad_w, grad_b = tape.gradient(total, [w, b])
    return grad_w, grad_b, loss


def _grad_b_zeros(x_batch, w, b):
    grad_w, _, loss = _linear(_mean_sq)(x_batch, w, b)
    return grad_w, tf.zeros([2]), loss


def _one_call_inside_the_with(x_batch, w, b):
    with tf.GradientTape() as tape:
        loss = _mean_sq(x_batch, w, b)
        grad_w, grad_b = tape.gradient(loss, [w, b])
    return grad_w, grad_b, loss


def _two_calls_one_tape(x_batch, w, b):
    """Two gradient calls on a tape that is not persistent, inside the `with` block: the second
    raises, so grad_b keeps the None of the template's first run (the check runs next)."""
    grad_w = grad_b = None
    try:
        with tf.GradientTape() as tape:
            loss = _mean_sq(x_batch, w, b)
            grad_w = tape.gradient(loss, w)
            grad_b = tape.gradient(loss, b)
    except RuntimeError:
        pass
    return grad_w, grad_b, loss


def _loss_through_b_numpy(x_batch, w, b):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((x_batch @ w + b.numpy()) ** 2)
    grad_w, grad_b = tape.gradient(loss, [w, b])
    return grad_w, grad_b, loss


# -- q4 -----------------------------------------------------------------------------------------


def _apple(
    position=lambda t, fall: fall(t),
    twice=True,
    inner_inside=True,
    persistent=False,
    then=lambda acceleration, speed: (acceleration, speed),
):
    def make(t, fall):
        with tf.GradientTape(persistent=persistent) as outer:
            with tf.GradientTape() as inner:
                p = position(t, fall)
            if inner_inside:
                speed = inner.gradient(p, t)
        if not inner_inside:
            speed = inner.gradient(p, t)
        acceleration = outer.gradient(speed, t) if twice else speed
        return then(acceleration, speed)

    return make


def _apple_watch_constant(t, fall):
    t = tf.constant(t.numpy())
    with tf.GradientTape() as outer:
        outer.watch(t)
        with tf.GradientTape() as inner:
            inner.watch(t)
            position = fall(t)
        speed = inner.gradient(position, t)
    return outer.gradient(speed, t), speed


def _apple_list_sources(t, fall):
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            position = tf.reduce_sum(fall(t))
        [speed] = inner.gradient(position, [t])
    [acceleration] = outer.gradient(speed, [t])
    return acceleration, speed


def _apple_finite_difference(h=1e-3):
    """Central differences of fall around t: no tape at all."""

    def make(t, fall):
        speed = (fall(t + h) - fall(t - h)) / (2 * h)
        acceleration = (fall(t + h) - 2 * fall(t) + fall(t - h)) / h**2
        return acceleration, speed

    return make


def _apple_tape_speed_difference_acceleration(t, fall):
    """The speed from a tape, the acceleration from a finite difference of taped speeds."""

    def speed_at(time):
        time = tf.Variable(time)
        with tf.GradientTape() as tape:
            position = fall(time)
        return tape.gradient(position, time)

    h = 1e-2
    speed = speed_at(t)
    return (speed_at(t + h) - speed_at(t - h)) / (2 * h), speed


def _apple_jacobians(t, fall):
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            position = fall(t)
        speed = inner.jacobian(position, t)
    return outer.jacobian(speed, t), speed


@tf.function
def _apple_compiled(t, fall):
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            position = fall(t)
        speed = inner.gradient(position, t)
    return outer.gradient(speed, t), speed


def _apple_tape_then_rounded(t, fall):
    acceleration, speed = _apple()(t, fall)
    return acceleration, tf.constant(round(float(speed), 2))


def _apple_at_two_seconds(t, fall):
    return _apple()(tf.Variable(2.0), fall)


# -- q5 -----------------------------------------------------------------------------------------


def _descent(
    sign=-1.0, record_start=True, lr=None, steps_used=None, start=None, append=float, dtype=tf.float32, as_array=False
):
    def minimise(x0, x_f, learning_rate, steps):
        x = tf.Variable(float(x0 if start is None else start), dtype=dtype)
        history = [append(x)] if record_start else []
        for _ in range(steps if steps_used is None else steps_used):
            with tf.GradientTape() as tape:
                loss = (x - x_f) ** 2
            x.assign_add(sign * (learning_rate if lr is None else lr) * tape.gradient(loss, x))
            history.append(append(x))
        return np.array(history) if as_array else history

    return minimise


def _descent_keras_sgd(x0, x_f, learning_rate, steps):
    x = tf.Variable(float(x0))
    opt = keras.optimizers.SGD(learning_rate=learning_rate)
    history = [x.numpy().item()]
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.square(x - x_f)
        opt.apply_gradients([(tape.gradient(loss, x), x)])
        history.append(x.numpy().item())
    return history


def _descent_constant_tensors(x0, x_f, learning_rate, steps):
    x = tf.constant(x0)
    history = [x]
    for _ in range(steps):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = (x - x_f) ** 2
        x = x - learning_rate * tape.gradient(loss, x)
        history.append(x)
    return history


_step = None


def _descent_compiled_step(x0, x_f, learning_rate, steps):
    """A tf.function for the step, defined once and shared across calls (traced only once)."""
    global _step
    if _step is None:

        @tf.function
        def step(x, x_f, learning_rate):
            with tf.GradientTape() as tape:
                loss = (x - x_f) ** 2
            x.assign_sub(learning_rate * tape.gradient(loss, x))

        _step = step
    x = tf.Variable(float(x0))
    history = [float(x)]
    for _ in range(steps):
        _step(x, tf.constant(x_f, tf.float32), tf.constant(learning_rate, tf.float32))
        history.append(float(x))
    return history


def _descent_by_hand(x0, x_f, learning_rate, steps):
    xs = [x0]
    for _ in range(steps):
        xs.append(xs[-1] - learning_rate * 2 * (xs[-1] - x_f))
    return xs


def _descent_loss_from_float(x0, x_f, learning_rate, steps):
    x = tf.Variable(float(x0))
    history = [float(x)]
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = (float(x) - x_f) ** 2
        x.assign_sub(learning_rate * tape.gradient(tf.constant(loss), x))
        history.append(float(x))
    return history


def _descent_tape_then_by_hand(x0, x_f, learning_rate, steps):
    """Asks the tape each step, then steps with the derivative worked out by hand."""
    x = tf.Variable(float(x0))
    history = [float(x)]
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = (x - x_f) ** 2
        tape.gradient(loss, x)
        x.assign_sub(learning_rate * 2 * (x - x_f))
        history.append(float(x))
    return history


def _descent_rebinds_x(x0, x_f, learning_rate, steps):
    """`x = x - ...`: after the first step x is a plain tensor the tape does not watch."""
    x = tf.Variable(float(x0))
    history = [float(x)]
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = (x - x_f) ** 2
        x = x - learning_rate * tape.gradient(loss, x)
        history.append(float(x))
    return history


def _descent_assign_on_a_constant(x0, x_f, learning_rate, steps):
    x = tf.constant(float(x0))
    history = [float(x)]
    for _ in range(steps):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = (x - x_f) ** 2
        x.assign_sub(learning_rate * tape.gradient(loss, x))
        history.append(float(x))
    return history


def _descent_gradient_of_a_float(x0, x_f, learning_rate, steps):
    x = tf.Variable(float(x0))
    history = [float(x)]
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = (x - x_f) ** 2
        x.assign_sub(learning_rate * tape.gradient(loss, float(x)))
        history.append(float(x))
    return history


def _descent_gradient_in_a_list(x0, x_f, learning_rate, steps):
    x = tf.Variable(float(x0))
    history = [x.numpy()]
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.square(x - x_f)
        [grad] = tape.gradient(loss, [x])
        x.assign(x - learning_rate * grad)
        history.append(x.numpy())
    return history


def _descent_forgot_return(x0, x_f, learning_rate, steps):
    x = tf.Variable(float(x0))
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = (x - x_f) ** 2
        x.assign_sub(learning_rate * tape.gradient(loss, x))


def _descent_final_only(x0, x_f, learning_rate, steps):
    return _descent()(x0, x_f, learning_rate, steps)[-1]


def _descent_old_table(x0, x_f, learning_rate, steps):
    """The old check's one setting (x0=5, x_f=-1.5, lr=0.1, 25 steps), whatever is asked."""
    return _descent()(5.0, -1.5, 0.1, 25)


# -- q6: backpropagation by hand -------------------------------------------------------------------


def _bp_matrix(x, W, b, y):
    z = x @ W + b
    dz = 2 * (z - y) / tf.cast(tf.size(z), z.dtype)
    return tf.transpose(x) @ dz, tf.reduce_sum(dz, axis=0)


def _bp_numpy(x, W, b, y):
    x, W, b, y = (np.asarray(a, dtype="float64") for a in (x, W, b, y))
    err = x @ W + b - y
    dz = 2 * err / err.size
    return x.T @ dz, dz.sum(axis=0)


def _bp_matmul_transpose_a(x, W, b, y):
    n, u = x.shape[0], W.shape[1]
    dz = 2.0 / (n * u) * (tf.matmul(x, W) + b - y)
    return tf.matmul(x, dz, transpose_a=True), tf.reduce_sum(dz, 0)


def _bp_loops(x, W, b, y):
    """Per example: the outer product of its input and its error, added up."""
    x, W, b, y = (np.asarray(a, dtype="float64") for a in (x, W, b, y))
    n, u = y.shape
    dW, db = np.zeros_like(W), np.zeros_like(b)
    for i in range(n):
        err = x[i] @ W + b - y[i]
        dW += np.outer(x[i], 2 * err / (n * u))
        db += 2 * err / (n * u)
    return dW, db


def _bp_einsum(x, W, b, y):
    dz = 2 * (tf.einsum("nd,du->nu", x, W) + b - y) / float(np.prod(y.shape))
    return tf.einsum("nd,nu->du", x, dz), tf.reduce_sum(dz, axis=0)


def _bp_tape(x, W, b, y):
    W, b = tf.Variable(W), tf.Variable(b)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((x @ W + b - y) ** 2)
    return tuple(tape.gradient(loss, [W, b]))


def _bp_no_mean(x, W, b, y):
    dz = 2 * (x @ W + b - y)
    return tf.transpose(x) @ dz, tf.reduce_sum(dz, axis=0)


def _bp_no_two(x, W, b, y):
    z = x @ W + b
    dz = (z - y) / tf.cast(tf.size(z), z.dtype)
    return tf.transpose(x) @ dz, tf.reduce_sum(dz, axis=0)


def _bp_sign(x, W, b, y):
    z = x @ W + b
    dz = 2 * (y - z) / tf.cast(tf.size(z), z.dtype)
    return tf.transpose(x) @ dz, tf.reduce_sum(dz, axis=0)


def _bp_db_not_summed(x, W, b, y):
    z = x @ W + b
    dz = 2 * (z - y) / tf.cast(tf.size(z), z.dtype)
    return tf.transpose(x) @ dz, dz


def _bp_dw_transposed(x, W, b, y):
    z = x @ W + b
    dz = 2 * (z - y) / tf.cast(tf.size(z), z.dtype)
    return tf.transpose(dz) @ x, tf.reduce_sum(dz, axis=0)


def _bp_mean_over_rows(x, W, b, y):
    """Divides by the batch size only, as if the loss were a sum over outputs."""
    z = x @ W + b
    dz = 2 * (z - y) / x.shape[0]
    return tf.transpose(x) @ dz, tf.reduce_sum(dz, axis=0)


def _bp_W_for_x(x, W, b, y):
    z = x @ W + b
    dz = 2 * (z - y) / tf.cast(tf.size(z), z.dtype)
    return tf.transpose(x) @ dz * 0 + tf.reduce_mean(W), tf.reduce_sum(dz, axis=0)


def _bp_no_body(x, W, b, y): ...  # TODO: your code here


CASES = {
    "q1": [
        right("tape.gradient", lambda: _taped(lambda x: x**2)),
        right("x * x", lambda: _taped(lambda x: x * x)),
        right("tf.square, persistent tape", lambda: _taped(tf.square, persistent=True)),
        right("list of sources", lambda: _square_list_source),
        right("returns the NumPy value of the tape's gradient", lambda: _square_numpy),
        right("tf.function", lambda: tf.function(_taped(lambda x: x**2))),
        right("tape.jacobian", lambda: _square_jacobian),
        right("watches the variable too", lambda: _taped(lambda x: tf.pow(x, 2.0), watch=True)),
        right("float of the tape's gradient", lambda: _square_tape_then_float),
        right("gradient asked inside the with block", lambda: _square_gradient_inside),
        wrong("typed in by hand", lambda: lambda x: 2 * x, says="never asked a gradient tape"),
        wrong("asks the tape, returns 2 * x", lambda: _square_tape_then_by_hand, says="a derivative of its own"),
        wrong("gradient with respect to x.numpy()", lambda: _square_source_numpy, says="plain number"),
        wrong("by hand as a float", lambda: lambda x: 2 * float(x.numpy()), says="never asked a gradient tape"),
        wrong(
            "lookup table of the old points",
            lambda: _table({-2.0: -4.0, 0.5: 1.0, 3.0: 6.0}),
            says="never asked a gradient tape",
        ),
        wrong("derivative of the cube", lambda: _taped(lambda x: x**3), says="comes out as"),
        wrong("returns y", lambda: _square_y_itself, says="y itself"),
        wrong("y through NumPy", lambda: _square_through_numpy, says="is None"),
        wrong("y outside the tape", lambda: _square_outside_tape, says="is None"),
        wrong("asks the tape, returns a constant", lambda: _tape_then_constant, says="other than the tape"),
        wrong("half the derivative", lambda: _taped(lambda x: x**2 / 2), says="comes out as"),
        wrong("returns a string", lambda: lambda x: str(_taped(tf.square)(x).numpy()), says="is a string"),
        wrong("tensor of strings", lambda: lambda x: tf.strings.as_string(_taped(tf.square)(x)), says="holds strings"),
        wrong("fake tensor", lambda: lambda x: FakeTensor(_taped(tf.square)(x)), says="FakeTensor"),
        wrong("wrong arity", lambda: lambda x, y: x, says="cannot be called"),
        untouched(lambda: _no_body),
        untouched(lambda: None, name="None"),
    ],
    "q2": [
        right("watch", lambda: _taped(lambda x: x**3, watch=True)),
        right("watch, tf.pow", lambda: _taped(lambda x: tf.pow(x, 3.0), watch=True)),
        right("watch, x * x * x, persistent", lambda: _taped(lambda x: x * x * x, watch=True, persistent=True)),
        right("watch a list", lambda: _cube_watch_list),
        right("watch, watch_accessed_variables=False", lambda: _cube_watch_only_accessed),
        right("convert_to_tensor, then watch", lambda: _cube_convert_then_watch),
        right("tf.function", lambda: tf.function(_taped(lambda x: x**3, watch=True))),
        wrong("no watch", lambda: _taped(lambda x: x**3), says="did not watch"),
        wrong("copy into a variable", lambda: _cube_as_variable, says="watch the constant x"),
        wrong("a variable from x.numpy()", lambda: _cube_variable_from_numpy, says="watch the constant x"),
        wrong("asks the tape, returns 3 * x**2", lambda: _cube_tape_then_by_hand, says="a derivative of its own"),
        wrong("watches x.numpy()", lambda: _cube_watch_numpy, says="plain number"),
        wrong("watch after the computation", lambda: _cube_watch_after, says="did not watch"),
        wrong("typed in by hand", lambda: lambda x: 3 * x**2, says="never asked a gradient tape"),
        wrong("square instead of cube", lambda: _taped(lambda x: x**2, watch=True), says="comes out as"),
        wrong("cube of the derivative", lambda: _taped(lambda x: 3 * x**2, watch=True), says="comes out as"),
        wrong("returns y", lambda: _cube_y_itself, says="y itself"),
        wrong("lookup table", lambda: _table({-2.0: 12.0, 0.5: 0.75, 3.0: 27.0}), says="never asked a gradient tape"),
        wrong(
            "no watch, then a NumPy value", lambda: lambda x: _taped(lambda x: x**3)(x).numpy(), says="did not watch"
        ),
        untouched(lambda: _no_body),
    ],
    "q3": [
        right("list of sources", lambda x_batch, w, b: _linear(_mean_sq)(x_batch, w, b)),
        right("dict of sources", lambda x_batch, w, b: _linear(_mean_sq, "dict")(x_batch, w, b)),
        right(
            "tuple, tf.matmul and tf.square",
            lambda x_batch, w, b: _linear(lambda x, w, b: tf.reduce_mean(tf.square(tf.matmul(x, w) + b)), "tuple")(
                x_batch, w, b
            ),
        ),
        right("persistent tape, two calls", lambda x_batch, w, b: _linear(_mean_sq, "two calls")(x_batch, w, b)),
        right("one call inside the with block", _one_call_inside_the_with),
        right(
            "sum divided by the size",
            lambda x_batch, w, b: _linear(lambda x, w, b: tf.reduce_sum((x @ w + b) ** 2) / 8.0)(x_batch, w, b),
        ),
        right(
            "keras.ops",
            lambda x_batch, w, b: _linear(lambda x, w, b: keras.ops.mean(keras.ops.square(keras.ops.matmul(x, w) + b)))(
                x_batch, w, b
            ),
        ),
        wrong(
            "sum instead of mean",
            lambda x_batch, w, b: _linear(lambda x, w, b: tf.reduce_sum((x @ w + b) ** 2))(x_batch, w, b),
            says="loss is off",
        ),
        wrong(
            "no square",
            lambda x_batch, w, b: _linear(lambda x, w, b: tf.reduce_mean(x @ w + b))(x_batch, w, b),
            says="loss is off",
        ),
        wrong("gradients swapped", _changed(lambda gw, gb, loss: (gb, gw, loss)), says="shape"),
        wrong("NumPy gradients", _changed(lambda gw, gb, loss: (gw.numpy(), gb, loss)), says="not a tf.Tensor"),
        wrong("loss outside the tape", _loss_outside_tape, says="not connected to w and b"),
        wrong("two calls on a tape that is not persistent", _two_calls_one_tape, says="never ran"),
        wrong("loss through b.numpy()", _loss_through_b_numpy, says="not connected to b"),
        wrong(
            "loss through w.numpy()",
            lambda x_batch, w, b: _linear(lambda x, w, b: tf.reduce_mean((x @ w.numpy() + b) ** 2))(x_batch, w, b),
            says="not connected to w",
        ),
        wrong(
            "bias left out of the loss",
            lambda x_batch, w, b: _linear(lambda x, w, b: tf.reduce_mean((x @ w) ** 2))(x_batch, w, b),
            says="not connected to b",
        ),
        wrong("own fresh variables", _own_variables, says="loss is off"),
        wrong("the old notebook's inputs", _old_notebook_values, says="loss is off"),
        wrong("gradients of the sum, loss of the mean", _grads_of_sum_loss_of_mean, says="grad_w"),
        wrong("grad_b typed in as zeros", _grad_b_zeros, says="grad_b"),
        wrong("loss as a float", _changed(lambda gw, gb, loss: (gw, gb, float(loss))), says="not a tf.Tensor"),
        wrong(
            "loss per output",
            lambda x_batch, w, b: _linear(lambda x, w, b: tf.reduce_mean((x @ w + b) ** 2, axis=0))(x_batch, w, b),
            says="single number",
        ),
        untouched(lambda x_batch, w, b: (None, None, None)),
    ],
    "q4": [
        right("nested tapes", _apple()),
        right("persistent outer tape", _apple(persistent=True)),
        right("position times one", _apple(position=lambda t, fall: 1.0 * fall(t))),
        right("watched constant", _apple_watch_constant),
        right("list sources, reduce_sum", _apple_list_sources),
        right("float64 reading of the results", _apple(then=lambda a, s: (tf.cast(a, tf.float64), s))),
        right("jacobians", _apple_jacobians),
        right("nested tapes in a tf.function", _apple_compiled),
        wrong("differentiated once", _apple(twice=False), says="differentiate once more"),
        wrong("finite differences", _apple_finite_difference(), says="no tape computed it"),
        wrong("finite differences, small step", _apple_finite_difference(1e-2), says="no tape computed it"),
        wrong(
            "taped speed, finite-difference acceleration",
            _apple_tape_speed_difference_acceleration,
            says="no tape computed it",
        ),
        wrong("speed rounded to 2 decimals", _apple_tape_then_rounded, says="no tape computed it"),
        wrong("inner gradient outside the outer tape", _apple(inner_inside=False), says="acceleration is None"),
        wrong("free fall by hand", lambda t, fall: (tf.constant(9.8), 9.8 * t), says="speed is"),
        wrong("free-fall formula in the tape", _apple(position=lambda t, fall: 4.9 * t * t), says="speed is"),
        wrong("python floats", lambda t, fall: (9.8, 9.8 * float(t.numpy())), says="not a tf.Tensor"),
        wrong("own t of 2 s", _apple_at_two_seconds, says="speed is"),
        wrong("position for speed", lambda t, fall: (tf.constant(9.8), fall(t)), says="position itself"),
        wrong(
            "acceleration left as the placeholder",
            lambda t, fall: (None, _apple()(t, fall)[1]),
            says="acceleration is None",
        ),
        wrong("half the acceleration", _apple(then=lambda a, s: (a / 2, s)), says="differentiate fall(t) twice"),
        wrong("speed as a vector", _apple(then=lambda a, s: (a, tf.stack([s, s]))), says="single number"),
        wrong("acceleration typed in as 9.8", _apple(then=lambda a, s: (tf.constant(9.8), s)), says="acceleration is"),
        untouched(lambda t, fall: (None, None)),
    ],
    "q5": [
        right("assign_sub", lambda: _descent()),
        right("keras SGD", lambda: _descent_keras_sgd),
        right("float64 variable", lambda: _descent(dtype=tf.float64)),
        right("watched constants, list of tensors", lambda: _descent_constant_tensors),
        right("NumPy array of the values", lambda: _descent(append=lambda x: x.numpy(), as_array=True)),
        right("read_value snapshots", lambda: _descent(append=lambda x: x.read_value())),
        right("compiled step shared across calls", lambda: _descent_compiled_step),
        right("assign with a list of sources", lambda: _descent_gradient_in_a_list),
        wrong("steps up the gradient", lambda: _descent(sign=+1.0), says="away from x_f"),
        wrong("no start value", lambda: _descent(record_start=False), says="record x at the start"),
        wrong("learning rate fixed at 0.1", lambda: _descent(lr=0.1), says="path of x is off"),
        wrong("steps fixed at 25", lambda: _descent(steps_used=25), says="values; record x"),
        wrong("ignores x0", lambda: _descent(start=0.0), says="does not start at x0"),
        wrong("gradient descent by hand in Python", lambda: _descent_by_hand, says="never asked a gradient tape"),
        wrong("asks the tape, steps by hand", lambda: _descent_tape_then_by_hand, says="a gradient of its own"),
        wrong("x = x - ... replaces the variable", lambda: _descent_rebinds_x, says="stopped being a tf.Variable"),
        wrong("assign_sub on a constant", lambda: _descent_assign_on_a_constant, says="a tensor has no assign_sub"),
        wrong("gradient with respect to float(x)", lambda: _descent_gradient_of_a_float, says="plain number"),
        wrong("the variable itself in the history", lambda: _descent(append=lambda x: x), says="variable x itself"),
        wrong("loss from a float", lambda: _descent_loss_from_float, says="is None"),
        wrong("forgot to return", lambda: _descent_forgot_return, says="returns None"),
        wrong("only the final x", lambda: _descent_final_only, says="returns a single number"),
        wrong("the old check's setting", lambda: _descent_old_table, says="with x0="),
        wrong(
            "constant path",
            lambda: lambda x0, x_f, learning_rate, steps: [x0] * (steps + 1),
            says="never asked a gradient tape",
        ),
        untouched(lambda: _no_body_descent),
        untouched(lambda: None, name="None"),
    ],
    "q6": [
        right("matrix formulas", lambda: _bp_matrix),
        right("NumPy", lambda: _bp_numpy),
        right("matmul with transpose_a", lambda: _bp_matmul_transpose_a),
        right("a loop of outer products", lambda: _bp_loops),
        right("einsum", lambda: _bp_einsum),
        wrong("a tape after all", lambda: _bp_tape, says="asked a gradient tape"),
        wrong("sum, not mean", lambda: _bp_no_mean, says="times too large"),
        wrong("no factor 2", lambda: _bp_no_two, says="off"),
        wrong("error the wrong way round", lambda: _bp_sign, says="wrong sign"),
        wrong("dL/db not summed", lambda: _bp_db_not_summed, says="sum over the batch"),
        wrong("dL/dW transposed", lambda: _bp_dw_transposed, says="shape"),
        wrong("mean over rows only", lambda: _bp_mean_over_rows, says="times too large"),
        wrong("a constant for dL/dW", lambda: _bp_W_for_x, says="off"),
        wrong("one value", lambda: lambda x, W, b, y: x, says="two values"),
        untouched(lambda: _bp_no_body),
        untouched(lambda: None, name="None"),
    ],
}
