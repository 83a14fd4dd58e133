"""The run loop: keep W trials in flight (ask -> run in a worker process -> tell).

Qt-free and shared: :class:`Runner` owns one run's worker threads, its :class:`RunControl`,
the error policy and the :class:`RunOutcome`. The command line drives it directly; the
window through ``desktop/run/worker_pool.py``, which only turns its callback into a Qt
signal.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal, NamedTuple

from engine.cluster_address import ClusterTLS
from engine.executors import LocalProcessExecutor
from engine.objectives.base import Objective
from engine.placement import make_executor
from engine.pruners.fidelity import fit_to_pruner
from engine.slots import ExecutorError, Slot
from engine.storage import StudyFileError
from engine.study import Study, Summary
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
        self._parked = threading.Condition()

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

    def wait_parked(self, n: int, timeout: float | None = None) -> bool:
        """Block until ``n`` workers are parked by the pause (or ``timeout`` seconds pass);
        True when they are. From then on none of them starts a trial until resumed."""
        with self._parked:
            return self._parked.wait_for(lambda: self._waiting >= n, timeout)

    def wait_while_paused(self) -> None:
        if self._running.is_set():
            return
        with self._parked:
            self._waiting += 1
            self._parked.notify_all()
        try:
            self._running.wait()
        finally:
            with self._parked:
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


Reason = Literal["done", "stopped", "failed"]


class RunOutcome(NamedTuple):
    """How a run ended, made by the last worker to leave.

    ``reason`` is ``"done"`` (budget spent or the sampler exhausted), ``"stopped"`` (by
    :meth:`Runner.stop`) or ``"failed"`` (``error`` says why, in one line); ``summary`` is
    where the study stood at the end; ``fallbacks`` counts the asks of this run that the
    sampler failed and that got a random point instead.
    """

    reason: Reason
    error: Exception | None
    summary: Summary
    fallbacks: int


class Runner:
    """One run of a study: its workers, their pause/stop control, the error policy and
    the outcome. The command line and the window both drive a study through this object
    (the window through the thin Qt adapter ``desktop/run/worker_pool.py``).

    Each worker is a plain thread with one trial slot (a local worker process, or a place
    on a Dask cluster given ``cluster``: ``tcp://HOST:PORT``, ``tls://HOST:PORT`` with
    ``tls``, or ``local:N``, see :func:`engine.placement.make_executor`) running
    :func:`run_worker`. The last worker to leave closes the executor it made, sets
    :attr:`outcome` and calls ``on_finished`` with it, on its own thread: a host that shows
    the outcome elsewhere hands it over itself.
    """

    def __init__(
        self,
        study: Study,
        objective: Objective,
        *,
        workers: int | None = None,
        executor: LocalProcessExecutor | DaskExecutor | None = None,
        cluster: str | None = None,
        tls: ClusterTLS | None = None,
        on_finished: Callable[[RunOutcome], None] | None = None,
    ):
        self.study = study
        self.objective = objective
        self.workers = workers or study.spec.workers or default_workers()
        # An executor given here is the caller's to close; one made here is closed by the
        # last worker out (off the GUI thread: stopping a local Dask cluster takes a moment).
        self._owns_executor = executor is None
        self.executor = executor or make_executor(
            cluster, workers=self.workers, memory_limit_mb=study.spec.memory_limit_mb, tls=tls,
        )
        self.control = RunControl()
        self.outcome: RunOutcome | None = None
        self._on_finished = on_finished
        self._threads: list[threading.Thread] = []
        self._in_threads = 0
        self._lock = threading.Lock()
        self._fallbacks_before = 0

    @property
    def running(self) -> bool:
        """True from :meth:`start` until the last worker has left."""
        return bool(self._threads) and self.outcome is None

    def start(self) -> None:
        if self._threads:
            raise RuntimeError("a Runner runs once; make a new one to run again")
        self.study.start_clock()
        self._fallbacks_before = self.study.fallbacks
        self._threads = [
            threading.Thread(target=self._work, args=(i,), name=f"knobs-run-{i}", daemon=True)
            for i in range(self.workers)
        ]
        self._in_threads = len(self._threads)
        for t in self._threads:
            t.start()

    def _work(self, index: int) -> None:
        slot = None
        try:
            slot = self.executor.slot(index)  # reaching a Dask scheduler can take seconds
            run_worker(self.study, self.objective, slot, self.control)
        except ExecutorError as exc:  # e.g. the Dask scheduler cannot be reached
            self.control.fail(exc)
        except Exception as exc:  # noqa: BLE001 - the one error policy: stop, say why
            log.exception("the run stopped: unexpected error starting worker %s", index)
            self.control.fail(RunError(f"the run stopped: {type(exc).__name__}: {exc}"
                                       .splitlines()[0]))
        finally:
            if slot is not None:
                slot.close()
            self._leave()

    def _leave(self) -> None:
        with self._lock:
            self._in_threads -= 1
            if self._in_threads:
                return
        if self._owns_executor:
            try:
                self.executor.close()
            except Exception:  # noqa: BLE001 - the trials are stored; say so, do not fail
                log.exception("closing the executor after the run failed")
        control = self.control
        reason: Reason = ("failed" if control.error is not None
                          else "stopped" if control.stopped else "done")
        self.outcome = RunOutcome(reason, control.error, self.study.summary(),
                                  self.study.fallbacks - self._fallbacks_before)
        if self._on_finished is not None:
            try:
                self._on_finished(self.outcome)
            except Exception:  # noqa: BLE001 - the outcome stays readable on the Runner
                log.exception("the run's on_finished callback failed")

    def wait(self, on_tick: Callable[[], None] | None = None,
             timeout: float | None = None) -> bool:
        """Block until every worker has left, or ``timeout`` seconds; True when they all
        left. ``on_tick`` is called about 4 times a second."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for t in self._threads:
            while t.is_alive():
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                t.join(0.25 if left is None else min(0.25, left))  # Ctrl-C stays responsive
                if on_tick:
                    on_tick()
        return True

    def run(self, on_tick: Callable[[], None] | None = None) -> RunOutcome:
        """Start, wait to the end and return the outcome; raise the error of a failed run.
        Ctrl-C stops the run with running trials interrupted."""
        self.start()
        try:
            self.wait(on_tick=on_tick)
        except KeyboardInterrupt:
            self.stop()
            raise
        if self.control.error is not None:
            raise self.control.error
        return self.outcome

    def pause(self) -> None:
        """Let running trials finish; start no new ones until :meth:`resume`."""
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def stop(self, wait: bool = True) -> None:
        """End the running trials now (they become interrupted); with ``wait``, return
        once every worker has left."""
        self.control.stop()
        if wait:
            self.wait()
