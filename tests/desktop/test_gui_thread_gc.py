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


def test_no_collection_on_the_gui_thread_while_a_study_is_read(qtbot):
    from desktop import gui_thread_gc

    collect_on_gui_thread()
    freed = []
    gui_thread_gc.postpone()  # as the study loader does while a file is read
    try:
        obj = _Cyclic()
        weakref.finalize(obj, lambda: freed.append(True))
        del obj
        made = [[i] for i in range(50_000)]  # far past the collection thresholds
        gui_thread_gc._collector.check()
        assert freed == []  # left for later: no pause in the middle of the read
    finally:
        gui_thread_gc.resume()
    qtbot.waitUntil(lambda: bool(freed), timeout=5_000)  # collected once the read is over
    made.clear()
