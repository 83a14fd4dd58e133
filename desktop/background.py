"""Work off the GUI thread whose result comes back to a widget that may be gone by then.

A thread must never emit a signal of the widget itself: the GUI thread can delete the widget
while the thread is inside ``emit``, and the process crashes (it did, in a test that closed a
run panel while its cluster test was still connecting). Here the thread emits on a relay
that nothing but this module owns; the relay's slot runs on the GUI thread, where widgets
are deleted, and calls the receiver only if it still exists.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal

# Relays wait here, on the GUI thread's side, until their result is delivered.
_waiting: set[_Relay] = set()


class _Relay(QObject):
    _done = Signal(object)

    def __init__(self, on_done: Callable[[Any], None]):
        super().__init__()  # no parent: a widget's deletion must not take the relay with it
        self._on_done = on_done
        self._done.connect(self._deliver, Qt.QueuedConnection)

    def _deliver(self, result: Any) -> None:
        _waiting.discard(self)
        receiver = getattr(self._on_done, "__self__", None)
        if isinstance(receiver, QObject) and not shiboken6.isValid(receiver):
            return  # the widget that asked was deleted meanwhile: nobody wants the result
        self._on_done(result)


def run_in_background(work: Callable[[], Any], on_done: Callable[[Any], None], *,
                      name: str) -> threading.Thread:
    """Call ``work()`` on a daemon thread, then ``on_done(result)`` on the GUI thread.

    ``on_done`` is usually a method of the widget that asked; if that widget is deleted
    before the work ends, the result is dropped. ``work`` must not raise: return the error
    as part of the result, so that the widget can show it.
    Must be called from the GUI thread.
    """
    relay = _Relay(on_done)
    _waiting.add(relay)

    def run() -> None:
        relay._done.emit(work())

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread
