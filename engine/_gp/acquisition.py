"""Acquisition functions for minimisation, each with its derivatives in (mean, std).

Every function takes the posterior ``mean`` and ``std`` at candidate points and returns
``(value, d value / d mean, d value / d std)``; larger values are better candidates. The
chain rule through :meth:`engine._gp.gp.GP.predict_with_grad` then gives gradients in the
features.

Expected improvement is computed as its logarithm, following Ament et al. (2023),
"Unexpected improvements to expected improvement for Bayesian optimization": plain EI
underflows to exactly 0 once the improvement is a few standard deviations away, which
leaves an optimiser with a flat landscape and zero gradients; log EI stays finite and
informative there.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erfcx, log_ndtr

_LOG_2PI_HALF = 0.5 * math.log(2.0 * math.pi)
_LOG_PI_2_HALF = 0.5 * math.log(math.pi / 2.0)
# Below this z the asymptotic series of log h is exact to double precision.
_Z_SERIES = -100.0


def _log1mexp(x: np.ndarray) -> np.ndarray:
    """log(1 - exp(x)) for x < 0, accurate at both ends (Mächler 2012)."""
    out = np.empty_like(x)
    near = x > -math.log(2.0)
    out[near] = np.log(-np.expm1(x[near]))
    out[~near] = np.log1p(-np.exp(x[~near]))
    return out


def log_h(z: np.ndarray) -> np.ndarray:
    """log(phi(z) + z * Phi(z)): the log of EI for unit std, finite for every z.

    Three pieces: the direct formula above z = -1; Ament et al.'s scaled-erfc form down to
    z = -100; below that the asymptotic series h(z) = phi(z) / z^2 * (1 - 3/z^2 + 15/z^4
    - 105/z^6 + ...), exact to double precision there (the next term is < 1e-13), where
    the erfc form would lose digits to cancellation and then give NaN.
    """
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    upper = z > -1.0
    zu = z[upper]
    out[upper] = np.log(np.exp(-0.5 * zu * zu - _LOG_2PI_HALF) + zu * np.exp(log_ndtr(zu)))
    mid = (~upper) & (z > _Z_SERIES)
    zm = z[mid]
    out[mid] = (-0.5 * zm * zm - _LOG_2PI_HALF
                + _log1mexp(np.log(erfcx(-zm / math.sqrt(2.0)) * np.abs(zm)) + _LOG_PI_2_HALF))
    low = ~(upper | mid)
    zl = z[low]
    r = 1.0 / (zl * zl)
    out[low] = (-0.5 * zl * zl - _LOG_2PI_HALF - 2.0 * np.log(np.abs(zl))
                + np.log1p(r * (-3.0 + r * (15.0 - 105.0 * r))))
    return out


def _phi_over_h(z: np.ndarray) -> np.ndarray:
    """Phi(z) / h(z), the derivative of log h, computed in logs so it never overflows."""
    return np.exp(log_ndtr(z) - log_h(z))


def log_ei(mean: np.ndarray, std: np.ndarray, best: float, xi: float = 0.0):
    """log E[max(best - xi - f, 0)] under f ~ N(mean, std^2)."""
    z = (best - xi - mean) / std
    value = log_h(z) + np.log(std)
    ratio = _phi_over_h(z)
    return value, -ratio / std, (1.0 - z * ratio) / std


def ucb(mean: np.ndarray, std: np.ndarray, kappa: float = 2.0):
    """The negated lower confidence bound ``-(mean - kappa * std)`` (an optimistic guess)."""
    return -mean + kappa * std, -np.ones_like(mean), np.full_like(std, kappa)


def log_pi(mean: np.ndarray, std: np.ndarray, best: float, xi: float = 0.01):
    """log P(f < best - xi) under f ~ N(mean, std^2)."""
    z = (best - xi - mean) / std
    value = log_ndtr(z)
    # d log Phi / dz = phi(z) / Phi(z), in logs for very negative z.
    ratio = np.exp(-0.5 * z * z - _LOG_2PI_HALF - value)
    return value, -ratio / std, -z * ratio / std
