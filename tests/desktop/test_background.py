"""Work done off the GUI thread reaches the widget that asked, on the GUI thread, and is
dropped when that widget was deleted meanwhile (emitting on a deleted widget crashed)."""

from __future__ import annotations

import threading

import shiboken6
from PySide6.QtWidgets import QWidget

from desktop import background
from desktop.background import run_in_background


class _Asker(QWidget):
    def __init__(self):
        super().__init__()
        self.results: list[tuple[object, threading.Thread]] = []

    def on_done(self, result) -> None:
        self.results.append((result, threading.current_thread()))


def test_the_result_arrives_on_the_gui_thread(qtbot):
    asker = _Asker()
    qtbot.addWidget(asker)
    worker = run_in_background(lambda: threading.current_thread().name, asker.on_done,
                               name="knobs-test-work")
    qtbot.waitUntil(lambda: bool(asker.results))
    (result, thread), = asker.results
    assert result == "knobs-test-work"  # computed on the worker thread
    assert thread is threading.main_thread() and worker is not threading.main_thread()


def test_a_result_for_a_deleted_widget_is_dropped(qtbot):
    asker = _Asker()
    release = threading.Event()
    worker = run_in_background(lambda: release.wait(10), asker.on_done, name="knobs-test-work")
    asker.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(asker))
    release.set()
    worker.join(10)
    assert not worker.is_alive()
    qtbot.waitUntil(lambda: background.pending() == 0)  # delivered, to nobody
    assert asker.results == []


def test_a_dropped_result_is_handed_to_on_dropped_to_release_it(qtbot):
    asker = _Asker()
    release = threading.Event()
    dropped = []
    worker = run_in_background(lambda: release.wait(10) and "an open file", asker.on_done,
                               name="knobs-test-work", on_dropped=dropped.append)
    asker.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(asker))
    release.set()
    worker.join(10)
    qtbot.waitUntil(lambda: bool(dropped))
    assert dropped == ["an open file"] and asker.results == []
