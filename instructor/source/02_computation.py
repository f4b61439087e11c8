# %% [markdown]
# # Lab 02 · Computations and graphs
# <!-- badges -->
#
# TensorFlow is named after what it does: tensors *flow* through a graph of operations. This lab
# builds small computations by hand, draws them as graphs, and compiles them with `tf.function`.
#
# ## What you'll learn
# - TensorFlow's arithmetic: `tf.add`, `tf.subtract`, `tf.multiply` and the operators `+ - *`
# - how a Python function of tensors describes a computation graph
# - eager execution versus graph execution with `tf.function`, and when graphs pay off
# - what makes `tf.function` trace again (Python numbers versus tensors), and `print` versus `tf.print`

# %% tags=["setup"]
import time

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

# %% [markdown]
# ## 1. Operations
#
# Every operation takes tensors and returns a new tensor. The functions `tf.add`, `tf.subtract`
# and `tf.multiply` work element by element and are exactly what `+`, `-` and `*` call on tensors.

# %%
a = tf.constant(15.0)
b = tf.constant(61.0)
print("tf.add:", tf.add(a, b).numpy(), "| a + b:", (a + b).numpy())
print("tf.multiply:", tf.multiply(a, b).numpy(), "| a * b:", (a * b).numpy())

# %% [markdown]
# **Exercise 1.** The lab gives you two 2×2 matrices `x` and `y` (random numbers, drawn the first
# time you run the cell and the same every time after, until you restart the kernel). Compute
# with TensorFlow functions: `total` = x plus y, `product` = their **element-wise** product,
# `difference` = y minus x.

# %%
x, y = lab.q1.inputs()
print("x =", x.numpy().tolist(), "| y =", y.numpy().tolist())

# %% answer="q1"
total = tf.add(x, y)  # SOLUTION
product = tf.multiply(x, y)  # SOLUTION
difference = tf.subtract(y, x)  # SOLUTION

# %%
lab.q1.check(total, product, difference)

# %% [markdown]
# ## 2. A function is a graph
#
# Take two inputs `a` and `b` and compute
#
# ```
#   a ──┐
#       (+)── c ──┐
#   b ──┤          (*)── e
#       (−1)─ d ──┘
# ```
#
# `c = a + b`, `d = b − 1`, `e = c · d`. Each node is an operation; each edge carries a tensor.
#
# **Exercise 2.** Write `func(a, b)` that returns `e` by following the graph node by node.

# %% answer="q2"
def func(a, b):
    ### BEGIN SOLUTION
    c = tf.add(a, b)
    d = tf.subtract(b, 1)
    e = tf.multiply(c, d)
    return e
    ### END SOLUTION


# %%
lab.q2.check(func)

# %% [markdown]
# **Exercise 3.** Write `difference_of_squares(a, b)` returning a² − b². Sketch its graph first:
# the identity a² − b² = (a + b)(a − b) needs only three operations.

# %% answer="q3"
def difference_of_squares(a, b):
    return tf.multiply(tf.add(a, b), tf.subtract(a, b))  # SOLUTION


# %%
lab.q3.check(difference_of_squares)

# %% [markdown]
# ## 3. Eager execution and graphs
#
# By default TensorFlow runs **eagerly**: each line executes at once, like NumPy, which makes
# debugging easy. Wrapping a function in `tf.function` **traces** it once per input signature
# into a graph that TensorFlow can optimise (fuse operations, drop Python overhead) and run
# without returning to Python between operations.
#
# ### When does TensorFlow trace?
#
# `tf.function` runs your Python code only while it **traces**. So Python side effects (a
# `print`, appending to a list) happen while tracing and never again, while TensorFlow
# operations (`tf.print`, `v.assign_add(1)`) are part of the graph and run on every call. A
# graph is reused for calls with the same **signature**: the shape and dtype of each tensor
# argument, and the *value* of each plain Python argument. A new Python number means a new
# graph; a tensor with the same shape and dtype does not:

# %%
runs = tf.Variable(0)  # assign_add is a TensorFlow operation: it runs on every call


@tf.function
def scale(x, factor):
    print("  tracing a graph for factor =", factor)  # Python: only while tracing
    runs.assign_add(1)
    return x * factor


x1 = tf.constant(1.0)
print("called with the Python floats 1.0, 2.0, 3.0:")
for factor in [1.0, 2.0, 3.0]:
    scale(x1, factor)
print("called with tensors of those values:")
for factor in [1.0, 2.0, 3.0]:
    scale(x1, tf.constant(factor))
print(f"{runs.numpy()} calls, {scale.experimental_get_tracing_count()} graphs traced")

# %% [markdown]
# Tracing costs far more than a call, so a training step that is handed a new Python float at
# every step (a learning rate, a temperature) retraces every step and runs slower than eager
# code. Two ways out: pass tensors, or fix the signature when you compile:
# `tf.function(f, input_signature=[tf.TensorSpec(shape, dtype), ...])`, one spec per argument;
# arguments are then converted to tensors of that spec. (`reduce_retracing=True` relaxes
# tensor *shapes*; it does not help with Python numbers.)
#
# **Exercise 4.** Make `compiled`, a `tf.function` version of your `difference_of_squares` that
# is called with plain Python floats (`compiled(1.5, 2.0)`) and **traces only once**, however
# many different floats it gets. The check calls it with numbers of its own and counts the
# graphs traced.

# %% answer="q4"
compiled = tf.function(difference_of_squares, input_signature=[tf.TensorSpec([], tf.float32)] * 2)  # SOLUTION

# %%
lab.q4.check(compiled)

# %% [markdown]
# Graphs pay off when a function runs many small operations, because the Python overhead per
# operation disappears. A chain of small matrix operations shows the difference:

# %%
def many_small_steps(v):
    for _ in range(20):
        v = tf.tanh(v @ tf.eye(8) + 0.01)
    return v


graph_version = tf.function(many_small_steps)
v0 = tf.random.normal([8, 8])
graph_version(v0)  # the first call traces the graph; later calls reuse it

repeats = labtools.pick(fast=20, full=200)
timings = {}
for name, fn in [("eager", many_small_steps), ("tf.function", graph_version)]:
    start = time.perf_counter()
    for _ in range(repeats):
        fn(v0)
    timings[name] = (time.perf_counter() - start) / repeats * 1000
print(" | ".join(f"{k}: {v:.2f} ms per call" for k, v in timings.items()),
      f"| same result: {np.allclose(many_small_steps(v0), graph_version(v0), atol=1e-5)}")

plt.figure(figsize=(4, 2.2))
plt.barh(list(timings), list(timings.values()), color=["tab:orange", "tab:blue"])
plt.xlabel("milliseconds per call")
plt.tight_layout()
plt.show()

# %% [markdown]
# A traced function is a real graph object you can inspect:

# %%
concrete = compiled.get_concrete_function(tf.TensorSpec([], tf.float32), tf.TensorSpec([], tf.float32)) \
    if compiled is not None else None
if concrete is not None:
    print("operations in the graph:", sorted({op.type for op in concrete.graph.get_operations()}))

# %% [markdown]
# **Exercise 5 (written).** Explain the difference between running TensorFlow eagerly and running
# a `tf.function` as a graph. When would you use each, and when does a `tf.function` trace again?
# Write a few sentences in the Markdown cell below (double-click it to edit), save the notebook,
# then run the check. Your instructor grades this answer (2 points).

# %% [markdown] answer="q5"
# Eagerly, each operation runs as soon as Python reaches it and returns a value you can print, so
# the code is easy to write and debug.
#
# `tf.function` traces the Python function once into a graph of operations and then runs that
# graph: faster (no Python between operations, whole-graph optimisations) and it can be saved and
# run without Python. It traces again for a new input signature, e.g. every new Python number or a
# new shape or dtype, unless an `input_signature` fixes it. Debug eagerly; wrap the finished step
# (a training step) in `tf.function` for speed.

# %%
lab.q5.check()

# %% [markdown]
# ## Summary
#
# - `tf.add`, `tf.subtract`, `tf.multiply` (and `+ - *`) act element-wise and return new tensors.
# - A Python function of tensors *is* a computation graph: nodes are operations, edges tensors.
# - Eager mode runs line by line; `tf.function` traces a graph once and reuses it, which removes
#   Python overhead. Keras compiles your model's training step this way for you.
# - Python code (`print`) runs only while tracing; graph operations (`tf.print`, `assign_add`)
#   run every call. A new Python number traces a new graph: pass tensors or give `input_signature`.

# %%
labtools.progress()
