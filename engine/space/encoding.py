"""Unit-cube coordinates of parameter values: what samplers draw and models see."""

from __future__ import annotations

import math
from typing import Any

from engine.space.params import (
    CategoricalParam,
    FixedParam,
    IntParam,
    NumericParam,
    Param,
    Value,
    n_values,
    same_value,
)


def decode_one(p: Param, u: float) -> Value:
    """One unit-interval coordinate to a legal value of ``p``."""
    u = min(max(u, 0.0), 1.0)
    if isinstance(p, FixedParam):
        return p.value
    if isinstance(p, CategoricalParam):
        k = len(p.choices)
        return p.choices[min(int(u * k), k - 1)]
    if isinstance(p, IntParam) and not p.log:
        k = n_values(p)
        return p.low + min(int(u * k), k - 1) * p.step
    if isinstance(p, IntParam):
        # Widen by half a unit so that both ends are as likely as their neighbours.
        lo, hi = math.log(p.low - 0.5), math.log(p.high + 0.5)
        return snap(p, math.exp(lo + u * (hi - lo)))
    if p.log:
        return snap(p, math.exp(math.log(p.low) + u * (math.log(p.high) - math.log(p.low))))
    if p.step is not None:
        k = n_values(p)
        return snap(p, p.low + min(int(u * k), k - 1) * p.step)
    return p.low + u * (p.high - p.low)


def encode_one(p: Param, v: Any) -> float:
    """A value of ``p`` to the centre of the unit-interval cell that decodes to it."""
    if isinstance(p, FixedParam):
        return 0.5
    if isinstance(p, CategoricalParam):
        for i, c in enumerate(p.choices):
            if same_value(v, c):
                return (i + 0.5) / len(p.choices)
        raise ValueError(f"{v!r} is not a choice of '{p.name}'")
    v = float(v)
    if isinstance(p, IntParam) and not p.log:
        return (round((v - p.low) / p.step) + 0.5) / n_values(p)
    if isinstance(p, IntParam):
        lo, hi = math.log(p.low - 0.5), math.log(p.high + 0.5)
        return min(max((math.log(v) - lo) / (hi - lo), 0.0), 1.0)
    if p.log:
        return (math.log(v) - math.log(p.low)) / (math.log(p.high) - math.log(p.low))
    if p.step is not None:
        return (round((v - p.low) / p.step) + 0.5) / n_values(p)
    return (v - p.low) / (p.high - p.low)


def snap(p: NumericParam, x: float) -> Value:
    """Round onto the parameter's step (or integers) and clip into its range."""
    x = min(max(x, p.low), p.high)
    if isinstance(p, IntParam):
        k = round((x - p.low) / p.step)
        return int(min(p.low + k * p.step, p.high))
    if p.step is not None:
        k = round((x - p.low) / p.step)
        # Round away float noise so that 0.1 * 3 is stored as 0.3, then clip again in case
        # the bounds themselves carry that noise.
        return min(max(float(round(p.low + k * p.step, 12)), p.low), p.high)
    return x
