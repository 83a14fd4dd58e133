"""Pruner ``none``: every trial runs to its end (the default)."""

from __future__ import annotations

from collections.abc import Sequence

from engine.pruners.base import Pruner
from engine.trial import Trial


class NoPruner(Pruner):
    name = "none"

    def should_prune(self, trial: Trial, trials: Sequence[Trial]) -> str | None:
        return None
