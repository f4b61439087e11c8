"""Lab 01 answer set: tensors."""

import math

import keras
import numpy as np
import tensorflow as tf

from . import right, untouched, wrong

OLD_GRID = tf.reshape(tf.range(24), [4, 6])  # the grid the notebook used to fix: a typed-in corner of it


class FakeTensor:
    """Duck-typed: numpy(), shape and dtype like a tensor, but not one."""

    def __init__(self, values):
        self.values = np.asarray(values)
        self.shape = self.values.shape
        self.dtype = tf.as_dtype(self.values.dtype)

    def numpy(self):
        return self.values

    def __array__(self, dtype=None, copy=None):
        return self.values if dtype is None else self.values.astype(dtype)


def _updated(weights, *steps):
    for step in steps:
        step(weights)
    return weights


def _one_by_one(w):
    for i in range(3):
        w[i].assign(w[i] + (i + 1))
    return w


def _new_variable_same_name(w):
    return tf.Variable(w + [1.0, 2.0, 3.0], name="weights")


def _rotation_matrix(degrees, dtype=np.float32):
    t = np.deg2rad(degrees)
    return np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]], dtype=dtype)


def _rotate_solution(points, degrees):
    theta = np.deg2rad(degrees)
    R = tf.constant([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]], tf.float32)
    return tf.matmul(points, R, transpose_b=True)


def _rotate_tf_math(points, degrees):
    t = tf.constant(degrees * np.pi / 180.0, tf.float32)
    c, s = tf.cos(t), tf.sin(t)
    R = tf.stack([tf.stack([c, -s]), tf.stack([s, c])])
    return points @ tf.transpose(R)


def _rotate_columns(points, degrees):
    t = np.radians(degrees)
    x, y = points[:, 0], points[:, 1]
    return tf.stack([x * np.cos(t) - y * np.sin(t), x * np.sin(t) + y * np.cos(t)], axis=1)


def _rotate_complex(points, degrees):
    z = tf.complex(points[:, 0], points[:, 1]) * tf.exp(tf.complex(0.0, float(np.deg2rad(degrees))))
    return tf.stack([tf.math.real(z), tf.math.imag(z)], axis=-1)


def _rotate_matvec(points, degrees):
    R = tf.constant(_rotation_matrix(degrees))
    return tf.linalg.matvec(R, points)  # R applied to each row


def _rotate_einsum(points, degrees):
    return tf.einsum("ij,nj->ni", tf.constant(_rotation_matrix(degrees)), points)


def _rotate_clockwise(points, degrees):
    return tf.matmul(points, tf.constant(_rotation_matrix(degrees)))


def _rotate_radians(points, degrees):
    return tf.matmul(points, tf.constant(_rotation_matrix(np.rad2deg(degrees))), transpose_b=True)


def _rotate_fixed_90(points, degrees):
    return tf.matmul(points, tf.constant(_rotation_matrix(90.0)), transpose_b=True)


_OLD_ANGLES = {0.0: 0.0, 90.0: 90.0, 30.0: 30.0, -45.0: -45.0, 180.0: 180.0}


def _rotate_lookup(points, degrees):
    """A table of the old checker's angles (anything else: no rotation)."""
    angle = _OLD_ANGLES.get(float(degrees), 0.0)
    return tf.matmul(points, tf.constant(_rotation_matrix(angle)), transpose_b=True)


def _rotate_float64(points, degrees):
    return tf.matmul(tf.cast(points, tf.float64), tf.constant(_rotation_matrix(degrees, np.float64)), transpose_b=True)


def _rotate_numpy(points, degrees):
    return points.numpy() @ _rotation_matrix(degrees).T


def _rotate_flattened(points, degrees):
    return tf.reshape(_rotate_solution(points, degrees), [-1])


def _rotate_float64_then_cast(points, degrees):
    t = tf.constant(np.deg2rad(degrees), tf.float64)
    R = tf.stack([tf.stack([tf.cos(t), -tf.sin(t)]), tf.stack([tf.sin(t), tf.cos(t)])])
    return tf.cast(tf.cast(points, tf.float64) @ tf.transpose(R), tf.float32)


def _rotate_linalg(points, degrees):
    return tf.linalg.matmul(points, tf.constant(_rotation_matrix(degrees)), transpose_b=True)


def _rotate_no_body(points, degrees): ...  # TODO: your code here


# -- q8: a matrix product with loops ---------------------------------------------------------------


def _check_inner(x, y):
    if x.shape[1] != y.shape[0]:
        raise ValueError("inner sizes differ")


def _mm_triple(x, y):
    _check_inner(x, y)
    z = np.zeros((x.shape[0], y.shape[1]))
    for i in range(x.shape[0]):
        for j in range(y.shape[1]):
            for k in range(x.shape[1]):
                z[i, j] += x[i, k] * y[k, j]
    return z


def _mm_row_dot(x, y):
    """Two loops and a naive vector dot product, as Deep Learning with Python writes it."""
    _check_inner(x, y)
    z = np.zeros((x.shape[0], y.shape[1]))
    for i in range(x.shape[0]):
        for j in range(y.shape[1]):
            z[i, j] = sum(a * b for a, b in zip(x[i, :], y[:, j], strict=True))
    return z


def _mm_lists(x, y):
    _check_inner(x, y)
    return [[sum(x[i][k] * y[k][j] for k in range(len(y))) for j in range(len(y[0]))] for i in range(len(x))]


def _mm_columns(x, y):
    _check_inner(x, y)
    cols = [
        np.array([sum(x[i, k] * y[k, j] for k in range(x.shape[1])) for i in range(x.shape[0])])
        for j in range(y.shape[1])
    ]
    return np.stack(cols, axis=1)


def _mm_tensor(x, y):
    _check_inner(x, y)
    return tf.constant(_mm_triple(x, y))


def _mm_no_check(x, y):
    z = np.zeros((x.shape[0], y.shape[1]))
    for i in range(x.shape[0]):
        for j in range(y.shape[1]):
            for k in range(min(x.shape[1], y.shape[0])):
                z[i, j] += x[i, k] * y[k, j]
    return z


def _mm_transposed(x, y):
    _check_inner(x, y)
    return _mm_triple(x, y).T


def _mm_elementwise_rows(x, y):
    _check_inner(x, y)
    z = np.zeros((x.shape[0], y.shape[1]))
    for i in range(x.shape[0]):
        for j in range(y.shape[1]):
            z[i, j] = x[i, j % x.shape[1]] * y[j % y.shape[0], j]
    return z


def _mm_off_by_one(x, y):
    _check_inner(x, y)
    z = np.zeros((x.shape[0], y.shape[1]))
    for i in range(x.shape[0]):
        for j in range(y.shape[1]):
            for k in range(x.shape[1] - 1):
                z[i, j] += x[i, k] * y[k, j]
    return z


def _mm_swapped_shape(x, y):
    _check_inner(x, y)
    z = np.zeros((y.shape[1], x.shape[0]))
    for i in range(x.shape[0]):
        for j in range(y.shape[1]):
            z[j, i] = sum(x[i, k] * y[k, j] for k in range(x.shape[1])) + 0.5
    return z


def _mm_loops(x, y, product):
    """The notebook's loops around ``product(x, y, i, j)`` for entry (i, j), with the size check."""
    _check_inner(x, y)
    z = np.zeros((x.shape[0], y.shape[1]))
    for i in range(x.shape[0]):
        for j in range(y.shape[1]):
            z[i, j] = product(x, y, i, j)
    return z


def _mm_assert(x, y):
    assert x.shape[1] == y.shape[0], "inner sizes differ"
    return _mm_triple_unchecked(x, y)


def _mm_triple_unchecked(x, y):
    """The student's loops with no size check: k runs over x's columns."""
    z = np.zeros((x.shape[0], y.shape[1]))
    for i in range(x.shape[0]):
        for j in range(y.shape[1]):
            for k in range(x.shape[1]):
                z[i, j] += x[i, k] * y[k, j]
    return z


def _mm_one_way_check(x, y):
    if x.shape[1] > y.shape[0]:
        raise ValueError("x has more columns than y has rows")
    return _mm_triple_unchecked(x, y)


def _mm_raises(kind):
    def naive_matmul(x, y):
        if x.shape[1] != y.shape[0]:
            raise kind("inner sizes differ")
        return _mm_triple_unchecked(x, y)

    return naive_matmul


class ShapeError(ValueError):
    """A student's own ValueError for mismatched sizes."""


def _mm_broadcast_rows(x, y):
    """No check of its own: NumPy raises for most mismatched sizes, and broadcasts a size of 1."""
    z = np.zeros((x.shape[0], y.shape[1]))
    for i in range(x.shape[0]):
        for j in range(y.shape[1]):
            z[i, j] = np.sum(x[i, :] * y[:, j])
    return z


def _mm_int_result(x, y):
    _check_inner(x, y)
    z = np.zeros((x.shape[0], y.shape[1]), dtype=int)
    for i in range(x.shape[0]):
        for j in range(y.shape[1]):
            for k in range(x.shape[1]):
                z[i, j] += x[i, k] * y[k, j]
    return z


def _mm_k_outside(x, y):
    """The sum over k outermost: one rank-one update per k."""
    _check_inner(x, y)
    z = np.zeros((x.shape[0], y.shape[1]))
    for k in range(x.shape[1]):
        for i in range(x.shape[0]):
            for j in range(y.shape[1]):
                z[i, j] = z[i, j] + x[i, k] * y[k, j]
    return z


def _mm_zip_strict(x, y):
    """zip(strict=True) is the size check: it raises ValueError for rows and columns of different lengths."""
    return np.array([[sum(a * b for a, b in zip(row, col, strict=True)) for col in y.T] for row in x])


def _mm_len_check(x, y):
    if len(x[0]) != len(y):
        raise ValueError(f"cannot multiply {len(x)}x{len(x[0])} by {len(y)}x{len(y[0])}")
    rows, cols, inner = len(x), len(y[0]), len(y)
    return np.array([[math.fsum(x[i][k] * y[k][j] for k in range(inner)) for j in range(cols)] for i in range(rows)])


def _mm_with(product):
    def naive_matmul(x, y):
        _check_inner(x, y)
        return product(x, y)

    return naive_matmul


def _mm_outer_per_k(x, y):
    _check_inner(x, y)
    z = np.zeros((x.shape[0], y.shape[1]))
    for k in range(x.shape[1]):
        z += np.outer(x[:, k], y[k, :])
    return z


def _mm_tensor_loops(x, y):
    """Loops whose dot products are TensorFlow's element-wise product and sum."""
    _check_inner(x, y)
    xt, yt = tf.constant(x), tf.constant(y)
    z = np.zeros((x.shape[0], y.shape[1]))
    for i in range(x.shape[0]):
        for j in range(y.shape[1]):
            z[i, j] = float(tf.reduce_sum(xt[i] * yt[:, j]))
    return z


def _mm_no_body(x, y): ...  # TODO


CASES = {
    "q1": [
        right("tf.constant with dtype", lambda: tf.constant([[1, 2, 3], [4, 5, 6]], dtype=tf.float32)),
        right("float literals", lambda: tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])),
        right("cast of int32", lambda: tf.cast(tf.constant([[1, 2, 3], [4, 5, 6]]), tf.float32)),
        right("reshape of a range", lambda: tf.reshape(tf.range(1.0, 7.0), [2, 3])),
        right(
            "convert_to_tensor of a float32 array",
            lambda: tf.convert_to_tensor(np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float32)),
        ),
        right("stacked rows", lambda: tf.stack([tf.constant([1.0, 2, 3]), tf.constant([4.0, 5, 6])])),
        right("a tf.Variable", lambda: tf.Variable([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])),
        wrong("int32", lambda: tf.constant([[1, 2, 3], [4, 5, 6]]), says="dtype int32"),
        wrong("float64 from numpy", lambda: tf.constant(np.array([[1.0, 2, 3], [4, 5, 6]])), says="dtype float64"),
        wrong("flat vector", lambda: tf.constant([1.0, 2, 3, 4, 5, 6]), says="rank 1"),
        wrong("transposed", lambda: tf.constant([[1, 4], [2, 5], [3, 6]], tf.float32), says="shape (3, 2)"),
        wrong("a typo", lambda: tf.constant([[1, 2, 3], [4, 5, 7]], tf.float32), says="values are off"),
        wrong("python list", lambda: [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], says="not a tf.Tensor"),
        wrong("numpy array", lambda: np.array([[1, 2, 3], [4, 5, 6]], np.float32), says="is a NumPy array, not"),
        wrong("fake tensor", lambda: FakeTensor(np.array([[1, 2, 3], [4, 5, 6]], np.float32)), says="not a tf.Tensor"),
        wrong("strings", lambda: tf.constant([["1", "2", "3"], ["4", "5", "6"]]), says="strings"),
        wrong("batch of one matrix", lambda: tf.constant([[[1.0, 2, 3], [4, 5, 6]]]), says="rank 3"),
        untouched(lambda: None),
    ],
    "q2": [
        right("tf.zeros", lambda: tf.zeros([10, 256, 256, 3])),
        right("tf.zeros with a tuple and dtype", lambda: tf.zeros((10, 256, 256, 3), dtype=tf.float32)),
        right("tf.fill", lambda: tf.fill([10, 256, 256, 3], 0.0)),
        right("zeros_like of ones", lambda: tf.zeros_like(tf.ones([10, 256, 256, 3]))),
        right("ones times zero", lambda: tf.ones([10, 256, 256, 3]) * 0),
        right("constant of a float32 numpy array", lambda: tf.constant(np.zeros((10, 256, 256, 3), np.float32))),
        wrong("channels first", lambda: tf.zeros([10, 3, 256, 256]), says="(10, 3, 256, 256)"),
        wrong("one image", lambda: tf.zeros([256, 256, 3]), says="rank 3"),
        wrong("grey images", lambda: tf.zeros([10, 256, 256]), says="rank 3"),
        wrong("ones", lambda: tf.ones([10, 256, 256, 3]), says="not every element is zero"),
        wrong("int32 zeros", lambda: tf.zeros([10, 256, 256, 3], tf.int32), says="dtype int32"),
        wrong("float64 from numpy", lambda: tf.constant(np.zeros((10, 256, 256, 3))), says="dtype float64"),
        wrong("numpy array", lambda: np.zeros((10, 256, 256, 3), np.float32), says="not a tf.Tensor"),
        wrong("random normal", lambda: tf.random.normal([10, 256, 256, 3]), says="not every element is zero"),
        wrong(
            "a single NaN",
            lambda: tf.tensor_scatter_nd_update(tf.zeros([10, 256, 256, 3]), [[0, 0, 0, 0]], [np.nan]),
            says="not every element is zero",
        ),
        untouched(lambda: None),
    ],
    "q3": [
        right("two slices", lambda g: g[1:3, 2:]),
        right("explicit stop", lambda g: g[1:3, 2:6]),
        right("negative indices", lambda g: g[1:-1, -4:]),
        right("tf.slice", lambda g: tf.slice(g, [1, 2], [2, 4])),
        right("rows then columns", lambda g: g[1:3][:, 2:]),
        right("tf.gather twice", lambda g: tf.gather(tf.gather(g, [1, 2]), [2, 3, 4, 5], axis=1)),
        right("a tf.Variable of the slice", lambda g: tf.Variable(g[1:3, 2:])),
        right("tf.strided_slice", lambda g: tf.strided_slice(g, [1, 2], [3, 6])),
        right("slice of grid.numpy() made a tensor again", lambda g: tf.constant(g.numpy()[1:3, 2:])),
        wrong("columns from 1", lambda g: g[1:3, 1:], says="shape (2, 5)"),
        wrong("rows 0 and 1", lambda g: g[0:2, 2:], says="other elements"),
        wrong("rows 1 to 3 inclusive", lambda g: g[1:4, 2:], says="shape (3, 4)"),
        wrong("one column", lambda g: g[1:3, 2], says="rank 1"),
        wrong("cast to float", lambda g: tf.cast(g[1:3, 2:], tf.float32), says="dtype float32"),
        wrong("numpy slice", lambda g: g.numpy()[1:3, 2:], says="not a tf.Tensor"),
        wrong(
            "through a list of Python ints (int64)",
            lambda g: tf.constant(np.array(g.numpy().tolist())[1:3, 2:]),
            says="dtype int64",
        ),
        wrong("transposed slice", lambda g: tf.transpose(g)[2:, 1:3], says="shape (4, 2)"),
        wrong("list of rows", lambda g: g[1:3, 2:].numpy().tolist(), says="not a tf.Tensor"),
        wrong("the old fixed grid's corner typed in", lambda g: OLD_GRID[1:3, 2:], says="other elements"),
        wrong("columns 2 and 3 only", lambda g: g[1:3, 2:4], says="shape (2, 2)"),
        wrong("rows and columns swapped", lambda g: g[2:, 1:3], says="shape (2, 2)"),
        untouched(lambda g: None),
    ],
    "q4": [
        right("assign_add a list", lambda w: _updated(w, lambda v: v.assign_add([1.0, 2.0, 3.0]))),
        right("assign of a sum", lambda w: _updated(w, lambda v: v.assign(v + tf.constant([1.0, 2.0, 3.0])))),
        right("assign_add a range", lambda w: _updated(w, lambda v: v.assign_add(tf.range(1.0, 4.0)))),
        right("element by element", _one_by_one),
        right("assign of tf.add", lambda w: _updated(w, lambda v: v.assign(tf.add(v, [1, 2, 3.0])))),
        right("subtract the negative", lambda w: _updated(w, lambda v: v.assign_sub([-1.0, -2.0, -3.0]))),
        right("scatter_nd_add", lambda w: _updated(w, lambda v: v.scatter_nd_add([[0], [1], [2]], [1.0, 2.0, 3.0]))),
        wrong("plus makes a tensor", lambda w: w + [1.0, 2.0, 3.0], says="not a tf.Variable"),
        wrong("tf.add makes a tensor", lambda w: tf.add(w, [1.0, 2.0, 3.0]), says="is a tf.Tensor, not a tf.Variable"),
        wrong("new variable", lambda w: tf.Variable(w + [1.0, 2.0, 3.0]), says="new tf.Variable"),
        wrong("new variable named weights", _new_variable_same_name, says="new tf.Variable"),
        wrong("typed-in [2, 3, 4]", lambda w: _updated(w, lambda v: v.assign([2.0, 3.0, 4.0])), says="values are off"),
        wrong(
            "added one everywhere",
            lambda w: _updated(w, lambda v: v.assign_add([1.0, 1.0, 1.0])),
            says="values are off",
        ),
        wrong(
            "added twice",
            lambda w: _updated(w, lambda v: v.assign_add([1.0, 2.0, 3.0]), lambda v: v.assign_add([1.0, 2.0, 3.0])),
            says="twice",
        ),
        wrong("multiplied", lambda w: _updated(w, lambda v: v.assign(v * [1.0, 2.0, 3.0])), says="values are off"),
        wrong("numpy array", lambda w: w.numpy() + [1.0, 2.0, 3.0], says="not a tf.Variable"),
        wrong(
            "keras variable",
            lambda w: keras.Variable(w.numpy() + [1.0, 2.0, 3.0]),
            says="keras.Variable, not a tf.Variable",
        ),
        wrong("set to [1, 2, 3]", lambda w: _updated(w, lambda v: v.assign([1.0, 2.0, 3.0])), says="values are off"),
        wrong("subtracted", lambda w: _updated(w, lambda v: v.assign_sub([1.0, 2.0, 3.0])), says="values are off"),
        wrong(
            "added in reverse order",
            lambda w: _updated(w, lambda v: v.assign_add([3.0, 2.0, 1.0])),
            says="values are off",
        ),
        right(
            "assign_add of a float32 tensor", lambda w: _updated(w, lambda v: v.assign_add(tf.constant([1.0, 2, 3])))
        ),
        untouched(lambda w: w),
    ],
    "q5": [
        right("tf.matmul plus b", lambda x, W, b: tf.matmul(x, W) + b),
        right("@ operator", lambda x, W, b: x @ W + b),
        right("tf.nn.bias_add", lambda x, W, b: tf.nn.bias_add(tf.matmul(x, W), b)),
        right("tensordot", lambda x, W, b: tf.tensordot(x, W, axes=1) + b),
        right("einsum", lambda x, W, b: tf.einsum("ij,jk->ik", x, W) + b),
        right("tf.add and linalg.matmul", lambda x, W, b: tf.add(tf.linalg.matmul(x, W), b)),
        right("bias as a row", lambda x, W, b: x @ W + tf.reshape(b, [1, 2])),
        right("by hand, sum of products", lambda x, W, b: tf.reduce_sum(x[:, :, None] * W[None, :, :], axis=1) + b),
        wrong("no bias (b zeroed after)", lambda x, W, b: tf.matmul(x, W), says="without the bias"),
        wrong("transposed", lambda x, W, b: tf.transpose(x @ W + b), says="order of the product"),
        wrong(
            "element-wise product of the wrong shape",
            lambda x, W, b: tf.reduce_sum(x, axis=1, keepdims=True) * tf.reduce_sum(W, axis=0) + b,
            says="values are off",
        ),
        wrong("bias subtracted", lambda x, W, b: x @ W - b, says="values are off"),
        wrong("numpy result", lambda x, W, b: x.numpy() @ W.numpy() + b.numpy(), says="not a tf.Tensor"),
        wrong("old fixed bias", lambda x, W, b: x @ W + tf.constant([0.5, -1.0]), says="values are off"),
        wrong("typed-in scores", lambda x, W, b: tf.constant([[0.1, 0.2]] * 4), says="values are off"),
        wrong("float64", lambda x, W, b: tf.cast(x @ W + b, tf.float64), says="dtype float64"),
        wrong("summed over examples", lambda x, W, b: tf.reduce_sum(x @ W + b, axis=0), says="shape (2,)"),
        wrong("one bias for everything", lambda x, W, b: x @ W + b[0], says="values are off"),
        wrong("relu on top", lambda x, W, b: tf.nn.relu(x @ W + b), says="values are off"),
        wrong("the mean bias", lambda x, W, b: x @ W + tf.reduce_mean(b), says="values are off"),
        wrong("bias added twice", lambda x, W, b: x @ W + 2 * b, says="values are off"),
        wrong("absolute value", lambda x, W, b: tf.abs(x @ W + b), says="values are off"),
        right("bias first", lambda x, W, b: b + tf.matmul(x, W)),
        right("keras.ops", lambda x, W, b: keras.ops.add(keras.ops.matmul(x, W), b)),
        untouched(lambda x, W, b: None),
    ],
    "q6": [
        right("reshape then transpose", lambda p: (tf.reshape(p, [5, -1]), tf.transpose(tf.reshape(p, [5, -1])))),
        right("explicit 16", lambda p: (tf.reshape(p, [5, 16]), tf.transpose(tf.reshape(p, [5, 16]), [1, 0]))),
        right("-1 first", lambda p: (tf.reshape(p, [-1, 16]), tf.linalg.matrix_transpose(tf.reshape(p, [-1, 16])))),
        right("keras Flatten", lambda p: (keras.layers.Flatten()(p), tf.transpose(keras.layers.Flatten()(p)))),
        right(
            "columns straight from pictures",
            lambda p: (tf.reshape(p, [p.shape[0], -1]), tf.reshape(tf.transpose(p, [1, 2, 0]), [16, 5])),
        ),
        right(
            "keras ops", lambda p: (keras.ops.reshape(p, (5, 16)), keras.ops.transpose(keras.ops.reshape(p, (5, 16))))
        ),
        wrong(
            "transposed pixels",
            lambda p: (
                tf.reshape(tf.transpose(p, [0, 2, 1]), [5, -1]),
                tf.transpose(tf.reshape(tf.transpose(p, [0, 2, 1]), [5, -1])),
            ),
            says="out of order",
        ),
        wrong(
            "columns reshaped, not transposed",
            lambda p: (tf.reshape(p, [5, 16]), tf.reshape(p, [16, 5])),
            says="transpose flat",
        ),
        wrong(
            "columns not transposed",
            lambda p: (tf.reshape(p, [5, 16]), tf.reshape(p, [5, 16])),
            says="columns has shape",
        ),
        wrong(
            "flat the wrong way round",
            lambda p: (tf.reshape(p, [16, 5]), tf.transpose(tf.reshape(p, [16, 5]))),
            says="flat has shape (16, 5)",
        ),
        wrong("one long row", lambda p: (tf.reshape(p, [-1]), tf.reshape(p, [-1])), says="flat has shape (80,)"),
        wrong(
            "the old pictures typed in",
            lambda p: (tf.reshape(tf.range(80.0), [5, 16]), tf.transpose(tf.reshape(tf.range(80.0), [5, 16]))),
            says="other numbers than pictures",
        ),
        wrong(
            "columns from other numbers",
            lambda p: (tf.reshape(p, [5, 16]), tf.transpose(tf.reshape(p, [5, 16])) + 1),
            says="other numbers than flat",
        ),
        wrong("numpy arrays", lambda p: (p.numpy().reshape(5, 16), p.numpy().reshape(5, 16).T), says="not a tf.Tensor"),
        wrong(
            "cast to int",
            lambda p: (
                tf.cast(tf.reshape(p, [5, 16]), tf.int32),
                tf.transpose(tf.cast(tf.reshape(p, [5, 16]), tf.int32)),
            ),
            says="dtype int32",
        ),
        wrong(
            "sorted pixels",
            lambda p: (tf.sort(tf.reshape(p, [5, 16])), tf.transpose(tf.sort(tf.reshape(p, [5, 16])))),
            says="out of order",
        ),
        untouched(lambda p: (None, None)),
        untouched(lambda p: (tf.reshape(p, [5, -1]), None), name="columns still # TODO"),
    ],
    "q7": [
        right("the solution", lambda: _rotate_solution),
        right("tf.cos and tf.sin", lambda: _rotate_tf_math),
        right("column by column", lambda: _rotate_columns),
        right("complex numbers", lambda: _rotate_complex),
        right("matvec on each row", lambda: _rotate_matvec),
        right("einsum", lambda: _rotate_einsum),
        right("numpy matrix, tf product", lambda: lambda p, d: p @ _rotation_matrix(d).T),
        wrong("clockwise", lambda: _rotate_clockwise, says="wrong way"),
        wrong("degrees as radians", lambda: _rotate_radians, says="radians"),
        wrong("always 90 degrees", lambda: _rotate_fixed_90, says="gives other points"),
        wrong("lookup of the old angles", lambda: _rotate_lookup, says="gives other points"),
        wrong("identity", lambda: lambda p, d: p, says="gives other points"),
        wrong("flattened", lambda: _rotate_flattened, says="has shape"),
        wrong("numpy result", lambda: _rotate_numpy, says="not a tf.Tensor"),
        wrong("float64 result", lambda: _rotate_float64, says="dtype float64"),
        wrong("raises", lambda: lambda p, d: 1 / 0, says="ZeroDivisionError"),
        wrong("one argument", lambda: lambda p: p, says="cannot be called"),
        wrong("returns None by mistake", lambda: lambda p, d: print(p), says="returns None"),
        wrong("half the angle", lambda: lambda p, d: _rotate_solution(p, d / 2), says="gives other points"),
        wrong("twice the angle", lambda: lambda p, d: _rotate_solution(p, 2 * d), says="gives other points"),
        wrong("angle negated", lambda: lambda p, d: _rotate_solution(p, -d), says="wrong way"),
        right("float64 maths, float32 result", lambda: _rotate_float64_then_cast),
        right("tf.linalg.matmul with transpose_b", lambda: _rotate_linalg),
        untouched(lambda: _rotate_no_body),
        untouched(lambda: None, name="None"),
    ],
    "q8": [
        right("three loops", lambda: _mm_triple),
        right("two loops and a sum of products", lambda: _mm_row_dot),
        right("lists of lists", lambda: _mm_lists),
        right("column by column", lambda: _mm_columns),
        right("returns a tensor", lambda: _mm_tensor),
        wrong("no shape check", lambda: _mm_no_check, says="should raise"),
        wrong("transposed result", lambda: _mm_transposed, says="transposed"),
        wrong("one product per entry", lambda: _mm_elementwise_rows, says="dot product"),
        wrong("inner loop one short", lambda: _mm_off_by_one, says="dot product"),
        wrong("result shape swapped and shifted", lambda: _mm_swapped_shape, says="shape"),
        wrong("element-wise product", lambda: lambda x, y: x * y, says="naive_matmul("),
        wrong("returns None", lambda: lambda x, y: print(x), says="returns None"),
        wrong("a string", lambda: lambda x, y: "x @ y", says="NumPy array"),
        right(
            "two loops and np.sum of a row times a column",
            lambda: lambda x, y: _mm_loops(x, y, lambda x, y, i, j: np.sum(x[i, :] * y[:, j])),
        ),
        right("k outermost", lambda: _mm_k_outside),
        right("zip(strict=True) checks the sizes", lambda: _mm_zip_strict),
        right("len() and math.fsum", lambda: _mm_len_check),
        right("a ValueError of its own", lambda: _mm_raises(ShapeError)),
        wrong("no size check, k over x's columns", lambda: _mm_triple_unchecked, says="should raise a ValueError"),
        wrong("assert for the size check", lambda: _mm_assert, says="raised AssertionError"),
        wrong("TypeError for the size check", lambda: _mm_raises(TypeError), says="raised TypeError"),
        wrong("a bare Exception", lambda: _mm_raises(Exception), says="asks for a ValueError"),
        wrong("checks one way only", lambda: _mm_one_way_check, says="should raise a ValueError"),
        wrong("NumPy's broadcasting as the check", lambda: _mm_broadcast_rows, says="should raise a ValueError"),
        wrong("an integer result array", lambda: _mm_int_result, says="is off"),
        wrong("@ after the check", lambda: _mm_with(lambda x, y: x @ y), says="@"),
        wrong("np.dot", lambda: _mm_with(np.dot), says="np.dot"),
        wrong("np.matmul", lambda: _mm_with(np.matmul), says="np.matmul"),
        wrong("x.dot(y)", lambda: _mm_with(lambda x, y: x.dot(y)), says=".dot"),
        wrong("np.einsum", lambda: _mm_with(lambda x, y: np.einsum("ik,kj->ij", x, y)), says="np.einsum"),
        wrong("tf.matmul", lambda: _mm_with(lambda x, y: tf.matmul(x, y).numpy()), says="tf.matmul"),
        wrong(
            "@ on tensors", lambda: _mm_with(lambda x, y: (tf.constant(x) @ tf.constant(y)).numpy()), says="tf.matmul"
        ),
        wrong("keras.ops.matmul", lambda: _mm_with(lambda x, y: np.asarray(keras.ops.matmul(x, y))), says="tf.matmul"),
        wrong("tf.tensordot", lambda: _mm_with(lambda x, y: tf.tensordot(x, y, axes=1).numpy()), says="tf.matmul"),
        wrong(
            "loops with a row @ column",
            lambda: lambda x, y: _mm_loops(x, y, lambda x, y, i, j: x[i, :] @ y[:, j]),
            says="@",
        ),
        wrong(
            "loops with np.dot of a row and a column",
            lambda: lambda x, y: _mm_loops(x, y, lambda x, y, i, j: np.dot(x[i], y[:, j])),
            says="np.dot",
        ),
        wrong(
            "one broadcast product, no loops",
            lambda: _mm_with(lambda x, y: np.sum(x[:, :, None] * y[None, :, :], axis=1)),
            says="broadcast",
        ),
        wrong(
            "one broadcast product of tensors",
            lambda: _mm_with(
                lambda x, y: tf.reduce_sum(tf.constant(x)[:, :, None] * tf.constant(y)[None], axis=1).numpy()
            ),
            says="broadcast",
        ),
        right("one outer product per k", lambda: _mm_outer_per_k),
        right("loops over tensors", lambda: _mm_tensor_loops),
        untouched(lambda: _mm_no_body),
        untouched(lambda: None, name="None"),
    ],
}
