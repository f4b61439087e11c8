"""Lab 06 checks: right, wrong and untouched answers."""
import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from labcheck import assert_fail, assert_not_attempted, assert_pass  # noqa: E402

LAB = "06"
Dense = keras.layers.Dense


def untouched(*args):
    ...  # TODO: your code here


def mnist_model(compiled=True, loss="sparse_categorical_crossentropy", optimizer="rmsprop", metrics=("accuracy",)):
    model = keras.Sequential([Dense(512, activation="relu"), Dense(10, activation="softmax")])
    if compiled:
        model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics))
    return model


def test_q1_prepare():
    assert_pass(LAB, "q1", lambda im: im.reshape(len(im), -1).astype("float32") / 255)
    assert_fail(LAB, "q1", lambda im: im.reshape(len(im), -1) / 255, says="float32")
    assert_fail(LAB, "q1", lambda im: im.reshape(len(im), -1).astype("float32"), says="[0, 1]")
    assert_fail(LAB, "q1", lambda im: im.astype("float32") / 255, says="(7, 784)")
    assert_fail(LAB, "q1", lambda im: np.sort(im.reshape(len(im), -1), axis=1).astype("float32") / 255,
                says="values are off")
    assert_not_attempted(LAB, "q1", untouched)


def test_q2_architecture():
    assert_pass(LAB, "q2", mnist_model(compiled=False))
    assert_pass(LAB, "q2", keras.Sequential([keras.Input((784,)), Dense(512, activation="relu"),
                                             Dense(10, activation="softmax")]))
    assert_fail(LAB, "q2", keras.Sequential([Dense(256, activation="relu"), Dense(10, activation="softmax")]),
                says="256 units")
    assert_fail(LAB, "q2", keras.Sequential([Dense(512, activation="relu"), Dense(10)]), says="linear")
    assert_fail(LAB, "q2", keras.Sequential([Dense(10, activation="softmax")]), says="1 layers")
    assert_fail(LAB, "q2", "model", says="keras.Sequential")
    assert_not_attempted(LAB, "q2", None)


def test_q3_compile_settings_as_strings_or_objects():
    assert_pass(LAB, "q3", mnist_model())
    assert_pass(LAB, "q3", mnist_model(optimizer=keras.optimizers.RMSprop(1e-4),
                                       loss=keras.losses.SparseCategoricalCrossentropy(),
                                       metrics=[keras.metrics.SparseCategoricalAccuracy()]))
    assert_fail(LAB, "q3", mnist_model(optimizer="adam"), says="RMSprop")
    assert_fail(LAB, "q3", mnist_model(loss="categorical_crossentropy"), says="one-hot")
    assert_fail(LAB, "q3", mnist_model(loss="mse"), says="integer class labels")
    assert_fail(LAB, "q3", mnist_model(metrics=()), says="accuracy")
    assert_not_attempted(LAB, "q3", mnist_model(compiled=False))
    assert_not_attempted(LAB, "q3", None)


@pytest.fixture(scope="module")
def trained():
    from labtools.datasets import load_mnist_subset

    keras.utils.set_random_seed(0)
    (x, y), _ = load_mnist_subset()
    model = mnist_model()
    model.fit(x[:3000].reshape(-1, 784).astype("float32") / 255, y[:3000], epochs=3, batch_size=128, verbose=0)
    return model


def test_q4_accuracy_measured_by_the_checker(trained):
    assert_pass(LAB, "q4", trained)
    untrained = mnist_model()
    untrained.build((None, 784))
    assert_fail(LAB, "q4", untrained, says="test accuracy is")
    assert_not_attempted(LAB, "q4", mnist_model(compiled=False))
    assert_not_attempted(LAB, "q4", None)


def make_step(sign=1.0, return_loss=True, apply=True, loss_after=False):
    def train_step(model, optimizer, x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, model(x, training=True)))
        grads = tape.gradient(loss, model.trainable_weights)
        if apply:
            optimizer.apply_gradients([(sign * g, w) for g, w in zip(grads, model.trainable_weights)])
        if loss_after:
            loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, model(x)))
        return loss if return_loss else None

    return train_step


def test_q5_training_step_redone_in_numpy():
    assert_pass(LAB, "q5", make_step())
    assert_fail(LAB, "q5", make_step(sign=-1.0), says="uphill")
    assert_fail(LAB, "q5", make_step(apply=False), says="did not change")
    assert_fail(LAB, "q5", make_step(loss_after=True), says="before the update")
    assert_fail(LAB, "q5", make_step(return_loss=False), says="returns None")
    assert_not_attempted(LAB, "q5", untouched)
