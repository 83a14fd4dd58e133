"""Pruner ``asha``: asynchronous successive halving.

Rungs sit at ``min_steps × eta**k``. When a trial reaches a rung, it goes on only if its
value there is in the top ``1/eta`` of the values every trial showed at that rung so far.
It never waits for a rung to fill: the first trials at a rung are compared with the few
that are there (with fewer than ``eta``, only the best of them goes on), as in ASHA (Li et
al., 2020) and Optuna's SuccessiveHalvingPruner.
"""

from __future__ import annotations

from engine.pruners.base import Pruner, show
from engine.pruners.seen import Contribution, Seen
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

    def group(self, trial_number: int) -> int:
        """Trials compete with those of the same group (one, here)."""
        return 0

    def label(self, trial_number: int) -> str:
        return "asha"

    def contributions(self, trial: Trial, since: int) -> list[Contribution]:
        # A trial's value on reaching a rung is its first report at or past it.
        out = []
        points = trial.intermediate
        group = self.group(trial.number)
        for i in range(since, len(points)):
            before = points[i - 1][0] if i else -1
            step, value = points[i]
            out += [((group, rung), value) for rung in self.rungs(trial.number, upto=step)
                    if before < rung <= step]
        return out

    def decide(self, trial: Trial, seen: Seen) -> str | None:
        if not trial.intermediate:
            return None
        step, mine = trial.intermediate[-1]
        before = trial.intermediate[-2][0] if len(trial.intermediate) > 1 else -1
        group = self.group(trial.number)
        for k, rung in enumerate(self.rungs(trial.number, upto=step)):
            if not before < rung <= step:
                continue  # decided when the trial first reached this rung
            values = seen.values((group, rung)).values  # ascending; this trial's among them
            keep = max(1, len(values) // self.eta)
            cutoff = values[-keep] if self.direction == "maximize" else values[keep - 1]
            if self.worse(mine, cutoff):
                return (f"{self.label(trial.number)}: at rung {k} (step {rung}), {show(mine)} "
                        f"is not in the top 1/{self.eta} of {len(values)} trials "
                        f"(needed {show(cutoff)})")
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
