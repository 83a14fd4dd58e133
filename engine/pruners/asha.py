"""Pruner ``asha``: asynchronous successive halving.

Rungs sit at ``min_steps × eta**k``. When a trial reaches a rung, it goes on only if its
value there is in the top ``1/eta`` of the values every trial showed at that rung so far.
It never waits for a rung to fill: the first trials at a rung are compared with the few
that are there (with fewer than ``eta``, only the best of them goes on), as in ASHA (Li et
al., 2020) and Optuna's SuccessiveHalvingPruner.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.pruners.base import Pruner, competitors, show, value_reaching
from engine.trial import Trial


class AshaPruner(Pruner):
    name = "asha"

    def __init__(self, *, min_steps: int = 1, eta: int = 3, max_steps: int | None = None,
                 direction: str = "minimize", seed: int | None = None):
        super().__init__(direction=direction, seed=seed)
        self.min_steps = min_steps
        self.eta = eta
        self.max_steps = max_steps

    @property
    def first_step(self) -> int:
        return self.min_steps

    def rungs(self, trial_number: int | None = None, upto: int | None = None
              ) -> tuple[int, ...]:
        return rung_steps(self.min_steps, self.eta, self.max_steps, upto=upto)

    def should_prune(self, trial: Trial, trials: Sequence[Trial]) -> str | None:
        return self._decide(trial, competitors(trials, trial), self.min_steps, "asha")

    def _decide(self, trial: Trial, others: Sequence[Trial], min_steps: int, label: str
                ) -> str | None:
        if not trial.intermediate:
            return None
        step = trial.intermediate[-1][0]
        before = trial.intermediate[-2][0] if len(trial.intermediate) > 1 else -1
        for k, rung in enumerate(rung_steps(min_steps, self.eta, self.max_steps, upto=step)):
            if not before < rung <= step:
                continue  # decided when the trial first reached this rung
            mine = value_reaching(trial, rung)
            theirs = [v for t in others if t.intermediate and t.intermediate[-1][0] >= rung
                      and (v := value_reaching(t, rung)) is not None]
            values = sorted(theirs + [mine], reverse=self.direction == "maximize")
            keep = max(1, len(values) // self.eta)
            cutoff = values[keep - 1]
            if self.worse(mine, cutoff):
                return (f"{label}: at rung {k} (step {rung}), {show(mine)} is not in the top "
                        f"1/{self.eta} of {len(values)} trials (needed {show(cutoff)})")
        return None


def rung_steps(min_steps: int, eta: int, max_steps: int | None, upto: int | None = None
               ) -> tuple[int, ...]:
    """``min_steps × eta**k`` below ``max_steps`` (the last step has nothing to decide)."""
    limit = max_steps if max_steps is not None else upto
    if limit is None:
        return ()
    out, rung = [], min_steps
    while rung <= limit and (max_steps is None or rung < max_steps):
        out.append(rung)
        rung *= eta
    return tuple(out)
