"""Lab 02 answer set: computations and graphs."""

import numpy as np
import tensorflow as tf

from . import right, untouched, wrong


def _table(table):
    """A lookup table of fixed inputs (what a student copies from a checker's constants)."""

    def fn(a, b):
        return tf.constant(table.get((round(float(a), 3), round(float(b), 3)), 0.0))

    return fn


class FakeTensor:
    is_tensor_like = True

    def __init__(self, v):
        self.v = v

    def numpy(self):
        return np.float32(self.v)

    shape = ()
    dtype = tf.float32


def _no_body(a, b): ...  # TODO


def _squares(a, b):
    return tf.multiply(tf.add(a, b), tf.subtract(a, b))


class _FakeFunction:
    """A plain function dressed up with a get_concrete_function attribute."""

    def __init__(self, fn):
        self.fn = fn
        self.get_concrete_function = lambda *a: None

    def __call__(self, a, b):
        return self.fn(a, b)


SCALAR = tf.TensorSpec([], tf.float32)


def _decorated():
    @tf.function(input_signature=(tf.TensorSpec(shape=[], dtype=tf.float32), tf.TensorSpec(shape=[], dtype=tf.float32)))
    def compiled(a, b):
        return _squares(a, b)

    return compiled


def _faked_count():
    """A plain tf.function whose tracing count is overwritten on the object."""
    fn = tf.function(_squares)
    fn.experimental_get_tracing_count = lambda: 0
    return fn


CASES = {
    "q1": [
        right("tf functions", lambda x, y: (tf.add(x, y), tf.multiply(x, y), tf.subtract(y, x))),
        right("operators", lambda x, y: (x + y, x * y, y - x)),
        right("tf.math names", lambda x, y: (tf.math.add(x, y), tf.math.multiply(x, y), tf.math.subtract(y, x))),
        right("negated x minus y", lambda x, y: (tf.add(y, x), tf.multiply(y, x), -(x - y))),
        right("add_n and reverse-order product", lambda x, y: (tf.add_n([x, y]), y * x, tf.negative(x) + y)),
        wrong("matrix product", lambda x, y: (x + y, tf.matmul(x, y), y - x), says="matrix product"),
        wrong("x minus y", lambda x, y: (x + y, x * y, x - y), says="y - x"),
        wrong("numpy results", lambda x, y: (x.numpy() + y.numpy(), x * y, y - x), says="not a tf.Tensor"),
        wrong(
            "typed-in example values",
            lambda x, y: (
                tf.constant([[11.0, 22.0], [33.0, 44.0]]),
                tf.constant([[10.0, 40.0], [90.0, 160.0]]),
                tf.constant([[9.0, 18.0], [27.0, 36.0]]),
            ),
            says="values are off",
        ),
        wrong("total as a sum of everything", lambda x, y: (tf.reduce_sum(x + y), x * y, y - x), says="shape"),
        wrong("division for product", lambda x, y: (x + y, x / y, y - x), says="product"),
        wrong("python list", lambda x, y: ((x + y).numpy().tolist(), x * y, y - x), says="list"),
        wrong("fake tensor object", lambda x, y: (FakeTensor(1.0), x * y, y - x), says="not a tf.Tensor"),
        wrong("absolute difference", lambda x, y: (x + y, x * y, tf.abs(y - x)), says="wrong sign"),
        wrong("difference = abs(y - x)", lambda x, y: (tf.add(x, y), tf.multiply(x, y), abs(y - x)), says="wrong sign"),
        wrong(
            "integer results",
            lambda x, y: tuple(tf.cast(t, tf.int32) for t in (x + y, x * y, y - x)),
            says="dtype int32",
        ),
        wrong(
            "inputs cast to int first",
            lambda x, y: (lambda a, b: (a + b, a * b, b - a))(tf.cast(x, tf.int32), tf.cast(y, tf.int32)),
            says="dtype int32",
        ),
        wrong("rounded product", lambda x, y: (x + y, tf.round(x * y), y - x), says="product"),
        wrong("squared difference", lambda x, y: (x + y, x * y, tf.math.squared_difference(y, x)), says="difference"),
        right("float64 maths", lambda x, y: tuple(tf.cast(t, tf.float64) for t in (x + y, x * y, y - x))),
        right("subtract with keywords", lambda x, y: (tf.add(x, y), tf.multiply(x, y), tf.subtract(x=y, y=x))),
        untouched(lambda x, y: (None, None, None)),
    ],
    "q2": [
        right("tf ops node by node", lambda: lambda a, b: tf.multiply(tf.add(a, b), tf.subtract(b, 1))),
        right("operators", lambda: lambda a, b: (a + b) * (b - 1)),
        right("expanded", lambda: lambda a, b: a * b - a + b * b - b),
        right("tf.math with a constant one", lambda: lambda a, b: tf.math.multiply(a + b, b - tf.constant(1.0))),
        right("keyword names", lambda: lambda a, b: tf.multiply(x=tf.add(x=a, y=b), y=tf.subtract(x=b, y=1.0))),
        wrong("d from a", lambda: lambda a, b: (a + b) * (a - 1), says="follow the graph"),
        wrong("sum instead of product", lambda: lambda a, b: (a + b) + (b - 1), says="follow the graph"),
        wrong("python float", lambda: lambda a, b: float((a + b) * (b - 1)), says="not a tf.Tensor"),
        wrong("numpy value", lambda: lambda a, b: ((a + b) * (b - 1)).numpy(), says="not a tf.Tensor"),
        wrong(
            "lookup table of the old fixed pairs",
            lambda: _table({(1.5, 2.5): 6.0, (3.0, -2.0): -3.0, (-4.0, 0.5): 1.75, (0.0, 7.0): 42.0}),
            says="follow the graph",
        ),
        wrong("returns c", lambda: lambda a, b: a + b, says="follow the graph"),
        wrong("returns a vector", lambda: lambda a, b: tf.stack([(a + b) * (b - 1)] * 2), says="single number"),
        wrong("raises", lambda: lambda a, b: tf.multiply(a + b, tf.constant([1.0, 2.0, 3.0]) - b[0]), says="raised"),
        wrong("fake tensor", lambda: lambda a, b: FakeTensor(float((a + b) * (b - 1))), says="not a tf.Tensor"),
        wrong("wrong arity", lambda: lambda a: a, says="cannot be called"),
        wrong("d = b + 1", lambda: lambda a, b: (a + b) * (b + 1), says="follow the graph"),
        wrong(
            "d = 1 - b", lambda: lambda a, b: tf.multiply(tf.add(a, b), tf.subtract(1.0, b)), says="follow the graph"
        ),
        wrong("e = c * b", lambda: lambda a, b: (a + b) * b, says="follow the graph"),
        wrong("integer result", lambda: lambda a, b: tf.cast((a + b) * (b - 1), tf.int32), says="follow the graph"),
        wrong("rounded", lambda: lambda a, b: tf.round((a + b) * (b - 1)), says="follow the graph"),
        right(
            "tf.math.subtract and a float one", lambda: lambda a, b: tf.math.multiply(a + b, tf.math.subtract(b, 1.0))
        ),
        untouched(lambda: _no_body),
        untouched(lambda: None, name="None"),
    ],
    "q3": [
        right("factored", lambda: _squares),
        right("squares", lambda: lambda a, b: a * a - b * b),
        right("tf.square", lambda: lambda a, b: tf.subtract(tf.square(a), tf.square(b))),
        right("pow", lambda: lambda a, b: a**2 - b**2),
        right("tf.math.pow", lambda: lambda a, b: tf.math.pow(a, 2.0) - tf.math.pow(b, 2.0)),
        wrong("flipped sign", lambda: lambda a, b: b * b - a * a, says="flipped"),
        wrong("square of difference", lambda: lambda a, b: (a - b) ** 2, says="not a² - b²"),
        wrong("missing square", lambda: lambda a, b: (a + b) * (a - 1), says="not a² - b²"),
        wrong("plus instead of minus", lambda: lambda a, b: a * a + b * b, says="not a² - b²"),
        wrong("numpy result", lambda: lambda a, b: a.numpy() ** 2 - b.numpy() ** 2, says="not a tf.Tensor"),
        wrong("integer cast", lambda: lambda a, b: tf.cast(a * a - b * b, tf.int32), says="not a² - b²"),
        wrong("lookup table", lambda: _table({(1.5, 2.5): -4.0, (3.0, -2.0): 5.0}), says="not a² - b²"),
        wrong("absolute value", lambda: lambda a, b: tf.abs(a * a - b * b), says="not a² - b²"),
        wrong("square of the sum", lambda: lambda a, b: tf.square(a + b), says="not a² - b²"),
        wrong("a - b only", lambda: lambda a, b: tf.subtract(a, b), says="not a² - b²"),
        wrong("rounded", lambda: lambda a, b: tf.round(a * a - b * b), says="not a² - b²"),
        right("tf.multiply twice", lambda: lambda a, b: tf.subtract(tf.multiply(a, a), tf.multiply(b, b))),
        untouched(lambda: _no_body),
    ],
    "q4": [
        right("input signature list", lambda: tf.function(_squares, input_signature=[SCALAR, SCALAR])),
        right("input signature tuple, times two", lambda: tf.function(_squares, input_signature=(SCALAR,) * 2)),
        right("any shape in the signature", lambda: tf.function(_squares, input_signature=[tf.TensorSpec(None)] * 2)),
        right("float64 signature", lambda: tf.function(_squares, input_signature=[tf.TensorSpec([], tf.float64)] * 2)),
        right("decorator with a signature", lambda: _decorated()),
        right(
            "keyword spec and a lambda",
            lambda: tf.function(
                lambda a, b: a * a - b * b, input_signature=[tf.TensorSpec(shape=(), dtype="float32")] * 2
            ),
        ),
        right(
            "signature and reduce_retracing",
            lambda: tf.function(_squares, input_signature=[SCALAR] * 2, reduce_retracing=True),
        ),
        wrong("plain tf.function", lambda: tf.function(_squares), says="traced"),
        wrong("reduce_retracing only", lambda: tf.function(_squares, reduce_retracing=True), says="traced"),
        wrong("jit off, no signature", lambda: tf.function(_squares, jit_compile=False), says="traced"),
        wrong(
            "int32 signature",
            lambda: tf.function(_squares, input_signature=[tf.TensorSpec([], tf.int32)] * 2),
            says="compiled(",
        ),
        wrong(
            "vector signature",
            lambda: tf.function(_squares, input_signature=[tf.TensorSpec([2])] * 2),
            says="compiled(",
        ),
        wrong("plain function", lambda: _squares, says="not a tf.function"),
        wrong(
            "wrapper that makes tensors",
            lambda: lambda a, b: _squares(tf.constant(a), tf.constant(b)),
            says="not a tf.function",
        ),
        wrong("fake get_concrete_function", lambda: _FakeFunction(_squares), says="not a tf.function"),
        wrong("faked tracing count", lambda: _faked_count(), says="traced"),
        wrong(
            "compiled wrong function",
            lambda: tf.function(lambda a, b: (a - b) ** 2, input_signature=[SCALAR] * 2),
            says="not a² - b²",
        ),
        wrong(
            "compiled flipped",
            lambda: tf.function(lambda a, b: b * b - a * a, input_signature=[SCALAR] * 2),
            says="flipped",
        ),
        wrong(
            "concrete function",
            lambda: tf.function(_squares).get_concrete_function(SCALAR, SCALAR),
            says="not a tf.function",
        ),
        wrong(
            "the result, not the function",
            lambda: tf.function(_squares)(tf.constant(2.0), tf.constant(1.0)),
            says="is a tf.Tensor, not a tf.function",
        ),
        wrong(
            "int32 signature, says so plainly",
            lambda: tf.function(_squares, input_signature=[tf.TensorSpec([], tf.int32)] * 2),
            says="input_signature",
        ),
        wrong(
            "a vector spec of any length",
            lambda: tf.function(_squares, input_signature=[tf.TensorSpec([None], tf.float32)] * 2),
            says="input_signature",
        ),
        wrong(
            "compiled with an integer cast",
            lambda: tf.function(lambda a, b: tf.cast(a * a - b * b, tf.int32), input_signature=[SCALAR] * 2),
            says="not a² - b²",
        ),
        wrong(
            "a lambda calling tf.function", lambda: lambda a, b: tf.function(_squares)(a, b), says="not a tf.function"
        ),
        untouched(lambda: None),
    ],
}
