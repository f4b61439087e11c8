"""Lab 07 at the course's full settings: sampling speed and training-step time, side by side.

    python benchmarks/rnn_music.py [--units 1024] [--steps 20]

Sampling: characters per second of the one-eager-call-per-character loop (the course's way)
and of labtools' compiled loop (``tf.function`` over the LSTM cell, 8 tunes at once).
Training: ms per step of the course's reference step (stateful LSTM with a fixed batch shape,
per-element loss) and of the lab's step, both ``@tf.function``, batch 8, sequence 100, Adam 5e-3;
and the lab's step with XLA (``jit_compile=True``) to show what would make it faster.
"""

import argparse
import time

import numpy as np

from labtools.runtime import import_tensorflow, seed_everything

VOCAB, EMB, BATCH, SEQ = 83, 256, 8, 100


def lab_model(keras, units, vocab=VOCAB, embedding=EMB):
    """The lab's model (exercise 3): Embedding -> LSTM(return_sequences=True) -> Dense logits."""
    return keras.Sequential(
        [
            keras.layers.Embedding(vocab, embedding),
            keras.layers.LSTM(units, return_sequences=True),
            keras.layers.Dense(vocab),
        ]
    )


def reference_model(keras, units):
    """The course's model, written for Keras 3: fixed batch shape, stateful LSTM."""
    inputs = keras.Input(batch_shape=(BATCH, None), dtype="int32")
    x = keras.layers.Embedding(VOCAB, EMB)(inputs)
    x = keras.layers.LSTM(
        units,
        return_sequences=True,
        stateful=True,
        recurrent_initializer="glorot_uniform",
        recurrent_activation="sigmoid",
    )(x)
    return keras.Model(inputs, keras.layers.Dense(VOCAB)(x))


def time_steps(tf, keras, model, steps, reduce, jit=False):
    optimizer = keras.optimizers.Adam(5e-3)

    def step(x, y):
        with tf.GradientTape() as tape:
            loss = keras.losses.sparse_categorical_crossentropy(y, model(x, training=True), from_logits=True)
            if reduce:
                loss = tf.reduce_mean(loss)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    step = tf.function(step, jit_compile=jit)
    rng = np.random.default_rng(0)
    batch = lambda: (rng.integers(0, VOCAB, (BATCH, SEQ)), rng.integers(0, VOCAB, (BATCH, SEQ)))  # noqa: E731
    for _ in range(3):  # trace and warm up
        step(*batch())
    start = time.perf_counter()
    for _ in range(steps):
        step(*batch())
    return 1000 * (time.perf_counter() - start) / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1024)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--chars", type=int, default=1000, help="characters per tune for the compiled sampler")
    args = parser.parse_args()
    tf = import_tensorflow()
    import keras

    from labtools import sampling

    seed_everything()
    device = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
    print(f"LSTM units {args.units}, embedding {EMB}, vocabulary {VOCAB}, device {device}")

    model = lab_model(keras, args.units)
    model.build((1, None))
    start = [5]
    sampling.sample_stepwise(model, start, 5, seed=0)  # warm up
    n_step = 200
    t0 = time.perf_counter()
    sampling.sample_stepwise(model, start, n_step, seed=0)
    stepwise = n_step / (time.perf_counter() - t0)
    sampler = sampling.CompiledSampler(model, seed=0)
    sampler(start, 10, n=8)  # trace
    t0 = time.perf_counter()
    sampler(start, args.chars, n=8)
    compiled = 8 * args.chars / (time.perf_counter() - t0)
    print(
        f"sampling: one call per character {stepwise:,.0f} chars/s | compiled loop, 8 tunes "
        f"{compiled:,.0f} chars/s | speed-up {compiled / stepwise:.0f}x"
    )

    ref = time_steps(tf, keras, reference_model(keras, args.units), args.steps, reduce=False)
    ours = time_steps(tf, keras, lab_model(keras, args.units), args.steps, reduce=True)
    xla = time_steps(tf, keras, lab_model(keras, args.units), args.steps, reduce=True, jit=True)
    print(
        f"training step (batch {BATCH}, seq {SEQ}): course reference {ref:.0f} ms | lab {ours:.0f} ms "
        f"| lab with XLA {xla:.0f} ms"
    )


if __name__ == "__main__":
    main()
