"""Lab 06 answer set: a first neural network on MNIST."""

import functools

import keras
import numpy as np
import tensorflow as tf

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


# -- q4 trained models (each trained once, then reused) -------------------------------------------


def _prep(images):
    return images.reshape(len(images), 784).astype("float32") / 255


def _data():
    from labtools.datasets import load_mnist_subset

    (x, y), (xt, yt) = load_mnist_subset(hold_out=True)
    return _prep(x[:3000]), y[:3000], _prep(xt), yt


@functools.cache
def _trained(kind):
    keras.utils.set_random_seed(6)
    x, y, _, _ = _data()
    model = _functional() if kind == "functional adam" else _network()
    if kind == "functional adam":
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    else:
        model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    if kind == "lab":
        model.fit(x[900:], y[900:], epochs=3, batch_size=128, verbose=0)
        model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    elif kind == "tf.data":
        model.fit(tf.data.Dataset.from_tensor_slices((x, y)).shuffle(3000, seed=0).batch(64), epochs=3, verbose=0)
    elif kind == "functional adam":
        model.fit(x, y, epochs=3, batch_size=64, verbose=0)
    elif kind == "validation split":
        model.fit(x, y, epochs=4, batch_size=100, validation_split=0.2, verbose=0)
    elif kind == "raw pixels":
        model.fit(x * 255, y, epochs=3, batch_size=128, verbose=0)
    elif kind == "shuffled labels":
        model.fit(x, np.random.default_rng(0).permutation(y), epochs=2, batch_size=128, verbose=0)
    elif kind == "few images":
        model.fit(x[:30], y[:30], epochs=2, batch_size=10, verbose=0)
    return model


@functools.cache
def _hand_trained():
    keras.utils.set_random_seed(6)
    x, y, _, _ = _data()
    model = keras.Sequential([keras.Input((784,)), L.Dense(512, activation="relu"), L.Dense(10, activation="softmax")])
    optimizer = keras.optimizers.RMSprop(1e-3)
    step = tf.function(lambda xb, yb: _step(model, optimizer, xb, yb))
    for _ in range(3):
        for xb, yb in tf.data.Dataset.from_tensor_slices((x, y)).shuffle(3000, seed=1).batch(64):
            step(xb, yb)
    return model


def _memoriser():
    """The notebook's test images as a lookup table: a unit per image that fires only on that
    exact image, wired to its label. Perfect on the notebook's test set, blind elsewhere."""
    _, _, x_test, y_test = _data()
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


def _same_weights(model):
    """``model`` given the weights of the lab's trained model (the same network, written another way)."""
    source = [layer for layer in _trained("lab").layers if isinstance(layer, L.Dense)]
    if not model.built:
        model.build((None, 784))
    for layer, trained in zip([la for la in model.layers if isinstance(la, L.Dense)], source, strict=True):
        layer.set_weights(trained.get_weights())
    return model


def _predict_from_labels():
    """An untrained model (fit did nothing) whose predict answers the held-out images from their
    labels: the judge computes the predictions from the weights, so predict is never asked."""
    from labtools.datasets import mnist_held_out

    model = _untrained()
    model.optimizer.iterations.assign(50)  # steps were taken (with a zero rate, say), so it counts as trained
    images, labels = mnist_held_out()
    answers = {image.tobytes(): int(label) for image, label in zip(images, labels, strict=True)}
    real = model.predict

    def predict(x, *args, **kwargs):
        keys = [np.round(np.asarray(row) * 255).astype(np.uint8).tobytes() for row in np.asarray(x)]
        if all(k in answers for k in keys):
            return np.eye(10, dtype="float32")[[answers[k] for k in keys]]
        return real(x, *args, **kwargs)

    model.predict = predict
    model.fit = lambda *args, **kwargs: None
    return model


class _AnswersFromLabels(keras.Sequential):
    """The lab's network, untrained, whose call answers the held-out images from their labels."""

    def call(self, x, training=None, mask=None):
        from labtools.datasets import mnist_held_out

        images, labels = mnist_held_out()
        table = tf.constant(images.reshape(len(images), 784).astype("float32") / 255)
        match = tf.reduce_all(tf.abs(tf.expand_dims(x, 1) - table[None]) < 1e-3, axis=-1)
        found = tf.gather(tf.constant(labels.astype("int32")), tf.argmax(tf.cast(match, tf.int32), axis=1))
        return tf.one_hot(found, 10)


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
        untouched(lambda: _network(), name="not compiled"),
        untouched(lambda: None),
    ],
    "q4": [
        right("the lab's training", lambda: _trained("lab")),
        right("trained from a tf.data pipeline", lambda: _trained("tf.data")),
        right("functional model with Adam", lambda: _trained("functional adam")),
        right("with a validation split", lambda: _trained("validation split")),
        right("trained by a hand-written loop", _hand_trained),
        untouched(_untrained, name="compiled and evaluated, fit never ran"),
        right(
            "separate activation layers",
            lambda: _same_weights(keras.Sequential([L.Dense(512), L.ReLU(), L.Dense(10), L.Activation("softmax")])),
        ),
        right(
            "28x28 input and Flatten",
            lambda: _same_weights(
                keras.Sequential(
                    [
                        keras.Input((28, 28)),
                        L.Flatten(),
                        L.Dense(512, activation="relu"),
                        L.Dense(10, activation="softmax"),
                    ]
                )
            ),
        ),
        wrong("predict answers from the held-out labels", _predict_from_labels, says="accuracy on 1,000 images"),
        wrong(
            "call answers from the held-out labels",
            lambda: _AnswersFromLabels(
                [keras.Input((784,)), L.Dense(512, activation="relu"), L.Dense(10, activation="softmax")]
            ),
            says="accuracy on 1,000 images",
        ),
        wrong("memorised the notebook's test set", _memoriser, says="Exercise 2"),
        wrong(
            "a Dropout layer",
            lambda: _same_weights(
                keras.Sequential([L.Dense(512, activation="relu"), L.Dropout(0.2), L.Dense(10, activation="softmax")])
            ),
            says="Dropout",
        ),
        wrong("trained on unscaled pixels", lambda: _trained("raw pixels"), says="check the preprocessing"),
        wrong("trained on shuffled labels", lambda: _trained("shuffled labels"), says="accuracy"),
        wrong("trained on 30 images", lambda: _trained("few images"), says="train longer"),
        wrong(
            "five outputs",
            lambda: keras.Sequential([keras.Input((784,)), L.Dense(5, activation="softmax")]),
            says="Exercise 2",
        ),
        wrong("one output", lambda: keras.Sequential([keras.Input((784,)), L.Dense(1)]), says="Exercise 2"),
        wrong("always the same digit", lambda: ConstantDigit(), says="no Dense layers"),
        wrong("an object with predict", lambda: _Predictor(), says="not a Keras model"),
        untouched(_unbuilt, name="compiled, never trained"),
        untouched(lambda: None),
    ],
    "q5": [
        right("tape, gradients, apply_gradients", lambda: _step),
        right("loss object and trainable_variables", lambda: _step_loss_object),
        right("a tf.function", lambda: _step_compiled),
        right("cross-entropy by hand, optimizer.apply", lambda: _step_by_hand_loss),
        right("keras.ops", lambda: _step_ops),
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
        untouched(lambda: _step_placeholder),
    ],
}
