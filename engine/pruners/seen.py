"""What pruners compare, kept as reports arrive so that a decision does not scan the study.

A pruner judges a trial against the values other trials showed at a step (median) or on
reaching a rung (ASHA, Hyperband). :class:`Seen` keeps those values sorted per key as each
trial's snapshots go by, so that a decision costs O(log n) lookups plus an insertion into
a sorted list (a memmove), not a pass over every trial under the study's lock.

It holds nothing that is not in the trials' reports: fed the same trials, it answers the
same, which is what keeps decisions the same on resume.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Hashable, Iterable

from engine.trial import Trial, TrialState

# A trial's contributions: (key, value) pairs, e.g. (("at", 5), 0.3) or (("rung", 0, 9), 0.4)
Contribution = tuple[Hashable, float]


class SortedValues:
    """A multiset of floats kept in ascending order."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def add(self, v: float) -> None:
        bisect.insort(self.values, v)

    def remove(self, v: float) -> None:
        i = bisect.bisect_left(self.values, v)
        if i < len(self.values) and self.values[i] == v:
            del self.values[i]

    def __len__(self) -> int:
        return len(self.values)

    def median_without(self, v: float) -> float:
        """The median of the values with one occurrence of ``v`` (which is present) left
        out, found by index arithmetic rather than by copying."""
        skip = bisect.bisect_left(self.values, v)
        m = len(self.values) - 1

        def nth(j: int) -> float:
            return self.values[j if j < skip else j + 1]

        if m % 2:
            return nth(m // 2)
        return (nth(m // 2 - 1) + nth(m // 2)) / 2


class Seen:
    """Sorted values per key, fed by every snapshot of every trial.

    ``contributions(trial, since)`` (given by the pruner) lists the (key, value) pairs a
    trial adds for its reports from index ``since`` on; a failed trial's values are taken
    out again, because a failed trial's curve says nothing reliable.
    """

    def __init__(self, contributions: Callable[[Trial, int], list[Contribution]]):
        self._contributions = contributions
        self.by_key: dict[Hashable, SortedValues] = {}
        self._given: dict[int, list[Contribution]] = {}  # trial -> what it added
        self._curves: dict[int, tuple[tuple[int, float], ...]] = {}

    def observe(self, trial: Trial) -> None:
        """Take in the newest snapshot of ``trial`` (after a report, as it ends, on open)."""
        number, curve = trial.number, trial.intermediate
        if trial.state is TrialState.FAILED:
            self._forget(number)
            self._curves.pop(number, None)
            return
        old = self._curves.get(number, ())
        if curve == old:
            return
        if len(curve) > len(old) and curve[:len(old)] == old:
            new = self._contributions(trial, len(old))  # the usual case: reports appended
        else:
            self._forget(number)
            new = self._contributions(trial, 0)
        for key, value in new:
            self.by_key.setdefault(key, SortedValues()).add(value)
        self._given.setdefault(number, []).extend(new)
        self._curves[number] = curve

    def values(self, key: Hashable) -> SortedValues:
        return self.by_key.get(key) or SortedValues()

    def _forget(self, number: int) -> None:
        for key, value in self._given.pop(number, []):
            self.by_key[key].remove(value)


def seen_from(trials: Iterable[Trial], trial: Trial,
              contributions: Callable[[Trial, int], list[Contribution]]) -> Seen:
    """A :class:`Seen` of ``trials`` with ``trial`` as it stands now (for one-off calls)."""
    seen = Seen(contributions)
    for t in trials:
        if t.number != trial.number:
            seen.observe(t)
    seen.observe(trial)
    return seen
