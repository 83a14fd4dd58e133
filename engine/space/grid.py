"""Grids: the values each parameter takes in a grid search, and the tree of cells.

Conditional branches add rather than multiply: a child's values only count under the parent
values that enable it, so cells are counted and decoded by index without enumerating them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from engine.space.encoding import decode_one, snap
from engine.space.params import (
    CategoricalParam,
    FixedParam,
    FloatParam,
    Param,
    Value,
    same_value,
)


def grid_values(p: Param) -> list[Value]:
    """The values a grid search tries for one parameter."""
    if isinstance(p, FixedParam):
        return [p.value]
    if isinstance(p, CategoricalParam):
        return list(p.choices)
    if p.grid is not None:
        # 1 and 1.0 are one configuration: keep a float parameter's values floats.
        return [float(v) for v in p.grid] if isinstance(p, FloatParam) else list(p.grid)
    n = p.grid_points
    if n == 1:
        return [decode_one(p, 0.5)]
    if p.log:
        raw = np.geomspace(p.low, p.high, n)
    else:
        raw = np.linspace(p.low, p.high, n)
    values: list[Value] = []
    for x in raw:
        v = snap(p, float(x))
        if not values or v != values[-1]:
            values.append(v)
    return values


class GridTree:
    """Per parameter: its grid values, the children each value enables, and cell counts."""

    def __init__(self, params: Sequence[Param]):
        self.branches: dict[str, list[tuple[Value, list[Param], int]]] = {}
        self.count: dict[str, int] = {}
        # Each parameter's conditional children, found once: scanning every parameter for
        # every value made 10,000 parameters take seconds.
        children_of: dict[str, list[Param]] = {}
        for c in params:
            if c.condition is not None:
                children_of.setdefault(c.condition.parent, []).append(c)
        # Children come after parents in ``params``, so walking backwards counts leaves first.
        for p in reversed(params):
            branches = []
            for v in grid_values(p):
                children = [
                    c for c in children_of.get(p.name, ())
                    if any(same_value(v, cv) for cv in c.condition.values)
                ]
                branches.append((v, children, math.prod(self.count[c.name] for c in children)))
            self.branches[p.name] = branches
            self.count[p.name] = sum(n for _, _, n in branches)


def decode_group(
    group: Sequence[Param], index: int, count: Mapping[str, int],
    decode_param: Callable[[Param, int], None],
) -> None:
    """Split ``index`` among independent siblings, mixed radix (the first varies slowest):
    sibling ``p`` gets a digit below ``count[p.name]``, handed to ``decode_param``."""
    # Digits are peeled off the last sibling first (one divmod each), not by a product over
    # all later siblings per sibling, which was quadratic in their number.
    digits = []
    for p in reversed(group):
        index, digit = divmod(index, count[p.name])
        digits.append(digit)
    for p, digit in zip(group, reversed(digits)):
        decode_param(p, digit)
