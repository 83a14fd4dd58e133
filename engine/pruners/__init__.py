"""Pruners by name, as written in a study spec's ``[pruner]`` table.

A pruner decides from a running trial's reported steps whether it stops now. To add one,
write a module with a :class:`Pruner` subclass whose own settings are keyword-only
arguments of ``__init__`` with defaults (they become its accepted options, and their
defaults' types the accepted types) and add it to ``PRUNERS``.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from typing import Any

from engine.pruners.asha import AshaPruner
from engine.pruners.base import Pruner
from engine.pruners.hyperband import HyperbandPruner
from engine.pruners.median import MedianPruner
from engine.pruners.none import NoPruner
from engine.pruners.threshold import ThresholdPruner

__all__ = ["PRUNERS", "PRUNER_NAMES", "Pruner", "make_pruner", "option_defaults",
           "pruner_problems"]

PRUNERS: dict[str, type[Pruner]] = {
    "none": NoPruner,
    "median": MedianPruner,
    "threshold": ThresholdPruner,
    "asha": AshaPruner,
    "hyperband": HyperbandPruner,
}
PRUNER_NAMES = tuple(PRUNERS)

# Options that are a number of steps or trials: whole numbers with a least value.
_WHOLE = {"warmup_steps": 0, "min_trials": 0, "min_steps": 1, "max_steps": 2, "eta": 2}
_NUMBERS = ("lower", "upper")


def option_defaults(name: str) -> dict[str, Any]:
    """A pruner's own settings and their defaults, in the order of its signature."""
    params = inspect.signature(PRUNERS[name].__init__).parameters.values()
    return {p.name: p.default for p in params
            if p.kind is p.KEYWORD_ONLY and p.name not in ("direction", "seed")}


def pruner_problems(name: Any, options: Mapping[str, Any], where: str = "pruner.") -> list[str]:
    """Every problem with a pruner's name and options, each naming field, value, accepted."""
    if not isinstance(name, str) or name not in PRUNERS:
        return [f"{where}name = {_show(name)}: expected one of {', '.join(PRUNER_NAMES)}"]
    accepted = option_defaults(name)
    problems = []
    for key, value in options.items():
        if key not in accepted:
            problems.append(f"{where}{key}: unknown option for {name}; accepted: "
                            f"{', '.join(accepted) or 'none'}")
        elif key in _WHOLE and (isinstance(value, bool) or not isinstance(value, int)
                                or value < _WHOLE[key]):
            problems.append(f"{where}{key} = {_show(value)}: expected a whole number "
                            f">= {_WHOLE[key]}")
        elif key in _NUMBERS and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not math.isfinite(value)):
            problems.append(f"{where}{key} = {_show(value)}: expected a number")
    if problems:
        return problems
    merged = {**accepted, **options}
    if name == "threshold" and merged["lower"] is None and merged["upper"] is None:
        problems.append(f"{where}lower/upper: missing; give at least one bound "
                        "(NaN values are always stopped)")
    if (name == "threshold" and merged["lower"] is not None and merged["upper"] is not None
            and merged["lower"] > merged["upper"]):
        problems.append(f"{where}lower = {_show(merged['lower'])}: must not be above "
                        f"upper = {_show(merged['upper'])}")
    if merged.get("max_steps") is not None and merged["max_steps"] <= merged["min_steps"]:
        problems.append(f"{where}max_steps = {merged['max_steps']}: must be greater than "
                        f"min_steps = {merged['min_steps']}")
    return problems


def make_pruner(name: str, *, direction: str = "minimize", seed: int | None = None,
                options: Mapping[str, Any] | None = None) -> Pruner:
    """Build the pruner called ``name``; raise ValueError naming every bad setting."""
    options = dict(options or {})
    problems = pruner_problems(name, options)
    if problems:
        raise ValueError("\n".join(problems))
    return PRUNERS[name](direction=direction, seed=seed, **options)


def _show(value: Any) -> str:
    from engine.space import show_value

    return show_value(value)
