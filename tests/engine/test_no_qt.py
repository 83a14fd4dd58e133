"""The engine's first contract: it never needs Qt. Every engine module imports in a Python
where PySide6, shiboken6 and pyqtgraph cannot be imported (.ci/no_qt/sitecustomize.py, the
same blocker `make test-headless` runs all of tests/engine under)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.engine.processes import ROOT

NO_QT = ROOT / ".ci" / "no_qt"


def python_without_qt(code: str) -> subprocess.CompletedProcess:
    path = os.pathsep.join(filter(None, [str(NO_QT), os.environ.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": path})


def engine_modules() -> list[str]:
    """Every module of the engine package, from the files on disk (none can be missed)."""
    names = []
    for path in sorted((ROOT / "engine").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_the_blocker_makes_qt_unimportable():
    """Guards the test below: under the blocker, Qt cannot be imported at all."""
    for name in ("PySide6.QtCore", "shiboken6", "pyqtgraph"):
        done = python_without_qt(f"import {name}")
        assert done.returncode != 0 and "ModuleNotFoundError" in done.stderr, name


def test_every_engine_module_imports_with_qt_unimportable():
    modules = engine_modules()
    assert len(modules) > 40 and "engine.runner" in modules and "engine.cli" in modules
    code = ("import importlib\n"
            f"for name in {modules!r}:\n"
            "    importlib.import_module(name)\n")
    done = python_without_qt(code)
    assert done.returncode == 0, done.stderr
