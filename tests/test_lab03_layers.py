"""Lab 03 checks: right, wrong and untouched answers."""
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from labcheck import assert_fail, assert_not_attempted, assert_pass  # noqa: E402

LAB = "03"
Dense = keras.layers.Dense


def test_q1_dense_arguments():
    assert_pass(LAB, "q1", Dense(32, activation="relu", use_bias=False))
    assert_fail(LAB, "q1", Dense(16, activation="relu", use_bias=False), says="16 units")
    assert_fail(LAB, "q1", Dense(32, activation="sigmoid", use_bias=False), says="sigmoid")
    assert_fail(LAB, "q1", Dense(32, activation="relu"), says="bias")
    assert_fail(LAB, "q1", keras.layers.Conv1D(32, 3), says="keras.layers.Dense")
    assert_not_attempted(LAB, "q1", None)


def make_layer(activation=tf.sigmoid, w_shape=lambda d, n: (d, n), call_none=False):
    class Layer(keras.layers.Layer):
        def __init__(self, n):
            super().__init__()
            self.n = n

        def build(self, input_shape):
            d = int(input_shape[-1])
            shape = w_shape(d, self.n)
            self.W = self.add_weight(shape=shape, initializer="glorot_uniform")
            self.b = self.add_weight(shape=(1, shape[1]), initializer="random_normal")

        def call(self, x):
            if call_none:
                return None
            return activation(tf.matmul(x, self.W) + self.b)

    return Layer


def test_q2_custom_layer_checked_against_its_own_weights():
    assert_pass(LAB, "q2", make_layer())
    assert_fail(LAB, "q2", make_layer(activation=lambda z: z), says="apply the sigmoid")
    assert_fail(LAB, "q2", make_layer(activation=tf.tanh), says="values are off")
    assert_fail(LAB, "q2", make_layer(w_shape=lambda d, n: (d, n + 1)), says="(2, 3)")
    assert_fail(LAB, "q2", Dense, says="apply the sigmoid")  # keras.layers.Dense(3) is linear
    assert_fail(LAB, "q2", dict, says="subclasses keras.layers.Layer")
    assert_not_attempted(LAB, "q2", make_layer(call_none=True))
    assert_not_attempted(LAB, "q2", None)


def test_q3_sequential():
    good = keras.Sequential([Dense(64, activation="relu"), Dense(10, activation="softmax")])
    assert_pass(LAB, "q3", good)
    added = keras.Sequential()
    added.add(Dense(64, activation="relu"))
    added.add(Dense(10, activation="softmax"))
    assert_pass(LAB, "q3", added)
    assert_fail(LAB, "q3", keras.Sequential([Dense(64, activation="relu")]), says="1 layer")
    assert_fail(LAB, "q3", keras.Sequential([Dense(64, activation="relu"), Dense(10)]), says="linear")
    assert_fail(LAB, "q3", keras.Sequential([Dense(32, activation="relu"), Dense(10, activation="softmax")]),
                says="32 units")
    assert_fail(LAB, "q3", Dense(10), says="keras.Sequential")
    assert_not_attempted(LAB, "q3", None)


def test_q4_parameter_count():
    right = keras.Sequential([keras.Input((784,)), Dense(64), Dense(10)]).count_params()
    assert_pass(LAB, "q4", right)
    assert_fail(LAB, "q4", 784 * 64 + 64 * 10, says="bias")
    assert_fail(LAB, "q4", 1234, says="not the number")
    assert_fail(LAB, "q4", "many", says="whole number")
    assert_not_attempted(LAB, "q4", None)


def test_q5_naive_dense():
    assert_pass(LAB, "q5", lambda x, W, b: tf.nn.relu(x @ W + b))
    assert_fail(LAB, "q5", lambda x, W, b: x @ W + b, says="relu")
    assert_fail(LAB, "q5", lambda x, W, b: tf.nn.relu(x @ W), says="values are off")
    assert_fail(LAB, "q5", lambda x, W, b: tf.nn.relu(tf.transpose(x @ W + b)), says="shape")
    assert_not_attempted(LAB, "q5", lambda x, W, b: None)
