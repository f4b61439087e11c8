"""The setup cell promises a quiet TensorFlow: what labtools does for it, checked without a notebook.

Run All of every notebook is scanned for log lines, NumPy reprs and summaries in pieces by
``notebooks.noise``: the student notebooks in tests/test_student_notebooks.py, the solution
notebooks (under Colab's versions) in tests/test_colab.py.
"""

import os
import subprocess
import sys

from notebooks import ROOT

AFTER_IMPORT = """
from labtools.runtime import import_tensorflow
tf = import_tensorflow()
import os
assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "2", os.environ["TF_CPP_MIN_LOG_LEVEL"]  # ERROR lines still show
tf.config.threading.set_intra_op_parallelism_threads(2)  # nothing ran yet: threads can still be set
ids = tf.tile(tf.constant([[1, 2, 3]]), [2, 1])
print(tf.transpose(ids).numpy().tolist())
print(tf.function(lambda x: tf.transpose(x))(ids).numpy().tolist())
"""


def test_an_int32_transpose_after_import_tensorflow_logs_nothing():
    """oneDNN logs "supports DT_INT32 only on platforms with AVX-512" as an ERROR, once, for the
    first int32 transpose (lab 07's compiled sampler has one); import_tensorflow spends it."""
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS")}
    run = subprocess.run(
        [sys.executable, "-c", AFTER_IMPORT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.split("\n")[:2] == ["[[1, 1], [2, 2], [3, 3]]"] * 2, run.stdout
    assert "oneDNN" not in run.stderr and "util.cc" not in run.stderr, run.stderr
