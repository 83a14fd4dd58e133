"""Trials as frozen snapshots: the only thing that crosses threads and processes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any


class TrialState(str, Enum):
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"
    PRUNED = "pruned"
    INTERRUPTED = "interrupted"

    @property
    def is_finished(self) -> bool:
        """Finished trials count towards the budget; interrupted ones are run again."""
        return self in (TrialState.COMPLETE, TrialState.FAILED, TrialState.PRUNED)


@dataclass(frozen=True)
class Trial:
    """One evaluation of the objective. ``params`` holds only the active parameters."""

    number: int
    params: dict[str, Any]
    state: TrialState = TrialState.RUNNING
    value: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    worker: int | None = None
    error: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    intermediate: tuple[tuple[int, float], ...] = ()
    # The objective values, in the order of the spec's objectives (a complete trial of a
    # study with [[objectives]] or [[constraints]]); empty otherwise: ``value`` says it all.
    values: tuple[float, ...] = ()
    # How far the trial is outside the spec's constraints (0 when it meets them all).
    violation: float = 0.0

    @property
    def feasible(self) -> bool:
        return self.violation <= 0
    note: str = ""  # the user's own words about the trial (not a result)

    @property
    def duration(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    def evolve(self, **changes: Any) -> Trial:
        return replace(self, **changes)


def params_key(params: dict[str, Any]) -> str:
    """A canonical text for a configuration, used to spot repeats across runs."""
    return json.dumps(params, sort_keys=True, separators=(",", ":"))
