"""Lab 04 - Models by subclassing: questions, points, hints and checks.

Every model is judged by what it computes on the judge's own inputs: its kernel and bias (found
by shape) get the judge's random values and its output is compared with sigmoid(x W + b). The
subclassed models are built with two unit counts and input sizes.
"""

from __future__ import annotations

import inspect
import re

import numpy as np

from ..checking import Fail, Lab, NotAttempted, Question, does_nothing
from ..judging import (
    call,
    dense_cases,
    describe,
    draw_dense_cases,
    expect_dense_outputs,
    model_copy,
    probe_dense,
    run_layer,
    to_array,
)


def _model_class(cls, name):
    import keras

    if not (isinstance(cls, type) and issubclass(cls, keras.Model)):
        raise Fail(f"{name} must be a class that subclasses keras.Model")
    if does_nothing(getattr(cls, "call", None)):
        raise NotAttempted(f"{name}.call is still the placeholder")


_NOT_USED = "has no trainable weights after a call: call() should pass the inputs through the Dense layer"


# q1 -- a subclassed model -----------------------------------------------------------------------


def _extract_subclass(model_class, given):
    _model_class(model_class, "SubclassModel")
    outputs = []
    for units, x, W, b in dense_cases(given):
        model = call(model_class, "SubclassModel", units)
        outputs.append(probe_dense(model, f"SubclassModel({units})", x, W, b, no_weights=_NOT_USED))
    return {"outputs": outputs}


def _judge_subclass(d, inputs):
    expect_dense_outputs(d["outputs"], inputs, "SubclassModel({units})")


# q2 -- behaviour controlled by a call argument -------------------------------------------------


def _takes_isidentity(cls) -> bool:
    try:
        params = inspect.signature(cls.call).parameters.values()
    except (TypeError, ValueError):  # a call() Python cannot inspect: let the probe find out
        return True
    return any(p.name == "isidentity" or p.kind is p.VAR_KEYWORD for p in params)


def _extract_identity(model_class, given):
    _model_class(model_class, "IdentityModel")
    if not _takes_isidentity(model_class):
        raise Fail("call() does not accept isidentity=...; add it as an argument with a default")
    dense, explicit, same = [], [], []
    for units, x, W, b in dense_cases(given):
        name = f"IdentityModel({units})"
        model = call(model_class, "IdentityModel", units)
        dense.append(
            probe_dense(
                model,
                name,
                x,
                W,
                b,
                no_weights="has no trainable weights after a call with isidentity=False (the "
                "default): then call() should pass the inputs through the Dense layer",
            )
        )
        explicit.append(to_array(run_layer(model, name, x, isidentity=False), f"the output of {name}"))
        same.append(to_array(run_layer(model, name, x, isidentity=True), f"the output of {name}"))
    return {"dense": dense, "explicit": explicit, "identity": same}


def _judge_identity(d, inputs):
    cases = dense_cases(inputs)
    if len(d["identity"]) != len(cases):
        raise Fail("IdentityModel was not run on every probe with isidentity=True")
    for (_units, x, _, _), same in zip(cases, d["identity"], strict=True):
        same = np.asarray(same, dtype="float64")
        if same.shape != x.shape or not np.allclose(same, x, atol=1e-6):
            raise Fail("with isidentity=True the model should return its inputs unchanged")
    expect_dense_outputs(d["dense"], inputs, "IdentityModel({units})")
    expect_dense_outputs(d["explicit"], inputs, "IdentityModel({units}) with isidentity=False")


# q3 -- the same model with the functional API --------------------------------------------------


def _draw_functional(rng) -> dict:
    return {
        "units": np.array([3]),
        "x0": rng.standard_normal((5, 2)).astype("float32"),
        "W0": (0.6 * rng.standard_normal((2, 3))).astype("float32"),
        "b0": (rng.choice([-1.0, 1.0], 3) * rng.uniform(0.3, 1.0, 3)).astype("float32"),
    }


def _extract_functional(model, given):
    import keras

    if not isinstance(model, keras.Model):
        raise Fail(f"functional_model is {describe(model)}; make it with keras.Model(inputs, outputs)")
    if isinstance(model, keras.Sequential):
        raise Fail(
            "functional_model is a keras.Sequential; build it with the functional API: keras.Model(inputs, outputs)"
        )
    if not getattr(model, "inputs", None):
        raise Fail("functional_model is a subclassed model; build it with the functional API from keras.Input(...)")
    if len(model.inputs) != 1:
        raise Fail(f"functional_model takes {len(model.inputs)} inputs; it should take one")
    shape = [None if n is None else int(n) for n in model.inputs[0].shape[1:]]
    if shape != [2]:
        return {"input_shape": shape}
    _, x, W, b = dense_cases(given)[0]
    with model_copy(model) as copy:
        out = probe_dense(
            copy,
            "functional_model",
            x,
            W,
            b,
            no_weights="has no trainable weights; its outputs should come from a Dense layer applied to the inputs",
        )
    return {"input_shape": shape, "outputs": [out]}


def _judge_functional(d, inputs):
    shape = tuple(d["input_shape"])
    if shape != (2,):
        raise Fail(f"functional_model's input has shape {shape} per example; it should take 2 features")
    expect_dense_outputs(d["outputs"], inputs, "functional_model")


# q4 -- which API for which job ------------------------------------------------------------------

_CASES = {  # short keys the notebook explains; the values are the right API
    "stack": "sequential",  # a plain stack of layers, one input, one output
    "two_inputs": "functional",  # an image and its caption merged into one prediction
    "data_loop": "subclassing",  # a forward pass with a loop whose length depends on the data
    "plot_graph": "functional",  # a multi-branch network you want to plot and inspect
}
CHOICES = ("sequential", "functional", "subclassing")
_SPELLINGS = {"subclass": "subclassing", "subclassed": "subclassing", "model subclassing": "subclassing"}


def _normalise(value: str) -> str:
    """'Sequential', ' functional ', 'keras.Sequential', 'functional API', 'subclass' -> the choice."""
    v = re.sub(r"[\s_\-]+", " ", value.strip().strip("'\".").lower())
    v = re.sub(r"^(keras\.|the )", "", v)
    v = re.sub(r" (api|model)$", "", v)
    return _SPELLINGS.get(v, v)


def _extract_choices(answers):
    if not isinstance(answers, dict):
        raise Fail(f"api_choice is {describe(answers)}; it should be the dict from the cell above")
    if all(v is None or v is ... for v in answers.values()):
        raise NotAttempted("api_choice has no answers yet")
    choices = {}
    for case, value in answers.items():
        if value is None or value is ...:
            choices[str(case)] = None
        elif isinstance(value, str):
            choices[str(case)] = _normalise(value)
        else:
            raise Fail(
                f"api_choice[{str(case)[:20]!r}] is {describe(value)}; write one of the strings {', '.join(CHOICES)}"
            )
    return {"answers": choices}


def _judge_choices(d):
    answers = d["answers"]
    for case in _CASES:
        if case not in answers:
            raise Fail(f"api_choice lost the case {case!r}; keep all four keys")
        if answers[case] is None:
            raise Fail(f"api_choice[{case!r}] is still None; answer every case")
        if answers[case] not in CHOICES:
            raise Fail(f"api_choice[{case!r}] is {answers[case][:20]!r}, which is not one of {', '.join(CHOICES)}")
    wrong = sum(answers[case] != right for case, right in _CASES.items())
    if wrong:
        count = {1: "1 of the 4 choices is", 4: "all 4 choices are"}.get(wrong, f"{wrong} of the 4 choices are")
        raise Fail(f"{count} wrong; compare each case with the table above")


LAB = Lab(
    "04",
    "Models by subclassing",
    [
        Question(
            "q1",
            "A subclassed model",
            2,
            ["SubclassModel"],
            _extract_subclass,
            _judge_subclass,
            draw=draw_dense_cases,
            hints=[
                "Create the Dense layer in __init__ and store it on self; use it in call().",
                "The Dense layer needs n_output_nodes units and a sigmoid activation.",
            ],
        ),
        Question(
            "q2",
            "A call argument that changes behaviour",
            2,
            ["IdentityModel"],
            _extract_identity,
            _judge_identity,
            draw=draw_dense_cases,
            hints=[
                "call(self, inputs, isidentity=False) can branch on a Python boolean.",
                "When isidentity is true, return the inputs themselves.",
            ],
        ),
        Question(
            "q3",
            "The functional API",
            2,
            ["functional_model"],
            _extract_functional,
            _judge_functional,
            draw=_draw_functional,
            hints=[
                "inputs = keras.Input(shape=(2,)); outputs = some_layer(inputs).",
                "keras.Model(inputs=..., outputs=...) ties them together.",
            ],
        ),
        Question(
            "q4",
            "Which API when?",
            1,
            ["api_choice"],
            _extract_choices,
            _judge_choices,
            hints=[
                "Sequential: one straight path. Functional: any graph of layers, known in advance.",
                "Subclassing: arbitrary Python in call(), at the cost of no inspectable graph.",
            ],
        ),
    ],
)
