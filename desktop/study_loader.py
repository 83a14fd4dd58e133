"""StudyLoader: reads a study file off the GUI thread, so that opening 100,000 trials never
freezes the window.

The file is read, the study built and its trials copied into :class:`TrialColumns` on a
worker thread; the result comes back to the GUI thread through
:func:`desktop.background.run_in_background`, so a window closed meanwhile is never
signalled from the thread. Each load has a generation number: a load the user has replaced
by another (or cancelled), or one whose window is gone, is dropped when it arrives, and its
study closed.
"""

from __future__ import annotations

import gc
import threading
from pathlib import Path
from typing import NamedTuple

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QProgressBar, QStatusBar

from desktop import gui_thread_gc
from desktop.background import run_in_background
from engine import session
from engine.study import Study
from engine.trial_columns import TrialColumns


class LoadedStudy(NamedTuple):
    path: Path
    study: Study
    readonly: bool  # another Knobs process runs it
    columns: TrialColumns


class StudyLoader(QObject):
    """``load(path)`` reads in the background; ``loaded(LoadedStudy)`` or
    ``failed(path, exception)`` follows on the GUI thread, unless a newer load came first.

    Meanwhile the window shows a busy cursor and, in its status bar, "Opening …" beside a
    busy bar, from the moment the load starts.
    """

    loaded = Signal(object)
    failed = Signal(object, object)

    def __init__(self, status_bar: QStatusBar | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self._generation = 0
        self._threads: dict[int, threading.Thread] = {}
        self._status_bar = status_bar
        self._bar = QProgressBar()
        self._bar.setRange(0, 0)  # busy: the trials are counted only once they are read
        self._bar.setMaximumWidth(160)
        self._bar.setTextVisible(False)
        self._bar.hide()
        if status_bar is not None:
            status_bar.addPermanentWidget(self._bar)
        self._cursor = False

    @property
    def busy(self) -> bool:
        """Whether a load the window waits for is under way."""
        return self._generation in self._threads

    @property
    def reading(self) -> int:
        """Reads not answered yet, dropped ones included."""
        return len(self._threads)

    def load(self, path: str | Path) -> None:
        """Start reading ``path``; any load still running is dropped when it ends."""
        self._generation += 1
        generation, path = self._generation, Path(path)

        def work() -> tuple[int, Path, object]:
            # A study file makes a few hundred thousand objects; the cyclic garbage collector
            # would traverse all of them again and again while they are made, holding up
            # every thread (the GUI's too) for up to a second each time. None of them is
            # garbage yet, so it waits until the study is read.
            collecting = gc.isenabled()
            gc.disable()
            try:
                study, readonly = session.open_study(path)
                columns = TrialColumns(study.space, study.direction, study.trials)
                result: object = LoadedStudy(path, study, readonly, columns)
            except Exception as exc:  # noqa: BLE001 - handed to the GUI, which shows it
                result = exc
            finally:
                if collecting:
                    gc.enable()
            return generation, path, result

        self._show_busy(f"Opening {path.name}\u2026")
        # Resumed when the result arrives, after the study's objects are frozen.
        gui_thread_gc.postpone()
        self._threads[generation] = run_in_background(
            work, self._on_done, name="knobs-open-study", on_dropped=_release)

    def cancel(self) -> None:
        """Drop the load under way (its study is closed when it arrives)."""
        if self.busy:
            self._generation += 1
            self._show_busy(None)

    def wait(self, timeout: float | None = None) -> None:
        """Block until every reading thread ends (closing the window, tests, scripts)."""
        for thread in list(self._threads.values()):
            thread.join(timeout)

    def _show_busy(self, text: str | None) -> None:
        if text is not None and not self._cursor:
            QApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
            self._cursor = True
        elif text is None and self._cursor:
            QApplication.restoreOverrideCursor()
            self._cursor = False
        self._bar.setVisible(text is not None)
        if self._status_bar is not None:
            if text is None:
                self._status_bar.clearMessage()
            else:
                self._status_bar.showMessage(text)

    def _on_done(self, answer: tuple[int, Path, object]) -> None:
        try:
            self._deliver(answer)
        finally:
            gui_thread_gc.resume()

    def _deliver(self, answer: tuple[int, Path, object]) -> None:
        generation, path, result = answer
        self._threads.pop(generation, None)
        if generation == self._generation:
            self._show_busy(None)
        else:
            if isinstance(result, LoadedStudy):
                result.study.close()  # a newer load replaced it: release the file
            return
        if isinstance(result, LoadedStudy):
            # The trials live as long as the study is open: later collections skip them
            # instead of pausing the window to traverse them.
            gc.freeze()
            self.loaded.emit(result)
        else:
            self.failed.emit(path, result)


def _release(answer: tuple[int, Path, object]) -> None:
    """A study read for a window closed meanwhile: its file is closed, its lease given up."""
    gui_thread_gc.resume()
    result = answer[2]
    if isinstance(result, LoadedStudy):
        result.study.close()


__all__ = ["LoadedStudy", "StudyLoader"]
