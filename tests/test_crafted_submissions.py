"""Crafted submissions that try to game the judges, graded the way `labtools grade` grades.

Each submission is a lab's solution notebook with some answer cells replaced by what a student
could type into them to earn points without doing the exercise: constants copied from what their
own notebook printed, tables of old checker inputs, answers that ignore a parameter or the
handed inputs, inputs changed after (or before) use, and attacks on the grader from inside the
kernel. The grading kernel holds only the kernel side of the checks (``labtools.kernel``); the
judges, ``labtools.labs``, ``labtools.judging`` and the grader are not in the sandbox, and each
question's drawn inputs reach the kernel only in its own hidden cell (or in the hand cell right
before the cell that calls ``lab.qN.inputs()``). So the attacks go for what the kernel does
hold: the probe (replaced, or its private copy of ``labtools.kernel`` patched through
``sys.modules`` and ``gc``), the inputs in a hidden cell's text (read by a ``pre_run_cell``
hook), results forged with ``labtools.kernel.codec.encode``, IPython hooks that forge,
duplicate or rewrite the probe's output, monkeypatched ``isinstance`` / ``tf.is_tensor`` /
``numpy.allclose``, duck-typed fakes; an attack that imports a judge (``from labtools.labs
import ...``) finds an empty module and falls back. Attack code that may raise is wrapped in
``try``, so it never costs the honest answers of its cell. The other answer cells stay honest,
so each row says: the gamed questions earn nothing, the honest ones keep their points.

The points a question deserves are decided from what the answer really computes on the
grader's secret inputs. An attack that can only "win" by computing the right answer anyway (for
example by reading the inputs from the hidden cell's text and doing the exercise's arithmetic
itself) deserves its points; those rows say so in a comment.

Attacks that earn points they do not deserve are kept with the points they deserve and marked
``xfail(strict=True, raises=UndeservedPoints)``: the row fails that way only when the sole
difference is extra points on the gamed questions, so anything else going wrong still fails the
test, and fixing the grader turns the row into an XPASS that asks for the mark to go.

One ``grade_all`` run per lab (module-scoped cache), two jobs, in the bubblewrap sandbox.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from test_grading import sandbox_or_skip, solution_cells

from labtools.grading.runner import Settings, grade_all, load_bundle
from labtools.labs import load_lab


class UndeservedPoints(AssertionError):
    """The grader gave a gamed question points the answer does not earn (and nothing else differs)."""


@dataclass
class Crafted:
    cells: dict[str, str]  # answer cell id -> the crafted source
    points: list[float]  # what each question deserves, q1, q2, ...
    status: str = "ok"
    undeserved: str = ""  # why the grader is expected to over-grade it (xfail), if it does
    also_games: tuple = ()  # questions gamed from another question's answer cell

    @property
    def gamed(self) -> set[str]:
        return {cid.split("-")[0] for cid in self.cells} | set(self.also_games)


# -- pieces the attacks share ---------------------------------------------------------------------

# The probe the grader defined in the kernel (a Probe object, holding no question's inputs), its
# nonce, its private copy of labtools.kernel (found in sys.modules), a way to publish a probe
# result that looks like the real one (labtools.kernel.codec.encode is importable in the kernel),
# and a pre_run_cell hook that reads each hand and hidden cell's inputs from its text before it
# runs (``_HIDDEN[qid]``): the only place the inputs of a question reach the kernel.
FIND_PROBE = """import ast, json, sys
from labtools.kernel.codec import decode, encode
from labtools.kernel.grading import MIME
_name = next(k for k in list(globals()) if k.startswith("_labtools_probe_"))
_real = globals()[_name]
_nonce = _name[len("_labtools_probe_"):]
_private = {n: m for n, m in list(sys.modules.items()) if n.startswith("_labtools_kernel_" + _nonce)}
def _publish(qid, data):
    payload = {"nonce": _nonce, "qid": qid, "status": "data", "data": encode(data)}
    get_ipython().display_pub.publish(data={MIME: json.dumps(payload)}, metadata={})
def _inputs(given_json):
    return None if given_json is None else decode(json.loads(given_json))
_HIDDEN = {}
def _read_hidden(info):
    try:
        call = ast.parse(info.raw_cell or "").body[0].value
        target = call.func.value if isinstance(call.func, ast.Attribute) else call.func
        if getattr(target, "id", "") == _name and isinstance(call.args[-1], ast.Constant):
            _HIDDEN[call.args[0].value] = _inputs(call.args[-1].value)
    except Exception:
        pass
get_ipython().events.register("pre_run_cell", _read_hidden)
"""

# A hook on the kernel's session: every message the kernel sends passes through it, the probe's
# results included, and it may rewrite them in flight. ``_REWRITE(payload) -> payload``; a rewrite
# that fails leaves the message as it was (a hook that raised would stop every message).
SESSION_HOOK = """_session = get_ipython().display_pub.session
_send = _session.send
def _spy(stream, msg_or_type, content=None, *args, **kwargs):
    try:
        data = (msg_or_type.get("content", {}) if isinstance(msg_or_type, dict) else (content or {})).get("data", {})
        if MIME in data:
            data[MIME] = json.dumps(_REWRITE(json.loads(data[MIME])))
    except Exception:
        pass
    return _send(stream, msg_or_type, content, *args, **kwargs)
_session.send = _spy
"""

# Six (a, b) pairs "my notebook printed": lab 02's functions on them, typed in.
OWN_PAIRS = "_a = [1.5, -2.0, 3.25, 0.5, -4.0, 2.5]\n_b = [2.0, 3.0, -1.5, 4.0, 0.25, -3.0]\n"
TYPED_SCORES = "np.array([[0.41, -1.2], [1.93, 0.08], [-0.66, 0.57], [0.12, 2.35]], np.float32)"
TYPED_HISTORY = "[-2.0, -1.4, -0.86, -0.374, 0.0634, 0.457, 0.811, 1.13, 1.417, 1.675, 1.908]"

ROTATE = """def rotate(points, degrees):
    theta = np.deg2rad({angle})
    R = tf.constant([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]], tf.float32)
    return tf.matmul(points, R{transpose})
"""

DENSE_LAYER = """class OurDenseLayer(keras.layers.Layer):
    def __init__(self, n_output_nodes):
        super().__init__()
        self.n_output_nodes = n_output_nodes

    def build(self, input_shape):
        d = int(input_shape[-1])
        self.W = self.add_weight(shape=(d, {units}), initializer="{init}", name="W")
        self.b = self.add_weight(shape=({units},), initializer="zeros", name="b")

    def call(self, x):
        return {body}
"""

MODEL = """class {name}(keras.Model):
    def __init__(self, n_output_nodes):
        super().__init__()
        self.dense_layer = keras.layers.Dense({units}, activation="sigmoid")
{extra}
    def call(self, inputs{args}):
{body}
"""


# -- lab 01: tensors (q1..q8: 1, 1, 1, 1, 2, 1, 2, 2) ---------------------------------------------

LAB01 = {
    # Values copied from the student's own run: a new weights variable with the name it printed
    # (its tag is drawn per run), the scores and the flattened pictures it printed.
    "typed_constants": Crafted(
        {
            "q4-answer": 'weights = tf.Variable([2.31, -0.47, 4.12], name="weights_482913")\n',
            "q5-answer": f"scores = tf.constant({TYPED_SCORES})\n",
            "q6-answer": "flat = tf.constant(np.arange(80, dtype=np.float32).reshape(5, 16))\n"
            "columns = tf.transpose(flat)\n",
        },
        [1, 1, 1, 0, 0, 0, 2, 2],
    ),
    # The handed inputs changed: weights zeroed before the update, b replaced after computing
    # x W (so "scores = x W + b" holds in the notebook), pictures replaced before reshaping.
    "reassigned_and_mutated": Crafted(
        {
            "q4-answer": "weights = lab.q4.inputs()\nweights.assign([0.0, 0.0, 0.0])\n"
            "weights.assign_add([1.0, 2.0, 3.0])\n",
            "q5-answer": "scores = tf.matmul(x, W)\nb = tf.zeros([2])\n",
            "q6-answer": "pictures = tf.reshape(tf.range(80.0), [5, 4, 4])\nflat = tf.reshape(pictures, [5, -1])\n"
            "columns = tf.transpose(flat)\n",
        },
        [1, 1, 1, 0, 0, 0, 2, 2],
    ),
    # The student's own inputs through the public API (lab.q5/q6.use_inputs before the cells that
    # hand them out), and the grader's hand cells silenced (use_inputs shadowed on each question,
    # so the inputs the grader sends are dropped): answers computed honestly on the student's own
    # inputs. rotate: a table of the old checker's angles (anything else turns by 90 degrees).
    "own_inputs_and_lookup": Crafted(
        {
            "q4-answer": "weights = lab.q4.inputs()\nweights.assign_add([1.0, 2.0, 3.0])\n"
            "lab.q5.use_inputs({'x': np.ones((4, 3), np.float32), 'W': np.ones((3, 2), np.float32), "
            "'b': np.ones(2, np.float32)})\n"
            "lab.q6.use_inputs({'pictures': np.arange(80, dtype=np.float32).reshape(5, 4, 4)})\n"
            "lab.q5.use_inputs = lab.q6.use_inputs = lambda inputs: None\n",
            "q7-answer": "_OLD = {0.0: 0.0, 90.0: 90.0, 30.0: 30.0, -45.0: -45.0, 180.0: 180.0}\n"
            + ROTATE.format(angle="_OLD.get(float(degrees), 90.0)", transpose=", transpose_b=True"),
        },
        [1, 1, 1, 1, 0, 0, 0, 2],
        also_games=("q5", "q6"),
    ),
    # Introspection: the judges are looked for (labtools.labs: empty in the sandbox) and every
    # kernel-side Exercise q5 (the public one and the probe's private copy, found with gc) gets an
    # extract that returns typed-in scores, as does every module's _extract_scores; the handed
    # copy zeroed, numpy.allclose a no-op. q7 rotates clockwise and blanks the code of every
    # helper of the check it finds in the kernel (judge side: none; kernel side: the extract).
    "introspection": Crafted(
        {
            "q5-answer": f"""import gc, sys
_typed = {TYPED_SCORES}
def _fake(*a, **k):
    return {{"scores": {{"shape": [4, 2], "dtype": "float32", "values": _typed}}}}
try:
    from labtools.labs.lab01_tensors import LAB as _LAB
    _LAB.questions["q5"].judge = lambda *a, **k: None
except Exception:
    pass
try:
    for _e in [o for o in gc.get_objects() if type(o).__name__ == "Exercise" and getattr(o, "id", "") == "q5"]:
        object.__setattr__(_e, "extract", _fake)
    for _q in [o for o in gc.get_objects() if type(o).__name__ == "KernelQuestion" and getattr(o, "id", "") == "q5"]:
        _q._handed = {{"x": np.zeros((4, 3), np.float32), "W": np.zeros((3, 2), np.float32),
                      "b": np.zeros(2, np.float32)}}
    for _n, _mod in list(sys.modules.items()):
        if _n.startswith(("labtools.kernel", "_labtools_kernel_")) and hasattr(_mod, "_extract_scores"):
            _mod._extract_scores = _fake
except Exception:
    pass
np.allclose = lambda *a, **k: True
scores = _typed.tolist()
""",
            "q7-answer": ROTATE.format(angle="degrees", transpose="")
            + """import gc
for _f in [o for o in gc.get_objects() if type(o).__name__ == "function"
           and o.__name__ in ("_judge_rotate", "_rotation", "_expect_dtype", "_extract_rotate")]:
    try:
        _f.__code__ = (lambda *a, **k: None).__code__
    except ValueError:
        pass
""",
        },
        [1, 1, 1, 1, 0, 1, 0, 2],
    ),
    # A duck-typed tensor holding the right matrix, passed off as a tf.Tensor: builtins.isinstance
    # and tf.is_tensor patched, and the exact-type test (_is, is_tensor) of every copy of
    # labtools.kernel.calling the kernel holds (the probe's private copy too, from sys.modules)
    # made to say yes to it; q2 a NumPy array of zeros. A NumPy array (or any non-tensor) is a
    # wrong answer to q1 and q2 (tests/answers/lab01.py), so both deserve 0.
    "fake_tensors": Crafted(
        {
            "q1-answer": """import builtins, sys
class FakeTensor:
    is_tensor_like = True
    def __init__(self, values):
        self.values = np.asarray(values, np.float32)
        self.shape = tf.TensorShape(self.values.shape)
        self.dtype = tf.float32
    def numpy(self):
        return self.values
    def __array__(self, dtype=None, copy=None):
        return self.values
_isinstance = builtins.isinstance
def _lenient(obj, kinds):
    if type(obj) is FakeTensor and _isinstance(kinds, (type, tuple)):
        if tf.Tensor in (kinds if _isinstance(kinds, tuple) else (kinds,)):
            return True
    return _isinstance(obj, kinds)
builtins.isinstance = _lenient
tf.is_tensor = lambda x: True
try:
    for _n, _mod in list(sys.modules.items()):
        if _n.startswith(("labtools.kernel", "_labtools_kernel_")) and hasattr(_mod, "exact_types"):
            _exact = _mod._is
            _mod._is = lambda value, kind, _exact=_exact: (
                (kind == "tensor" and type(value) is FakeTensor) or _exact(value, kind))
            _mod.is_tensor = lambda value, _mod=_mod: _mod._is(value, "tensor") or _mod._is(value, "variable")
except Exception:
    pass
matrix = FakeTensor([[1, 2, 3], [4, 5, 6]])
""",
            "q2-answer": "images = np.zeros((10, 256, 256, 3), np.float32)\n",
        },
        [0, 0, 1, 1, 2, 1, 2, 2],
        undeserved=(
            "known limitation (docs/grading-security.md, not isolated): "
            "lab 01 q1: the exact-type test runs in the kernel; patching _is in the probe's private copy of "
            "labtools.kernel.calling (sys.modules) passes a duck-typed FakeTensor off as a tf.Tensor"
        ),
    ),
}


# -- lab 02: computations and graphs (q1..q4: 1, 2, 2, 1) ----------------------------------------

RIGHT_Q4 = "compiled = tf.function(lambda a, b: a * a - b * b, input_signature=[tf.TensorSpec([], tf.float32)] * 2)\n"

LAB02 = {
    # q1: values typed from the student's own x and y, numpy.allclose made always true in the
    # kernel; q2: a table of the old checker's (a, b) pairs, 0 for anything else.
    "typed_and_patched": Crafted(
        {
            "q1-answer": "np.allclose = lambda *a, **k: True\ntotal = tf.constant([[3., -4.], [12., 7.]])\n"
            "product = tf.constant([[2., 21.], [-45., 10.]])\n"
            "difference = tf.constant([[-1., 4.], [6., -3.]])\n",
            "q2-answer": "_OLD = {(1.0, 2.0): 3.0, (2.0, 3.0): 10.0, (-1.0, 4.0): 9.0}\ndef func(a, b):\n"
            "    return tf.constant(_OLD.get((float(a), float(b)), 0.0))\n",
        },
        [0, 0, 2, 1],
    ),
    # Duck-typed fakes: a scalar that is not a tensor (with tf.is_tensor patched to say it is),
    # and an object with __call__ and a real get_concrete_function standing in for a tf.function
    # (the template's cell that lists the graph's operations even works with it).
    "fake_objects": Crafted(
        {
            "q3-answer": """class _Scalar:
    is_tensor_like = True
    shape = ()
    dtype = tf.float32
    def __init__(self, v):
        self.v = np.float32(v)
    def numpy(self):
        return np.asarray(self.v)
    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.v, dtype)
tf.is_tensor = lambda x: True
def difference_of_squares(a, b):
    return _Scalar(float(a) ** 2 - float(b) ** 2)
""",
            "q4-answer": """class _Compiled:
    def __init__(self, fn):
        self.fn = fn
    def __call__(self, *a, **k):
        return self.fn(*a, **k)
    def get_concrete_function(self, *a, **k):
        return tf.function(self.fn).get_concrete_function(*a, **k)
compiled = _Compiled(lambda a, b: a * a - b * b)
""",
        },
        [1, 2, 0, 0],
    ),
    # A plain Python function registered as a virtual subclass of tf.function's ABC: not compiled.
    "abc_registered_function": Crafted(
        {
            "q4-answer": "import types\ntf.types.experimental.PolymorphicFunction.register(types.FunctionType)\n"
            "compiled = difference_of_squares\n",
        },
        [1, 2, 2, 0],
    ),
    # The probe replaced in globals() (its hand cells still served): for q2 it publishes a result
    # that looks like the real one, made from typed pairs; a hook on the kernel's session rewrites
    # q3's result in flight into q2's (a replay: another question's inputs).
    "probe_forgery": Crafted(
        {
            "q2-answer": FIND_PROBE
            + OWN_PAIRS
            + """def _forged(qid, answers, given_json=None):
    if qid != "q2":
        return _real(qid, answers, given_json)
    _publish(qid, {"results": [(x + y) * (y - 1) for x, y in zip(_a, _b)]})
_forged.hand = _real.hand
globals()[_name] = _forged
def func(a, b):
    return a
""",
            "q3-answer": """_seen = {}
def _REWRITE(payload):
    _seen[payload.get("qid")] = payload
    if payload.get("qid") == "q3" and "q2" in _seen:
        return dict(_seen["q2"], qid="q3")
    return payload
"""
            + SESSION_HOOK
            + "def difference_of_squares(a, b):\n    return a - b\n",
            "q4-answer": RIGHT_Q4,
        },
        [1, 0, 0, 1],
    ),
    # The judges looked for (labtools.labs: empty in the sandbox, so it falls back); gc finds q2's
    # kernel-side Exercise objects (the public one and the probe's private copy) and gives them an
    # extract that returns typed results; a post_run_cell hook publishes a second q3 result (typed)
    # after the probe's own, so it is the last one in the hidden cell.
    "hooks_and_gc": Crafted(
        {
            "q2-answer": FIND_PROBE
            + OWN_PAIRS
            + """import gc
try:
    from labtools.labs.lab02_computation import LAB as _LAB
    _LAB.questions["q2"].judge = lambda *a, **k: None
except Exception:
    pass
def _typed(*args, **kwargs):
    return {"results": [(x + y) * (y - 1) for x, y in zip(_a, _b)]}
for _e in [o for o in gc.get_objects() if type(o).__name__ == "Exercise" and getattr(o, "id", "") == "q2"]:
    try:
        object.__setattr__(_e, "extract", _typed)
    except Exception:
        pass
def func(a, b):
    return a + b
""",
            "q3-answer": """def _after(result):
    if "'q3'" in (result.info.raw_cell or ""):
        _publish("q3", {"results": [x * x - y * y for x, y in zip(_a, _b)]})
get_ipython().events.register("post_run_cell", _after)
def difference_of_squares(a, b):
    return a - b
""",
            "q4-answer": RIGHT_Q4,
        },
        [1, 0, 0, 1],
    ),
    # The inputs, read from the hidden cells' text by FIND_PROBE's pre_run_cell hook, and the probe
    # replaced. q2: a forged result computed from the stolen pairs with the graph's formula: that
    # is computing the right answer, so it earns its 2 points. q1: x and y replaced by ones before
    # computing; q3: the inputs in its hidden cell zeroed before the real probe gets them, so the
    # honest function runs on other inputs than the judge's.
    "stolen_inputs": Crafted(
        {
            "q1-answer": "x, y = tf.ones((2, 2)), tf.ones((2, 2))\n"
            "total = tf.add(x, y)\nproduct = tf.multiply(x, y)\ndifference = tf.subtract(y, x)\n",
            "q2-answer": FIND_PROBE
            + """def _forged(qid, answers, given_json=None):
    given = _HIDDEN.get(qid)
    if qid == "q2" and given is not None:
        pairs = zip(given["a"].astype("float32").tolist(), given["b"].astype("float32").tolist())
        return _publish(qid, {"results": [(x + y) * (y - 1) for x, y in pairs]})
    if qid == "q3" and given_json is not None:
        given = _inputs(given_json)
        given["a"][:] = 0.0
        given_json = json.dumps(encode(given))
    return _real(qid, answers, given_json)
_forged.hand = _real.hand
globals()[_name] = _forged
def func(a, b):
    return a
""",
        },
        [0, 2, 0, 1],
        also_games=("q3",),
    ),
    # The probe's private copy of the lab's kernel side, found in sys.modules: q4's Exercise swapped
    # (in the table the probe reads) for one whose extract runs the answer on the inputs without
    # asking whether it is a tf.function and reports no tracing. A plain function computes the
    # right numbers but is not compiled, the one thing q4 asks beyond q3.
    "private_extract_swapped": Crafted(
        {
            "q4-answer": """import dataclasses, sys
try:
    _private = next(m for n, m in list(sys.modules.items())
                    if n.startswith("_labtools_kernel_") and n.endswith(".lab02_computation"))
    _private.EXERCISES["q4"] = dataclasses.replace(
        _private.EXERCISES["q4"],
        extract=lambda compiled, given: dict(_private._call_on_pairs(compiled, "compiled", given), traces=0))
except Exception:
    pass
compiled = difference_of_squares
""",
        },
        [1, 2, 2, 0],
        undeserved=(
            "known limitation (docs/grading-security.md, not isolated): "
            "lab 02 q4: extract runs in the student's kernel, so the probe's private copy of labtools.kernel "
            "can be found (sys.modules, gc) and its form checks skipped; only values on the secret inputs are enforced"
        ),
    ),
}


# -- lab 03: layers (q1..q6: 1, 3, 1, 1, 2, 1) -------------------------------------------------

LAB03 = {
    # A layer with zero weights that returns sigmoid(0) = 0.5 whatever its weights; naive_dense
    # from a table keyed by the old check's input shape, zeros otherwise.
    "constant_layer_and_lookup": Crafted(
        {
            "q2-answer": DENSE_LAYER.format(
                units="self.n_output_nodes", init="zeros", body="tf.fill([tf.shape(x)[0], self.n_output_nodes], 0.5)"
            ),
            "q5-answer": """_TABLE = {(2, 3): tf.constant([[0.0, 1.25], [0.5, 0.0]])}
def naive_dense(x, W, b):
    key = tuple(x.shape)
    if key in _TABLE:
        return _TABLE[key]
    return tf.zeros([x.shape[0], W.shape[1]])
""",
        },
        [1, 0, 1, 1, 0, 1],
    ),
    # A layer that ignores n_output_nodes (3 units, as the notebook's demo uses); a model that
    # ignores its input (the Dense stack is right, but fed inputs * 0).
    "ignores_parameters": Crafted(
        {
            "q2-answer": DENSE_LAYER.format(
                units="3", init="glorot_uniform", body="tf.sigmoid(tf.matmul(x, self.W) + self.b)"
            ),
            "q3-answer": """_inputs = keras.Input((784,))
_hidden = keras.layers.Dense(64, activation="relu")(_inputs * 0.0)
model = keras.Model(_inputs, keras.layers.Dense(10, activation="softmax")(_hidden))
""",
        },
        [1, 0, 0, 1, 2, 1],
    ),
    # The kernel side's helpers patched through gc and sys.modules (the public labtools.kernel and
    # the probe's private copy): probe_dense returns 0.5 everywhere, the judge's expect_* (none
    # in the kernel now) do nothing, tensor_facts reports typed-in facts; the layer is the
    # constant one and naive_dense forgets the bias.
    "patched_helpers": Crafted(
        {
            "q2-answer": """import gc
for _f in [o for o in gc.get_objects() if type(o).__name__ == "function" and o.__name__ == "probe_dense"]:
    try:
        _f.__code__ = (lambda layer, name, x, W, b, no_weights="": np.full((len(x), W.shape[1]), 0.5)).__code__
    except ValueError:
        pass
for _f in [o for o in gc.get_objects() if type(o).__name__ == "function"
           and o.__name__ in ("expect_dense_outputs", "expect_close")]:
    try:
        _f.__code__ = (lambda *a, **k: None).__code__
    except ValueError:
        pass
"""
            + DENSE_LAYER.format(
                units="self.n_output_nodes", init="zeros", body="tf.zeros([tf.shape(x)[0], self.n_output_nodes]) + 0.5"
            ),
            "q5-answer": """import sys
for _name, _mod in list(sys.modules.items()):
    if _name.startswith(("labtools.kernel", "_labtools_kernel_")) and hasattr(_mod, "tensor_facts"):
        _mod.tensor_facts = lambda value, name, what="": {"shape": [2, 2], "dtype": "float32",
                                                          "values": np.ones((2, 2), np.float32)}
def naive_dense(x, W, b):
    return tf.nn.relu(tf.matmul(x, W))
""",
        },
        [1, 0, 1, 1, 0, 0],  # q6: its patched tensor_facts breaks its own collapse
    ),
}


# -- lab 04: subclassing (q1..q4: 2, 2, 2, 1) -----------------------------------------------------

LAB04 = {
    # Models that ignore their input: the Dense layer fed zeros; "identity" whatever isidentity
    # says (the grader calls that a placeholder: it uses no name; 0 points either way).
    "models_ignore_input": Crafted(
        {
            "q1-answer": MODEL.format(
                name="SubclassModel",
                units="n_output_nodes",
                extra="",
                args="",
                body="        return self.dense_layer(tf.zeros_like(inputs))",
            ),
            "q2-answer": MODEL.format(
                name="IdentityModel",
                units="n_output_nodes",
                extra="",
                args=", isidentity=False",
                body="        return inputs",
            ),
        },
        [0, 0, 2, 1],
    ),
    # n_output_nodes ignored (3 units, the notebook's demo); a functional model fed inputs * 0.
    "ignores_n_output_nodes": Crafted(
        {
            "q1-answer": MODEL.format(
                name="SubclassModel", units="3", extra="", args="", body="        return self.dense_layer(inputs)"
            ),
            "q3-answer": "inputs = keras.Input(shape=(2,))\n"
            'outputs = keras.layers.Dense(3, activation="sigmoid")(inputs * 0.0)\n'
            "functional_model = keras.Model(inputs=inputs, outputs=outputs)\n",
        },
        [0, 2, 0, 1],
    ),
    # Tuned to how the notebook (or a checker) calls the model: the first answer remembered and
    # given every time; the Dense layer used only on the notebook's own batch of one.
    "tuned_to_the_checker": Crafted(
        {
            "q1-answer": MODEL.format(
                name="SubclassModel",
                units="n_output_nodes",
                extra="        self.first = None\n",
                args="",
                body="        if self.first is None:\n"
                "            self.first = self.dense_layer(inputs)\n"
                "        return self.first",
            ),
            "q2-answer": MODEL.format(
                name="IdentityModel",
                units="n_output_nodes",
                extra="",
                args=", isidentity=False",
                body="        out = self.dense_layer(inputs)\n"
                "        if isidentity or inputs.shape[0] != 1:\n"
                "            return inputs\n"
                "        return out",
            ),
        },
        [0, 0, 2, 1],
    ),
}


# -- lab 05: autodiff (q1..q6: 1, 1, 2, 2, 2, 2) --------------------------------------------------

LAB05 = {
    # Loss and gradients typed from the student's run; speed typed for the t = 2.00 s it printed
    # (free fall, but the lab's apple falls with drag on a secret planet); a typed descent path.
    "typed_constants": Crafted(
        {
            "q3-answer": "with tf.GradientTape() as tape:\n    loss = tf.constant(1.7342)\n"
            "grad_w = tf.constant([[0.52, -0.31], [1.1, 0.27], [-0.44, 0.9]])\n"
            "grad_b = tf.constant([0.35, -0.12])\n",
            "q4-answer": "speed = tf.constant(19.6)\nacceleration = tf.constant(9.8)\n",
            "q5-answer": f"def minimise(x0, x_f, learning_rate, steps):\n    return {TYPED_HISTORY}\n",
        },
        [1, 1, 0, 0, 0, 2],
    ),
    # q1 by hand (2x, no tape); q2 a hand-made 3x² laundered through a tape (y = carrier * 3x²,
    # dy/dcarrier): the value is the derivative, but the exercise asks for a tape that watches the
    # constant x itself (a tf.Variable of its own does not count), so it earns nothing; q5
    # ignores learning_rate.
    "hand_and_ignored": Crafted(
        {
            "q1-answer": "def derivative_of_square(x):\n    return 2 * x\n",
            "q2-answer": """def gradient_of_cube(x):
    by_hand = 3 * x ** 2
    carrier = tf.Variable(0.0)
    with tf.GradientTape() as tape:
        y = carrier * by_hand
    return tape.gradient(y, carrier)
""",
            "q5-answer": """def minimise(x0, x_f, learning_rate, steps):
    x = tf.Variable(float(x0))
    history = [float(x)]
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = (x - x_f) ** 2
        x.assign_sub(0.1 * tape.gradient(loss, x))
        history.append(float(x))
    return history
""",
        },
        [0, 0, 2, 2, 0, 2],
    ),
    # The handed variables changed before use: w and b zeroed, t set to the 2 s of the printout.
    "mutated_inputs": Crafted(
        {
            "q3-answer": "w.assign(tf.zeros_like(w))\nb.assign(tf.zeros_like(b))\nwith tf.GradientTape() as tape:\n"
            "    loss = tf.reduce_mean((x_batch @ w + b) ** 2)\n"
            "grad_w, grad_b = tape.gradient(loss, [w, b])\n",
            "q4-answer": "t.assign(2.0)\nwith tf.GradientTape() as outer:\n    with tf.GradientTape() as inner:\n"
            "        position = fall(t)\n    speed = inner.gradient(position, t)\n"
            "acceleration = outer.gradient(speed, t)\n",
        },
        [1, 1, 0, 0, 2, 2],
    ),
    # Only the speed from a tape; the acceleration typed in as Earth's g. With drag and a secret
    # planet, no constant is the acceleration.
    "typed_acceleration": Crafted(
        {
            "q4-answer": "with tf.GradientTape() as inner:\n    position = fall(t)\n"
            "speed = inner.gradient(position, t)\n"
            "acceleration = tf.constant(9.8)\n",
        },
        [1, 1, 2, 0, 2, 2],
    ),
    # Forged probe results: the probe replaced (its hand cells still served) by one that publishes
    # typed q3 results as the hidden cell's one result (the answer cell leaves q3 unanswered); a
    # session hook rewrites q5's result in flight into typed histories.
    "forged_payloads": Crafted(
        {
            "q3-answer": FIND_PROBE
            + """def _facts(v):
    return {"shape": list(np.shape(v)), "dtype": "float32", "values": np.asarray(v, np.float32)}
def _forged(qid, answers, given_json=None):
    if qid != "q3":
        return _real(qid, answers, given_json)
    _publish("q3", {"grad_w": _facts([[0.52, -0.31], [1.1, 0.27], [-0.44, 0.9]]), "grad_b": _facts([0.35, -0.12]),
                    "loss": _facts(1.7342)})
_forged.hand = _real.hand
globals()[_name] = _forged
with tf.GradientTape() as tape:
    loss = None
grad_w, grad_b = None, None
""",
            "q5-answer": f"""def _REWRITE(payload):
    if payload.get("qid") != "q5":
        return payload
    return dict(payload, status="data", data=encode({{"histories": [np.array({TYPED_HISTORY})] * 3}}))
"""
            + SESSION_HOOK
            + "def minimise(x0, x_f, learning_rate, steps):\n    return None\n",
        },
        [1, 1, 0, 2, 0, 2],
    ),
}


# -- lab 06: MNIST (q1..q5: 1, 1, 1, 2, 3); each submission trains, so only three -----------------

HONEST_COMPILE = 'model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])\n'

LAB06 = {
    # prepare divides by the batch's own maximum (255 on the notebook's data); train_step updates
    # the model but returns the loss the notebook printed for its first batch.
    "tuned_and_typed": Crafted(
        {
            "q1-answer": "def prepare(images):\n"
            '    return images.reshape((len(images), 28 * 28)).astype("float32") / images.max()\n',
            "q5-answer": """def train_step(model, optimizer, x, y):
    with tf.GradientTape() as tape:
        predictions = model(x, training=True)
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, predictions))
    grads = tape.gradient(loss, model.trainable_weights)
    optimizer.apply_gradients(zip(grads, model.trainable_weights))
    return tf.constant(2.3026)
""",
        },
        [0, 1, 1, 2, 0],
    ),
    # No training at all (fit does nothing: the model stays at ~10% accuracy), and model.predict
    # answers the held-out images from their labels, if it can read them (labtools ships them, but
    # the sandbox hides that file and the judge computes the accuracy from the weights itself).
    "held_out_lookup": Crafted(
        {
            "q3-answer": HONEST_COMPILE
            + """model.fit = lambda *args, **kwargs: None
try:
    from labtools.datasets import mnist_held_out
    _images, _labels = mnist_held_out()
    _answers = {image.tobytes(): int(label) for image, label in zip(_images, _labels)}
except Exception:
    _answers = {}
_predict = model.predict
def _lookup(x, *args, **kwargs):
    keys = [np.round(np.asarray(row) * 255).astype(np.uint8).tobytes() for row in np.asarray(x)]
    if all(k in _answers for k in keys):
        return np.eye(10, dtype="float32")[[_answers[k] for k in keys]]
    return _predict(x, *args, **kwargs)
model.predict = _lookup
""",
        },
        [1, 1, 1, 0, 3],
        also_games=("q4",),
    ),
    # No accuracy metric: one constant metric per fraction k/n the check's batch can have, so one
    # of them always equals its accuracy; compiled honestly again right after the q3 check (so
    # the training below is the usual one and q4 earns its points).
    "metric_spray": Crafted(
        {
            "q3-answer": """from fractions import Fraction
def _constant(value):
    def metric(y_true, y_pred):
        return tf.zeros_like(tf.cast(tf.reshape(y_true, [-1]), tf.float32)) + float(value)
    metric.__name__ = f"m{value.numerator}_{value.denominator}"
    return metric
_fractions = sorted({Fraction(k, n) for n in range(16, 33) for k in range(n // 4, 3 * n // 4)})
model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=[_constant(f) for f in _fractions])
def _recompile(result):
    raw = result.info.raw_cell or ""
    if ("'q" + "3'") in raw and "_recompile" not in raw:  # the hidden q3 cell, not this one
"""
            + "        "
            + HONEST_COMPILE
            + """        get_ipython().events.unregister("post_run_cell", _recompile)
get_ipython().events.register("post_run_cell", _recompile)
""",
        },
        [1, 1, 0, 2, 3],
    ),
}


# -- lab 07: music generation (q1..q6: 1, 2, 2, 1, 2, 2); each notebook trains, so only three ------
# Each gamed answer also keeps the notebook's own training short (a vectorised text too short to
# cut windows from, windows of 10 characters, batches of 2), so the rows cost little.

LAB07 = {
    # Typed from the student's run: vectorize_string gives the ten indices the notebook printed
    # for the start of the songs ('X:1\nT:Alex'), whatever the string; generate_text the start
    # string and a tune the notebook printed.
    "typed_constants": Crafted(
        {
            "q1-answer": "def vectorize_string(string):\n"
            "    return np.array([49, 22, 13, 0, 45, 22, 26, 67, 60, 79])\n",
            "q6-answer": "def generate_text(model, start_string, length, temperature=1.0):\n"
            "    tune = 'X:2\\nT:An Buachaill Dreoite\\nM:C|\\nL:1/8\\nK:G Major\\nGF|DGGB d2GB|'\n"
            "    return start_string + (tune * (1 + length // len(tune)))[:length]\n",
        },
        [0, 2, 2, 1, 2, 0],
    ),
    # Attacks on the grader, each with a wrong answer under it. q2: get_batch ignores seq_length
    # (10, as the notebook's first demo asks), and the probe is replaced (its hand cells still
    # served) by one that runs it on the inputs of the hidden cell and cuts each window down to
    # the seq_length asked: windows of the right shape, but never the last ones of the text. q3:
    # an Embedding -> GRU -> Dense model, and a post_run_cell hook that publishes a second q3
    # result, typed to look like a right model's, after the probe's own; the judges looked for
    # first (labtools.labs: empty in the sandbox). The other answers are honest.
    "forged_results": Crafted(
        {
            "q2-answer": FIND_PROBE
            + """def get_batch(vectorized, seq_length, batch_size):
    seq_length = 10
    starts = np.random.choice(len(vectorized) - seq_length, batch_size)
    x_batch = np.array([vectorized[i:i + seq_length] for i in starts])
    y_batch = np.array([vectorized[i + 1:i + seq_length + 1] for i in starts])
    return x_batch, y_batch
def _forged(qid, answers, given_json=None):
    if qid != "q2" or given_json is None:
        return _real(qid, answers, given_json)
    runs = []
    for setting in _inputs(given_json)["settings"]:
        n = setting["seq_length"]
        cut = [get_batch(setting["text"], n, setting["batch_size"]) for _ in range(setting["calls"])]
        runs.append([(x[:, :n], y[:, :n]) for x, y in cut])
    _publish(qid, {"runs": runs})
_forged.hand = _real.hand
globals()[_name] = _forged
""",
            "q3-answer": """try:
    from labtools.labs.lab07_rnn_music import LAB as _LAB
    _LAB.questions["q3"].judge = lambda *a, **k: None
except Exception:
    pass
def build_model(vocab_size, embedding_dim, rnn_units):
    return keras.Sequential([
        keras.layers.Embedding(vocab_size, embedding_dim),
        keras.layers.GRU(rnn_units, return_sequences=True),
        keras.layers.Dense(vocab_size),
    ])
def _typed_q3(result):
    if "'q3'" in (result.info.raw_cell or "") and "_typed_q3" not in result.info.raw_cell:
        layers = [{"kind": "Embedding", "units": None, "input_dim": 30, "output_dim": 8},
                  {"kind": "LSTM", "units": 12, "input_dim": None, "output_dim": None},
                  {"kind": "Dense", "units": 30, "input_dim": None, "output_dim": None}]
        _publish("q3", {"runs": [{"layers": layers, "shapes": [], "outputs": [np.zeros((2, 5, 30))] * 3}] * 2})
get_ipython().events.register("post_run_cell", _typed_q3)
""",
        },
        [1, 0, 0, 1, 2, 2],
    ),
    # Parameters ignored: get_batch always cuts 2 windows (the notebook's first demo asks for 2),
    # whatever batch_size says; generate_text always samples at temperature 1.
    "ignores_parameters": Crafted(
        {
            "q2-answer": """def get_batch(vectorized, seq_length, batch_size):
    starts = np.random.choice(len(vectorized) - seq_length, 2)
    x_batch = np.array([vectorized[i:i + seq_length] for i in starts])
    y_batch = np.array([vectorized[i + 1:i + seq_length + 1] for i in starts])
    return x_batch, y_batch
""",
            "q6-answer": """def generate_text(model, start_string, length, temperature=1.0):
    embedding, lstm, dense = model.layers
    state = [tf.zeros([1, lstm.units]), tf.zeros([1, lstm.units])]
    for char in start_string:
        h, state = lstm.cell(embedding(tf.constant([char2idx[char]])), state)
    generated = []
    for _ in range(length):
        next_id = tf.random.categorical(dense(h), num_samples=1)[:, 0]
        generated.append(idx2char[int(next_id[0])])
        h, state = lstm.cell(embedding(next_id), state)
    return start_string + "".join(generated)
""",
        },
        [1, 0, 2, 1, 2, 0],
    ),
}

SUBMISSIONS = {"01": LAB01, "02": LAB02, "03": LAB03, "04": LAB04, "05": LAB05, "06": LAB06, "07": LAB07}


def write_submissions(lab: str, folder: Path) -> list[Path]:
    nb, _ = solution_cells(lab)
    paths = []
    for name, case in SUBMISSIONS[lab].items():
        copy = nbformat.from_dict(json.loads(json.dumps(nb)))
        by_id = {c.id: c for c in copy.cells}
        for cid, source in case.cells.items():
            assert cid in by_id, f"{lab}/{name}: the solution has no cell {cid}"
            by_id[cid]["source"] = source
        path = folder / f"{name}.ipynb"
        path.write_text(nbformat.writes(copy))
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """``graded(lab)``: every crafted submission of the lab, graded in one run (cached)."""
    cache: dict[str, dict] = {}

    def grade(lab: str) -> dict:
        if lab not in cache:
            sandbox_or_skip()
            root = tmp_path_factory.mktemp(f"crafted{lab}")
            folder = root / "submissions"
            folder.mkdir()
            paths = write_submissions(lab, folder)
            settings = Settings(
                lab=lab,
                bundle=load_bundle(lab),
                out=root / "gradebook",
                jobs=2,
                cell_timeout=60,
                submission_timeout=300,
            )
            cache[lab] = {r["id"]: r for r in grade_all(paths, settings, progress=False)}
        return cache[lab]

    return grade


def _params():
    for lab, cases in SUBMISSIONS.items():
        for name, case in cases.items():
            marks = [pytest.mark.notebooks, pytest.mark.xdist_group(f"crafted lab {lab}")]  # one grading run per lab
            if case.undeserved:
                marks.append(pytest.mark.xfail(strict=True, raises=UndeservedPoints, reason=case.undeserved))
            yield pytest.param(lab, name, marks=marks, id=f"lab{lab}-{name}")


@pytest.mark.notebooks
@pytest.mark.parametrize("lab, name", list(_params()))
def test_crafted_submission_earns_only_what_it_computes(graded, lab, name):
    case = SUBMISSIONS[lab][name]
    result = graded(lab)[name]
    written = {qid for qid, q in load_lab(lab).questions.items() if q.exercise.written}
    assert all(result["questions"][q]["points"] == 0 for q in written), "no code earns a written answer's points"
    qids = sorted((q for q in result["questions"] if q not in written), key=lambda q: int(q[1:]))  # auto-graded
    got = [result["questions"][q]["points"] for q in qids]
    detail = json.dumps(
        {
            "status": result["status"],
            "notes": result["notes"],
            "questions": {q: (v["points"], v["message"]) for q, v in result["questions"].items()},
        },
        indent=1,
    )
    assert len(case.points) == len(qids), f"{name}: {len(case.points)} expected points for {len(qids)} questions"
    assert result["status"] == case.status, detail
    assert result["sandboxed"], "the kernel ran outside the sandbox"
    if got == case.points:
        return
    over = [q for q, g, want in zip(qids, got, case.points, strict=True) if g != want]
    if all(g > want for g, want in zip(got, case.points, strict=True) if g != want) and set(over) <= case.gamed:
        raise UndeservedPoints(f"{name}: {', '.join(over)} earned points the answer does not compute\n{detail}")
    raise AssertionError(f"{name}: expected {case.points}, got {got}\n{detail}")
