"""Pruner ``hyperband``: several ASHA brackets, from aggressive to cautious.

Bracket b has its first rung at ``min_steps × eta**b``; bracket 0 stops trials earliest,
the last one lets every trial run to ``max_steps``. This hedges against curves that cross
(good early is not always good late). Each trial is put in a bracket by a draw seeded with
the study's seed and the trial's number, so a resumed study puts it in the same one;
brackets get trials in the proportions of Hyperband (Li et al., 2018), and trials compete
only within their bracket.
"""

from __future__ import annotations

import math

import numpy as np

from engine.pruners.asha import AshaPruner, rung_steps


class HyperbandPruner(AshaPruner):
    name = "hyperband"

    def __init__(self, *, min_steps: int = 1, max_steps: int = 100, eta: int = 3,
                 direction: str = "minimize", seed: int | None = None):
        super().__init__(min_steps=min_steps, eta=eta, max_steps=max_steps,
                         direction=direction, seed=seed)
        n_brackets = int(math.floor(math.log(max(max_steps / min_steps, 1), eta) + 1e-9)) + 1
        s_max = n_brackets - 1
        sizes = [math.ceil(n_brackets / (s_max - b + 1) * eta ** (s_max - b))
                 for b in range(n_brackets)]
        self._weights = np.array(sizes, dtype=float) / sum(sizes)
        self._brackets: dict[int, int] = {}  # a draw per trial number, made once

    @property
    def n_brackets(self) -> int:
        return len(self._weights)

    def bracket(self, trial_number: int) -> int:
        b = self._brackets.get(trial_number)
        if b is None:
            rng = np.random.default_rng([self.seed or 0, trial_number])
            b = self._brackets[trial_number] = int(rng.choice(self.n_brackets, p=self._weights))
        return b

    def rungs(self, trial_number: int | None = None, upto: int | None = None
              ) -> tuple[int, ...]:
        b = 0 if trial_number is None else self.bracket(trial_number)
        return rung_steps(self._first_rung(b), self.eta, self.max_steps, upto=upto)

    def _first_rung(self, b: int) -> int:
        return self.min_steps * self.eta ** b

    def group(self, trial_number: int) -> int:
        return self.bracket(trial_number)

    def label(self, trial_number: int) -> str:
        return f"hyperband bracket {self.bracket(trial_number)}"
