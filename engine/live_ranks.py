"""Pareto ranks kept as trials complete, changing only the ranks a new trial moves.

A trial's rank (see :func:`engine.pareto.pareto_ranks`) is the length of the longest chain
of feasible trials that dominate one another down to it: 0 when none dominates it, else one
more than the highest rank among those that do. So a new feasible point ``p``

- gets ``1 + max(rank of the points dominating p)`` (0 if none), and
- can only push down the points it dominates (every chain through ``p`` ends in them, and
  dominance is transitive): such a point ``s`` becomes
  ``max(its rank, rank(p) + 1 + l(s))``, where ``l(s)`` is ``s``'s rank among the points
  ``p`` dominates alone.

Finding who dominates ``p`` and whom it dominates is one vectorised comparison with the
feasible points; only the dominated ones are sorted. Trials outside the limits rank after
every feasible front, by violation (as ``pareto_ranks`` does); their ranks move when the
number of feasible fronts or the set of violation levels changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from engine.goals import Goal
from engine.pareto import pareto_ranks, trial_ranks
from engine.trial import Trial, TrialState


class LiveRanks:
    """Pareto rank by trial number (NaN: not complete), for a study of several objectives
    or limits. :meth:`add` takes newly complete trials and says whose rank changed."""

    def __init__(self, goals: Sequence[Goal], trials: Sequence[Trial | None] = ()):
        self.goals = tuple(goals)
        self._signs = np.array([g.sign for g in self.goals])
        self._ranks = np.full(0, np.nan)  # by trial number, with room to grow
        self._n = 0
        self._points = np.empty((0, len(self.goals)))  # feasible, minimised
        self._good = np.empty(0, dtype=np.int64)  # their trial numbers
        self._good_rank = np.empty(0, dtype=np.int64)
        self._k = 0  # feasible points held (the arrays above have room for more)
        self._bad = np.empty(0, dtype=np.int64)  # infeasible trial numbers
        self._bad_v = np.empty(0)
        self._levels = np.empty(0)  # distinct violations, ascending
        done = [t for t in trials if t is not None and self._counts(t)]
        if done:
            self._bulk(done)

    def _counts(self, t: Trial) -> bool:
        return t.state is TrialState.COMPLETE and len(self._values(t)) == len(self.goals)

    def _values(self, t: Trial) -> tuple[float, ...]:
        # One objective under limits ranks by the score itself (as Study.ranks does).
        return t.values if len(self.goals) > 1 or t.values else \
            (() if t.value is None else (t.value,))

    def _bulk(self, trials: list[Trial]) -> None:
        """The first ranks at once (opening a study): one non-dominated sort."""
        ranked = [t.evolve(values=self._values(t)) for t in trials]
        ranks = trial_ranks(ranked, self.goals).astype(int)
        numbers = np.array([t.number for t in trials], dtype=np.int64)
        self._grow(int(numbers.max()) + 1)
        self._ranks[numbers] = ranks
        feasible = np.array([t.feasible for t in trials])
        self._good, self._good_rank = numbers[feasible], ranks[feasible]
        self._k = int(feasible.sum())
        self._points = self._signs * np.array([self._values(t) for t in ranked],
                                              dtype=float)[feasible]
        self._bad = numbers[~feasible]
        self._bad_v = np.array([t.violation for t in trials], dtype=float)[~feasible]
        self._levels = np.unique(self._bad_v)

    @property
    def ranks(self) -> np.ndarray:
        """Rank by trial number, up to the highest number ranked (NaN: not complete)."""
        return self._ranks[: self._n]

    def _grow(self, n: int) -> None:
        if n > self._ranks.size:  # doubling: no copy of every rank per trial
            more = max(n, 2 * self._ranks.size) - self._ranks.size
            self._ranks = np.concatenate([self._ranks, np.full(more, np.nan)])
        self._n = max(self._n, n)

    def add(self, trials: Iterable[Trial]) -> np.ndarray:
        """Rank the newly complete ones among ``trials`` (others are skipped); returns the
        numbers whose rank changed (the new ones included), ascending."""
        changed: set[int] = set()
        for t in trials:
            if not self._counts(t) or (t.number < self._n
                                       and self._ranks[t.number] == self._ranks[t.number]):
                continue
            self._grow(t.number + 1)
            if t.feasible:
                changed |= self._add_feasible(t.number, self._signs * np.asarray(
                    self._values(t), dtype=float))
            else:
                self._bad = np.append(self._bad, t.number)
                self._bad_v = np.append(self._bad_v, t.violation)
                self._levels = np.unique(np.append(self._levels, t.violation))
            changed |= self._rank_infeasible()
        return np.array(sorted(changed), dtype=np.int64)

    def _add_feasible(self, number: int, p: np.ndarray) -> set[int]:
        k = self._k
        pts, rank = self._points[:k], self._good_rank[:k]
        beats_p, beaten = _dominance(pts, p)
        mine = int(rank[beats_p].max()) + 1 if beats_p.any() else 0
        below = np.flatnonzero(beaten)
        changed = {number}
        # Every point p beats is also beaten by p's dominators, so it ranks >= mine; none
        # moves unless one of them shares p's rank (then chains through p grow).
        if below.size and int(rank[below].min()) == mine:
            within = pareto_ranks(pts[below])
            new = np.maximum(rank[below], mine + 1 + within)
            moved = new != rank[below]
            rank[below] = new
            numbers = self._good[below[moved]]
            self._ranks[numbers] = new[moved]
            changed |= set(numbers.tolist())
        if k == len(self._points):  # room doubles: no copy of every point per trial
            grow = max(k, 64)
            self._points = np.vstack([self._points, np.empty((grow, p.size))])
            self._good = np.concatenate([self._good, np.empty(grow, dtype=np.int64)])
            self._good_rank = np.concatenate([self._good_rank,
                                              np.empty(grow, dtype=np.int64)])
        self._points[k], self._good[k], self._good_rank[k] = p, number, mine
        self._k = k + 1
        self._ranks[number] = mine
        return changed

    def _rank_infeasible(self) -> set[int]:
        if not self._bad.size:
            return set()
        fronts = int(self._good_rank[: self._k].max()) + 1 if self._k else 0
        new = fronts + np.searchsorted(self._levels, self._bad_v)
        old = self._ranks[self._bad]
        moved = new != old  # NaN (new trials) counts as moved
        self._ranks[self._bad[moved]] = new[moved]
        return set(self._bad[moved].tolist())


def _dominance(pts: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(which points dominate ``p``, which ``p`` dominates), a column at a time: with a
    handful of objectives that is several times faster than reducing along rows."""
    le = ge = None
    lt = gt = None
    for j in range(p.size):
        col = pts[:, j]
        a, b, c, d = col <= p[j], col >= p[j], col < p[j], col > p[j]
        le = a if le is None else le & a
        ge = b if ge is None else ge & b
        lt = c if lt is None else lt | c
        gt = d if gt is None else gt | d
    return le & lt, ge & gt
