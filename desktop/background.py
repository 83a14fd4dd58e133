"""Work off the GUI thread whose result comes back to a widget that may be gone by then.

Two rules keep this safe. A worker thread never emits a signal of the widget itself: the
GUI thread can delete the widget while the thread is inside ``emit``, and the process
crashes (it did, in a test that closed a run panel while its cluster test was still
connecting). And a worker thread never holds the widget: were it to drop the last
reference, the widget would be destroyed off the GUI thread. So the thread knows only a job
number and emits on one relay that is never deleted; the GUI thread keeps the callbacks and
calls one only if its widget still exists.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal

# GUI thread only: job number -> (on_done, on_dropped)
_jobs: dict[int, tuple[Callable[[Any], None], Callable[[Any], None] | None]] = {}
_numbers = itertools.count()


class _Relay(QObject):
    done = Signal(int, object)  # job number, result


_relay: _Relay | None = None  # made on first use, on the GUI thread; lives as long as the app


def run_in_background(work: Callable[[], Any], on_done: Callable[[Any], None], *,
                      name: str, on_dropped: Callable[[Any], None] | None = None
                      ) -> threading.Thread:
    """Call ``work()`` on a daemon thread, then ``on_done(result)`` on the GUI thread.

    ``on_done`` is usually a method of the widget that asked; if that widget is deleted
    before the work ends, the result is dropped, and handed to ``on_dropped`` (a plain
    function, on the GUI thread) when given: a result holding a resource, such as an open
    file, is released there. ``work`` must not hold the widget (copy what it needs) and
    must not raise (return the error in the result for the widget to show). Call from the
    GUI thread.
    """
    global _relay
    if _relay is None:
        _relay = _Relay()
        _relay.done.connect(_deliver, Qt.QueuedConnection)
    number = next(_numbers)
    _jobs[number] = (on_done, on_dropped)
    relay = _relay

    def run() -> None:
        relay.done.emit(number, work())

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


def pending() -> int:
    """How many results have not been delivered yet."""
    return len(_jobs)


def _deliver(number: int, result: Any) -> None:
    on_done, on_dropped = _jobs.pop(number)
    receiver = getattr(on_done, "__self__", None)
    if isinstance(receiver, QObject) and not shiboken6.isValid(receiver):
        # The widget that asked was deleted meanwhile: nobody wants the result.
        if on_dropped is not None:
            on_dropped(result)
        return
    on_done(result)
