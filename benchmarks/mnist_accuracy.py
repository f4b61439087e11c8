"""Lab 06 with full settings: test accuracy and training time of the lab's MNIST network.

    python benchmarks/mnist_accuracy.py [--source auto|full|subset]

Trains exactly as the notebook does in full settings (5 epochs at batch 128 on 70% with a
validation hold-out, then 5 epochs at batch 32 on all training images) and prints the figures.
The full data set needs internet or a Keras cache; offline the bundled 8,000/2,000 subset is used.
"""

import argparse
import os
import time

import numpy as np

os.environ.pop("LABTOOLS_FAST", None)  # this benchmark is about full settings

from labtools.runtime import import_tensorflow, seed_everything  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="auto", choices=["auto", "full", "subset"])
    args = parser.parse_args()
    tf = import_tensorflow()
    import keras

    from labtools.datasets import load_mnist

    (x, y), (xt, yt) = load_mnist(args.source)
    x = x.reshape(len(x), 784).astype("float32") / 255
    xt = xt.reshape(len(xt), 784).astype("float32") / 255
    seed_everything()
    model = keras.Sequential([keras.layers.Dense(512, activation="relu"), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    order = np.random.default_rng(0).permutation(len(x))
    n_val = int(0.3 * len(x))
    start = time.perf_counter()
    model.fit(
        x[order[n_val:]],
        y[order[n_val:]],
        epochs=5,
        batch_size=128,
        verbose=0,
        validation_data=(x[order[:n_val]], y[order[:n_val]]),
    )
    first = model.evaluate(xt, yt, verbose=0)[1]
    model.fit(x, y, epochs=5, batch_size=32, verbose=0)
    seconds = time.perf_counter() - start
    final = model.evaluate(xt, yt, verbose=0)[1]
    print(
        f"data: {len(x):,} train / {len(xt):,} test | device: "
        f"{'GPU' if tf.config.list_physical_devices('GPU') else 'CPU'}"
    )
    print(
        f"test accuracy after 5 epochs on 70%: {first:.4f} | after 5 more on all: {final:.4f} "
        f"| training time {seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
