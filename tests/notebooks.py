"""Run a notebook in a fresh kernel of the current environment and collect its outputs."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"  # what students see
SOLUTIONS = ROOT / "instructor" / "solutions"


def execute(path: Path, timeout: int = 600, allow_error_names=()):
    nb = nbformat.read(path, as_version=4)
    env_before = dict(os.environ)
    os.environ["LABTOOLS_FAST"] = "1"
    try:
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
            allow_error_names=list(allow_error_names),
        )
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    return nb


def texts(nb) -> list[str]:
    """Every text a notebook showed, one entry per output (plain text of rich outputs)."""
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream":
                out.append(o.get("text", ""))
            elif "data" in o:
                out.append(o["data"].get("text/plain", ""))
            elif o.get("output_type") == "error":
                out.append(f"{o.get('ename')}: {o.get('evalue')}")
    return out


# What a student should never see in a notebook's output (tests/test_student_notebooks.py and
# tests/test_colab.py scan every output with noise()):
LOG_LINE = re.compile(r"^[IWEF]\d{4} |oneDNN|tensorflow/core", re.M)  # C++/absl log lines
NUMPY_REPR = re.compile(  # NumPy 2 scalar reprs: np.float32(12.0), np.str_('a'), np.True_
    r"\bnp\.(?:(?:str_|bytes_|u?int\d*|float\d*|complex\d*|bool_?|longlong|longdouble)\(|True_\b|False_\b)"
)
BLANK_RUN = re.compile(r"\n[ \t]*\n[ \t]*\n")  # two blank lines in a row
SPACES_ONLY = re.compile(r"^[ \t]+$", re.M)  # a line of nothing but spaces
TAGS = re.compile(r"<[^>]*>")
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # colours of a text/plain or a stream


def _shown_texts(output) -> list[tuple[str, str]]:
    """(where, text) for each text an output shows: a stream, text/plain, text/html."""
    if output.get("output_type") == "stream":
        return [(output.get("name", "stream"), output.get("text", ""))]
    data = output.get("data", {})
    return [
        (mime, value if isinstance(value, str) else "".join(value))
        for mime, value in data.items()
        if mime in ("text/plain", "text/html")
    ]


def noise(nb, name: str) -> list[str]:
    """Every output line a student should not see: a log line (oneDNN's, TensorFlow's C++ ones),
    a NumPy 2 scalar repr where a plain value belongs, a model summary spread over several
    outputs (rich's HTML pieces, with a gap between each), an output that shows nothing but
    takes room, or a text with a line of only spaces or two blank lines in a row. One message
    per finding, naming the notebook, the cell and the line."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        first = next((line.strip() for line in cell.get("source", "").splitlines() if line.strip()), "")
        where = f"{name}, cell {index} ({first[:60]!r})"
        for output in cell.get("outputs", []):
            kind = output.get("name") or output.get("output_type")
            texts = [
                (mime, html.unescape(TAGS.sub("", text)) if mime == "text/html" else ANSI.sub("", text))
                for mime, text in _shown_texts(output)
            ]
            problems = []
            others = set(output.get("data", {})) - {"text/plain", "text/html"}
            if kind in ("display_data", "execute_result") and not others and not any(t.strip() for _, t in texts):
                problems.append(f"an empty {kind} (a blank gap): {output.get('data')!r:.120}")
            for mime, text in texts:
                for line in text.splitlines():
                    if LOG_LINE.search(line):
                        problems.append(f"a log line in the {kind}: {line.strip()[:200]}")
                    if NUMPY_REPR.search(line):
                        problems.append(f"a NumPy repr in the {kind}: {line.strip()[:200]}")
                gap = SPACES_ONLY.search(text) or BLANK_RUN.search(text)
                if gap and mime != "text/html":  # white space in HTML shows as one space
                    before = text[: gap.start()].rstrip("\n").rsplit("\n", 1)[-1]
                    problems.append(f"a blank gap in the {kind} after the line {before.strip()[:120]!r}")
                if 'Model: "' in text and "Total params:" not in text:
                    problems.append(
                        f"a model summary split over several outputs (rich's pieces): {text.strip()[:80]!r}"
                    )
            found += [f"{where}: {problem}" for problem in dict.fromkeys(problems)]
    return found
