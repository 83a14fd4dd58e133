"""The one interface every sampler implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from engine.goals import Goal, Limit
from engine.space import SearchSpace
from engine.trial import Trial


class Sampler(ABC):
    """Chooses the params of the next trial.

    ``ask`` is called under the study's lock with every trial so far, running ones
    included (``state == RUNNING``), so a sampler can avoid what others are testing now.
    It returns ``None`` when it has nothing left to suggest (an exhausted grid), which
    ends the study cleanly.

    The study calls :meth:`after_trial` each time it stores a trial (as Optuna's
    ``after_trial``): a sampler keeps what it needs from these calls instead of rescanning
    the whole history on every ask, whose cost would then grow with the study.
    """

    name: str = ""

    def __init__(
        self, space: SearchSpace, *, direction: str = "minimize", seed: int | None = None
    ):
        self.space = space
        self.direction = direction
        self.seed = seed

    @abstractmethod
    def ask(self, trials: Sequence[Trial]) -> dict[str, Any] | None:
        """Params for a new trial, or ``None`` when the sampler is exhausted."""

    def after_trial(self, trial: Trial) -> None:  # noqa: B027 - optional hook, as in Optuna
        """The study stored ``trial``: it started (``RUNNING``), ended, or was read from
        the study file on open (every stored trial, in order). Called under the study's
        lock, before the next ``ask``; the default keeps nothing."""

    def use_goals(self, goals: Sequence[Goal], limits: Sequence[Limit]) -> None:  # noqa: B027
        """The study judges trials by these objectives and constraints (engine/goals.py)
        rather than by ``value`` alone; each trial's ``values`` and ``violation`` hold them.
        Samplers that do not model results (grid, random, sobol) ignore it."""

    @property
    def size(self) -> int | None:
        """The most trials this sampler can ever suggest, when it is finite."""
        return None
