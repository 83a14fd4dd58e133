"""Random search: independent uniform points of the unit cube, decoded through the space."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from engine.samplers._discrete import NoRepeat
from engine.samplers.base import Sampler
from engine.space import SearchSpace, Value
from engine.trial import Trial

# In a discrete space, fresh draws that may all repeat a trial before falling back to a
# uniform choice among the configurations no trial holds.
_DRAWS = 20


class RandomSampler(Sampler):
    """Uniform points of the unit cube, decoded through ``space``.

    The draws for a trial come from ``(seed, number of trials so far)``, so a seed gives
    the same sequence with one worker, also when a study is resumed. In a purely discrete
    space no configuration is suggested twice (interrupted trials aside), and ``ask``
    returns ``None`` once every configuration has been tried.
    """

    name = "random"

    def __init__(
        self, space: SearchSpace, *, direction: str = "minimize", seed: int | None = None
    ):
        super().__init__(space, direction=direction, seed=seed)
        # Without a seed, fresh entropy: the study is still reproducible within this run.
        self._entropy = np.random.SeedSequence(seed).entropy
        self._no_repeat = NoRepeat(space) if space.is_discrete else None

    @property
    def size(self) -> int | None:
        return None if self._no_repeat is None else self._no_repeat.size

    def after_trial(self, trial: Trial) -> None:
        if self._no_repeat is not None:
            self._no_repeat.observe(trial)

    def ask(self, trials: Sequence[Trial]) -> dict[str, Any] | None:
        rng = np.random.default_rng([self._entropy, len(trials)])
        if self._no_repeat is None:
            return self._draw(rng)
        return self._no_repeat.choose(self._draws(rng), rng)

    def _draw(self, rng: np.random.Generator) -> dict[str, Value]:
        return self.space.decode(rng.random(self.space.dimension))

    def _draws(self, rng: np.random.Generator) -> Iterator[dict[str, Value]]:
        for _ in range(_DRAWS):
            yield self._draw(rng)
