"""Bayesian optimisation of several objectives under constraints, for samplers/bayes.py.

The method, per ask (ParEGO, Knowles 2006, with constraints as in Gardner et al. 2014):

1. Each objective of the complete trials is put in minimisation form and scaled to [0, 1]
   by the range seen so far. A weight vector ``w`` is drawn uniformly from the simplex
   (a new one on every ask, so successive trials aim at different parts of the front), and
   each trial is scored by the augmented Chebyshev scalarisation
   ``max_i w_i z_i + 0.05 * sum_i w_i z_i``: its minimum over a front lies on that front,
   and unlike a weighted sum it reaches concave parts of it too.
2. One GP (the single-objective model: warped, Matérn 5/2) is fitted to these scores, and
   log expected improvement over the best score among trials that meet the constraints
   is the acquisition, maximised as for one objective.
3. Each constraint's metric gets a GP of its own (of the log of the metric when it is
   always positive, as times and sizes are); the log probability that the limit is met
   is added to the acquisition (probabilities multiply). Until some trial meets every
   constraint, the acquisition is that probability alone: first find the feasible region.

Running trials are fantasised at each model's mean (kriging believer), so parallel asks
spread out as with one objective. Failed trials score the worst scalarisation seen and are
left out of the constraint models; a pruned trial's main score is the full-length estimate
of samplers/_pruned.py, and an objective it never reported counts as the worst seen.
Cost per ask: one GP for the objectives plus one per constraint, each refitted on the
same schedule as for one objective (past 200 trials a refit only refines the last fit).
Past 400 observations every model is conditioned on the same subset of trials, as for one
objective: the best 120 by this ask's scalarisation plus a random draw of the rest
(``_bayes_rules.model_subset``), so an ask stays a fraction of a second however long the
study grows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from engine.goals import Goal, Limit, MissingMetric, metric_value
from engine.samplers._bayes_rules import model_subset
from engine.trial import Trial, TrialState

RHO = 0.05  # weight of the sum in the augmented Chebyshev scalarisation (ParEGO's value)


def _metric(t: Trial, name: str) -> float:
    try:
        return metric_value(name, t.value, t.metrics)
    except MissingMetric:
        return np.nan


def objective_matrix(trials: Sequence[Trial], goals: Sequence[Goal]) -> np.ndarray:
    """Objectives to minimise, one row per trial; an objective a trial lacks (a pruned
    trial stopped before reporting it) takes the worst value seen of it."""
    y = np.array([[g.sign * _metric(t, g.metric) for g in goals] for t in trials], dtype=float)
    y = y.reshape(len(trials), len(goals))
    for j in range(y.shape[1]):
        col = y[:, j]
        seen = col[np.isfinite(col)]
        col[~np.isfinite(col)] = seen.max() if seen.size else 0.0
    return y


def chebyshev(y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Augmented Chebyshev scores of rows ``y`` after scaling each column to [0, 1]."""
    lo, hi = y.min(axis=0), y.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    z = (y - lo) / span
    wz = weights * z
    return wz.max(axis=1) + RHO * wz.sum(axis=1)


class MultiGoal:
    """The state of the several-objective search of one BayesSampler (its fitted
    hyperparameters, per model)."""

    def __init__(self, goals: Sequence[Goal], limits: Sequence[Limit]):
        self.goals = tuple(goals)
        self.limits = tuple(limits)
        # Per model (0: the objectives, k + 1: constraint k): hyperparameters last fitted,
        # and on how many observations.
        self._theta: dict[int, np.ndarray] = {}
        self._n_fitted: dict[int, int] = {}

    def _model(self, key: int, sampler: Any, x: np.ndarray, y: np.ndarray, n_trials: int,
               warped: bool, n: int):
        """The GP of rows ``x``, ``y``, a subset of ``n`` observations; refitted on the
        schedule of the number of observations, not of the subset's size."""
        from engine._gp import gp as gp_mod
        from engine.samplers.bayes import _ALWAYS_REFIT, _CHEAP_REFIT, _REFIT_GROWTH

        theta, last = self._theta.get(key), self._n_fitted.get(key, 0)
        n_num = sampler._get_encoding().n_num
        if theta is None or (n != last and (n < _ALWAYS_REFIT or n >= last * _REFIT_GROWTH)):
            fit_rng = np.random.default_rng([sampler._entropy, n_trials, 2, key])
            model = gp_mod.fit(x, y, n_num, warm=theta, rng=fit_rng,
                               n_random_starts=1 if n < 100 else 0, warped=warped,
                               cheap=n > _CHEAP_REFIT)
            self._theta[key], self._n_fitted[key] = model.theta, n
            return model
        return gp_mod.build(x, y, n_num, theta, warped=warped)

    def ranked(self, sampler: Any, trials: Sequence[Trial], rng: np.random.Generator
               ) -> np.ndarray:
        """Unit-cube points, best acquisition first (see the module docstring)."""
        from engine._gp import acquisition as acq_mod
        from engine._gp.optimize import maximize

        done = [t for t in trials if t.state is TrialState.COMPLETE and t.value is not None
                and np.isfinite(float(t.value))]
        failed = [t for t in trials if t.state in (TrialState.FAILED, TrialState.PRUNED)]
        pending = [t for t in trials if t.state is TrialState.RUNNING]
        weights = rng.dirichlet(np.ones(len(self.goals)))
        scores = chebyshev(objective_matrix(done, self.goals), weights)
        y = np.concatenate([scores, np.full(len(failed), scores.max())])
        keep = model_subset(y, np.random.default_rng([sampler._entropy, len(trials), 3]))
        observed = [*done, *failed]
        x = sampler._feature_rows([observed[i] for i in keep])
        model = self._model(0, sampler, x, y[keep], len(trials), warped=True, n=len(y))
        fp = sampler._feature_rows(pending) if pending else None
        if fp is not None:
            model = model.with_points(fp, model.predict(fp)[0])

        kept_done = keep[keep < len(done)]  # the model's first rows, in this order
        feasible = np.ones(len(done), dtype=bool)
        limits = []
        for k, c in enumerate(self.limits):
            feasible &= meets(c, done)
            fitted = self._limit_model(k, c, sampler, [done[i] for i in kept_done],
                                       len(done), trials, fp)
            if fitted is not None:
                limits.append(fitted)
        modelled_feasible = feasible[kept_done]
        best = (float(np.min(model.train_mean[: len(kept_done)][modelled_feasible]))
                if modelled_feasible.any() else None)

        def acq(f: np.ndarray, with_grad: bool):
            if with_grad:
                mean, std, dmean, dstd = model.predict_with_grad(f)
            else:
                mean, std = model.predict(f)
            if best is not None:
                value, gm, gs = acq_mod.log_ei(mean, std, best, 0.0)
            else:
                value, gm, gs = np.zeros_like(mean), np.zeros_like(mean), np.zeros_like(std)
            grad = (gm[:, None] * dmean + gs[:, None] * dstd) if with_grad else None
            for cmodel, lo, hi in limits:
                if with_grad:
                    cm, cs, dcm, dcs = cmodel.predict_with_grad(f)
                else:
                    cm, cs = cmodel.predict(f)
                for bound, flip in ((hi, 1.0), (lo, -1.0)):
                    if bound is None:
                        continue
                    # log P(flip * c < flip * bound), as log PI with no margin.
                    v, g_m, g_s = acq_mod.log_pi(flip * cm, cs, flip * bound, 0.0)
                    value = value + v
                    if with_grad:
                        grad = grad + (flip * g_m)[:, None] * dcm + g_s[:, None] * dcs
            return (value, grad) if with_grad else value

        extra = sampler._perturbed_best(done, np.where(feasible, scores, np.inf), rng)
        from engine.samplers.bayes import _CANDIDATES, _REFINE

        ranked, _ = maximize(acq, sampler._get_encoding(), rng, n_candidates=_CANDIDATES,
                             n_refine=_REFINE, extra=extra)
        return ranked

    def _limit_model(self, k: int, c: Limit, sampler: Any, done: Sequence[Trial], n: int,
                     trials: Sequence[Trial], fp: np.ndarray | None):
        """A GP of one constraint's metric over ``done`` (a subset of ``n`` complete
        trials) with its bounds in the model's standardised units; ``None`` with under two
        observations."""
        raw = np.array([_metric(t, c.metric) for t in done])
        seen = np.isfinite(raw)
        if seen.sum() < 2:
            return None
        vals = raw[seen]
        bounds = [c.min, c.max]
        # Times and sizes span orders of magnitude: model their log, where a GP fits better.
        use_log = bool(np.all(vals > 0)) and all(b is None or b > 0 for b in bounds)
        if use_log:
            vals = np.log(vals)
            bounds = [None if b is None else float(np.log(b)) for b in bounds]
        x = sampler._feature_rows([t for t, s in zip(done, seen) if s])
        model = self._model(k + 1, sampler, x, vals, len(trials), warped=False, n=n)
        if fp is not None:
            model = model.with_points(fp, model.predict(fp)[0])
        lo, hi = ((None if b is None else (b - model.shift) / model.scale) for b in bounds)
        return model, lo, hi


def meets(c: Limit, trials: Sequence[Trial]) -> np.ndarray:
    """Which trials report the constraint's metric within its limit."""
    values = (_metric(t, c.metric) for t in trials)
    return np.array([np.isfinite(v) and c.violation(v) <= 0 for v in values], dtype=bool)
