"""Search-space points to GP features, so that the point modelled is the point tried.

A point of the search space's unit cube ``u`` (see :meth:`SearchSpace.decode`) becomes one
feature row: first one number per numeric parameter, then one code per categorical
parameter and one 0/1 "active" flag per distinct condition.

- A continuous float keeps its coordinate (a log-scale one is already uniform in log).
- An int or a stepped float is *rounded*: the coordinate becomes the one of the value that
  decode picks (the centre of its cell, or its log position for a log-scale int), exactly
  what :meth:`SearchSpace.encode` gives for the tried value. Trials and candidates therefore
  sit on the same lattice.
- A categorical becomes its choice index, which the kernel compares by equality.
- An inactive parameter gets a fixed filler (0.5, or category code -1) and the flag of its
  condition says so; two trials that both lack it are equal in that column, so the model
  learns from the active ones only, and conditional parameters are still modelled.

Candidates are encoded in bulk by :meth:`Encoding.from_unit`, vectorised over rows; trials
by :meth:`Encoding.from_params` through the space's own ``encode``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from engine.space import (
    CategoricalParam,
    Condition,
    FixedParam,
    FloatParam,
    IntParam,
    Param,
    SearchSpace,
    n_values,
)

INACTIVE_NUMBER = 0.5
INACTIVE_CODE = -1.0


class Encoding:
    """The feature layout of one search space."""

    def __init__(self, space: SearchSpace):
        self.space = space
        self.numeric: list[Param] = []
        self.categorical: list[CategoricalParam] = []
        conditions: list[Condition] = []
        for p in space.params:
            if isinstance(p, FixedParam):
                continue
            (self.categorical if isinstance(p, CategoricalParam) else self.numeric).append(p)
            if p.condition is not None and p.condition not in conditions:
                conditions.append(p.condition)
        self.conditions = conditions
        self.n_num = len(self.numeric)
        self.n_features = self.n_num + len(self.categorical) + len(conditions)
        self.unit_dims = np.array([space.dim_of(p.name) for p in self.numeric], dtype=int)
        # Per numeric parameter, the number of cells when it is discrete on a linear scale.
        self._cells = [_linear_cells(p) for p in self.numeric]

    # --- trials -----------------------------------------------------------------------

    def from_params(self, params_list: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Feature rows of tried params (inactive parameters absent)."""
        out = np.empty((len(params_list), self.n_features))
        for i, params in enumerate(params_list):
            out[i] = self._row(self.space.encode(params), params)
        return out

    def _row(self, u: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
        row = np.empty(self.n_features)
        for j, p in enumerate(self.numeric):
            v = u[self.space.dim_of(p.name)]
            row[j] = INACTIVE_NUMBER if math.isnan(v) else v
        for j, p in enumerate(self.categorical):
            v = u[self.space.dim_of(p.name)]
            row[self.n_num + j] = (
                INACTIVE_CODE if math.isnan(v) else min(int(v * len(p.choices)), len(p.choices) - 1)
            )
        base = self.n_num + len(self.categorical)
        for j, c in enumerate(self.conditions):
            row[base + j] = float(c.holds(params))
        return row

    # --- candidates -------------------------------------------------------------------

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Feature rows of unit-cube points, each rounded as :meth:`SearchSpace.decode`
        would round it."""
        u = np.clip(np.atleast_2d(np.asarray(u, dtype=float)), 0.0, 1.0)
        m = len(u)
        values: dict[str, np.ndarray] = {}  # decoded values (numbers or choice indices)
        active: dict[str, np.ndarray] = {}
        for p in self.space.params:
            if p.condition is None:
                on = np.ones(m, dtype=bool)
            else:
                on = self._holds_vec(p.condition, values, active)
            active[p.name] = on
            if not isinstance(p, FixedParam):
                values[p.name] = _decode_vec(p, u[:, self.space.dim_of(p.name)])
        out = np.empty((m, self.n_features))
        for j, p in enumerate(self.numeric):
            col = _feature_vec(p, u[:, self.space.dim_of(p.name)], values[p.name])
            out[:, j] = np.where(active[p.name], col, INACTIVE_NUMBER)
        for j, p in enumerate(self.categorical):
            out[:, self.n_num + j] = np.where(active[p.name], values[p.name], INACTIVE_CODE)
        base = self.n_num + len(self.categorical)
        for j, c in enumerate(self.conditions):
            out[:, base + j] = self._holds_vec(c, values, active)
        return out

    def _holds_vec(
        self, c: Condition, values: Mapping[str, np.ndarray], active: Mapping[str, np.ndarray]
    ) -> np.ndarray:
        parent = self.space[c.parent]
        on = active[c.parent]
        if isinstance(parent, FixedParam):
            return on & c.holds({c.parent: parent.value})
        v = values[c.parent]
        if isinstance(parent, CategoricalParam):
            hit = [i for i, choice in enumerate(parent.choices) if c.holds({c.parent: choice})]
            return on & np.isin(v, hit)
        targets = [float(t) for t in c.values
                   if isinstance(t, (int, float)) and not isinstance(t, bool)]
        return on & np.isin(v, targets)

    def relaxed_dims(self, features: np.ndarray) -> np.ndarray:
        """Mask (rows x numeric params) of the numeric features a continuous optimiser may
        move: those of active parameters."""
        base = self.n_num + len(self.categorical)
        mask = np.ones((len(features), self.n_num), dtype=bool)
        for j, p in enumerate(self.numeric):
            if p.condition is not None:
                k = self.conditions.index(p.condition)
                mask[:, j] = features[:, base + k] > 0.5
        return mask

    def neighbours(self, u: np.ndarray) -> np.ndarray:
        """Unit-cube points one discrete step away from ``u`` in one parameter: every other
        choice of a categorical, the next value down and up of an int or stepped float."""
        out = []
        space = self.space
        for p in self.categorical:
            d, k = space.dim_of(p.name), len(p.choices)
            current = min(int(u[d] * k), k - 1)
            for i in range(k):
                if i != current:
                    out.append(_with(u, d, (i + 0.5) / k))
        for p, cells in zip(self.numeric, self._cells):
            d = space.dim_of(p.name)
            if cells is not None:
                current = min(int(u[d] * cells), cells - 1)
                for i in (current - 1, current + 1):
                    if 0 <= i < cells:
                        out.append(_with(u, d, (i + 0.5) / cells))
            elif isinstance(p, IntParam):
                lo, hi = math.log(p.low - 0.5), math.log(p.high + 0.5)
                v = _decode_vec(p, np.array([u[d]]))[0]
                for w in (v - 1, v + 1):
                    if p.low <= w <= p.high:
                        out.append(_with(u, d, (math.log(w) - lo) / (hi - lo)))
        return np.array(out).reshape(-1, len(u))


def _with(u: np.ndarray, d: int, value: float) -> np.ndarray:
    v = u.copy()
    v[d] = value
    return v


def _linear_cells(p: Param) -> int | None:
    if isinstance(p, IntParam) and not p.log:
        return int(n_values(p))
    if isinstance(p, FloatParam) and p.step is not None:
        return int(n_values(p))
    return None


def _decode_vec(p: Param, u: np.ndarray) -> np.ndarray:
    """Vectorised :func:`engine.space.decode_one`: numbers, or choice indices."""
    if isinstance(p, CategoricalParam):
        k = len(p.choices)
        return np.minimum((u * k).astype(int), k - 1).astype(float)
    cells = _linear_cells(p)
    if cells is not None:
        i = np.minimum((u * cells).astype(int), cells - 1)
        x = p.low + i * p.step
        return x.astype(float) if isinstance(p, IntParam) else np.clip(np.round(x, 12),
                                                                       p.low, p.high)
    if isinstance(p, IntParam):
        lo, hi = math.log(p.low - 0.5), math.log(p.high + 0.5)
        # As _snap in space.py: clip, then round the offset from low (half to even).
        x = np.clip(np.exp(lo + u * (hi - lo)), p.low, p.high)
        return np.minimum(p.low + np.round(x - p.low), p.high)
    if p.log:
        lo, hi = math.log(p.low), math.log(p.high)
        return np.clip(np.exp(lo + u * (hi - lo)), p.low, p.high)
    return p.low + u * (p.high - p.low)


def _feature_vec(p: Param, u: np.ndarray, value: np.ndarray) -> np.ndarray:
    """The model coordinate of each decoded value, as :func:`engine.space.encode_one`."""
    cells = _linear_cells(p)
    if cells is not None:
        return (np.minimum((u * cells).astype(int), cells - 1) + 0.5) / cells
    if isinstance(p, IntParam):
        lo, hi = math.log(p.low - 0.5), math.log(p.high + 0.5)
        return np.clip((np.log(value) - lo) / (hi - lo), 0.0, 1.0)
    return u
