"""The QThread worker pool: N threads, each driving the engine's run loop.

Each thread runs :func:`engine.runner.run_worker` with its own slot (a local worker process,
or a place on a Dask cluster), so the window uses exactly the loop the command line uses.
Threads never touch widgets: trial events reach the views through the TrialFeed, and the
pool reports only its own life (started, paused, finished) through queued signals.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QThread, Signal

from engine.cluster_address import ClusterTLS
from engine.objectives.base import Objective
from engine.placement import make_executor
from engine.runner import RunControl, default_workers, run_worker
from engine.study import Study


class _WorkerThread(QThread):
    def __init__(self, pool: WorkerPool, index: int):
        super().__init__(pool)
        self._pool = pool
        self.index = index
        self.setObjectName(f"knobs-worker-thread-{index}")

    def run(self) -> None:
        pool = self._pool
        slot = None
        try:
            # In this thread: reaching a Dask scheduler can take seconds.
            slot = pool.executor.slot(self.index)
            run_worker(pool.study, pool.objective, slot, pool.control)
        except Exception as exc:  # noqa: BLE001 - reported to the user, not swallowed
            pool.control.fail(exc)
        finally:
            if slot is not None:
                slot.close()
            pool._thread_left()


class WorkerPool(QObject):
    """Runs one study on ``workers`` QThreads; start, pause, resume and stop it.

    ``finished(reason)`` fires once, on the GUI thread, when every thread has left:
    ``"done"`` (budget spent or grid exhausted), ``"stopped"`` or ``"failed"`` (then
    ``error`` holds the exception, e.g. a full disk).
    """

    started = Signal()
    paused_changed = Signal(bool)
    finished = Signal(str)

    def __init__(self, study: Study, objective: Objective, workers: int | None = None,
                 parent: QObject | None = None, cluster: str | None = None,
                 tls: ClusterTLS | None = None):
        super().__init__(parent)
        self.study = study
        self.objective = objective
        self.workers = workers or study.spec.workers or default_workers()
        # cluster: None (this computer), tcp:// or tls://HOST:PORT (with tls, the user's
        # certificate files) or local:N; connects on start.
        self.executor = make_executor(
            cluster, workers=self.workers, memory_limit_mb=study.spec.memory_limit_mb, tls=tls,
        )
        self.control = RunControl()
        self._threads: list[_WorkerThread] = []
        self._left = 0
        self._lock = threading.Lock()
        self._in_threads = 0

    @property
    def running(self) -> bool:
        return self._left > 0

    @property
    def paused(self) -> bool:
        return self.control.paused

    @property
    def error(self) -> Exception | None:
        return self.control.error

    def start(self) -> None:
        self.study.start_clock()
        self._threads = [_WorkerThread(self, i) for i in range(self.workers)]
        self._left = self._in_threads = len(self._threads)
        for t in self._threads:
            t.finished.connect(self._on_thread_finished)
            t.start()
        self.started.emit()

    def pause(self) -> None:
        """Finish the running trials, start no new ones."""
        self.control.pause()
        self.paused_changed.emit(True)

    def resume(self) -> None:
        self.control.resume()
        self.paused_changed.emit(False)

    def stop(self) -> None:
        """End the running trials now (they become interrupted); returns at once."""
        self.control.stop()

    def wait(self, msecs: int = 10_000) -> bool:
        """Block until every thread has left (used when the window closes)."""
        return all(t.wait(msecs) for t in self._threads)

    def _thread_left(self) -> None:
        # The last thread out closes the executor, off the GUI thread: stopping a local
        # Dask cluster takes a moment.
        with self._lock:
            self._in_threads -= 1
            last = self._in_threads == 0
        if last:
            self.executor.close()

    def _on_thread_finished(self) -> None:
        self._left -= 1
        if self._left:
            return
        if self.control.error is not None:
            reason = "failed"
        elif self.control.stopped:
            reason = "stopped"
        else:
            reason = "done"
        self.finished.emit(reason)
