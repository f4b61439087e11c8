"""What the grader runs inside a submission's kernel, and how results come back safely.

The probe cell runs right after the lab's setup cell and before any student code. It loads a
private copy of labtools (so later monkeypatching of ``labtools`` changes nothing), captures the
output channel, and defines one function under a random name. Each hidden-test cell calls it:
the answers are extracted to plain data in the kernel and published as a MIME bundle tagged with
the run's nonce. The grader accepts such bundles only from hidden-test cells, decodes them
without pickle (arrays travel as base64 bytes of numeric dtypes), and judges them in its own
process against the lab's checks.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np

MIME = "application/vnd.labtools.probe+json"


# -- data <-> JSON, safely ---------------------------------------------------------------------


def encode(value):
    """Plain data (dict, list, tuple, str, numbers, None, NumPy arrays) to JSON-able objects."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value if np.isfinite(value) else {"__float__": repr(float(value))}
    if isinstance(value, np.generic):
        return encode(value.item())
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise TypeError(f"cannot send an array of dtype {value.dtype}")
        arr = np.ascontiguousarray(value)
        return {"__nd__": [arr.dtype.str, list(arr.shape), base64.b64encode(arr.tobytes()).decode("ascii")]}
    if isinstance(value, dict):
        return {"__dict__": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    raise TypeError(f"cannot send a {type(value).__name__}")


_ALLOWED_DTYPES = {
    np.dtype(t).str
    for t in (
        "bool",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "float16",
        "float32",
        "float64",
    )
}


def decode(obj):
    """The inverse of :func:`encode`; anything unexpected raises ValueError."""
    if obj is None or isinstance(obj, (bool, str, int, float)):
        return obj
    if isinstance(obj, list):
        return [decode(v) for v in obj]
    if isinstance(obj, dict) and len(obj) == 1:
        ((tag, body),) = obj.items()
        if tag == "__nd__":
            dtype, shape, data = body
            if dtype not in _ALLOWED_DTYPES:
                raise ValueError(f"dtype {dtype!r} is not allowed")
            return np.frombuffer(base64.b64decode(data), dtype=np.dtype(dtype)).reshape(shape).copy()
        if tag == "__dict__":
            return {decode(k): decode(v) for k, v in body}
        if tag == "__tuple__":
            return tuple(decode(v) for v in body)
        if tag == "__float__":
            return float(body)
    raise ValueError("malformed probe data")


# -- the code cells the grader adds ---------------------------------------------------------------


def probe_name(nonce: str) -> str:
    return f"_labtools_probe_{nonce}"


def definition_cell(nonce: str, lab_module: str, given: dict | None = None) -> str:
    """Source of the cell that defines the probe (runs before any student code).

    ``given`` holds the inputs the grader drew for each question (secret, fresh per run): the
    probe hands a copy to each question's ``extract``, and the questions that hand inputs to the
    notebook (``lab.qN.inputs()``) hand out these; the grader judges with its own copy."""
    package_dir = str(Path(__file__).resolve().parent.parent)
    given_json = json.dumps(json.dumps(encode(given or {})))
    return f"""def _labtools_define_probe():
    import copy, importlib, importlib.util, json, os, sys
    name = "_labtools_private_{nonce}"
    spec = importlib.util.spec_from_file_location(name, os.path.join({package_dir!r}, "__init__.py"),
                                                  submodule_search_locations=[{package_dir!r}])
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    spec.loader.exec_module(package)
    lab = importlib.import_module(name + ".labs.{lab_module}").LAB
    codec = importlib.import_module(name + ".grading.probe")
    encode = codec.encode
    given = codec.decode(json.loads({given_json}))
    public = sys.modules.get("labtools.labs")
    if public is not None and public.current is not None:
        for qid, inputs in given.items():
            if qid in public.current.questions and public.current.questions[qid].hand is not None:
                public.current.questions[qid].use_inputs(inputs)
    checking = importlib.import_module(name + ".checking")
    Fail, NotAttempted = checking.Fail, checking.NotAttempted
    collect = {{qid: q.collect for qid, q in lab.questions.items()}}
    publish = get_ipython().display_pub.publish
    dumps = json.dumps

    def probe(qid, answers):
        result = {{"nonce": {nonce!r}, "qid": qid}}
        try:
            values = answers()
            result.update(status="data", data=encode(collect[qid](*values, given=copy.deepcopy(given.get(qid)))))
        except NameError as exc:
            result.update(status="not_attempted", message=f"{{exc}}: keep the answer cell and its variable names")
        except NotAttempted as exc:
            result.update(status="not_attempted", message=str(exc))
        except Fail as exc:
            result.update(status="fail", message=str(exc))
        except BaseException as exc:
            result.update(status="fail", message=f"running your answer raised {{type(exc).__name__}}")
        try:
            payload = dumps(result)
        except Exception as exc:
            payload = dumps({{"nonce": {nonce!r}, "qid": qid, "status": "fail",
                             "message": f"the answer could not be recorded ({{type(exc).__name__}})"}})
        publish(data={{{MIME!r}: payload}}, metadata={{}})

    return probe


{probe_name(nonce)} = _labtools_define_probe()
del _labtools_define_probe
"""


def hidden_cell(nonce: str, grade_call: str) -> str:
    """Turn the source's ``grade("q1", a, b)`` into a call of the probe: the answers are evaluated
    lazily inside it, so a missing variable becomes a verdict instead of a crash."""
    from ..generate import grade_calls

    calls = grade_calls(grade_call.strip())
    if len(calls) != 1 or not grade_call.strip().startswith("grade("):
        raise ValueError(f"not a grade(...) call: {grade_call!r}")
    qid, args = calls[0]
    answers = ", ".join(args)
    return f"{probe_name(nonce)}({qid!r}, lambda: ({answers},))"


def read_payloads(cell: dict, nonce: str, qid: str) -> dict | None:
    """The probe's result in a hidden-test cell's outputs (the last valid one), or None."""
    found = None
    for output in cell.get("outputs", []):
        raw = output.get("data", {}).get(MIME) if isinstance(output, dict) else None
        if raw is None:
            continue
        try:
            payload = json.loads(raw) if isinstance(raw, str) else raw
        except (TypeError, ValueError):
            continue
        if isinstance(payload, dict) and payload.get("nonce") == nonce and payload.get("qid") == qid:
            found = payload
    return found
