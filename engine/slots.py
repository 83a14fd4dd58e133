"""What every place that runs trials promises the run loop: a slot runs one trial at a time
and returns an :class:`Outcome`, or raises :class:`ExecutorError` when trials can no longer
run there. Local processes (:mod:`engine.executors`) and Dask (:mod:`engine.dask_executor`)
both keep it; tests/engine/test_slot_contract.py runs one suite against each.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from engine.objectives.base import Objective
from engine.trial import TrialState


@dataclass(frozen=True)
class Outcome:
    """How a trial ended, as the executor saw it."""

    state: TrialState
    value: float | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


class ExecutorError(RuntimeError):
    """Trials can no longer run where they were sent (e.g. the Dask scheduler is gone).

    Raised by ``executor.slot()`` or ``slot.run()``; the run loop then stops the whole run,
    keeping every finished trial, instead of failing one trial after another.
    """


class Slot(Protocol):
    """Where one run-loop thread runs its trials, one at a time: a local process or Dask."""

    index: int

    def run(
        self,
        objective: Objective,
        params: Mapping[str, Any],
        *,
        timeout_s: float | None = None,
        report: Callable[[int, float], str | None] | None = None,
        cancel: threading.Event | None = None,
    ) -> Outcome: ...

    def close(self) -> None: ...
