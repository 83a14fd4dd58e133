"""Samplers by name, as written in a study spec's ``[sampler]`` table.

To add a sampler, write a module with a :class:`Sampler` subclass whose own settings are
keyword-only arguments of ``__init__`` (they become its accepted options) and add it to
``SAMPLERS``. Keep that module cheap to import: a sampler with heavy math (the GP of
"bayes") imports it inside its methods, so that listing the samplers stays fast.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Mapping
from typing import Any

from engine.samplers.base import Sampler
from engine.samplers.bayes import BayesSampler
from engine.samplers.grid import GridSampler
from engine.samplers.random import RandomSampler
from engine.samplers.sobol import SobolSampler
from engine.space import SearchSpace

__all__ = [
    "SAMPLERS", "BayesSampler", "GridSampler", "RandomSampler", "Sampler", "SobolSampler",
    "accepted_options", "make_sampler",
]

SAMPLERS: dict[str, type[Sampler]] = {
    "bayes": BayesSampler,
    "grid": GridSampler,
    "random": RandomSampler,
    "sobol": SobolSampler,
}

_DIRECTIONS = ("minimize", "maximize")


def accepted_options(cls: type[Sampler]) -> list[str]:
    """A sampler's own settings: the keyword-only ``__init__`` arguments after the shared
    ``direction`` and ``seed``."""
    params = inspect.signature(cls.__init__).parameters.values()
    return [
        p.name for p in params
        if p.kind is p.KEYWORD_ONLY and p.name not in ("direction", "seed")
    ]


def make_sampler(
    name: str,
    space: SearchSpace,
    *,
    direction: str = "minimize",
    seed: int | None = None,
    options: Mapping[str, Any] | None = None,
) -> Sampler:
    """Build the sampler called ``name``; raise ValueError naming every bad setting."""
    cls = SAMPLERS.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ValueError(f"sampler = {name!r}: expected one of {', '.join(sorted(SAMPLERS))}")
    problems = []
    if direction not in _DIRECTIONS:
        problems.append(f"direction = {direction!r}: expected {' or '.join(_DIRECTIONS)}")
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0
    ):
        problems.append(f"seed = {seed!r}: expected a whole number >= 0, or none")
    options = dict(options or {})
    accepted = accepted_options(cls)
    listed = ", ".join(accepted) or "none"
    for key in options:
        if key not in accepted:
            problems.append(f"sampler.{key}: unknown option for {name}; accepted: {listed}")
    if direction in _DIRECTIONS and not any(p.startswith("seed") for p in problems):
        # Build with the known options even when others are unknown, so that a bad value
        # is reported in the same message as the unknown names.
        known = {k: v for k, v in options.items() if k in accepted}
        try:
            sampler = cls(space, direction=direction, seed=None if seed is None else int(seed),
                          **known)
        except ValueError as exc:
            problems.extend(str(exc).splitlines())
        else:
            if not problems:
                return sampler
    raise ValueError("\n".join(problems))
