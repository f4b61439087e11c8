# %% [markdown]
# # Lab 04 · Models by subclassing
# <!-- badges -->
#
# `keras.Sequential` covers a straight stack of layers. For anything else Keras offers two more
# ways to define a model: **subclassing** `keras.Model`, where you write the forward pass in
# Python, and the **functional API**, where you wire layers into a graph. This lab builds the
# same small model all three ways and shows when each one is the right tool.
#
# ## What you'll learn
# - how to subclass `keras.Model`: layers in `__init__`, the forward pass in `call`
# - how an extra argument to `call` changes what a model does (the identity model)
# - how to build the same model with the functional API (`keras.Input`, `keras.Model(inputs, outputs)`)
# - how to choose between Sequential, functional and subclassing
#
# Fill in each `# TODO`, then run the check cell below it. `lab.qN.hint()` gives a hint.

# %% tags=["setup"]
import numpy as np
import tensorflow as tf
import keras

# %% [markdown]
# ## 1. Subclassing `keras.Model`
#
# A subclassed model looks like a custom layer: create the layers it uses in `__init__` and
# store them as attributes (Keras tracks their weights for you), then describe the forward pass
# in `call(inputs)`. A model adds training (`compile`, `fit`), evaluation and saving on top.
#
# **Exercise 1.** Complete `SubclassModel`: in `__init__` create a `Dense` layer with
# `n_output_nodes` units and a sigmoid activation; in `call` apply it to the inputs.

# %% answer="q1"
class SubclassModel(keras.Model):
    def __init__(self, n_output_nodes):
        super().__init__()
        self.dense_layer = keras.layers.Dense(n_output_nodes, activation="sigmoid")  # SOLUTION

    def call(self, inputs):
        return self.dense_layer(inputs)  # SOLUTION


# %% [markdown]
# The check builds `SubclassModel` with different numbers of units and input sizes, puts known
# random values into the Dense layer's kernel and bias and compares the model's output with
# sigmoid(x W + b) computed from those values.

# %%
lab.q1.check(SubclassModel)

# %%
if labtools.needs(SubclassModel.call, exercise="Exercise 1"):
    sub = SubclassModel(3)
    out = sub(tf.constant([[4.0, 3.0]]))
    print("SubclassModel(3) on [[4, 3]]:", out.numpy().round(3))

# %% [markdown]
# ## 2. Custom behaviour through `call`
#
# Because `call` is ordinary Python, it can take extra arguments and branch on them. Keras itself
# does this with `training=`, which switches dropout and batch normalisation between training and
# inference. Here is a toy version: a model that can be told to pass its inputs straight through.
#
# **Exercise 2.** Complete `IdentityModel`. `call(inputs, isidentity=False)` returns the inputs
# unchanged when `isidentity` is true, and the Dense layer's output otherwise.

# %% answer="q2"
class IdentityModel(keras.Model):
    def __init__(self, n_output_nodes):
        super().__init__()
        self.dense_layer = keras.layers.Dense(n_output_nodes, activation="sigmoid")

    def call(self, inputs, isidentity=False):
        ### BEGIN SOLUTION
        if isidentity:
            return inputs
        return self.dense_layer(inputs)
        ### END SOLUTION


# %%
lab.q2.check(IdentityModel)

# %%
if labtools.needs(IdentityModel.call, exercise="Exercise 2"):
    identity = IdentityModel(3)
    x_input = tf.constant([[1.0, 2.0, 3.0]])
    out_dense = identity(x_input)
    print("isidentity=False:", out_dense.numpy().round(3))
    print("isidentity=True: ", identity(x_input, isidentity=True).numpy())

# %% [markdown]
# ## 3. The functional API
#
# The functional API describes a model as a graph: start from a symbolic `keras.Input`, call
# layers on it like functions, and wrap the start and end points in `keras.Model`. Keras then
# knows every connection in advance, so it can check shapes as you build, draw the graph and
# print a full summary, and layers can be shared or have several inputs and outputs.
#
# **Exercise 3.** Build `functional_model`, the same model as `SubclassModel(3)`: an input of
# 2 features, a Dense layer of 3 sigmoid units.

# %% answer="q3"
inputs = keras.Input(shape=(2,))
outputs = keras.layers.Dense(3, activation="sigmoid")(inputs)  # SOLUTION
functional_model = keras.Model(inputs=inputs, outputs=outputs)  # SOLUTION

# %%
lab.q3.check(functional_model)

# %% [markdown]
# A functional model can describe itself. A subclassed model has its layers as soon as
# `__init__` has run, but their weights and shapes come only with the first call, and its wiring
# never shows, because that lives in Python code in `call`.

# %%
if labtools.needs(functional_model, exercise="Exercise 3"):
    functional_model.summary()

# %% [markdown]
# A graph with two inputs, which `Sequential` cannot express, is just as short:

# %%
image = keras.Input(shape=(64,), name="image_features")
caption = keras.Input(shape=(16,), name="caption_features")
merged = keras.layers.Concatenate()([keras.layers.Dense(8, activation="relu")(image), caption])
two_inputs = keras.Model([image, caption], keras.layers.Dense(1, activation="sigmoid")(merged))
print("inputs:", [tuple(t.shape) for t in two_inputs.inputs], "-> output:", tuple(two_inputs.output.shape))

# %% [markdown]
# ## 4. Which one when?
#
# | | Sequential | Functional | Subclassing |
# |---|---|---|---|
# | shape | one straight path | any graph of layers fixed in advance | anything Python can express |
# | checks and summary before running | yes | yes | only after the first call |
# | several inputs/outputs, shared layers | no | yes | yes |
# | data-dependent control flow in the forward pass | no | no | yes |
# | easy to save, plot and inspect | yes | yes | weights yes, graph no |
#
# A good default: the simplest API that can express the model.
#
# **Exercise 4.** For each case, write `"sequential"`, `"functional"` or `"subclassing"`:
#
# - `stack`: a plain stack of layers with one input and one output
# - `two_inputs`: an image and its caption merged into one prediction
# - `data_loop`: a forward pass with a Python loop whose number of steps depends on the data
# - `plot_graph`: a multi-branch network whose layer graph you want to plot and inspect

# %% answer="q4"
api_choice = {}
api_choice["stack"] = "sequential"  # SOLUTION
api_choice["two_inputs"] = "functional"  # SOLUTION
api_choice["data_loop"] = "subclassing"  # SOLUTION
api_choice["plot_graph"] = "functional"  # SOLUTION

# %%
lab.q4.check(api_choice)

# %% [markdown]
# **Exercise 5 (written).** What is a subclass in TensorFlow and how do you specify custom
# behaviour with it? Write a few sentences in the Markdown cell below (double-click it to edit),
# save the notebook, then run the check. Your instructor grades this answer (2 points).

# %% [markdown] answer="q5"
# A subclass is your own class derived from `keras.Model` (or `keras.layers.Layer`): it inherits
# training, saving and weight tracking, and you write two methods. `__init__` creates the layers
# and stores them on `self` (so their weights are tracked); `call(self, inputs)` says what the
# model computes with them.
#
# Custom behaviour is plain Python in `call`: for example an extra argument, `call(self, inputs,
# isidentity=False)`, that returns the inputs unchanged when it is true and the Dense layer's
# output otherwise, like Keras' own `training=` argument in Dropout.

# %%
lab.q5.check()

# %% [markdown]
# ## Summary
#
# - Subclass `keras.Model` to write the forward pass in Python: layers in `__init__`, computation
#   in `call`; extra `call` arguments (like Keras' own `training=`) switch behaviour.
# - The functional API wires layers into an explicit graph from `keras.Input` to outputs, which
#   Keras can check, summarise and draw.
# - Use the simplest API that expresses your model.

# %%
labtools.progress()
