# %% [markdown]
# # Lab 06 · A first neural network: handwritten digits
# <!-- badges -->
#
# The "hello world" of deep learning: teach a network to read handwritten digits from the MNIST
# data set, 28 × 28 grey-scale images of the digits 0 to 9 collected by the US National Institute
# of Standards and Technology and cleaned up by LeCun, Cortes and Burges.
#
# ## What you'll learn
# - how a classification data set is organised: samples, labels, classes, a training and a test set
# - preprocessing images into the vectors a dense network reads
# - building, compiling (optimiser, loss, metrics) and training a Keras model with `fit`
# - validation data, the `History` object, `evaluate` and `predict`, and what overfitting looks like
# - what `fit` does under the hood: the same training written as a loop with `GradientTape`
#
# Fill in each `# TODO`, then run the check cell below it. `lab.qN.hint()` gives a hint.
# In fast mode (used by CI and the grader) the lab trains on a few thousand images for a couple of
# epochs; with full settings it trains on everything for 5 epochs.

# %% tags=["setup"]
import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
import keras

# %% [markdown]
# ## 1. The data
#
# `labtools.load_mnist()` returns the data the way `keras.datasets.mnist.load_data()` does. With
# internet (or a Keras cache) you get the full set: 60,000 training and 10,000 test images.
# Offline it uses a copy of the first 10,000 training images shipped with `labtools`, split into
# 8,000 for training and 2,000 for testing, and tells you so.
#
# `hold_out=True` keeps 1,000 of those images back: this notebook never loads them, and the check
# of Exercise 4 measures your trained model on them.

# %%
(train_images, train_labels), (test_images, test_labels) = labtools.load_mnist(hold_out=True)
print("training images:", train_images.shape, train_images.dtype, "| labels:", train_labels.shape)
print("test images:    ", test_images.shape, "| classes:", np.unique(train_labels))

# %% [markdown]
# Each **sample** is one image, each **label** the digit it shows, and the ten digits are the
# **classes**. The model learns from the training set; the test set, which it never sees during
# training, tells us how well it does on new images.

# %%
fig, axes = plt.subplots(2, 10, figsize=(10, 2.4))
for ax, image, label in zip(axes.flat, train_images, train_labels):
    ax.imshow(image, cmap="gray_r")
    ax.set_title(int(label))
    ax.axis("off")
plt.tight_layout()
plt.show()
print("images per class in training:", np.bincount(train_labels, minlength=10))

# %% [markdown]
# ## 2. Preprocessing
#
# A dense layer reads vectors, so each 28 × 28 image becomes a row of 784 pixels. The pixels are
# bytes from 0 to 255; networks learn best from small floating-point numbers, so scale them into
# [0, 1].
#
# **Exercise 1.** Write `prepare(images)` that turns uint8 images of shape `(N, 28, 28)` into a
# `float32` array of shape `(N, 784)` with values in [0, 1].

# %% answer="q1"
def prepare(images):
    return images.reshape((len(images), 28 * 28)).astype("float32") / 255  # SOLUTION


# %%
lab.q1.check(prepare)

# %%
n_train = labtools.pick(fast=3000, full=len(train_images))
if labtools.needs(prepare, exercise="Exercise 1"):
    x_train, y_train = prepare(train_images[:n_train]), train_labels[:n_train]
    x_test, y_test = prepare(test_images), test_labels
    print("x_train:", x_train.shape, x_train.dtype, f"values {x_train.min()}..{x_train.max()}")

# %% [markdown]
# ## 3. The network
#
# Two dense layers: 512 units with relu learn features of the pixels; 10 units with softmax turn
# them into ten probabilities that sum to 1, one per digit. **Softmax** takes the ten scores
# z₀ … z₉ (the *logits*) and returns p_i = e^(z_i) / (e^(z₀) + … + e^(z₉)): every p_i is
# positive, they sum to 1, and the largest score gets the largest probability. Adding the same
# number to every score changes nothing; only their differences count.
#
# **Exercise 2.** Build `model`: `Dense(512, relu)` then `Dense(10, softmax)` in a `Sequential`.

# %% answer="q2"
model = keras.Sequential([keras.layers.Dense(512, activation="relu"), keras.layers.Dense(10, activation="softmax")])  # SOLUTION

# %%
lab.q2.check(model)

# %% [markdown]
# ## 4. Compiling: optimiser, loss, metrics
#
# `compile` chooses how the model learns:
#
# - the **optimiser** updates the weights from the gradients (`"rmsprop"`, `"adam"`, `"sgd"`, ...);
# - the **loss** is the number training minimises;
# - **metrics** are what you want to watch (they do not steer training).
#
# Each can be a string, which uses default settings, or an object you configure, e.g.
# `keras.optimizers.RMSprop(learning_rate=1e-4)` or your own loss function.
#
# | task | last layer | loss | typical metric |
# |---|---|---|---|
# | one of N classes, integer labels | softmax(N) | `sparse_categorical_crossentropy` | `accuracy` |
# | one of N classes, one-hot labels | softmax(N) | `categorical_crossentropy` | `accuracy` |
# | yes/no | sigmoid(1) | `binary_crossentropy` | `accuracy`, `AUC` |
# | a number | none (linear) | `mean_squared_error` | `mean_absolute_error` |
#
# **Cross-entropy** scores a probability vector against the true class y: the loss of one image
# is −ln p_y, minus the log of the probability the model gave the right digit. Certain and right
# (p_y = 1) costs 0; p_y = 0.5 costs 0.69; certain and wrong costs without limit (Keras clips p_y
# at 10⁻⁷ first, so its loss stops at −ln 10⁻⁷ ≈ 16.1). An untrained model spreads its bets,
# about 1/10 on each digit, so its loss starts near −ln(1/10) = ln 10 ≈ 2.30:
# a first sanity check of any classifier (a loss far above ln N at the start means a bug).
# "Sparse" means the labels are integers (3) rather than one-hot vectors ([0, 0, 0, 1, 0, …]).
#
# **Exercise 3.** Compile `model` with the RMSprop optimiser, the cross-entropy that fits integer
# labels and the accuracy metric.

# %% answer="q3"
### BEGIN SOLUTION
model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
### END SOLUTION

# %%
lab.q3.check(model)

# %% [markdown]
# Before any training, the loss should be close to ln 10:

# %%
if labtools.needs(prepare, getattr(model, "optimizer", None), exercise="Exercises 1 to 3"):
    untrained_loss = model.evaluate(x_train[:1000], y_train[:1000], verbose=0)[0]
    print(f"untrained loss {untrained_loss:.3f} | ln 10 = {np.log(10):.3f}")

# %% [markdown]
# The same settings as objects: this form lets you change the learning rate or write your own loss.

# %%
def my_loss(y_true, y_pred):
    return keras.losses.sparse_categorical_crossentropy(y_true, y_pred)


spelled_out = keras.Sequential([keras.layers.Dense(512, activation="relu"), keras.layers.Dense(10, activation="softmax")])
spelled_out.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3), loss=my_loss,
                    metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
print(type(spelled_out.optimizer).__name__, spelled_out.optimizer.learning_rate.numpy())

# %% [markdown]
# ## 5. Training with `fit`
#
# `fit` walks through the training data in mini-batches for a number of **epochs** (passes over
# the data). To see how the model does on data it does not learn from, hold out a shuffled 30% of
# the training images as **validation data**: `fit_idx` indexes the part to train on, `val_idx`
# the part to validate on. `fit` returns a `History` with the metrics of every epoch.

# %%
epochs = labtools.pick(fast=3, full=5)
order = np.random.default_rng(0).permutation(n_train)
n_val = int(0.3 * n_train)
val_idx, fit_idx = order[:n_val], order[n_val:]
print(f"{len(fit_idx)} images to train on, {len(val_idx)} to validate on, {epochs} epochs")

# %% [markdown]
# **Exercise 4.** Train `model` with `model.fit` on the training part (`x_train[fit_idx]` and
# `y_train[fit_idx]`) for `epochs` epochs in mini-batches of 128, passing the validation part as
# `validation_data=(x_train[val_idx], y_train[val_idx])`, and keep what `fit` returns in `history`.
# Add `verbose=0, callbacks=[labtools.TrainingProgress()]` for one compact progress bar instead of
# Keras' line per epoch.

# %% answer="q4"
history = model.fit(x_train[fit_idx], y_train[fit_idx], epochs=epochs, batch_size=128, validation_data=(x_train[val_idx], y_train[val_idx]), verbose=0, callbacks=[labtools.TrainingProgress()])  # SOLUTION

# %% [markdown]
# The check judges this training: what `history` recorded (the epochs, the steps per epoch, the
# validation results of every epoch, which the trained weights must reproduce on the validation
# part) and the accuracy of `model` on the 1,000 held-out images this notebook never loaded (so
# neither training nor tuning could have seen them). It needs 75% in fast mode, 85% on the
# offline subset with full settings and 92% on the full data set. No cell below trains `model`
# again, so the check judges your `fit` whenever you run it.

# %%
lab.q4.check(model, history)

# %%
if labtools.needs(prepare, getattr(model, "optimizer", None), history, exercise="Exercises 1 to 4"):
    labtools.plot_history(history)  # plots what the history has, and says in one line what it lacks
    plt.show()
    val_accuracy = getattr(history, "history", {}).get("val_accuracy")
    if val_accuracy:
        print("validation accuracy by epoch:", ", ".join(f"{v:.3f}" for v in val_accuracy))

# %% [markdown]
# Read the validation curve: if it was still rising at the last epoch, more training helps; once
# it flattens or falls while training accuracy keeps rising, more epochs only memorise. Once the
# settings are chosen, a model is often trained a little more on *all* the training images. Here
# a copy of your model does that, with smaller batches (more, noisier updates per epoch), and
# `evaluate` measures both on the test set, which neither has seen.

# %%
more_epochs = labtools.pick(fast=1, full=5)
if labtools.needs(prepare, getattr(model, "optimizer", None), history, exercise="Exercises 1 to 4"):
    final_model = keras.models.clone_model(model)
    final_model.set_weights(model.get_weights())
    final_model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    final_model.fit(x_train, y_train, epochs=more_epochs, batch_size=32, verbose=0,
                    callbacks=[labtools.TrainingProgress("all training images")])
    _, test_acc = model.evaluate(x_test, y_test, verbose=0)
    _, final_acc = final_model.evaluate(x_test, y_test, verbose=0)
    print(f"test accuracy: {test_acc:.4f} after Exercise 4, {final_acc:.4f} after more training on all images")

# %% [markdown]
# ## 6. Predictions
#
# `model.predict(x)` runs the model batch by batch and returns NumPy arrays; it suits big inputs.
# Calling `model(x)` returns a tensor in one go; it suits small batches and code inside a
# `GradientTape`. Both give the same probabilities.

# %%
if labtools.needs(prepare, getattr(model, "optimizer", None), history, exercise="Exercises 1 to 4"):
    probabilities = model.predict(x_test[:3], verbose=0)
    print("predict:", probabilities.argmax(axis=1), "| call:", model(x_test[:3]).numpy().argmax(axis=1),
          "| truth:", y_test[:3])
    print("probabilities of the first image:", probabilities[0].round(3))

# %% [markdown]
# ## 7. Overfitting
#
# A model with many weights can memorise a small training set: training accuracy keeps rising
# while validation accuracy stalls. Train a fresh copy on only 500 images for many epochs and
# watch the gap open. It is measured on the validation split of section 5, not on the test set:
# the test set is for the final measurement only, once every choice (epochs, size, rate) is made.
# Choosing by test accuracy would tune the model to the test set, and its score would no longer
# say how the model does on new images.

# %%
many_epochs = labtools.pick(fast=15, full=40)
if labtools.needs(prepare, getattr(model, "optimizer", None), exercise="Exercises 1 to 3"):
    small = keras.models.clone_model(model)
    small.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    few = fit_idx[:500]  # from the training part of section 5's split, never its validation part
    overfit = small.fit(x_train[few], y_train[few], epochs=many_epochs, batch_size=64,
                        validation_data=(x_train[val_idx], y_train[val_idx]), verbose=0,
                        callbacks=[labtools.TrainingProgress("500 images")])
    labtools.plot_history(overfit, metrics=("accuracy",), labels=("training", "validation"))
    plt.title("accuracy on 500 training images")
    plt.show()

# %% [markdown]
# ## 8. What `fit` does: a training loop by hand
#
# For every mini-batch, `fit` runs the model under a gradient tape, computes the loss, takes the
# gradients of the loss with respect to the trainable weights and lets the optimiser apply them.
# Three names you need for that:
#
# - `model.trainable_weights`: the list of variables training may change (kernels and biases;
#   not, say, a batch-norm layer's running averages);
# - `model(x, training=True)`: runs the model in training mode; layers such as `Dropout` and
#   `BatchNormalization` behave differently while training, so a training step passes it;
# - `optimizer.apply_gradients(zip(grads, model.trainable_weights))`: one update, each gradient
#   paired with its variable.
#
# **Exercise 5.** Write `train_step(model, optimizer, x, y)`: one such step for a model with a
# softmax output and integer labels. Return the mean loss of the batch (computed before the update).

# %% answer="q5"
def train_step(model, optimizer, x, y):
    ### BEGIN SOLUTION
    with tf.GradientTape() as tape:
        predictions = model(x, training=True)
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, predictions))
    grads = tape.gradient(loss, model.trainable_weights)
    optimizer.apply_gradients(zip(grads, model.trainable_weights))
    return loss
    ### END SOLUTION


# %%
lab.q5.check(train_step)

# %% [markdown]
# The loop trains a fresh model for one epoch with your step, compiled with `tf.function`.

# %%
from tqdm.auto import tqdm

loop_model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(512, activation="relu"),
                               keras.layers.Dense(10, activation="softmax")])
optimizer = keras.optimizers.RMSprop(learning_rate=1e-3)
optimizer.build(loop_model.trainable_weights)  # its variables exist before the compiled step runs
step = tf.function(lambda x, y: train_step(loop_model, optimizer, x, y))
if labtools.needs(prepare, train_step, exercise="Exercises 1 and 5"):
    batches = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(len(x_train), seed=0).batch(128)
    losses = []
    for x_batch, y_batch in (bar := tqdm(batches, desc="hand-written loop")):
        losses.append(float(step(x_batch, y_batch)))
        bar.set_postfix(loss=f"{losses[-1]:.3f}", refresh=False)
    accuracy = np.mean(loop_model.predict(x_test, verbose=0).argmax(axis=1) == y_test)
    print(f"after one epoch by hand: test accuracy {accuracy:.4f}")
    plt.figure(figsize=(5, 2.5))
    plt.plot(losses)
    plt.xlabel("batch")
    plt.ylabel("loss")
    plt.tight_layout()
    plt.show()

# %% [markdown]
# ## 9. Explore the predictions
#
# Step through test images and see what the model thinks. Tick *mistakes only* to study the
# images it gets wrong; many are hard for people too.

# %%
from IPython.display import display


def show_digit(i, where=""):
    """Test image i beside the probabilities the model gives each digit for it."""
    print(f"test image #{i}{where}")
    fig, (left, right) = plt.subplots(1, 2, figsize=(6, 2.4), gridspec_kw={"width_ratios": [1, 2]})
    left.imshow(test_images[i], cmap="gray_r")
    left.axis("off")
    left.set_title(f"#{i}: label {y_test[i]}")
    colours = ["tab:green" if d == y_test[i] else "tab:grey" for d in range(10)]
    right.bar(range(10), predicted[i], color=colours)
    right.set_xticks(range(10))
    right.set_ylim(0, 1)
    right.set_title(f"predicted {predicted[i].argmax()}")
    plt.tight_layout()
    plt.show()


def redraw(change=None):
    """Draw the image the slider points at (among all test images, or among the mistakes) into the
    explorer's own output, `view`, so that the plot cannot land anywhere else."""
    if mistakes_only.value:
        i, where = int(mistakes[index.value]), f", mistake #{index.value} among {len(mistakes)}"
    else:
        i, where = index.value, ""
    with view:
        view.clear_output(wait=True)
        show_digit(i, where)


def fit_slider(change):
    """Ticking *mistakes only* makes the slider cover the mistakes, from the first one at or after
    the image shown; unticking makes it cover all test images again, at the image shown."""
    before = index.value
    if change["new"]:  # the slider pointed at a test image
        index.value = min(int(np.searchsorted(mistakes, before)), len(mistakes) - 1)
        index.max = len(mistakes) - 1
    else:  # the slider pointed at a mistake
        index.max = len(y_test) - 1
        index.value = int(mistakes[before])
    if index.value == before:  # a slider that moves redraws; one that stays must redraw too
        redraw()


if labtools.needs(prepare, getattr(model, "optimizer", None), history, exercise="Exercises 1 to 4"):
    predicted = model.predict(x_test, verbose=0)
    mistakes = np.flatnonzero(predicted.argmax(axis=1) != y_test)
    print(f"{len(mistakes)} mistakes among {len(y_test)} test images")
    index = widgets.IntSlider(0, 0, len(y_test) - 1, description="image",
                              layout=widgets.Layout(width="560px"))
    mistakes_only = widgets.Checkbox(False, description="mistakes only", disabled=not len(mistakes))
    view = widgets.Output()
    index.observe(redraw, "value")
    mistakes_only.observe(fit_slider, "value")
    display(widgets.VBox([index, mistakes_only, view]))
    redraw()

# %% [markdown]
# **Exercise 6 (written).** What is overfitting, and how does the validation split show it? What
# would you do when you see it? Write a few sentences in the Markdown cell below (double-click it
# to edit), save the notebook, then run the check. Your instructor grades this answer (2 points).

# %% [markdown] answer="q6"
# Overfitting is when the model learns the training images themselves, noise and all, instead of
# what makes a digit: the training loss keeps falling while the loss on images it has not seen
# stops falling and rises.
#
# The validation split holds back part of the training data that the model never trains on; `fit`
# measures it after every epoch, so the gap between training and validation loss shows overfitting
# as it starts. Then stop at the epoch with the best validation loss (early stopping), or use a
# smaller model, regularisation or more data.

# %%
lab.q6.check()

# %% [markdown]
# ## Summary
#
# - A classification data set has samples, labels and classes, split into training and test sets.
# - Dense networks read vectors: reshape images to rows and scale pixels into [0, 1].
# - `compile` picks the optimiser, the loss (sparse categorical cross-entropy for integer labels)
#   and the metrics; `fit` trains in mini-batches over epochs and returns a `History`.
# - Validation data reveal overfitting: training accuracy keeps rising while validation accuracy
#   stalls. The test set is kept for the final measurement.
# - Softmax turns scores into probabilities; cross-entropy −ln p_y starts near ln 10 for 10 classes.
# - `fit` is a loop of tape, loss, gradients and optimiser steps, which you can write yourself.

# %%
labtools.progress()
