"""A Qt object left in a reference cycle is freed on the GUI thread, however much a worker
thread allocates meanwhile (a collection set off on a worker thread crashed the window)."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtCore import QObject

from desktop.gui_thread_gc import collect_on_gui_thread


class _Cyclic(QObject):
    def __init__(self):
        super().__init__()
        self.me = self  # only the cycle collector can free it


def test_cycles_are_freed_on_the_gui_thread_only(qtbot):
    collect_on_gui_thread()
    freed_on = []
    obj = _Cyclic()
    weakref.finalize(obj, lambda: freed_on.append(threading.current_thread()))
    del obj

    kept = []

    def allocate() -> None:  # enough new containers to cross every collection threshold
        kept.append([[i] for i in range(200_000)])

    worker = threading.Thread(target=allocate)
    worker.start()
    worker.join(30)
    assert freed_on == []  # the worker's allocations collected nothing
    qtbot.waitUntil(lambda: bool(freed_on), timeout=5_000)  # the GUI thread's timer did
    assert freed_on == [threading.main_thread()]
    kept.clear()
    assert gc.isenabled() is False
