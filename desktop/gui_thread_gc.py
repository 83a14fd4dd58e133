"""Python's cycle collector, run on the GUI thread only.

The collector runs on whichever thread happens to allocate when a threshold is crossed. A
worker thread importing a big library (a Dask client, on the first cluster run) allocates a
lot, and the collection it set off freed plots and widgets left in reference cycles, Qt
objects destroyed off the GUI thread while the GUI thread drew them: the process crashed
(SIGSEGV, reliably, after a plot test and then a cluster test). So automatic collection is
switched off and the GUI thread collects on a timer, as pyqtgraph recommends.

While a study file is read in the background (:func:`postpone`), the timer collects
nothing: the reader makes hundreds of thousands of objects, none of them garbage, and each
check traversed the new ones, 25-30 ms of the GUI thread every second of the read.
"""

from __future__ import annotations

import threading

from pyqtgraph.util.garbage_collector import GarbageCollector

_postponed = 0
_lock = threading.Lock()


class _GuiCollector(GarbageCollector):
    def check(self):
        if not _postponed:
            super().check()


_collector: _GuiCollector | None = None


def postpone() -> None:
    """No collection on the GUI thread until as many :func:`resume` calls."""
    global _postponed
    with _lock:
        _postponed += 1


def resume() -> None:
    global _postponed
    with _lock:
        _postponed -= 1


def collect_on_gui_thread(interval_s: float = 1.0) -> None:
    """From now on collect cycles only on this (the GUI) thread, every ``interval_s``.

    Call once the QApplication exists, on its thread; later calls do nothing.
    """
    global _collector
    if _collector is None:
        _collector = _GuiCollector(interval=interval_s)
