"""Lab 07 answer set: music generation with an LSTM."""

import random

import keras
import numpy as np
import tensorflow as tf

from labtools.labs.lab07_rnn_music import corpus_vocabulary

from . import right, untouched, wrong

VOCAB = corpus_vocabulary()
CHAR2IDX = {c: i for i, c in enumerate(VOCAB)}
SONG_TEXT = np.array([CHAR2IDX[c] for c in "X:1\nT:Tune\nM:6/8\nK:G\n|:GAB c2d|e3 d3:|\n" * 4])


# q1 -- vectorize_string(string) ---------------------------------------------------------------


def _vectorize_untouched(string):
    return None  # TODO


OLD_PROBE = "X:7\nT:Probe\nM:6/8\nL:1/8\nK:G Major\n|:GAB c2d|e3 d3:|\n"
OLD_TABLE = {OLD_PROBE: np.array([CHAR2IDX[c] for c in OLD_PROBE])}


# q2 -- get_batch(vectorized, seq_length, batch_size) ------------------------------------------


def _windows(vectorized, starts, seq_length, shift=1):
    x = np.array([vectorized[i : i + seq_length] for i in starts])
    y = np.array([vectorized[i + shift : i + seq_length + shift] for i in starts])
    return x, y


def batch_choice(vectorized, seq_length, batch_size):
    starts = np.random.choice(len(vectorized) - seq_length, batch_size)
    return _windows(vectorized, starts, seq_length)


def batch_fancy_index(vectorized, seq_length, batch_size):
    rng = np.random.default_rng()
    idx = rng.integers(len(vectorized) - seq_length, size=batch_size)[:, None] + np.arange(seq_length)
    return vectorized[idx], vectorized[idx + 1]


def batch_without_replacement(vectorized, seq_length, batch_size):
    starts = np.random.choice(len(vectorized) - seq_length, batch_size, replace=False)
    return _windows(vectorized, starts, seq_length)


def batch_sliding_window(vectorized, seq_length, batch_size):
    windows = np.lib.stride_tricks.sliding_window_view(vectorized, seq_length + 1)
    rows = windows[np.random.randint(0, len(windows), size=batch_size)]
    return rows[:, :-1], rows[:, 1:]


def batch_python_random(vectorized, seq_length, batch_size):
    n = len(vectorized) - 1
    x_batch = np.zeros((batch_size, seq_length), dtype=int)
    y_batch = np.zeros((batch_size, seq_length), dtype=int)
    for b in range(batch_size):
        i = random.randint(0, n - seq_length)
        x_batch[b] = vectorized[i : i + seq_length]
        y_batch[b] = vectorized[i + 1 : i + 1 + seq_length]
    return x_batch, y_batch


def batch_sorted_stack(vectorized, seq_length, batch_size):
    starts = np.sort(np.random.randint(len(vectorized) - seq_length, size=batch_size))
    return (
        np.stack([vectorized[i : i + seq_length] for i in starts]),
        np.stack([vectorized[i + 1 : i + seq_length + 1] for i in starts]),
    )


def batch_mit_off_by_one(vectorized, seq_length, batch_size):
    n = vectorized.shape[0] - 1
    idx = np.random.choice(n - seq_length, batch_size)
    return _windows(vectorized, idx, seq_length)


def batch_past_the_end(vectorized, seq_length, batch_size):
    starts = np.random.randint(0, len(vectorized) - seq_length + 1, size=batch_size)
    return _windows(vectorized, starts, seq_length)


def batch_value_plus_one(vectorized, seq_length, batch_size):
    """Right on np.arange, where the next value is the value plus one."""
    x, _ = batch_choice(vectorized, seq_length, batch_size)
    return x, x + 1


def batch_one_window_repeated(vectorized, seq_length, batch_size):
    i = np.random.randint(len(vectorized) - seq_length)
    return _windows(vectorized, [i] * batch_size, seq_length)


def batch_fixed_starts(vectorized, seq_length, batch_size):
    return _windows(vectorized, np.arange(batch_size), seq_length)


def batch_random_block(vectorized, seq_length, batch_size):
    i = np.random.randint(len(vectorized) - seq_length - batch_size + 1)
    return _windows(vectorized, i + np.arange(batch_size), seq_length)


def batch_two_draws(vectorized, seq_length, batch_size):
    x, _ = batch_choice(vectorized, seq_length, batch_size)
    _, y = batch_choice(vectorized, seq_length, batch_size)
    return x, y


def batch_seeded(vectorized, seq_length, batch_size):
    np.random.seed(0)
    return batch_choice(vectorized, seq_length, batch_size)


def batch_even_starts(vectorized, seq_length, batch_size):
    starts = 2 * np.random.randint(0, (len(vectorized) - seq_length + 1) // 2, size=batch_size)
    return _windows(vectorized, starts, seq_length)


def batch_wraps_around(vectorized, seq_length, batch_size):
    idx = np.random.randint(len(vectorized), size=batch_size)[:, None] + np.arange(seq_length)
    return np.take(vectorized, idx, mode="wrap"), np.take(vectorized, idx + 1, mode="wrap")


def batch_global_text(vectorized, seq_length, batch_size):
    return batch_choice(SONG_TEXT, seq_length, batch_size)


def _batch_untouched(vectorized, seq_length, batch_size): ...  # TODO: your code here


# q3 -- build_model(vocab_size, embedding_dim, rnn_units) ------------------------------------


def model_sequential(vocab_size, embedding_dim, rnn_units):
    return keras.Sequential(
        [
            keras.layers.Embedding(vocab_size, embedding_dim),
            keras.layers.LSTM(rnn_units, return_sequences=True),
            keras.layers.Dense(vocab_size),
        ]
    )


def model_input_first(vocab_size, embedding_dim, rnn_units):
    return keras.Sequential(
        [
            keras.Input(shape=(None,)),
            keras.layers.Embedding(input_dim=vocab_size, output_dim=embedding_dim),
            keras.layers.LSTM(
                units=rnn_units, return_sequences=True, activation="tanh", recurrent_activation="sigmoid"
            ),
            keras.layers.Dense(units=vocab_size, activation="linear"),
        ]
    )


def model_functional(vocab_size, embedding_dim, rnn_units):
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = keras.layers.Embedding(vocab_size, embedding_dim)(inputs)
    x = keras.layers.LSTM(rnn_units, return_sequences=True, recurrent_initializer="glorot_uniform")(x)
    return keras.Model(inputs, keras.layers.Dense(vocab_size)(x))


def model_rnn_cell(vocab_size, embedding_dim, rnn_units):
    return tf.keras.Sequential(
        [
            tf.keras.layers.Embedding(vocab_size, embedding_dim),
            tf.keras.layers.RNN(tf.keras.layers.LSTMCell(rnn_units), return_sequences=True),
            tf.keras.layers.Dense(vocab_size, activation=None),
        ]
    )


class MusicModel(keras.Model):
    def __init__(self, vocab_size, embedding_dim, rnn_units):
        super().__init__()
        self.embedding = keras.layers.Embedding(vocab_size, embedding_dim)
        self.lstm = keras.layers.LSTM(rnn_units, return_sequences=True)
        self.dense = keras.layers.Dense(vocab_size)

    def call(self, inputs):
        return self.dense(self.lstm(self.embedding(inputs)))


def model_added_with_dropout(vocab_size, embedding_dim, rnn_units, batch_size=None):
    model = keras.Sequential()
    model.add(keras.layers.Embedding(vocab_size, embedding_dim))
    model.add(keras.layers.LSTM(rnn_units, return_sequences=True, dropout=0.1))
    model.add(keras.layers.Dropout(0.2))
    model.add(keras.layers.Dense(vocab_size))
    return model


def model_nested(vocab_size, embedding_dim, rnn_units):
    body = keras.Sequential(
        [keras.layers.Embedding(vocab_size, embedding_dim), keras.layers.LSTM(rnn_units, return_sequences=True)]
    )
    return keras.Sequential([body, keras.layers.Dense(vocab_size)])


def _model(*layers):
    def build_model(vocab_size, embedding_dim, rnn_units):
        return keras.Sequential([make(vocab_size, embedding_dim, rnn_units) for make in layers])

    return build_model


EMB = lambda v, e, u: keras.layers.Embedding(v, e)
LSTM = lambda v, e, u: keras.layers.LSTM(u, return_sequences=True)
DENSE = lambda v, e, u: keras.layers.Dense(v)


def _model_untouched(vocab_size, embedding_dim, rnn_units): ...  # TODO: your code here


# q4 -- compute_loss(labels, logits) -----------------------------------------------------------

scce = keras.losses.sparse_categorical_crossentropy


def loss_one_hot(labels, logits):
    return keras.losses.categorical_crossentropy(tf.one_hot(labels, tf.shape(logits)[-1]), logits, from_logits=True)


def loss_by_hand(labels, logits):
    picked = tf.one_hot(labels, tf.shape(logits)[-1]) * tf.nn.log_softmax(logits)
    return tf.reduce_mean(-tf.reduce_sum(picked, axis=-1))


def loss_flat(labels, logits):
    return tf.nn.sparse_softmax_cross_entropy_with_logits(
        tf.reshape(labels, [-1]), tf.reshape(logits, [-1, tf.shape(logits)[-1]])
    )


def loss_numpy(labels, logits):
    z = logits.numpy() - logits.numpy().max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    return -np.take_along_axis(logp, labels.numpy()[..., None], -1).mean()


def _loss_untouched(labels, logits):
    return None  # TODO


# q5 -- train_step(model, optimizer, x, y) ------------------------------------------------------
# In the notebook train_step calls the student's compute_loss, a global; here it is this module's.


def compute_loss(labels, logits):
    return scce(labels, logits, from_logits=True)


def compute_loss_mean(labels, logits):
    return tf.reduce_mean(scce(labels, logits, from_logits=True))


def compute_loss_no_logits(labels, logits):
    return scce(labels, logits)


def compute_loss_summed(labels, logits):
    return tf.reduce_sum(scce(labels, logits, from_logits=True))


def _step(model, optimizer, x, y):
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss = tf.reduce_mean(compute_loss(y, logits))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
    return loss


def _step_ops(model, optimizer, x, y):
    with tf.GradientTape() as tape:
        loss = keras.ops.mean(compute_loss_mean(y, model(x, training=True)))
    grads = tape.gradient(loss, model.trainable_weights)
    optimizer.apply_gradients(list(zip(grads, model.trainable_weights, strict=True)))
    return tf.identity(loss)


def _step_loss_object(model, optimizer, x, y):
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    variables = model.trainable_variables
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
    return loss


@tf.function
def _step_compiled(model, optimizer, x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(compute_loss(y, model(x, training=True)))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
    return loss


def _step_apply(model, optimizer, x, y):
    with tf.GradientTape() as tape:
        per_step = compute_loss(y, model(x, training=True))
        loss = tf.reduce_mean(per_step)
    optimizer.apply(tape.gradient(loss, model.trainable_variables), model.trainable_variables)
    return loss


def _make_step(
    loss_fn=compute_loss,
    sign=1.0,
    apply=True,
    loss_after=False,
    returns="mean",
    reduce=tf.reduce_mean,
    manual_lr=None,
    variables=lambda model: model.trainable_variables,
    softmax=False,
    last_step=False,
):
    def train_step(model, optimizer, x, y):
        weights = variables(model)
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            if softmax:
                logits = tf.nn.softmax(logits)
            if last_step:
                per_step = loss_fn(y[:, -1], logits[:, -1])
            else:
                per_step = loss_fn(y, logits)
            loss = reduce(per_step)
        grads = tape.gradient(loss, weights)
        if manual_lr is not None:
            for g, w in zip(grads, weights, strict=True):
                w.assign_sub(optimizer.learning_rate * tf.convert_to_tensor(g))
        elif apply:
            optimizer.apply_gradients(
                [(sign * tf.convert_to_tensor(g), w) for g, w in zip(grads, weights, strict=True)]
            )
        if loss_after:
            return tf.reduce_mean(loss_fn(y, model(x)))
        if returns == "none":
            return None
        if returns == "per step":
            return per_step
        if returns == "numpy":
            return tf.reduce_mean(per_step).numpy()
        return tf.reduce_mean(per_step) if reduce is not tf.reduce_sum else loss

    return train_step


def _per_step_gradient(model, optimizer, x, y):
    """The per-step losses straight into tape.gradient (the gradient of their sum), the mean returned."""
    with tf.GradientTape() as tape:
        per_step = compute_loss(y, model(x, training=True))
    grads = tape.gradient(per_step, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
    return tf.reduce_mean(per_step)


def _lab_model():
    net = keras.Sequential(
        [
            keras.layers.Embedding(len(VOCAB), 8),
            keras.layers.LSTM(16, return_sequences=True),
            keras.layers.Dense(len(VOCAB)),
        ]
    )
    net.build((None, None))
    return net


def _global_model_step():
    """The notebook's model (a global) instead of the one passed in."""
    model_global = _lab_model()

    def train_step(model, optimizer, x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(compute_loss(y, model_global(x, training=True)))
        grads = tape.gradient(loss, model_global.trainable_variables)
        optimizer.apply_gradients(zip(grads, model_global.trainable_variables, strict=True))
        return loss

    return train_step


def _global_optimizer_step():
    """The notebook's optimiser (a global, built for the notebook's model) instead of the one passed in."""
    net = _lab_model()
    optimizer_global = keras.optimizers.Adam(5e-3)
    optimizer_global.build(net.trainable_variables)

    def train_step(model, optimizer, x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(compute_loss(y, model(x, training=True)))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer_global.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    return train_step


def _step_untouched(model, optimizer, x, y): ...  # TODO: your code here


# q6 -- generate_text(model, start_string, length, temperature) ---------------------------------

IDX2CHAR = np.array(VOCAB)


def _gen_solution(model, start_string, length, temperature=1.0):
    embedding, lstm, dense = model.layers
    state = [tf.zeros([1, lstm.units]), tf.zeros([1, lstm.units])]
    for char in start_string:
        h, state = lstm.cell(embedding(tf.constant([CHAR2IDX[char]])), state)
    generated = []
    for _ in range(length):
        next_id = tf.random.categorical(dense(h) / temperature, num_samples=1)[:, 0]
        generated.append(IDX2CHAR[int(next_id[0])])
        h, state = lstm.cell(embedding(next_id), state)
    return start_string + "".join(generated)


def _gen_mit_style(model, start_string, length, temperature=1.0):
    """MIT's loop without a stateful model: run the whole text so far through the model each step."""
    ids = [CHAR2IDX[c] for c in start_string]
    out = []
    for _ in range(length):
        logits = model(tf.constant([ids]))[:, -1, :] / temperature
        next_id = int(tf.random.categorical(logits, 1)[0, 0])
        ids.append(next_id)
        out.append(IDX2CHAR[next_id])
    return start_string + "".join(out)


def _gen_numpy_choice(model, start_string, length, temperature=1.0):
    """Softmax and np.random.choice instead of tf.random.categorical."""
    embedding, lstm, dense = model.layers
    state = [tf.zeros([1, lstm.units])] * 2
    for char in start_string:
        h, state = lstm.cell(embedding(tf.constant([CHAR2IDX[char]])), state)
    text = ""
    for _ in range(length):
        p = tf.nn.softmax(dense(h)[0] / temperature).numpy().astype("float64")
        i = int(np.random.choice(len(p), p=p / p.sum()))
        text += VOCAB[i]
        h, state = lstm.cell(embedding(tf.constant([i])), state)
    return start_string + text


def _gen_new_text_only(model, start_string, length, temperature=1.0):
    """Right loop, but returns only the generated characters (step 3 asks for the start string too)."""
    return _gen_solution(model, start_string, length, temperature)[len(start_string) :]


def _gen_stateful_copy(model, start_string, length, temperature=1.0):
    """Keras 3's stateful LSTM: a copy of the model for a batch of one that carries its state between calls."""
    embedding, lstm, dense = model.layers
    generator = keras.Sequential(
        [
            keras.Input(batch_shape=(1, None), dtype="int32"),
            keras.layers.Embedding(embedding.input_dim, embedding.output_dim),
            keras.layers.LSTM(lstm.units, return_sequences=True, stateful=True),
            keras.layers.Dense(dense.units),
        ]
    )
    generator.set_weights(model.get_weights())
    generator.layers[1].reset_state()
    logits = generator(np.array([[CHAR2IDX[c] for c in start_string]]))[:, -1, :]
    text = start_string
    for _ in range(length):
        next_id = int(tf.random.categorical(logits / temperature, num_samples=1)[0, 0])
        text += IDX2CHAR[next_id]
        logits = generator(np.array([[next_id]]))[:, -1, :]
    return text


def _gen_log_softmax(model, start_string, length, temperature=1.0):
    """Logits through log_softmax before the draw (the same distribution); the state from get_initial_state."""
    embedding, lstm, dense = model.layers
    state = lstm.cell.get_initial_state(batch_size=1)
    ids = [CHAR2IDX[c] for c in start_string]
    for i in ids:
        output, state = lstm.cell(embedding(tf.constant([i])), state)
    result = list(start_string)
    for _ in range(length):
        scaled = tf.nn.log_softmax(dense(output) / temperature)
        next_id = tf.random.categorical(scaled, 1)
        result.append(str(idx2char_lookup(int(next_id[0][0]))))
        output, state = lstm.cell(embedding(tf.reshape(next_id, [1])), state)
    return "".join(result)


def idx2char_lookup(i):
    return IDX2CHAR[i]


def _gen_initial_state(model, start_string, length, temperature=1.0):
    """The LSTM layer called with initial_state and a functional view that returns the state."""
    embedding, lstm_layer, dense = model.layers
    cell = lstm_layer.cell
    state = [tf.zeros([1, lstm_layer.units]), tf.zeros([1, lstm_layer.units])]
    ids = [CHAR2IDX[c] for c in start_string]
    for i in ids[:-1]:
        _, state = cell(embedding(tf.constant([i])), state)
    current = ids[-1]
    out = []
    for _ in range(length):
        h, state = cell(embedding(tf.constant([current])), state)
        current = int(tf.random.categorical(dense(h) / temperature, 1)[0, 0])
        out.append(VOCAB[current])
    return start_string + "".join(out)


def _gen_argmax(model, start_string, length, temperature=1.0):
    embedding, lstm, dense = model.layers
    state = [tf.zeros([1, lstm.units])] * 2
    for char in start_string:
        h, state = lstm.cell(embedding(tf.constant([CHAR2IDX[char]])), state)
    out = []
    for _ in range(length):
        i = int(tf.argmax(dense(h)[0]))
        out.append(VOCAB[i])
        h, state = lstm.cell(embedding(tf.constant([i])), state)
    return start_string + "".join(out)


def _gen_variant(
    prime_all=True,
    temperature_used=True,
    carry_state=True,
    multiply=False,
    reset_each=False,
    reset_after_priming=False,
    skip_first=False,
    feed_last_again=False,
    probabilities=False,
):
    def generate(model, start_string, length, temperature=1.0):
        embedding, lstm, dense = model.layers
        zero = [tf.zeros([1, lstm.units])] * 2
        state = zero
        chars = start_string if prime_all else start_string[-1:]
        if skip_first:
            chars = start_string[1:]
        for char in chars:
            h, state = lstm.cell(embedding(tf.constant([CHAR2IDX[char]])), state)
        if feed_last_again:
            h, state = lstm.cell(embedding(tf.constant([CHAR2IDX[start_string[-1]]])), state)
        if reset_after_priming:
            state = zero
        out = []
        for _ in range(length):
            logits = dense(h)
            if temperature_used:
                logits = logits * temperature if multiply else logits / temperature
            if probabilities:
                logits = tf.nn.softmax(logits)
            i = int(tf.random.categorical(logits, 1)[0, 0])
            out.append(VOCAB[i])
            h, new_state = lstm.cell(embedding(tf.constant([i])), zero if reset_each else state)
            state = new_state if carry_state else state
        return start_string + "".join(out)

    return generate


def _gen_no_priming(model, start_string, length, temperature=1.0):
    """Starts from a zero state and a zero output: the start string never goes through the LSTM."""
    embedding, lstm, dense = model.layers
    h = tf.zeros([1, lstm.units])
    state = [h, tf.zeros([1, lstm.units])]
    text = start_string
    for _ in range(length):
        next_id = tf.random.categorical(dense(h) / temperature, num_samples=1)[:, 0]
        text += IDX2CHAR[int(next_id[0])]
        h, state = lstm.cell(embedding(next_id), state)
    return text


def _gen_state_thrown_away(model, start_string, length, temperature=1.0):
    """Primes right, then each step throws away the state the cell returns."""
    embedding, lstm, dense = model.layers
    state = [tf.zeros([1, lstm.units]), tf.zeros([1, lstm.units])]
    for char in start_string:
        h, state = lstm.cell(embedding(tf.constant([CHAR2IDX[char]])), state)
    generated = []
    for _ in range(length):
        next_id = tf.random.categorical(dense(h) / temperature, num_samples=1)[:, 0]
        generated.append(IDX2CHAR[int(next_id[0])])
        h, _ = lstm.cell(embedding(next_id), state)
    return start_string + "".join(generated)


def _gen_model_per_char(model, start_string, length, temperature=1.0):
    """Primes with the model on the start string, then calls the model on one character at a time (each
    call starts from a zero state)."""
    logits = model(tf.constant([[CHAR2IDX[c] for c in start_string]]))[:, -1, :]
    text = start_string
    for _ in range(length):
        next_id = int(tf.random.categorical(logits / temperature, 1)[0, 0])
        text += IDX2CHAR[next_id]
        logits = model(tf.constant([[next_id]]))[:, -1, :]
    return text


def _gen_temperature_after_softmax(model, start_string, length, temperature=1.0):
    """Divides the probabilities by the temperature (which the normalisation undoes)."""
    embedding, lstm, dense = model.layers
    state = [tf.zeros([1, lstm.units])] * 2
    for char in start_string:
        h, state = lstm.cell(embedding(tf.constant([CHAR2IDX[char]])), state)
    text = start_string
    for _ in range(length):
        p = tf.nn.softmax(dense(h)[0]).numpy().astype("float64") / temperature
        i = int(np.random.choice(len(p), p=p / p.sum()))
        text += VOCAB[i]
        h, state = lstm.cell(embedding(tf.constant([i])), state)
    return text


def _gen_off_by_one(model, start_string, length, temperature=1.0):
    return _gen_solution(model, start_string, length - 1, temperature)


def _gen_list(model, start_string, length, temperature=1.0):
    return list(_gen_solution(model, start_string, length, temperature))


def _gen_untouched(model, start_string, length, temperature=1.0): ...  # TODO


def _vectorize_loop(string):
    indices = []
    for char in string:
        indices.append(CHAR2IDX[char])
    return np.array(indices)


def _vectorize_skipping(keep):
    """The indices of the characters ``keep`` lets through (a loop that drops whitespace)."""
    return lambda string: np.array([CHAR2IDX[c] for c in keep(string)], dtype=int)


def _step_new_optimizer(model, optimizer, x, y):
    """A new Adam on every call instead of the optimizer passed in."""
    adam = keras.optimizers.Adam(learning_rate=0.01)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(compute_loss(y, model(x, training=True)))
    grads = tape.gradient(loss, model.trainable_variables)
    adam.apply_gradients(zip(grads, model.trainable_variables, strict=True))
    return loss


def _step_returns_float(model, optimizer, x, y):
    """float() of the loss (AutoGraph turns it into a cast when the loop compiles the step)."""
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(compute_loss(y, model(x, training=True)))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
    return float(loss)


def _step_numpy_mean(model, optimizer, x, y):
    with tf.GradientTape() as tape:
        per_step = compute_loss(y, model(x, training=True))
        loss = tf.reduce_mean(per_step)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
    return np.mean(per_step)


def _step_scaled_gradients(model, optimizer, x, y):
    """Each gradient times a Python float (the embedding table's gradient is sparse)."""
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(compute_loss(y, model(x, training=True)))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip([g * 1.0 for g in grads], model.trainable_variables, strict=True))
    return loss


@tf.function
def _step_compiled_without_optimizer(model, x, y):
    """Compiled with tf.function, but takes the optimizer from the model (no optimizer argument)."""
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(compute_loss(y, model(x, training=True)))
    grads = tape.gradient(loss, model.trainable_variables)
    model.optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
    return loss


def _model_with_states(vocab_size, embedding_dim, rnn_units):
    """A functional model that also gives the LSTM's final state."""
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = keras.layers.Embedding(vocab_size, embedding_dim)(inputs)
    sequence, h, c = keras.layers.LSTM(rnn_units, return_sequences=True, return_state=True)(x)
    return keras.Model(inputs, [keras.layers.Dense(vocab_size)(sequence), h, c])


def _model_stateful_for_one(vocab_size, embedding_dim, rnn_units):
    return keras.Sequential(
        [
            keras.Input(batch_shape=(1, None)),
            keras.layers.Embedding(vocab_size, embedding_dim),
            keras.layers.LSTM(rnn_units, return_sequences=True, stateful=True),
            keras.layers.Dense(vocab_size),
        ]
    )


CASES = {
    "q1": [
        right("list comprehension", lambda: lambda string: np.array([CHAR2IDX[c] for c in string])),
        right("map and get", lambda: lambda string: np.array(list(map(CHAR2IDX.get, string)))),
        right("fromiter int32", lambda: lambda string: np.fromiter((CHAR2IDX[c] for c in string), dtype=np.int32)),
        right(
            "searchsorted in the sorted vocabulary",
            lambda: lambda string: np.searchsorted(np.array(VOCAB), np.array(list(string))),
        ),
        right("np.vectorize", lambda: lambda string: np.vectorize(CHAR2IDX.get)(np.array(list(string)))),
        right("vocab.index, uint8", lambda: lambda string: np.array([VOCAB.index(c) for c in string], dtype=np.uint8)),
        right("a for loop appending to a list", lambda: _vectorize_loop),
        wrong("skips spaces", lambda: _vectorize_skipping(lambda s: s.replace(" ", "")), says="spaces or newlines"),
        wrong(
            "skips newlines",
            lambda: _vectorize_skipping(lambda s: [c for c in s if c != "\n"]),
            says="spaces or newlines",
        ),
        wrong("split() and join", lambda: _vectorize_skipping(lambda s: "".join(s.split())), says="spaces or newlines"),
        wrong("strip() first", lambda: _vectorize_skipping(str.strip), says="spaces or newlines"),
        wrong(
            "rstrip of the newlines first",
            lambda: _vectorize_skipping(lambda s: s.rstrip("\n")),
            says="spaces or newlines",
        ),
        wrong(
            "skips whitespace with isspace",
            lambda: _vectorize_skipping(lambda s: [c for c in s if not c.isspace()]),
            says="spaces or newlines",
        ),
        wrong("returns a list", lambda: lambda string: [CHAR2IDX[c] for c in string], says="returns a list"),
        wrong(
            "returns a tensor", lambda: lambda string: tf.constant([CHAR2IDX[c] for c in string]), says="NumPy array"
        ),
        wrong(
            "indices shifted by one",
            lambda: lambda string: np.array([CHAR2IDX[c] + 1 for c in string]),
            says="wrong index",
        ),
        wrong(
            "unsorted vocabulary",
            lambda: lambda string: np.array([VOCAB[::-1].index(c) for c in string]),
            says="wrong index",
        ),
        wrong("character codes", lambda: lambda string: np.array([ord(c) for c in string]), says="wrong index"),
        wrong("float indices", lambda: lambda string: np.array([float(CHAR2IDX[c]) for c in string]), says="integers"),
        wrong(
            "drops the last character",
            lambda: lambda string: np.array([CHAR2IDX[c] for c in string[:-1]]),
            says="one per character",
        ),
        wrong("column vector", lambda: lambda string: np.array([[CHAR2IDX[c]] for c in string]), says="shape"),
        wrong("array of characters", lambda: lambda string: np.array(list(string)), says="not of numbers"),
        wrong("ignores the string", lambda: lambda string: SONG_TEXT[: len(string)], says="wrong index"),
        wrong(
            "lookup table of the old probe",
            lambda: lambda string: OLD_TABLE.get(string, np.array([], dtype=int)),
            says="characters should give",
        ),
        untouched(lambda: _vectorize_untouched),
    ],
    "q2": [
        right("np.random.choice and list comprehensions", lambda: batch_choice),
        right("fancy indexing with default_rng", lambda: batch_fancy_index),
        right("without replacement", lambda: batch_without_replacement),
        right("sliding_window_view", lambda: batch_sliding_window),
        right("python random and preallocated arrays", lambda: batch_python_random),
        right("sorted starts, np.stack", lambda: batch_sorted_stack),
        wrong("MIT's range, never the last window", lambda: batch_mit_off_by_one, says="last one"),
        wrong("a start one past the last", lambda: batch_past_the_end, says="some calls"),
        wrong("target is the value plus one", lambda: batch_value_plus_one, says="shifted by one"),
        wrong(
            "target shifted by two",
            lambda: lambda v, s, b: _windows(v, np.random.choice(len(v) - s - 1, b), s, 2),
            says="shifted by one",
        ),
        wrong(
            "target not shifted",
            lambda: lambda v, s, b: _windows(v, np.random.choice(len(v) - s, b), s, 0),
            says="equals x_batch",
        ),
        wrong("x and y from different starts", lambda: batch_two_draws, says="shifted by one"),
        wrong("one window repeated in a batch", lambda: batch_one_window_repeated, says="same window"),
        wrong("fixed starts", lambda: batch_fixed_starts, says="next to each other"),
        wrong("a random block of neighbouring starts", lambda: batch_random_block, says="next to each other"),
        wrong("seeded on every call", lambda: batch_seeded, says="never came up"),
        wrong("only even starts", lambda: batch_even_starts, says="never came up"),
        wrong("wraps around the end", lambda: batch_wraps_around, says="past the end"),
        wrong("takes the windows from a global text", lambda: batch_global_text, says="not in the text"),
        wrong(
            "python lists", lambda: lambda v, s, b: tuple(a.tolist() for a in batch_choice(v, s, b)), says="is a list"
        ),
        wrong(
            "tensors", lambda: lambda v, s, b: tuple(tf.constant(a) for a in batch_choice(v, s, b)), says="NumPy array"
        ),
        wrong(
            "seq_length and batch_size swapped",
            lambda: lambda v, s, b: batch_choice(v, b, s),
            says="(batch_size, seq_length)",
        ),
        wrong("returns only x_batch", lambda: lambda v, s, b: batch_choice(v, s, b)[0], says="tuple of two"),
        wrong("returns a list of two", lambda: lambda v, s, b: list(batch_choice(v, s, b)), says="tuple of two"),
        untouched(lambda: _batch_untouched),
    ],
    "q3": [
        right("Sequential", lambda: model_sequential),
        right("Sequential with keras.Input first", lambda: model_input_first),
        right("functional API", lambda: model_functional),
        right("RNN(LSTMCell) through tf.keras", lambda: model_rnn_cell),
        right("subclassed model", lambda: MusicModel),
        right("model.add with dropout, optional batch_size", lambda: model_added_with_dropout),
        right("nested Sequential", lambda: model_nested),
        wrong(
            "return_sequences left out",
            lambda: _model(EMB, lambda v, e, u: keras.layers.LSTM(u), DENSE),
            says="return_sequences",
        ),
        wrong(
            "softmax on the Dense layer",
            lambda: _model(EMB, LSTM, lambda v, e, u: keras.layers.Dense(v, activation="softmax")),
            says="applies softmax",
        ),
        wrong(
            "a separate softmax layer",
            lambda: _model(EMB, LSTM, DENSE, lambda v, e, u: keras.layers.Softmax()),
            says="applies softmax",
        ),
        wrong(
            "relu on the Dense layer",
            lambda: _model(EMB, LSTM, lambda v, e, u: keras.layers.Dense(v, activation="relu")),
            says="applies relu",
        ),
        wrong(
            "GRU",
            lambda: _model(EMB, lambda v, e, u: keras.layers.GRU(u, return_sequences=True), DENSE),
            says="Embedding -> LSTM -> Dense",
        ),
        wrong(
            "SimpleRNN",
            lambda: _model(EMB, lambda v, e, u: keras.layers.SimpleRNN(u, return_sequences=True), DENSE),
            says="Embedding -> LSTM -> Dense",
        ),
        wrong(
            "embedding_dim and rnn_units swapped",
            lambda: _model(
                lambda v, e, u: keras.layers.Embedding(v, u),
                lambda v, e, u: keras.layers.LSTM(e, return_sequences=True),
                DENSE,
            ),
            says="embedding_dim",
        ),
        wrong(
            "the notebook's sizes typed in", lambda: lambda v, e, u: model_sequential(83, 64, 256), says="embedding_dim"
        ),
        wrong(
            "LSTM sized by embedding_dim",
            lambda: _model(EMB, lambda v, e, u: keras.layers.LSTM(e, return_sequences=True), DENSE),
            says="rnn_units units",
        ),
        wrong(
            "Dense with rnn_units outputs",
            lambda: _model(EMB, LSTM, lambda v, e, u: keras.layers.Dense(u)),
            says="one score per character",
        ),
        wrong(
            "an extra hidden Dense layer",
            lambda: _model(EMB, LSTM, lambda v, e, u: keras.layers.Dense(u, activation="relu"), DENSE),
            says="Embedding -> LSTM -> Dense",
        ),
        wrong(
            "Dense without bias",
            lambda: _model(EMB, LSTM, lambda v, e, u: keras.layers.Dense(v, use_bias=False)),
            says="bias",
        ),
        wrong(
            "LSTM with relu",
            lambda: _model(EMB, lambda v, e, u: keras.layers.LSTM(u, return_sequences=True, activation="relu"), DENSE),
            says="outputs differ",
        ),
        wrong(
            "index 0 masked",
            lambda: _model(lambda v, e, u: keras.layers.Embedding(v, e, mask_zero=True), LSTM, DENSE),
            says="outputs differ",
        ),
        wrong(
            "stateful LSTM",
            lambda: _model(EMB, lambda v, e, u: keras.layers.LSTM(u, return_sequences=True, stateful=True), DENSE),
            says="cannot run on a batch",
        ),
        wrong("stateful LSTM for a batch of one", lambda: _model_stateful_for_one, says="cannot run"),
        wrong("also gives the LSTM's state", lambda: _model_with_states, says="one tensor of scores"),
        wrong(
            "hard_sigmoid gates",
            lambda: _model(
                EMB,
                lambda v, e, u: keras.layers.LSTM(u, return_sequences=True, recurrent_activation="hard_sigmoid"),
                DENSE,
            ),
            says="outputs differ",
        ),
        wrong(
            "bidirectional LSTM",
            lambda: _model(
                EMB, lambda v, e, u: keras.layers.Bidirectional(keras.layers.LSTM(u, return_sequences=True)), DENSE
            ),
            says="Embedding -> LSTM -> Dense",
        ),
        wrong(
            "returns the list of layers",
            lambda: lambda v, e, u: [EMB(v, e, u), LSTM(v, e, u), DENSE(v, e, u)],
            says="return a Keras model",
        ),
        untouched(lambda: _model_untouched),
    ],
    "q4": [
        right("sparse_categorical_crossentropy from logits", lambda: lambda y, z: scce(y, z, from_logits=True)),
        right("its mean", lambda: lambda y, z: tf.reduce_mean(scce(y, z, from_logits=True))),
        right("a loss object", lambda: lambda y, z: keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, z)),
        right("the loss object itself", lambda: keras.losses.SparseCategoricalCrossentropy(from_logits=True)),
        right("tf.nn with logits", lambda: lambda y, z: tf.nn.sparse_softmax_cross_entropy_with_logits(y, z)),
        right("one-hot categorical cross-entropy", lambda: loss_one_hot),
        right("by hand with log_softmax", lambda: loss_by_hand),
        right("flattened steps", lambda: loss_flat),
        right(
            "keras.ops with keywords",
            lambda: lambda y, z: keras.ops.sparse_categorical_crossentropy(target=y, output=z, from_logits=True),
        ),
        wrong(
            "sum over the steps, mean over the batch",
            lambda: lambda y, z: tf.reduce_mean(tf.reduce_sum(scce(y, z, from_logits=True), axis=1)),
            says="each sequence",
        ),
        wrong(
            "mean over the steps, sum over the batch",
            lambda: lambda y, z: tf.reduce_sum(tf.reduce_mean(scce(y, z, from_logits=True), axis=1)),
            says="at each step",
        ),
        wrong(
            "one-hot cross-entropy without from_logits",
            lambda: lambda y, z: keras.losses.categorical_crossentropy(tf.one_hot(y, tf.shape(z)[-1]), z),
            says="for probabilities",
        ),
        wrong(
            "minus the log of the label's logit",
            lambda: lambda y, z: -tf.math.log(tf.gather(z, y, batch_dims=2)),
            says="NaN",
        ),
        wrong("from_logits forgotten", lambda: lambda y, z: scce(y, z), says="for probabilities"),
        wrong(
            "softmax applied twice",
            lambda: lambda y, z: scce(y, tf.nn.softmax(z), from_logits=True),
            says="values are off",
        ),
        wrong("sum over the steps", lambda: lambda y, z: tf.reduce_sum(scce(y, z, from_logits=True)), says="adds up"),
        wrong(
            "mean over the batch only",
            lambda: lambda y, z: tf.reduce_mean(scce(y, z, from_logits=True), axis=0),
            says="shape",
        ),
        wrong(
            "sum over the batch", lambda: lambda y, z: tf.reduce_sum(scce(y, z, from_logits=True), axis=0), says="shape"
        ),
        wrong("NumPy computation", lambda: loss_numpy, says="not a tf.Tensor"),
        wrong(
            "a Python float",
            lambda: lambda y, z: float(tf.reduce_mean(scce(y, z, from_logits=True))),
            says="not a tf.Tensor",
        ),
        wrong(
            "ln of the vocabulary typed in",
            lambda: lambda y, z: tf.math.log(tf.cast(tf.shape(z)[-1], tf.float32)),
            says="values are off",
        ),
        wrong("no gradient", lambda: lambda y, z: tf.stop_gradient(scce(y, z, from_logits=True)), says="no gradient"),
        wrong(
            ".numpy() inside",
            lambda: lambda y, z: tf.constant(scce(y, z, from_logits=True).numpy()),
            says="inside a tf.function",
        ),
        wrong(
            "mean squared error on one-hot labels",
            lambda: lambda y, z: keras.losses.mean_squared_error(tf.one_hot(y, tf.shape(z)[-1]), z),
            says="values are off",
        ),
        wrong("labels and logits swapped", lambda: lambda y, z: scce(z, y, from_logits=True), says="raised"),
        untouched(lambda: _loss_untouched),
    ],
    "q5": [
        right("the solution: tape, mean loss, apply_gradients", lambda: _step),
        right("keras.ops, trainable_weights, a compute_loss that takes the mean", lambda: _step_ops),
        right("a loss object", lambda: _step_loss_object),
        right("decorated with @tf.function", lambda: _step_compiled),
        right("optimizer.apply(grads, variables)", lambda: _step_apply),
        right("returns float(loss)", lambda: _step_returns_float),
        wrong("a new Adam on every call", lambda: _step_new_optimizer, says="creates a new variable"),
        wrong("returns np.mean of the losses", lambda: _step_numpy_mean, says="NumPy"),
        wrong("gradients times a Python float", lambda: _step_scaled_gradients, says="sparse gradient"),
        wrong(
            "a tf.function without the optimizer argument",
            lambda: _step_compiled_without_optimizer,
            says="cannot be called",
        ),
        wrong("loss after the update", lambda: _make_step(loss_after=True), says="after the update"),
        wrong("uphill", lambda: _make_step(sign=-1.0), says="uphill"),
        wrong("no update", lambda: _make_step(apply=False), says="did not change"),
        wrong(
            "only the Dense layer updated",
            lambda: _make_step(variables=lambda model: model.layers[-1].trainable_variables),
            says="embedding table did not",
        ),
        wrong("sum, not mean", lambda: _make_step(reduce=tf.reduce_sum), says="adds up"),
        wrong("compute_loss sums the steps", lambda: _make_step(loss_fn=compute_loss_summed), says="adds up"),
        wrong("from_logits missing in compute_loss", lambda: _make_step(loss_fn=compute_loss_no_logits), says="logits"),
        wrong("softmax before the loss", lambda: _make_step(softmax=True), says="softmax twice"),
        wrong("loss of the last step only", lambda: _make_step(last_step=True), says="last character"),
        wrong("returns None", lambda: _make_step(returns="none"), says="returns None"),
        wrong("returns the per-step losses", lambda: _make_step(returns="per step"), says="one number"),
        wrong("gradient of the per-step losses (their sum)", lambda: _per_step_gradient, says="gradient of their mean"),
        wrong("learning rate x gradient by hand", lambda: _make_step(manual_lr=True), says="optimizer.apply_gradients"),
        wrong(".numpy() inside", lambda: _make_step(returns="numpy"), says="tf.function"),
        wrong("uses the notebook's model", _global_model_step, says="model and the optimizer passed"),
        wrong("uses the notebook's optimizer", _global_optimizer_step, says="model and the optimizer passed"),
        untouched(lambda: _step_untouched),
    ],
    "q6": [
        right("the solution: lstm.cell with the state", lambda: _gen_solution),
        right("MIT style: the whole text through the model each step", lambda: _gen_mit_style),
        right("softmax and np.random.choice", lambda: _gen_numpy_choice),
        right("primes all but the last, feeds the last in the loop", lambda: _gen_initial_state),
        right("Keras 3 stateful copy for a batch of one, reset_state()", lambda: _gen_stateful_copy),
        right("log_softmax before the draw, get_initial_state", lambda: _gen_log_softmax),
        wrong("argmax, no sampling", lambda: _gen_argmax, says="do not take the largest"),
        wrong("temperature ignored", lambda: _gen_variant(temperature_used=False), says="temperature"),
        wrong(
            "temperature ignored: changes nothing", lambda: _gen_variant(temperature_used=False), says="changes nothing"
        ),
        wrong("logits times the temperature", lambda: _gen_variant(multiply=True), says="temperature"),
        wrong("logits times the temperature: multiplied", lambda: _gen_variant(multiply=True), says="multiplied"),
        wrong("temperature divides the probabilities", lambda: _gen_temperature_after_softmax, says="changes nothing"),
        wrong(
            "probabilities into tf.random.categorical", lambda: _gen_variant(probabilities=True), says="probabilities"
        ),
        wrong("primes with the last character only", lambda: _gen_variant(prime_all=False), says="goes astray"),
        wrong(
            "primes with the last character only: named", lambda: _gen_variant(prime_all=False), says="only the last"
        ),
        wrong("state not carried", lambda: _gen_variant(carry_state=False), says="goes astray"),
        wrong("state not carried: named", lambda: _gen_variant(carry_state=False), says="not carried"),
        wrong("the state the cell returns thrown away", lambda: _gen_state_thrown_away, says="not carried"),
        wrong("state reset every step", lambda: _gen_variant(reset_each=True), says="goes astray"),
        wrong("the model called on one character at a time", lambda: _gen_model_per_char, says="every step"),
        wrong("state reset after priming", lambda: _gen_variant(reset_after_priming=True), says="after the start"),
        wrong("no priming", lambda: _gen_no_priming, says="not primed"),
        wrong("first start character skipped", lambda: _gen_variant(skip_first=True), says="first character"),
        wrong("last start character fed twice", lambda: _gen_variant(feed_last_again=True), says="twice"),
        wrong("new text only, no start string", lambda: _gen_new_text_only, says="start string"),
        wrong("one character short", lambda: _gen_off_by_one, says="characters"),
        wrong("a list of characters", lambda: _gen_list, says="string"),
        untouched(lambda: _gen_untouched),
        untouched(lambda: None, name="None"),
    ],
}
