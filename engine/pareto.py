"""Pareto dominance, non-dominated sorting and hypervolume, on plain arrays.

Every function takes points to *minimise*: an ``(n, m)`` array, one row per trial, one
column per objective (multiply a maximised objective by -1 first). No Qt, no study: the
study, the sampler, the CLI, the plots and the benchmark all share these.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from engine.goals import Goal
from engine.trial import Trial, TrialState

_CHUNK = 512  # rows compared at once: (chunk, n, m) booleans stay a few MB at 10k points


def dominated(points: np.ndarray) -> np.ndarray:
    """``mask[i]`` is True when another point is at least as good in every objective and
    better in one. Equal points do not dominate each other."""
    p = np.asarray(points, dtype=float)
    n = len(p)
    out = np.zeros(n, dtype=bool)
    if n < 2:
        return out
    if p.shape[1] == 2:
        return _dominated_2d(p)
    for start in range(0, n, _CHUNK):
        block = p[start:start + _CHUNK, None, :]  # (b, 1, m) against (1, n, m)
        le = np.all(p[None, :, :] <= block, axis=2)
        lt = np.any(p[None, :, :] < block, axis=2)
        out[start:start + _CHUNK] = np.any(le & lt, axis=1)
    return out


def _dominated_2d(p: np.ndarray) -> np.ndarray:
    # Sorted by the first objective (ties by the second), a point is dominated exactly when
    # an earlier point has a smaller second objective, or the same second objective and a
    # smaller first one: O(n log n) instead of all pairs.
    order = np.lexsort((p[:, 1], p[:, 0]))
    x, y = p[order, 0], p[order, 1]
    best_before = np.concatenate([[np.inf], np.minimum.accumulate(y)[:-1]])
    worse = y > best_before
    # Equal second objective: dominated when a point with that value has a smaller first.
    _, group = np.unique(y, return_inverse=True)
    least_x = np.full(group.max() + 1, np.inf)
    np.minimum.at(least_x, group, x)
    tie = least_x[group] < x
    out = np.empty(len(p), dtype=bool)
    out[order] = worse | tie
    return out


def non_dominated(points: np.ndarray) -> np.ndarray:
    """Mask of the Pareto front: the points no other point dominates."""
    return ~dominated(points)


def pareto_ranks(points: np.ndarray, violation: np.ndarray | None = None) -> np.ndarray:
    """Rank of each point: 0 for the front, 1 for the front once it is removed, and so on.

    With ``violation`` (how far each point is outside its constraints, 0 when feasible),
    feasible points come first; infeasible ones follow, ranked by violation alone (the
    smallest violation gets the first rank after the feasible ones).
    """
    p = np.asarray(points, dtype=float).reshape(len(points), -1)
    v = np.zeros(len(p)) if violation is None else np.asarray(violation, dtype=float)
    ranks = np.full(len(p), -1, dtype=int)
    remaining = np.flatnonzero(v <= 0)
    r = 0
    if p.shape[1] == 2 and remaining.size:
        r = _ranks_2d(p[remaining], ranks, remaining)
        remaining = remaining[:0]
    elif p.shape[1] > 2 and remaining.size <= _MATRIX_LIMIT:
        r = _ranks_by_counts(p[remaining], ranks, remaining)
        remaining = remaining[:0]
    while remaining.size:
        front = non_dominated(p[remaining])
        ranks[remaining[front]] = r
        remaining = remaining[~front]
        r += 1
    bad = np.flatnonzero(v > 0)
    if bad.size:
        levels, dense = np.unique(v[bad], return_inverse=True)
        ranks[bad] = r + dense.ravel()
    return ranks


def trial_ranks(trials: Sequence[Trial], goals: Sequence[Goal]) -> np.ndarray:
    """Pareto rank (see :func:`pareto_ranks`) of each complete trial that has objective
    values; NaN for the others. Takes the trials' own values, no study lock."""
    out = np.full(len(trials), np.nan)
    rows = [i for i, t in enumerate(trials)
            if t.state is TrialState.COMPLETE and len(t.values) == len(goals)]
    if rows:
        signs = np.array([g.sign for g in goals])
        points = signs * np.array([trials[i].values for i in rows], dtype=float)
        violation = np.array([trials[i].violation for i in rows], dtype=float)
        out[rows] = pareto_ranks(points, violation)
    return out


def _ranks_2d(p: np.ndarray, ranks: np.ndarray, where: np.ndarray) -> int:
    """Two objectives in O(n log n): in order of the first objective, a point joins the
    first front whose last point (the lowest second objective so far) is above it, as in
    Jensen's sort. Equal points share a rank, so only distinct points are sorted. Writes
    ``ranks[where]``; returns the fronts made."""
    unique, back = np.unique(p, axis=0, return_inverse=True)  # sorted by x, then y
    tails: list[float] = []
    level = np.empty(len(unique), dtype=int)
    for i, y in enumerate(unique[:, 1].tolist()):
        k = bisect.bisect_right(tails, y)
        if k == len(tails):
            tails.append(y)
        else:
            tails[k] = y
        level[i] = k
    ranks[where] = level[back.ravel()]
    return len(tails)


_MATRIX_LIMIT = 4000  # points up to which the n x n dominance matrix is held (16 MB)


def _ranks_by_counts(p: np.ndarray, ranks: np.ndarray, where: np.ndarray) -> int:
    """Deb's fast non-dominated sort: the dominance matrix once, then each front removes
    its points from the others' counts. Writes ``ranks[where]``; returns the fronts made."""
    n = len(p)
    beats = np.zeros((n, n), dtype=bool)  # beats[i, j]: point i dominates point j
    for start in range(0, n, _CHUNK):
        block = p[start:start + _CHUNK, None, :]
        beats[start:start + _CHUNK] = (np.all(block <= p[None, :, :], axis=2)
                                       & np.any(block < p[None, :, :], axis=2))
    count = beats.sum(axis=0)
    left = np.ones(n, dtype=bool)
    r = 0
    while left.any():
        front = left & (count == 0)
        ranks[where[front]] = r
        left &= ~front
        count = count - beats[front].sum(axis=0)
        r += 1
    return r


def hypervolume(points: np.ndarray, reference: np.ndarray) -> float:
    """The volume dominated by ``points`` and bounded by ``reference`` (exact, any number of
    objectives; O(n log n) for 2, O(n^2 log n) for 3). Points that do not beat the
    reference in every objective add nothing."""
    p = np.asarray(points, dtype=float).reshape(len(points), -1)
    ref = np.asarray(reference, dtype=float)
    if p.shape[1] != ref.size:
        raise ValueError(f"reference has {ref.size} objectives, points have {p.shape[1]}")
    p = p[np.all(p < ref, axis=1)]
    if not len(p):
        return 0.0
    return float(_hv(p[non_dominated(p)], ref))


def _hv(p: np.ndarray, ref: np.ndarray) -> float:
    m = p.shape[1]
    if m == 1:
        return float(ref[0] - p[:, 0].min())
    if m == 2:
        order = np.argsort(p[:, 0], kind="stable")
        x, y = p[order, 0], p[order, 1]
        ceiling = np.concatenate([[ref[1]], np.minimum.accumulate(y)[:-1]])
        return float(np.sum((ref[0] - x) * np.maximum(ceiling - y, 0.0)))
    # Slice along the last objective: between consecutive levels, the dominated region is
    # the (m-1)-dimensional hypervolume of the points at or below the level.
    order = np.argsort(p[:, -1], kind="stable")
    p = p[order]
    levels = np.append(p[:, -1], ref[-1])
    total = 0.0
    for i in range(len(p)):
        width = levels[i + 1] - levels[i]
        if width > 0:
            below = p[: i + 1, :-1]
            total += width * _hv(below[non_dominated(below)], ref[:-1])
    return total


class ParetoPlotData(NamedTuple):
    """What a Pareto plot of objectives ``x`` and ``y`` (indices into the goals) draws.

    One entry per complete trial with objective values: its number, its two objective
    values (in their own units), whether it meets the constraints and whether it is on the
    front of all objectives. ``line_x``/``line_y`` trace the front of these two objectives
    among feasible trials as a staircase (the edge of what they dominate). ``values`` holds
    every objective of those trials (one column each), e.g. to colour by a third one.
    """

    numbers: np.ndarray
    x: np.ndarray
    y: np.ndarray
    feasible: np.ndarray
    on_front: np.ndarray
    line_x: np.ndarray
    line_y: np.ndarray
    values: np.ndarray


def pareto_plot_data(trials: Sequence[Trial], goals: Sequence[Goal], x: int, y: int
                     ) -> ParetoPlotData:
    ranks = trial_ranks(trials, goals)
    rows = [i for i, r in enumerate(ranks) if r == r]
    numbers = np.array([trials[i].number for i in rows], dtype=np.int64)
    values = np.array([trials[i].values for i in rows], dtype=float).reshape(len(rows), -1)
    feasible = np.array([trials[i].feasible for i in rows], dtype=bool)
    on_front = (ranks[rows] == 0) & feasible if rows else np.zeros(0, dtype=bool)
    xs = values[:, x] if rows else np.empty(0)
    ys = values[:, y] if rows else np.empty(0)
    sx, sy = goals[x].sign, goals[y].sign
    pair = np.column_stack([sx * xs, sy * ys])[feasible]
    line_x = line_y = np.empty(0)
    if len(pair):
        front = pair[non_dominated(pair)]
        front = front[np.lexsort((front[:, 1], front[:, 0]))]
        # Steps between consecutive points of the front (minimised: x up, y down).
        line_x = np.repeat(front[:, 0], 2)[1:] * sx
        line_y = np.repeat(front[:, 1], 2)[:-1] * sy
    return ParetoPlotData(numbers, xs, ys, feasible, on_front, line_x, line_y, values)
