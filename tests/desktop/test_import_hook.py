"""Once the window's package is imported, a first import reads no source file, in any
thread: shiboken's hook used to read every module's source, and doing so on a worker
thread while the GUI thread ran crashed the process."""

from __future__ import annotations

import importlib
import inspect
import sys
import threading

import desktop  # noqa: F401 - installs the replacement
from desktop.import_hook import uses_pyside


def test_a_first_import_on_a_worker_thread_reads_no_source(tmp_path, monkeypatch):
    (tmp_path / "knobs_fresh_module.py").write_text("VALUE = 'mentions PySide6 in text only'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    read = []
    real = inspect.getsource
    monkeypatch.setattr(inspect, "getsource", lambda obj: read.append(obj) or real(obj))
    imported = []

    def import_it() -> None:
        import knobs_fresh_module  # an import statement: it goes through the hook

        imported.append(knobs_fresh_module)

    worker = threading.Thread(target=import_it)
    worker.start()
    worker.join(10)
    try:
        assert imported and imported[0].VALUE.startswith("mentions")
        assert read == []
    finally:
        sys.modules.pop("knobs_fresh_module", None)


def test_modules_are_told_apart_by_what_they_hold(tmp_path, monkeypatch):
    (tmp_path / "knobs_qt_user.py").write_text("from PySide6.QtCore import QObject\n")
    (tmp_path / "knobs_qt_free.py").write_text("import math\nTEXT = 'PySide6'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert uses_pyside(importlib.import_module("knobs_qt_user"))
        assert not uses_pyside(importlib.import_module("knobs_qt_free"))
    finally:
        sys.modules.pop("knobs_qt_user", None)
        sys.modules.pop("knobs_qt_free", None)
