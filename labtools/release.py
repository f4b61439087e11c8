"""``labtools release OUT``: what an instructor hands to students, and nothing else.

OUT gets the student notebooks (``notebooks/NN_*.ipynb``, checked to be in sync with their
sources first), a ``requirements.txt`` with labtools' install line and a short ``README.md``
that says how to open them. No solution, source or grading bundle is copied, so OUT can be
zipped, uploaded to an LMS or pushed to a course repository as it is.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from . import paths, repo
from .generate import labs_with_sources, run
from .labs import LabInfo, info

README = """\
# {course}

The labs of this course, one Jupyter notebook each. To work on them on your own machine
(Python 3.10-3.13):

```bash
python3 -m venv .venv && .venv/bin/pip install -r requirements.txt && .venv/bin/jupyter lab
```

(On Windows the venv's programs are in `.venv\\Scripts\\`. With an NVIDIA GPU, write `gpu`
instead of `cpu` in `requirements.txt`. As root, in a container, add `--allow-root`.)
Each notebook also opens in Colab or Binder from the badges at its top.

Fill in the `# TODO` cells and run the check cell under each: it says PASS, FAIL with a hint,
or NOT ATTEMPTED.

| lab | notebook |
|---|---|
{rows}
"""


class ReleaseError(Exception):
    """A release that cannot be written; the message says why and what to do."""


def requirement() -> str:
    """The install line of a student release: labtools with TensorFlow for the CPU and JupyterLab."""
    return repo.pip_requirement().replace("labtools @", "labtools[cpu,lab] @", 1)


def release(out: Path, numbers: list[str] | None = None, course: str = "TensorFlow and Keras labs") -> list[Path]:
    """Write the student release of the labs ``numbers`` (default: every lab) into ``out``;
    return the files written. ``out`` must be new, empty, or an earlier release."""
    labs: list[LabInfo] = [info(n) for n in numbers] if numbers else labs_with_sources(paths.repo_root())
    stale = run([lab.number for lab in labs], check=True)
    if stale:
        raise ReleaseError(f"{len(stale)} generated file(s) are out of date; run `labtools generate` first")
    notebooks = {f"{lab.stem}.ipynb": paths.outputs(lab)["student"] for lab in labs}
    files = {*notebooks, "requirements.txt", "README.md"}
    if out.exists():
        if not out.is_dir():
            raise ReleaseError(f"{out} is a file; name a folder to write the release into")
        others = sorted(
            p.name for p in out.iterdir() if p.name not in files and not p.name.endswith((".ipynb", ".git"))
        )
        if others:
            raise ReleaseError(f"{out} holds other files ({', '.join(others[:3])}); name a new or empty folder")
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.ipynb"):  # an earlier release's notebooks: a lab left out now is removed
        if old.name not in notebooks:
            old.unlink()
    written = []
    for name, source in notebooks.items():
        shutil.copyfile(source, out / name)
        written.append(out / name)
    (out / "requirements.txt").write_text(f"{requirement()}\n", encoding="utf-8")
    rows = "\n".join(f"| {lab.number} · {lab.title} | [`{lab.stem}.ipynb`]({lab.stem}.ipynb) |" for lab in labs)
    (out / "README.md").write_text(README.format(course=course, rows=rows), encoding="utf-8")
    return [*written, out / "requirements.txt", out / "README.md"]  # a course repository's .git stays
