"""The cells the grader adds to the notebook it runs, and reading their results back.

The kernel side of these cells is :mod:`labtools.kernel.grading`; this module only writes their
source and reads what they published. Three kinds of cells (see that module):

* the probe's definition, right after the lab's setup cell and before any student code: it loads
  a private copy of :mod:`labtools.kernel` (later monkeypatching of ``labtools`` changes nothing
  in it) and binds the probe to a random name. It holds no question's inputs;
* a hand cell before each cell that calls ``lab.qN.inputs()``: that question's inputs only;
* a hidden test after each answer cell: ``probe("qN", lambda: (answers,), inputs)``, the only
  place the inputs of a question that does not hand them reach the kernel.

The grader takes exactly one result from each hidden cell (:func:`read_payload`): none, or more
than one, earns nothing. Results are decoded without pickle (:mod:`labtools.kernel.codec`) and
judged in the grader's own process.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..kernel.codec import decode, encode
from ..kernel.grading import MIME

__all__ = ["MIME", "decode", "encode", "definition_cell", "hand_cell", "hidden_cell", "read_payload"]

PAYLOAD_MAX = 4 * 2**20  # characters of one result; more is not a result


def probe_name(nonce: str) -> str:
    return f"_labtools_probe_{nonce}"


def _inputs_literal(inputs: dict | None) -> str:
    return "None" if inputs is None else repr(json.dumps(encode(inputs)))


def definition_cell(nonce: str, lab_number: str) -> str:
    """Source of the cell that defines the probe (runs before any student code)."""
    kernel_dir = str(Path(__file__).resolve().parent.parent / "kernel")
    return f"""def _labtools_define_probe():
    import importlib, importlib.util, os, sys
    name = "_labtools_kernel_{nonce}"
    spec = importlib.util.spec_from_file_location(name, os.path.join({kernel_dir!r}, "__init__.py"),
                                                  submodule_search_locations=[{kernel_dir!r}])
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    spec.loader.exec_module(package)
    grading = importlib.import_module(name + ".grading")
    public = sys.modules.get("labtools.kernel.grading")
    return grading.Probe({nonce!r}, {lab_number!r}, name, getattr(public, "CURRENT", None))


{probe_name(nonce)} = _labtools_define_probe()
del _labtools_define_probe
"""


def hand_cell(nonce: str, qid: str, inputs: dict) -> str:
    """Source of the cell that gives question ``qid`` the inputs the grader drew for it."""
    return f"{probe_name(nonce)}.hand({qid!r}, {_inputs_literal(inputs)})"


def hidden_cell(nonce: str, qid: str, answer_names: list[str], inputs: dict | None = None) -> str:
    """A hidden test: the answers are evaluated lazily inside the probe, so a missing variable
    becomes a verdict instead of a crash."""
    if not all(name.isidentifier() for name in answer_names):
        raise ValueError(f"{qid}: answer names must be identifiers: {answer_names!r}")
    answers = ", ".join(answer_names)
    return f"{probe_name(nonce)}({qid!r}, lambda: ({answers},), {_inputs_literal(inputs)})"


def read_payload(cell: dict, nonce: str, qid: str) -> tuple[dict | None, str]:
    """The probe's one result in a hidden-test cell's outputs: ``(payload, "")``, or
    ``(None, why)`` when there is none, or more than one (something besides the probe published)."""
    found: list[dict | None] = []
    for output in cell.get("outputs", []):
        raw = output.get("data", {}).get(MIME) if isinstance(output, dict) else None
        if raw is None:
            continue
        if not isinstance(raw, str) or len(raw) > PAYLOAD_MAX:
            found.append(None)
            continue
        try:
            payload = json.loads(raw)
        except (ValueError, RecursionError):
            found.append(None)
            continue
        if isinstance(payload, dict) and payload.get("nonce") == nonce and payload.get("qid") == qid:
            found.append(payload)
        else:
            found.append(None)
    if not found:
        return None, ""
    if len(found) > 1:
        return None, "the hidden test published more than one result; only the check's own counts"
    if found[0] is None:
        return None, "the hidden test's result could not be read"
    return found[0], ""
