"""Pruner ``median``: stop a trial that falls behind the median of the others at a step."""

from __future__ import annotations

from engine.pruners.base import Pruner, last_report, show
from engine.pruners.seen import Contribution, Seen
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

    def contributions(self, trial: Trial, since: int) -> list[Contribution]:
        return list(trial.intermediate[since:])  # (step, value): keyed by the step

    def decide(self, trial: Trial, seen: Seen) -> str | None:
        report = last_report(trial)
        if report is None or report[0] < self.warmup_steps:
            return None
        step, value = report
        at_step = seen.values(step)  # this trial's value is among them
        if len(at_step) - 1 < self.min_trials:
            return None
        median = at_step.median_without(value)
        if self.worse(value, median):
            return (f"median: at step {step}, {show(value)} is worse than the median "
                    f"{show(median)} of {len(at_step) - 1} other trials")
        return None
