"""Lab 04 - Models by subclassing: the kernel side of its checks (see :mod:`labtools.kernel`).

Each exercise builds the student's model with the judge's unit counts, puts the judge's kernel
and bias into its weights (found by shape), runs it on the judge's inputs and returns the
outputs; q4 returns the student's choices, spelled one way.
"""

from __future__ import annotations

import inspect
import re

from .calling import call, dense_cases, describe, model_copy, probe_dense, run_layer, to_array
from .errors import Fail, NotAttempted, does_nothing
from .exercise import Exercise, exercises, written


def _model_class(cls, name):
    import keras

    if not (isinstance(cls, type) and issubclass(cls, keras.Model)):
        raise Fail(f"{name} must be a class that subclasses keras.Model")
    if does_nothing(getattr(cls, "call", None)):
        raise NotAttempted(f"{name}.call is still the placeholder")


_NOT_USED = (
    "has no trainable weights after a call: create the Dense layer in __init__, store it on self and use it in call()"
)


# q1 -- a subclassed model -----------------------------------------------------------------------


def _dense_layers(model) -> int:
    """How many keras.layers.Dense the model holds, nested models and lists of layers included."""
    import keras

    seen, stack, count = set(), list(getattr(model, "layers", [])), 0
    while stack:
        layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        count += isinstance(layer, keras.layers.Dense)
        stack.extend(getattr(layer, "layers", None) or [])
    return count


def _extract_subclass(model_class, given):
    _model_class(model_class, "SubclassModel")
    outputs, dense = [], []
    for units, x, W, b in dense_cases(given):
        model = call(model_class, "SubclassModel", units)
        outputs.append(probe_dense(model, f"SubclassModel({units})", x, W, b, no_weights=_NOT_USED))
        dense.append(_dense_layers(model))
    return {"outputs": outputs, "dense_layers": dense}


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


# q3 -- the same model with the functional API --------------------------------------------------


def _extract_functional(model, given):
    import keras

    if isinstance(model, getattr(keras, "KerasTensor", ())):
        raise Fail(
            "functional_model is the symbolic output of a layer, not a model; "
            "make the model from inputs and outputs with keras.Model(...)"
        )
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


# q4 -- which API for which job ------------------------------------------------------------------

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
            what = "a class" if isinstance(value, type) else describe(value)
            raise Fail(f"api_choice[{str(case)[:20]!r}] is {what}; write one of the strings {', '.join(CHOICES)}")
    return {"answers": choices}


EXERCISES = exercises(
    Exercise("q1", answers=["SubclassModel"], extract=_extract_subclass),
    Exercise("q2", answers=["IdentityModel"], extract=_extract_identity),
    Exercise("q3", answers=["functional_model"], extract=_extract_functional),
    Exercise("q4", answers=["api_choice"], extract=_extract_choices),
    written("q5"),
)
