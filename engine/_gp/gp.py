"""A Gaussian process with a Matérn 5/2 ARD kernel over mixed features.

Features are rows of a matrix whose first ``n_num`` columns are numbers in about [0, 1]
(one length scale each) and whose other columns are category codes compared by equality
(an overlap, or Hamming, kernel: a mismatch counts as a unit distance divided by that
column's length scale). Outputs are standardised before fitting; every method below works
in standardised units, and :meth:`GP.to_raw` converts back.

Hyperparameters are kept as one vector ``theta``: the log length scales, then the log
signal variance, then the log noise variance. They are fitted by maximising the marginal
likelihood plus a log prior (a MAP estimate) with L-BFGS-B and analytic gradients. The
constant mean is not a hyperparameter: for each ``theta`` it takes its likelihood-optimal
(generalised least squares) value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.linalg import LinAlgError, cho_solve, cholesky, solve_triangular
from scipy.optimize import minimize

SQRT5 = math.sqrt(5.0)

# Bounds of the log hyperparameters, for inputs in [0, 1] and standardised outputs. Length
# scales from 0.005 (a very rugged objective) to 200 (a parameter that does not matter).
LOG_LS_BOUNDS = (math.log(5e-3), math.log(2e2))
LOG_SIGNAL_BOUNDS = (math.log(5e-2), math.log(2e1))
# Noise variance down to 1e-7 of the output variance. Noise-free objectives need a low floor
# to resolve the last digits near an optimum (1e-6 left Branin's regret 10x higher at 50
# trials); a lower one made rugged ones (Levy) worse and the Cholesky factor fragile.
LOG_NOISE_BOUNDS = (math.log(1e-7), math.log(1.0))
# Length-scale prior, in log l: -w * cosh(2 log l) = -(w/2) (l^2 + 1/l^2), Optuna's prior on
# the inverse squared length scale. Flat between about l = 0.3 and 3, it rules out both a
# model that wiggles through every point and one that switches a parameter off on little
# data. (The dimension-scaled log-normal prior of Hvarfner et al. 2024 was tried too: it
# turned off half of Hartmann-6's dimensions at 15-40 trials and did worse.)
LS_PRIOR_WEIGHT = 0.2
# Noise variance ~ Exponential(rate), a mean of 3% of the output variance: flat near zero,
# so noise-free objectives are interpolated, yet a noisy score (cross-validation) can
# still claim its share.
NOISE_RATE = 30.0
# Values are taken as quantized (see quantum) when at most this share of them are
# distinct, with at least QUANTIZED_MIN values.
QUANTIZED_DISTINCT = 0.7
QUANTIZED_MIN = 10
# Diagonal jitter tried in turn when a Cholesky factorisation fails.
_JITTERS = (0.0, 1e-9, 1e-7, 1e-5, 1e-3)


def warp(y: np.ndarray, lmbda: float | None = None) -> np.ndarray:
    """A Yeo-Johnson power transform of ``y`` with the likelihood-optimal exponent (or
    the exponent ``lmbda``, see :func:`warp_with`).

    It is monotonic, so the best trial stays the best, and it makes skewed values (a few
    huge losses among many small ones, as from Rosenbrock or a diverging training run) look
    Gaussian, so that the GP resolves the differences among good values instead of spending
    its variance on the bad ones (as in HEBO, Cowen-Rivers et al. 2022).
    """
    return warp_with(y, lmbda)[0]


def warp_with(y: np.ndarray, lmbda: float | None = None) -> tuple[np.ndarray, float | None]:
    """:func:`warp` and the exponent it used (``None`` when it left ``y`` as it was).

    Finding the exponent costs ~0.1 s on a few hundred values (scipy's likelihood is slow
    per call); a sampler estimates it when it refits and passes it back between refits.
    """
    from scipy.stats import yeojohnson

    spread = float(np.ptp(y))
    if len(y) < 5 or not spread > 0 or not math.isfinite(spread):
        return y, None
    # Scaled by the range before the std: squaring deviations below ~1e-162 underflows to
    # a zero std, and dividing by it gave infinities that Yeo-Johnson rejects.
    z = (y - y.mean()) / spread
    z = z / z.std()
    if lmbda is None:
        transformed, lmbda = yeojohnson(z)
    else:
        transformed = yeojohnson(z, lmbda)
    if not np.all(np.isfinite(transformed)):
        return y, None
    return transformed, float(lmbda)


def standardize(y: np.ndarray, warped: bool = False) -> tuple[np.ndarray, float, float]:
    """``(y - shift) / scale`` with the shift and scale (of the warped values, when
    ``warped``); a constant y keeps scale 1."""
    y, shift, scale, _ = _standardize(y, warped)
    return y, shift, scale


def _standardize(y: np.ndarray, warped: bool, lmbda: float | None = None
                 ) -> tuple[np.ndarray, float, float, float | None]:
    if warped:
        y, lmbda = warp_with(y, lmbda)
    shift = float(np.mean(y)) if len(y) else 0.0
    scale = float(np.std(y)) if len(y) > 1 else 1.0
    if not scale > 1e-12 * max(1.0, abs(shift)):
        scale = 1.0
    return (y - shift) / scale, shift, scale, lmbda


def sq_dist(a: np.ndarray, b: np.ndarray, n_num: int, ls: np.ndarray) -> np.ndarray:
    """Squared scaled distances between rows of ``a`` and ``b``: numeric columns by
    Euclid, category columns by mismatch."""
    an, bn = a[:, :n_num] / ls[:n_num], b[:, :n_num] / ls[:n_num]
    r2 = (an * an).sum(1)[:, None] + (bn * bn).sum(1)[None, :] - 2.0 * an @ bn.T
    np.maximum(r2, 0.0, out=r2)
    for j in range(n_num, a.shape[1]):
        r2 += (a[:, j][:, None] != b[:, j][None, :]) / ls[j] ** 2
    return r2


def matern52(r2: np.ndarray, signal: float) -> tuple[np.ndarray, np.ndarray]:
    """The kernel and ``G``, with dk/d(r^2) = -signal * G / 2 (so no division by r)."""
    r = np.sqrt(r2)
    e = np.exp(-SQRT5 * r)
    k = signal * (1.0 + SQRT5 * r + (5.0 / 3.0) * r2) * e
    g = (5.0 / 3.0) * (1.0 + SQRT5 * r) * e
    return k, g


def _gls_mean(chol: np.ndarray, y: np.ndarray) -> float:
    """The constant mean that maximises the likelihood, (1'K^-1 y) / (1'K^-1 1).

    Unlike the plain average it discounts clustered points: once the sampler has spent
    many trials near one optimum, the mean it assumes for unexplored regions is not pulled
    towards that optimum's values (which would make far corners look promising).
    """
    ones = np.ones(len(y))
    a = solve_triangular(chol, ones, lower=True, check_finite=False)
    b = solve_triangular(chol, y, lower=True, check_finite=False)
    return float(a @ b / (a @ a))


def _cholesky(k: np.ndarray) -> np.ndarray:
    scale = float(np.mean(np.diag(k))) if len(k) else 1.0
    for jitter in _JITTERS:
        try:
            return cholesky(k + jitter * scale * np.eye(len(k)), lower=True, check_finite=False)
        except LinAlgError:
            continue
    raise LinAlgError("the kernel matrix is not positive definite even with jitter")


@dataclass
class GP:
    """A fitted GP: training features ``x``, standardised targets ``y`` and ``theta``."""

    x: np.ndarray
    y: np.ndarray
    n_num: int
    theta: np.ndarray
    shift: float = 0.0
    scale: float = 1.0
    # The least noise variance (standardised units) the model admits whatever ``theta``
    # says: the rounding of quantized values (see :func:`fit`).
    noise_floor: float = 0.0
    # The Yeo-Johnson exponent of a warped model (None: not warped).
    warp_lambda: float | None = None

    def __post_init__(self) -> None:
        d = self.x.shape[1]
        self.ls = np.exp(self.theta[:d])
        self.signal = float(np.exp(self.theta[d]))
        self.noise = max(float(np.exp(self.theta[d + 1])), self.noise_floor)
        kf, _ = matern52(sq_dist(self.x, self.x, self.n_num, self.ls), self.signal)
        kf[np.diag_indices_from(kf)] += self.noise
        self.chol = _cholesky(kf)
        self.const = _gls_mean(self.chol, self.y)
        self.alpha = cho_solve((self.chol, True), self.y - self.const, check_finite=False)

    @property
    def train_mean(self) -> np.ndarray:
        """Posterior mean at the training points (the data less the fitted noise)."""
        return self.y - self.noise * self.alpha

    def to_raw(self, mean: np.ndarray, std: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Standardised mean and std back in the objective's units (of an unwarped fit)."""
        return self.shift + self.scale * mean, self.scale * std

    def predict(self, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and std (of the latent function, without noise) at rows ``xs``."""
        ks, _ = matern52(sq_dist(xs, self.x, self.n_num, self.ls), self.signal)
        mean = self.const + ks @ self.alpha
        v = solve_triangular(self.chol, ks.T, lower=True, check_finite=False)
        var = np.maximum(self.signal - (v * v).sum(0), 1e-12 * self.signal)
        return mean, np.sqrt(var)

    def predict_with_grad(
        self, xs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Mean, std and their gradients with respect to the numeric columns of ``xs``."""
        n_num, ls2 = self.n_num, self.ls[: self.n_num] ** 2
        ks, g = matern52(sq_dist(xs, self.x, n_num, self.ls), self.signal)
        mean = self.const + ks @ self.alpha
        beta = cho_solve((self.chol, True), ks.T, check_finite=False)  # K^-1 k*, (n, m)
        var_raw = self.signal - (ks * beta.T).sum(1)
        floor = 1e-12 * self.signal
        var = np.maximum(var_raw, floor)
        std = np.sqrt(var)
        xn, tn = xs[:, :n_num], self.x[:, :n_num]
        # dk(x*, x_p)/dx*_j = -signal * G_p * (x*_j - x_pj) / l_j^2
        ga = g * self.alpha[None, :]  # (m, n)
        dmean = -self.signal * (xn * ga.sum(1)[:, None] - ga @ tn) / ls2
        gb = g * beta.T
        dvar = 2.0 * self.signal * (xn * gb.sum(1)[:, None] - gb @ tn) / ls2
        # Where the variance was clamped to its floor, the std does not move with x.
        dstd = np.where((var_raw <= floor)[:, None], 0.0, dvar / (2.0 * std[:, None]))
        return mean, std, dmean, dstd

    def with_points(self, xp: np.ndarray, yp: np.ndarray) -> GP:
        """The same model (hyperparameters and scaling) conditioned on more points."""
        return GP(np.vstack([self.x, xp]), np.concatenate([self.y, yp]), self.n_num,
                  self.theta, self.shift, self.scale, self.noise_floor, self.warp_lambda)


# ---------------------------------------------------------------------------- fitting


def _log_prior(theta: np.ndarray, d: int) -> tuple[float, np.ndarray]:
    """Log prior density of ``theta`` (up to a constant) and its gradient."""
    grad = np.zeros_like(theta)
    t = 2.0 * theta[:d]
    grad[:d] = -2.0 * LS_PRIOR_WEIGHT * np.sinh(t)
    # log signal ~ N(0, 1): standardised outputs have unit variance.
    grad[d] = -theta[d]
    noise = math.exp(theta[d + 1])
    grad[d + 1] = -NOISE_RATE * noise
    value = (-LS_PRIOR_WEIGHT * float(np.cosh(t).sum()) - 0.5 * theta[d] ** 2
             - NOISE_RATE * noise)
    return value, grad


class _Objective:
    """Negative log marginal likelihood minus log prior, with its gradient in ``theta``."""

    def __init__(self, x: np.ndarray, y: np.ndarray, n_num: int):
        self.x, self.y, self.n_num = x, y, n_num
        self.n, self.d = x.shape
        # Category mismatches do not depend on theta: compute them once.
        self.mismatch = [(x[:, j][:, None] != x[:, j][None, :]).astype(float)
                         for j in range(n_num, self.d)]
        xn = x[:, :n_num]
        self.xn, self.xn2 = xn, xn * xn

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        d, n_num = self.d, self.n_num
        ls = np.exp(theta[:d])
        signal, noise = math.exp(theta[d]), math.exp(theta[d + 1])
        r2 = sq_dist(self.x, self.x, n_num, ls)
        kf, g = matern52(r2, signal)
        k = kf.copy()
        k[np.diag_indices_from(k)] += noise
        try:
            chol = _cholesky(k)
        except LinAlgError:
            return 1e25, np.zeros_like(theta)
        # With the constant mean at its GLS optimum for this theta, the gradient of the
        # profile likelihood is the one at that fixed mean (the envelope theorem).
        resid = self.y - _gls_mean(chol, self.y)
        alpha = cho_solve((chol, True), resid, check_finite=False)
        nll = 0.5 * float(resid @ alpha) + float(np.log(np.diag(chol)).sum())
        nll += 0.5 * self.n * math.log(2 * math.pi)
        w = cho_solve((chol, True), np.eye(self.n), check_finite=False) - np.outer(alpha, alpha)
        grad = np.empty_like(theta)
        m = signal * w * g
        rs = m.sum(1)
        # sum_pq M_pq (x_pj - x_qj)^2 = 2 sum_p x_pj^2 rowsum_p - 2 x_j' M x_j  (M symmetric)
        quad = 2.0 * (rs @ self.xn2) - 2.0 * (self.xn * (m @ self.xn)).sum(0)
        grad[:n_num] = 0.5 * quad / ls[:n_num] ** 2
        for i, c in enumerate(self.mismatch):
            grad[n_num + i] = 0.5 * float((m * c).sum()) / ls[n_num + i] ** 2
        grad[d] = 0.5 * float((w * kf).sum())
        grad[d + 1] = 0.5 * noise * float(np.trace(w))
        lp, lp_grad = _log_prior(theta, d)
        return nll - lp, grad - lp_grad


def bounds(d: int, noise_floor: float = 0.0) -> list[tuple[float, float]]:
    lo, hi = LOG_NOISE_BOUNDS
    if noise_floor > 0.0:
        lo = min(max(lo, math.log(noise_floor)), hi)
    return [LOG_LS_BOUNDS] * d + [LOG_SIGNAL_BOUNDS, (lo, hi)]


def prior_mode(d: int) -> np.ndarray:
    return np.array([0.0] * d + [0.0, math.log(1e-3)])


def fit(
    x: np.ndarray,
    y_raw: np.ndarray,
    n_num: int,
    *,
    warm: np.ndarray | None = None,
    rng: np.random.Generator,
    n_random_starts: int = 2,
    max_points: int = 300,
    maxiter: int = 200,
    warped: bool = False,
    quantized: bool = False,
    cheap: bool = False,
) -> GP:
    """Fit the hyperparameters to ``(x, y_raw)`` and return the GP conditioned on all of it.

    Starts L-BFGS-B from ``warm`` (the previous fit, when its shape fits), the prior's mode
    and ``n_random_starts`` draws from the prior, and keeps the best optimum. With more than
    ``max_points`` points the hyperparameters are fitted on a subset (the best tenth plus
    random others): the fit costs O(n^3) per step, the posterior only once. With ``warped``
    the model is of :func:`warp` of the values (and :meth:`GP.to_raw` does not apply).

    With ``quantized``, values that take a few levels (see
    :func:`engine.samplers._bayes_rules.quantum`) get a noise variance of at least q^2 / 12,
    q the step between levels: the variance of rounding to a grid of step q. Ties then
    read as one level measured several times, not as a surface pinned flat through them.

    With ``cheap``, the fit uses at most 200 points and one start: the ``warm`` one for at
    most 30 iterations, or without it the prior's mode for at most 60. Hyperparameters move
    little once many trials are in, and a full fit of 300 points costs seconds.
    """
    y, shift, scale, lmbda = _standardize(np.asarray(y_raw, dtype=float), warped)
    noise_floor = _quantized_floor(y) if quantized else 0.0
    has_warm = warm is not None and len(warm) == x.shape[1] + 2
    if cheap:
        max_points, n_random_starts = min(max_points, 200), 0
        maxiter = min(maxiter, 30 if has_warm else 60)
    n, d = x.shape
    fit_x, fit_y = x, y
    if n > max_points:
        order = np.argsort(y)
        best = order[: max_points // 10]
        rest = rng.choice(order[max_points // 10:], max_points - len(best), replace=False)
        keep = np.sort(np.concatenate([best, rest]))
        fit_x, fit_y = x[keep], y[keep]
    objective = _Objective(fit_x, fit_y, n_num)
    box = bounds(d, noise_floor)
    lo, hi = np.array(box).T
    starts = []
    if has_warm:
        starts.append(np.clip(warm, lo, hi))
    if not (cheap and has_warm):
        starts.append(np.clip(prior_mode(d), lo, hi))
    for _ in range(n_random_starts):
        draw = prior_mode(d)
        draw[:d] += 0.7 * rng.standard_normal(d)
        draw[d] = rng.standard_normal()
        draw[d + 1] = rng.uniform(math.log(1e-5), math.log(1e-1))
        starts.append(np.clip(draw, lo, hi))
    best_theta, best_loss = starts[0], math.inf
    for start in starts:
        res = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=box,
                       options={"maxiter": maxiter})
        if np.isfinite(res.fun) and res.fun < best_loss:
            best_theta, best_loss = res.x, float(res.fun)
    return GP(x, y, n_num, np.asarray(best_theta, dtype=float), shift, scale, noise_floor,
              lmbda)


def build(x: np.ndarray, y_raw: np.ndarray, n_num: int, theta: np.ndarray,
          warped: bool = False, quantized: bool = False,
          warp_lambda: float | None = None) -> GP:
    """The GP with given hyperparameters conditioned on ``(x, y_raw)``, without fitting
    (warped with the exponent ``warp_lambda`` when given, else the optimal one)."""
    y, shift, scale, lmbda = _standardize(np.asarray(y_raw, dtype=float), warped, warp_lambda)
    noise_floor = _quantized_floor(y) if quantized else 0.0
    return GP(x, y, n_num, np.asarray(theta, dtype=float), shift, scale, noise_floor, lmbda)


def quantum(z: np.ndarray) -> float:
    """The step between the levels of quantized values ``z`` (the median gap between
    neighbouring distinct values), or 0 when the values are not quantized.

    Accuracy on a few hundred validation rows takes a few dozen values and many trials tie
    exactly; a model that interpolates them takes the rounding for signal (its noise
    collapses, so expected improvement is flat on a plateau and spikes between tied
    points). Values count as quantized when at most QUANTIZED_DISTINCT of them are
    distinct, leaving out the worst level, where failed trials are put.
    """
    z = np.asarray(z, dtype=float)
    z = z[np.isfinite(z)]
    if len(z) < QUANTIZED_MIN:
        return 0.0
    z = z[z < z.max()]
    levels = np.unique(z)
    if len(z) < QUANTIZED_MIN or len(levels) < 2 or len(levels) > QUANTIZED_DISTINCT * len(z):
        return 0.0
    return float(np.median(np.diff(levels)))


def _quantized_floor(y: np.ndarray) -> float:
    """q^2 / 12 for standardised values quantized with step q, else 0 (capped at a
    tenth of the output variance, so a coarse score still leaves the model a signal)."""
    q = quantum(y)
    return min(q * q / 12.0, 0.1)
