"""A stand-in executor whose slots run each trial on the run-loop thread itself: the
slot interface without worker processes, for tests of the run loop's own rules."""

from __future__ import annotations

import threading

from engine.executors import Outcome
from engine.trial import TrialState


class InThreadSlot:
    """Runs ``trial(params, cancel)`` on the run-loop thread itself."""

    def __init__(self, executor: InThreadExecutor, index: int):
        self.index = index
        self._executor = executor

    def run(self, objective, params, *, timeout_s=None, report=None, cancel=None) -> Outcome:
        return self._executor.trial(params, cancel)

    def close(self) -> None:
        with self._executor.lock:
            self._executor.slots_closed += 1


class InThreadExecutor:
    def __init__(self, trial=None, broken_slot: Exception | None = None):
        self.trial = trial or (lambda params, cancel: Outcome(TrialState.COMPLETE,
                                                              params["x"]))
        self.broken_slot = broken_slot
        self.lock = threading.Lock()
        self.slots_closed = 0
        self.closed = False

    def slot(self, index: int) -> InThreadSlot:
        if self.broken_slot is not None and index == 1:
            raise self.broken_slot
        return InThreadSlot(self, index)

    def close(self) -> None:
        self.closed = True


def hang_until_cancelled(started: threading.Event):
    def trial(params, cancel):
        started.set()
        cancel.wait(60)
        return Outcome(TrialState.INTERRUPTED, error="stopped")
    return trial
