"""The one interface every pruner implements."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence

from engine.pruners.seen import Contribution, Seen, seen_from
from engine.trial import Trial


class Pruner(ABC):
    """Decides, each time a running trial reports a value, whether it stops now.

    The decision (:meth:`decide`) depends only on the values trials reported, so a resumed
    study (or one with many parallel workers) decides the same way given the same reports,
    and no pruner ever waits for other trials (asynchronous). What it compares is kept
    sorted as reports arrive (:class:`~engine.pruners.seen.Seen`), so that deciding does
    not scan the study: the study calls :meth:`observe` with every new snapshot of every
    trial (each report, each end, each stored trial on open) and then :meth:`judge`, under
    its lock. :meth:`should_prune` answers the same question for a given list of trials.
    """

    name: str = ""

    def __init__(self, *, direction: str = "minimize", seed: int | None = None):
        self.direction = direction
        self.seed = seed
        self._seen = Seen(self.contributions)

    def contributions(self, trial: Trial, since: int) -> list[Contribution]:
        """The (key, value) pairs ``trial``'s reports from index ``since`` on add to what
        this pruner compares; none for a pruner that looks at one trial alone."""
        return []

    def observe(self, trial: Trial) -> None:
        """Take in the newest snapshot of ``trial``; cheap, called under the study's lock."""
        if type(self).contributions is not Pruner.contributions:
            self._seen.observe(trial)

    def judge(self, trial: Trial) -> str | None:
        """Why ``trial`` (just observed after its newest report) should stop, or ``None``."""
        return self.decide(trial, self._seen)

    def should_prune(self, trial: Trial, trials: Sequence[Trial]) -> str | None:
        """Why ``trial`` should stop after its newest report, judged against ``trials``
        (running ones included; ``trial`` itself may be among them), or ``None``."""
        return self.decide(trial, seen_from(trials, trial, self.contributions))

    @property
    def first_step(self) -> int:
        """No trial is ever stopped at a step below this one (the warm-up)."""
        return 0

    def rungs(self, trial_number: int | None = None, upto: int | None = None
              ) -> tuple[int, ...]:
        """The steps where decisions are taken, when they are fixed (for plot guides); up
        to ``upto`` when they go on for ever."""
        return ()

    @abstractmethod
    def decide(self, trial: Trial, seen: Seen) -> str | None:
        """Why ``trial`` should stop after its newest report, given what was ``seen``."""

    def should_prune_nonfinite(self, trial: Trial, step: int, value: float) -> str | None:
        """Why a trial that reported NaN or infinity should stop, or ``None``.

        Such values are not stored (a plot cannot show them), so only this sees them.
        """
        return None

    # --- helpers shared by the pruners ---------------------------------------------

    def better(self, a: float, b: float) -> bool:
        return a > b if self.direction == "maximize" else a < b

    def worse(self, a: float, b: float) -> bool:
        return a < b if self.direction == "maximize" else a > b


def last_report(trial: Trial) -> tuple[int, float] | None:
    return trial.intermediate[-1] if trial.intermediate else None


def show(x: float) -> str:
    return f"{x:.6g}" if math.isfinite(x) else str(x)
