"""Pruner ``none``: every trial runs to its end (the default)."""

from __future__ import annotations

from engine.pruners.base import Pruner
from engine.pruners.seen import Seen
from engine.trial import Trial


class NoPruner(Pruner):
    name = "none"

    def decide(self, trial: Trial, seen: Seen) -> str | None:
        return None
