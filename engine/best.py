"""Which trial is best: the one rule the study, the trials table and the plots share.

A trial competes when it is complete and has a value (not NaN). Lower wins when the study
minimizes, higher when it maximizes; on a tie the earlier trial stays best.
"""

from __future__ import annotations

import math

import numpy as np

from engine.states import COMPLETE
from engine.trial import Trial, TrialState

DIRECTIONS = ("minimize", "maximize")


def _check(direction: str) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be 'minimize' or 'maximize', got {direction!r}")


def competes(trial: Trial) -> bool:
    """Whether a trial can be the best one: complete, with a value."""
    return (trial.state is TrialState.COMPLETE and trial.value is not None
            and not math.isnan(trial.value))


def is_better(a: float, b: float, direction: str) -> bool:
    """Whether value ``a`` beats value ``b`` (strictly: a tie keeps the earlier trial)."""
    _check(direction)
    return a > b if direction == "maximize" else a < b


def best_index(values: np.ndarray, states: np.ndarray, direction: str) -> int:
    """The row of the best trial among columns of values and state codes, or -1."""
    _check(direction)
    values = np.asarray(values, dtype=float)
    rows = np.flatnonzero((np.asarray(states) == COMPLETE) & ~np.isnan(values))
    if rows.size == 0:
        return -1
    pick = np.argmax if direction == "maximize" else np.argmin  # first of equals: earliest
    return int(rows[pick(values[rows])])


def best_so_far(values: np.ndarray, direction: str) -> np.ndarray:
    """The running best of ``values`` in order; NaNs are skipped (NaN before any value)."""
    _check(direction)
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return values.copy()
    # fmin/fmax ignore NaN, so a trial without a value keeps the previous best.
    return (np.fmax if direction == "maximize" else np.fmin).accumulate(values)


__all__ = ["DIRECTIONS", "best_index", "best_so_far", "competes", "is_better"]
