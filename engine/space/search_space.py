"""SearchSpace: a validated, ordered set of parameters, with encoding and its grid."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.space.encoding import decode_one, encode_one
from engine.space.grid import GridTree
from engine.space.params import FixedParam, FloatParam, Param, SpaceError, Value
from engine.space.validation import can_take_exactly, find_problems


@dataclass(frozen=True)
class SearchSpace:
    """A validated, ordered set of parameters.

    Parameters are kept in an order where every parent comes before its children, so that
    decoding can decide activity in one pass.
    """

    params: tuple[Param, ...]
    _dims: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        problems = find_problems(self.params)
        if problems:
            raise SpaceError(problems)
        ordered = tuple(_topological(self.params))
        object.__setattr__(self, "params", ordered)
        dims, d = {}, 0
        for p in ordered:
            if not isinstance(p, FixedParam):
                dims[p.name] = d
                d += 1
        object.__setattr__(self, "_dims", dims)

    @classmethod
    def of(cls, *params: Param) -> SearchSpace:
        return cls(tuple(params))

    def __len__(self) -> int:
        return len(self.params)

    def __getitem__(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]

    @property
    def dimension(self) -> int:
        """Number of unit-cube coordinates: one per non-fixed parameter."""
        return len(self._dims)

    def dim_of(self, name: str) -> int | None:
        return self._dims.get(name)

    @property
    def is_discrete(self) -> bool:
        """True when every parameter takes finitely many values."""
        return all(
            not isinstance(p, FloatParam) or p.step is not None for p in self.params
        )

    # --- encoding -------------------------------------------------------------------

    def decode(self, u: Sequence[float]) -> dict[str, Value]:
        """Map a point of the unit cube to params; inactive parameters are left out."""
        if len(u) != self.dimension:
            raise ValueError(f"expected {self.dimension} coordinates, got {len(u)}")
        out: dict[str, Value] = {}
        for p in self.params:
            if p.condition is not None and not p.condition.holds(out):
                continue
            if isinstance(p, FixedParam):
                out[p.name] = p.value
            else:
                out[p.name] = decode_one(p, float(u[self._dims[p.name]]))
        return out

    def encode(self, params: Mapping[str, Any]) -> np.ndarray:
        """Map params to the unit cube; coordinates of absent parameters are NaN."""
        u = np.full(self.dimension, np.nan)
        for name, d in self._dims.items():
            if name in params:
                u[d] = encode_one(self[name], params[name])
        return u

    def active(self, params: Mapping[str, Any]) -> list[Param]:
        """The parameters that should be present for these params' parent values."""
        out, seen = [], {}
        for p in self.params:
            if p.condition is None or p.condition.holds(seen):
                out.append(p)
                if p.name in params:
                    seen[p.name] = params[p.name]
        return out

    def contains(self, params: Mapping[str, Any]) -> bool:
        """True when params hold exactly the active parameters, each with a legal value."""
        active = self.active(params)
        if {p.name for p in active} != set(params):
            return False
        return all(can_take_exactly(p, params[p.name]) for p in active)

    # --- grid ------------------------------------------------------------------------

    def grid_size(self) -> int:
        """Number of grid cells, counted without enumerating them.

        Conditional branches add rather than multiply: a child's values only count under
        the parent values that enable it.
        """
        return math.prod(self._grid.count[p.name] for p in self._roots())

    def grid_cell(self, index: int) -> dict[str, Value]:
        """The ``index``-th grid cell (0-based), in a stable order."""
        size = self.grid_size()
        if not 0 <= index < size:
            raise IndexError(f"grid cell {index} is outside 0..{size - 1}")
        out: dict[str, Value] = {}
        self._decode_group(self._roots(), index, out)
        return out

    def iter_grid(self) -> Iterator[dict[str, Value]]:
        for i in range(self.grid_size()):
            yield self.grid_cell(i)

    def _roots(self) -> list[Param]:
        return [p for p in self.params if p.condition is None]

    @property
    def _grid(self) -> GridTree:
        # Built on first use: most spaces are never gridded.
        if "_grid_tree" not in self.__dict__:
            object.__setattr__(self, "_grid_tree", GridTree(self.params))
        return self.__dict__["_grid_tree"]

    def _decode_group(self, group: list[Param], index: int, out: dict[str, Value]) -> None:
        # Mixed radix over independent siblings; the first sibling varies slowest.
        # Digits are peeled off the last sibling first (one divmod each), not by a product
        # over all later siblings per sibling, which was quadratic in their number.
        digits = []
        for p in reversed(group):
            index, digit = divmod(index, self._grid.count[p.name])
            digits.append(digit)
        for p, digit in zip(group, reversed(digits)):
            self._decode_param(p, digit, out)

    def _decode_param(self, p: Param, index: int, out: dict[str, Value]) -> None:
        tree = self._grid
        for v, children, n in tree.branches[p.name]:
            if index < n:
                out[p.name] = v
                self._decode_group(children, index, out)
                return
            index -= n
        raise AssertionError("grid index out of range after size check")


def _topological(params: Sequence[Param]) -> list[Param]:
    placed: set[str] = set()
    out: list[Param] = []
    remaining = list(params)
    while remaining:
        for p in remaining:
            if p.condition is None or p.condition.parent in placed:
                out.append(p)
                placed.add(p.name)
                remaining.remove(p)
                break
    return out
