"""Pruner ``threshold``: stop a trial whose value leaves given bounds, or is NaN."""

from __future__ import annotations

from engine.pruners.base import Pruner, last_report, show
from engine.pruners.seen import Seen
from engine.trial import Trial


class ThresholdPruner(Pruner):
    """Stop a trial that reports a value below ``lower`` or above ``upper`` (either may be
    left out) at ``warmup_steps`` or later, or a NaN or infinite value at any step."""

    name = "threshold"

    def __init__(self, *, lower: float | None = None, upper: float | None = None,
                 warmup_steps: int = 0, direction: str = "minimize", seed: int | None = None):
        super().__init__(direction=direction, seed=seed)
        self.lower = lower
        self.upper = upper
        self.warmup_steps = warmup_steps

    @property
    def first_step(self) -> int:
        return self.warmup_steps

    def decide(self, trial: Trial, seen: Seen) -> str | None:
        report = last_report(trial)
        if report is None or report[0] < self.warmup_steps:
            return None
        step, value = report
        if self.lower is not None and value < self.lower:
            return f"threshold: at step {step}, {show(value)} is below lower = {show(self.lower)}"
        if self.upper is not None and value > self.upper:
            return f"threshold: at step {step}, {show(value)} is above upper = {show(self.upper)}"
        return None

    def should_prune_nonfinite(self, trial: Trial, step: int, value: float) -> str | None:
        return f"threshold: at step {step} the value is {value}"
