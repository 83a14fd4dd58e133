"""How much compute pruning saved: steps run against steps a full run would have taken."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import NamedTuple

from engine.pruners.fidelity import ROWS
from engine.trial import Trial, TrialState


class Savings(NamedTuple):
    steps_run: int  # steps the trials ran, summed (see work())
    steps_full: int  # steps they would have run with no pruning
    full_length: int  # the steps one full trial runs

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


def work(trial: Trial, refits: bool = False) -> int:
    """The steps ``trial`` really ran: its last step when each step goes on from the one
    before (epochs, iterations, trees), the sum of its steps when each is a fit of its
    own from scratch (``refits``: data fraction, where a trial that reached 100% of the
    rows fitted 4 + 12 + 36 + 100 = 152% of them)."""
    if not trial.intermediate:
        return 0
    if refits:
        return int(sum(step for step, _ in trial.intermediate))
    return int(trial.intermediate[-1][0])


class SavingsTally:
    """The savings of a study, kept as its trials end so that reading them costs the same
    at 100,000 trials as at 10.

    A full trial costs what the costliest trial that ran to its end cost (of any ended
    trial while none did); each ended trial that reported steps would have cost that
    had it not been pruned. A trial's cost is :func:`work`. Ended trials never change,
    so each is added once; their costs are counted by value, and there are few distinct
    ones (one per step of a full trial).
    """

    def __init__(self, refits: bool = False) -> None:
        self._refits = refits
        self._costs: Counter[int] = Counter()
        self._costliest_complete = 0
        self._costliest = 0

    def add(self, trial: Trial) -> None:
        """Count ``trial`` if it ended with a curve; call once per trial as it ends."""
        if not trial.intermediate or trial.state is TrialState.RUNNING:
            return
        cost = work(trial, self._refits)
        self._costs[cost] += 1
        self._costliest = max(self._costliest, cost)
        if trial.state is TrialState.COMPLETE:
            self._costliest_complete = max(self._costliest_complete, cost)

    def savings(self) -> Savings:
        full = self._costliest_complete or self._costliest
        run = sum(n * min(cost, full) for cost, n in self._costs.items())
        return Savings(run, full * self._costs.total(), full)


def savings(trials: Iterable[Trial], refits: bool = False) -> Savings:
    """The savings of these trials (see :class:`SavingsTally`)."""
    tally = SavingsTally(refits)
    for t in trials:
        tally.add(t)
    return tally.savings()
