"""What the labs' prose says about TensorFlow, Keras and NumPy, run against the installed versions.

One test per claim: its docstring quotes the lab and the claim, and the test asserts the behaviour
itself, so that a new TensorFlow or Keras that changes it fails here and the prose gets fixed. Each
test is small, seeded and runs on the CPU in well under two seconds.
"""

from __future__ import annotations

import dataclasses
import itertools
import time

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")


@pytest.fixture(autouse=True)
def seeded():
    keras.utils.set_random_seed(0)


def _arrays(structure) -> list:
    return [np.asarray(t) for t in tf.nest.flatten(structure)]


def _same(first: list, second: list) -> bool:
    return all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def _fastest(fn, repeats: int = 5) -> float:
    """The fastest of a few runs of fn, in seconds (the least disturbed by other processes)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


# -- Lab 01 · Tensors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("number, qid", [("01", "q3"), ("02", "q1")])
def test_lab01_lab02_handed_inputs_stay_the_same_until_the_kernel_restarts(number, qid):
    """Lab 01: "`grid`, a 4×6 table of random whole numbers, drawn the first time you run the cell:
    running it again gives the same table, restarting the kernel a new one." Lab 02 says the same of
    `x` and `y`. (It used to say "new each time you run the cell".)"""
    from labtools.labs import load_lab

    shared = getattr(load_lab(number), qid)
    question = dataclasses.replace(shared, _handed=None)  # as in a fresh kernel; the shared one is untouched
    first, again = _arrays(question.inputs()), _arrays(question.inputs())
    assert _same(first, again), "running the cell again changed the inputs"
    restarted = _arrays(dataclasses.replace(shared, _handed=None).inputs())
    assert not _same(first, restarted), "a new kernel drew the same inputs"


def test_lab01_adding_an_int32_to_a_float32_is_an_error_until_you_cast():
    """Lab 01: "TensorFlow does not mix dtypes silently: adding an `int32` to a `float32` is an error
    until you `tf.cast` one of them"."""
    i, f = tf.constant([1, 2], tf.int32), tf.constant([0.5, 0.5], tf.float32)
    with pytest.raises(tf.errors.InvalidArgumentError):
        i + f
    assert (tf.cast(i, tf.float32) + f).dtype == tf.float32


def test_lab01_a_tensor_cannot_be_assigned_to_but_a_variable_can():
    """Lab 01: "A `tf.Tensor` is immutable: `t[0] = 5` raises an error ... a `tf.Variable`, updated in
    place with `assign`, `assign_add` and `assign_sub`"."""
    t = tf.zeros([3])
    with pytest.raises(TypeError):
        t[0] = 5.0
    v = tf.Variable(tf.zeros([3]))
    v[0].assign(5.0)
    v.assign_add([1.0, 1.0, 1.0])
    v.assign_sub([0.5, 0.5, 0.5])
    np.testing.assert_allclose(v.numpy(), [5.5, 0.5, 0.5])


def test_lab01_tensorflow_defaults_to_float32_and_a_converted_array_keeps_its_dtype():
    """Lab 01: "NumPy's default float is `float64`, TensorFlow's is `float32`; a converted array keeps
    its dtype, so `float64` stays `float64`" (and `tf.zeros` makes `float32`, "TensorFlow's default
    floating-point dtype")."""
    arr = np.arange(6.0).reshape(2, 3)
    assert arr.dtype == np.float64
    assert tf.constant(1.0).dtype == tf.float32 and tf.zeros([2]).dtype == tf.float32
    as_tensor = tf.convert_to_tensor(arr)
    assert as_tensor.dtype == tf.float64 and tf.square(arr).dtype == tf.float64
    assert isinstance(as_tensor.numpy(), np.ndarray) and np.asarray(as_tensor).dtype == np.float64


def test_lab01_broadcasting_lines_shapes_up_from_the_right():
    """Lab 01: "`(64, 3, 32, 10) + (32, 10)` works: `(32, 10)` becomes `(1, 1, 32, 10)` and is repeated
    ...; `(5, 1) * (1, 4)` gives `(5, 4)`; `(3, 2) + (3,)` fails"."""
    big, small = tf.random.normal((64, 3, 32, 10)), tf.random.normal((32, 10))
    repeated = tf.tile(tf.reshape(small, (1, 1, 32, 10)), [64, 3, 1, 1])
    assert (big + small).shape == (64, 3, 32, 10)
    assert bool(tf.reduce_all(big + small == big + repeated))
    assert (tf.ones((5, 1)) * tf.ones((1, 4))).shape == (5, 4)
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.ones((3, 2)) + tf.ones((3,))


def test_lab01_matmul_is_batched_over_the_leading_axes():
    """Lab 01: "`@` and `tf.matmul` are batched too: on rank-3 tensors, `(n, a, b) @ (n, b, c)` is `n`
    matrix products at once, shape `(n, a, c)`"."""
    x, y = tf.random.normal((8, 2, 3)), tf.random.normal((8, 3, 4))
    product = x @ y
    assert product.shape == (8, 2, 4)
    np.testing.assert_allclose(product[5], x[5] @ y[5], rtol=1e-5, atol=1e-6)


def test_lab01_reshape_keeps_the_order_and_transpose_reverses_the_axes():
    """Lab 01: "`tf.reshape` lays the same elements, in the same order, into a new shape ... `-1` means
    'work this axis out'. `tf.transpose` reverses the axes"."""
    t = tf.reshape(tf.range(24), (2, 3, 4))
    flat = tf.reshape(t, [2, -1])
    assert flat.shape == (2, 12) and flat.numpy().ravel().tolist() == list(range(24))
    assert tf.transpose(t).shape == (4, 3, 2)
    assert tf.transpose(flat).numpy().tolist() == flat.numpy().T.tolist()


def test_lab01_a_python_loop_is_orders_of_magnitude_slower_than_vectorised_code():
    """Lab 01: "Vectorised operations beat Python loops by orders of magnitude" (`relu` by loop
    against `np.maximum`)."""
    x = np.random.default_rng(0).normal(size=(100, 100)).astype("float32")

    def loop():
        out = x.copy()
        for i in range(x.shape[0]):
            for j in range(x.shape[1]):
                out[i, j] = max(x[i, j], 0.0)
        return out

    np.testing.assert_array_equal(loop(), np.maximum(x, 0.0))
    assert _fastest(loop, 2) > 100 * _fastest(lambda: np.maximum(x, 0.0))


# -- Lab 02 · Computations and graphs ------------------------------------------------------------------


def test_lab02_the_operators_are_the_tensorflow_functions():
    """Lab 02: "`tf.add`, `tf.subtract` and `tf.multiply` ... are exactly what `+`, `-` and `*` call on
    tensors" (the same graph operation either way)."""
    spec = tf.TensorSpec([], tf.float32)

    def op_types(fn):
        graph = tf.function(fn, autograph=False).get_concrete_function(spec, spec).graph
        return {op.type for op in graph.get_operations()} - {"Placeholder", "Identity"}

    assert op_types(tf.add) == op_types(lambda a, b: a + b) == {"AddV2"}
    assert op_types(tf.subtract) == op_types(lambda a, b: a - b) == {"Sub"}
    assert op_types(tf.multiply) == op_types(lambda a, b: a * b) == {"Mul"}


def test_lab02_a_new_python_number_traces_a_new_graph_and_a_tensor_does_not():
    """Lab 02: "Python side effects ... happen while tracing and never again, while TensorFlow
    operations (`tf.print`, `v.assign_add(1)`) ... run on every call ... A new Python number means a
    new graph; a tensor with the same shape and dtype does not"."""
    runs, traced = tf.Variable(0), []

    @tf.function
    def scale(x, factor):
        traced.append(factor)  # Python: only while tracing
        runs.assign_add(1)
        return x * factor

    x1 = tf.constant(1.0)
    for factor in [1.0, 2.0, 3.0]:
        scale(x1, factor)
    for factor in [1.0, 2.0, 3.0]:
        scale(x1, tf.constant(factor))
    assert int(runs.numpy()) == 6
    assert scale.experimental_get_tracing_count() == 4 and len(traced) == 4


def test_lab02_an_input_signature_traces_once_for_any_python_floats():
    """Lab 02: "`tf.function(f, input_signature=[tf.TensorSpec(shape, dtype), ...])` ... arguments are
    then converted to tensors of that spec" (Exercise 4: it "traces only once")."""
    compiled = tf.function(lambda a, b: (a + b) * (a - b), input_signature=[tf.TensorSpec([], tf.float32)] * 2)
    results = [float(compiled(a, 2.0)) for a in (1.5, 2.5, 3.5, -7.0)]
    assert results == [a * a - 4.0 for a in (1.5, 2.5, 3.5, -7.0)]
    assert compiled.experimental_get_tracing_count() == 1


def test_lab02_reduce_retracing_relaxes_shapes_not_python_numbers():
    """Lab 02: "(`reduce_retracing=True` relaxes tensor *shapes*; it does not help with Python
    numbers.)\""""
    by_number = tf.function(lambda x, k: x * k, reduce_retracing=True)
    for k in (1.0, 2.0, 3.0):
        by_number(tf.constant(1.0), k)
    assert by_number.experimental_get_tracing_count() == 3
    by_shape = tf.function(lambda x: x * 2.0, reduce_retracing=True)
    plain = tf.function(lambda x: x * 2.0)
    for n in (1, 2, 3):
        by_shape(tf.ones(n))
        plain(tf.ones(n))
    assert by_shape.experimental_get_tracing_count() == 2 and plain.experimental_get_tracing_count() == 3


def test_lab02_retracing_at_every_step_is_slower_than_eager_code():
    """Lab 02: "Tracing costs far more than a call, so a training step that is handed a new Python
    float at every step ... retraces every step and runs slower than eager code"."""

    def step(x, rate):
        return x - rate * x

    x = tf.ones((8, 8))
    step(x, 0.1)
    eager = _fastest(lambda: step(x, 0.1))
    compiled, rates = tf.function(step), iter(np.linspace(0.0, 1.0, 10))
    retracing = _fastest(lambda: compiled(x, float(next(rates))))
    assert compiled.experimental_get_tracing_count() == 5
    assert retracing > 3 * eager


def test_lab02_a_graph_pays_off_for_many_small_operations():
    """Lab 02: "Graphs pay off when a function runs many small operations, because the Python overhead
    per operation disappears" (20 small matrix steps)."""

    def many_small_steps(v):
        for _ in range(20):
            v = tf.tanh(v @ tf.eye(8) + 0.01)
        return v

    graph_version, v0 = tf.function(many_small_steps), tf.random.normal([8, 8])
    np.testing.assert_allclose(many_small_steps(v0), graph_version(v0), atol=1e-5)
    assert _fastest(lambda: graph_version(v0)) < _fastest(lambda: many_small_steps(v0)) / 2


def test_lab02_keras_runs_the_training_step_as_a_graph():
    """Lab 02: "Keras compiles your model's training step this way for you" (`fit` runs the step
    under `tf.function`, unless told `run_eagerly=True`)."""
    seen = []

    class Spy(keras.layers.Layer):
        def call(self, x):
            seen.append(tf.executing_eagerly())
            return x

    x, y = np.ones((8, 3), "float32"), np.zeros((8, 2), "float32")
    for run_eagerly in (False, True):
        model = keras.Sequential([keras.Input((3,)), Spy(), keras.layers.Dense(2)])
        model.compile("sgd", "mse", run_eagerly=run_eagerly)
        seen.clear()  # building the model above called the layer on symbolic inputs
        model.fit(x, y, epochs=1, batch_size=8, verbose=0)
        assert seen and set(seen) == {run_eagerly}


# -- Lab 03 · Layers -------------------------------------------------------------------------------------


def test_lab03_a_dense_layer_creates_its_weights_on_the_first_call_with_the_documented_defaults():
    """Lab 03: "the first call creates W (3 x 4) and b (4,)"; the table: `activation` "default: none
    (linear)", `use_bias` "(default `True`)", initialisers "`glorot_uniform` / `zeros`"."""
    layer = keras.layers.Dense(4)
    assert layer.weights == []
    y = layer(tf.random.normal([2, 3]))
    assert y.shape == (2, 4)
    assert [(w.name, tuple(w.shape)) for w in layer.weights] == [("kernel", (3, 4)), ("bias", (4,))]
    assert layer.activation is keras.activations.linear and layer.use_bias
    assert isinstance(layer.kernel_initializer, keras.initializers.GlorotUniform)
    assert isinstance(layer.bias_initializer, keras.initializers.Zeros)
    np.testing.assert_array_equal(layer.bias.numpy(), np.zeros(4))


def test_lab03_a_kernel_regularizer_adds_a_penalty_to_the_loss():
    """Lab 03: "`kernel_regularizer` | an optional penalty on `W`, added to the loss"."""
    layer = keras.layers.Dense(2, kernel_regularizer=keras.regularizers.L2(0.1))
    layer(tf.ones([1, 3]))
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(layer.losses[0]), 0.1 * float(tf.reduce_sum(layer.kernel**2)), rtol=1e-5)


def test_lab03_a_custom_layer_builds_its_weights_the_first_time_it_sees_data():
    """Lab 03: "`build(input_shape)` creates the weights with `self.add_weight(...)` the first time
    the layer sees data, so the input size does not have to be known in advance"."""
    shapes = []

    class Ours(keras.layers.Layer):
        def build(self, input_shape):
            shapes.append(tuple(input_shape))
            self.W = self.add_weight(shape=(input_shape[-1], 2), name="W")

        def call(self, x):
            return x @ self.W

    layer = Ours()
    assert layer.weights == [] and shapes == []
    layer(tf.ones([3, 5]))
    layer(tf.ones([4, 5]))
    assert shapes == [(3, 5)] and tuple(layer.W.shape) == (5, 2)


def test_lab03_a_sequential_model_has_no_weights_until_built_and_counts_147_parameters():
    """Lab 03: "Until then the model has no weights at all" ... "5 × 16 + 16 = 96 ... 16 × 3 + 3 = 51;
    the model has 96 + 51 = 147"."""
    probe = keras.Sequential([keras.layers.Dense(16, activation="relu"), keras.layers.Dense(3)])
    assert len(probe.weights) == 0
    probe.build((None, 5))
    assert [tuple(w.shape) for w in probe.weights] == [(5, 16), (16,), (16, 3), (3,)]
    assert probe.count_params() == 147 == (5 + 1) * 16 + (16 + 1) * 3


def test_lab03_two_linear_dense_layers_are_one_and_a_relu_between_them_is_not():
    """Lab 03: "(x W1 + b1) W2 + b2 = x (W1 W2) + (b1 W2 + b2): one `Dense` layer" ... "with a relu
    between the two layers, no single layer does"."""
    first, second = keras.layers.Dense(5, bias_initializer="random_normal"), keras.layers.Dense(2)
    x = tf.random.normal([4, 3])
    two_layers = second(first(x))
    one = keras.layers.Dense(2)
    one.build((None, 3))
    one.set_weights([first.kernel.numpy() @ second.kernel.numpy(), first.bias.numpy() @ second.kernel.numpy()])
    np.testing.assert_allclose(two_layers, one(x), atol=1e-5)
    assert float(tf.reduce_max(tf.abs(second(tf.nn.relu(first(x))) - one(x)))) > 1e-3


def test_lab03_lstm_and_conv2d_need_their_rank_and_dense_acts_on_the_last_axis():
    """Lab 03: "`LSTM` and `Conv2D` need a tensor of a given rank (the batch axis first) and refuse any
    other; `Dense` acts on the last axis of any tensor, so on a sequence it scores every step"."""
    for shape in [(2, 3), (2, 3, 4, 5)]:
        with pytest.raises(ValueError, match="ndim"):
            keras.layers.LSTM(4)(tf.zeros(shape))
    for shape in [(2, 8, 8), (2, 3, 8, 8, 1)]:
        with pytest.raises(ValueError):
            keras.layers.Conv2D(4, 3)(tf.zeros(shape))
    assert keras.layers.Conv2D(4, 3)(tf.zeros((2, 8, 8, 1))).shape == (2, 6, 6, 4)
    assert keras.layers.LSTM(4)(tf.zeros((2, 7, 3))).shape == (2, 4)
    dense = keras.layers.Dense(4)
    sequence = tf.random.normal((2, 7, 3))
    assert dense(sequence).shape == (2, 7, 4)
    np.testing.assert_allclose(dense(sequence)[:, 6], dense(sequence[:, 6]), atol=1e-6)


# -- Lab 04 · Models by subclassing ----------------------------------------------------------------------


def test_lab04_a_subclassed_model_has_its_layers_at_once_and_their_weights_after_the_first_call():
    """Lab 04: "A subclassed model has its layers as soon as `__init__` has run, but their weights and
    shapes come only with the first call" (layers stored as attributes: "Keras tracks their weights
    for you")."""

    class SubclassModel(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense_layer = keras.layers.Dense(3, activation="sigmoid")

        def call(self, inputs):
            return self.dense_layer(inputs)

    model = SubclassModel()
    assert len(model.layers) == 1 and model.weights == []
    with pytest.raises(ValueError, match="built"):
        model.count_params()
    model(tf.ones([1, 2]))
    assert [tuple(w.shape) for w in model.weights] == [(2, 3), (3,)] and model.count_params() == 9


def test_lab04_the_functional_api_checks_shapes_while_you_build():
    """Lab 04: "Keras then knows every connection in advance, so it can check shapes as you build"."""
    with pytest.raises(ValueError, match="incompatible shapes"):
        keras.layers.Add()([keras.Input((3,)), keras.Input((4,))])
    image, caption = keras.Input((64,)), keras.Input((16,))
    merged = keras.layers.Concatenate()([keras.layers.Dense(8)(image), caption])
    assert tuple(merged.shape) == (None, 24)


def test_lab04_the_training_argument_switches_dropout_and_batch_normalisation():
    """Lab 04: "Keras itself does this with `training=`, which switches dropout and batch normalisation
    between training and inference" (Lab 06 says the same of `model(x, training=True)`)."""
    x = tf.random.normal([16, 4]) * 3.0 + 2.0
    dropout = keras.layers.Dropout(0.5)
    np.testing.assert_array_equal(dropout(x, training=False), x)
    assert float(tf.reduce_mean(tf.cast(dropout(x, training=True) == 0, tf.float32))) > 0.2
    norm = keras.layers.BatchNormalization()
    trained = norm(x, training=True)  # normalised by the batch's own statistics
    np.testing.assert_allclose(tf.reduce_mean(trained, axis=0), np.zeros(4), atol=1e-4)
    assert float(tf.reduce_max(tf.abs(norm(x, training=False) - trained))) > 0.5


# -- Lab 05 · Automatic differentiation --------------------------------------------------------------


def test_lab05_a_tape_watches_trainable_variables_and_a_constant_only_when_told():
    """Lab 05: "A tape follows trainable `tf.Variable`s automatically. A plain tensor ... is not
    watched, and its gradient comes back as `None`, unless you call `tape.watch(tensor)` first"."""
    x, frozen, c = tf.Variable(3.0), tf.Variable(3.0, trainable=False), tf.constant(3.0)
    with tf.GradientTape() as tape:
        y = x * x + frozen * frozen + c * c
    dx, dfrozen, dc = tape.gradient(y, [x, frozen, c])
    assert float(dx) == 6.0 and dfrozen is None and dc is None
    with tf.GradientTape() as tape:
        tape.watch(c)
        y = c * c
    assert float(tape.gradient(y, c)) == 6.0


def test_lab05_a_tape_is_released_after_one_gradient_call_unless_persistent():
    """Lab 05: "A tape is released after one `gradient` call. To ask several questions of the same
    recording, create it with `persistent=True`"."""
    u = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        square, cube = u**2, u**3
    assert float(tape.gradient(square, u)) == 4.0
    with pytest.raises(RuntimeError):
        tape.gradient(cube, u)
    with tf.GradientTape(persistent=True) as tape:
        square, cube = u**2, u**3
    assert (float(tape.gradient(square, u)), float(tape.gradient(cube, u))) == (4.0, 12.0)


def test_lab05_gradients_come_back_in_the_structure_and_shapes_of_their_sources():
    """Lab 05: "`tape.gradient` takes a list (or dict) of sources and returns gradients in the same
    structure, each with the shape of its variable"."""
    w, b = tf.Variable(tf.ones([3, 2])), tf.Variable(tf.zeros([2]))
    with tf.GradientTape(persistent=True) as tape:
        loss = tf.reduce_mean((tf.ones([4, 3]) @ w + b) ** 2)
    as_dict = tape.gradient(loss, {"w": w, "b": b})
    as_list = tape.gradient(loss, [w, b])
    assert set(as_dict) == {"w", "b"} and isinstance(as_list, list)
    assert as_dict["w"].shape == w.shape and as_dict["b"].shape == b.shape


def test_lab05_nested_tapes_give_the_second_derivative():
    """Lab 05: "Nest two tapes: the inner one differentiates the position, the outer one records that
    differentiation and differentiates it again" (4.9 t² gives 9.8 t and 9.8)."""
    t = tf.Variable(2.0)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            position = 4.9 * t**2
        speed = inner.gradient(position, t)
    acceleration = outer.gradient(speed, t)
    assert float(speed) == pytest.approx(19.6) and float(acceleration) == pytest.approx(9.8)


def test_lab05_sgd_subtracts_the_rate_times_the_gradient_and_diverges_beyond_rate_one():
    """Lab 05: "`optimizer.apply_gradients([(grad, var)])` performs `var -= learning_rate * grad` for
    `SGD`" ... "beyond η = 1 (for this loss) every step lands farther from the minimum than the
    last, so x diverges"."""
    x = tf.Variable(-2.0)
    keras.optimizers.SGD(learning_rate=0.05).apply_gradients([(tf.constant(3.0), x)])
    assert float(x) == pytest.approx(-2.15)

    def distances(rate):
        x, opt, out = tf.Variable(-2.0), keras.optimizers.SGD(learning_rate=rate), []
        for _ in range(5):
            with tf.GradientTape() as tape:
                loss = (x - 4.0) ** 2
            opt.apply_gradients([(tape.gradient(loss, x), x)])
            out.append(abs(float(x) - 4.0))
        return out

    assert all(b > a for a, b in itertools.pairwise(distances(1.05)))
    assert all(b < a for a, b in itertools.pairwise(distances(0.95)))


def _surface(p):
    """Lab 05's loss surface f(x, y) = 0.1 x² + 2 y²."""
    return 0.1 * p[0] ** 2 + 2.0 * p[1] ** 2


def test_lab05_sgd_must_stay_below_rate_half_and_then_covers_8_percent_along_x():
    """Lab 05: "SGD's rate must stay below 0.5 for the steep *y* direction, or it diverges there, so
    each step covers only 8% of the way along the shallow *x* direction" (at the lab's rate 0.4)."""

    def one_step(rate):
        p = tf.Variable((-4.5, 1.5))
        with tf.GradientTape() as tape:
            loss = _surface(p)
        keras.optimizers.SGD(learning_rate=rate).apply_gradients([(tape.gradient(loss, p), p)])
        return p.numpy() / np.array([-4.5, 1.5])  # what is left of each coordinate

    x_left, y_left = one_step(0.4)
    assert x_left == pytest.approx(0.92) and y_left == pytest.approx(-0.6)
    assert abs(one_step(0.55)[1]) > 1 and abs(one_step(0.45)[1]) < 1


def test_lab05_adadelta_hardly_moves_on_the_labs_surface():
    """Lab 05: Adadelta's "first steps are tiny (here 0.0014 at rate 1.0, the original paper's; Keras'
    default rate is 0.001)" ... "at rate 1.0, f falls only from 6.5 to about 5.1 in 150 steps (to
    about 0.08 in 2,000); at Keras' default rate, 0.001, it stays where it starts ... (try
    `learning_rate=50` above)". It used to say that rate 1.0 works where 0.001 "barely moves"."""
    assert float(keras.optimizers.Adadelta().learning_rate) == pytest.approx(0.001)
    p = tf.Variable((-4.5, 1.5))
    with tf.GradientTape() as tape:
        loss = _surface(p)
    keras.optimizers.Adadelta(learning_rate=1.0).apply_gradients([(tape.gradient(loss, p), p)])
    np.testing.assert_allclose(np.abs(p.numpy() - (-4.5, 1.5)), [0.0014, 0.0014], atol=2e-5)

    rates = (0.001, 1.0, 50.0)
    points = [tf.Variable((-4.5, 1.5)) for _ in rates]
    optimisers = [keras.optimizers.Adadelta(learning_rate=rate) for rate in rates]
    for opt, p in zip(optimisers, points, strict=True):
        opt.build([p])
    after_150 = tf.Variable(tf.zeros(len(rates)))

    @tf.function
    def descend():  # one graph for all three, so the test stays fast
        for step in tf.range(2000):
            for opt, p in zip(optimisers, points, strict=True):
                with tf.GradientTape() as tape:
                    loss = _surface(p)
                opt.apply_gradients([(tape.gradient(loss, p), p)])
            if step == 149:
                after_150.assign(tf.stack([_surface(p) for p in points]))

    assert float(_surface(points[0])) == pytest.approx(6.525)
    descend()
    default, paper, fifty = after_150.numpy()
    assert default > 6.5 and 4.9 < paper < 5.2 and fifty < 0.01
    assert 0.05 < float(_surface(points[1])) < 0.12


def test_lab05_momentum_rolls_through_the_first_dip():
    """Lab 05: "plain gradient descent stops in the first dip; with momentum the ball rolls through it
    to the deeper minimum" (0.1 v² + 0.3 sin 3v from v = 4, rate 0.1, 80 steps)."""

    def roll(momentum):
        v, opt = tf.Variable(4.0), keras.optimizers.SGD(learning_rate=0.1, momentum=momentum)
        opt.build([v])

        @tf.function
        def run():
            for _ in tf.range(80):
                with tf.GradientTape() as tape:
                    loss = 0.1 * v**2 + 0.3 * tf.sin(3 * v)
                opt.apply_gradients([(tape.gradient(loss, v), v)])

        run()
        return float(v)

    grid = np.linspace(-6, 6, 12001)
    deepest = grid[np.argmin(0.1 * grid**2 + 0.3 * np.sin(3 * grid))]
    assert roll(0.0) == pytest.approx(3.38, abs=0.02)  # the first dip
    assert roll(0.9) == pytest.approx(deepest, abs=0.05)


# -- Lab 06 · A first neural network -------------------------------------------------------------------


def test_lab06_softmax_gives_probabilities_and_ignores_a_shift_of_every_score():
    """Lab 06: "every p_i is positive, they sum to 1, and the largest score gets the largest
    probability. Adding the same number to every score changes nothing"."""
    z = tf.random.normal([3, 10]) * 4
    p = keras.activations.softmax(z)
    assert bool(tf.reduce_all(p > 0))
    np.testing.assert_allclose(tf.reduce_sum(p, axis=1), np.ones(3), rtol=1e-6)
    assert np.array_equal(np.argmax(p, axis=1), np.argmax(z, axis=1))
    np.testing.assert_allclose(keras.activations.softmax(z + 7.0), p, atol=1e-6)


def test_lab06_cross_entropy_costs_and_its_clip():
    """Lab 06: "Certain and right (p_y = 1) costs 0; p_y = 0.5 costs 0.69; certain and wrong costs
    without limit (Keras clips p_y at 10⁻⁷ first, so its loss stops at −ln 10⁻⁷ ≈ 16.1)" ... "about
    1/10 on each digit, so its loss starts near ... ln 10 ≈ 2.30"."""
    loss = keras.losses.sparse_categorical_crossentropy
    label = np.array([0])
    assert float(loss(label, np.array([[1.0, 0.0]]))[0]) == pytest.approx(0.0, abs=1e-6)
    assert float(loss(label, np.array([[0.5, 0.5]]))[0]) == pytest.approx(0.6931, abs=1e-4)
    assert float(loss(label, np.array([[0.0, 1.0]]))[0]) == pytest.approx(-np.log(1e-7), rel=1e-4)
    assert float(loss(label, np.full((1, 10), 0.1))[0]) == pytest.approx(np.log(10), rel=1e-5)


def test_lab06_an_optimiser_named_by_a_string_gets_its_default_settings():
    """Lab 06: "Each can be a string, which uses default settings, or an object you configure"."""
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    assert isinstance(model.optimizer, keras.optimizers.RMSprop)
    assert float(model.optimizer.learning_rate) == pytest.approx(keras.optimizers.RMSprop().learning_rate)


def test_lab06_predict_returns_numpy_and_a_call_returns_a_tensor_with_the_same_probabilities():
    """Lab 06: "`model.predict(x)` runs the model batch by batch and returns NumPy arrays ... Calling
    `model(x)` returns a tensor in one go ... Both give the same probabilities"."""
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, activation="softmax")])
    x = np.random.default_rng(0).normal(size=(70, 6)).astype("float32")
    predicted, called = model.predict(x, batch_size=32, verbose=0), model(x)
    assert isinstance(predicted, np.ndarray) and tf.is_tensor(called)
    np.testing.assert_allclose(predicted, called.numpy(), atol=1e-6)


def test_lab06_trainable_weights_leave_out_batch_normalisations_running_averages():
    """Lab 06: "`model.trainable_weights`: the list of variables training may change (kernels and
    biases; not, say, a batch-norm layer's running averages)"."""
    model = keras.Sequential([keras.Input((4,)), keras.layers.BatchNormalization(), keras.layers.Dense(2)])
    assert [w.name for w in model.trainable_weights] == ["gamma", "beta", "kernel", "bias"]
    assert [w.name for w in model.non_trainable_weights] == ["moving_mean", "moving_variance"]


# -- Lab 07 · Music generation with an LSTM --------------------------------------------------------------


def _char_model(vocab=83, embedding_dim=64, rnn_units=256, **lstm):
    """Lab 07's Embedding -> LSTM -> Dense model (Exercise 3)."""
    return keras.Sequential(
        [
            keras.layers.Embedding(vocab, embedding_dim),
            keras.layers.LSTM(rnn_units, return_sequences=True, **lstm),
            keras.layers.Dense(vocab),
        ]
    )


def test_lab07_a_stateful_lstm_carries_its_state_between_calls():
    """Lab 07: "a copy built on `keras.Input(batch_shape=(1, None))` with `LSTM(..., stateful=True)`
    keeps it, and the layer's `reset_state()` (or `reset_states()`) sets it back to zeros; a model
    has no `reset_states()`". (It used to say Keras 3 had no stateful model and no `reset_states()`.)"""
    model = keras.Sequential(
        [
            keras.Input(batch_shape=(1, None)),
            keras.layers.Embedding(10, 4),
            keras.layers.LSTM(8, stateful=True, return_sequences=True),
            keras.layers.Dense(10),
        ]
    )
    lstm, x = model.layers[1], np.array([[1, 2, 3]])
    first = model(x).numpy()
    assert not np.allclose(model(x), first), "the second call started from a zero state again"
    lstm.reset_state()
    np.testing.assert_allclose(model(x), first, atol=1e-6)
    lstm.reset_states()
    stepwise = np.concatenate([model(x[:, i : i + 1]).numpy() for i in range(3)], axis=1)
    np.testing.assert_allclose(stepwise, first, atol=1e-6)
    assert not hasattr(model, "reset_states") and not hasattr(model, "reset_state")


def test_lab07_a_plain_lstm_starts_from_a_zero_state_at_every_call():
    """Lab 07: "Calling this model on a sequence starts the LSTM from a zero state every time: its LSTM
    is not stateful"."""
    model, x = _char_model(vocab=10, embedding_dim=4, rnn_units=8), np.array([[1, 2, 3]])
    np.testing.assert_array_equal(model(x), model(x))


def test_lab07_keras_3_has_no_batch_input_shape_and_a_stateful_lstm_keeps_its_batch_size():
    """Lab 07 (Keras 2 table): "no `batch_input_shape`: start with `keras.Input(batch_shape=(1,
    None))`"."""
    with pytest.raises(ValueError, match="batch_input_shape"):
        keras.layers.LSTM(8, stateful=True, batch_input_shape=(1, None, 4))
    lstm = keras.layers.LSTM(8, stateful=True)
    lstm(np.zeros((1, 3, 4), "float32"))
    with pytest.raises(ValueError, match="batch size"):
        lstm(np.zeros((2, 3, 4), "float32"))


def test_lab07_the_lstm_cell_takes_one_step_and_return_state_hands_the_state_on():
    """Lab 07: "pass the LSTM's state `[h, c]` from step to step; `lstm.cell` takes one step" ... "or
    build the layer with `return_state=True` and call it with `initial_state=`"."""
    lstm = keras.layers.LSTM(8, return_sequences=True, return_state=True)
    x = tf.random.normal([1, 5, 3])
    whole, h_end, c_end = lstm(x)
    state = [tf.zeros([1, 8]), tf.zeros([1, 8])]
    for t in range(5):
        h, state = lstm.cell(x[:, t], state)
        np.testing.assert_allclose(h, whole[:, t], atol=1e-5)
    np.testing.assert_allclose(state[0], h_end, atol=1e-5)
    np.testing.assert_allclose(state[1], c_end, atol=1e-5)
    first, *carried = lstm(x[:, :2])
    rest, *_ = lstm(x[:, 2:], initial_state=carried)
    np.testing.assert_allclose(rest, whole[:, 2:], atol=1e-5)


def test_lab07_float_in_a_tf_function_is_a_cast_while_numpy_fails():
    """Lab 07: "while the graph is traced a tensor has no value yet, so `.numpy()`, or a NumPy function
    given a tensor, fails there ... there `float(loss)` becomes `tf.cast(loss, tf.float32)`, a
    tensor, not a Python number". (It used to say `float()` cannot run inside a graph.)"""
    as_float = tf.function(lambda loss: float(loss) * 2)
    result = as_float(tf.constant(2.5, tf.float64))
    assert tf.is_tensor(result) and result.dtype == tf.float32 and float(result) == 5.0

    def with_numpy(loss):
        return loss.numpy()

    def with_square(loss):
        return np.square(loss)

    def with_float(loss):
        return float(loss)

    with pytest.raises(AttributeError, match="numpy"):
        tf.function(with_numpy)(tf.constant(2.5))
    with pytest.raises(NotImplementedError, match="symbolic"):
        tf.function(with_square)(tf.constant(2.5))
    with pytest.raises(TypeError):  # it is AutoGraph that turns float() into a cast
        tf.function(with_float, autograph=False)(tf.constant(2.5))


def test_lab07_a_tf_function_may_create_variables_on_its_first_call_only():
    """Lab 07: "Adam keeps two variables of its own for every weight; `optimizer.build` creates them
    before the compiled step runs, so the step never creates one: `tf.function` allows that on its
    first call only"."""
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    adam = keras.optimizers.Adam()
    adam.build(model.trainable_variables)
    slots = [v.name for v in adam.variables if v.name not in ("iteration", "learning_rate")]
    assert len(slots) == 2 * len(model.trainable_variables)
    made = []

    @tf.function
    def late(x):
        if x.shape[0] == 2 and not made:
            made.append(tf.Variable(1.0))
        return x

    late(tf.ones(1))
    with pytest.raises(ValueError, match="non-first call"):
        late(tf.ones(2))


def test_lab07_numpy_batches_of_one_shape_are_traced_once():
    """Lab 07: "the first call traces it into a graph and every later call runs that graph" (the loop
    passes `get_batch`'s NumPy arrays, a new pair at every step)."""
    step = tf.function(lambda x, y: tf.reduce_mean(tf.cast(x - y, tf.float32)))
    rng = np.random.default_rng(0)
    for _ in range(4):
        step(rng.integers(0, 83, (64, 100)), rng.integers(0, 83, (64, 100)))
    assert step.experimental_get_tracing_count() == 1


def test_lab07_a_loss_told_of_logits_stays_accurate_where_softmax_first_rounds_to_zero():
    """Lab 07: "Told so, a loss applies the softmax itself, in a form that stays accurate where
    computing e^z first would overflow or round to 0"."""
    loss, labels, logits = keras.losses.sparse_categorical_crossentropy, np.array([1]), np.array([[1000.0, 0.0]])
    assert float(loss(labels, logits, from_logits=True)[0]) == pytest.approx(1000.0)
    assert float(loss(labels, tf.nn.softmax(logits))[0]) == pytest.approx(-np.log(1e-7), rel=1e-4)


def test_lab07_the_untrained_model_scores_near_ln_83_on_any_batch_and_sequence_length():
    """Lab 07: "An untrained model spreads its bets evenly over 83 characters, so its loss starts near
    ln 83 ≈ 4.42" ... "The model does not fix the batch size or the sequence length"."""
    model = _char_model()
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 83, (4, 50)), rng.integers(0, 83, (4, 50))
    logits = model(x)
    assert logits.shape == (4, 50, 83) and model(x[:1, :3]).shape == (1, 3, 83)
    untrained = float(tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)))
    assert np.log(83) == pytest.approx(4.42, abs=0.005) and untrained == pytest.approx(np.log(83), abs=0.05)


def test_lab07_the_trainable_variables_are_the_embedding_the_lstm_and_the_dense_layer():
    """Lab 07: "`model.trainable_variables` lists ... the embedding table, the LSTM's kernels and bias,
    the Dense kernel and bias"."""
    model = _char_model(vocab=10, embedding_dim=4, rnn_units=8)
    model(np.zeros((1, 2), "int32"))
    assert [(v.path.split("/")[-1], tuple(v.shape)) for v in model.trainable_variables] == [
        ("embeddings", (10, 4)),
        ("kernel", (4, 32)),
        ("recurrent_kernel", (8, 32)),
        ("bias", (32,)),
        ("kernel", (8, 10)),
        ("bias", (10,)),
    ]


def test_lab07_apply_gradients_subtracts_so_you_pass_the_gradient_itself():
    """Lab 07: "Adam decides how far to move each weight and updates it in place. It subtracts: you
    pass the gradient itself, not its negative"."""
    w = tf.Variable([1.0, 1.0])
    keras.optimizers.Adam(learning_rate=0.1).apply_gradients([(tf.constant([2.0, -0.001]), w)])
    np.testing.assert_allclose(w.numpy(), [0.9, 1.1], atol=1e-3)  # Adam's first step: the rate, against the sign


def test_lab07_a_temperature_below_one_sharpens_and_above_one_flattens():
    """Lab 07: "The temperature divides the logits before sampling: below 1 it sharpens the
    distribution ..., above 1 it flattens it"."""
    logits = tf.constant([[2.0, 1.0, 0.0, -1.0]])

    def top(temperature):
        return float(tf.reduce_max(tf.nn.softmax(logits / temperature)))

    assert top(0.5) > top(1.0) > top(2.5) > 0.25
    draws = tf.random.categorical(logits / 0.01, num_samples=200, seed=1)
    assert set(draws.numpy().ravel()) == {0}


def test_lab07_the_keras_3_table():
    """Lab 07 (Keras 2 table): "`self.add_weight(name="W", shape=...)`: `shape` comes first now, so name
    it"; "`layer(x)`: it builds the layer on first use" (a bare `layer.call(x)` does not); "the file
    name must end in `.weights.h5`"."""

    class NamedFirst(keras.layers.Layer):
        def build(self, input_shape):
            self.W = self.add_weight("W", shape=(2, 2))

    with pytest.raises(ValueError, match="keyword"):
        NamedFirst()(tf.ones([1, 2]))
    with pytest.raises(AttributeError, match="build"):
        keras.layers.Dense(3).call(tf.ones([2, 4]))
    assert keras.layers.Dense(3)(tf.ones([2, 4])).shape == (2, 3)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match=r"\.weights\.h5"):
        model.save_weights("ckpt")
