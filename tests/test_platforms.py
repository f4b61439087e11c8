"""Any laptop: the `cpu` extra picks a TensorFlow that publishes a wheel for each platform, and
nothing in labtools or its tests needs a newer Python than `requires-python`'s floor."""

from __future__ import annotations

import ast
import re

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.version import Version

from notebooks import ROOT

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
EXTRAS = PROJECT["optional-dependencies"]
TENSORFLOWS = {"tensorflow", "tensorflow-cpu", "tensorflow-macos", "tensorflow-intel"}

# The wheels on the package index, as `pip download --no-deps --only-binary=:all: --platform ...`
# fetched them on 2026-11-23 (release -> (CPython versions, platform tags)). tensorflow-cpu has no
# macOS or Linux aarch64 wheels; no TensorFlow after 2.16 has macOS x86_64 wheels.
WHEELS = {
    "tensorflow-cpu": {
        "2.21.0": ({"3.10", "3.11", "3.12", "3.13"}, {"manylinux_2_27_x86_64", "win_amd64"}),
    },
    "tensorflow": {
        "2.21.0": (
            {"3.10", "3.11", "3.12", "3.13"},
            {"manylinux_2_27_x86_64", "manylinux_2_27_aarch64", "macosx_12_0_arm64", "win_amd64"},
        ),
        "2.16.2": ({"3.9", "3.10", "3.11", "3.12"}, {"macosx_10_15_x86_64", "macosx_12_0_arm64"}),
    },
}

# Each platform: the marker variables pip sees there, and the wheel platform tags it installs
# (glibc >= 2.27: Ubuntu 18.04 and later; macOS 12 and later).
PLATFORMS = {
    "macOS arm64": (
        {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64", "os_name": "posix"},
        re.compile(r"macosx_(1[0-4])_\d+_(arm64|universal2)"),
    ),
    "macOS x86_64": (
        {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "x86_64", "os_name": "posix"},
        re.compile(r"macosx_(10|11|12|13|14)_\d+_(x86_64|universal2)"),
    ),
    "Linux aarch64": (
        {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "aarch64", "os_name": "posix"},
        re.compile(r"manylinux_2_(1[7-9]|2\d)_aarch64|manylinux2014_aarch64"),
    ),
    "Linux x86_64": (
        {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64", "os_name": "posix"},
        re.compile(r"manylinux_2_(1[7-9]|2\d)_x86_64|manylinux2014_x86_64"),
    ),
    "Windows": (
        {"sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64", "os_name": "nt"},
        re.compile(r"win_amd64"),
    ),
}
FLOOR = Version(re.match(r">=\s*([\d.]+)", PROJECT["requires-python"])[1])
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]  # TensorFlow 2.21's range


def tensorflow_for(extra: str, platform: str, python: str) -> list[Requirement]:
    env = dict(default_environment())
    env.update(PLATFORMS[platform][0], python_version=python, python_full_version=f"{python}.0")
    env["extra"] = ""
    chosen = []
    for line in EXTRAS[extra]:
        req = Requirement(line)
        if req.name in TENSORFLOWS and (req.marker is None or req.marker.evaluate(env)):
            chosen.append(req)
    return chosen


def installable(req: Requirement, platform: str, python: str) -> list[str]:
    """The releases pip could install for ``req`` there: allowed by its specifier, with a wheel."""
    accepts = PLATFORMS[platform][1]
    return [
        version
        for version, (pythons, tags) in WHEELS.get(req.name, {}).items()
        if version in req.specifier and python in pythons and any(accepts.fullmatch(t) for t in tags)
    ]


@pytest.mark.parametrize("python", PYTHONS)
@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_cpu_extra_picks_a_tensorflow_with_a_wheel_for_every_platform(platform, python):
    chosen = tensorflow_for("cpu", platform, python)
    assert len(chosen) == 1, f"{platform}, Python {python}: the cpu extra picks {chosen or 'no TensorFlow'}"
    req = chosen[0]
    if platform == "macOS x86_64" and python == "3.13":
        # No TensorFlow has an Intel-Mac wheel for 3.13 (2.16.2 is the last, 3.9-3.12): the README says so.
        assert not installable(req, platform, python)
        assert "Intel Mac" in (ROOT / "README.md").read_text()
        return
    assert installable(req, platform, python), f"{platform}, Python {python}: {req} has no wheel there"
    if platform not in {"Linux x86_64", "Windows"}:
        assert req.name == "tensorflow", "tensorflow-cpu has wheels only for Linux x86_64 and Windows"
    if platform != "macOS x86_64":
        assert "2.21.0" in installable(req, platform, python), f"{platform}: the newest TensorFlow should be allowed"


def test_the_wheel_table_is_what_the_cpu_extra_allows():
    """Guards the table above: if the extras move past TensorFlow 2.21, the table must be updated
    with the new release's wheels (pip download ... --platform ...), not silently pass."""
    for line in EXTRAS["cpu"]:
        req = Requirement(line)
        if req.name in TENSORFLOWS:
            known = [Version(v) for v in WHEELS[req.name]]
            allowed = [v for v in (Version(f"2.{minor}.0") for minor in range(16, 40)) if v in req.specifier]
            assert allowed and allowed[-1].release[:2] <= max(known).release[:2], (
                f"{req}: add the wheels of TensorFlow {allowed[-1]} to WHEELS"
            )


def test_requires_python_matches_tensorflows_range_and_the_readme():
    assert FLOOR == Version("3.10"), "TensorFlow 2.21 supports Python 3.10-3.13"
    readme = (ROOT / "README.md").read_text()
    assert "Python 3.10–3.13" in readme


# Python 3.11+ names and syntax that would break labtools or its tests on the floor (3.10).
NEWER_MODULES = {"tomllib": "3.11"}  # importing them is what breaks (a fallback may take the name)
NEWER = {
    "ExceptionGroup": "3.11",
    "Self": "3.11",
    "BaseExceptionGroup": "3.11",
    "TaskGroup": "3.11",
    "StrEnum": "3.11",
    "LiteralString": "3.11",
    "assert_never": "3.11",
    "reveal_type": "3.11",
    "file_digest": "3.11",
    "add_note": "3.11",
    "batched": "3.12",
    "override": "3.12",
}


def _newer_names(tree: ast.AST) -> set[str]:
    """Names from NEWER used outside ``try: ... except ImportError`` fallbacks."""
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
            isinstance(h.type, ast.Name) and h.type.id in {"ImportError", "ModuleNotFoundError"} for h in node.handlers
        ):
            guarded.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    found = set()
    for node in ast.walk(tree):
        if id(node) in guarded:
            continue
        if isinstance(node, ast.Name) and node.id in NEWER:
            found.add(node.id)
        elif isinstance(node, ast.Attribute) and (node.attr in NEWER or node.attr == "UTC"):
            if node.attr != "UTC" or (isinstance(node.value, ast.Name) and node.value.id == "datetime"):
                found.add(node.attr)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) else [])
            found.update(n for name in names if name for n in name.split(".") if n in NEWER or n in NEWER_MODULES)
    return found


@pytest.mark.parametrize("folder", ["labtools", "tests", "benchmarks"])
def test_nothing_needs_a_python_newer_than_the_floor(folder):
    problems = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        try:
            tree = ast.parse(text, feature_version=(FLOOR.major, FLOOR.minor))
        except SyntaxError as exc:
            problems.append(f"{path.relative_to(ROOT)}:{exc.lineno}: syntax newer than Python {FLOOR}")
            continue
        problems += [
            f"{path.relative_to(ROOT)}: {name} (Python {NEWER.get(name, NEWER_MODULES.get(name, '3.11'))})"
            for name in _newer_names(tree)
        ]
    assert not problems, "\n".join(problems)
