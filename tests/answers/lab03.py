"""Lab 03 answer set: layers."""

import keras
import numpy as np
import tensorflow as tf

from . import right, untouched, wrong

Dense = keras.layers.Dense


def _built_dense():
    layer = Dense(32, activation="relu", use_bias=False, kernel_initializer="he_normal")
    layer.build((None, 5))
    return layer


# -- q2: custom layers ------------------------------------------------------------------------------


def custom_layer(
    kernel="W",
    bias=True,
    bias_first=False,
    bias_shape="flat",
    call=None,
    units=None,
    n_in=None,
    transposed=False,
    bias_trainable=True,
):
    """An OurDenseLayer a student writes; ``call(layer, x)`` is its forward pass."""

    def forward(layer, x):
        return tf.sigmoid(tf.matmul(x, layer.W) + layer.b)

    forward = call or forward

    class OurDenseLayer(keras.layers.Layer):
        forward_pass = staticmethod(forward)

        def __init__(self, n_output_nodes):
            super().__init__()
            self.n_output_nodes = n_output_nodes

        def build(self, input_shape):
            d = int(input_shape[-1]) if n_in is None else n_in
            n = self.n_output_nodes if units is None else units
            shape = (n, d) if transposed else (d, n)
            if bias and bias_first:
                self.b = self.add_weight(
                    shape=(1, n) if bias_shape == "row" else (n,), initializer="zeros", trainable=bias_trainable
                )
            self.W = self.add_weight(shape=shape, initializer="glorot_uniform", name=kernel)
            if bias and not bias_first:
                self.b = self.add_weight(
                    shape=(1, n) if bias_shape == "row" else (n,), initializer="zeros", trainable=bias_trainable
                )

        def call(self, x):
            return self.forward_pass(self, x)

    return OurDenseLayer


class KernelAndBias(keras.layers.Layer):
    """Different attribute names, random bias initialiser, keras.ops."""

    def __init__(self, n_output_nodes):
        super().__init__()
        self.units = n_output_nodes

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True, name="kernel"
        )
        self.bias = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True, name="bias")

    def call(self, inputs):
        return keras.ops.sigmoid(keras.ops.matmul(inputs, self.kernel) + self.bias)


class VariableLayer(keras.layers.Layer):
    """Weights as plain tf.Variable, which Keras 3 does not track."""

    def __init__(self, n_output_nodes):
        super().__init__()
        self.n = n_output_nodes

    def build(self, input_shape):
        self.W = tf.Variable(tf.random.normal((int(input_shape[-1]), self.n)))
        self.b = tf.Variable(tf.zeros((self.n,)))

    def call(self, x):
        return tf.sigmoid(x @ self.W + self.b)


class _BiasPerInput(keras.layers.Layer):
    def __init__(self, n_output_nodes):
        super().__init__()
        self.n = n_output_nodes

    def build(self, input_shape):
        self.W = self.add_weight(shape=(input_shape[-1], self.n))
        self.b = self.add_weight(shape=(input_shape[-1],), initializer="random_normal")

    def call(self, x):
        return tf.sigmoid(tf.matmul(x, self.W) + self.b)


class ForgotReturn(keras.layers.Layer):
    def __init__(self, n_output_nodes):
        super().__init__()
        self.n = n_output_nodes

    def build(self, input_shape):
        self.W = self.add_weight(shape=(int(input_shape[-1]), self.n))
        self.b = self.add_weight(shape=(self.n,))

    def call(self, x):
        y = tf.sigmoid(tf.matmul(x, self.W) + self.b)  # noqa: F841 - the mistake


class Placeholder(keras.layers.Layer):
    """The student notebook's untouched cell."""

    def __init__(self, n_output_nodes):
        super().__init__()
        self.n_output_nodes = n_output_nodes

    def build(self, input_shape):
        d = int(input_shape[-1])  # noqa: F841
        ...  # noqa: PIE790 - TODO: your code here

    def call(self, x): ...  # TODO: your code here


def _half(layer, x):
    """Zero weights and a constant 0.5: what sigmoid(x W + b) gives for zero weights."""
    return 0.5 * tf.ones([tf.shape(x)[0], layer.n_output_nodes])


# -- q3: models ---------------------------------------------------------------------------------


def _functional():
    inputs = keras.Input(shape=(784,))
    hidden = Dense(64, activation="relu")(inputs)
    return keras.Model(inputs, Dense(10, activation="softmax")(hidden))


def _added():
    model = keras.Sequential()
    model.add(Dense(64, activation="relu"))
    model.add(Dense(10, activation="softmax"))
    return model


def _built():
    model = keras.Sequential([Dense(64, activation="relu"), Dense(10, activation="softmax")])
    model.build((None, 20))
    return model


class _Subclassed(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = Dense(64, activation="relu")
        self.out = Dense(10, activation="softmax")

    def call(self, x):
        return self.out(self.hidden(x))


class _UniformDense(Dense):
    """A Dense in name only: it always answers 1/units."""

    def call(self, inputs):
        return tf.ones([tf.shape(inputs)[0], self.units]) / self.units


# -- q5: naive dense ----------------------------------------------------------------------------


def _no_body(x, W, b):
    return None  # TODO


RIGHT_COUNT = 784 * 64 + 64 + 64 * 10 + 10


def _counted():
    model = keras.Sequential([keras.Input((784,)), Dense(64), Dense(10)])
    return model


def _collapse_by_get_weights(first, second):
    (W1, b1), (W2, b2) = first.get_weights(), second.get_weights()
    return W1 @ W2, b1 @ W2 + b2


def _collapse_by_probing(first, second):
    """The single layer read off the stack: b is the output for x = 0, W the outputs for the unit
    vectors minus b."""
    d = first.kernel.shape[0]
    b = second(first(tf.zeros((1, d))))[0]
    W = second(first(tf.eye(d))) - b
    return W, b


def _collapse_untouched(first, second): ...  # TODO


CASES = {
    "q1": [
        right("string activation", lambda: Dense(32, activation="relu", use_bias=False)),
        right("tf.nn.relu", lambda: Dense(units=32, activation=tf.nn.relu, use_bias=False)),
        right("ReLU layer as activation", lambda: Dense(32, activation=keras.layers.ReLU(), use_bias=False)),
        right("positional arguments", lambda: Dense(32, "relu", False)),
        right(
            "tf.keras and keras.activations",
            lambda: tf.keras.layers.Dense(32, activation=keras.activations.relu, use_bias=False),
        ),
        right("with an initializer, already built", lambda: _built_dense()),
        wrong("16 units", lambda: Dense(16, activation="relu", use_bias=False), says="16 units"),
        wrong("sigmoid", lambda: Dense(32, activation="sigmoid", use_bias=False), says="sigmoid"),
        wrong("bias kept", lambda: Dense(32, activation="relu"), says="bias"),
        wrong("no activation", lambda: Dense(32, use_bias=False), says="linear"),
        wrong("leaky relu", lambda: Dense(32, activation=keras.layers.LeakyReLU(), use_bias=False), says="activation"),
        wrong("Conv1D", lambda: keras.layers.Conv1D(32, 3), says="keras.layers.Dense"),
        wrong("the class, not a layer", lambda: Dense, says="keras.layers.Dense"),
        wrong(
            "a Sequential around it",
            lambda: keras.Sequential([Dense(32, activation="relu", use_bias=False)]),
            says="keras.layers.Dense",
        ),
        wrong("a description string", lambda: "Dense(32, relu, no bias)", says="keras.layers.Dense"),
        wrong("relu6", lambda: Dense(32, activation=tf.nn.relu6, use_bias=False), says="near zero only"),
        wrong("relu6 by name", lambda: Dense(32, activation="relu6", use_bias=False), says="near zero only"),
        wrong(
            "ReLU layer with a cap",
            lambda: Dense(32, activation=keras.layers.ReLU(max_value=6.0), use_bias=False),
            says="near zero only",
        ),
        wrong(
            "relu with max_value 10",
            lambda: Dense(32, activation=lambda z: keras.activations.relu(z, max_value=10.0), use_bias=False),
            says="near zero only",
        ),
        wrong("one unit", lambda: Dense(1, activation="relu", use_bias=False), says="has 1 unit;"),
        wrong("elu", lambda: Dense(32, activation="elu", use_bias=False), says="activation"),
        wrong(
            "an activation of its own", lambda: Dense(32, activation=lambda z: z * 2.0, use_bias=False), says="its own"
        ),
        right("relu by hand", lambda: Dense(32, activation=lambda z: tf.maximum(z, 0.0), use_bias=False)),
        right(
            "Activation layer as activation",
            lambda: Dense(32, activation=keras.layers.Activation("relu"), use_bias=False),
        ),
        right("keras.activations.get", lambda: Dense(32, activation=keras.activations.get("relu"), use_bias=False)),
        untouched(lambda: None),
    ],
    "q2": [
        right("the notebook's solution", lambda: custom_layer()),
        right("bias of shape (1, units) created first", lambda: custom_layer(bias_first=True, bias_shape="row")),
        right(
            "row bias after the kernel, @ and tf.nn.sigmoid",
            lambda: custom_layer(bias_shape="row", call=lambda s, x: tf.nn.sigmoid(x @ s.W + s.b)),
        ),
        right("sigmoid by hand", lambda: custom_layer(call=lambda s, x: 1 / (1 + tf.exp(-(tf.matmul(x, s.W) + s.b))))),
        right("kernel/bias names, keras.ops, random bias init", lambda: KernelAndBias),
        right(
            "tf.math and tf.add",
            lambda: custom_layer(call=lambda s, x: tf.math.sigmoid(tf.add(tf.linalg.matmul(x, s.W), s.b))),
        ),
        right(
            "keras.activations.sigmoid",
            lambda: custom_layer(call=lambda s, x: keras.activations.sigmoid(tf.matmul(x, s.W) + s.b)),
        ),
        wrong("units hard-coded to 3", lambda: custom_layer(units=3), says="one column per unit"),
        wrong(
            "no activation", lambda: custom_layer(call=lambda s, x: tf.matmul(x, s.W) + s.b), says="apply the sigmoid"
        ),
        wrong("tanh", lambda: custom_layer(call=lambda s, x: tf.tanh(tf.matmul(x, s.W) + s.b)), says="values are off"),
        wrong(
            "relu", lambda: custom_layer(call=lambda s, x: tf.nn.relu(tf.matmul(x, s.W) + s.b)), says="values are off"
        ),
        wrong(
            "no bias weight",
            lambda: custom_layer(bias=False, call=lambda s, x: tf.sigmoid(tf.matmul(x, s.W))),
            says="no bias",
        ),
        wrong(
            "bias created but not used",
            lambda: custom_layer(call=lambda s, x: tf.sigmoid(tf.matmul(x, s.W))),
            says="ignores the bias",
        ),
        wrong(
            "bias added after the sigmoid",
            lambda: custom_layer(call=lambda s, x: tf.sigmoid(x @ s.W) + s.b),
            says="values are off",
        ),
        wrong("constant 0.5 (zero weights)", lambda: custom_layer(call=_half), says="values are off"),
        wrong(
            "transposed kernel",
            lambda: custom_layer(
                transposed=True, call=lambda s, x: tf.sigmoid(tf.matmul(x, s.W, transpose_b=True) + s.b)
            ),
            says="transposed",
        ),
        wrong("input size hard-coded to 2", lambda: custom_layer(n_in=2), says="input_shape[-1]"),
        wrong("keras.layers.Dense itself", lambda: Dense, says="apply the sigmoid"),
        wrong("bias with one value per input feature", lambda: _BiasPerInput, says="no bias"),
        wrong("tf.Variable weights", lambda: VariableLayer, says="no trainable weights"),
        wrong("non-trainable bias", lambda: custom_layer(bias_trainable=False), says="no bias"),
        wrong("forgot to return", lambda: ForgotReturn, says="returns None"),
        wrong("not a layer class", lambda: dict, says="subclasses keras.layers.Layer"),
        wrong("an instance, not the class", lambda: custom_layer()(3), says="subclasses keras.layers.Layer"),
        untouched(lambda: Placeholder),
        untouched(lambda: None, name="None"),
    ],
    "q3": [
        right(
            "list of layers", lambda: keras.Sequential([Dense(64, activation="relu"), Dense(10, activation="softmax")])
        ),
        right(".add", _added),
        right(
            "keras.Input first",
            lambda: keras.Sequential(
                [keras.Input((784,)), Dense(64, activation="relu"), Dense(10, activation="softmax")]
            ),
        ),
        right(
            "activation objects",
            lambda: keras.Sequential([Dense(64, activation=keras.layers.ReLU()), Dense(10, activation=tf.nn.softmax)]),
        ),
        right("functional API", _functional),
        right(
            "activation layers",
            lambda: keras.Sequential([Dense(64), keras.layers.ReLU(), Dense(10), keras.layers.Activation("softmax")]),
        ),
        right(
            "image input and Flatten",
            lambda: keras.Sequential(
                [
                    keras.Input((28, 28)),
                    keras.layers.Flatten(),
                    Dense(64, activation="relu"),
                    Dense(10, activation="softmax"),
                ]
            ),
        ),
        right("already built", _built),
        right(
            "input_shape argument",
            lambda: keras.Sequential(
                [Dense(64, activation="relu", input_shape=(784,)), Dense(10, activation=keras.activations.softmax)]
            ),
        ),
        wrong("one layer", lambda: keras.Sequential([Dense(64, activation="relu")]), says="1 Dense layer"),
        wrong("linear output", lambda: keras.Sequential([Dense(64, activation="relu"), Dense(10)]), says="linear"),
        wrong(
            "32 units",
            lambda: keras.Sequential([Dense(32, activation="relu"), Dense(10, activation="softmax")]),
            says="32 units",
        ),
        wrong(
            "relu output",
            lambda: keras.Sequential([Dense(64, activation="relu"), Dense(10, activation="relu")]),
            says="layer 2 uses the relu",
        ),
        wrong(
            "sigmoid hidden",
            lambda: keras.Sequential([Dense(64, activation="sigmoid"), Dense(10, activation="softmax")]),
            says="sigmoid",
        ),
        wrong(
            "swapped order",
            lambda: keras.Sequential([Dense(10, activation="softmax"), Dense(64, activation="relu")]),
            says="layer 1 has 10 units",
        ),
        wrong(
            "extra Dropout",
            lambda: keras.Sequential(
                [Dense(64, activation="relu"), keras.layers.Dropout(0.2), Dense(10, activation="softmax")]
            ),
            says="Dropout",
        ),
        wrong("a Dense layer", lambda: Dense(10), says="keras.Sequential"),
        wrong(
            "a list of layers",
            lambda: [Dense(64, activation="relu"), Dense(10, activation="softmax")],
            says="keras.Sequential",
        ),
        wrong("subclassed model", lambda: _Subclassed(), says="subclassed"),
        wrong(
            "relu6 hidden layer",
            lambda: keras.Sequential([Dense(64, activation=tf.nn.relu6), Dense(10, activation="softmax")]),
            says="near zero only",
        ),
        wrong(
            "capped ReLU layer",
            lambda: keras.Sequential([Dense(64), keras.layers.ReLU(max_value=6.0), Dense(10, activation="softmax")]),
            says="near zero only",
        ),
        wrong(
            "no layers at all",
            lambda: keras.Sequential([]),
            says="0 Dense layers",
        ),
        wrong(
            "one output unit",
            lambda: keras.Sequential([Dense(64, activation="relu"), Dense(1, activation="softmax")]),
            says="layer 2 has 1 unit;",
        ),
        right(
            "relu by hand",
            lambda: keras.Sequential(
                [Dense(64, activation=lambda z: tf.maximum(z, 0.0)), Dense(10, activation="softmax")]
            ),
        ),
        wrong(
            "a Dense that ignores its input",
            lambda: keras.Sequential([Dense(64, activation="relu"), _UniformDense(10, activation="softmax")]),
            says="values are off",
        ),
        untouched(lambda: None),
    ],
    "q4": [
        right("typed in", lambda: 50890),
        right("arithmetic", lambda: 784 * 64 + 64 + 64 * 10 + 10),
        right("count_params()", lambda: _counted().count_params()),
        right("numpy integer", lambda: np.int64(RIGHT_COUNT)),
        right("sum of tf.size", lambda: sum(tf.size(w) for w in _counted().trainable_weights)),
        right("sum of np.prod", lambda: sum(int(np.prod(w.shape)) for w in _counted().trainable_weights)),
        wrong("kernels only", lambda: 784 * 64 + 64 * 10, says="kernels only"),
        wrong("first layer only", lambda: 784 * 64 + 64, says="one layer"),
        wrong("one bias missing", lambda: 784 * 64 + 64 + 64 * 10, says="not the number"),
        wrong("a string", lambda: "50890", says="str"),
        wrong("a float", lambda: 50890.0, says="float"),
        wrong("a list per layer", lambda: [50240, 650], says="list"),
        wrong("a bool", lambda: True, says="bool"),
        wrong("per-unit guess", lambda: 784 + 64 + 10, says="not the number"),
        untouched(lambda: None),
    ],
    "q5": [
        right("tf.nn.relu and tf.matmul", lambda: lambda x, W, b: tf.nn.relu(tf.matmul(x, W) + b)),
        right("tf.maximum and @", lambda: lambda x, W, b: tf.maximum(x @ W + b, 0.0)),
        right("bias_add", lambda: lambda x, W, b: tf.nn.relu(tf.nn.bias_add(tf.matmul(x, W), b))),
        right("keras.activations.relu", lambda: lambda x, W, b: keras.activations.relu(tf.matmul(x, W) + b)),
        right("einsum", lambda: lambda x, W, b: tf.nn.relu(tf.einsum("ni,iu->nu", x, W) + b)),
        right("keras.ops", lambda: lambda x, W, b: keras.ops.relu(keras.ops.matmul(x, W) + b)),
        wrong("no relu", lambda: lambda x, W, b: tf.matmul(x, W) + b, says="relu"),
        wrong("no bias", lambda: lambda x, W, b: tf.nn.relu(tf.matmul(x, W)), says="ignores the bias"),
        wrong("relu before the bias", lambda: lambda x, W, b: tf.nn.relu(tf.matmul(x, W)) + b, says="values are off"),
        wrong("transposed output", lambda: lambda x, W, b: tf.transpose(tf.nn.relu(x @ W + b)), says="shape"),
        wrong(
            "numpy result",
            lambda: lambda x, W, b: np.maximum(np.asarray(x) @ np.asarray(W) + np.asarray(b), 0),
            says="not a tf.Tensor",
        ),
        wrong("sigmoid", lambda: lambda x, W, b: tf.sigmoid(x @ W + b), says="values are off"),
        wrong(
            "integer result", lambda: lambda x, W, b: tf.cast(tf.nn.relu(x @ W + b), tf.int32), says="floating-point"
        ),
        wrong("fixed-shape constant", lambda: lambda x, W, b: tf.zeros([3, 2]), says="shape"),
        wrong("element-wise product", lambda: lambda x, W, b: tf.nn.relu(x * W + b), says="raised"),
        wrong("relu6", lambda: lambda x, W, b: tf.nn.relu6(tf.matmul(x, W) + b), says="values are off"),
        wrong("bias subtracted", lambda: lambda x, W, b: tf.nn.relu(x @ W - b), says="values are off"),
        wrong("absolute value", lambda: lambda x, W, b: tf.abs(x @ W + b), says="values are off"),
        wrong("leaky relu", lambda: lambda x, W, b: tf.nn.leaky_relu(x @ W + b), says="values are off"),
        right("keras.layers.ReLU()", lambda: lambda x, W, b: keras.layers.ReLU()(tf.matmul(x, W) + b)),
        right("tf.add and tf.linalg.matmul", lambda: lambda x, W, b: tf.nn.relu(tf.add(tf.linalg.matmul(x, W), b))),
        untouched(lambda: _no_body),
    ],
    "q6": [
        right(
            "@ and matvec",
            lambda: lambda f, s: (f.kernel @ s.kernel, tf.linalg.matvec(s.kernel, f.bias, transpose_a=True) + s.bias),
        ),
        right(
            "tf.matmul with a row bias",
            lambda: lambda f, s: (tf.matmul(f.kernel, s.kernel), tf.matmul(f.bias[None, :], s.kernel)[0] + s.bias),
        ),
        right(
            "numpy arrays",
            lambda: (
                lambda f, s: (
                    np.asarray(f.kernel) @ np.asarray(s.kernel),
                    np.asarray(f.bias) @ np.asarray(s.kernel) + np.asarray(s.bias),
                )
            ),
        ),
        right("get_weights", lambda: _collapse_by_get_weights),
        right(
            "a (1, k) bias", lambda: lambda f, s: (f.kernel @ s.kernel, tf.reshape(f.bias, (1, -1)) @ s.kernel + s.bias)
        ),
        right("by probing: the layers on zeros and the identity", lambda: _collapse_by_probing),
        right(
            "einsum",
            lambda: (
                lambda f, s: (
                    tf.einsum("dh,hk->dk", f.kernel, s.kernel),
                    tf.einsum("h,hk->k", f.bias, s.kernel) + s.bias,
                )
            ),
        ),
        wrong(
            "math order W2 W1",
            lambda: lambda f, s: (tf.transpose(s.kernel) @ tf.transpose(f.kernel), f.bias @ s.kernel + s.bias),
            says="transposed",
        ),
        wrong("only the second bias", lambda: lambda f, s: (f.kernel @ s.kernel, s.bias), says="second layer's bias"),
        wrong(
            "biases added",
            lambda: lambda f, s: (f.kernel @ s.kernel, tf.reduce_sum(f.bias) + s.bias),
            says="values are off",
        ),
        wrong(
            "second bias folded into W",
            lambda: lambda f, s: (f.kernel @ (s.kernel + s.bias), f.bias @ s.kernel + s.bias),
            says="not the kernel",
        ),
        wrong(
            "kernel of the first layer only", lambda: lambda f, s: (f.kernel, f.bias @ s.kernel + s.bias), says="shape"
        ),
        wrong(
            "bias through W2 twice",
            lambda: lambda f, s: (f.kernel @ s.kernel, (f.bias @ s.kernel + s.bias) * 2),
            says="values are off",
        ),
        wrong("one value, not a pair", lambda: lambda f, s: f.kernel @ s.kernel, says="two values"),
        wrong("the layers themselves", lambda: lambda f, s: (f, s), says="not a tf.Tensor"),
        wrong(
            "second bias left out",
            lambda: lambda f, s: (f.kernel @ s.kernel, tf.linalg.matvec(s.kernel, f.bias, transpose_a=True)),
            says="values are off",
        ),
        wrong(
            "first bias not through W2",
            lambda: lambda f, s: (f.kernel @ s.kernel, tf.reduce_sum(f.bias) * tf.ones_like(s.bias) + s.bias),
            says="values are off",
        ),
        right(
            "get_weights and numpy @",
            lambda: (
                lambda f, s: (
                    f.get_weights()[0] @ s.get_weights()[0],
                    f.get_weights()[1] @ s.get_weights()[0] + s.get_weights()[1],
                )
            ),
        ),
        untouched(lambda: _collapse_untouched),
    ],
}
