"""What a lab notebook needs at run time: fast mode, seeds, a quiet TensorFlow, and a clean
way to skip a cell whose exercise is not done yet."""

from __future__ import annotations

import functools
import os
import random
import sys
from typing import Any

from .kernel.settings import fast_mode

SEED = 42


def pick(*, fast: Any, full: Any) -> Any:
    """``EPOCHS = labtools.pick(fast=1, full=5)``: one line that shows both settings."""
    return fast if fast_mode() else full


class TensorFlowMissing(ImportError):
    """Raised by :func:`import_tensorflow` where TensorFlow is not installed (Colab's TPU runtime,
    a Python where only ``labtools`` was installed); a notebook shows it as one line."""


def _missing_tensorflow_message() -> str:
    if "google.colab" in sys.modules:
        return (
            "TensorFlow is not installed in this Colab runtime (the TPU runtime has none): choose "
            "Runtime > Change runtime type > CPU or T4 GPU, then run this cell again."
        )
    return (
        'TensorFlow is not installed in this Python: run `pip install -e ".[cpu,lab]"` in the '
        "tf-labs folder (or `pip install tensorflow`), restart the kernel and run this cell again."
    )


def _show_missing_tensorflow(shell, etype, evalue, tb, tb_offset=None):
    print(f"\u2718 {evalue}")
    return None


def _raise_missing_tensorflow(cause: ImportError):
    """Stop the setup cell with one line instead of a traceback (in IPython; elsewhere an
    ImportError with the same text)."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:  # pragma: no cover
        shell = None
    if shell is not None:
        shell.set_custom_exc((TensorFlowMissing,), _show_missing_tensorflow)
    raise TensorFlowMissing(_missing_tensorflow_message()) from cause


def import_tensorflow():
    """Import TensorFlow with its start-up log lines silenced and return the module.

    ``TF_CPP_MIN_LOG_LEVEL`` hides most C++ logging, but a few lines are written before
    TensorFlow reads it, and ``TF_CPP_MIN_LOG_LEVEL=2`` lets ERROR lines through: the full
    ``tensorflow`` package on a machine without a GPU logs ``failed call to cuInit: ... CUDA
    error`` when it first looks for devices. Those go to file descriptor 2, which we point at
    /dev/null while TensorFlow and Keras are imported and the devices are listed once (which
    starts the CUDA platform, so the line is not logged later). A GPU, when there is one, is
    found as usual: nothing is hidden from TensorFlow, only its log lines from the student.

    oneDNN's ``E... util.cc] oneDNN supports DT_INT32 only on platforms with AVX-512. Falling
    back to the default Eigen-based implementation`` is logged as an ERROR, once per process, the
    first time an op oneDNN would take over (a ``tf.transpose`` of integers, eagerly or in a
    ``tf.function``) gets a type it does not handle, whatever the CPU: a note that TensorFlow's
    own kernel runs instead, nothing a student can act on. It is spent here, with fd 2 muted
    (see :func:`_spend_onednn_fallback_notice`), so a later int32 transpose prints nothing. Every
    other ERROR still shows.

    Where TensorFlow is not installed, raises :class:`TensorFlowMissing` (an ImportError) whose
    one line says what to do.
    """
    if sys.modules.get("tensorflow") is not None:
        return sys.modules["tensorflow"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        saved = os.dup(2)
    except OSError:  # no real stderr (some embedded consoles): import as is
        saved = -1
    devnull = os.open(os.devnull, os.O_WRONLY) if saved >= 0 else -1
    try:
        if saved >= 0:
            sys.stderr.flush()
            os.dup2(devnull, 2)
        import tensorflow as tf  # isort: skip  (TensorFlow first, then Keras: the order this always had)
        import keras  # noqa: F401  (its import logs too)

        tf.config.list_physical_devices()  # starts the device platforms: CUDA's cuInit line, if any, goes here
        _spend_onednn_fallback_notice(tf)  # ... and oneDNN's once-per-process DT_INT32 notice
    except ModuleNotFoundError as exc:
        if exc.name not in {"tensorflow", "keras"}:
            raise
        missing = exc
    else:
        missing = None
    finally:
        if saved >= 0:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)
    if missing is not None:
        _raise_missing_tensorflow(missing)
    return tf


# tensorflow::DataTypeUnsupportedWarning(const DataType&) in libtensorflow_framework (Linux,
# macOS): logs oneDNN's fallback notice under an absl::call_once, for whichever type comes first.
_ONEDNN_NOTICE = "_ZN10tensorflow26DataTypeUnsupportedWarningERKNS_8DataTypeE"
_DT_INT32 = 3  # tensorflow::DataType::DT_INT32


def _spend_onednn_fallback_notice(tf) -> None:
    """Log oneDNN's once-per-process "supports DT_INT32 only on platforms with AVX-512" notice
    now, while :func:`import_tensorflow` has fd 2 muted, so that it never reaches a notebook.

    It calls the function TensorFlow itself calls before it falls back to its Eigen kernel: no op
    runs, so devices, threads and GPU memory are left unconfigured (``tf.config.threading`` and
    ``set_memory_growth`` still work after the setup cell), and nothing is slower (turning oneDNN
    off with ``TF_ENABLE_ONEDNN_OPTS=0`` would make the labs' training 2-5 times slower on CPU).
    Where the library or the function is not there (Windows, another TensorFlow), does nothing.
    """
    import ctypes
    import glob

    try:
        libs = sorted(glob.glob(os.path.join(tf.sysconfig.get_lib(), "libtensorflow_framework*")))
        notice = getattr(ctypes.CDLL(libs[0]), _ONEDNN_NOTICE) if libs else None
    except (AttributeError, OSError):
        return
    if notice is None:
        return
    notice.restype = None
    notice.argtypes = [ctypes.POINTER(ctypes.c_int)]
    notice(ctypes.byref(ctypes.c_int(_DT_INT32)))


def seed_everything(seed: int = SEED) -> None:
    """Seed Python, NumPy and TensorFlow in one call (via ``keras.utils.set_random_seed``)."""
    random.seed(seed)
    try:
        import numpy as np

        np.random.seed(seed)
    except ImportError:  # pragma: no cover
        pass
    import_tensorflow()
    import keras

    keras.utils.set_random_seed(seed)


_SKIPPED_HTML = (
    '<div style="border-left:4px solid #8a6d00;background:#fdf6dc;padding:6px 10px;margin:4px 0;'
    'font-family:sans-serif;color:#222"><b style="color:#8a6d00">\u2192 SKIPPED</b> <span>{}</span></div>'
)


class Skipped:
    """The line a skipped cell shows: a box like the PASS/FAIL ones in Jupyter, one line elsewhere."""

    def __init__(self, text: str):
        self.text = text

    def __str__(self) -> str:
        return f"SKIPPED - {self.text}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        import html

        return _SKIPPED_HTML.format(html.escape(self.text))


def needs(*values: Any, exercise: str) -> bool:
    """True when the exercises a cell depends on are done; otherwise say what is skipped, False.

    A cell that uses an exercise's answer runs its body under this test::

        if labtools.needs(model, exercise="Exercise 4"):
            model.fit(...)

    An unfinished exercise (a ``None  # TODO`` value or a function whose body is still
    ``...``) makes the cell show one SKIPPED line and finish without an error, so Run All goes
    on to the later demos and check cells.
    """
    from .checking import does_nothing, is_placeholder, show

    if any(is_placeholder(v) or does_nothing(v) for v in values):
        show(Skipped(f"this cell needs {exercise}: finish it above, then run this cell again."))
        return False
    return True


def device_summary() -> str:
    tf = import_tensorflow()
    gpus = tf.config.list_physical_devices("GPU")
    return f"{len(gpus)} GPU(s)" if gpus else "CPU only"


def no_tqdm_monitor() -> None:
    """Stop tqdm from starting its monitor thread (``tqdm.monitor_interval = 0``).

    After a training bar, that thread ran beside the explorer of lab 06: when *mistakes only*
    moved the slider, the redrawn plot came out as ``<Figure size 640x480 with 0 Axes>``. The
    thread only speeds up bars that print rarely; the labs' bars do not need it.
    """
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency of labtools
        return
    tqdm.monitor_interval = 0


def _write_summary(text: str, line_break: bool = True) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def compact_summaries() -> None:
    """Make ``model.summary()`` print one block of plain text in Jupyter and Colab.

    Keras 3 draws a summary with ``rich``, and in a notebook rich sends each of its prints (the
    title, the table, each parameter count) as a separate HTML output: JupyterLab and Colab
    then put a blank gap around each of the five or six pieces. Given a ``print_fn``, Keras
    renders the same summary into one string instead (plain text, no colours); this makes that
    the default wherever rich would render for Jupyter, and drops the empty HTML output rich
    still shows when Keras's capture ends. In a terminal, or with a ``print_fn`` of the
    caller's, a summary is unchanged. Calling it again does nothing.
    """
    import keras

    summary = keras.Model.summary
    if getattr(summary, "_labtools_compact", False):
        return

    @functools.wraps(summary)
    def compact_summary(self, *args, **kwargs):
        if len(args) >= 3 or kwargs.get("print_fn") is not None or not _rich_renders_html():
            return summary(self, *args, **kwargs)
        from IPython.utils.capture import capture_output

        kwargs["print_fn"] = _write_summary
        # rich, rendering for Jupyter, still displays an empty <pre> when Keras's capture ends
        with capture_output(stdout=False, stderr=False, display=True) as shown:
            result = summary(self, *args, **kwargs)
        for output in shown.outputs:
            if str(output.data.get("text/plain", "")).strip():
                output.display()
        return result

    compact_summary._labtools_compact = True  # type: ignore[attr-defined]
    keras.Model.summary = compact_summary


def _rich_renders_html() -> bool:
    try:
        import rich.console
    except ImportError:  # pragma: no cover - a dependency of Keras 3
        return False
    return bool(rich.console.Console().is_jupyter)


def start_lab(number: str, *, seed: int = SEED, quiet: bool = False):
    """The first line of every lab: quiet TensorFlow, seeds, no tqdm monitor thread, compact
    ``model.summary()`` (:func:`compact_summaries`); returns the lab's questions. In a grading
    kernel (where the judges are not) it returns the questions as the kernel sees them: they
    hand out the grader's inputs and check nothing."""
    from .kernel import freshness, grading

    tf = import_tensorflow()
    import keras

    seed_everything(seed)
    no_tqdm_monitor()
    compact_summaries()
    freshness.watch()  # a check after an answer cell that raised says so instead of judging the old value
    lab: Any
    if grading.grading():
        lab = grading.start(number)
    else:
        from .labs import load_lab

        lab = load_lab(number)
    if not quiet:
        mode = "fast mode (small data, few steps)" if fast_mode() else "full settings"
        print(
            f"Lab {lab.number} - {lab.title} | TensorFlow {tf.__version__}, "
            f"Keras {keras.__version__} | {device_summary()} | {mode} | seed {seed}"
        )
    return lab
