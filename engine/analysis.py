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
- States are small integer codes: ``STATES[code]`` is the :class:`TrialState`.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Iterable
from itertools import chain
from typing import NamedTuple

import numpy as np

from engine.space import CategoricalParam, FixedParam, IntParam, Param, SearchSpace, encode_one
from engine.trial import Trial, TrialState

STATES: tuple[TrialState, ...] = tuple(TrialState)
STATE_CODE: dict[TrialState, int] = {s: i for i, s in enumerate(STATES)}
COMPLETE = STATE_CODE[TrialState.COMPLETE]
RUNNING = STATE_CODE[TrialState.RUNNING]
DIRECTIONS = ("minimize", "maximize")
MIN_IMPORTANCE_TRIALS = 8


class ParamAxis(NamedTuple):
    """How one parameter is plotted: its scale, bounds and (for categoricals) labels."""

    name: str
    log: bool
    low: float
    high: float
    labels: tuple[str, ...]  # category labels, by index; empty for numbers
    integer: bool

    @property
    def categorical(self) -> bool:
        return bool(self.labels)

    def normalise(self, x: np.ndarray) -> np.ndarray:
        """Values of this column (raw numbers or category indices) to [0, 1]; NaN stays NaN."""
        x = np.asarray(x, dtype=float)
        if self.categorical:
            k = len(self.labels)
            return x / (k - 1) if k > 1 else np.where(np.isnan(x), np.nan, 0.5)
        if self.log:
            lo, hi = math.log(self.low), math.log(self.high)
            with np.errstate(divide="ignore", invalid="ignore"):
                u = (np.log(x) - lo) / (hi - lo)
        else:
            u = (x - self.low) / (self.high - self.low)
        # Old trials of an edited space can fall outside today's bounds; keep them on the axis.
        return np.clip(u, 0.0, 1.0)

    def ticks(self, max_labels: int = 12) -> tuple[tuple[float, str], ...]:
        """Positions in [0, 1] and labels, for an axis drawn on the normalised scale."""
        if self.categorical:
            k = len(self.labels)
            every = max(1, math.ceil(k / max_labels))
            return tuple(
                (i / (k - 1) if k > 1 else 0.5, label)
                for i, label in enumerate(self.labels) if i % every == 0
            )
        if self.log:
            # The bounds, and the round values between them that are not too close to one.
            span = math.log10(self.high / self.low)
            inner = [v for v in log_ticks(self.low, self.high, max_major=5)[0]
                     if min(math.log10(v / self.low), math.log10(self.high / v)) > 0.1 * span]
            values = [self.low, *inner, self.high]
        else:
            values = nice_ticks(self.low, self.high, integer=self.integer)
        positions = self.normalise(np.array(values, dtype=float))
        return tuple((float(u), format_number(v)) for u, v in zip(positions, values))


def nice_ticks(low: float, high: float, target: int = 4, integer: bool = False) -> list[float]:
    """Both ends and round values between them, 1, 2 or 5 times a power of ten apart."""
    if not high > low:
        return [low]
    raw = (high - low) / target
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw * 0.999)
    step = max(step, 1.0) if integer else step
    gap = 0.1 * (high - low)  # an inner tick this close to an end would collide with it
    inner = [round(k * step, 12) for k in range(math.ceil(low / step), math.floor(high / step) + 1)]
    ticks = [low, *(v for v in inner if v - low > gap and high - v > gap), high]
    return [int(round(v)) for v in ticks] if integer else ticks


def log_ticks(low: float, high: float, max_major: int = 7) -> tuple[list[float], list[float]]:
    """Labelled (major) and unlabelled (minor) ticks of a log axis between low and high."""
    lo, hi = math.log10(low), math.log10(high)
    span = hi - lo
    steps = (1,) if span > 2.5 else (1, 2, 5) if span > 0.8 else (1, 2, 3, 5)
    decades = range(math.floor(lo), math.ceil(hi) + 1)

    def inside(v: float) -> bool:
        return low * (1 - 1e-9) <= v <= high * (1 + 1e-9)

    major = [float(f"{m}e{k}") for k in decades for m in steps if inside(float(f"{m}e{k}"))]
    major = major[:: max(1, math.ceil(len(major) / max_major))]
    minor = [float(f"{m}e{k}") for k in decades for m in range(1, 10)
             if inside(float(f"{m}e{k}")) and float(f"{m}e{k}") not in major]
    return major, minor


def param_axes(space: SearchSpace) -> tuple[ParamAxis, ...]:
    """One axis per parameter that varies (fixed parameters are left out), in space order."""
    out = []
    for p in space.params:
        if isinstance(p, FixedParam):
            continue
        if isinstance(p, CategoricalParam):
            labels = tuple(_label(c) for c in p.choices)
            out.append(ParamAxis(p.name, False, 0.0, len(labels) - 1.0, labels, False))
        else:
            out.append(ParamAxis(p.name, bool(p.log), float(p.low), float(p.high), (),
                                 isinstance(p, IntParam)))
    return tuple(out)


def format_number(v: float) -> str:
    """A number as a short label: 4 significant digits, integers without a decimal point."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return str(int(v))
    return f"{float(v):.4g}"


def _label(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


# ---------------------------------------------------------------------------- the table


class TrialColumns:
    """A study's trials as numpy columns indexed by trial number, updated in place.

    Columns (all of length :attr:`n`): ``numbers``, ``states`` (codes into :data:`STATES`;
    -1 for a number not seen yet), ``values`` (NaN without a value), ``started`` and
    ``finished`` (unix s, NaN when unknown), ``workers`` (-1 when unknown), ``n_steps``
    (how many intermediate values) and ``params`` (n x len(axes): raw numbers or category
    indices, NaN where a trial lacks the parameter). Buffers grow by doubling.
    """

    def __init__(self, space: SearchSpace, direction: str = "minimize",
                 trials: Iterable[Trial] = ()):
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be 'minimize' or 'maximize', got {direction!r}")
        self.space = space
        self.direction = direction
        self.axes = param_axes(space)
        self._params_of = {a.name: space[a.name] for a in self.axes}
        self.n = 0
        self.trials: list[Trial | None] = []
        self._alloc(64)
        self.update(trials)

    def _alloc(self, capacity: int) -> None:
        old = getattr(self, "_buf", None)
        buf = {
            "states": np.full(capacity, -1, dtype=np.int8),
            "values": np.full(capacity, np.nan),
            "started": np.full(capacity, np.nan),
            "finished": np.full(capacity, np.nan),
            "workers": np.full(capacity, -1, dtype=np.int64),
            "n_steps": np.zeros(capacity, dtype=np.int64),
            "params": np.full((capacity, len(self.axes)), np.nan),
        }
        if old is not None:
            for key, arr in old.items():
                buf[key][: self.n] = arr[: self.n]
        self._buf = buf
        self._capacity = capacity

    def update(self, trials: Iterable[Trial]) -> None:
        """Store the newest snapshot of each given trial (new numbers extend the table)."""
        for t in trials:
            if t.number >= self._capacity:
                self._alloc(max(2 * self._capacity, t.number + 1))
            if t.number >= self.n:
                self.trials.extend([None] * (t.number + 1 - self.n))
                self.n = t.number + 1
            self._store(t)

    def _store(self, t: Trial) -> None:
        b, i = self._buf, t.number
        self.trials[i] = t
        b["states"][i] = STATE_CODE[t.state]
        b["values"][i] = t.value if t.value is not None else np.nan
        b["started"][i] = t.started_at if t.started_at is not None else np.nan
        b["finished"][i] = t.finished_at if t.finished_at is not None else np.nan
        b["workers"][i] = t.worker if t.worker is not None else -1
        b["n_steps"][i] = len(t.intermediate)
        row = b["params"][i]
        for j, axis in enumerate(self.axes):
            v = t.params.get(axis.name)
            row[j] = np.nan if v is None else _encode(self._params_of[axis.name], axis, v)

    @property
    def numbers(self) -> np.ndarray:
        return np.arange(self.n)

    @property
    def states(self) -> np.ndarray:
        return self._buf["states"][: self.n]

    @property
    def values(self) -> np.ndarray:
        return self._buf["values"][: self.n]

    @property
    def started(self) -> np.ndarray:
        return self._buf["started"][: self.n]

    @property
    def finished(self) -> np.ndarray:
        return self._buf["finished"][: self.n]

    @property
    def workers(self) -> np.ndarray:
        return self._buf["workers"][: self.n]

    @property
    def n_steps(self) -> np.ndarray:
        return self._buf["n_steps"][: self.n]

    @property
    def params(self) -> np.ndarray:
        return self._buf["params"][: self.n]

    def column(self, name: str) -> np.ndarray:
        """The column of one parameter (raw numbers or category indices, NaN = inactive)."""
        for j, axis in enumerate(self.axes):
            if axis.name == name:
                return self.params[:, j]
        raise KeyError(f"no plotted parameter named {name!r}; known: {[a.name for a in self.axes]}")

    def axis(self, name: str) -> ParamAxis:
        for axis in self.axes:
            if axis.name == name:
                return axis
        raise KeyError(f"no plotted parameter named {name!r}; known: {[a.name for a in self.axes]}")

    def mask(self, states: Iterable[TrialState] | None = None) -> np.ndarray:
        """Rows whose state is one of ``states`` (every known trial when ``None``)."""
        if states is None:
            return self.states >= 0
        codes = [STATE_CODE[s] for s in states]
        return np.isin(self.states, codes)

    def counts(self) -> dict[TrialState, int]:
        found = np.bincount(self.states[self.states >= 0], minlength=len(STATES))
        return {s: int(found[i]) for i, s in enumerate(STATES)}

    def copy(self) -> TrialColumns:
        """An independent snapshot, e.g. for a background computation."""
        out = TrialColumns.__new__(TrialColumns)
        out.__dict__.update(self.__dict__)
        out.trials = list(self.trials)
        out._buf = {k: v[: self.n].copy() for k, v in self._buf.items()}
        out._capacity = self.n
        return out


def _encode(p: Param, axis: ParamAxis, v: object) -> float:
    try:
        if axis.categorical:
            # encode_one gives the centre of the choice's cell: (index + 0.5) / k.
            return float(round(encode_one(p, v) * len(axis.labels) - 0.5))
        return float(v)
    except (TypeError, ValueError):
        return np.nan  # a value the space cannot hold (e.g. a hand-edited file): not plotted


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


def best_so_far(values: np.ndarray, direction: str) -> np.ndarray:
    """The running best of ``values`` in order; NaNs are skipped (NaN before any value)."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be 'minimize' or 'maximize', got {direction!r}")
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return values.copy()
    # fmin/fmax ignore NaN, so a trial without a value keeps the previous best.
    return (np.fmax if direction == "maximize" else np.fmin).accumulate(values)


def optimization_history(columns: TrialColumns, mask: np.ndarray | None = None) -> History:
    rows = _rows(columns, mask)
    states = columns.states[rows]
    values = columns.values[rows]
    complete = states == COMPLETE
    return History(
        numbers=rows, values=values, states=states, best_numbers=rows[complete],
        best_values=best_so_far(values[complete], columns.direction),
    )


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
    "learning_curves", "Timeline", "timeline",
]
