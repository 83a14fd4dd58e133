"""Pruner ``median``: stop a trial that falls behind the median of the others at a step."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.pruners.base import Pruner, competitors, last_report, show, value_at
from engine.trial import Trial


class MedianPruner(Pruner):
    """At step k, stop a trial whose value is worse than the median of the values other
    trials reported at step k.

    Warm-up: nothing is stopped before ``warmup_steps``, nor while fewer than
    ``min_trials`` other trials have reported step k.
    """

    name = "median"

    def __init__(self, *, warmup_steps: int = 1, min_trials: int = 5,
                 direction: str = "minimize", seed: int | None = None):
        super().__init__(direction=direction, seed=seed)
        self.warmup_steps = warmup_steps
        self.min_trials = min_trials

    @property
    def first_step(self) -> int:
        return self.warmup_steps

    def should_prune(self, trial: Trial, trials: Sequence[Trial]) -> str | None:
        report = last_report(trial)
        if report is None or report[0] < self.warmup_steps:
            return None
        step, value = report
        others = [v for t in competitors(trials, trial) if (v := value_at(t, step)) is not None]
        if len(others) < self.min_trials:
            return None
        median = float(np.median(others))
        if self.worse(value, median):
            return (f"median: at step {step}, {show(value)} is worse than the median "
                    f"{show(median)} of {len(others)} other trials")
        return None
