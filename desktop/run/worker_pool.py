"""The window's handle on a run: a thin Qt adapter over :class:`engine.runner.Runner`.

The engine's Runner owns the worker threads, pause/stop, the error policy and the run's
outcome, exactly as on the command line; this adapter only turns its one callback (the
last worker left) into a Qt signal on the GUI thread. Workers never touch widgets: trial
events reach the views through the TrialFeed.

Crossing threads safely: the worker thread emits a private signal without arguments over
a queued connection, so no Python object is handed to the GUI thread by Qt; the GUI
thread then joins the worker threads before it announces ``finished``, so nothing of the
run outlives that signal, and a pool deleted right after it holds no running thread.
"""

from __future__ import annotations

import weakref

from PySide6.QtCore import QObject, Qt, Signal

from engine.cluster_address import ClusterTLS
from engine.objectives.base import Objective
from engine.runner import RunControl, Runner, RunOutcome
from engine.study import Study


class WorkerPool(QObject):
    """Runs one study on ``workers`` threads; start, pause, resume and stop it.

    ``finished(reason)`` fires once, on the GUI thread, when every worker has left:
    ``"done"`` (budget spent or grid exhausted), ``"stopped"`` or ``"failed"`` (then
    ``error`` holds the exception, e.g. a full disk). ``outcome`` then holds the engine's
    :class:`~engine.runner.RunOutcome`.
    """

    started = Signal()
    paused_changed = Signal(bool)
    finished = Signal(str)
    _worker_left_last = Signal()  # emitted on the last worker thread; queued to this object

    def __init__(self, study: Study, objective: Objective, workers: int | None = None,
                 parent: QObject | None = None, cluster: str | None = None,
                 tls: ClusterTLS | None = None):
        super().__init__(parent)
        # The runner reaches this pool only through a weak reference: no reference cycle,
        # so the pool is freed by reference counting where it is dropped (the GUI thread),
        # never by the garbage collector on whatever thread happens to run it.
        relay = weakref.WeakMethod(self._on_runner_finished)

        def on_finished(outcome: RunOutcome) -> None:
            method = relay()
            if method is not None:
                method(outcome)

        # cluster: None (this computer), tcp:// or tls://HOST:PORT (with tls, the user's
        # certificate files) or local:N; connects on start.
        self.runner = Runner(study, objective, workers=workers, cluster=cluster, tls=tls,
                             on_finished=on_finished)
        self._worker_left_last.connect(self._announce_finished, Qt.QueuedConnection)
        self._running = False

    @property
    def study(self) -> Study:
        return self.runner.study

    @property
    def workers(self) -> int:
        return self.runner.workers

    @property
    def control(self) -> RunControl:
        return self.runner.control

    @property
    def running(self) -> bool:
        """True from start until ``finished`` is emitted."""
        return self._running

    @property
    def paused(self) -> bool:
        return self.runner.control.paused

    @property
    def error(self) -> Exception | None:
        return self.runner.control.error

    @property
    def outcome(self) -> RunOutcome | None:
        return self.runner.outcome

    def start(self) -> None:
        self._running = True
        self.runner.start()
        self.started.emit()

    def pause(self) -> None:
        """Finish the running trials, start no new ones."""
        self.runner.pause()
        self.paused_changed.emit(True)

    def resume(self) -> None:
        self.runner.resume()
        self.paused_changed.emit(False)

    def stop(self) -> None:
        """End the running trials now (they become interrupted); returns at once."""
        self.runner.stop(wait=False)

    def wait(self, msecs: int = 10_000) -> bool:
        """Block until every worker has left (used when the window closes)."""
        return self.runner.wait(timeout=msecs / 1000)

    def _on_runner_finished(self, outcome: RunOutcome) -> None:
        # On the last worker thread: hand over nothing but the wake-up; the GUI thread
        # reads the outcome from the runner.
        self._worker_left_last.emit()

    def _announce_finished(self) -> None:
        # Every worker has run its last line but the return: join them, so that a slot of
        # ``finished`` may drop or delete this pool with no thread of it still alive.
        self.runner.wait()
        self._running = False
        self.finished.emit(self.runner.outcome.reason)
