"""Qt made unimportable, as if uninstalled, in every Python started with this folder on
PYTHONPATH (``make test-headless``), subprocesses and worker processes included: the
engine and its tests must run without PySide6, shiboken6 or pyqtgraph."""

import importlib.abc
import sys

BLOCKED = ("PySide6", "shiboken6", "pyqtgraph")


class _NoQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(
                f"No module named {name!r} (Qt is blocked by .ci/no_qt: the engine must not "
                "need it)", name=name)
        return None


sys.meta_path.insert(0, _NoQt())
