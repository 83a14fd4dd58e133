"""Plot data computed without any GUI: plain numpy arrays in NamedTuples.

The desktop plots only render what these functions return (as Optuna's
``_get_optimization_history_info`` does for its back-ends). Everything works on a
:class:`TrialColumns` table: the trials copied once into numpy columns indexed by trial
number and updated in place as trials change, so that a refresh at 50,000 trials is a few
array operations instead of a Python loop over every trial.

Conventions shared by every function:

- ``mask`` is a boolean array over the table's rows (e.g. ``columns.mask(states)``);
  ``None`` means every known trial.
- A parameter that a trial does not have (its condition did not hold) is NaN in its
  column. A slice leaves such trials out of that parameter only; parallel coordinates and
  importance keep them.
- States are small integer codes (:mod:`engine.states`): ``STATES[code]`` is the
  :class:`TrialState`.
"""

from __future__ import annotations

import heapq
import time
from itertools import chain
from typing import NamedTuple

import numpy as np

from engine.best import best_so_far
from engine.formatting import format_number
from engine.goals import VALUE, Goal
from engine.states import COMPLETE, RUNNING, STATE_CODE, STATES
from engine.trial_columns import ParamAxis, TrialColumns, log_ticks, nice_ticks, param_axes

MIN_IMPORTANCE_TRIALS = 8


def _rows(columns: TrialColumns, mask: np.ndarray | None) -> np.ndarray:
    known = columns.states >= 0
    return np.flatnonzero(known if mask is None else known & mask[: columns.n])


# ---------------------------------------------------------------------------- history


class History(NamedTuple):
    """Every shown trial's value, and the best-so-far line over the complete ones."""

    numbers: np.ndarray
    values: np.ndarray  # NaN where the trial has no value (failed, running, ...)
    states: np.ndarray
    best_numbers: np.ndarray  # the complete trials, in order
    best_values: np.ndarray  # the best value up to and including each of them


def optimization_history(columns: TrialColumns, mask: np.ndarray | None = None) -> History:
    rows = _rows(columns, mask)
    states = columns.states[rows]
    values = columns.values[rows]
    complete = states == COMPLETE
    return History(
        numbers=rows, values=values, states=states, best_numbers=rows[complete],
        best_values=best_so_far(values[complete], columns.direction),
    )


def goal_history(columns: TrialColumns, goal: Goal, mask: np.ndarray | None = None) -> History:
    """One objective of a study of several, as :func:`optimization_history` draws the one
    score: each shown trial's value of it, and its best so far over the complete trials
    within the limits."""
    rows = _rows(columns, mask)
    states = columns.states[rows]
    if goal.metric == VALUE:
        values = columns.values[rows]
    elif goal.metric in columns.metric_names:
        values = columns.metric(goal.metric)[rows]
    else:  # no trial reported it yet
        values = np.full(rows.size, np.nan)
    counted = (states == COMPLETE) & (columns.violation[rows] <= 0)
    return History(numbers=rows, values=values, states=states, best_numbers=rows[counted],
                   best_values=best_so_far(values[counted], goal.direction))


# ---------------------------------------------------------------------------- slices


class Slice(NamedTuple):
    """Score against one parameter, for the trials that have that parameter."""

    axis: ParamAxis
    x: np.ndarray  # raw value, or the category's index
    values: np.ndarray  # NaN where the trial has no value
    numbers: np.ndarray
    states: np.ndarray

    @property
    def log(self) -> bool:
        return self.axis.log

    @property
    def labels(self) -> tuple[str, ...]:
        return self.axis.labels


def slice_data(columns: TrialColumns, name: str, mask: np.ndarray | None = None) -> Slice:
    x = columns.column(name)
    rows = _rows(columns, mask)
    rows = rows[~np.isnan(x[rows])]  # only this slice loses trials without the parameter
    return Slice(columns.axis(name), x[rows], columns.values[rows], rows, columns.states[rows])


# ---------------------------------------------------------------------------- parallel


class Parallel(NamedTuple):
    """Each trial as a point per parameter axis, every axis scaled to [0, 1]."""

    axes: tuple[ParamAxis, ...]
    positions: np.ndarray  # (trials, axes); log axes in log space; NaN = inactive, kept
    numbers: np.ndarray
    values: np.ndarray  # NaN where the trial has no value
    states: np.ndarray
    value_range: tuple[float, float]  # finite values shown; (nan, nan) when there are none


def parallel_coordinates(columns: TrialColumns, mask: np.ndarray | None = None) -> Parallel:
    rows = _rows(columns, mask)
    raw = columns.params[rows]
    positions = np.empty_like(raw)
    for j, axis in enumerate(columns.axes):
        positions[:, j] = axis.normalise(raw[:, j])
    values = columns.values[rows]
    finite = values[np.isfinite(values)]
    value_range = (float(finite.min()), float(finite.max())) if finite.size else (np.nan, np.nan)
    return Parallel(columns.axes, positions, rows, values, columns.states[rows], value_range)


# ---------------------------------------------------------------------------- importance


class Importance(NamedTuple):
    """Share of the score's variation each parameter explains, most important first.

    ``errors`` is the standard deviation of each share over the forest's trees (in the
    same units as ``importances``).
    """

    names: tuple[str, ...]
    importances: np.ndarray  # sums to 1; empty when ``note`` says why
    n_trials: int
    note: str
    errors: np.ndarray = np.empty(0)


def param_importance(
    columns: TrialColumns, mask: np.ndarray | None = None, *,
    min_trials: int = MIN_IMPORTANCE_TRIALS, max_trials: int = 1000, n_trees: int = 64,
    seed: int = 0,
) -> Importance:
    """Functional ANOVA (:mod:`engine.fanova`) over a random forest fitted on the complete
    trials: each parameter's main-effect share of the variance, normalised to sum to 1,
    with its spread over the trees.

    Parameters are encoded on their plotted [0, 1] scale (log ones in log space), a choice
    as the middle of its own equal slice of [0, 1]. A parameter that some trials lack gets
    an extra stretch of its domain, below 0, as wide as the share of trials lacking it, and
    those trials sit in it: "inactive" counts as one more value, as often as it occurred.
    At most ``max_trials`` trials (a fixed random subset) are used, to keep the fit short.
    """
    rows = _rows(columns, mask)
    rows = rows[(columns.states[rows] == COMPLETE) & np.isfinite(columns.values[rows])]
    n = rows.size
    if n < min_trials:
        return Importance((), np.empty(0), n, f"Parameter importance needs at least "
                          f"{min_trials} complete trials; there are {n} so far.")
    y = columns.values[rows]
    if np.ptp(y) == 0:
        return Importance((), np.empty(0), n, "Every complete trial has the same value, so no "
                          "parameter explains a difference.")
    if not columns.axes:
        return Importance((), np.empty(0), n, "The search space has no varying parameter.")
    if n > max_trials:
        keep = np.sort(np.random.default_rng(seed).choice(n, max_trials, replace=False))
        rows, y = rows[keep], y[keep]
    x, low, high = _importance_features(columns, rows)

    from sklearn.ensemble import RandomForestRegressor  # slow to import; only when needed

    from engine.fanova import fanova

    forest = RandomForestRegressor(n_estimators=n_trees, max_depth=64, min_samples_split=2,
                                   min_samples_leaf=1, random_state=seed, n_jobs=1)
    forest.fit(x, y)
    result = fanova(forest, low, high)
    total = result.mean.sum()
    if not total > 0:
        return Importance((), np.empty(0), n, "No parameter explains the differences in value.")
    order = np.argsort(-result.mean, kind="stable")
    names = tuple(columns.axes[j].name for j in order)
    return Importance(names, result.mean[order] / total, n, "", result.std[order] / total)


def _importance_features(columns: TrialColumns, rows: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The trials' features for the forest, and each feature's domain (see
    :func:`param_importance`)."""
    x = np.empty((rows.size, len(columns.axes)))
    low, high = np.zeros(len(columns.axes)), np.ones(len(columns.axes))
    for j, axis in enumerate(columns.axes):
        raw = columns.params[rows, j]
        if axis.categorical:
            col = (raw + 0.5) / len(axis.labels)
        else:
            col = axis.normalise(raw)
        missing = np.isnan(col)
        share = float(missing.mean())
        if 0 < share < 1:
            low[j] = -share / (1 - share)
        col[missing] = low[j] / 2 if share < 1 else 0.5
        x[:, j] = col
    return x, low, high


# ---------------------------------------------------------------------------- learning


class LearningCurves(NamedTuple):
    """Intermediate values of the trials that reported some, stored back to back.

    Trial ``numbers[i]``'s curve is ``steps[offsets[i]:offsets[i + 1]]`` against
    ``values[offsets[i]:offsets[i + 1]]``.
    """

    numbers: np.ndarray
    states: np.ndarray
    offsets: np.ndarray
    steps: np.ndarray
    values: np.ndarray


def learning_curves(columns: TrialColumns, mask: np.ndarray | None = None) -> LearningCurves:
    rows = _rows(columns, mask)
    rows = rows[columns.n_steps[rows] > 0]
    lengths = columns.n_steps[rows]
    offsets = np.zeros(rows.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    pairs = chain.from_iterable(
        chain.from_iterable(columns.trials[r].intermediate) for r in rows.tolist()
    )
    flat = np.fromiter(pairs, dtype=float, count=2 * int(offsets[-1]))
    return LearningCurves(rows, columns.states[rows], offsets, flat[0::2], flat[1::2])


# ---------------------------------------------------------------------------- timeline


class Timeline(NamedTuple):
    """One bar per trial on its worker's lane; times in seconds since ``origin``."""

    numbers: np.ndarray
    lanes: np.ndarray
    starts: np.ndarray
    ends: np.ndarray  # running trials end "now"; others without an end have zero length
    states: np.ndarray
    origin: float  # unix time of the earliest start shown; nan when nothing is shown
    n_lanes: int


def timeline(columns: TrialColumns, mask: np.ndarray | None = None,
             now: float | None = None) -> Timeline:
    rows = _rows(columns, mask)
    rows = rows[np.isfinite(columns.started[rows])]
    states = columns.states[rows]
    if rows.size == 0:
        empty = np.empty(0)
        return Timeline(rows, rows.copy(), empty, empty, states, np.nan, 0)
    started = columns.started[rows]
    origin = float(started.min())
    now = time.time() if now is None else now
    finished = columns.finished[rows]
    ends = np.where(np.isfinite(finished), finished,
                    np.where(states == RUNNING, max(now, origin), started))
    lanes = columns.workers[rows].copy()
    unknown = np.flatnonzero(lanes < 0)
    if unknown.size:
        first_free = int(lanes.max()) + 1 if unknown.size < lanes.size else 0
        lanes[unknown] = _pack(started[unknown], ends[unknown]) + first_free
    return Timeline(rows, lanes, started - origin, ends - origin, states, origin,
                    int(lanes.max()) + 1)


class Bars(NamedTuple):
    """Timeline bars drawn as few rectangles: one per run of a lane's bars that lie closer
    together than ``gap`` (what one pixel shows), so 100,000 trials draw as a few hundred."""

    lanes: np.ndarray
    starts: np.ndarray
    ends: np.ndarray


def merged_bars(lanes: np.ndarray, starts: np.ndarray, ends: np.ndarray, gap: float) -> Bars:
    """Join the bars of each lane that overlap or are less than ``gap`` apart."""
    if lanes.size == 0:
        return Bars(lanes.astype(np.int64), starts.astype(float), ends.astype(float))
    ends = np.maximum(ends, starts)
    # Shift each lane past the one before it, so that one running maximum over the sorted
    # bars never carries an end from one lane into the next.
    width = float(np.max(ends) - np.min(starts)) + 2 * gap + 1.0
    shift = lanes.astype(float) * width
    order = np.lexsort((starts, lanes))
    s, e = (starts + shift)[order], (ends + shift)[order]
    reach = np.maximum.accumulate(e)
    first = np.concatenate(([True], s[1:] > reach[:-1] + gap))
    heads = np.flatnonzero(first)
    lane = lanes[order][heads]
    merged_ends = np.maximum.reduceat(e, heads) - lane * width
    return Bars(lane.astype(np.int64), s[heads] - lane * width, merged_ends)


def _pack(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Lanes for intervals whose worker is unknown: reuse the lane that fell free first."""
    lanes = np.empty(starts.size, dtype=np.int64)
    free: list[tuple[float, int]] = []  # (end, lane) of the last interval on each lane
    n_lanes = 0
    for i in np.argsort(starts, kind="stable").tolist():
        if free and free[0][0] <= starts[i]:
            _, lane = heapq.heappop(free)
        else:
            lane, n_lanes = n_lanes, n_lanes + 1
        lanes[i] = lane
        heapq.heappush(free, (float(ends[i]), lane))
    return lanes


__all__ = [
    "STATES", "STATE_CODE", "MIN_IMPORTANCE_TRIALS", "ParamAxis",
    "param_axes", "format_number", "nice_ticks", "log_ticks", "TrialColumns", "History",
    "best_so_far", "optimization_history", "Slice", "slice_data", "Parallel",
    "parallel_coordinates", "Importance", "param_importance", "LearningCurves",
    "learning_curves", "Timeline", "timeline", "Bars", "merged_bars",
]
