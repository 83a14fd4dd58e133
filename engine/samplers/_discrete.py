"""What samplers share about repeats: which configurations trials hold, and, for a purely
discrete space, every configuration it has, so that a sampler never suggests one twice.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from engine.space import (
    CategoricalParam,
    FixedParam,
    IntParam,
    Param,
    SearchSpace,
    Value,
    decode_one,
    n_values,
)
from engine.space.grid import decode_group
from engine.trial import Trial, TrialState, params_key

# Up to this many configurations the free ones are listed outright when a sampler needs
# one; a bigger space is almost never nearly full, so random picks find a free one fast.
ENUMERATE_LIMIT = 2**16
_RANDOM_PICKS = 1000


class Taken:
    """The keys of every configuration that trials hold, kept as the study stores trials.

    Every state but interrupted holds its configuration: running trials so that parallel
    workers get different ones, finished trials so that a resumed study skips them. Feed
    it every stored trial (:meth:`observe`, from a sampler's ``after_trial``); a key is
    one JSON dump per trial, made when the trial is first seen.
    """

    def __init__(self) -> None:
        self._held: dict[int, str] = {}  # trial number -> key of the configuration it holds
        self._count: Counter[str] = Counter()  # a re-run holds a key twice

    def observe(self, trial: Trial) -> str | None:
        """Take in the trial's new state; returns the key it freed, if none holds it now."""
        old = self._held.get(trial.number)
        if trial.state is not TrialState.INTERRUPTED:
            if old is None:
                key = self._held[trial.number] = params_key(trial.params)
                self._count[key] += 1
            return None
        if old is None:
            return None
        del self._held[trial.number]
        self._count[old] -= 1
        if self._count[old]:
            return None
        del self._count[old]
        return old

    def __contains__(self, key: str) -> bool:
        return key in self._count

    def __len__(self) -> int:
        return len(self._count)


class Configurations:
    """Every configuration of a purely discrete space, numbered ``0..size - 1``.

    Unlike the grid, which tries a few points per numeric parameter, this counts every
    value: each integer on the step, each step of a stepped float, each choice. As in the
    grid, conditional branches add rather than multiply. Nothing is listed up front: a
    numeric parameter may have millions of values, so only the few values that enable a
    child are looked at one by one.
    """

    def __init__(self, space: SearchSpace):
        if not space.is_discrete:
            raise ValueError("only a space without continuous floats has a finite set")
        # For each parameter: value index -> the children it enables (only such indices).
        self._branches: dict[str, dict[int, list[Param]]] = {}
        self._count: dict[str, int] = {}
        # Children come after their parent, so going backwards counts every subtree first.
        for p in reversed(space.params):
            branches = _branches(space, p)
            self._branches[p.name] = branches
            self._count[p.name] = _size(p) - len(branches) + sum(
                self._weight(children) for children in branches.values()
            )
        self._roots = [p for p in space.params if p.condition is None]
        self.size = self._weight(self._roots)

    def at(self, index: int) -> dict[str, Value]:
        """The ``index``-th configuration; inactive parameters are absent, as in decode."""
        if not 0 <= index < self.size:
            raise IndexError(f"configuration {index} is outside 0..{self.size - 1}")
        out: dict[str, Value] = {}
        self._decode_group(self._roots, index, out)
        return out

    def _weight(self, group: Sequence[Param]) -> int:
        return math.prod(self._count[p.name] for p in group)

    def _decode_group(self, group: Sequence[Param], index: int, out: dict[str, Value]) -> None:
        decode_group(group, index, self._count,
                     lambda p, digit: self._decode_param(p, digit, out))

    def _decode_param(self, p: Param, index: int, out: dict[str, Value]) -> None:
        # Values without children count one each, so whole runs of them are skipped at once.
        start = 0
        for i, children in self._branches[p.name].items():
            if index < i - start:
                break
            index -= i - start
            weight = self._weight(children)
            if index < weight:
                out[p.name] = _value_at(p, i)
                self._decode_group(children, index, out)
                return
            index -= weight
            start = i + 1
        out[p.name] = _value_at(p, start + index)


class NoRepeat:
    """Keeps a sampler of a purely discrete space from suggesting a configuration twice."""

    def __init__(self, space: SearchSpace):
        self.configurations = Configurations(space)
        self._taken = Taken()
        self._all_keys: list[str] | None = None

    @property
    def size(self) -> int:
        return self.configurations.size

    def observe(self, trial: Trial) -> None:
        """A stored trial (see :meth:`Sampler.after_trial`)."""
        self._taken.observe(trial)

    def choose(
        self, candidates: Iterable[dict[str, Value]], rng: np.random.Generator,
    ) -> dict[str, Value] | None:
        """The first candidate no observed trial holds; else a free configuration chosen
        uniformly with ``rng``; ``None`` when the trials hold every configuration."""
        taken = self._taken
        for params in candidates:
            if params_key(params) not in taken:
                return params
        return self._free(taken, rng)

    def _free(self, taken: Taken, rng: np.random.Generator) -> dict[str, Value] | None:
        configs = self.configurations
        if configs.size <= ENUMERATE_LIMIT:
            if self._all_keys is None:
                self._all_keys = [params_key(configs.at(i)) for i in range(configs.size)]
            free = [i for i, key in enumerate(self._all_keys) if key not in taken]
            return configs.at(free[rng.integers(len(free))]) if free else None
        # Python's randrange, because the number of configurations may not fit in 64 bits.
        pick = random.Random(int(rng.integers(2**63)))
        for _ in range(_RANDOM_PICKS):
            params = configs.at(pick.randrange(configs.size))
            if params_key(params) not in taken:
                return params
        # Nearly every configuration is taken: walk on from a random one to a free one.
        start = pick.randrange(configs.size)
        for step in range(configs.size):
            params = configs.at((start + step) % configs.size)
            if params_key(params) not in taken:
                return params
        return None


def _size(p: Param) -> int:
    return int(n_values(p))


def _value_at(p: Param, index: int) -> Value:
    """The ``index``-th value of a discrete parameter, exactly as ``decode`` produces it."""
    if isinstance(p, FixedParam):
        return p.value
    if isinstance(p, CategoricalParam):
        return p.choices[index]
    if isinstance(p, IntParam):
        # A log-scaled int has step 1 and takes every integer in its range.
        return p.low + index * p.step
    # A stepped float: the centre of the value's cell decodes to it, rounded as decode does.
    return decode_one(p, (index + 0.5) / _size(p))


def _branches(space: SearchSpace, p: Param) -> dict[int, list[Param]]:
    """Value index -> the children that value enables, for the values that enable any."""
    children = [
        c for c in space.params if c.condition is not None and c.condition.parent == p.name
    ]
    if not children:
        return {}
    if isinstance(p, (CategoricalParam, FixedParam)):
        candidates: Iterable[int] = range(_size(p))
    else:
        # Only values named by a condition can enable a child; find where they sit.
        candidates = {
            round((float(v) - p.low) / p.step)
            for c in children for v in c.condition.values
            if isinstance(v, (int, float)) and not isinstance(v, bool)
        }
    out: dict[int, list[Param]] = {}
    for i in sorted(candidates):
        if not 0 <= i < _size(p):
            continue
        value = {p.name: _value_at(p, i)}
        enabled = [c for c in children if c.condition.holds(value)]
        if enabled:
            out[i] = enabled
    return out
