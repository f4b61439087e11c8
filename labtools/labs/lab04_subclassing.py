"""Lab 04 - Models by subclassing: questions, points, hints and checks.

Every model is checked against sigmoid(x W + b) computed from the model's own Dense layer.
"""
from __future__ import annotations

import numpy as np

from ..checking import Fail, Lab, NotAttempted, Question, expect_close

_X = np.array([[1.0, 2.0], [-0.5, 0.25], [3.0, -1.0]], dtype="float32")


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _dense_of(model):
    """The model's single Dense layer and its weights, or a Fail naming what is missing."""
    import keras

    dense = [l for l in model.layers if isinstance(l, keras.layers.Dense)]
    if len(dense) != 1:
        raise Fail(f"the model holds {len(dense)} Dense layer(s); it should hold exactly one")
    layer = dense[0]
    if not layer.built:
        raise Fail("the Dense layer is never used: call() should pass the inputs through it")
    return {"units": int(layer.units), "activation": getattr(layer.activation, "__name__", "?"),
            "W": layer.kernel.numpy(), "b": layer.bias.numpy() if layer.use_bias else np.zeros(layer.units)}


def _run(model, **kwargs):
    import warnings

    import tensorflow as tf

    with warnings.catch_warnings():  # Keras warns about unbuilt state while call() is unfinished
        warnings.simplefilter("ignore")
        y = model(tf.constant(_X), **kwargs)
    if y is None:
        raise NotAttempted("the model's call() still returns None")
    return np.asarray(y)


def _judge_dense_output(y, d, what="the model's output"):
    if d["units"] != 3:
        raise Fail(f"the Dense layer has {d['units']} units; the model should output 3 values")
    z = _X @ d["W"] + d["b"]
    if y.shape != z.shape:
        raise Fail(f"{what} has shape {y.shape}; for a batch of {len(_X)} it should be {z.shape}")
    if np.allclose(y, z, atol=1e-5):
        raise Fail(f"{what} is x·W + b; give the Dense layer a sigmoid activation")
    expect_close(what, y, _sigmoid(z), atol=1e-5)


# q1 -- a subclassed model -----------------------------------------------------------------------

def _extract_subclass(model_class):
    import keras

    if not (isinstance(model_class, type) and issubclass(model_class, keras.Model)):
        raise Fail("SubclassModel must be a class that subclasses keras.Model")
    model = model_class(3)
    y = _run(model)
    return {"y": y, "dense": _dense_of(model)}


def _judge_subclass(d):
    _judge_dense_output(d["y"], d["dense"])


# q2 -- behaviour controlled by a call argument -------------------------------------------------

def _extract_identity(model_class):
    import keras

    if not (isinstance(model_class, type) and issubclass(model_class, keras.Model)):
        raise Fail("IdentityModel must be a class that subclasses keras.Model")
    model = model_class(3)
    dense_out = _run(model)
    try:
        same = _run(model, isidentity=True)
    except TypeError:
        raise Fail("call() does not accept isidentity=...; add it as an argument with a default") from None
    return {"dense_out": dense_out, "identity_out": same, "dense": _dense_of(model)}


def _judge_identity(d):
    same = d["identity_out"]
    if same.shape != _X.shape or not np.allclose(same, _X):
        raise Fail("with isidentity=True the model should return its inputs unchanged")
    _judge_dense_output(d["dense_out"], d["dense"], "the output with isidentity=False")


# q3 -- the same model with the functional API --------------------------------------------------

def _extract_functional(model):
    import keras

    if not isinstance(model, keras.Model):
        raise Fail(f"functional_model is a {type(model).__name__}; make it with keras.Model(inputs, outputs)")
    if isinstance(model, keras.Sequential) or not hasattr(model, "inputs") or not model.inputs:
        raise Fail("functional_model should be built from keras.Input(...) with keras.Model(inputs, outputs)")
    shape = list(model.inputs[0].shape)
    return {"input_shape": shape, "y": _run(model) if shape[-1] == 2 else None, "dense": _dense_of(model)}


def _judge_functional(d):
    if d["input_shape"][-1] != 2:
        raise Fail(f"the input takes {d['input_shape'][-1]} features; it should take 2")
    _judge_dense_output(d["y"], d["dense"])


# q4 -- which API for which job ------------------------------------------------------------------

_CASES = {  # short keys the notebook explains; the values are the right API
    "stack": "sequential",        # a plain stack of layers, one input, one output
    "two_inputs": "functional",   # an image and its caption merged into one prediction
    "data_loop": "subclassing",   # a forward pass with a loop whose length depends on the data
    "plot_graph": "functional",   # a multi-branch network you want to plot and inspect
}
CHOICES = ("sequential", "functional", "subclassing")


def _extract_choices(answers):
    if not isinstance(answers, dict):
        raise Fail(f"api_choice is a {type(answers).__name__}; it should be the dict from the cell above")
    if all(is_blank(v) for v in answers.values()):
        raise NotAttempted("api_choice has no answers yet")
    return {"answers": {str(k): (str(v).strip().lower() if v is not None else None) for k, v in answers.items()}}


def is_blank(v):
    return v is None or v is ... or (isinstance(v, str) and not v.strip())


def _judge_choices(d):
    answers = d["answers"]
    missing = [k for k in _CASES if k not in answers]
    if missing:
        raise Fail(f"api_choice lost the case {missing[0]!r}; keep all four keys")
    for case, value in answers.items():
        if case in _CASES and value not in CHOICES:
            raise Fail(f"{value!r} for {case!r} is not one of {', '.join(CHOICES)}")
    wrong = [k for k, v in _CASES.items() if answers[k] != v]
    if wrong:
        raise Fail(f"{len(wrong)} of 4 choices are off, e.g. {wrong[0]!r}")


LAB = Lab("04", "Models by subclassing", [
    Question("q1", "A subclassed model", 2, ["SubclassModel"], _extract_subclass, _judge_subclass,
             hints=["Create the Dense layer in __init__ and store it on self; use it in call().",
                    "The Dense layer needs n_output_nodes units and a sigmoid activation."]),
    Question("q2", "A call argument that changes behaviour", 2, ["IdentityModel"],
             _extract_identity, _judge_identity,
             hints=["call(self, inputs, isidentity=False) can branch on a Python boolean.",
                    "When isidentity is true, return the inputs themselves."]),
    Question("q3", "The functional API", 2, ["functional_model"], _extract_functional, _judge_functional,
             hints=["inputs = keras.Input(shape=(2,)); outputs = some_layer(inputs).",
                    "keras.Model(inputs=..., outputs=...) ties them together."]),
    Question("q4", "Which API when?", 1, ["api_choice"], _extract_choices, _judge_choices,
             hints=["Sequential: one straight path. Functional: any graph of layers, known in advance.",
                    "Subclassing: arbitrary Python in call(), at the cost of no inspectable graph."]),
])
