"""Python's cycle collector, run on the GUI thread only.

The collector runs on whichever thread happens to allocate when a threshold is crossed. A
worker thread importing a big library (a Dask client, on the first cluster run) allocates a
lot, and the collection it set off freed plots and widgets left in reference cycles, Qt
objects destroyed off the GUI thread while the GUI thread drew them: the process crashed
(SIGSEGV, reliably, after a plot test and then a cluster test). So automatic collection is
switched off and the GUI thread collects on a timer, as pyqtgraph recommends.
"""

from __future__ import annotations

from pyqtgraph.util.garbage_collector import GarbageCollector

_collector: GarbageCollector | None = None


def collect_on_gui_thread(interval_s: float = 1.0) -> None:
    """From now on collect cycles only on this (the GUI) thread, every ``interval_s``.

    Call once the QApplication exists, on its thread; later calls do nothing.
    """
    global _collector
    if _collector is None:
        _collector = GarbageCollector(interval=interval_s)
