"""How much compute pruning saved: steps run against steps a full run would have taken."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import NamedTuple

from engine.pruners.fidelity import ROWS
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
        if unit == ROWS:  # steps are percents of the rows: count whole fits instead
            return (f"{self.steps_run / 100:,.1f} of {self.steps_full / 100:,.0f} trials' "
                    f"rows fitted; {self.fraction_saved:.0%} saved")
        return (f"{self.steps_run:,} of {self.steps_full:,} {unit} run; "
                f"{self.fraction_saved:.0%} saved")


class SavingsTally:
    """The savings of a study, kept as its trials end so that reading them costs the same
    at 100,000 trials as at 10.

    A full trial is as long as the longest curve of a trial that ran to its end (of any
    ended trial while none did); each ended trial that reported steps would have run that
    long had it not been pruned. Ended trials never change, so each is added once; their
    last steps are counted by value, and there are few distinct ones (at most a full
    trial's steps).
    """

    def __init__(self) -> None:
        self._last_steps: Counter[int] = Counter()
        self._longest_complete = 0
        self._longest = 0

    def add(self, trial: Trial) -> None:
        """Count ``trial`` if it ended with a curve; call once per trial as it ends."""
        if not trial.intermediate or trial.state is TrialState.RUNNING:
            return
        last = trial.intermediate[-1][0]
        self._last_steps[last] += 1
        self._longest = max(self._longest, last)
        if trial.state is TrialState.COMPLETE:
            self._longest_complete = max(self._longest_complete, last)

    def savings(self) -> Savings:
        full = self._longest_complete or self._longest
        run = sum(n * min(step, full) for step, n in self._last_steps.items())
        return Savings(run, full * self._last_steps.total(), full)


def savings(trials: Iterable[Trial]) -> Savings:
    """The savings of these trials (see :class:`SavingsTally`)."""
    tally = SavingsTally()
    for t in trials:
        tally.add(t)
    return tally.savings()
