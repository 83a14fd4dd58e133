"""The one interface every pruner implements."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence

from engine.trial import Trial, TrialState


class Pruner(ABC):
    """Decides, each time a running trial reports a value, whether it stops now.

    ``should_prune`` is called under the study's lock with the trial as it stands after
    its newest report and every trial of the study (running ones included). It returns the
    rule that stops the trial, as a sentence, or ``None`` to let it go on. A pruner keeps
    no state of its own: the decision depends only on the values trials reported, so a
    resumed study (or one with many parallel workers) decides the same way, and no
    pruner ever waits for other trials (asynchronous).
    """

    name: str = ""

    def __init__(self, *, direction: str = "minimize", seed: int | None = None):
        self.direction = direction
        self.seed = seed

    @property
    def first_step(self) -> int:
        """No trial is ever stopped at a step below this one (the warm-up)."""
        return 0

    def rungs(self, trial_number: int | None = None, upto: int | None = None
              ) -> tuple[int, ...]:
        """The steps where decisions are taken, when they are fixed (for plot guides); up
        to ``upto`` when they go on for ever."""
        return ()

    @abstractmethod
    def should_prune(self, trial: Trial, trials: Sequence[Trial]) -> str | None:
        """Why ``trial`` should stop after its newest report, or ``None``."""

    def should_prune_nonfinite(self, trial: Trial, step: int, value: float) -> str | None:
        """Why a trial that reported NaN or infinity should stop, or ``None``.

        Such values are not stored (a plot cannot show them), so only this sees them.
        """
        return None

    # --- helpers shared by the pruners ---------------------------------------------

    def better(self, a: float, b: float) -> bool:
        return a > b if self.direction == "maximize" else a < b

    def worse(self, a: float, b: float) -> bool:
        return a < b if self.direction == "maximize" else a > b


def last_report(trial: Trial) -> tuple[int, float] | None:
    return trial.intermediate[-1] if trial.intermediate else None


def value_at(trial: Trial, step: int) -> float | None:
    """The value ``trial`` reported at ``step`` exactly, if it did."""
    for s, v in trial.intermediate:
        if s == step:
            return v
    return None


def value_reaching(trial: Trial, step: int) -> float | None:
    """The value at the first report at or past ``step``: what the trial showed there."""
    for s, v in trial.intermediate:
        if s >= step:
            return v
    return None


def competitors(trials: Sequence[Trial], trial: Trial) -> list[Trial]:
    """Other trials whose reports count: failed trials' curves say nothing reliable."""
    return [t for t in trials if t.number != trial.number and t.state is not TrialState.FAILED]


def show(x: float) -> str:
    return f"{x:.6g}" if math.isfinite(x) else str(x)
