"""A study's Pareto front kept as trials finish, and the Pareto rank of every trial."""

from __future__ import annotations

import numpy as np

from engine import pareto
from engine.goals import Goal
from engine.trial import Trial


class ParetoFront:
    """Feasible complete trials no other one dominates, updated one trial at a time so that
    telling a trial never rescans the study."""

    def __init__(self, goals: tuple[Goal, ...]):
        self._signs = np.array([g.sign for g in goals])
        self.trials: list[Trial] = []

    def __len__(self) -> int:
        return len(self.trials)

    def add(self, trial: Trial) -> bool:
        """Put a feasible complete trial on the front unless another one dominates it (the
        ones it dominates leave); True when it joined."""
        mine = self._signs * np.array(trial.values)
        if self.trials:
            others = self._signs * np.array([t.values for t in self.trials])
            if np.any(np.all(others <= mine, axis=1) & np.any(others < mine, axis=1)):
                return False
            beaten = np.all(mine <= others, axis=1) & np.any(mine < others, axis=1)
            self.trials = [t for t, b in zip(self.trials, beaten) if not b]
        self.trials.append(trial)
        return True

    def best_in_first(self) -> Trial:
        """The trial best in the first objective (the best trial with one objective)."""
        return min(self.trials, key=lambda t: self._signs[0] * t.values[0])

    def in_order(self) -> list[Trial]:
        """The front sorted by the first objective, best first."""
        sign = self._signs[0]
        return sorted(self.trials, key=lambda t: (sign * t.values[0], t.number))


def trial_ranks(trials: list[Trial], goals: tuple[Goal, ...], is_multi: bool) -> dict[int, int]:
    """Pareto rank of every complete trial, by number (see :meth:`Study.ranks`)."""
    if is_multi:
        ranks = pareto.trial_ranks(trials, goals)
    else:  # one objective: the rank among distinct values, best first
        ranks = pareto.trial_ranks([t.evolve(values=(t.value,)) for t in trials], goals)
    done = [(t, r) for t, r in zip(trials, ranks) if r == r]
    return {t.number: int(r) for t, r in done}
