"""Bayesian optimization: a Gaussian process fitted to the trials picks the next one.

The math lives in :mod:`engine._gp` and is imported on first use, so that listing the
samplers stays cheap; this module adapts trials to it.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from engine.samplers import _bayes_fidelity as fid
from engine.samplers._bayes_rules import (
    MIN_SEPARATION,
    RUNNING_SEPARATION,
    model_subset,
    push_apart,
    starved_choice,
    too_close,
)
from engine.samplers._discrete import NoRepeat
from engine.samplers._pruned import pruned_as_complete
from engine.samplers.base import Sampler
from engine.samplers.sobol import SobolSampler
from engine.space import FloatParam, SearchSpace
from engine.surrogate import one_blas_thread as _one_blas_thread
from engine.trial import Trial, TrialState

# The acquisition functions by name (engine._gp.acquisition, imported on first ask, so
# that options are checked without importing scipy).
_ACQUISITIONS = ("log_ei", "ucb", "pi")
# Hyperparameters are refitted when observations were added (not for asks in parallel while
# none finished), on every such ask up to this many observations, then whenever
# the observations grew by _REFIT_GROWTH since the last fit (every 10 trials at 200, every
# 50 at 1,000): hyperparameters settle as data grows, and a fit is the costly part.
_ALWAYS_REFIT = 64
_REFIT_GROWTH = 1.05
# Past this many observations a refit only refines the last fit (see engine._gp.gp.fit).
_CHEAP_REFIT = 200
# Acquisition search: Sobol candidates, L-BFGS-B starts, perturbations of the best trials.
_CANDIDATES = 1024
_REFINE = 5
_BEST_TO_PERTURB = 3
_PERTURBATIONS = 64
_PERTURB_SCALES = (0.01, 0.05, 0.2)


def default_n_startup(dimension: int) -> int:
    """Sobol trials before the model: one more than the dimension, at least 5, at most 20.

    Fewer than the customary 2d + 1: the GP's priors keep it sensible on little data, and
    every trial spent on the design is one not spent where the model points.
    """
    return max(5, min(dimension + 1, 20))


class BayesSampler(Sampler):
    """Gaussian-process Bayesian optimization for any mix of parameter kinds.

    The first ``n_startup`` trials follow a scrambled Sobol sequence (default: one more
    than the dimension, between 5 and 20; see :func:`default_n_startup`). After that
    each trial maximises an acquisition function of a GP with a Matérn 5/2 kernel, one
    length scale per parameter, a learned noise term and standardised outputs, fitted
    by marginal likelihood with priors:

    - ``acquisition="log_ei"`` (default): log expected improvement over the best
      predicted value among the trials, less a margin ``xi`` (default 0);
    - ``"ucb"``: the optimistic bound ``mean - kappa * std`` (for minimisation);
    - ``"pi"``: log probability of improving by more than ``xi`` (default 0.01).
      ``xi`` is in units of the standard deviation of the (warped) values seen.

    Values are Yeo-Johnson transformed before fitting (see :func:`engine._gp.gp.warp`), so
    a few huge losses do not drown out the differences among good ones.

    Log-scale parameters are modelled in log space; ints and stepped floats are rounded
    exactly as they will be tried; categoricals by an overlap kernel; a conditional
    parameter is modelled where it is active (see :mod:`engine._gp.encoding`).

    Running trials are fantasised at the model's mean (the "kriging believer"): the model
    becomes sure about them, so workers asking in parallel are sent elsewhere. Failed
    trials count as the worst value seen so far, so that the sampler steers away from
    configurations that crash without letting them stretch the scale of the values.
    Pruned trials follow :attr:`pruned_rule`: ``"ignore"`` leaves them out of the model,
    which learns from complete trials only, while no suggestion repeats a pruned
    configuration; ``"fidelity"`` models every trial at the step it reached in one GP with
    the step as an input, asked about the full length
    (:mod:`engine.samplers._bayes_fidelity`); ``"late"`` (the default) does so too, but
    starts the model only when ``"ignore"`` would; ``"checked"`` does so only with the pruned
    trials from steps where the complete trials' values rank like their final ones;
    ``"bohb"`` models the deepest rung enough trials reached
    (:mod:`engine.samplers._pruned`), as several objectives always do.
    Interrupted trials are ignored.

    Around the model (engine/samplers/_bayes_rules.py): no suggestion repeats a finished
    or running trial (closer than 1e-4, or 1e-3 to a running one, in the continuous unit
    coordinates); quantized values (ties, as accuracy gives) keep a noise floor of their
    rounding and EI counts only improvements past half a step; a categorical choice tried
    fewer than ceil(sqrt(n / k)) times gets the next trial, with random other values; past
    400 observations the model holds the best 120 and a random draw of the rest, and past
    200 a refit only refines the last fit, so an ask stays a fraction of a second.
    :meth:`best_predicted` is the trial EI measures improvement from.

    With a seed the suggestions depend only on the history of asks (the model's last fit
    warm-starts the next). In a purely discrete space no configuration is suggested twice.
    """

    name = "bayes"
    # What the model learns from pruned trials. On the five tasks of
    # benchmarks/pruning_vs_peers.py "late" beat leaving them out ("ignore": 59 better, 33
    # worse over 20 seeds x 3 budgets) and counting them as the worst value (85 / 28 over
    # 10 seeds); "fidelity", "bohb" and "checked" were behind or level with "ignore"
    # (docs/benchmarks.md).
    pruned_rule = "late"

    def __init__(
        self,
        space: SearchSpace,
        *,
        direction: str = "minimize",
        seed: int | None = None,
        n_startup: int | None = None,
        acquisition: str = "log_ei",
        kappa: float = 2.0,
        xi: float | None = None,
    ):
        super().__init__(space, direction=direction, seed=seed)
        problems = []
        if n_startup is not None and (
            isinstance(n_startup, bool) or not isinstance(n_startup, numbers.Integral)
            or n_startup < 1
        ):
            problems.append(f"sampler.n_startup = {n_startup!r}: expected a whole number >= 1,"
                            " or none for the default")
        if acquisition not in _ACQUISITIONS:
            problems.append(f"sampler.acquisition = {acquisition!r}: expected one of "
                            f"{', '.join(_ACQUISITIONS)}")
        for key, value, rule in (("kappa", kappa, "> 0"), ("xi", xi, ">= 0")):
            if key == "xi" and value is None:
                continue
            if (isinstance(value, bool) or not isinstance(value, numbers.Real)
                    or not math.isfinite(value) or value < 0 or (rule == "> 0" and value == 0)):
                problems.append(f"sampler.{key} = {value!r}: expected a number {rule}")
        if problems:
            raise ValueError("\n".join(problems))
        self.n_startup = (int(n_startup) if n_startup is not None
                          else default_n_startup(space.dimension))
        self.acquisition = acquisition
        self.kappa = float(kappa)
        self.xi = float(xi) if xi is not None else (0.01 if acquisition == "pi" else 0.0)
        self._entropy = np.random.SeedSequence(seed).entropy
        self._startup = SobolSampler(space, direction=direction, seed=self._entropy)
        self._no_repeat = NoRepeat(space) if space.is_discrete else None
        self._encoding: Any = None
        self._features: dict[int, tuple[dict[str, Any], np.ndarray]] = {}
        self._theta: np.ndarray | None = None
        self._n_fitted = 0
        self._warp_lambda: float | None = None
        # The fidelity model's own fit (theta, observations, warp): it has one more column.
        self._fidelity_fit: tuple[np.ndarray | None, int, float | None] = (None, 0, None)
        self._multi: Any = None  # several objectives or constraints: samplers/_bayes_multi.py

    @property
    def size(self) -> int | None:
        return None if self._no_repeat is None else self._no_repeat.size

    def after_trial(self, trial: Trial) -> None:
        # The start-up design and the no-repeat rule keep what trials hold incrementally.
        self._startup.after_trial(trial)
        if self._no_repeat is not None:
            self._no_repeat.observe(trial)

    def use_goals(self, goals, limits) -> None:
        """Search for the Pareto front of several objectives under constraints, by random
        Chebyshev scalarisations and probability of feasibility (samplers/_bayes_multi.py)."""
        from engine.samplers._bayes_multi import MultiGoal

        self._multi = MultiGoal(goals, limits)

    # --- ask --------------------------------------------------------------------------

    def ask(self, trials: Sequence[Trial]) -> dict[str, Any] | None:
        # The model sees pruned trials by pruned_rule (samplers/_bayes_fidelity.py, or the
        # view of samplers/_pruned.py), and starts once it holds n_startup of them; what was
        # tried (no repeats) is read from the trials as they are.
        modelled, fidelity = self._modelled(trials)
        n_complete = sum(1 for t in modelled if _usable(t)
                         or (fidelity and t.state is TrialState.PRUNED and t.intermediate))
        # Under "late" the model starts as under "ignore", once n_startup trials ended
        # unpruned: under ASHA that keeps the space-filling design for longer, and starting
        # the model sooner on pruned trials did worse in benchmarks/pruning_vs_peers.py.
        late = self._multi is None and self.pruned_rule == "late"
        counted = _unpruned(trials) if late else modelled
        started = sum(1 for t in counted if t.state is not TrialState.INTERRUPTED)
        if self.space.dimension == 0 or started < self.n_startup or n_complete < 2:
            return self._startup.ask(trials)
        rng = np.random.default_rng([self._entropy, len(trials)])
        with _one_blas_thread():
            if self._multi is not None:
                ranked = self._multi.ranked(self, modelled, rng)
            else:
                ranked = self._ranked(modelled, rng, fidelity)
            ranked = self._apart(ranked, trials, rng)
        candidates = (self.space.decode(u) for u in ranked)
        if self._no_repeat is None:
            return next(candidates)
        return self._no_repeat.choose(candidates, rng)

    def _modelled(self, trials: Sequence[Trial]) -> tuple[list[Trial], bool]:
        """The trials as the model sees them, by :attr:`pruned_rule`, and whether it models
        them by fidelity (one objective, some trial pruned)."""
        rule = None if self._multi is not None else self.pruned_rule
        if rule == "checked":
            trials = fid.agreeing(trials, self.direction)
            return trials, fid.has_pruned(trials)
        if rule in ("fidelity", "late") and fid.has_pruned(trials):
            return list(trials), True
        if rule == "ignore":
            return _unpruned(trials), False
        return pruned_as_complete(trials, self.direction), False

    def _model(self, trials: Sequence[Trial], fidelity: bool = False
               ) -> tuple[Any, list[Trial], np.ndarray, np.ndarray, list[Trial]]:
        """The GP of the finished trials (hyperparameters refitted on the schedule above),
        the complete trials, their values to minimise, which observations (complete
        trials first, then pruned ones with ``fidelity``, then failed ones) the GP holds,
        in order, and the trials whose configurations it holds a value of (complete, and
        pruned with ``fidelity``).

        With ``fidelity`` the GP has one more numeric column, the step each value was
        reported at (see engine/samplers/_bayes_fidelity.py); rows for it go through
        :func:`_bayes_fidelity.lift`.

        Past _bayes_rules.MODEL_POINTS observations it is conditioned on a subset of them
        (subset of data: the best plus a random draw of the rest) and refits only refine
        the last fit, so that no ask costs more than a fraction of a second however long
        the study grows.
        """
        from engine._gp import gp as gp_mod

        enc = self._get_encoding()
        if fidelity:
            done, pruned, z, y = fid.observations(trials, self.direction, _usable)
            seen = {t.number for t in pruned}
            failed = [t for t in trials if t.state is TrialState.FAILED
                      or (t.state is TrialState.PRUNED and t.number not in seen)]
            observed = [*done, *pruned]
            x = fid.lift(self._feature_rows([*observed, *failed]), enc.n_num,
                         np.concatenate([z, np.ones(len(failed))]))
            y = np.concatenate([y, np.full(len(failed), y.max())])
            n_num, (theta, n_fitted, warp) = enc.n_num + 1, self._fidelity_fit
        else:
            done, x, y = self._data(trials, self._feature_rows)
            observed = done
            n_num, theta, n_fitted, warp = (enc.n_num, self._theta, self._n_fitted,
                                            self._warp_lambda)
        n = len(y)
        keep = model_subset(y, np.random.default_rng([self._entropy, len(trials), 3]))
        mx, my = x[keep], y[keep]
        if theta is None or (n != n_fitted and (
                n < _ALWAYS_REFIT or n >= n_fitted * _REFIT_GROWTH)):
            # Its own stream, so that whether this ask refits does not change the search.
            fit_rng = np.random.default_rng([self._entropy, len(trials), 2])
            model = gp_mod.fit(mx, my, n_num, warm=theta, rng=fit_rng,
                               n_random_starts=1 if n < 100 else 0, warped=True,
                               quantized=True, cheap=n > _CHEAP_REFIT)
            if fidelity:
                self._fidelity_fit = (model.theta, n, model.warp_lambda)
            else:
                self._theta, self._n_fitted = model.theta, n
                self._warp_lambda = model.warp_lambda
        else:
            model = gp_mod.build(mx, my, n_num, theta, warped=True, quantized=True,
                                 warp_lambda=warp)
        return model, done, y[: len(done)], keep, observed

    def best_predicted(self, trials: Sequence[Trial]) -> Trial | None:
        """The complete trial the model expects to be best: on a noisy objective, a
        better estimate of the best configuration than the luckiest single score, and the
        incumbent that expected improvement is measured from. ``None`` before the model
        starts (under two complete trials); then the best complete trial by value."""
        modelled, fidelity = self._modelled(trials)
        done = [t for t in modelled if _usable(t)]
        if len(done) < 2 or self.space.dimension == 0:
            return min(done, key=self._loss, default=None)
        with _one_blas_thread():
            model, done, _, keep, _ = self._model(modelled, fidelity)
        complete = keep < len(done)
        best = int(np.argmin(model.train_mean[complete]))
        return done[int(keep[complete][best])]

    def _loss(self, t: Trial) -> float:
        return -float(t.value) if self.direction == "maximize" else float(t.value)

    def _ranked(self, trials: Sequence[Trial], rng: np.random.Generator,
                fidelity: bool = False) -> np.ndarray:
        """Unit-cube points, best acquisition first; with ``fidelity``, by the model of
        every trial at the step it reached, asked about the full length."""
        from engine._gp import acquisition as acq_mod
        from engine._gp.optimize import maximize

        enc = self._get_encoding()
        model, done, y_done, keep, observed = self._model(trials, fidelity)

        def full(f: np.ndarray) -> np.ndarray:  # rows of the model: at the full length
            return fid.lift(f, enc.n_num) if fidelity else f

        if fidelity and not (keep < len(done)).any():
            # No trial ran to the end yet (or none is among the observations modelled):
            # from the best full-length value predicted for a configuration tried, and
            # candidates near those.
            y_done = model.predict(full(self._feature_rows(observed)))[0]
            best, done = float(np.min(y_done)), observed
        else:
            best = float(np.min(model.train_mean[keep < len(done)]))
        # Quantized values: an improvement smaller than half a step is rounding, not real
        # (see engine._gp.gp.quantum); expected improvement counts only what passes it.
        xi = self.xi
        if model.noise_floor > 0:
            xi = max(xi, 0.5 * math.sqrt(12.0 * model.noise_floor))
        pending = [t for t in trials if t.state is TrialState.RUNNING]
        if pending:
            # Kriging believer: the running trials are taken to score what the model expects,
            # and count as seen, so nothing near them promises an improvement any more.
            fp = full(self._feature_rows(pending))
            believed = model.predict(fp)[0]
            model = model.with_points(fp, believed)
            best = min(best, float(believed.min()))

        def acq(f: np.ndarray, with_grad: bool):
            if not with_grad:
                return self._acq(acq_mod, *model.predict(full(f)), best, xi)[0]
            mean, std, dmean, dstd = model.predict_with_grad(full(f))
            v, gm, gs = self._acq(acq_mod, mean, std, best, xi)
            grad = gm[:, None] * dmean + gs[:, None] * dstd
            # The fidelity column is fixed at the full length: no gradient along it.
            return v, (np.delete(grad, enc.n_num, axis=1) if fidelity else grad)

        extra = self._perturbed_best(done, y_done, rng)
        starved = self._starved(trials)
        if starved is not None:
            point = self._random_with(*starved, rng)
            if point is not None:
                return point
        ranked, _ = maximize(acq, enc, rng, n_candidates=_CANDIDATES, n_refine=_REFINE,
                             extra=extra)
        return ranked

    def _random_with(self, column: int, choice: int, rng: np.random.Generator
                     ) -> np.ndarray | None:
        """A random unit-cube point whose feature ``column`` (a categorical) is ``choice``.

        A starved choice (see _bayes_rules.starved_choice) gets random values of the other
        parameters, not the acquisition's pick: the model knows little of that choice, so
        its pick lands in a corner of the others (where its uncertainty is largest) or where
        other choices did well, and either can miss the choice's own optimum. On a problem
        whose best choice has its own narrow optimum this took the right choice from 2 to 5
        of 6 seeds (benchmarks/bayes_rules.py, category4).
        """
        enc = self._get_encoding()
        param = enc.categorical[column - enc.n_num]
        u = rng.random((64, self.space.dimension))
        u[:, self.space.dim_of(param.name)] = (choice + 0.5) / len(param.choices)
        ok = enc.from_unit(u)[:, column] == choice  # the choice may need a parent's value
        return u[ok][:1] if ok.any() else None

    def _starved(self, trials: Sequence[Trial]) -> tuple[int, int] | None:
        enc = self._get_encoding()
        if not enc.categorical:
            return None
        tried = [t for t in trials if t.state is not TrialState.INTERRUPTED]
        return starved_choice(self._feature_rows(tried), enc.n_num,
                              [len(p.choices) for p in enc.categorical])

    def _apart(self, ranked: np.ndarray, trials: Sequence[Trial],
               rng: np.random.Generator) -> np.ndarray:
        """``ranked`` without the points that repeat a tried or running trial (see
        _bayes_rules.MIN_SEPARATION); if all do, the best moved just far enough away (a
        corner optimum is otherwise suggested again and again, and parallel workers get
        twins)."""
        enc = self._get_encoding()
        finished = [t for t in trials
                    if t.state not in (TrialState.INTERRUPTED, TrialState.RUNNING)]
        running = [t for t in trials if t.state is TrialState.RUNNING]
        if not (finished or running) or not len(ranked):
            return ranked
        continuous = self._continuous_columns()
        groups = [(self._feature_rows(finished), MIN_SEPARATION),
                  (self._feature_rows(running), RUNNING_SEPARATION)]

        def close(u: np.ndarray) -> np.ndarray:
            f = enc.from_unit(u)
            return np.any([too_close(f, rows, continuous, gap) for rows, gap in groups],
                          axis=0)

        bad = close(ranked)
        if not bad.all():
            return ranked[~bad]
        cont_dims = enc.unit_dims[continuous[: enc.n_num]]
        moved = push_apart(ranked[0], close, cont_dims, rng)
        return ranked if moved is None else moved[None, :]

    def _continuous_columns(self) -> np.ndarray:
        """Mask of the feature columns that are continuous floats (no step)."""
        enc = self._get_encoding()
        mask = np.zeros(enc.n_features, dtype=bool)
        for j, p in enumerate(enc.numeric):
            mask[j] = isinstance(p, FloatParam) and p.step is None
        return mask

    def _acq(self, acq_mod: Any, mean: np.ndarray, std: np.ndarray, best: float,
             xi: float):
        if self.acquisition == "ucb":
            return acq_mod.ucb(mean, std, self.kappa)
        if self.acquisition == "pi":
            return acq_mod.log_pi(mean, std, best, xi)
        return acq_mod.log_ei(mean, std, best, xi)

    def _data(self, trials: Sequence[Trial], rows: Any) -> tuple[list[Trial], np.ndarray,
                                                                  np.ndarray]:
        """Complete trials first, then failed ones; their features and values to minimise
        (failed ones at the worst complete value)."""
        done = [t for t in trials if _usable(t)]
        failed = [t for t in trials
                  if t.state in (TrialState.FAILED, TrialState.PRUNED) and not _usable(t)]
        sign = -1.0 if self.direction == "maximize" else 1.0
        y = np.array([sign * float(t.value) for t in done])
        if len(y):
            y = np.concatenate([y, np.full(len(failed), y.max())])
        else:
            failed = []
        return done, rows([*done, *failed]), y

    def _perturbed_best(self, done: list[Trial], y: np.ndarray,
                        rng: np.random.Generator) -> np.ndarray:
        """Candidates near the best trials: Sobol points alone rarely land close enough to
        an optimum to refine it once the model is sure where it is."""
        best = np.argsort(y, kind="stable")[:_BEST_TO_PERTURB]
        centres = np.array([self.space.encode(done[i].params) for i in best])
        centres = np.where(np.isnan(centres), rng.random(centres.shape), centres)
        centres = np.repeat(centres, _PERTURBATIONS, axis=0)
        scales = rng.choice(_PERTURB_SCALES, size=(len(centres), 1))
        return np.clip(centres + scales * rng.standard_normal(centres.shape), 0.0, 1.0)

    def _get_encoding(self) -> Any:
        if self._encoding is None:
            from engine._gp.encoding import Encoding

            self._encoding = Encoding(self.space)
        return self._encoding

    def _feature_rows(self, trials: Sequence[Trial]) -> np.ndarray:
        """Feature rows of trials, remembered per params dict (a trial keeps its dict when
        it finishes), so a long history is not re-encoded on every ask."""
        enc, known = self._get_encoding(), self._features
        out = np.empty((len(trials), enc.n_features))
        for i, t in enumerate(trials):
            entry = known.get(id(t.params))
            if entry is None or entry[0] is not t.params:
                entry = known[id(t.params)] = (t.params, enc.from_params([t.params])[0])
            out[i] = entry[1]
        if len(known) > 2 * len(trials) + 64:
            self._features = {id(t.params): known[id(t.params)] for t in trials
                              if id(t.params) in known}
        return out


def _usable(t: Trial) -> bool:
    return (t.state is TrialState.COMPLETE and t.value is not None
            and math.isfinite(float(t.value)))


def _unpruned(trials: Sequence[Trial]) -> list[Trial]:
    return [t for t in trials if t.state is not TrialState.PRUNED]
