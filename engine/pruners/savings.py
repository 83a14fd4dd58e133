"""How much compute pruning saved: steps run against steps a full run would have taken."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from engine.trial import Trial, TrialState


class Savings(NamedTuple):
    steps_run: int  # steps the trials ran, summed
    steps_full: int  # steps they would have run with no pruning
    full_length: int  # the steps of one full trial (the longest curve seen)

    @property
    def fraction_saved(self) -> float:
        return 1.0 - self.steps_run / self.steps_full if self.steps_full else 0.0

    def text(self, unit: str = "steps") -> str:
        """E.g. ``312 of 1,000 steps run; 69% saved``."""
        return (f"{self.steps_run:,} of {self.steps_full:,} {unit} run; "
                f"{self.fraction_saved:.0%} saved")


def savings(trials: Sequence[Trial]) -> Savings:
    """A full trial is as long as the longest curve of a trial that ran to its end; each
    trial that reported steps would have run that long had it not been pruned."""
    ended = [t for t in trials if t.intermediate and t.state is not TrialState.RUNNING]
    full = max((t.intermediate[-1][0] for t in ended if t.state is TrialState.COMPLETE),
               default=max((t.intermediate[-1][0] for t in ended), default=0))
    run = sum(min(t.intermediate[-1][0], full) for t in ended)
    return Savings(run, full * len(ended), full)
