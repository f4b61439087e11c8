"""Lab 07 time-to-quality: what a student waits for is a good tune, not a fast step.

    python benchmarks/rnn_music_quality.py [--recipes course,lab] [--budget 300] [--marks 60,120,300]
    python benchmarks/rnn_music_quality.py --recipes course --steps          # the course's 3000 steps
    python benchmarks/rnn_music_quality.py --recipes custom --units 512 --batch 32 --lr 0.01 ...

Each recipe trains on 92% of the 804 tunes for a wall-clock budget (``--budget`` seconds), or
with ``--steps`` for its own number of steps (course 3000, lab 1000, fast 120; ``--steps N``: N),
one recipe after the other in the same process. The lab's recipes are read from the lab's
source, ``instructor/source/07_rnn_music.py`` (its ``settings`` and its ``CosineDecay``), so the
benchmark measures what students run. The training clock stops
while the model is measured, every ``--every`` seconds of training and at each mark:

- held-out loss: bits per character on the tunes the model never trains on (every 12th tune),
  each tune read from the start (zero state), as the model reads a tune it generates;
- valid tunes: ``--tunes`` sequences sampled from "X" at ``--temperature``, the first tune of
  each checked by ``labtools.music``'s parser (a tune that does not finish in 1000 characters
  counts as invalid).

It prints the figures at each mark for every recipe side by side, with the machine's core count,
and with ``--plot FILE`` draws both curves (held-out bits per character against minutes).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from rnn_music import lab_model  # benchmarks/rnn_music.py, beside this file

from labtools import music
from labtools.mit import load_training_data
from labtools.runtime import import_tensorflow, seed_everything

LAB_SOURCE = Path(__file__).resolve().parent.parent / "instructor" / "source" / "07_rnn_music.py"
HOLD_OUT_EVERY = 12  # every 12th tune is held out: 67 of 804
SAMPLE_CHARS = 1000


@dataclass(frozen=True)
class Recipe:
    name: str
    units: int
    embedding: int
    batch: int
    seq: int
    lr: float
    steps: int  # how long the recipe trains with --steps
    decay_to: float | None = None  # cosine decay of the learning rate to this fraction over the run
    weight_decay: float = 0.0  # AdamW's decoupled weight decay (0: Adam)


def lab_recipes(source: Path = LAB_SOURCE) -> dict[str, Recipe]:
    """The lab's full and fast recipes, read from the lab's ``settings = dict(...)``, where a
    value may be ``labtools.pick(fast=..., full=...)``. Full settings decay the learning rate
    along the lab's ``CosineDecay(..., alpha=...)``; fast mode keeps it constant."""
    tree = ast.parse(source.read_text(encoding="utf-8"))
    settings = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ["settings"]
    ]
    decays = [
        node for node in ast.walk(tree) if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("CosineDecay")
    ]
    alphas = [ast.literal_eval(k.value) for node in decays for k in node.keywords if k.arg == "alpha"]
    if len(settings) != 1 or not isinstance(settings[0], ast.Call) or len(alphas) != 1:
        raise SystemExit(f"{source}: expected one `settings = dict(...)` and one CosineDecay(..., alpha=...)")
    modes: dict[str, dict] = {"fast": {}, "full": {}}
    for keyword in settings[0].keywords:
        value = keyword.value
        if isinstance(value, ast.Call) and ast.unparse(value.func) == "labtools.pick":
            picked = {k.arg: ast.literal_eval(k.value) for k in value.keywords}
        else:
            picked = dict.fromkeys(modes, ast.literal_eval(value))
        for mode in modes:
            modes[mode][keyword.arg] = picked[mode]
    recipes = {}
    for name, mode in (("lab", "full"), ("fast", "fast")):
        s = modes[mode]
        recipes[name] = Recipe(
            name,
            units=s["rnn_units"],
            embedding=s["embedding_dim"],
            batch=s["batch_size"],
            seq=s["seq_length"],
            lr=s["learning_rate"],
            steps=s["steps"],
            decay_to=alphas[0] if mode == "full" else None,
        )
    return recipes


RECIPES = {
    # MIT 6.S191's settings: LSTM 1024, embedding 256, batch 8, sequence 100, Adam 5e-3, 3000 steps
    "course": Recipe("course", units=1024, embedding=256, batch=8, seq=100, lr=5e-3, steps=3000),
    # the lab's full settings (a narrower LSTM, 8 times the batch) and its fast mode (CI, Binder)
    **lab_recipes(),
}


class Corpus:
    def __init__(self):
        songs = load_training_data()
        self.vocab = sorted(set("\n\n".join(songs)))
        self.char2idx = {c: i for i, c in enumerate(self.vocab)}
        train = [s for i, s in enumerate(songs) if i % HOLD_OUT_EVERY]
        self.held_out = [s for i, s in enumerate(songs) if i % HOLD_OUT_EVERY == 0]
        self.train_ids = self.encode("\n\n".join(train))
        self.n_train_tunes = len(train)

    def encode(self, text: str) -> np.ndarray:
        return np.array([self.char2idx[c] for c in text], dtype=np.int32)

    def batch(self, rng, seq: int, size: int):
        starts = rng.integers(0, len(self.train_ids) - seq - 1, size)
        idx = starts[:, None] + np.arange(seq + 1)
        window = self.train_ids[idx]
        return window[:, :-1], window[:, 1:]


class Judge:
    """Held-out bits per character and valid tunes k/n, for any model of the lab's shape."""

    def __init__(self, tf, corpus: Corpus, n_tunes: int, temperature: float, seed: int = 7):
        self.tf, self.corpus, self.n_tunes, self.temperature, self.seed = tf, corpus, n_tunes, temperature, seed
        # held-out tunes, each "\n\n" + tune + "\n\n" so that the model is asked for the tune's
        # first character and for the end: padded to one batch with a mask
        texts = ["\n\n" + t + "\n\n" for t in corpus.held_out]
        n = max(len(t) for t in texts)
        self.x = np.zeros((len(texts), n - 1), np.int32)
        self.y = np.zeros((len(texts), n - 1), np.int32)
        self.mask = np.zeros((len(texts), n - 1), np.float32)
        for i, t in enumerate(texts):
            ids = corpus.encode(t)
            self.x[i, : len(ids) - 1], self.y[i, : len(ids) - 1] = ids[:-1], ids[1:]
            self.mask[i, 1 : len(ids) - 1] = 1.0  # the first target is the second "\n": not the tune's
        self.chars = int(self.mask.sum())
        self._sampler = None

    def bits_per_char(self, model) -> float:
        tf = self.tf
        total = 0.0
        for i in range(0, len(self.x), 16):
            logits = model(self.x[i : i + 16], training=False)
            ce = tf.nn.sparse_softmax_cross_entropy_with_logits(self.y[i : i + 16], logits)
            total += float(tf.reduce_sum(ce * self.mask[i : i + 16]))
        return total / self.chars / np.log(2)

    def valid_tunes(self, model, temperature: float | None = None) -> int:
        from labtools.sampling import CompiledSampler

        if self._sampler is None or self._sampler[0] is not model:  # one trace per model, not per measurement
            self._sampler = (model, CompiledSampler(model, seed=self.seed))
        sampler = self._sampler[1]
        temperature = self.temperature if temperature is None else temperature
        rows = sampler(self.corpus.encode("X"), SAMPLE_CHARS, temperature, n=self.n_tunes)
        valid = 0
        for row in rows:
            text = "X" + "".join(self.corpus.vocab[i] for i in row)
            tunes = music.split_tunes(text, complete_only=True)
            valid += bool(tunes) and music.check_tune(tunes[0]).valid
        return valid


def train(
    tf,
    keras,
    corpus: Corpus,
    judge: Judge,
    r: Recipe,
    budget: float | None,
    every: float,
    marks: list[float],
    resume=None,
    temperatures=(),
):
    """Train ``r`` for ``budget`` seconds of training time (or, with ``budget=None``, for
    ``r.steps`` steps); measure every
    ``every`` seconds and at each mark. Returns the curve: one dict per measurement.

    With ``resume`` (a folder), the run saves its state there every 100 steps (weights, Adam's
    variables, the batch generator, the clock and the curve) and continues from it when started
    again: a long run (MIT's 3000 steps take about 100 minutes on 2 cores) may span sessions."""
    seed_everything(0)
    rng = np.random.default_rng(0)
    model = lab_model(keras, r.units, vocab=len(corpus.vocab), embedding=r.embedding)
    optimizer = (
        keras.optimizers.AdamW(r.lr, weight_decay=r.weight_decay) if r.weight_decay else keras.optimizers.Adam(r.lr)
    )
    model.build((None, None))
    optimizer.build(model.trainable_variables)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    step(*corpus.batch(rng, r.seq, r.batch))  # trace and warm up (not counted; the weights move a little)
    curve: list[dict] = []
    clock, steps, recent, saved_at = 0.0, 0, [np.nan], -1
    state_file = Path(resume) / f"{r.name}.json" if resume else None
    if state_file and state_file.exists():
        saved = json.loads(state_file.read_text())
        model.load_weights(state_file.with_suffix(".weights.h5"))
        with np.load(state_file.with_suffix(".adam.npz")) as adam:
            for i, v in enumerate(optimizer.variables):
                v.assign(adam[f"v{i}"])
        rng.bit_generator.state = saved["rng"]
        clock, steps, recent, curve = saved["clock"], saved["steps"], saved["recent"], saved["curve"]
        saved_at = steps
        print(f"  {r.name:8} resumed at step {steps} ({clock:.0f} s of training)", flush=True)
    pending = sorted(m for m in marks if m > clock)
    next_every = every * (int(clock // every) + 1)
    while True:
        if state_file and steps and steps % 100 == 0 and saved_at != steps:
            state_file.parent.mkdir(parents=True, exist_ok=True)
            model.save_weights(state_file.with_suffix(".weights.h5"))
            adam = {f"v{i}": v.numpy() for i, v in enumerate(optimizer.variables)}
            np.savez(state_file.with_suffix(".adam.npz"), **adam)
            state = dict(rng=rng.bit_generator.state, clock=clock, steps=steps, recent=recent, curve=curve)
            state_file.write_text(json.dumps(state))
            saved_at = steps
        finished = steps >= r.steps if budget is None else clock >= budget
        if finished or clock >= next_every or (pending and clock >= pending[0]):
            bpc, valid = judge.bits_per_char(model), judge.valid_tunes(model)
            point = dict(seconds=round(clock, 1), steps=steps, train_loss=round(float(np.mean(recent)), 4))
            point.update(bpc=round(bpc, 4), valid=valid)
            curve.append(point)
            print(
                f"  {r.name:8} {clock:7.0f} s {steps:6d} steps  train loss {point['train_loss']:.3f} nats  "
                f"held-out {bpc:.3f} bits/char  valid {valid}/{judge.n_tunes}",
                flush=True,
            )
            while clock >= next_every:
                next_every += every
            pending = [m for m in pending if m > clock]
            if finished:
                for t in temperatures:
                    point[f"valid_at_{t}"] = k = judge.valid_tunes(model, t)
                    print(f"  {r.name:8} valid at temperature {t}: {k}/{judge.n_tunes}", flush=True)
                return curve
        if r.decay_to is not None:  # Keras's CosineDecay over the budget (or the steps)
            progress = min(1.0, steps / r.steps if budget is None else clock / budget)
            cosine = 0.5 * (1 + np.cos(np.pi * progress))
            optimizer.learning_rate.assign(r.lr * (r.decay_to + (1 - r.decay_to) * cosine))
        x, y = corpus.batch(rng, r.seq, r.batch)
        t0 = time.perf_counter()
        loss = float(step(x, y))
        clock += time.perf_counter() - t0
        steps += 1
        recent = [*recent[-19:], loss] if steps > 1 else [loss]


def at(curve: list[dict], seconds: float) -> dict | None:
    """The measurement taken at a mark (the first one at or after it)."""
    return next((p for p in curve if p["seconds"] >= seconds - 1e-6), None)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", default="course,lab", help=f"comma-separated: {', '.join(RECIPES)}, custom")
    parser.add_argument("--budget", type=float, default=300, help="seconds of training per recipe")
    parser.add_argument(
        "--steps",
        type=int,
        nargs="?",
        const=0,
        help="train each recipe for its own steps (course 3000, lab 1000, fast 120), or for N, not --budget",
    )
    parser.add_argument("--marks", default="60,120,300", help="seconds at which to report")
    parser.add_argument("--every", type=float, default=30, help="seconds between points of the curve")
    parser.add_argument("--tunes", type=int, default=20, help="tunes sampled for validity")
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument(
        "--temperatures", default="", help="also count valid tunes at these temperatures at the end: 0.6,0.8"
    )
    parser.add_argument("--threads", type=int, help="TensorFlow's intra- and inter-op threads (default: its own)")
    for field, kind in [
        ("units", int),
        ("embedding", int),
        ("batch", int),
        ("seq", int),
        ("lr", float),
        ("weight-decay", float),
    ]:
        parser.add_argument(f"--{field}", type=kind, help="for --recipes custom")
    parser.add_argument(
        "--decay", type=float, help="for --recipes custom: cosine decay to this fraction of --lr (0.1: to 10%%)"
    )
    parser.add_argument("--resume", help="a folder: save the run there every 100 steps and continue from it")
    parser.add_argument("--json", help="write the curves here")
    parser.add_argument("--plot", help="draw held-out bits per character against minutes into this PNG")
    args = parser.parse_args()

    tf = import_tensorflow()
    import keras

    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)

    marks = [float(m) for m in args.marks.split(",") if m]
    recipes = []
    for name in args.recipes.split(","):
        if name == "custom":
            given = {
                f: getattr(args, f)
                for f in ("units", "embedding", "batch", "seq", "lr", "weight_decay")
                if getattr(args, f)
            }
            r = replace(RECIPES["lab"], name="custom", decay_to=args.decay, **given)
        else:
            r = RECIPES[name]
        recipes.append(replace(r, steps=args.steps) if args.steps else r)
    budget = None if args.steps is not None else args.budget
    corpus = Corpus()
    judge = Judge(tf, corpus, args.tunes, args.temperature)
    device = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
    print(
        f"{os.cpu_count()} CPU cores, device {device}, TensorFlow {tf.__version__}; "
        f"{corpus.n_train_tunes} training tunes ({len(corpus.train_ids):,} chars), {len(corpus.held_out)} held out "
        f"({judge.chars:,} chars); validity: {args.tunes} tunes at temperature {args.temperature}"
    )
    curves = {}
    for r in recipes:
        print(f"{r.name}: {asdict(r)}", flush=True)
        curves[r.name] = train(
            tf,
            keras,
            corpus,
            judge,
            r,
            budget,
            args.every,
            marks,
            args.resume,
            [float(t) for t in args.temperatures.split(",") if t],
        )

    print("\nheld-out bits per character | valid tunes, at each mark of training time")
    print(f"{'recipe':10}" + "".join(f"{m / 60:>16.0f} min" for m in marks) + "        end (steps)")
    for name, curve in curves.items():
        cells = []
        for m in marks:
            p = at(curve, m)
            cells.append(f"{p['bpc']:8.3f} | {p['valid']:2d}/{args.tunes}" if p else f"{'-':>20}")
        last = curve[-1]
        print(
            f"{name:10}"
            + "".join(f"{c:>20}" for c in cells)
            + f"   {last['bpc']:.3f} | {last['valid']}/{args.tunes} ({last['steps']} steps, {last['seconds']:.0f} s)"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"cores": os.cpu_count(), "recipes": {r.name: asdict(r) for r in recipes}, "curves": curves}, f)
    if args.plot:
        plot(curves, args.plot, os.cpu_count())


def plot(curves: dict, path: str, cores) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    for name, curve in curves.items():
        minutes = [p["seconds"] / 60 for p in curve]
        left.plot(minutes, [p["bpc"] for p in curve], "o-", ms=3, label=name)
        right.plot(minutes, [p["valid"] for p in curve], "o-", ms=3, label=name)
    left.set(xlabel="minutes of training", ylabel="held-out bits per character", title="held-out loss")
    right.set(xlabel="minutes of training", ylabel="valid tunes of 20", title="valid tunes")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend()
    plt.suptitle(f"Lab 07 time to quality on {cores} CPU cores", fontsize=10)
    plt.tight_layout()
    plt.savefig(path, dpi=110)
    print("plot:", path)


if __name__ == "__main__":
    main()
