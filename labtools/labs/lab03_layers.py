"""Lab 03 - Layers: questions, points, hints and judges (the kernel side of its checks is
:mod:`labtools.kernel.lab03_layers`).

Layers are judged by what they compute on the judge's own inputs: a custom layer is built with
several unit counts and input sizes, its kernel and bias (found by shape) get the judge's random
values, and its output is compared with sigmoid(x W + b) computed from those values.
Activations are told apart by what they do, so "relu", tf.nn.relu and keras.layers.ReLU() are
the same answer.
"""

from __future__ import annotations

import numpy as np

from ..checking import Fail, Lab, Question
from ..judging import draw_dense_cases, expect_close, expect_dense_outputs, expect_float_dtype, expect_shape
from ..kernel.lab03_layers import EXERCISES as KERNEL
from ..kernel.lab03_layers import WIDE_PROBE, collapse_cases, naive_cases, stack_arrays
from ..reference import ACTIVATIONS, relu, sigmoid, softmax
from ..written import Criterion, Written


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" if n == 1 else f"{n} {thing}s"


def _activation(facts: dict) -> tuple[str, bool]:
    """The activation's name (by what it does near zero) and whether it acts like that one far
    from zero too (relu6 and a relu with max_value are relu only up to their cap)."""
    name = str(facts["activation"])
    ref, wide = ACTIVATIONS.get(name), facts.get("wide")
    if ref is None or wide is None:
        return name, True
    return name, bool(np.allclose(np.asarray(wide, dtype="float64"), ref(WIDE_PROBE), rtol=1e-4, atol=1e-4))


def _its(name: str) -> str:
    """'the sigmoid activation', or 'an activation of its own' for a lambda or a nameless one."""
    return "an activation of its own" if not name or name.startswith("<") else f"the {name[:40]} activation"


# q1 -- a Dense layer and its arguments ----------------------------------------------------------


def _judge_dense(d):
    if d["units"] != 32:
        raise Fail(f"dense has {_count(d['units'], 'unit')}; re-read how many the exercise asks for")
    name, same_far_out = _activation(d)
    if name != "relu":
        raise Fail(f"dense uses {_its(name)}; re-read which one the exercise asks for")
    if not same_far_out:
        raise Fail(
            "dense's activation behaves like relu near zero only (it changes large inputs); "
            "re-read which one the exercise asks for"
        )
    if d["use_bias"]:
        raise Fail("dense still has a bias; one argument switches it off")


# q2 -- a custom layer, probed with two unit counts and input sizes -----------------------------


def _judge_custom_layer(d, inputs):
    expect_dense_outputs(d["outputs"], inputs, "OurDenseLayer({units})")


# q3 -- a Sequential model -----------------------------------------------------------------------


def _draw_stack(rng) -> dict:
    return {"seed": int(rng.integers(2**31)), "n_in": int(rng.integers(5, 40))}


def _judge_sequential(d, inputs):
    layers = d["layers"]
    for layer in layers:
        if layer["kind"] != "Dense":
            raise Fail(f"model has a {layer['kind'][:40]} layer; the exercise asks for two Dense layers only")
    if len(layers) != 2:
        raise Fail(f"model has {_count(len(layers), 'Dense layer')}; the exercise asks for two")
    for i, (layer, (units, act)) in enumerate(zip(layers, [(64, "relu"), (10, "softmax")], strict=True), start=1):
        if layer["units"] != units:
            raise Fail(f"layer {i} has {_count(layer['units'], 'unit')}; re-read how many it needs")
        name, same_far_out = _activation(layer)
        if name != act:
            raise Fail(f"layer {i} uses {_its(name)}; re-read which one it needs")
        if not same_far_out:
            raise Fail(
                f"layer {i}'s activation behaves like {act} near zero only (it changes large inputs); "
                "re-read which one it needs"
            )
    x, W1, b1, W2, b2 = (a.astype("float64") for a in stack_arrays(inputs["seed"], tuple(d["shape_in"])))
    expected = softmax(relu(x.reshape(len(x), -1) @ W1 + b1) @ W2 + b2)
    expect_close("the model's output on a batch", d["output"], expected, atol=1e-5)


# q4 -- shape inference and parameter counts ----------------------------------------------------


def _judge_count(d):
    n = d["n"]
    first, second = 784 * 64 + 64, 64 * 10 + 10
    if n == 784 * 64 + 64 * 10:
        raise Fail("that counts the kernels only; each unit also has a bias")
    if n in (first, second):
        raise Fail("that counts one layer only; add up both layers")
    if n != first + second:
        raise Fail(
            f"{n} is not the number of parameters; count a kernel of (inputs x units) plus "
            "one bias per unit, for each layer"
        )


# q5 -- a dense layer by hand, on fresh shapes and values ----------------------------------------


def _naive_mistakes(x, W, b) -> list[np.ndarray]:
    """Wrong outputs of the right shape, for the draw to stay clear of."""
    z = x @ W + b
    return [z, relu(z - b), relu(z - b) + b, sigmoid(z), np.abs(z), relu(x @ W - b), np.tanh(z), np.minimum(relu(z), 6)]


def _draw_naive(rng) -> dict:
    """Three cases of different shapes; in each, outputs on both sides of zero, some above 6 (where
    relu6 caps them), and every known mistake (no relu, no bias, the bias after relu, another
    activation) off by 0.25 or more."""
    cases = {}
    sizes = rng.permutation(np.arange(2, 8))
    for i in range(3):
        n, k, u = int(rng.integers(2, 6)), int(sizes[2 * i]), int(sizes[2 * i + 1])
        while True:
            x = (rng.uniform(2, 4) * rng.standard_normal((n, k))).astype("float32")
            W, b = (rng.standard_normal(s).astype("float32") for s in ((k, u), (u,)))
            x64, W64, b64 = (a.astype("float64") for a in (x, W, b))
            z = x64 @ W64 + b64
            if not ((z < -0.25).any() and (z > 0.25).any()):
                continue
            if all(np.max(np.abs(m - relu(z))) >= 0.25 for m in _naive_mistakes(x64, W64, b64)):
                break
        cases.update({f"x{i}": x, f"W{i}": W, f"b{i}": b})
    return cases


def _judge_naive_dense(d, inputs):
    if len(d["results"]) != 3:
        raise Fail("naive_dense was not run on every probe")
    for facts, (x, W, b) in zip(d["results"], naive_cases(inputs), strict=True):
        z = x.astype("float64") @ W.astype("float64") + b.astype("float64")
        expect_shape(f"naive_dense's output for x of shape {x.shape} and W of shape {W.shape}", facts["shape"], z.shape)
        expect_float_dtype("naive_dense's output", facts["dtype"])
        out = np.asarray(facts["values"], dtype="float64")
        if np.allclose(out, z, atol=1e-4):
            raise Fail("the output is x·W + b; the layer also applies relu")
        if np.allclose(out, relu(z - b), atol=1e-4):
            raise Fail("the output ignores the bias b; add it before relu")
        expect_close("naive_dense's output", out, relu(z), atol=1e-4)


# q6 -- two linear layers are one ----------------------------------------------------------------


def _draw_collapse(rng) -> dict:
    """Two stacks of two linear Dense layers, d -> h -> k with d, h, k all different (so a
    transposed or reordered product has the wrong shape), where the first bias carried through
    W2 changes b by 0.25 or more, and so do the other known mistakes."""
    cases = {}
    for i in range(2):
        d, h, k = (int(n) for n in rng.permutation(np.arange(2, 8))[:3])
        while True:
            W1, b1, W2, b2 = (rng.standard_normal(s).astype("float32") for s in ((d, h), (h,), (h, k), (k,)))
            W1_, b1_, W2_, b2_ = (a.astype("float64") for a in (W1, b1, W2, b2))
            want = b1_ @ W2_ + b2_
            mistakes = [b2_, b1_.sum() + b2_, 2 * want, b1_ @ W2_, want - 2 * b2_]
            if all(np.max(np.abs(m - want)) >= 0.25 for m in mistakes):
                break
        for name, value in (("W1", W1), ("b1", b1), ("W2", W2), ("b2", b2)):
            cases[f"{name}_{i}"] = value
    return cases


def _judge_collapse(d, inputs):
    if len(d["results"]) != 2:
        raise Fail("collapse was not run on every probe")
    for got, (W1, b1, W2, b2) in zip(d["results"], collapse_cases(inputs), strict=True):
        W1, b1, W2, b2 = (a.astype("float64") for a in (W1, b1, W2, b2))
        W, b = np.asarray(got["W"]["values"], dtype="float64"), np.asarray(got["b"]["values"], dtype="float64")
        want_W, want_b = W1 @ W2, b1 @ W2 + b2
        if W.shape == want_W.T.shape and np.allclose(W, want_W.T, atol=1e-4):
            raise Fail("W is transposed: Keras layers compute x W + b, with one row of W per input")
        where = f"for layers {W1.shape[0]} -> {W1.shape[1]} -> {W2.shape[1]}"
        expect_shape(f"W {where}", W.shape, want_W.shape)
        if b.shape == (1, *want_b.shape):
            b = b.reshape(-1)
        expect_shape(f"b {where}", b.shape, want_b.shape)
        if not np.allclose(W, want_W, atol=1e-4):
            raise Fail(f"W {where} is not the kernel of the two layers together: x goes through W1, then W2")
        if np.allclose(b, b2, atol=1e-4):
            raise Fail("b is only the second layer's bias: the first layer's bias goes through W2 too")
        expect_close(f"b {where}", b, want_b, atol=1e-4)


LAB = Lab(
    "03",
    [
        Question(
            KERNEL["q1"],
            title="A Dense layer and its arguments",
            points=1,
            judge=_judge_dense,
            hints=[
                "Look at the arguments of keras.layers.Dense: units, activation, use_bias, ...",
                "One boolean argument decides whether the layer adds b.",
            ],
        ),
        Question(
            KERNEL["q2"],
            title="A custom layer",
            points=3,
            judge=_judge_custom_layer,
            draw=draw_dense_cases,
            hints=[
                "build() creates the weights with self.add_weight(shape=...), call() uses them.",
                "W has shape (input features, n_output_nodes); b has one value per unit.",
                "call() multiplies the inputs by W with tf.matmul, adds b and squashes the result.",
            ],
        ),
        Question(
            KERNEL["q3"],
            title="A Sequential model",
            points=1,
            judge=_judge_sequential,
            draw=_draw_stack,
            hints=[
                "keras.Sequential([...]) takes a list of layers.",
                "Each Dense layer takes its units and activation= (see the keras.layers.Dense docs).",
            ],
        ),
        Question(
            KERNEL["q4"],
            title="Counting parameters",
            points=1,
            judge=_judge_count,
            hints=[
                "A Dense layer with i inputs and u units has i*u kernel entries and u biases.",
                "Add both layers: the second one has 64 inputs.",
            ],
        ),
        Question(
            KERNEL["q5"],
            title="A dense layer by hand",
            points=2,
            judge=_judge_naive_dense,
            draw=_draw_naive,
            hints=[
                "tf.matmul, then add the bias (it broadcasts over the batch), then tf.nn.relu.",
                "Activation last: relu is applied to the whole affine result.",
            ],
        ),
        Question(
            KERNEL["q6"],
            title="Two linear layers are one",
            points=1,
            judge=_judge_collapse,
            draw=_draw_collapse,
            hints=[
                "Write second(first(x)) out: (x W1 + b1) W2 + b2, and multiply it out.",
                "Collect what multiplies x (that is W) and what is left over (that is b).",
            ],
        ),
        Written(
            KERNEL["q7"],
            title="Dense and Sequential",
            points=2,
            rubric=[
                Criterion(
                    "Dense: one fully connected layer computing activation(x W + b), with an example such as "
                    "Dense(3, activation='relu')",
                    1,
                ),
                Criterion(
                    "Sequential: a model that stacks layers in order, each feeding the next, with an example of two "
                    "layers",
                    1,
                ),
            ],
        ),
    ],
)
