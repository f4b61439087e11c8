"""Lab 01 checks: a right answer passes, wrong ones fail with a hint, untouched is NOT ATTEMPTED."""
import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from labcheck import assert_fail, assert_not_attempted, assert_pass  # noqa: E402

LAB = "01"


def test_q1_matrix():
    assert_pass(LAB, "q1", tf.constant([[1, 2, 3], [4, 5, 6]], tf.float32))
    assert_fail(LAB, "q1", tf.constant([1.0, 2, 3, 4, 5, 6]), says="rank 1")
    assert_fail(LAB, "q1", tf.constant([[1, 2, 3], [4, 5, 6]]), says="dtype int32")
    assert_fail(LAB, "q1", tf.constant([[1, 2], [3, 4], [5, 6]], tf.float32), says="shape (3, 2)")
    v = assert_fail(LAB, "q1", tf.constant([[1, 2, 3], [4, 5, 7]], tf.float32), says="values are off")
    assert "[[1" not in v.message
    assert_fail(LAB, "q1", [[1.0, 2, 3], [4, 5, 6]], says="not a tf.Tensor")
    assert_not_attempted(LAB, "q1", None)


def test_q2_images():
    assert_pass(LAB, "q2", tf.zeros([10, 256, 256, 3]))
    assert_fail(LAB, "q2", tf.zeros([10, 256, 256]), says="rank 3")
    assert_fail(LAB, "q2", tf.zeros([10, 3, 256, 256]), says="(10, 3, 256, 256)")
    assert_fail(LAB, "q2", tf.ones([10, 256, 256, 3]), says="zeros")
    assert_not_attempted(LAB, "q2", None)


def test_q3_slice():
    grid = tf.reshape(tf.range(24), [4, 6])
    assert_pass(LAB, "q3", grid[1:3, 2:])
    assert_fail(LAB, "q3", grid[1:3, 1:], says="shape (2, 5)")
    assert_fail(LAB, "q3", grid[0:2, 2:], says="other elements")
    assert_not_attempted(LAB, "q3", None)


def test_q4_variable():
    w = tf.Variable(tf.ones([3]))
    w.assign_add([1.0, 2.0, 3.0])
    assert_pass(LAB, "q4", w)
    assert_fail(LAB, "q4", tf.ones([3]) + [1.0, 2.0, 3.0], says="tf.Variable")
    assert_fail(LAB, "q4", tf.Variable([1.0, 2.0, 3.0]), says="values are off")
    assert_not_attempted(LAB, "q4", None)


def test_q5_scores_expected_from_the_students_own_inputs():
    x, W, b = tf.random.normal([4, 3]), tf.random.normal([3, 2]), tf.constant([0.5, -1.0])
    assert_pass(LAB, "q5", x @ W + b, x, W, b)
    assert_fail(LAB, "q5", x @ W, x, W, b, says="values are off")
    assert_fail(LAB, "q5", tf.transpose(x @ W + b), x, W, b, says="order of the product")
    assert_not_attempted(LAB, "q5", None, x, W, b)


def test_q6_reshape_transpose():
    pics = tf.reshape(tf.range(80, dtype=tf.float32), [5, 4, 4])
    flat = tf.reshape(pics, [5, -1])
    assert_pass(LAB, "q6", flat, tf.transpose(flat), pics)
    assert_fail(LAB, "q6", flat, flat, pics, says="columns has shape")
    wrong_order = tf.reshape(tf.transpose(pics, [0, 2, 1]), [5, -1])
    assert_fail(LAB, "q6", wrong_order, tf.transpose(wrong_order), pics, says="out of order")
    assert_fail(LAB, "q6", flat, tf.reshape(flat, [16, 5]), pics, says="transpose flat")
    assert_not_attempted(LAB, "q6", flat, None, pics)


def _rotation(sign):
    def rotate(points, degrees):
        t = np.deg2rad(degrees)
        r = tf.constant([[np.cos(t), -sign * np.sin(t)], [sign * np.sin(t), np.cos(t)]], tf.float32)
        return tf.matmul(points, r, transpose_b=True)
    return rotate


def test_q7_rotate():
    assert_pass(LAB, "q7", _rotation(1))
    assert_fail(LAB, "q7", _rotation(-1), says="wrong way")
    assert_fail(LAB, "q7", lambda p, d: p, says="rotation by 90")
    assert_fail(LAB, "q7", lambda p, d: tf.reshape(p, [-1]), says="keep the shape")
    assert_fail(LAB, "q7", lambda p, d: 1 / 0, says="ZeroDivisionError")
    assert_not_attempted(LAB, "q7", None)
    assert_not_attempted(LAB, "q7", lambda p, d: None)


def test_q4_untouched_starting_value_is_not_attempted():
    assert_not_attempted(LAB, "q4", tf.Variable(tf.ones([3])))
