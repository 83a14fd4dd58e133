"""A study's trials as numpy columns, and how each parameter is drawn on an axis.

:class:`TrialColumns` is the one store of a study's trials in the window: the trial feed
fills it once per batch, and the plots (through :mod:`engine.analysis`) and the trials table
read it. :class:`ParamAxis` says how a parameter is plotted: scale, bounds, category labels.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np

from engine.best import DIRECTIONS, best_index
from engine.export import scalar_metric_names
from engine.formatting import format_number
from engine.space import (
    CategoricalParam,
    FixedParam,
    FloatParam,
    IntParam,
    Param,
    SearchSpace,
    choice_key,
)
from engine.states import STATE_CODE, STATES, UNKNOWN
from engine.trial import Trial, TrialState


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


def _label(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)




class TrialColumns:
    """A study's trials as numpy columns indexed by trial number, updated in place.

    The one store of a study's trials in the window: the plots and the trials table read
    the same object, which the trial feed fills once per batch.

    Columns (all of length :attr:`n`): ``numbers``, ``states`` (codes from
    :mod:`engine.states`; -1 for a number not seen yet), ``values`` (NaN without a value),
    ``started`` and ``finished`` (unix s, NaN when unknown), ``workers`` (-1 when unknown),
    ``n_steps`` (how many intermediate values), ``last_step`` (the last step reported, NaN
    before any), ``violation`` (how far outside the constraints, 0 within), ``params``
    (n x len(axes): raw numbers or category indices, NaN where a trial lacks the parameter;
    :meth:`column` also serves fixed parameters) and
    :meth:`metric` (scalar metrics as floats, NaN when absent or not a number).
    Buffers grow by doubling; :attr:`version` changes with every update, so that anything
    derived from the columns knows when to derive it again.
    """

    def __init__(self, space: SearchSpace, direction: str = "minimize",
                 trials: Iterable[Trial] = ()):
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be 'minimize' or 'maximize', got {direction!r}")
        self.space = space
        self.direction = direction
        self.axes = param_axes(space)
        plotted = {a.name for a in self.axes}
        # Every parameter has a column: the plotted axes first (``params`` is their block),
        # then the fixed ones, which the table shows but no plot does.
        self._all_params: tuple[Param, ...] = (
            *(space[a.name] for a in self.axes),
            *(p for p in space.params if p.name not in plotted),
        )
        self._param_index = {p.name: j for j, p in enumerate(self._all_params)}
        self._choice_codes = {
            p.name: _choice_codes(p) for p in self._all_params if isinstance(p, CategoricalParam)
        }
        self.metric_names: list[str] = []
        self.n = 0
        self.version = 0
        self.trials: list[Trial | None] = []
        self._best: tuple[int, int] = (-1, -1)  # (version, row)
        self._alloc(64)
        self.update(trials)

    def _alloc(self, capacity: int) -> None:
        old = getattr(self, "_buf", None)
        buf = {
            "states": np.full(capacity, UNKNOWN, dtype=np.int8),
            "values": np.full(capacity, np.nan),
            "started": np.full(capacity, np.nan),
            "finished": np.full(capacity, np.nan),
            "workers": np.full(capacity, -1, dtype=np.int64),
            "n_steps": np.zeros(capacity, dtype=np.int64),
            "last_step": np.full(capacity, np.nan),
            "violation": np.zeros(capacity),
            "params": np.full((capacity, len(self._all_params)), np.nan),
        }
        for name in self.metric_names:
            buf[_METRIC + name] = np.full(capacity, np.nan)
        if old is not None:
            for key, arr in old.items():
                buf[key][: self.n] = arr[: self.n]
        self._buf = buf
        self._capacity = capacity

    def update(self, trials: Iterable[Trial]) -> None:
        """Store the newest snapshot of each given trial (new numbers extend the table)."""
        trials = list(trials)
        if not trials:
            return
        self.version += 1
        top = max(t.number for t in trials)
        if top >= self._capacity:
            self._alloc(max(2 * self._capacity, top + 1))
        if top >= self.n:
            self.trials.extend([None] * (top + 1 - self.n))
            self.n = top + 1
        self._add_metrics(trials)
        if len(trials) > _BULK:
            self._store_many(trials)
        else:
            for t in trials:
                self._store(t)

    def _add_metrics(self, trials: list[Trial]) -> None:
        known = set(self.metric_names)
        for name in scalar_metric_names(trials):
            if name not in known:
                self.metric_names.append(name)
                self._buf[_METRIC + name] = np.full(self._capacity, np.nan)

    def _store(self, t: Trial) -> None:
        b, i = self._buf, t.number
        self.trials[i] = t
        b["states"][i] = STATE_CODE[t.state]
        b["values"][i] = t.value if t.value is not None else np.nan
        b["started"][i] = t.started_at if t.started_at is not None else np.nan
        b["finished"][i] = t.finished_at if t.finished_at is not None else np.nan
        b["workers"][i] = t.worker if t.worker is not None else -1
        b["n_steps"][i] = len(t.intermediate)
        b["last_step"][i] = t.intermediate[-1][0] if t.intermediate else np.nan
        b["violation"][i] = t.violation
        row = b["params"][i]
        for j, p in enumerate(self._all_params):
            row[j] = self._encode(p, t.params.get(p.name))
        for name in self.metric_names:
            b[_METRIC + name][i] = _as_float(t.metrics.get(name))

    def _store_many(self, trials: list[Trial]) -> None:
        # A column at a time: one list and one conversion per column instead of a dozen
        # numpy scalar writes per trial (opening a 100,000-trial study takes a second less).
        b = self._buf
        rows = np.fromiter((t.number for t in trials), dtype=np.int64, count=len(trials))
        for t in trials:
            self.trials[t.number] = t
        b["states"][rows] = np.fromiter((STATE_CODE[t.state] for t in trials), dtype=np.int8,
                                        count=len(trials))
        b["values"][rows] = _floats([t.value for t in trials])
        b["started"][rows] = _floats([t.started_at for t in trials])
        b["finished"][rows] = _floats([t.finished_at for t in trials])
        b["workers"][rows] = [-1 if t.worker is None else t.worker for t in trials]
        b["n_steps"][rows] = [len(t.intermediate) for t in trials]
        b["last_step"][rows] = _floats(
            [t.intermediate[-1][0] if t.intermediate else None for t in trials])
        b["violation"][rows] = [t.violation for t in trials]
        for j, p in enumerate(self._all_params):
            raw = [t.params.get(p.name) for t in trials]
            if isinstance(p, (FloatParam, IntParam)):
                try:
                    b["params"][rows, j] = _floats(raw)
                    continue
                except (TypeError, ValueError):
                    pass  # a value the space cannot hold (a hand-edited file): one by one
            b["params"][rows, j] = [self._encode(p, v) for v in raw]
        for name in self.metric_names:
            b[_METRIC + name][rows] = [_as_float(t.metrics.get(name)) for t in trials]

    def _encode(self, p: Param, v: object) -> float:
        if v is None:
            return np.nan
        if isinstance(p, CategoricalParam):
            try:
                return self._choice_codes[p.name].get(choice_key(v), np.nan)
            except TypeError:  # an unhashable value (a list in a hand-edited file)
                return np.nan
        if isinstance(p, FixedParam):
            return float(p.value) if _is_number(p.value) else 0.0
        return _as_float(v)  # not a number (a hand-edited file): not plotted

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
    def last_step(self) -> np.ndarray:
        return self._buf["last_step"][: self.n]

    @property
    def violation(self) -> np.ndarray:
        """How far each trial is outside the spec's constraints (0 when within them)."""
        return self._buf["violation"][: self.n]

    @property
    def params(self) -> np.ndarray:
        return self._buf["params"][: self.n, : len(self.axes)]

    @property
    def param_names(self) -> tuple[str, ...]:
        """Every parameter with a column: the plotted ones, then the fixed ones."""
        return tuple(self._param_index)

    def column(self, name: str) -> np.ndarray:
        """The column of one parameter (raw numbers or category indices, NaN = inactive);
        a fixed parameter's is its value, or 0 when that is not a number."""
        j = self._param_index.get(name)
        if j is None:
            raise KeyError(f"no parameter named {name!r}; known: {list(self._param_index)}")
        return self._buf["params"][: self.n, j]

    def metric(self, name: str) -> np.ndarray:
        """A scalar metric's column (NaN where a trial lacks it or it is not a number)."""
        if name not in self.metric_names:
            raise KeyError(f"no scalar metric named {name!r}; known: {self.metric_names}")
        return self._buf[_METRIC + name][: self.n]

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

    def best_row(self) -> int:
        """The best trial's number by :mod:`engine.best`'s rule, or -1."""
        if self._best[0] != self.version:
            self._best = (self.version, best_index(self.values, self.states, self.direction))
        return self._best[1]

    def copy(self) -> TrialColumns:
        """An independent snapshot, e.g. for a background computation."""
        out = TrialColumns.__new__(TrialColumns)
        out.__dict__.update(self.__dict__)
        out.trials = list(self.trials)
        out.metric_names = list(self.metric_names)
        out._buf = {k: v[: self.n].copy() for k, v in self._buf.items()}
        out._capacity = self.n
        return out


_METRIC = "metric:"
_BULK = 32  # batches larger than this are stored a column at a time


def _choice_codes(p: CategoricalParam) -> dict[tuple[str, Any], float]:
    return {choice_key(c): float(k) for k, c in enumerate(p.choices)}


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _as_float(v: object) -> float:
    return float(v) if isinstance(v, (int, float)) else np.nan


def _floats(raw: list) -> np.ndarray:
    """Numbers or None as floats (None becomes NaN); raises on anything else."""
    out = np.array(raw, dtype=float)
    if out.ndim != 1:
        raise ValueError("not one number per trial")
    return out


__all__ = ["ParamAxis", "TrialColumns", "log_ticks", "nice_ticks", "param_axes"]
