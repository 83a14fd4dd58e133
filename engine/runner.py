"""The run loop: keep W trials in flight (ask -> run in a worker process -> tell).

Qt-free and shared: the command line runs :func:`run_worker` on plain threads through
:class:`Runner`; the window runs the same function inside its QThread workers.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from engine.executors import ExecutorError, LocalProcessExecutor, Slot, make_executor
from engine.objectives.base import Objective
from engine.pruners.fidelity import fit_to_pruner
from engine.storage import StudyFileError
from engine.study import Study
from engine.trial import TrialState

if TYPE_CHECKING:
    from engine.dask_executor import DaskExecutor

log = logging.getLogger(__name__)


class RunError(Exception):
    """The run stopped because of an error outside any trial's own code: a bug, or data
    the engine cannot take (a step number too big to store, say). Finished trials are kept;
    the message is one line that says what broke."""


class RunControl:
    """Cooperative pause / resume / stop, shared by every worker of one run."""

    def __init__(self) -> None:
        self.cancel = threading.Event()  # set: end running trials now
        self._running = threading.Event()  # clear: paused, start no new trials
        self._running.set()
        self.error: Exception | None = None
        self._waiting = 0  # workers parked by a pause: none of them starts a trial
        self._waiting_lock = threading.Lock()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        self.cancel.set()
        self._running.set()  # wake paused workers so that they can leave

    def fail(self, error: Exception) -> None:
        """Stop the run because something outside a trial broke (e.g. the disk is full)."""
        if self.error is None:
            self.error = error
        self.stop()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stopped(self) -> bool:
        return self.cancel.is_set()

    @property
    def waiting(self) -> int:
        """How many workers are parked by the pause right now."""
        return self._waiting

    def wait_while_paused(self) -> None:
        if self._running.is_set():
            return
        with self._waiting_lock:
            self._waiting += 1
        try:
            self._running.wait()
        finally:
            with self._waiting_lock:
                self._waiting -= 1


def run_worker(
    study: Study, objective: Objective, slot: Slot, control: RunControl,
) -> None:
    """One worker's loop; returns when the budget is spent, the run stops or fails.

    The one error policy of both hosts: a trial's own failure fails that trial alone; any
    other error stops the whole run (``control.fail``), with the trial in flight
    interrupted to run again on resume: a study file that cannot be written, trials that
    can no longer run where they are sent (``ExecutorError``: a lost Dask scheduler), or
    anything unexpected (:class:`RunError`, traceback in the log).
    """
    timeout_s = study.spec.timeout_s
    # Under a pruner, a scikit-learn model that trains in one go learns on growing shares
    # of its rows, so that there is something to judge it by before it ends.
    objective = fit_to_pruner(objective, study.pruner)
    try:
        _loop(study, objective, slot, control, timeout_s)
    finally:
        _checkpoint(study)


def _loop(study: Study, objective: Objective, slot: Slot, control: RunControl,
          timeout_s: float | None) -> None:
    trial = None
    while True:
        if control.paused:
            _checkpoint(study)  # a paused study's file is complete, ready to copy
        control.wait_while_paused()
        if control.stopped:
            return
        try:
            trial = study.ask(worker=slot.index)
            if trial is None:
                return

            def report(step: int, value: float, number: int = trial.number) -> str | None:
                return study.report(number, step, value)

            try:
                outcome = slot.run(
                    objective, trial.params, timeout_s=timeout_s, report=report,
                    cancel=control.cancel,
                )
            except ExecutorError as exc:
                _interrupt(study, trial, str(exc))
                control.fail(exc)
                return
            study.tell(
                trial.number, outcome.state, value=outcome.value, metrics=outcome.metrics,
                error=outcome.error,
            )
        except StudyFileError as exc:
            control.fail(exc)
            return
        except Exception as exc:  # noqa: BLE001 - stops the run with a message, never quietly
            log.exception("the run stopped: unexpected error in worker %s", slot.index)
            error = RunError(f"the run stopped: {type(exc).__name__}: {exc}".splitlines()[0])
            if trial is not None:
                _interrupt(study, trial, str(error))
            control.fail(error)
            return


def _checkpoint(study: Study) -> None:
    try:
        study.checkpoint()
    except StudyFileError:
        pass  # the trials are safe in the WAL; the next open checkpoints them


def _interrupt(study: Study, trial, reason: str) -> None:
    """Mark the trial in flight interrupted, if it is still running and the file takes it."""
    try:
        if study.trial(trial.number).state is TrialState.RUNNING:
            study.tell(trial.number, TrialState.INTERRUPTED, error=reason)
    except (StudyFileError, ValueError):
        pass  # the run is failing already; reopening the file interrupts it anyway


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


class Runner:
    """Runs a study headless on plain threads, one trial slot per thread.

    Trials run in local worker processes, or on a Dask cluster given ``cluster``
    (``tcp://HOST:PORT`` or ``local:N``, see :func:`engine.executors.make_executor`).
    """

    def __init__(
        self,
        study: Study,
        objective: Objective,
        *,
        workers: int | None = None,
        executor: LocalProcessExecutor | DaskExecutor | None = None,
        cluster: str | None = None,
    ):
        self.study = study
        self.objective = objective
        self.workers = workers or study.spec.workers or default_workers()
        # An executor given here is the caller's to close; one made here closes in wait().
        self._owns_executor = executor is None
        self.executor = executor or make_executor(
            cluster, workers=self.workers, memory_limit_mb=study.spec.memory_limit_mb,
        )
        self.control = RunControl()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self.study.start_clock()
        for i in range(self.workers):
            t = threading.Thread(target=self._work, args=(i,), name=f"knobs-run-{i}", daemon=True)
            self._threads.append(t)
            t.start()

    def _work(self, index: int) -> None:
        try:
            slot = self.executor.slot(index)
        except ExecutorError as exc:  # e.g. the Dask scheduler cannot be reached
            self.control.fail(exc)
            return
        try:
            run_worker(self.study, self.objective, slot, self.control)
        finally:
            slot.close()

    def wait(self, on_tick: Callable[[], None] | None = None) -> None:
        """Block until every worker has left; ``on_tick`` is called about 4 times a second."""
        for t in self._threads:
            while t.is_alive():
                t.join(0.25)  # short joins keep Ctrl-C responsive
                if on_tick:
                    on_tick()
        if self._owns_executor:
            self.executor.close()

    def run(self, on_tick: Callable[[], None] | None = None) -> None:
        """Start, wait to the end; Ctrl-C stops the run with running trials interrupted."""
        self.start()
        try:
            self.wait(on_tick=on_tick)
        except KeyboardInterrupt:
            self.stop()
            raise
        if self.control.error is not None:
            raise self.control.error

    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def stop(self) -> None:
        self.control.stop()
        self.wait()
