"""Quasi-random search: scrambled Sobol points, which cover the space more evenly."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.stats import qmc

from engine.samplers._discrete import NoRepeat
from engine.samplers.base import Sampler
from engine.space import SearchSpace
from engine.trial import Trial


class SobolSampler(Sampler):
    """The k-th trial gets point k of a scrambled Sobol sequence, decoded through ``space``.

    Sobol points fill the unit cube more evenly than random ones; scrambling (fixed by
    ``seed``) keeps them unbiased. Point k depends only on k and the seed, so a resumed
    study continues the sequence. In a purely discrete space no configuration is suggested
    twice (a point that repeats a trial is replaced by a random free configuration), and
    ``ask`` returns ``None`` once every configuration has been tried.
    """

    name = "sobol"

    def __init__(
        self, space: SearchSpace, *, direction: str = "minimize", seed: int | None = None
    ):
        super().__init__(space, direction=direction, seed=seed)
        # Without a seed, fresh entropy, shared by the scrambling and the fallback draws.
        self._entropy = np.random.SeedSequence(seed).entropy
        self._engine = qmc.Sobol(d=space.dimension, scramble=True, seed=self._entropy)
        self._no_repeat = NoRepeat(space) if space.is_discrete else None

    @property
    def size(self) -> int | None:
        return None if self._no_repeat is None else self._no_repeat.size

    def after_trial(self, trial: Trial) -> None:
        if self._no_repeat is not None:
            self._no_repeat.observe(trial)

    def ask(self, trials: Sequence[Trial]) -> dict[str, Any] | None:
        k = len(trials)
        params = self.space.decode(self._point(k))
        if self._no_repeat is None:
            return params
        rng = np.random.default_rng([self._entropy, k])
        return self._no_repeat.choose([params], rng)

    def _point(self, k: int) -> np.ndarray:
        engine = self._engine
        if k < engine.num_generated:
            engine.reset()
        if k > engine.num_generated:
            engine.fast_forward(k - engine.num_generated)
        # One point per call: scipy warns about balance only when a first draw is not a
        # power of two, and 1 is one, so there is no warning to silence.
        return engine.random(1)[0]
