# %% [markdown]
# # Lab 03 · Layers
# <!-- badges -->
#
# A neural network is a stack of **layers**. Each layer is a small, reusable computation with
# its own weights: tensors in, tensors out. Keras provides the common ones; when you need
# something new, you write your own in a few lines.
#
# ## What you'll learn
# - what a `Dense` layer computes and what its arguments (`units`, `activation`, `use_bias`, ...) do
# - how to write your own layer with `build`, `call` and `add_weight`
# - how to stack layers with `keras.Sequential`, as a list or with `.add`
# - how Keras infers weight shapes from the first input it sees, and how to count parameters
# - that a Keras `Dense` stack is just the matrix arithmetic you could write by hand
# - why two `Dense` layers without an activation collapse into one, and which layer fits which data
#
# Fill in each `# TODO`, then run the check cell below it. `lab.qN.hint()` gives a hint.

# %% tags=["setup"]
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
import keras

# %% [markdown]
# ## 1. The Dense layer
#
# A dense (fully connected) layer with `units` outputs computes
#
# $$ y = g(x W + b) $$
#
# where `x` has shape `(batch, inputs)`, the **kernel** `W` has shape `(inputs, units)`, the
# **bias** `b` has one number per unit and `g` is the **activation** (`relu`, `sigmoid`,
# `softmax`, ... or none at all). Its main arguments:
#
# | argument | meaning |
# |---|---|
# | `units` | number of outputs (neurons) |
# | `activation` | `g`, by name (`"relu"`) or as a function; default: none (linear) |
# | `use_bias` | whether to add `b` (default `True`) |
# | `kernel_initializer` / `bias_initializer` | how `W` and `b` start (`"glorot_uniform"` / `"zeros"`) |
# | `kernel_regularizer` | an optional penalty on `W`, added to the loss |

# %%
layer = keras.layers.Dense(4, activation="sigmoid")
x = tf.random.normal([2, 3])
y = layer(x)  # the first call creates W (3 x 4) and b (4,)
print("output shape:", y.shape)
print("weights:", [(w.name, tuple(w.shape)) for w in layer.weights])

# %% [markdown]
# **Exercise 1.** Make `dense`, a `Dense` layer with 32 units, the relu activation and **no bias**.

# %% answer="q1"
dense = keras.layers.Dense(32, activation="relu", use_bias=False)  # SOLUTION

# %%
lab.q1.check(dense)

# %% [markdown]
# Activations bend the straight line `xW + b`. Without them, any stack of dense layers would
# collapse into a single affine map. The most common ones:

# %%
z = np.linspace(-5, 5, 200).astype("float32")
fig, axes = plt.subplots(1, 3, figsize=(9, 2.2), sharex=True)
for ax, name in zip(axes, ["relu", "sigmoid", "tanh"]):
    ax.plot(z, keras.activations.get(name)(z))
    ax.set_title(name)
    ax.axhline(0, color="grey", lw=0.5)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 2. Your own layer
#
# A Keras layer is a class with three methods:
#
# - `__init__` stores the settings (here: the number of units);
# - `build(input_shape)` creates the weights with `self.add_weight(...)` the first time the layer
#   sees data, so the input size does not have to be known in advance;
# - `call(inputs)` does the computation.
#
# **Exercise 2.** Complete `OurDenseLayer`, a dense layer with a sigmoid activation:
# `build` adds a kernel `W` of shape `(input features, n_output_nodes)` and a bias `b` with
# one entry per unit; `call` returns sigmoid(x W + b).

# %% answer="q2"
class OurDenseLayer(keras.layers.Layer):
    def __init__(self, n_output_nodes):
        super().__init__()
        self.n_output_nodes = n_output_nodes

    def build(self, input_shape):
        d = int(input_shape[-1])
        ### BEGIN SOLUTION
        self.W = self.add_weight(shape=(d, self.n_output_nodes), initializer="glorot_uniform", name="W")
        self.b = self.add_weight(shape=(self.n_output_nodes,), initializer="zeros", name="b")
        ### END SOLUTION

    def call(self, x):
        ### BEGIN SOLUTION
        return tf.sigmoid(tf.matmul(x, self.W) + self.b)
        ### END SOLUTION


# %% [markdown]
# The check builds your layer with different numbers of units and input sizes, puts known random
# values into `W` and `b` (it tells them apart by their shapes) and compares the output with
# sigmoid(x W + b) computed from those values.

# %%
lab.q2.check(OurDenseLayer)

# %%
ours = OurDenseLayer(3)
out = ours(tf.constant([[1.0, 2.0]]))
if labtools.needs(out, exercise="Exercise 2"):
    print("output for x = [[1, 2]]:", out.numpy().round(3), "| weights:", [tuple(w.shape) for w in ours.weights])

# %% [markdown]
# ## 3. Stacking layers: `keras.Sequential`
#
# When data flows straight through one layer after another, `keras.Sequential` stacks them.
# You can pass a list, or start empty and `.add` layers one by one; both give the same model.

# %%
listed = keras.Sequential([keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
added = keras.Sequential()
added.add(keras.layers.Dense(8, activation="relu"))
added.add(keras.layers.Dense(1))
print([type(l).__name__ for l in listed.layers], [type(l).__name__ for l in added.layers])

# %% [markdown]
# **Exercise 3.** Build `model`, a `Sequential` classifier: a `Dense` layer of 64 relu units, then
# a `Dense` layer of 10 units with a softmax (one probability per class).

# %% answer="q3"
model = keras.Sequential([keras.layers.Dense(64, activation="relu"), keras.layers.Dense(10, activation="softmax")])  # SOLUTION

# %%
lab.q3.check(model)

# %% [markdown]
# ## 4. Automatic shape inference
#
# Notice that no layer above was told how many inputs it receives. Keras waits for the first
# input: only then does it know the kernel shapes and create the weights. Until then the model
# has no weights at all. You can trigger it with real data, with `model.build(shape)`, or by
# starting the model with `keras.Input(shape=...)`.

# %%
probe = keras.Sequential([keras.layers.Dense(16, activation="relu"), keras.layers.Dense(3)])
print("weights before the first call:", len(probe.weights))
probe.build((None, 5))  # None: any batch size
print("weights after build((None, 5)):", [tuple(w.shape) for w in probe.weights])
probe.summary()

# %% [markdown]
# Where the `Param #` column comes from: a dense layer with `d` inputs and `u` units holds a
# kernel of shape `(d, u)` and one bias per unit, so it has `d × u + u = (d + 1) × u` parameters.
# Above, the first layer sees 5 inputs: 5 × 16 + 16 = 96; the second sees the first layer's 16
# outputs: 16 × 3 + 3 = 51; the model has 96 + 51 = 147. A layer's input size is the previous
# layer's number of units. An activation adds no parameters.

# %%
print("by the formula:", (5 + 1) * 16 + (16 + 1) * 3, "| Keras:", probe.count_params())

# %% [markdown]
# **Exercise 4.** A `Sequential` model with `Dense(64)` then `Dense(10)` reads images of
# 28 × 28 = 784 pixels. Work out how many trainable parameters (weights and biases) it has and
# store the number, a whole number (`int`), in `n_params`. Check yourself with `count_params()`
# afterwards.

# %% answer="q4"
n_params = 784 * 64 + 64 + 64 * 10 + 10  # SOLUTION

# %%
lab.q4.check(n_params)

# %% [markdown]
# ## 5. No magic: a dense stack by hand
#
# A `Dense` layer is one matrix product, one addition and one activation. Writing it with raw
# TensorFlow operations shows there is nothing else going on.
#
# **Exercise 5.** Write `naive_dense(x, W, b)` that returns relu(x W + b) using TensorFlow operations.

# %% answer="q5"
def naive_dense(x, W, b):
    return tf.nn.relu(tf.matmul(x, W) + b)  # SOLUTION


# %%
lab.q5.check(naive_dense)

# %% [markdown]
# Now compare a two-layer Keras stack with the same arithmetic done by hand, using the Keras
# layers' own weights. The two outputs agree to floating-point precision.

# %%
if labtools.needs(naive_dense, exercise="Exercise 5"):
    stack = keras.Sequential([keras.layers.Dense(6, activation="relu"), keras.layers.Dense(4, activation="relu")])
    inputs = tf.random.normal([5, 3])
    keras_out = stack(inputs)
    hidden = naive_dense(inputs, stack.layers[0].kernel, stack.layers[0].bias)
    by_hand = naive_dense(hidden, stack.layers[1].kernel, stack.layers[1].bias)
    print("largest difference between Keras and by hand:", float(tf.reduce_max(tf.abs(keras_out - by_hand))))

# %% [markdown]
# ## 6. Without activations, depth adds nothing
#
# Stack two `Dense` layers with no activation. The second computes
# (x W1 + b1) W2 + b2 = x (W1 W2) + (b1 W2 + b2): one `Dense` layer with the kernel W1 W2 and the
# bias b1 W2 + b2. However many linear layers you stack, the result is a single linear layer, so
# the activations between layers are what let a deep network learn more than a linear map.
#
# **Exercise 6.** Write `collapse(first, second)`: `first` and `second` are built `Dense` layers
# without activation (`first` maps d features to h, `second` h to k). Return `(W, b)`, the kernel
# (shape `(d, k)`) and bias (shape `(k,)`) of the single `Dense` layer that computes
# `second(first(x))`. The layers' `kernel` and `bias` hold their weights.

# %% answer="q6"
def collapse(first, second):
    ### BEGIN SOLUTION
    W = first.kernel @ second.kernel
    b = tf.linalg.matvec(second.kernel, first.bias, transpose_a=True) + second.bias
    return W, b
    ### END SOLUTION


# %%
lab.q6.check(collapse)

# %% [markdown]
# Check it with real layers: one `Dense` layer with your `W` and `b` gives the two-layer
# output, and with a relu between the two layers, no single layer does.

# %%
if labtools.needs(collapse, exercise="Exercise 6"):
    first, second = keras.layers.Dense(5), keras.layers.Dense(2)
    x = tf.random.normal([4, 3])
    two_layers = second(first(x))
    W, b = collapse(first, second)
    one_layer = keras.layers.Dense(2)
    one_layer.build((None, 3))
    one_layer.set_weights([np.asarray(W), np.asarray(b)])
    print("largest difference, two linear layers vs one:", float(tf.reduce_max(tf.abs(two_layers - one_layer(x)))))
    with_relu = second(tf.nn.relu(first(x)))
    print("with a relu in between, the difference is     ", float(tf.reduce_max(tf.abs(with_relu - one_layer(x)))))

# %% [markdown]
# Which layer fits which data? `LSTM` and `Conv2D` need a tensor of a given rank (the batch axis
# first) and refuse any other; `Dense` acts on the last axis of any tensor, so on a sequence it
# scores every step (Lab 07 uses that), but its natural input is a table:
#
# | data | tensor shape | layers |
# |---|---|---|
# | vectors of features (a table) | `(batch, features)` | `Dense` |
# | sequences (text, audio, time series) | `(batch, time, features)` | `LSTM`, `GRU`, `Conv1D` |
# | images | `(batch, height, width, channels)` | `Conv2D` (then `Flatten` or pooling before `Dense`) |

# %% [markdown]
# **Exercise 7 (written).** What is `Dense` and what is `Sequential`? Explain with examples. Write
# a few sentences in the Markdown cell below (double-click it to edit), save the notebook, then
# run the check. Your instructor grades this answer (2 points).

# %% [markdown] answer="q7"
# `keras.layers.Dense` is one fully connected layer: it holds a weight matrix `W` and a bias `b`
# and computes `activation(x @ W + b)`, every output connected to every input. `Dense(3,
# activation="relu")` on inputs with 4 features has a `(4, 3)` kernel and 3 biases.
#
# `keras.Sequential` is a model that is a stack of layers, each feeding the next in order:
# `keras.Sequential([Dense(64, activation="relu"), Dense(10, activation="softmax")])` turns the
# inputs into 64 features and then into 10 class probabilities. Dense is a building block;
# Sequential puts blocks in a line.

# %%
lab.q7.check()

# %% [markdown]
# ## Summary
#
# - `Dense(units, activation, use_bias, ...)` computes g(x W + b); the activation is what makes
#   stacks of layers more than one linear map.
# - A custom layer creates its weights in `build` with `add_weight` and computes in `call`.
# - `keras.Sequential` stacks layers (list form or `.add`); weight shapes are inferred from the
#   first input, and a dense layer has inputs × units + units parameters.
# - Keras layers are ordinary tensor arithmetic; you could write them yourself.
# - Two linear layers are one (kernel W1 W2, bias b1 W2 + b2): activations make depth matter.
#   `Dense` reads `(batch, features)`, `LSTM`/`Conv1D` `(batch, time, features)`, `Conv2D` images.

# %%
labtools.progress()
