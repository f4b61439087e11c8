"""Lab 04 answer set: models by subclassing."""

import keras
import tensorflow as tf

from . import right, untouched, wrong

Dense = keras.layers.Dense


# -- q1: SubclassModel ------------------------------------------------------------------------------


def subclass_model(make_layers, forward):
    """A SubclassModel: ``make_layers(n)`` returns the layers stored on the model, ``forward(model, x)``
    its call()."""

    class SubclassModel(keras.Model):
        forward_pass = staticmethod(forward)

        def __init__(self, n_output_nodes):
            super().__init__()
            self.parts = make_layers(n_output_nodes)

        def call(self, inputs):
            return self.forward_pass(self, inputs)

    return SubclassModel


def _through(model, x):
    for layer in model.parts:
        x = layer(x)
    return x


def sequence(*makers):
    """A SubclassModel whose call() runs the layers made by ``makers`` one after the other."""
    return subclass_model(lambda n: [make(n) for make in makers], _through)


class Solution(keras.Model):
    def __init__(self, n_output_nodes):
        super().__init__()
        self.dense_layer = keras.layers.Dense(n_output_nodes, activation="sigmoid")

    def call(self, inputs):
        return self.dense_layer(inputs)


class WithTraining(keras.Model):
    def __init__(self, n_output_nodes):
        super().__init__()
        self.d = Dense(units=n_output_nodes, activation=keras.activations.sigmoid)

    def call(self, inputs, training=None):
        return self.d(inputs, training=training)


class ForgotReturn(keras.Model):
    def __init__(self, n_output_nodes):
        super().__init__()
        self.dense_layer = Dense(n_output_nodes, activation="sigmoid")

    def call(self, inputs):
        self.dense_layer(inputs)


class InitLeftOut(keras.Model):
    def __init__(self, n_output_nodes):
        super().__init__()
        self.dense_layer = None  # TODO

    def call(self, inputs):
        return self.dense_layer(inputs)


class DenseInCall(keras.Model):
    """The Dense layer made afresh in every call: its weights are never the model's own."""

    def __init__(self, n_output_nodes):
        super().__init__()
        self.n = n_output_nodes

    def call(self, inputs):
        return Dense(self.n, activation="sigmoid")(inputs)


class OwnWeights(keras.Model):
    """sigmoid(x W + b) with weights of its own instead of a Dense layer."""

    def __init__(self, n_output_nodes):
        super().__init__()
        self.n = n_output_nodes

    def build(self, input_shape):
        self.W = self.add_weight(shape=(int(input_shape[-1]), self.n))
        self.b = self.add_weight(shape=(self.n,))

    def call(self, inputs):
        return tf.sigmoid(inputs @ self.W + self.b)


class NestedSequential(keras.Model):
    """The Dense layer inside a Sequential block."""

    def __init__(self, n_output_nodes):
        super().__init__()
        self.block = keras.Sequential([Dense(n_output_nodes, activation="sigmoid")])

    def call(self, inputs):
        return self.block(inputs)


class Placeholder(keras.Model):
    """The student notebook's untouched cell."""

    def __init__(self, n_output_nodes):
        super().__init__()
        self.dense_layer = None  # TODO

    def call(self, inputs):
        return None  # TODO


# -- q2: IdentityModel -----------------------------------------------------------------------------


def identity_model(forward):
    """The notebook's IdentityModel with ``forward(model, inputs, isidentity)`` as its call()."""

    class IdentityModel(keras.Model):
        forward_pass = staticmethod(forward)

        def __init__(self, n_output_nodes):
            super().__init__()
            self.dense_layer = keras.layers.Dense(n_output_nodes, activation="sigmoid")

        def call(self, inputs, isidentity=False):
            return self.forward_pass(self, inputs, isidentity)

    return IdentityModel


class IdentitySolution(Solution):
    def call(self, inputs, isidentity=False):
        if isidentity:
            return inputs
        return self.dense_layer(inputs)


class IdentityKwargs(Solution):
    def call(self, inputs, **kwargs):
        if kwargs.get("isidentity", False):
            return inputs
        return self.dense_layer(inputs)


class IdentityTraining(Solution):
    def call(self, inputs, isidentity=False, training=None):
        return tf.identity(inputs) if isidentity else self.dense_layer(inputs, training=training)


class IdentityDefaultTrue(Solution):
    def call(self, inputs, isidentity=True):
        if isidentity:
            return inputs
        return self.dense_layer(inputs)


class IdentityKeywordOnly(Solution):
    def call(self, inputs, *, isidentity=False):
        return inputs if isidentity else self.dense_layer(inputs)


class NoFlag(Solution):
    pass


class IdentityPlaceholder(keras.Model):
    def __init__(self, n_output_nodes):
        super().__init__()
        self.dense_layer = keras.layers.Dense(n_output_nodes, activation="sigmoid")

    def call(self, inputs, isidentity=False): ...


# -- q3: functional_model ---------------------------------------------------------------------------


def functional(*layers, shape=(2,), wrap=False):
    inputs = keras.Input(shape=shape)
    x = inputs
    for layer in layers:
        x = layer(x)
    return keras.Model([inputs], [x]) if wrap else keras.Model(inputs=inputs, outputs=x)


def _two_inputs():
    a, b = keras.Input(shape=(2,)), keras.Input(shape=(2,))
    return keras.Model([a, b], Dense(3, activation="sigmoid")(keras.layers.Add()([a, b])))


def _layers_input():
    inputs = keras.layers.Input(shape=(2,))
    return keras.Model(inputs=inputs, outputs=Dense(3, activation="sigmoid")(inputs))


def _batch_shape():
    inputs = keras.Input(batch_shape=(None, 2), name="features")
    return keras.Model(inputs, Dense(3, activation="sigmoid", name="out")(inputs))


# -- q4: api_choice ---------------------------------------------------------------------------------

RIGHT = {"stack": "sequential", "two_inputs": "functional", "data_loop": "subclassing", "plot_graph": "functional"}


CASES = {
    "q1": [
        right("the notebook's solution", lambda: Solution),
        right("tf.nn.sigmoid", lambda: sequence(lambda n: Dense(n, activation=tf.nn.sigmoid))),
        right(
            "linear Dense and tf.sigmoid in call",
            lambda: subclass_model(lambda n: Dense(n), lambda m, x: tf.sigmoid(m.parts(x))),
        ),
        right("Activation layer", lambda: sequence(lambda n: Dense(n), lambda n: keras.layers.Activation("sigmoid"))),
        right("keyword units, training argument", lambda: WithTraining),
        right(
            "sigmoid by hand", lambda: subclass_model(lambda n: Dense(n), lambda m, x: 1 / (1 + tf.exp(-m.parts(x))))
        ),
        wrong(
            "units hard-coded to 3",
            lambda: sequence(lambda n: Dense(3, activation="sigmoid")),
            says="one column per unit",
        ),
        wrong("no activation", lambda: sequence(lambda n: Dense(n)), says="apply the sigmoid"),
        wrong("relu", lambda: sequence(lambda n: Dense(n, activation="relu")), says="values are off"),
        wrong("softmax", lambda: sequence(lambda n: Dense(n, activation="softmax")), says="values are off"),
        wrong("no bias", lambda: sequence(lambda n: Dense(n, activation="sigmoid", use_bias=False)), says="no bias"),
        wrong(
            "Dense never used",
            lambda: subclass_model(lambda n: Dense(n, activation="sigmoid"), lambda m, x: x),
            says="no trainable weights",
        ),
        wrong(
            "constant 0.5",
            lambda: subclass_model(lambda n: Dense(n, activation="sigmoid"), lambda m, x: 0 * m.parts(x) + 0.5),
            says="values are off",
        ),
        wrong(
            "two Dense layers",
            lambda: sequence(lambda n: Dense(n), lambda n: Dense(n, activation="sigmoid")),
            says="values are off",
        ),
        wrong("forgot to return", lambda: ForgotReturn, says="returns None"),
        wrong("__init__ left as None", lambda: InitLeftOut, says="not callable"),
        wrong("a layer class, not a model", lambda: Dense, says="subclasses keras.Model"),
        wrong("an instance", lambda: Solution(3), says="subclasses keras.Model"),
        wrong("Dense made in call()", lambda: DenseInCall, says="SubclassModel("),
        wrong("hard sigmoid", lambda: sequence(lambda n: Dense(n, activation="hard_sigmoid")), says="values are off"),
        wrong("tanh", lambda: sequence(lambda n: Dense(n, activation="tanh")), says="values are off"),
        right("named layer", lambda: sequence(lambda n: Dense(n, activation="sigmoid", name="out"))),
        right("the Dense layer inside a Sequential", lambda: NestedSequential),
        wrong("weights of its own, no Dense layer", lambda: OwnWeights, says="no Dense layer"),
        untouched(lambda: Placeholder),
        untouched(lambda: None, name="None"),
    ],
    "q2": [
        right("the notebook's solution", lambda: IdentitySolution),
        right("conditional expression", lambda: identity_model(lambda m, x, flag: x if flag else m.dense_layer(x))),
        right("negated test", lambda: identity_model(lambda m, x, flag: m.dense_layer(x) if not flag else x)),
        right("tf.identity and training", lambda: IdentityTraining),
        right("**kwargs", lambda: IdentityKwargs),
        right("compare with True", lambda: identity_model(lambda m, x, flag: x if flag is True else m.dense_layer(x))),
        wrong("flag ignored", lambda: identity_model(lambda m, x, flag: m.dense_layer(x)), says="unchanged"),
        wrong("always identity", lambda: identity_model(lambda m, x, flag: x), says="no trainable weights"),
        wrong("no isidentity argument", lambda: NoFlag, says="isidentity"),
        wrong("default True", lambda: IdentityDefaultTrue, says="isidentity=False"),
        wrong(
            "reversed",
            lambda: identity_model(lambda m, x, flag: m.dense_layer(x) if flag else x),
            says="no trainable weights",
        ),
        wrong(
            "zeros for identity",
            lambda: identity_model(lambda m, x, flag: tf.zeros_like(x) if flag else m.dense_layer(x)),
            says="unchanged",
        ),
        wrong(
            "doubled inputs",
            lambda: identity_model(lambda m, x, flag: 2 * x if flag else m.dense_layer(x)),
            says="unchanged",
        ),
        wrong(
            "sigmoid applied twice",
            lambda: identity_model(lambda m, x, flag: x if flag else tf.sigmoid(m.dense_layer(x))),
            says="values are off",
        ),
        wrong("not a model class", lambda: "IdentityModel", says="subclasses keras.Model"),
        wrong(
            "transposed for identity",
            lambda: identity_model(lambda m, x, flag: tf.transpose(x) if flag else m.dense_layer(x)),
            says="unchanged",
        ),
        wrong(
            "identity through a relu",
            lambda: identity_model(lambda m, x, flag: tf.nn.relu(x) if flag else m.dense_layer(x)),
            says="unchanged",
        ),
        right("keyword-only isidentity", lambda: IdentityKeywordOnly),
        untouched(lambda: IdentityPlaceholder),
    ],
    "q3": [
        right("the notebook's solution", lambda: functional(Dense(3, activation="sigmoid"))),
        right("positional and lists", lambda: functional(Dense(3, activation="sigmoid"), wrap=True)),
        right("Activation layer", lambda: functional(Dense(3), keras.layers.Activation("sigmoid"))),
        right("tf.nn.sigmoid", lambda: functional(Dense(3, activation=tf.nn.sigmoid))),
        right("shape as a list", lambda: functional(Dense(units=3, activation=keras.activations.sigmoid), shape=[2])),
        right("batch_shape and names", _batch_shape),
        wrong("linear", lambda: functional(Dense(3)), says="apply the sigmoid"),
        wrong("4 units", lambda: functional(Dense(4, activation="sigmoid")), says="one column per unit"),
        wrong("5 input features", lambda: functional(Dense(3, activation="sigmoid"), shape=(5,)), says="(5,)"),
        wrong(
            "Sequential",
            lambda: keras.Sequential([keras.Input((2,)), Dense(3, activation="sigmoid")]),
            says="keras.Sequential",
        ),
        wrong("a subclassed model", lambda: Solution(3), says="subclassed"),
        wrong("a Dense layer", lambda: Dense(3, activation="sigmoid"), says="keras.Model(inputs, outputs)"),
        wrong("the output tensor", lambda: Dense(3, activation="sigmoid")(keras.Input((2,))), says="symbolic output"),
        wrong(
            "a sequence of 2-feature steps",
            lambda: functional(Dense(3, activation="sigmoid"), shape=(None, 2)),
            says="(None, 2)",
        ),
        wrong("tanh", lambda: functional(Dense(3, activation="tanh")), says="values are off"),
        right("keras.layers.Input", lambda: _layers_input()),
        wrong("relu", lambda: functional(Dense(3, activation="relu")), says="values are off"),
        wrong("no bias", lambda: functional(Dense(3, activation="sigmoid", use_bias=False)), says="no bias"),
        wrong("two Dense layers", lambda: functional(Dense(3), Dense(3, activation="sigmoid")), says="values are off"),
        wrong("two inputs", _two_inputs, says="2 inputs"),
        untouched(lambda: None),
    ],
    "q4": [
        right("the table's words", lambda: dict(RIGHT)),
        right("capitalised", lambda: {k: v.capitalize() for k, v in RIGHT.items()}),
        right("spaces around", lambda: {k: f" {v} " for k, v in RIGHT.items()}),
        right(
            "API names",
            lambda: {
                "stack": "keras.Sequential",
                "two_inputs": "functional API",
                "data_loop": "Subclass",
                "plot_graph": "Functional API",
            },
        ),
        right("an extra note kept", lambda: {**RIGHT, "note": "simplest first"}),
        right("upper case", lambda: {k: v.upper() for k, v in RIGHT.items()}),
        wrong("one wrong", lambda: {**RIGHT, "data_loop": "functional"}, says="1 of the 4 choices is wrong"),
        wrong(
            "two wrong",
            lambda: {**RIGHT, "stack": "functional", "plot_graph": "sequential"},
            says="2 of the 4 choices are wrong",
        ),
        wrong("functional everywhere", lambda: {k: "functional" for k in RIGHT}, says="are wrong"),
        wrong(
            "all wrong",
            lambda: {
                "stack": "functional",
                "two_inputs": "sequential",
                "data_loop": "functional",
                "plot_graph": "subclassing",
            },
            says="all 4 choices are wrong",
        ),
        wrong("not a choice", lambda: {**RIGHT, "stack": "keras"}, says="not one of"),
        wrong("lost a key", lambda: {"stack": "sequential"}, says="keep all four"),
        wrong("one left None", lambda: {**RIGHT, "plot_graph": None}, says="still None"),
        wrong("a list", lambda: list(RIGHT.values()), says="dict"),
        wrong("classes, not strings", lambda: {**RIGHT, "stack": keras.Sequential}, says="one of the strings"),
        wrong("a class", lambda: {**RIGHT, "data_loop": keras.Model}, says="is a class;"),
        wrong("subclassing for the two inputs", lambda: {**RIGHT, "two_inputs": "subclassing"}, says="1 of the 4"),
        untouched(lambda: {k: None for k in RIGHT}),
    ],
}
