"""Lab 04 - Models by subclassing: questions, points, hints and judges (the kernel side of its
checks is :mod:`labtools.kernel.lab04_subclassing`).

Every model is judged by what it computes on the judge's own inputs: its kernel and bias (found
by shape) get the judge's random values and its output is compared with sigmoid(x W + b). The
subclassed models are built with two unit counts and input sizes.
"""

from __future__ import annotations

import numpy as np

from ..checking import Fail, Lab, Question
from ..judging import dense_cases, draw_dense_cases, expect_dense_outputs
from ..kernel.lab04_subclassing import CHOICES
from ..kernel.lab04_subclassing import EXERCISES as KERNEL
from ..written import Criterion, Written

# q1 -- a subclassed model -----------------------------------------------------------------------


def _judge_subclass(d, inputs):
    if not all(d["dense_layers"]):
        raise Fail(
            "SubclassModel holds no Dense layer; the exercise asks you to make one in __init__ and use it in call()"
        )
    expect_dense_outputs(d["outputs"], inputs, "SubclassModel({units})")


# q2 -- behaviour controlled by a call argument -------------------------------------------------


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
    [
        Question(
            KERNEL["q1"],
            title="A subclassed model",
            points=2,
            judge=_judge_subclass,
            draw=draw_dense_cases,
            hints=[
                "Create the Dense layer in __init__ and store it on self; use it in call().",
                "The keras.Model docs (subclassing) show it: layers made in __init__ are tracked, call() uses them.",
            ],
        ),
        Question(
            KERNEL["q2"],
            title="A call argument that changes behaviour",
            points=2,
            judge=_judge_identity,
            draw=draw_dense_cases,
            hints=[
                "call(self, inputs, isidentity=False) can branch on a Python boolean.",
                "An if on isidentity picks what call() returns; Keras' own training= argument (see the "
                "keras.layers.Dropout docs) works the same way.",
            ],
        ),
        Question(
            KERNEL["q3"],
            title="The functional API",
            points=2,
            judge=_judge_functional,
            draw=_draw_functional,
            hints=[
                "inputs = keras.Input(shape=(2,)); outputs = some_layer(inputs).",
                "keras.Model ties an Input to the tensor that layers made from it; see Keras' functional API guide.",
            ],
        ),
        Question(
            KERNEL["q4"],
            title="Which API when?",
            points=1,
            judge=_judge_choices,
            hints=[
                "Sequential: one straight path. Functional: any graph of layers, known in advance.",
                "Subclassing: arbitrary Python in call(), at the cost of no inspectable graph.",
            ],
        ),
        Written(
            KERNEL["q5"],
            title="Subclassing",
            points=2,
            rubric=[
                Criterion(
                    "a subclass of keras.Model (or Layer) whose layers are made in __init__ and used in call()", 1
                ),
                Criterion(
                    "custom behaviour: arbitrary Python in call(), e.g. a call argument such as isidentity or "
                    "training that changes the output",
                    1,
                ),
            ],
        ),
    ],
)
