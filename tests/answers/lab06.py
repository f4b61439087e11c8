"""Lab 06 answer set: a first neural network on MNIST."""

import functools

import keras
import numpy as np
import tensorflow as tf

from labtools.training import TrainingProgress

from . import right, untouched, wrong

L = keras.layers


# -- q1 prepare -----------------------------------------------------------------------------------


def _prepare_placeholder(images):
    return None  # TODO


def _prepare_min_max(images):
    flat = images.reshape(len(images), -1).astype("float32")
    return (flat - flat.min()) / (flat.max() - flat.min())


# -- q2, q3 models ----------------------------------------------------------------------------------


def _network(hidden=512, act="relu", out=10, out_act="softmax", **kwargs):
    return keras.Sequential([L.Dense(hidden, activation=act, **kwargs), L.Dense(out, activation=out_act)])


def _functional():
    inputs = keras.Input((784,))
    hidden = L.Dense(512, activation="relu")(inputs)
    return keras.Model(inputs, L.Dense(10, activation="softmax")(hidden))


def _added():
    model = keras.Sequential()
    model.add(keras.Input(shape=(784,)))
    model.add(L.Dense(512, activation=keras.activations.relu))
    model.add(L.Dense(10, activation=keras.activations.softmax))
    return model


class _Ignores(L.Dense):
    """A Dense layer in name only: it never looks at its input."""

    def call(self, inputs):
        return tf.zeros((tf.shape(inputs)[0], self.units)) + self.bias


def _compiled(loss="sparse_categorical_crossentropy", optimizer="rmsprop", metrics=("accuracy",), **kwargs):
    model = _network()
    model.compile(optimizer=optimizer, loss=loss, metrics=None if metrics is None else list(metrics), **kwargs)
    return model


def _my_loss(y_true, y_pred):
    return keras.losses.sparse_categorical_crossentropy(y_true, y_pred)


def _mean_loss(y_true, y_pred):
    return tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y_true, y_pred))


def _my_accuracy(y_true, y_pred):
    return tf.cast(tf.equal(tf.cast(tf.reshape(y_true, [-1]), tf.int64), tf.argmax(y_pred, axis=-1)), tf.float32)


def _squared_one_hot(y_true, y_pred):
    return keras.losses.mean_squared_error(tf.one_hot(tf.cast(tf.reshape(y_true, [-1]), tf.int32), 10), y_pred)


def _constant_loss(y_true, y_pred):
    return tf.constant(2.3) + 0.0 * tf.reduce_sum(y_pred)


def _metrics_in_loss_weights():
    """compile(optimizer, loss, metrics) by position: the third argument is loss_weights."""
    model = _network()
    model.compile("rmsprop", "sparse_categorical_crossentropy", ["accuracy"])
    return model


class RMSprop(keras.optimizers.SGD):
    """SGD under RMSprop's name."""


def _constant_metric(value):
    def metric(y_true, y_pred):
        return tf.zeros_like(tf.cast(tf.reshape(y_true, [-1]), tf.float32)) + float(value)

    metric.__name__ = f"m{value.numerator}_{value.denominator}"
    return metric


def _metric_spray(sizes=range(16, 33)):
    """No accuracy: one constant metric per accuracy k/n a batch of n predictions can have."""
    from fractions import Fraction

    fractions = sorted({Fraction(k, n) for n in sizes for k in range(n // 4, 3 * n // 4)})
    return _compiled(metrics=[_constant_metric(f) for f in fractions])


# -- q4 the student's fit (each trained once, then reused) ------------------------------------------


def _prep(images):
    return images.reshape(len(images), 784).astype("float32") / 255


@functools.cache
def _notebook_data():
    """The notebook's fast-mode data: x_train, y_train (3,000 images) and its split."""
    from labtools.datasets import load_mnist_subset

    (x, y), (xt, yt) = load_mnist_subset(hold_out=True)
    x_train, y_train = _prep(x[:3000]), y[:3000]
    order = np.random.default_rng(0).permutation(3000)
    val_idx, fit_idx = order[:900], order[900:]
    return x_train, y_train, _prep(xt), yt, fit_idx, val_idx


def _lab_fit(model, **overrides):
    """The exercise's fit call on the notebook's data, with ``overrides`` of its arguments."""
    x_train, y_train, _, _, fit_idx, val_idx = _notebook_data()
    kwargs = dict(
        x=x_train[fit_idx],
        y=y_train[fit_idx],
        epochs=3,
        batch_size=128,
        validation_data=(x_train[val_idx], y_train[val_idx]),
        verbose=0,
    )
    kwargs.update(overrides)
    return model.fit(**{k: v for k, v in kwargs.items() if v is not _LEFT_OUT})


_LEFT_OUT = object()  # an argument the student's fit call does not pass


def _fresh(kind="lab"):
    keras.utils.set_random_seed(6)
    model = _functional() if kind == "functional" else _network()
    if kind == "activation layers":
        model = keras.Sequential([L.Dense(512), L.ReLU(), L.Dense(10), L.Activation("softmax")])
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@functools.cache
def _trained(kind):
    """(model, history) after the fit a student wrote; ``kind`` names the variant."""
    x_train, y_train, x_test, y_test, fit_idx, val_idx = _notebook_data()
    x_fit, y_fit, x_val, y_val = x_train[fit_idx], y_train[fit_idx], x_train[val_idx], y_train[val_idx]
    model = _fresh("functional" if kind == "functional" else "activation layers" if kind == "layers" else "lab")
    fits = {
        "lab": lambda: _lab_fit(model),
        "functional": lambda: _lab_fit(model),
        "layers": lambda: _lab_fit(model),
        "progress bar": lambda: _lab_fit(model, callbacks=[TrainingProgress()]),
        "tf.data": lambda: model.fit(
            tf.data.Dataset.from_tensor_slices((x_fit, y_fit)).shuffle(2100, seed=0).batch(128),
            epochs=3,
            validation_data=tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(256),
            verbose=0,
        ),
        "ran twice": lambda: (_lab_fit(model), _lab_fit(model))[1],
        "no validation": lambda: _lab_fit(model, validation_data=_LEFT_OUT),
        "0 epochs": lambda: _lab_fit(model, epochs=0),
        "1 epoch": lambda: _lab_fit(model, epochs=1),
        "shuffled labels": lambda: _lab_fit(model, y=np.random.default_rng(0).permutation(y_fit)),
        "swapped split": lambda: _lab_fit(model, x=x_val, y=y_val, validation_data=(x_fit, y_fit)),
        "all of x_train": lambda: _lab_fit(model, x=x_train, y=y_train),
        "default batch size": lambda: _lab_fit(model, batch_size=_LEFT_OUT),
        "validation split": lambda: _lab_fit(model, validation_data=_LEFT_OUT, validation_split=0.3),
        "validated on the test set": lambda: _lab_fit(model, validation_data=(x_test, y_test)),
        "unscaled pixels": lambda: _lab_fit(model, x=x_fit * 255, validation_data=(x_val * 255, y_val)),
        "30 images": lambda: _lab_fit(model, x=x_fit[:30], y=y_fit[:30]),
        "validation part unshuffled": lambda: _lab_fit(model, validation_data=(x_train[:900], y_train[:900])),
    }
    return model, fits[kind]()


def _with_history_dict():
    model, history = _trained("lab")
    return model, history.history


def _history_of_another_model():
    other, history = _trained("lab")
    model = _fresh()
    _lab_fit(model, epochs=1)
    return model, history


def _fit_not_kept():
    model = _fresh()
    _lab_fit(model)
    return model, None


def _predict_from_labels():
    """A model fit with a learning rate of zero (it learnt nothing) whose predict answers the
    held-out images from their labels: the judge computes the predictions from the weights."""
    from labtools.datasets import mnist_held_out

    model = _network()
    model.compile(optimizer=keras.optimizers.RMSprop(0.0), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = _lab_fit(model)
    images, labels = mnist_held_out()
    answers = {image.tobytes(): int(label) for image, label in zip(images, labels, strict=True)}
    real = model.predict

    def predict(x, *args, **kwargs):
        keys = [np.round(np.asarray(row) * 255).astype(np.uint8).tobytes() for row in np.asarray(x)]
        if all(k in answers for k in keys):
            return np.eye(10, dtype="float32")[[answers[k] for k in keys]]
        return real(x, *args, **kwargs)

    model.predict = predict
    return model, history


def _memoriser():
    """The notebook's test images as a lookup table: a unit per image that fires only on that
    exact image, wired to its label. Perfect on the notebook's test set, blind elsewhere."""
    _, _, x_test, y_test, _, _ = _notebook_data()
    t = x_test / np.linalg.norm(x_test, axis=1, keepdims=True)
    inputs = keras.Input((784,))
    unit = L.UnitNormalization()(inputs)
    match = L.Dense(
        len(t),
        activation="relu",
        kernel_initializer=keras.initializers.Constant(1000 * t.T),
        bias_initializer=keras.initializers.Constant(-999.0),
    )(unit)
    out = L.Dense(
        10,
        activation="softmax",
        kernel_initializer=keras.initializers.Constant(50 * np.eye(10)[y_test]),
        bias_initializer="zeros",
    )(match)
    return keras.Model(inputs, out)


def _unfit(model):
    """A model the lab's fit never saw: the history is still the placeholder."""
    return model, None


class ConstantDigit(keras.Model):
    """Always the same digit, whatever the image."""

    def call(self, x):
        return tf.one_hot(tf.fill([tf.shape(x)[0]], 1), 10)


class _Predictor:
    """Not a Keras model: an object with a predict method."""

    def predict(self, x, **kwargs):
        return np.eye(10)[np.zeros(len(x), int)]


def _unbuilt():
    model = _network()
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _untrained():
    model = keras.Sequential([keras.Input((784,)), L.Dense(512, activation="relu"), L.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    return model


# -- q5 training steps ----------------------------------------------------------------------------


def _step(model, optimizer, x, y):
    with tf.GradientTape() as tape:
        predictions = model(x, training=True)
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, predictions))
    grads = tape.gradient(loss, model.trainable_weights)
    optimizer.apply_gradients(zip(grads, model.trainable_weights, strict=True))
    return loss


def _step_loss_object(model, optimizer, x, y):
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients([(g, v) for g, v in zip(grads, model.trainable_variables, strict=True)])
    return loss


@tf.function
def _step_compiled(model, optimizer, x, y):
    return _step(model, optimizer, x, y)


def _step_by_hand_loss(model, optimizer, x, y):
    with tf.GradientTape() as tape:
        p = model(x, training=True)
        picked = tf.gather(p, tf.cast(y, tf.int32), axis=1, batch_dims=1)
        loss = -tf.reduce_mean(tf.math.log(picked))
    variables = model.trainable_weights
    optimizer.apply(tape.gradient(loss, variables), variables)
    return loss


def _step_ops(model, optimizer, x, y):
    with tf.GradientTape() as tape:
        loss = keras.ops.mean(keras.losses.sparse_categorical_crossentropy(y, model(x, training=True)))
    grads = tape.gradient(loss, model.trainable_weights)
    optimizer.apply_gradients(list(zip(grads, model.trainable_weights, strict=True)))
    return tf.identity(loss)


def _make_step(
    sign=1.0,
    apply=True,
    loss_after=False,
    returns="mean",
    reduce=tf.reduce_mean,
    from_logits=False,
    manual_lr=None,
    variables=lambda model: model.trainable_weights,
):
    def train_step(model, optimizer, x, y):
        weights = variables(model)
        with tf.GradientTape() as tape:
            per_sample = keras.losses.sparse_categorical_crossentropy(
                y, model(x, training=True), from_logits=from_logits
            )
            loss = reduce(per_sample)
        grads = tape.gradient(loss, weights)
        if manual_lr is not None:
            for g, w in zip(grads, weights, strict=True):
                w.assign_sub((optimizer.learning_rate if manual_lr == "optimizer's" else manual_lr) * g)
        elif apply:
            optimizer.apply_gradients([(sign * g, w) for g, w in zip(grads, weights, strict=True)])
        if loss_after:
            return tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, model(x)))
        if returns == "none":
            return None
        if returns == "per sample":
            return per_sample
        if returns == "numpy":
            return tf.reduce_mean(per_sample).numpy()
        if returns == "constant":
            return tf.constant(0.5)
        return tf.reduce_mean(per_sample)

    return train_step


def _step_placeholder(model, optimizer, x, y): ...  # TODO: your code here


def _step_new_optimiser(model, optimizer, x, y):
    """Makes its own optimiser each call, ignoring the one it is given."""
    optimizer = keras.optimizers.SGD(learning_rate=0.05)
    return _step(model, optimizer, x, y)


def _step_with_a_counter(model, optimizer, x, y):
    """Counts its calls in a variable it creates on every call."""
    calls = tf.Variable(0)
    calls.assign_add(1)
    return _step(model, optimizer, x, y)


def _step_numpy_mean(model, optimizer, x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, model(x, training=True)))
    grads = tape.gradient(loss, model.trainable_weights)
    optimizer.apply_gradients(zip(grads, model.trainable_weights, strict=True))
    return np.mean(loss)


def _step_numpy_weights(model, optimizer, x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, model(x, training=True)))
    grads = tape.gradient(loss, model.trainable_weights)
    optimizer.apply_gradients(zip(grads, [w.numpy() for w in model.trainable_weights], strict=True))
    return loss


def _step_gradients_only(model, optimizer, x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, model(x, training=True)))
    optimizer.apply_gradients(tape.gradient(loss, model.trainable_weights))
    return loss


def _step_variables_zip(model, optimizer, x, y):
    with tf.GradientTape() as tape:
        probabilities = model(x, training=True)
        loss = keras.losses.SparseCategoricalCrossentropy()(y, probabilities)
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
    return loss


CASES = {
    "q1": [
        right("reshape, float32, divide", lambda: lambda im: im.reshape((len(im), 28 * 28)).astype("float32") / 255),
        right("reshape -1 and np.float32", lambda: lambda im: im.reshape(-1, 784).astype(np.float32) / 255.0),
        right("divide, then cast", lambda: lambda im: (im / 255).astype("float32").reshape(len(im), -1)),
        right("np.float32 of the batch", lambda: lambda im: np.float32(im).reshape(im.shape[0], 784) / np.float32(255)),
        right(
            "TensorFlow, back to NumPy",
            lambda: lambda im: tf.reshape(tf.cast(im, tf.float32) / 255.0, (-1, 784)).numpy(),
        ),
        right("np.divide with a dtype", lambda: lambda im: np.divide(im.reshape(len(im), 784), 255, dtype=np.float32)),
        right("multiply by 1/255", lambda: lambda im: im.astype("float32").reshape(len(im), -1) * (1 / 255)),
        wrong("float64", lambda: lambda im: im.reshape(len(im), -1) / 255, says="float32"),
        wrong("not scaled", lambda: lambda im: im.reshape(len(im), -1).astype("float32"), says="[0, 1]"),
        wrong("not flattened", lambda: lambda im: im.astype("float32") / 255, says="784"),
        wrong(
            "pixels shuffled",
            lambda: lambda im: np.sort(im.reshape(len(im), -1), axis=1).astype("float32") / 255,
            says="values are off",
        ),
        wrong("hard-coded batch size", lambda: lambda im: im.reshape(7, 784).astype("float32") / 255, says="raised"),
        wrong(
            "hard-coded data set size",
            lambda: lambda im: im.reshape(60000, 784).astype("float32") / 255,
            says="cannot reshape",
        ),
        wrong(
            "divided by the batch's maximum",
            lambda: lambda im: (im / im.max()).astype("float32").reshape(len(im), -1),
            says="values are off",
        ),
        wrong("min-max scaled", lambda: _prepare_min_max, says="values are off"),
        wrong(
            "divided by 256", lambda: lambda im: im.reshape(len(im), -1).astype("float32") / 256, says="values are off"
        ),
        wrong(
            "integer division",
            lambda: lambda im: (im.reshape(len(im), -1) // 255).astype("float32"),
            says="values are off",
        ),
        wrong(
            "transposed images",
            lambda: lambda im: im.transpose(0, 2, 1).reshape(len(im), -1).astype("float32") / 255,
            says="values are off",
        ),
        wrong("pixels as rows", lambda: lambda im: im.reshape(784, -1).astype("float32") / 255, says="shape"),
        wrong("a list", lambda: lambda im: (im.reshape(len(im), -1).astype("float32") / 255).tolist(), says="list"),
        wrong("a tensor", lambda: lambda im: tf.reshape(tf.cast(im, tf.float32) / 255, (-1, 784)), says="tf.Tensor"),
        wrong("float16", lambda: lambda im: im.reshape(len(im), -1).astype("float16") / 255, says="float16"),
        wrong("the first image only", lambda: lambda im: im[:1].reshape(1, -1).astype("float32") / 255, says="shape"),
        untouched(lambda: _prepare_placeholder),
    ],
    "q2": [
        right("Sequential with strings", lambda: _network()),
        right(
            "keras.Input first",
            lambda: keras.Sequential(
                [keras.Input((784,)), L.Dense(512, activation="relu"), L.Dense(10, activation="softmax")]
            ),
        ),
        right("functional API", _functional),
        right("activation objects", lambda: _network(act=L.ReLU(), out_act=tf.nn.softmax)),
        right(
            "separate activation layers",
            lambda: keras.Sequential([L.Dense(512), L.ReLU(), L.Dense(10), L.Activation("softmax")]),
        ),
        right("model.add and keras.activations", _added),
        right(
            "Flatten first",
            lambda: keras.Sequential([L.Flatten(), L.Dense(512, activation="relu"), L.Dense(10, activation="softmax")]),
        ),
        right("other initialisers", lambda: _network(kernel_initializer="he_normal", bias_initializer="ones")),
        wrong("256 units", lambda: _network(hidden=256), says="256 units"),
        wrong("no softmax", lambda: _network(out_act=None), says="linear"),
        wrong("sigmoid output", lambda: _network(out_act="sigmoid"), says="sigmoid"),
        wrong("tanh hidden layer", lambda: _network(act="tanh"), says="tanh"),
        wrong("activations swapped", lambda: _network(act="softmax", out_act="relu"), says="layer 1 uses softmax"),
        wrong("one layer", lambda: keras.Sequential([L.Dense(10, activation="softmax")]), says="1 Dense layer;"),
        wrong(
            "three layers",
            lambda: keras.Sequential(
                [L.Dense(512, activation="relu"), L.Dense(128, activation="relu"), L.Dense(10, activation="softmax")]
            ),
            says="3 Dense layers",
        ),
        wrong(
            "a Dropout layer",
            lambda: keras.Sequential(
                [L.Dense(512, activation="relu"), L.Dropout(0.2), L.Dense(10, activation="softmax")]
            ),
            says="Dropout",
        ),
        wrong("no bias", lambda: _network(use_bias=False), says="no bias"),
        wrong(
            "28x28 input",
            lambda: keras.Sequential(
                [keras.Input((28, 28)), L.Flatten(), L.Dense(512, activation="relu"), L.Dense(10, activation="softmax")]
            ),
            says="input shape",
        ),
        wrong(
            "a Dense that ignores its input",
            lambda: keras.Sequential([_Ignores(512, activation="relu"), L.Dense(10, activation="softmax")]),
            says="values are off",
        ),
        wrong("a string", lambda: "model", says="keras.Sequential"),
        wrong(
            "a list of layers",
            lambda: [L.Dense(512, activation="relu"), L.Dense(10, activation="softmax")],
            says="list",
        ),
        untouched(lambda: None),
    ],
    "q3": [
        right("strings", lambda: _compiled()),
        right(
            "objects",
            lambda: _compiled(
                optimizer=keras.optimizers.RMSprop(1e-4),
                loss=keras.losses.SparseCategoricalCrossentropy(),
                metrics=[keras.metrics.SparseCategoricalAccuracy()],
            ),
        ),
        right(
            "own loss function and a named metric",
            lambda: _compiled(
                optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
                loss=_my_loss,
                metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
            ),
        ),
        right(
            "loss function, 'acc'",
            lambda: _compiled(loss=keras.losses.sparse_categorical_crossentropy, metrics=["acc"]),
        ),
        right(
            "metric function, tuned RMSprop",
            lambda: _compiled(
                optimizer=keras.optimizers.RMSprop(learning_rate=0.01, rho=0.8),
                metrics=[keras.metrics.sparse_categorical_accuracy],
            ),
        ),
        right(
            "mean loss, metric by its full name",
            lambda: _compiled(loss=_mean_loss, metrics=["sparse_categorical_accuracy"]),
        ),
        right(
            "accuracy among other metrics",
            lambda: _compiled(metrics=[keras.metrics.SparseTopKCategoricalAccuracy(k=3), "accuracy"]),
        ),
        right("own accuracy function", lambda: _compiled(metrics=[_my_accuracy])),
        right("loss_weights of one", lambda: _compiled(loss_weights=1.0)),
        wrong("adam", lambda: _compiled(optimizer="adam"), says="RMSprop"),
        wrong("SGD object", lambda: _compiled(optimizer=keras.optimizers.SGD(0.01)), says="RMSprop"),
        wrong("SGD named RMSprop", lambda: _compiled(optimizer=RMSprop(0.01)), says="class of its own"),
        wrong("categorical cross-entropy", lambda: _compiled(loss="categorical_crossentropy"), says="one-hot"),
        wrong("mean squared error", lambda: _compiled(loss="mse"), says="integer class labels"),
        wrong(
            "from_logits",
            lambda: _compiled(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)),
            says="logits",
        ),
        wrong(
            "own loss wrapping the wrong function", lambda: _compiled(loss=_squared_one_hot), says="does not compute"
        ),
        wrong("a constant loss", lambda: _compiled(loss=_constant_loss), says="does not compute"),
        wrong("no metrics", lambda: _compiled(metrics=None), says="accuracy"),
        wrong(
            "Accuracy object (fit crashes)",
            lambda: _compiled(metrics=[keras.metrics.Accuracy()]),
            says="fit would crash",
        ),
        wrong("AUC (fit crashes)", lambda: _compiled(metrics=[keras.metrics.AUC()]), says="fit would crash"),
        wrong(
            "categorical accuracy",
            lambda: _compiled(metrics=[keras.metrics.CategoricalAccuracy()]),
            says="no metric computes the accuracy",
        ),
        wrong("mean absolute error as the metric", lambda: _compiled(metrics=["mae"]), says="metric"),
        wrong("a spray of constant metrics", _metric_spray, says="keep metrics to accuracy"),
        wrong(
            "four constant metrics",
            lambda: _metric_spray(sizes=[8]),
            says="no metric computes the accuracy",
        ),
        wrong("not a model", lambda: "model", says="not a Keras model"),
        wrong("metrics as the third positional argument", _metrics_in_loss_weights, says="loss_weights"),
        wrong(
            "metrics in loss_weights by name",
            lambda: _compiled(metrics=None, loss_weights=["accuracy"]),
            says="loss_weights",
        ),
        untouched(lambda: _network(), name="not compiled"),
        untouched(lambda: None),
    ],
    "q4": [
        right("the lab's fit", lambda: _trained("lab")),
        right("with the progress bar", lambda: _trained("progress bar")),
        right("tf.data pipelines", lambda: _trained("tf.data")),
        right("functional model", lambda: _trained("functional")),
        right("separate activation layers", lambda: _trained("layers")),
        right("the fit cell run twice", lambda: _trained("ran twice")),
        wrong("no validation_data", lambda: _trained("no validation"), says="no validation results"),
        wrong("0 epochs", lambda: _trained("0 epochs"), says="fit ran 0 epochs"),
        wrong("1 epoch", lambda: _trained("1 epoch"), says="fit ran 1 epoch"),
        wrong("shuffled labels", lambda: _trained("shuffled labels"), says="check the training labels"),
        wrong("training and validation parts swapped", lambda: _trained("swapped split"), says="x_train["),
        wrong("trained on all of x_train", lambda: _trained("all of x_train"), says="all of x_train"),
        wrong("batch size left at its default", lambda: _trained("default batch size"), says="batches of 32"),
        wrong("validation_split instead of the lab's part", lambda: _trained("validation split"), says="x_train["),
        wrong("validated on the test set", lambda: _trained("validated on the test set"), says="x_train[val_idx]"),
        wrong(
            "validated on the first 900 images",
            lambda: _trained("validation part unshuffled"),
            says="not those of the trained model",
        ),
        wrong("unscaled pixels", lambda: _trained("unscaled pixels"), says="check the preprocessing"),
        wrong("trained on 30 images", lambda: _trained("30 images"), says="x_train[fit_idx]"),
        wrong("history = fit(...).history", _with_history_dict, says="History object"),
        wrong("history of another model's fit", _history_of_another_model, says="another model"),
        wrong("fit's History not kept", _fit_not_kept, says="history is None"),
        wrong("predict answers from the held-out labels", _predict_from_labels, says="accuracy on 1,000 images"),
        wrong("memorised the notebook's test set", lambda: _unfit(_memoriser()), says="Exercise 2"),
        wrong(
            "a Dropout layer",
            lambda: _unfit(
                keras.Sequential(
                    [
                        keras.Input((784,)),
                        L.Dense(512, activation="relu"),
                        L.Dropout(0.2),
                        L.Dense(10, activation="softmax"),
                    ]
                )
            ),
            says="Dropout",
        ),
        wrong(
            "five outputs",
            lambda: _unfit(keras.Sequential([keras.Input((784,)), L.Dense(5, activation="softmax")])),
            says="Exercise 2",
        ),
        wrong("always the same digit", lambda: _unfit(ConstantDigit()), says="no Dense layers"),
        wrong("an object with predict", lambda: _unfit(_Predictor()), says="not a Keras model"),
        untouched(lambda: (_unbuilt(), None), name="compiled, never trained"),
        untouched(lambda: (_untrained(), None), name="compiled and evaluated, fit never ran"),
        untouched(lambda: (None, None)),
    ],
    "q5": [
        right("tape, gradients, apply_gradients", lambda: _step),
        right("loss object and trainable_variables", lambda: _step_loss_object),
        right("a tf.function", lambda: _step_compiled),
        right("cross-entropy by hand, optimizer.apply", lambda: _step_by_hand_loss),
        right("keras.ops", lambda: _step_ops),
        right("loss object, trainable_variables, zip", lambda: _step_variables_zip),
        wrong("uphill", lambda: _make_step(sign=-1.0), says="uphill"),
        wrong("no update", lambda: _make_step(apply=False), says="did not change"),
        wrong("loss after the update", lambda: _make_step(loss_after=True), says="after the update"),
        wrong("returns None", lambda: _make_step(returns="none"), says="returns None"),
        wrong("per-sample losses", lambda: _make_step(returns="per sample"), says="one number"),
        wrong("gradient of the summed loss", lambda: _make_step(reduce=tf.reduce_sum), says="after one step"),
        wrong("fixed learning rate by hand", lambda: _make_step(manual_lr=0.05), says="after one step"),
        wrong(
            "SGD by hand with the optimiser's rate",
            lambda: _make_step(manual_lr="optimizer's"),
            says="optimizer.apply_gradients",
        ),
        wrong(
            "last layer only",
            lambda: _make_step(variables=lambda model: model.layers[-1].trainable_weights),
            says="only some of the weights",
        ),
        wrong("returns a NumPy number", lambda: _make_step(returns="numpy"), says="tf.function"),
        wrong("hard-coded loss", lambda: _make_step(returns="constant"), says="not the mean"),
        wrong("a new optimiser every call", lambda: _step_new_optimiser, says="creates a variable"),
        wrong("a variable made on every call", lambda: _step_with_a_counter, says="creates a variable"),
        wrong("np.mean of the loss", lambda: _step_numpy_mean, says="hands a tensor to NumPy"),
        wrong("NumPy copies of the weights", lambda: _step_numpy_weights, says="NumPy array where"),
        wrong("gradients without their weights", lambda: _step_gradients_only, says="train_step fails"),
        untouched(lambda: _step_placeholder),
    ],
}
