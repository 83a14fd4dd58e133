"""Rules the bayes sampler applies around its GP: which trials the model is conditioned on
when there are many, how far a suggestion must stay from every trial already tried or
running, and when a categorical choice must get a trial. (Quantized values are recognised
in :func:`engine._gp.gp.quantum`.)

Each rule is general (it reads only the trials, never the problem) and is documented in
docs/python-api.md; the numbers below were checked with benchmarks/bayes_rules.py and
benchmarks/bayes_ask_cost.py.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

# Past this many observations the GP is conditioned on a subset of them (subset of data):
# the best MODEL_BEST plus others drawn at random. An exact GP costs O(n^2) per candidate
# scored and O(n^3) to factorise; at 400 points an ask takes ~0.3 s here, and the
# subset keeps both the resolution near the best trials and a cover of the whole space.
MODEL_POINTS = 400
MODEL_BEST = 120
# A suggestion's continuous coordinates (unit cube) must be at least this far (Euclidean)
# from those of every finished trial that shares its discrete values, and RUNNING_SEPARATION
# from every running one. Near a finished trial the model knows the value and a step of
# 1e-4 can still polish a noise-free optimum (1e-3 cost Branin and the mixed problem
# digits); a twin of a running trial is a whole trial spent on a value not yet known.
MIN_SEPARATION = 1e-4
RUNNING_SEPARATION = 1e-3


def model_subset(y: np.ndarray, rng: np.random.Generator, size: int = MODEL_POINTS,
                 n_best: int = MODEL_BEST) -> np.ndarray:
    """Sorted indices of the observations to condition the GP on: all of them up to
    ``size``, beyond that the ``n_best`` lowest values plus a uniform draw of the rest."""
    n = len(y)
    if n <= size:
        return np.arange(n)
    order = np.argsort(y, kind="stable")
    rest = rng.choice(order[n_best:], size - n_best, replace=False)
    return np.sort(np.concatenate([order[:n_best], rest]))


def too_close(candidates: np.ndarray, taken: np.ndarray, continuous: np.ndarray,
              min_distance: float = MIN_SEPARATION) -> np.ndarray:
    """Which feature rows of ``candidates`` repeat a row of ``taken``: the same discrete
    features and continuous ones (columns where ``continuous``) closer than
    ``min_distance``."""
    if not len(taken) or not len(candidates):
        return np.zeros(len(candidates), dtype=bool)
    cont = np.flatnonzero(continuous)
    disc = np.flatnonzero(~continuous)
    same = np.ones((len(candidates), len(taken)), dtype=bool)
    for j in disc:
        same &= candidates[:, j][:, None] == taken[:, j][None, :]
    if len(cont):
        a, b = candidates[:, cont], taken[:, cont]
        d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
        same &= d2 < min_distance ** 2
    return same.any(axis=1)


def push_apart(u: np.ndarray, close, unit_dims: np.ndarray, rng: np.random.Generator
               ) -> np.ndarray | None:
    """A point near unit-cube point ``u`` with its continuous coordinates (``unit_dims``)
    moved in a random direction, reflected into the cube, by growing multiples of
    RUNNING_SEPARATION until ``close`` (rows -> bool per row) no longer holds; ``None`` if
    no move works."""
    if not len(unit_dims):
        return None
    for radius in (2, 4, 8, 16, 32):
        for _ in range(8):
            step = rng.standard_normal(len(unit_dims))
            step *= radius * RUNNING_SEPARATION / np.linalg.norm(step)
            v = u.copy()
            moved = v[unit_dims] + step
            # Reflect at the faces so a point in a corner moves inwards.
            moved = np.where(moved < 0.0, -moved, moved)
            moved = np.where(moved > 1.0, 2.0 - moved, moved)
            v[unit_dims] = np.clip(moved, 0.0, 1.0)
            if not close(v[None, :])[0]:
                return v
    return None


def starved_choice(taken: np.ndarray, first_column: int, n_choices: Sequence[int]
                   ) -> tuple[int, int] | None:
    """A categorical choice tried too rarely to judge, as ``(feature column, choice)``, or
    ``None``: the choice with the fewest trials among those below ceil(sqrt(n / k)) trials,
    where ``n`` trials have the parameter active and it has ``k`` choices.

    Where the best choice shifts the optimum of the other parameters, its first trials
    (placed for another choice) look bad, and expected improvement then never returns to
    it. The floor grows with the trials but its share shrinks (4 of 50 with 4 choices, 9
    of 300), so a choice that is truly worse costs little. ``taken`` are feature rows of
    the trials tried or running; categorical columns start at ``first_column``, inactive
    entries are negative.
    """
    worst: tuple[int, int, int] | None = None
    for j, k in enumerate(n_choices):
        col = taken[:, first_column + j]
        active = col[col >= 0]
        floor = math.ceil(math.sqrt(len(active) / k)) if k > 1 else 0
        counts = np.bincount(active.astype(int), minlength=k)
        choice = int(np.argmin(counts))
        if counts[choice] < floor and (worst is None or counts[choice] < worst[2]):
            worst = (first_column + j, choice, int(counts[choice]))
    return None if worst is None else worst[:2]
