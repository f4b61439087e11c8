"""Lab 05 checks: right, wrong and untouched answers."""
import pytest

tf = pytest.importorskip("tensorflow")

from labcheck import assert_fail, assert_not_attempted, assert_pass  # noqa: E402

LAB = "05"


def tape_derivative(f, watch=False):
    def derivative(x):
        with tf.GradientTape() as tape:
            if watch:
                tape.watch(x)
            y = f(x)
        return tape.gradient(y, x)

    return derivative


def untouched(x):
    ...  # TODO: your code here


def test_q1_derivative_of_square():
    assert_pass(LAB, "q1", tape_derivative(lambda x: x * x))
    assert_fail(LAB, "q1", lambda x: x * x, says="return the gradient")
    assert_fail(LAB, "q1", tape_derivative(lambda x: x * x * x), says="comes out as")
    assert_fail(LAB, "q1", lambda x: 2 * float(x.numpy()), says="tape.gradient")
    assert_not_attempted(LAB, "q1", untouched)


def test_q2_watching_a_constant():
    assert_pass(LAB, "q2", tape_derivative(lambda x: x ** 3, watch=True))
    assert_fail(LAB, "q2", tape_derivative(lambda x: x ** 3), says="watched")
    assert_fail(LAB, "q2", tape_derivative(lambda x: x ** 2, watch=True), says="x³")
    assert_not_attempted(LAB, "q2", untouched)


def test_q3_gradients_recomputed_from_the_students_variables():
    x = tf.random.normal([4, 3])
    w, b = tf.Variable(tf.random.normal([3, 2])), tf.Variable(tf.random.normal([2]))
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((x @ w + b) ** 2)
    gw, gb = tape.gradient(loss, [w, b])
    assert_pass(LAB, "q3", gw, gb, x, w, b)
    with tf.GradientTape() as tape:
        total = tf.reduce_sum((x @ w + b) ** 2)
    sw, sb = tape.gradient(total, [w, b])
    assert_fail(LAB, "q3", sw, sb, x, w, b, says="grad_w")
    assert_fail(LAB, "q3", gb, gw, x, w, b, says="shape")
    assert_fail(LAB, "q3", gw.numpy(), gb, x, w, b, says="tape.gradient")
    assert_not_attempted(LAB, "q3", None, None, x, w, b)


def nested_tapes(twice=True, inner_inside=True):
    t = tf.Variable(2.0)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            position = 4.9 * t ** 2
        if inner_inside:
            speed = inner.gradient(position, t)
    if not inner_inside:
        speed = inner.gradient(position, t)
    return (outer.gradient(speed, t) if twice else speed), speed


def test_q4_falling_apple():
    assert_pass(LAB, "q4", *nested_tapes())
    assert_fail(LAB, "q4", *nested_tapes(twice=False), says="differentiate once more")
    assert_fail(LAB, "q4", *nested_tapes(inner_inside=False), says="None")
    assert_fail(LAB, "q4", 9.8, 19.6, says="tape.gradient")
    assert_not_attempted(LAB, "q4", None, None)


def descent(sign=-1.0, record_start=True):
    def minimise(x0, x_f, learning_rate, steps):
        x = tf.Variable(float(x0))
        history = [float(x)] if record_start else []
        for _ in range(steps):
            with tf.GradientTape() as tape:
                loss = (x - x_f) ** 2
            x.assign_add(sign * learning_rate * tape.gradient(loss, x))
            history.append(float(x))
        return history

    return minimise


def test_q5_gradient_descent_path():
    assert_pass(LAB, "q5", descent())
    assert_fail(LAB, "q5", descent(sign=+1.0), says="away from x_f")
    assert_fail(LAB, "q5", descent(record_start=False), says="25 values")
    assert_fail(LAB, "q5", lambda x0, x_f, learning_rate, steps: [x0] * (steps + 1), says="path of x")

    def forgot_return(x0, x_f, learning_rate, steps):
        x = tf.Variable(float(x0))

    assert_fail(LAB, "q5", forgot_return, says="returns None")
    assert_not_attempted(LAB, "q5", lambda x0, x_f, learning_rate, steps: None)
