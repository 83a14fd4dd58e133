"""Results from a background thread to a widget that may be gone by the time they arrive.

A worker thread that emits a signal of the widget it works for races with that widget's
deletion (a tab closed, a window shut, a test ending while a model is being fitted):
catching RuntimeError covers a widget already deleted, not one deleted during the emit.
The thread posts to one relay instead, which lives as long as the application; on the GUI
thread the relay calls the widget only if it still exists.
"""

from __future__ import annotations

import weakref
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Signal


class _Relay(QObject):
    call = Signal(object)  # (weak reference, method name, arguments)

    def __init__(self, parent: QObject):
        super().__init__(parent)
        self.call.connect(self._on_call)

    def _on_call(self, packet: tuple) -> None:
        ref, name, args = packet
        target = ref()
        if target is not None and shiboken6.isValid(target):
            getattr(target, name)(*args)


_relay: _Relay | None = None


def ensure_relay() -> None:
    """Create the relay; call on the GUI thread before any worker may post."""
    global _relay
    if _relay is None or not shiboken6.isValid(_relay):
        _relay = _Relay(QCoreApplication.instance())


def call_on_gui_thread(target: QObject, method: str, *args: Any) -> None:
    """From any thread: ``target.method(*args)`` on the GUI thread, unless target is gone."""
    _relay.call.emit((weakref.ref(target), method, args))
