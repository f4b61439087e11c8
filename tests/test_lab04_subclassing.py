"""Lab 04 checks: right, wrong and untouched answers."""
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from labcheck import assert_fail, assert_not_attempted, assert_pass  # noqa: E402

LAB = "04"
Dense = keras.layers.Dense


def model_class(activation="sigmoid", identity=None, returns_none=False):
    class M(keras.Model):
        def __init__(self, n):
            super().__init__()
            self.dense_layer = Dense(n, activation=activation)

        def call(self, inputs, isidentity=False):
            if returns_none:
                return None
            if identity == "always" or (identity == "flag" and isidentity):
                return inputs
            return self.dense_layer(inputs)

    return M


class NoFlag(keras.Model):
    def __init__(self, n):
        super().__init__()
        self.dense_layer = Dense(n, activation="sigmoid")

    def call(self, inputs):
        return self.dense_layer(inputs)


def test_q1_subclass_checked_against_its_own_dense_layer():
    assert_pass(LAB, "q1", model_class())
    assert_fail(LAB, "q1", model_class(activation=None), says="sigmoid activation")
    assert_fail(LAB, "q1", model_class(activation="relu"), says="values are off")
    assert_fail(LAB, "q1", Dense, says="subclasses keras.Model")
    assert_not_attempted(LAB, "q1", model_class(returns_none=True))
    assert_not_attempted(LAB, "q1", None)


def test_q2_identity_flag():
    assert_pass(LAB, "q2", model_class(identity="flag"))
    assert_fail(LAB, "q2", model_class(), says="unchanged")
    assert_fail(LAB, "q2", model_class(identity="always"), says="never used")
    assert_fail(LAB, "q2", NoFlag, says="isidentity")
    assert_not_attempted(LAB, "q2", model_class(returns_none=True))


def test_q3_functional_model():
    inputs = keras.Input(shape=(2,))
    assert_pass(LAB, "q3", keras.Model(inputs, Dense(3, activation="sigmoid")(inputs)))
    assert_fail(LAB, "q3", keras.Model(inputs, Dense(3)(inputs)), says="sigmoid")
    assert_fail(LAB, "q3", keras.Model(inputs, Dense(4, activation="sigmoid")(inputs)), says="4 units")
    wide = keras.Input(shape=(5,))
    assert_fail(LAB, "q3", keras.Model(wide, Dense(3, activation="sigmoid")(wide)), says="5 features")
    assert_fail(LAB, "q3", keras.Sequential([Dense(3, activation="sigmoid")]), says="keras.Input")
    assert_not_attempted(LAB, "q3", None)


def test_q4_api_choice():
    right = {"stack": "sequential", "two_inputs": "functional", "data_loop": "subclassing",
             "plot_graph": "functional"}
    assert_pass(LAB, "q4", right)
    assert_pass(LAB, "q4", {k: v.upper() for k, v in right.items()})
    assert_fail(LAB, "q4", {**right, "data_loop": "functional"}, says="1 of 4")
    assert_fail(LAB, "q4", {**right, "stack": "keras"}, says="not one of")
    assert_fail(LAB, "q4", {"stack": "sequential"}, says="keep all four")
    assert_not_attempted(LAB, "q4", {k: None for k in right})
