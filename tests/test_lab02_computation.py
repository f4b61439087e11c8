"""Lab 02 checks: right, wrong and untouched answers."""
import pytest

tf = pytest.importorskip("tensorflow")

from labcheck import assert_fail, assert_not_attempted, assert_pass  # noqa: E402

LAB = "02"
X = tf.constant([[1.0, 2.0], [3.0, 4.0]])
Y = tf.constant([[10.0, 20.0], [30.0, 40.0]])


def test_q1_elementwise_ops():
    assert_pass(LAB, "q1", X + Y, X * Y, Y - X)
    assert_fail(LAB, "q1", X + Y, X @ Y, Y - X, says="matrix product")
    assert_fail(LAB, "q1", X + Y, X * Y, X - Y, says="y - x")
    assert_fail(LAB, "q1", X - Y, X * Y, Y - X, says="total")
    assert_fail(LAB, "q1", [[11.0]], X * Y, Y - X, says="tf.add")
    assert_not_attempted(LAB, "q1", None, None, None)


def test_q2_graph_function():
    assert_pass(LAB, "q2", lambda a, b: (a + b) * (b - 1))
    v = assert_fail(LAB, "q2", lambda a, b: (a + b) * (a - 1), says="node by node")
    assert "(a + b) * (b - 1)" not in v.message
    assert_fail(LAB, "q2", lambda a, b: 3.0, says="tf.Tensor")
    assert_not_attempted(LAB, "q2", lambda a, b: None)
    assert_not_attempted(LAB, "q2", None)


def test_q3_difference_of_squares_on_checker_inputs():
    assert_pass(LAB, "q3", lambda a, b: a * a - b * b)
    assert_fail(LAB, "q3", lambda a, b: b * b - a * a, says="sign")
    assert_fail(LAB, "q3", lambda a, b: (a - b) * (a - b), says="not a² - b²")
    assert_not_attempted(LAB, "q3", lambda a, b: None)


def test_q4_compiled():
    def dos(a, b):
        return (a + b) * (a - b)

    assert_pass(LAB, "q4", tf.function(dos))
    assert_fail(LAB, "q4", dos, says="tf.function")
    assert_fail(LAB, "q4", tf.function(lambda a, b: a + b), says="not a² - b²")
    assert_not_attempted(LAB, "q4", None)
