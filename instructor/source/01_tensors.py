# %% [markdown]
# # Lab 01 · Tensors
# <!-- badges -->
#
# Everything a neural network reads, stores and produces is a **tensor**: a box of numbers
# with a fixed number of axes. This lab is about handling those boxes fluently.
#
# ## What you'll learn
# - the **rank** (number of axes) and **shape** (length of each axis) of a tensor, from 0-d to 4-d
# - how to make tensors (`tf.constant`, `tf.zeros`, `tf.ones`, `tf.random`), slice them and pick a dtype
# - why a tensor can't be changed in place, and how `tf.Variable` can
# - moving between NumPy and TensorFlow
# - element-wise operations, broadcasting and the dot product, and why vectorised code is fast
# - reshaping and transposing
# - a geometric picture of it all: translation, rotation, scaling, affine maps and ReLU
# - what element-wise addition and the matrix product do, written as loops, and the shape rule
#
# Run the cells from top to bottom. Fill in each `# TODO`, then run the check cell below it:
# it says **PASS**, **FAIL** (with a hint) or **NOT ATTEMPTED**. `lab.qN.hint()` gives a hint.

# %% tags=["setup"]
import time

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

# %% [markdown]
# ## 1. Rank and shape
#
# A tensor's **rank** is how many axes it has; its **shape** lists the length of each axis.
# A single number is rank 0, a list of numbers is rank 1 (a vector), a table is rank 2 (a matrix).

# %%
sport = tf.constant("Tennis", tf.string)
number = tf.constant(1.41421356237, tf.float64)
print(f"sport: rank {tf.rank(sport).numpy()}, shape {sport.shape}")
print(f"number: rank {tf.rank(number).numpy()}, shape {number.shape}")

# %%
sports = tf.constant(["Tennis", "Basketball"], tf.string)
numbers = tf.constant([3.141592, 1.414214, 2.718282], tf.float64)  # π, √2, e
print(f"sports: rank {tf.rank(sports).numpy()}, shape {sports.shape}")
print(f"numbers: rank {tf.rank(numbers).numpy()}, shape {numbers.shape}")

# %% [markdown]
# **Exercise 1.** Make `matrix`, a rank-2 tensor of `float32` with two rows: `1, 2, 3` and `4, 5, 6`.

# %% answer="q1"
matrix = tf.constant([[1, 2, 3], [4, 5, 6]], dtype=tf.float32)  # SOLUTION

# %%
lab.q1.check(matrix)
# lab.q1.hint()

# %% [markdown]
# Images add more axes. A batch of colour pictures has four: *which image*, *row*, *column*
# and *colour channel* (red, green, blue).
#
# **Exercise 2.** Make `images`, a batch of 10 colour images of 256×256 pixels, all zeros
# (`float32`, TensorFlow's default floating-point dtype).

# %% answer="q2"
images = tf.zeros([10, 256, 256, 3])  # SOLUTION

# %%
lab.q2.check(images)

# %% [markdown]
# ## 2. Making tensors, dtypes and slicing
#
# `tf.zeros`, `tf.ones`, `tf.random.normal` and `tf.random.uniform` take a shape; every tensor has
# a single **dtype**. TensorFlow does not mix dtypes silently: adding an `int32` to a `float32`
# is an error until you `tf.cast` one of them.

# %%
ones = tf.ones([2, 3])
gaussian = tf.random.normal([2, 3], mean=0.0, stddev=1.0)
uniform = tf.random.uniform([2, 3], minval=0, maxval=10, dtype=tf.int32)
for name, t in [("ones", ones), ("gaussian", gaussian), ("uniform", uniform)]:
    print(f"{name:9s} dtype={t.dtype.name:8s} shape={t.shape}")
print("cast:", tf.cast(uniform, tf.float32).dtype.name)

# %% [markdown]
# Slicing works as in NumPy: one `start:stop` per axis, `stop` excluded. The lab gives you `grid`,
# a 4×6 table of random whole numbers, drawn the first time you run the cell: running it again
# gives the same table, restarting the kernel a new one.

# %%
grid = lab.q3.inputs()
print(grid.numpy())
print("row 0:", grid[0].numpy(), "| column 1:", grid[:, 1].numpy(), "| last element:", grid[-1, -1].numpy())

# %% [markdown]
# **Exercise 3.** From `grid`, take `corner` by slicing: rows 1 and 2, and every column from index 2
# to the end.

# %% answer="q3"
corner = grid[1:3, 2:]  # SOLUTION

# %%
lab.q3.check(corner)

# %% [markdown]
# ## 3. Tensors are constant; variables are not
#
# A `tf.Tensor` is immutable: `t[0] = 5` raises an error. Model weights must change during
# training, so they live in a `tf.Variable`, updated in place with `assign`, `assign_add` and
# `assign_sub`.

# %%
t = tf.zeros([3])
try:
    t[0] = 5.0
except TypeError as err:
    print("Tensors can't be assigned to:", type(err).__name__)

v = tf.Variable(tf.zeros([3]))
v[0].assign(5.0)
v.assign_add([1.0, 1.0, 1.0])
print("variable now:", v.numpy())

# %% [markdown]
# **Exercise 4.** `lab.q4.inputs()` gives you `weights`, a `tf.Variable` holding three random
# numbers. Without creating a new variable, add `[1, 2, 3]` to it in place (the first number
# grows by 1, the second by 2, the third by 3).

# %% answer="q4"
weights = lab.q4.inputs()
print("weights starts as", weights.numpy())
### BEGIN SOLUTION
weights.assign_add([1.0, 2.0, 3.0])
### END SOLUTION

# %%
lab.q4.check(weights)

# %% [markdown]
# ## 4. NumPy and TensorFlow
#
# `np.asarray(t)` or `t.numpy()` turns a tensor into an array; TensorFlow functions accept
# arrays and convert them. NumPy's default float is `float64`, TensorFlow's is `float32`; a
# converted array keeps its dtype, so `float64` stays `float64`.

# %%
arr = np.arange(6.0).reshape(2, 3)
as_tensor = tf.convert_to_tensor(arr)
print(as_tensor.dtype.name, "->", np.asarray(tf.square(as_tensor)).sum(), type(as_tensor.numpy()).__name__)

# %% [markdown]
# ## 5. Element-wise operations, vectorised
#
# `relu(x) = max(x, 0)` applied to each element. Written as a Python loop it touches one number
# at a time; `tf.nn.relu` (or `np.maximum`) does the whole array in compiled code.

# %%
def naive_relu(x):
    out = x.copy()
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            out[i, j] = max(x[i, j], 0.0)
    return out


size = labtools.pick(fast=300, full=1000)
x_big = np.random.normal(size=(size, size)).astype("float32")
tf.nn.relu(x_big[:2, :2])  # the first call pays a one-off start-up cost; don't time it


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, (time.perf_counter() - start) * 1000


slow, t_loop = timed(lambda: naive_relu(x_big))
fast, t_tf = timed(lambda: tf.nn.relu(x_big).numpy())
_, t_np = timed(lambda: np.maximum(x_big, 0.0))
print(f"{size}x{size}: Python loop {t_loop:.0f} ms | tf.nn.relu {t_tf:.2f} ms | np.maximum {t_np:.2f} ms"
      f" | same result: {np.allclose(slow, fast)}")

# %% [markdown]
# ## 6. Broadcasting and the dot product
#
# When two tensors of different shapes meet in an element-wise operation, they are
# **broadcast**. Line their shapes up from the right: each pair of axes must be equal, or one of
# them must be 1 (or missing). A missing axis is added in front with length 1, and every axis of
# length 1 is repeated to match the other. So `(64, 3, 32, 10) + (32, 10)` works: `(32, 10)`
# becomes `(1, 1, 32, 10)` and is repeated to `(64, 3, 32, 10)`; `(5, 1) * (1, 4)` gives `(5, 4)`;
# `(3, 2) + (3,)` fails (2 and 3 differ). That is how one bias vector is added to every row of
# a batch.
#
# The **dot product** of two vectors is the sum of their element-wise product. A matrix-vector
# product takes one dot product per row; a matrix product one per (row, column) pair, so
# `(a, b) @ (b, c)` has shape `(a, c)`. `@` and `tf.matmul` are batched too: on rank-3 tensors,
# `(n, a, b) @ (n, b, c)` is `n` matrix products at once, shape `(n, a, c)`.

# %%
u = tf.constant([1.0, 2.0, 3.0])
w = tf.constant([4.0, 5.0, 6.0])
M = tf.constant([[1.0, 0.0, 1.0], [0.0, 2.0, 0.0]])
print("u . w       =", tf.tensordot(u, w, axes=1).numpy())
print("M @ u       =", tf.linalg.matvec(M, u).numpy())
print("M @ M^T     =\n", tf.matmul(M, M, transpose_b=True).numpy())

big = tf.random.normal((64, 3, 32, 10))
small = tf.random.normal((32, 10))
repeated = tf.tile(tf.reshape(small, (1, 1, 32, 10)), [64, 3, 1, 1])  # what broadcasting does, by hand
print("(64, 3, 32, 10) + (32, 10) ->", (big + small).shape, "| same as expand-then-repeat:",
      bool(tf.reduce_all(big + small == big + repeated)))
print("(5, 1) * (1, 4)            ->", (tf.ones((5, 1)) * tf.ones((1, 4))).shape)
print("(8, 2, 3) @ (8, 3, 4)      ->", (tf.random.normal((8, 2, 3)) @ tf.random.normal((8, 3, 4))).shape)
print("M + [10, 20, 30] =\n", (M + tf.constant([10.0, 20.0, 30.0])).numpy())

# %% [markdown]
# **Exercise 5.** `x` holds 4 examples with 3 features each, `W` maps 3 features to 2 outputs and
# `b` is one bias per output. Compute `scores = x W + b` (shape `(4, 2)`), a `tf.Tensor`.

# %%
x, W, b = lab.q5.inputs()
print("x:", x.shape, "| W:", W.shape, "| b:", b.shape)

# %% answer="q5"
scores = tf.matmul(x, W) + b  # SOLUTION

# %%
lab.q5.check(scores)

# %% [markdown]
# ## 7. Reshape and transpose
#
# `tf.reshape` lays the same elements, in the same order, into a new shape (the number of
# elements must match; `-1` means "work this axis out"). `tf.transpose` reverses the axes, so
# rows become columns.
#
# **Exercise 6.** `pictures` holds 5 tiny 4×4 images. Make `flat` with one row of 16 pixels per
# image (shape `(5, 16)`), then `columns`, its transpose (shape `(16, 5)`).

# %%
pictures = lab.q6.inputs()
print("the first picture:\n", pictures[0].numpy())

# %% answer="q6"
flat = tf.reshape(pictures, [5, -1])  # SOLUTION
columns = tf.transpose(flat)  # SOLUTION

# %%
lab.q6.check(flat, columns)

# %% [markdown]
# ## 8. The geometric view
#
# A 2-d point is a vector, so tensor operations move points around. Adding a vector
# **translates**, multiplying by a diagonal matrix **scales**, multiplying by
# $R(\theta) = \begin{pmatrix}\cos\theta & -\sin\theta\\ \sin\theta & \cos\theta\end{pmatrix}$
# **rotates** anticlockwise by θ. A matrix product followed by an addition is an **affine** map,
# exactly what a `Dense` layer computes; ReLU then clamps every negative coordinate to 0, which
# pushes the points outside the positive quadrant onto its edges.
#
# A point written as a column vector p is rotated by R p. Here, as in Keras, points are **rows**
# of a tensor `P` of shape `(n, 2)`, so all of them rotate at once by `P @ tf.transpose(R)`
# (each row p becomes (R pᵀ)ᵀ = p Rᵀ), or `tf.matmul(P, R, transpose_b=True)`.
#
# **Exercise 7.** Write `rotate(points, degrees)`: `points` is a `float32` tensor with one point per
# row (shape `(n, 2)`) and `degrees` a number; return the points rotated anticlockwise by `degrees`
# about the origin, as a `float32` tensor of the same shape.

# %% answer="q7"
def rotate(points, degrees):
    ### BEGIN SOLUTION
    theta = np.deg2rad(degrees)
    R = tf.constant([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]], tf.float32)
    return tf.matmul(points, R, transpose_b=True)
    ### END SOLUTION


# %%
lab.q7.check(rotate)

# %% [markdown]
# A picture: the same square through each map.

# %%
square = tf.constant([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]])
shear = tf.constant([[1.0, 0.5], [0.0, 1.0]])
maps = {
    "translate by (1, -0.5)": square + [1.0, -0.5],
    "scale by (2, 0.5)": square * [2.0, 0.5],
    "rotate 30° (the reference)": tf.matmul(square, tf.constant(
        [[np.cos(np.pi / 6), -np.sin(np.pi / 6)], [np.sin(np.pi / 6), np.cos(np.pi / 6)]], tf.float32),
        transpose_b=True),
    "affine: shear then shift": tf.matmul(square, shear, transpose_b=True) + [-1.5, 0.2],
    "relu(affine)": tf.nn.relu(tf.matmul(square, shear, transpose_b=True) + [-1.5, 0.2]),
}
fig, axes = plt.subplots(1, len(maps), figsize=(3 * len(maps), 3), sharex=True, sharey=True)
for ax, (title, shape) in zip(axes, maps.items()):
    ax.plot(square[:, 0], square[:, 1], "k--", lw=1)
    ax.plot(shape[:, 0], shape[:, 1], "o-", color="tab:blue")
    ax.axhline(0, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    ax.set_title(title, fontsize=9)
    ax.set_aspect("equal")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 9. Under the hood: loops
#
# What does `tf.add` do on two matrices of the same shape? Written with Python loops, it is one
# addition per entry:

# %%
def naive_add(x, y):
    assert x.shape == y.shape, "element-wise operations need the same shape (or broadcasting)"
    z = np.zeros(x.shape)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            z[i, j] = x[i, j] + y[i, j]
    return z


a, b = np.random.rand(200, 200), np.random.rand(200, 200)
start = time.perf_counter()
naive_add(a, b)
t_loop = time.perf_counter() - start
start = time.perf_counter()
tf.add(a, b)
t_tf = time.perf_counter() - start
print(f"200x200 add: Python loops {1000 * t_loop:.1f} ms, tf.add {1000 * t_tf:.2f} ms; "
      f"same result: {np.allclose(naive_add(a, b), tf.add(a, b))}")

# %% [markdown]
# A matrix product is a table of dot products: entry (i, j) of `x @ y` is the dot product of row
# i of `x` with column j of `y`. That is only defined when a row of `x` is as long as a column of
# `y`, which is the **shape rule**: `(a, b) @ (b, c)` gives `(a, c)`, and the inner sizes `b` must
# agree.
#
# **Exercise 8.** Write `naive_matmul(x, y)` for two NumPy matrices with Python loops (no `@`,
# `np.dot`, `np.matmul`, `np.einsum` or `tf.matmul`: the check notices them): return a NumPy array
# of shape `(rows of x, columns of y)`, and raise a `ValueError` when the inner sizes differ. The
# check compares it with `x @ y` on matrices of its own choosing, some of whose inner sizes differ.

# %% answer="q8"
def naive_matmul(x, y):
    ### BEGIN SOLUTION
    if x.shape[1] != y.shape[0]:
        raise ValueError(f"inner sizes differ: {x.shape} @ {y.shape}")
    z = np.zeros((x.shape[0], y.shape[1]))
    for i in range(x.shape[0]):
        for j in range(y.shape[1]):
            for k in range(x.shape[1]):
                z[i, j] += x[i, k] * y[k, j]
    return z
    ### END SOLUTION


# %%
lab.q8.check(naive_matmul)

# %% [markdown]
# **Exercise 9 (written).** Explain the difference between a 1-D and a 2-D tensor: what are their
# rank and shape, and how do you pick out one element of each? Give an example of each. Write a
# few sentences in the Markdown cell below (double-click it to edit), save the notebook, then run
# the check. Your instructor grades this answer (2 points).

# %% [markdown] answer="q9"
# A 1-D tensor has rank 1: one axis, so its shape has one number, like `(3,)` for
# `tf.constant([1., 2., 3.])`, a vector; one index picks an element, `v[0]`.
#
# A 2-D tensor has rank 2: two axes, rows and columns, so its shape has two numbers, like `(2, 3)`
# for `tf.constant([[1, 2, 3], [4, 5, 6]])`, a matrix; an element needs two indices, `m[1, 2]`,
# and `m[1]` is a whole row, itself a 1-D tensor.

# %%
lab.q9.check()

# %% [markdown]
# ## Summary
#
# - Rank = number of axes, shape = their lengths. Scalars, vectors, matrices, batches of images.
# - Tensors are immutable and single-dtype; `tf.Variable` is the mutable kind, updated with `assign*`.
# - `x @ y` is a table of dot products (rows of x with columns of y), defined when the inner sizes
#   agree: `(a, b) @ (b, c)` gives `(a, c)`. Loops compute the same, far more slowly.
# - Vectorised operations beat Python loops by orders of magnitude; broadcasting stretches the
#   axes of length 1 (or missing) to match; `@` / `tf.matmul` contracts the last axis of the left with
#   the second-to-last of the right, batched over any leading axes.
# - Reshape keeps element order; transpose changes it.
# - Geometrically, `x @ W + b` is an affine map and ReLU clamps negatives to 0: the building blocks of a network.

# %%
labtools.progress()
