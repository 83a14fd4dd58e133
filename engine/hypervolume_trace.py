"""The hypervolume of a study's front over its trials, kept as trials finish.

The hypervolume is the volume the front dominates up to a reference point: it grows when a
trial improves the trade-off and is the one number that says "the front got better". The
reference point is fixed, so that the curve compares across the run:

- an objective with a limit on its bad side ("Keep training time under 5 s") takes the limit;
- any other takes the worst value among the first :data:`REFERENCE_TRIALS` complete trials
  within the limits, pushed 10% of their spread further out (so that they count too).

Until that many such trials exist the reference is provisional and the curve is rebuilt from
them (a handful of points). After that each new trial costs one hypervolume of the front
clipped to its box, never a pass over the study. Trials are taken in number order, as the
History plot draws them; a trial still running holds back the trials after it, whose part
of the curve (a few trials, one per worker) is worked out on each update from a copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from engine.formatting import format_number
from engine.goals import METRIC_WORDS, VALUE, Goal, Limit
from engine.pareto import hypervolume
from engine.trial import Trial, TrialState

REFERENCE_TRIALS = 10
MARGIN = 0.1


class _Front:
    """Minimised points no other dominates, and the volume they dominate up to ``ref``."""

    def __init__(self, ref: np.ndarray):
        self.ref = ref
        self.points = np.empty((0, ref.size))
        self.volume = 0.0

    def copy(self) -> _Front:
        out = _Front(self.ref)
        out.points, out.volume = self.points, self.volume
        return out

    def add(self, p: np.ndarray) -> None:
        if not np.all(p < self.ref):
            return
        f = self.points
        if len(f) and np.any(np.all(f <= p, axis=1)):
            return  # nothing new: a point already there is as good in every objective
        # The part of p's box that the front already dominates is the front clipped to it.
        clipped = np.maximum(f, p)
        covered = hypervolume(clipped, self.ref) if len(f) else 0.0
        self.volume += float(np.prod(self.ref - p)) - covered
        self.points = np.vstack([f[~np.all(p <= f, axis=1)], p])


class Reference(NamedTuple):
    """The reference point, in the objectives' own units, and how each coordinate was set."""

    point: tuple[float, ...]
    why: tuple[str, ...]  # "its limit" or "10% beyond the worst of trials 0-9", per goal
    fixed: bool  # False while fewer than REFERENCE_TRIALS trials within the limits exist


class HypervolumeTrace:
    """The hypervolume after each complete trial within the limits, by trial number.

    Call :meth:`update` with the study's trials by number (the same growing list each time,
    e.g. ``TrialColumns.trials``); read :attr:`numbers`, :attr:`volumes`, :attr:`reference`.
    """

    def __init__(self, goals: Sequence[Goal], limits: Sequence[Limit] = ()):
        self.goals = tuple(goals)
        self._signs = np.array([g.sign for g in self.goals])
        # Minimised reference coordinates a limit fixes (NaN where none does).
        self._limit_ref = np.array([_limit_bound(g, limits) for g in self.goals], dtype=float)
        self._next = 0  # every trial before this number has finished and been counted
        self._first: list[tuple[int, np.ndarray]] = []  # the first feasible points
        self._front: _Front | None = None  # over the settled trials, once the ref is fixed
        self._numbers: list[int] = []
        self._volumes: list[float] = []
        self.numbers = np.empty(0, dtype=np.int64)
        self.volumes = np.empty(0)
        self.reference: Reference | None = None

    def update(self, trials: Sequence[Trial | None]) -> None:
        """Take in the trials from the first unsettled one on (earlier ones are not read)."""
        tail: list[tuple[int, np.ndarray]] = []
        k = self._next
        settled = True
        while k < len(trials):
            t = trials[k]
            if t is None or t.state is TrialState.RUNNING:
                settled = False
            p = self._point(t)
            if settled:
                self._next = k + 1
                if p is not None:
                    self._settle(k, p)
            elif p is not None:
                tail.append((k, p))
            k += 1
        self._publish(tail)

    def _point(self, t: Trial | None) -> np.ndarray | None:
        if t is None or t.state is not TrialState.COMPLETE or not t.feasible:
            return None
        if len(t.values) != len(self.goals):
            return None
        p = self._signs * np.asarray(t.values, dtype=float)
        return p if np.all(np.isfinite(p)) else None

    def _settle(self, number: int, p: np.ndarray) -> None:
        if self._front is None:
            self._first.append((number, p))
            if len(self._first) < REFERENCE_TRIALS and np.isnan(self._limit_ref).any():
                return
            self._front = _Front(self._ref_point(self._first))
            for n, q in self._first:
                self._front.add(q)
                self._numbers.append(n)
                self._volumes.append(self._front.volume)
            return
        self._front.add(p)
        self._numbers.append(number)
        self._volumes.append(self._front.volume)

    def _publish(self, tail: list[tuple[int, np.ndarray]]) -> None:
        if self._front is not None:
            front, numbers, volumes = self._front.copy(), list(self._numbers), \
                list(self._volumes)
            ref = front.ref
        else:  # provisional: rebuilt from the few points there are
            points = self._first + tail
            tail = points
            if not points:
                self.numbers, self.volumes, self.reference = np.empty(0, np.int64), \
                    np.empty(0), None
                return
            ref = self._ref_point(points)
            front, numbers, volumes = _Front(ref), [], []
        for n, p in sorted(tail, key=lambda item: item[0]):
            front.add(p)
            numbers.append(n)
            volumes.append(front.volume)
        self.numbers = np.array(numbers, dtype=np.int64)
        self.volumes = np.array(volumes, dtype=float)
        self.reference = self._reference(ref, fixed=self._front is not None)

    def _ref_point(self, points: list[tuple[int, np.ndarray]]) -> np.ndarray:
        first = np.array([p for _, p in points[:REFERENCE_TRIALS]])
        worst, best = first.max(axis=0), first.min(axis=0)
        spread = np.where(worst > best, worst - best, np.maximum(np.abs(worst), 1.0))
        auto = worst + MARGIN * spread
        return np.where(np.isnan(self._limit_ref), auto, self._limit_ref)

    def _reference(self, ref: np.ndarray, fixed: bool) -> Reference:
        n = min(len(self._first), REFERENCE_TRIALS)
        numbers = [k for k, _ in self._first[:REFERENCE_TRIALS]]
        which = (f"trials {numbers[0]}-{numbers[-1]}" if len(numbers) > 1 else
                 f"trial {numbers[0]}") if numbers else "the trials so far"
        why = tuple("its limit" if not np.isnan(lim) else
                    f"{MARGIN:.0%} beyond the worst of {which}" if n else
                    f"{MARGIN:.0%} beyond the worst so far"
                    for lim in self._limit_ref)
        point = tuple(float(s * r) for s, r in zip(self._signs, ref))
        return Reference(point, why, fixed)

    def reference_text(self, score_label: str = "value") -> str:
        """The reference point in words, for the plot: "accuracy 0.81 (10% beyond ...)"."""
        if self.reference is None:
            return ""
        parts = []
        for g, v, why in zip(self.goals, self.reference.point, self.reference.why):
            name, unit = METRIC_WORDS.get(g.metric, (g.metric, ""))
            name = score_label if g.metric == VALUE else name
            parts.append(f"{name} {format_number(v)}{' ' + unit if unit else ''} ({why})")
        return "; ".join(parts)


def _limit_bound(goal: Goal, limits: Sequence[Limit]) -> float:
    """The minimised reference coordinate a limit on this goal's bad side gives, or NaN."""
    for lim in limits:
        if lim.metric != goal.metric:
            continue
        bound = lim.max if goal.direction == "minimize" else lim.min
        if bound is not None:
            return goal.sign * float(bound)
    return float("nan")
