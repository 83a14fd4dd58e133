"""Maximising an acquisition function over a mixed search space.

1. Score many scrambled Sobol points of the unit cube (plus any points the caller adds,
   such as perturbations of the best trials), each rounded onto the legal lattice first.
2. Refine the best few with L-BFGS-B in the continuous relaxation: the numeric features of
   active parameters move freely in [0, 1]; categories and activity stay as they were.
3. Round the refined points onto the lattice again, then walk each by greedy discrete
   steps (another choice of a categorical, the next value of an int) while that improves.

Every score that decides the result is taken at a rounded point, so the point returned is
judged by the acquisition value of the configuration that will actually run.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
from scipy.optimize import minimize
from scipy.stats import qmc

from engine._gp.encoding import Encoding

# acq(features, with_grad) -> values, or (values, d values / d numeric features).
Acquisition = Callable[..., "np.ndarray | tuple[np.ndarray, np.ndarray]"]


def sobol_points(dimension: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` scrambled Sobol points (n rounded up to a power of two, then cut)."""
    m = max(int(np.ceil(np.log2(max(n, 1)))), 0)
    engine = qmc.Sobol(d=dimension, scramble=True, seed=rng)
    return engine.random_base2(m)[:n]


def maximize(
    acq: Acquisition,
    encoding: Encoding,
    rng: np.random.Generator,
    *,
    n_candidates: int = 1024,
    n_refine: int = 5,
    extra: np.ndarray | None = None,
    maxiter: int = 100,
    local_steps: int = 4,
    n_return: int = 16,
) -> tuple[np.ndarray, np.ndarray]:
    """The best unit-cube points found and their acquisition values, best first.

    Returns up to ``n_return`` points with distinct features, so a caller that must skip
    taken configurations has runners-up to choose from.
    """
    dim = encoding.space.dimension
    u = sobol_points(dim, n_candidates, rng)
    if extra is not None and len(extra):
        u = np.vstack([u, np.clip(extra, 0.0, 1.0)])
    f = encoding.from_unit(u)
    values = acq(f, False)
    starts = _top_distinct(f, values, n_refine)
    pool_u, pool_v = [u], [values]
    if encoding.n_num and len(starts):
        ru, rv = _refine(acq, encoding, u[starts], f[starts], maxiter)
        pool_u.append(ru)
        pool_v.append(rv)
        start_u = np.vstack([u[starts], ru])
        start_v = np.concatenate([values[starts], rv])
    else:
        start_u, start_v = u[starts], values[starts]
    lu, lv = _local_search(acq, encoding, start_u, start_v, local_steps)
    pool_u.append(lu)
    pool_v.append(lv)
    all_u, all_v = np.vstack(pool_u), np.concatenate(pool_v)
    keep = _top_distinct(encoding.from_unit(all_u), all_v, n_return)
    return all_u[keep], all_v[keep]


def _top_distinct(features: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` best rows, skipping rows whose features repeat a better one."""
    order = np.argsort(-values, kind="stable")
    out, seen = [], set()
    for i in order:
        if not np.isfinite(values[i]):
            break
        key = features[i].tobytes()
        if key in seen:
            continue
        seen.add(key)
        out.append(i)
        if len(out) == k:
            break
    return np.array(out, dtype=int)


def _refine(
    acq: Acquisition, encoding: Encoding, u0: np.ndarray, f0: np.ndarray, maxiter: int
) -> tuple[np.ndarray, np.ndarray]:
    """L-BFGS-B on the relaxed numeric features of all starts at once (their sum is
    separable, so one call optimises each), then round and rescore."""
    k, n_num = len(u0), encoding.n_num
    mask = encoding.relaxed_dims(f0)
    x0 = f0[:, :n_num].copy()

    def negative(flat: np.ndarray) -> tuple[float, np.ndarray]:
        feats = f0.copy()
        feats[:, :n_num] = np.where(mask, flat.reshape(k, n_num), x0)
        v, g = acq(feats, True)
        g = np.where(mask, g, 0.0)
        # A start whose value is not finite (a numerically dead region) must not stall the
        # others: it contributes nothing.
        bad = ~np.isfinite(v)
        v, g = np.where(bad, 0.0, v), np.where(bad[:, None], 0.0, g)
        return -float(v.sum()), -g.ravel()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = minimize(negative, x0.ravel(), jac=True, method="L-BFGS-B",
                       bounds=[(0.0, 1.0)] * x0.size, options={"maxiter": maxiter})
    moved = res.x.reshape(k, n_num)
    u = u0.copy()
    # Unit coordinates of numeric parameters are their relaxed features.
    u[:, encoding.unit_dims] = np.where(mask, moved, u0[:, encoding.unit_dims])
    return u, acq(encoding.from_unit(u), False)


def _local_search(
    acq: Acquisition, encoding: Encoding, u: np.ndarray, values: np.ndarray, steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy discrete moves from each start while one improves the acquisition."""
    u, values = u.copy(), values.copy()
    for i in range(len(u)):
        for _ in range(steps):
            near = encoding.neighbours(u[i])
            if not len(near):
                break
            v = acq(encoding.from_unit(near), False)
            j = int(np.argmax(v))
            if not v[j] > values[i]:
                break
            u[i], values[i] = near[j], v[j]
    return u, values
