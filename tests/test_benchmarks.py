"""The lab 07 time-to-quality benchmark reads the lab's recipe from the lab's source, so the
figures in docs/lab07-recipe.md describe what students run. Nothing here trains or imports
TensorFlow."""

import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import rnn_music_quality as quality  # noqa: E402  (benchmarks/ is not a package)

SOURCE = """
import labtools
settings = dict(
    embedding_dim=32,
    rnn_units=128,
    batch_size=16,
    seq_length=50,
    steps=labtools.pick(fast=7, full=70),
    learning_rate=labtools.pick(fast=3e-2, full=1e-2),
)
learning_rate = labtools.pick(
    fast=settings["learning_rate"],
    full=keras.optimizers.schedules.CosineDecay(settings["learning_rate"], settings["steps"], alpha=0.25),
)
"""


def test_the_lab_recipes_are_the_lab_sources_settings(tmp_path):
    source = tmp_path / "07.py"
    source.write_text(SOURCE)
    recipes = quality.lab_recipes(source)
    assert recipes["lab"] == quality.Recipe("lab", 128, 32, 16, 50, lr=1e-2, steps=70, decay_to=0.25)
    assert recipes["fast"] == quality.Recipe("fast", 128, 32, 16, 50, lr=3e-2, steps=7, decay_to=None)


def test_the_real_lab_source_is_readable_and_fast_mode_is_shorter():
    lab, fast = quality.RECIPES["lab"], quality.RECIPES["fast"]
    assert fast.steps < lab.steps
    assert (lab.units, lab.batch, lab.seq) == (fast.units, fast.batch, fast.seq)
    assert lab.decay_to is not None and 0 < lab.decay_to < 1 and fast.decay_to is None


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.replace("settings = dict(", "config = dict("),  # renamed: nothing to read
        lambda s: s.replace(", alpha=0.25", ""),  # no final rate given
        lambda s: s + "\nsettings = dict(rnn_units=1)\n",  # two settings: which one runs?
    ],
)
def test_a_lab_source_it_cannot_read_stops_with_one_line(tmp_path, change):
    source = tmp_path / "07.py"
    source.write_text(change(SOURCE))
    with pytest.raises(SystemExit, match="expected one `settings = dict"):
        quality.lab_recipes(source)
