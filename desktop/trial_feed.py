"""TrialFeed: the one place where a Study's events cross into the GUI thread.

The engine calls listeners from worker threads; this feed stores the newest snapshot of
each changed trial and hands them over in batches on a GUI-thread timer, so the table and
the plots repaint a few times a second however fast trials finish. With each batch goes
a :class:`~engine.study.Summary` taken on the worker thread as it changed the study, so the
window's refresh never reads back through the study's lock (a Bayesian ask may hold it for
half a second). Every view listens to the same feed, and selection is shared through it too.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QTimer, Signal

from engine.analysis import TrialColumns
from engine.study import Study, Summary
from engine.trial import Trial

FLUSH_MS = 200


class TrialFeed(QObject):
    """Relays one study at a time to the views.

    - ``reset(study)``: a different study (or none) is shown; ``columns`` holds its trials.
    - ``updated(trials)``: the newest snapshots of trials that changed, by trial number,
      already stored in ``columns``; ``summary`` then holds where the study stood after the
      last of those changes.

    ``columns`` is the one :class:`TrialColumns` store of the shown study's trials: the
    feed appends each batch to it, and the table and the plots read it.
    - ``selected(number)``: the user picked a trial (-1: none) in any view.
    """

    reset = Signal(object)
    updated = Signal(list)
    selected = Signal(int)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.study: Study | None = None
        self.selection = -1
        self.summary: Summary | None = None
        self.columns: TrialColumns | None = None
        self._unsubscribe = None
        self._pending: dict[int, Trial] = {}
        self._pending_lock = threading.Lock()
        self._timer = QTimer(self)
        self._timer.setInterval(FLUSH_MS)
        self._timer.timeout.connect(self.flush)
        self._timer.start()

    @property
    def trials(self) -> list[Trial]:
        return self.study.trials if self.study is not None else []

    def set_study(self, study: Study | None, columns: TrialColumns | None = None) -> None:
        """Show ``study``; ``columns`` are its trials when already made (e.g. off the GUI
        thread while the study file was read), else they are made here."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        with self._pending_lock:
            self._pending.clear()
        self.study = study
        self.selection = -1
        self.summary = study.summary() if study is not None else None
        if study is not None and columns is None:
            columns = TrialColumns(study.space, study.direction, study.trials)
        self.columns = columns if study is not None else None
        if study is not None:
            self._unsubscribe = study.subscribe(self._on_study_event)
        self.reset.emit(study)

    def select(self, number: int) -> None:
        if number != self.selection:
            self.selection = number
            self.selected.emit(number)

    def flush(self) -> None:
        """Hand pending changes to the views now (the timer calls this)."""
        with self._pending_lock:
            if not self._pending:
                return
            batch = [self._pending[n] for n in sorted(self._pending)]
            self._pending.clear()
        if self.study is not None:
            # The worker that made the last change left this summary; no lock is taken.
            self.summary = self.study.summary()
        if self.columns is not None:
            self.columns.update(batch)
        self.updated.emit(batch)

    def _on_study_event(self, event: str, trial: Trial) -> None:
        # Runs on a worker thread: only store the snapshot; the timer delivers it.
        with self._pending_lock:
            self._pending[trial.number] = trial
