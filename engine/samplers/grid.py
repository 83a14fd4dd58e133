"""Grid search: every grid cell of the space once, in order or shuffled."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from engine.samplers._discrete import Taken
from engine.samplers.base import Sampler
from engine.space import SearchSpace, Value
from engine.trial import Trial, params_key

_MASK64 = (1 << 64) - 1


class GridSampler(Sampler):
    """Suggests every cell of ``space``'s grid once, then ``None``.

    Cells come in the space's grid order, or with ``shuffle=True`` in a random order fixed
    by ``seed``. A cell is taken while a trial holds it (running, complete, failed or
    pruned), so parallel workers never get the same cell and a resumed study skips the
    cells already done; the cell of an interrupted trial is suggested again. What trials
    hold is learnt from :meth:`after_trial`, so an ask costs the same at any study size.
    """

    name = "grid"

    def __init__(
        self,
        space: SearchSpace,
        *,
        direction: str = "minimize",
        seed: int | None = None,
        shuffle: bool = False,
    ):
        super().__init__(space, direction=direction, seed=seed)
        if not isinstance(shuffle, bool):
            raise ValueError(f"sampler.shuffle = {shuffle!r}: expected true or false")
        self.shuffle = shuffle
        self._size = space.grid_size()
        self._order = _Shuffle(self._size, seed) if shuffle else None
        self._taken = Taken()
        # Every position before the cursor holds a taken cell; _passed maps their keys to
        # their positions, so that a cell freed again can be found without a rescan.
        self._cursor = 0
        self._passed: dict[str, int] = {}
        self._last: tuple[int, dict[str, Value], str] | None = None

    @property
    def size(self) -> int:
        return self._size

    def after_trial(self, trial: Trial) -> None:
        freed = self._taken.observe(trial)
        if freed is not None and freed in self._passed:
            # A cell behind the cursor is free again (its trial was interrupted): go back.
            self._cursor = min(self._cursor, self._passed.pop(freed))

    def ask(self, trials: Sequence[Trial]) -> dict[str, Any] | None:
        taken = self._taken
        while self._cursor < self._size:
            cell, key = self._cell_at(self._cursor)
            if key not in taken:
                # The cursor stays: the cell is taken only once the study records the trial.
                return dict(cell)
            self._passed[key] = self._cursor
            self._cursor += 1
        return None

    def _cell_at(self, position: int) -> tuple[dict[str, Value], str]:
        # The cell just suggested is asked for again on the next call, to see it taken.
        if self._last is None or self._last[0] != position:
            index = position if self._order is None else self._order(position)
            cell = self.space.grid_cell(index)
            self._last = (position, cell, params_key(cell))
        return self._last[1], self._last[2]


class _Shuffle:
    """A seeded permutation of ``0..n - 1``, computed one position at a time.

    A grid can have billions of cells, too many to shuffle as an array. A four-round
    Feistel network permutes the integers below the smallest power of four >= n; a
    position it maps outside ``0..n - 1`` is sent through again until it lands inside
    ("cycle walking"), which keeps the whole a permutation of ``0..n - 1``.
    """

    _ROUNDS = 4

    def __init__(self, n: int, seed: int | None):
        self._n = n
        self._half = ((n - 1).bit_length() + 1) // 2
        self._mask = (1 << self._half) - 1
        state = np.random.SeedSequence(seed).generate_state(self._ROUNDS, dtype=np.uint64)
        self._keys = [int(k) for k in state]

    def __call__(self, position: int) -> int:
        x = self._round_trip(position)
        while x >= self._n:
            x = self._round_trip(x)
        return x

    def _round_trip(self, x: int) -> int:
        left, right = x >> self._half, x & self._mask
        for key in self._keys:
            left, right = right, left ^ (_mix(right ^ key) & self._mask)
        return (left << self._half) | right


def _mix(x: int) -> int:
    """The splitmix64 finaliser: every input bit flips about half the output bits."""
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)
