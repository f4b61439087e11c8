# %% [markdown]
# # Lab 07 · Music generation with an LSTM
# <!-- badges -->
#
# A recurrent neural network reads a sequence one step at a time and carries a memory (its
# **state**) from step to step. Trained to predict the next character of text, it learns the
# structure of whatever it reads. Here it reads 804 Irish folk tunes written in ABC notation,
# and then writes new ones, which you can listen to right in the notebook.
#
# ## What you'll learn
# - ABC notation, and turning text into numbers (a vocabulary, `char2idx`, `idx2char`)
# - cutting a long sequence into training batches whose targets are shifted by one step
# - an Embedding → LSTM → Dense model with today's Keras, and its loss on logits
# - writing the training step yourself (`GradientTape`, gradients, Adam), then a custom loop that
#   compiles it with `tf.function`, with a live loss plot and checkpoints
# - writing the generation loop yourself: priming, temperature, sampling, carrying the LSTM state
# - why a compiled sampling loop is much faster
#
# Fill in each `# TODO`, then run the check cell below it. `lab.qN.hint()` gives a hint.
# The training recipe is chosen for a laptop CPU (section 6 says why): full settings train about
# 4-5 minutes on 2 CPU cores (a GPU needs well under a minute); fast mode (CI, Binder, the grader)
# about 30-40 s.

# %% tags=["setup"]
import time
from pathlib import Path

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
import keras
from IPython.display import display
from tqdm.auto import tqdm

# %% [markdown]
# ## 1. The data: Irish folk tunes in ABC notation
#
# ABC notation writes a tune as text. Header lines give its number `X:`, title `T:`, metre `M:`,
# default note length `L:` and key `K:`; the body spells the notes: letters are pitches
# (lower case an octave higher), numbers stretch a note, `|` is a bar line and `:|` a repeat.

# %%
songs = labtools.load_training_data()
print(f"{len(songs)} tunes. The first one:\n")
print(songs[0])

# %% [markdown]
# `labtools` reads ABC and synthesises the sound in Python, so no external program is needed:

# %%
labtools.play_song(songs[0])

# %% [markdown]
# What the parser sees: the tune's notes as pitches over time (repeats played out).

# %%
from labtools import music

tune = music.parse_tune(songs[0])
starts = np.cumsum([0] + [float(n.length) for n in tune.notes[:-1]]) * 2  # seconds at 120 bpm
plt.figure(figsize=(9, 2.2))
for start, note in zip(starts, tune.notes):
    for pitch in note.pitches:
        plt.plot([start, start + float(note.length) * 2], [pitch, pitch], lw=3, color="tab:blue")
plt.xlabel("seconds")
plt.ylabel("MIDI pitch")
plt.title(f"{tune.title}: {len(tune.notes)} notes, {tune.seconds():.0f} s")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 2. From characters to numbers
#
# The network reads numbers, so give every character of the corpus an index. The sorted set of
# distinct characters is the **vocabulary**; `char2idx` maps a character to its index and
# `idx2char` maps back.

# %%
songs_joined = "\n\n".join(songs)
vocab = sorted(set(songs_joined))
char2idx = {c: i for i, c in enumerate(vocab)}
idx2char = np.array(vocab)
print(f"{len(vocab)} distinct characters; e.g. {repr(vocab[30])} -> {char2idx[vocab[30]]}")

# %% [markdown]
# **Exercise 1.** Write `vectorize_string(string)` that returns a NumPy array with the index (an
# integer) of every character of `string`.

# %% answer="q1"
def vectorize_string(string):
    return np.array([char2idx[c] for c in string])  # SOLUTION


# %%
lab.q1.check(vectorize_string)

# %%
if labtools.needs(vectorize_string, exercise="Exercise 1"):
    vectorized_songs = vectorize_string(songs_joined)
    print(repr(songs_joined[:10]), "->", vectorized_songs[:10])

# %% [markdown]
# ## 3. Training batches
#
# The model learns to predict the next character at every position of a window of text. Take a
# window of `seq_length + 1` characters: its first `seq_length` characters are the input and its
# last `seq_length` the target. For "Hello": input "Hell", target "ello".
#
# **Exercise 2.** Write `get_batch(vectorized, seq_length, batch_size)`: pick `batch_size` random
# windows, each at its own random start, and return `(x_batch, y_batch)`, two NumPy arrays of shape
# `(batch_size, seq_length)` with `y_batch` one step ahead of `x_batch`. Every window that fits in
# the text should be possible, the first and the last one included.

# %% answer="q2"
def get_batch(vectorized, seq_length, batch_size):
    ### BEGIN SOLUTION
    starts = np.random.choice(len(vectorized) - seq_length, batch_size)
    x_batch = np.array([vectorized[i:i + seq_length] for i in starts])
    y_batch = np.array([vectorized[i + 1:i + seq_length + 1] for i in starts])
    return x_batch, y_batch
    ### END SOLUTION


# %%
lab.q2.check(get_batch)

# %% [markdown]
# The MIT course's own tests run unchanged on `labtools`:

# %%
if labtools.needs(vectorize_string, get_batch, exercise="Exercises 1 and 2"):
    args = (vectorized_songs, 10, 2)
    labtools.test_batch_func_types(get_batch, args)
    labtools.test_batch_func_shapes(get_batch, args)
    labtools.test_batch_func_next_step(get_batch, args)
    x_batch, y_batch = get_batch(vectorized_songs, 5, 1)
    for t, (i, j) in enumerate(zip(x_batch[0], y_batch[0])):
        print(f"step {t}: input {str(idx2char[i])!r} -> predict {str(idx2char[j])!r}")

# %% [markdown]
# ## 4. The model
#
# Three layers:
#
# - `Embedding(vocab_size, embedding_dim)` turns each character index into a learned vector;
# - `LSTM(rnn_units, return_sequences=True)` reads the vectors in order, carrying its state, and
#   outputs a vector at every step (not only the last);
# - `Dense(vocab_size)` scores every character as the next one. These raw scores are **logits**;
#   the loss applies the softmax itself.
#
# The model does not fix the batch size or the sequence length, so the same weights serve
# training (batches of 64) and generation (one sequence).
#
# **Exercise 3.** Write `build_model(vocab_size, embedding_dim, rnn_units)` returning that model.

# %% answer="q3"
def build_model(vocab_size, embedding_dim, rnn_units):
    ### BEGIN SOLUTION
    return keras.Sequential([
        keras.layers.Embedding(vocab_size, embedding_dim),
        keras.layers.LSTM(rnn_units, return_sequences=True),
        keras.layers.Dense(vocab_size),
    ])
    ### END SOLUTION


# %%
lab.q3.check(build_model)

# %%
settings = dict(
    embedding_dim=64,
    rnn_units=256,
    batch_size=64,
    seq_length=100,
    steps=labtools.pick(fast=120, full=1000),
    learning_rate=1e-2,
)
# MIT's recipe, for a GPU: embedding_dim=256, rnn_units=1024, batch_size=8, steps=3000, learning_rate=5e-3
print(settings)
if labtools.needs(vectorize_string, get_batch, build_model, exercise="Exercises 1 to 3"):
    model = build_model(len(vocab), settings["embedding_dim"], settings["rnn_units"])
    x_batch, y_batch = get_batch(vectorized_songs, settings["seq_length"], settings["batch_size"])
    predictions = model(x_batch)
    print("input", x_batch.shape, "-> predictions", tuple(predictions.shape), "(batch, steps, vocabulary)")
    model.summary()

# %% [markdown]
# Untrained, the model's guesses are noise:

# %%
if labtools.needs(vectorize_string, get_batch, build_model, exercise="Exercises 1 to 3"):
    guess = tf.random.categorical(predictions[0], num_samples=1)[:, 0].numpy()
    print("input:     ", repr("".join(idx2char[x_batch[0]][:60])))
    print("next chars:", repr("".join(idx2char[guess][:60])))

# %% [markdown]
# ## 5. The loss
#
# At every step the model scores each character of the vocabulary as the next one. Those scores
# come straight out of the last Dense layer, which has no activation: they are **logits**, raw
# numbers of any size and sign. The softmax would turn one step's logits $z$ into probabilities
# that add up to 1, $p_i = e^{z_i} / \sum_j e^{z_j}$.
#
# The loss of one step is the **cross-entropy**: $-\ln p_{\text{true}}$, minus the log of the
# probability the model gave to the character that really came next. A sure, right guess costs
# 0; a confident wrong one costs a lot. An untrained model spreads its bets evenly over 83
# characters, so its loss starts near ln 83 ≈ 4.42.
#
# Two things decide which of Keras' cross-entropies fits:
#
# - the labels are integer indices (`y_batch[b, t]` is the index of the next character), not
#   one-hot vectors; Keras has a cross-entropy for each kind of label;
# - its losses expect probabilities unless told that their input is logits. Told so, a loss
#   applies the softmax itself, in a form that stays accurate where computing $e^{z}$ first
#   would overflow or round to 0. Read the loss's arguments in its documentation.
#
# **Exercise 4.** Write `compute_loss(labels, logits)`: `labels` of shape (batch, steps), `logits`
# of shape (batch, steps, vocabulary). It may return the loss of every step (one value per
# label) or their mean; the training step (Exercise 5) takes the mean either way.

# %% answer="q4"
def compute_loss(labels, logits):
    return keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)  # SOLUTION


# %%
lab.q4.check(compute_loss)

# %%
if labtools.needs(vectorize_string, get_batch, build_model, compute_loss, exercise="Exercises 1 to 4"):
    untrained_loss = float(tf.reduce_mean(compute_loss(y_batch, predictions)))
    print(f"untrained loss: {untrained_loss:.3f}  (ln {len(vocab)} = {np.log(len(vocab)):.3f})")

# %% [markdown]
# ## 6. Training
#
# Training repeats one **training step** thousands of times: take a batch, measure the loss, move
# every weight a little downhill. A step has these parts:
#
# - `with tf.GradientTape() as tape:` records the operations run inside the block, so that
#   TensorFlow can afterwards work out the gradient of their result with respect to every
#   variable they used. Run the model and compute the loss inside it.
# - `model(x, training=True)` runs the model on a batch of shape (batch, steps) and gives logits
#   of shape (batch, steps, vocabulary). `training=True` tells layers that behave differently
#   while training (dropout, for one) to do so; this model has none, but a training step says it
#   all the same.
# - `compute_loss(y, logits)`, your Exercise 4, gives the loss of every step (or their mean). The
#   step needs one number: the mean (`tf.reduce_mean`), whose gradient does not grow with the
#   batch size or the sequence length the way a sum's would.
# - `model.trainable_variables` lists the weights training should change: the embedding table,
#   the LSTM's kernels and bias, the Dense kernel and bias. `tape.gradient(loss, variables)`
#   returns one gradient per variable, in the same order.
# - `optimizer.apply_gradients(zip(grads, variables))` hands the optimiser each gradient paired
#   with its variable; Adam decides how far to move each weight and updates it in place. It
#   subtracts: you pass the gradient itself, not its negative.
#
# The step returns the loss it computed, before the update: the loss of the batch with the
# weights the step started from. The loop below plots it, to show how training goes.
#
# **Exercise 5.** Write `train_step(model, optimizer, x, y)`: one such step for the `model` and
# `optimizer` it is given (the check passes its own), using your `compute_loss`. Return the
# mean loss of the batch.

# %% answer="q5"
def train_step(model, optimizer, x, y):
    ### BEGIN SOLUTION
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss = tf.reduce_mean(compute_loss(y, logits))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss
    ### END SOLUTION


# %%
lab.q5.check(train_step)

# %% [markdown]
# The loop compiles your step with `tf.function`: the first call traces it into a graph and
# every later call runs that graph, so the thousands of steps run without Python overhead. (So
# the step keeps to TensorFlow operations: while the graph is traced a tensor has no value yet,
# so `.numpy()`, or a NumPy function given a tensor, fails there. AutoGraph does turn some Python
# into TensorFlow operations as it traces: there `float(loss)` becomes `tf.cast(loss, tf.float32)`,
# a tensor, not a Python number.) Adam keeps two variables of its own for every weight;
# `optimizer.build` creates them before the compiled step runs, so the step never creates one:
# `tf.function` allows that on its first call only. A checkpoint (`.weights.h5`) is written
# every 100 steps.
#
# **The recipe.** A student waits for a good tune, not for a fast step, so the settings above are
# chosen for what a CPU does well. MIT's course trains a 1024-unit LSTM on batches of 8 for 3000
# steps: on a CPU each step re-reads all its weights for only 8 rows, about 2 s a step on 2 cores,
# so over an hour. A 256-unit LSTM on batches of 64 takes about 0.3 s a step and sees 8 times the
# text per step; in 4 minutes it writes mostly valid tunes, and after 2 minutes it already
# predicts tunes it never saw better than MIT's recipe does after all its 3000 steps (which
# overfits this small corpus). With full settings the learning rate also falls from 0.01 to 0.001
# along a cosine over the run (`CosineDecay`), which lowers the final loss.
# `benchmarks/rnn_music_quality.py` measures both recipes by held-out loss and valid tunes against
# minutes of training. On a GPU, MIT's recipe takes minutes too: the comment under `settings` has
# its values.

# %%
learning_rate = labtools.pick(
    fast=settings["learning_rate"],  # a short run keeps the rate up
    full=keras.optimizers.schedules.CosineDecay(settings["learning_rate"], settings["steps"], alpha=0.1),
)
optimizer = keras.optimizers.Adam(learning_rate)
checkpoint_dir = Path("training_checkpoints")
checkpoint_dir.mkdir(exist_ok=True)
for old in checkpoint_dir.glob("step_*.weights.h5"):  # a run with other settings must not be restored
    old.unlink()
if labtools.needs(vectorize_string, get_batch, build_model, compute_loss, train_step, exercise="Exercises 1 to 5"):
    optimizer.build(model.trainable_variables)  # Adam's variables exist before the compiled step runs
    step = tf.function(lambda x, y: train_step(model, optimizer, x, y))
    history = []
    plotter = labtools.PeriodicPlotter(sec=10, xlabel="step", ylabel="loss")
    start = time.perf_counter()
    for i in (bar := tqdm(range(settings["steps"]), desc="training")):
        x_batch, y_batch = get_batch(vectorized_songs, settings["seq_length"], settings["batch_size"])
        history.append(float(step(x_batch, y_batch)))
        plotter.plot(history)  # the first step at once, then at most every 10 s
        if i % 25 == 0:
            bar.set_postfix(loss=f"{history[-1]:.3f}", refresh=False)
        if (i + 1) % 100 == 0 or i + 1 == settings["steps"]:  # every 100 steps, and the last
            model.save_weights(checkpoint_dir / f"step_{i + 1:05d}.weights.h5")
    plotter.plot(history, force=True)
    seconds = time.perf_counter() - start
    print(f"{settings['steps']} steps in {seconds:.0f} s ({1000 * seconds / settings['steps']:.0f} ms/step); "
          f"loss {np.mean(history[:10]):.2f} -> {np.mean(history[-10:]):.2f}")

# %% [markdown]
# ## 7. Generating music
#
# To generate, restore the latest checkpoint into a fresh model built for one sequence at a time,
# feed it a start string, and then repeatedly: turn the last prediction into probabilities,
# **sample** a character, and feed it back in together with the LSTM's state.
#
# The **temperature** divides the logits before sampling: below 1 it sharpens the distribution
# (safer, more repetitive), above 1 it flattens it (more adventurous, more mistakes).

# %%
from labtools import sampling

if labtools.needs(vectorize_string, get_batch, build_model, compute_loss, train_step, exercise="Exercises 1 to 5"):
    latest = sorted(checkpoint_dir.glob("step_*.weights.h5"))[-1]
    generator = build_model(len(vocab), settings["embedding_dim"], settings["rnn_units"])
    generator.build((1, None))  # batch of one sequence, any length
    generator.load_weights(latest)
    print("restored", latest.name)
    sampler = sampling.CompiledSampler(generator, seed=1)  # the fast sampler (section below)
    start_ids = vectorize_string("X")

# %% [markdown]
# Calling this model on a sequence starts the LSTM from a zero state every time: its LSTM is not
# stateful, so that one training batch does not carry over into the next. Keras 3 can carry the
# state between calls too: a copy built on `keras.Input(batch_shape=(1, None))` with
# `LSTM(..., stateful=True)` keeps it, and the layer's `reset_state()` (or `reset_states()`)
# sets it back to zeros; a model has no `reset_states()`. Here you carry the state yourself,
# which shows what the LSTM does: use the model's three layers directly and pass the LSTM's
# state `[h, c]` from step to step; `lstm.cell` takes one step.

# %%
if labtools.needs(vectorize_string, get_batch, build_model, compute_loss, train_step, exercise="Exercises 1 to 5"):
    embedding, lstm, dense = generator.layers
    state = [tf.zeros([1, lstm.units]), tf.zeros([1, lstm.units])]  # h and c, one sequence
    h, state = lstm.cell(embedding(tf.constant([char2idx["X"]])), state)  # one step on "X"
    logits = dense(h)
    print("logits", tuple(logits.shape), "| most likely next characters:",
          idx2char[tf.argsort(logits[0], direction="DESCENDING")[:5].numpy()].tolist())

# %% [markdown]
# **Exercise 6.** Write `generate_text(model, start_string, length, temperature=1.0)`:
#
# 1. start from a zero state and **prime** it: feed every character of `start_string` through
#    the embedding and `lstm.cell`, carrying the state;
# 2. then `length` times: divide the logits of the last step by the `temperature`, draw the next
#    character with `tf.random.categorical(logits, num_samples=1)`, and feed it back in with the state;
# 3. return `start_string` followed by the generated characters (`idx2char` maps back).
#
# The check runs it on small models of its own: at a temperature near 0 the text must follow the
# most likely character every time, and at temperatures 1 and 2.5 the characters must come as
# often as their probabilities say.

# %% answer="q6"
def generate_text(model, start_string, length, temperature=1.0):
    ### BEGIN SOLUTION
    embedding, lstm, dense = model.layers
    state = [tf.zeros([1, lstm.units]), tf.zeros([1, lstm.units])]
    for char in start_string:  # prime the state with the whole start string
        h, state = lstm.cell(embedding(tf.constant([char2idx[char]])), state)
    generated = []
    for _ in range(length):
        next_id = tf.random.categorical(dense(h) / temperature, num_samples=1)[:, 0]
        generated.append(idx2char[int(next_id[0])])
        h, state = lstm.cell(embedding(next_id), state)  # feed it back, with the state
    return start_string + "".join(generated)
    ### END SOLUTION


# %%
lab.q6.check(generate_text)

# %% [markdown]
# Your loop makes one model call per character, with Python in between. `labtools.sampling` has
# a compiled version with the same distribution: one `tf.function` runs the LSTM cell in a graph
# loop and generates several tunes at once. Compare their speed on the same job:

# %%
if labtools.needs(
    vectorize_string, get_batch, build_model, compute_loss, train_step, generate_text, exercise="Exercises 1 to 6"
):
    t0 = time.perf_counter()
    yours = generate_text(generator, "X", length=100)
    stepwise_rate = 100 / (time.perf_counter() - t0)
    print(repr(yours[:70]))
    sampler(start_ids, length=100, n=4)  # the first call traces the graph
    t0 = time.perf_counter()
    sampler(start_ids, length=100, n=4)
    compiled_rate = 400 / (time.perf_counter() - t0)
    print(f"your loop, one call per character: {stepwise_rate:,.0f} chars/s | compiled loop, 4 tunes at once: "
          f"{compiled_rate:,.0f} chars/s ({compiled_rate / stepwise_rate:.0f}x)")

# %%
length = labtools.pick(fast=800, full=2000)
if labtools.needs(vectorize_string, get_batch, build_model, compute_loss, train_step, exercise="Exercises 1 to 5"):
    generated = sampler(start_ids, length=length, temperature=1.0, n=4)
    texts = ["X" + "".join(idx2char[row]) for row in generated]
    print(texts[0][:400])
    reports = labtools.play_generated_song("\n\n".join(texts), max_songs=2)

# %% [markdown]
# Why some tunes are invalid: the parser gives one reason per tune.

# %%
if labtools.needs(vectorize_string, get_batch, build_model, compute_loss, train_step, exercise="Exercises 1 to 5"):
    for r in reports:
        print(("valid  " if r.valid else "invalid") + f" | {r.title[:30]:30} | {r.reason}")

# %% [markdown]
# Try other temperatures and lengths, then press **Run Interact**.

# %%
def compose(temperature=1.0, length=800):
    rows = sampler(start_ids, length=length, temperature=temperature, n=4)
    labtools.play_generated_song("\n\n".join("X" + "".join(idx2char[r]) for r in rows), max_songs=1)


if labtools.needs(vectorize_string, get_batch, build_model, compute_loss, train_step, exercise="Exercises 1 to 5"):
    wide = dict(style={"description_width": "110px"}, layout=widgets.Layout(width="520px"))
    _ = widgets.interact_manual(compose,
                                temperature=widgets.FloatSlider(value=1.0, min=0.2, max=2.0, step=0.1,
                                                                description="temperature", **wide),
                                length=widgets.IntSlider(value=800, min=200, max=3000, step=100,
                                                         description="length", **wide))

# %% [markdown]
# **Exercise 7 (written).** Why does `generate_text` carry the LSTM's state `[h, c]` from one
# character to the next instead of starting each step afresh? Write a few sentences in the
# Markdown cell below (double-click it to edit), save the notebook, then run the check. Your
# instructor grades this answer (2 points).

# %% [markdown] answer="q7"
# The state `[h, c]` is the LSTM's memory: it summarises every character the model has read or
# generated so far, the key, the metre, the bar it is in.
#
# Sampling feeds one character at a time, so carrying the state lets each step use all of that
# context at the cost of one step (no need to rerun the whole text). Starting afresh would make
# every character depend only on the one before it, and the tune would lose its structure.

# %%
lab.q7.check()

# %% [markdown]
# ## Summary
#
# - Text becomes numbers through a vocabulary; batches are random windows with targets one step ahead.
# - Embedding → LSTM(return_sequences=True) → Dense gives next-character logits at every step;
#   the loss is sparse categorical cross-entropy from logits, ≈ ln(vocabulary) before training.
# - A training step records the model and the mean loss on a `GradientTape`, takes the gradients
#   of `model.trainable_variables` and lets Adam apply them; compiled with `tf.function` and run
#   in a loop with `.weights.h5` checkpoints, it trains the model, whose weights then load into
#   a model for one sequence.
# - The generation loop primes the LSTM's state with the start string, then samples from the
#   logits divided by the temperature and feeds each character back with the state; compiling
#   that loop makes it many times faster.
#
# ### Reading course code written for Keras 2
#
# Much published course code (MIT 6.S191's among it) predates Keras 3. What changed:
#
# | Keras 2 / `tf.keras` code | Keras 3 |
# |---|---|
# | `self.add_weight("W", shape=...)` (name first, positionally) | `self.add_weight(name="W", shape=...)`: `shape` comes first now, so name it |
# | `LSTM(..., stateful=True)` with `batch_input_shape=[1, None]`, then `model.reset_states()` | no `batch_input_shape`: start with `keras.Input(batch_shape=(1, None))`, and `LSTM(..., stateful=True)` carries its state between calls as before; a model has no `reset_states()`, so reset the layer: `lstm.reset_state()` (`reset_states()` works too). Or carry the state yourself with `lstm.cell` as in Exercise 6 (or build the layer with `return_state=True` and call it with `initial_state=`) |
# | `Dense(..., input_shape=(784,))` as the first layer | `keras.Input((784,))` first, or let the first call build the model |
# | `layer.call(x)` | `layer(x)`: it builds the layer on first use and handles masks and training mode |
# | `model.save_weights("ckpt")` (TensorFlow checkpoint) | `model.save_weights("name.weights.h5")`: the file name must end in `.weights.h5` |

# %%
labtools.progress()
