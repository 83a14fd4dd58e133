"""Every optimizer of benchmarks/bayes_vs_peers.py behind two calls.

- ``run(problem, seed, budget) -> Run``: the objective's values and the configurations in
  trial order, the time the optimizer spent choosing each trial (its overhead per trial),
  and, for an optimizer that exposes one, its best *predicted* configuration at each of
  ``CHECKPOINTS`` (what its model expects to be best, not the luckiest value);
- ``ask_times(problem, history, n_asks) -> seconds``: the overhead of the next ``n_asks``
  trials after a history of (params, value) pairs was given to the optimizer.

Knobs drives its study through the documented ask/tell API (docs/python-api.md). Peers are
imported lazily: one that is not installed is reported by :func:`available` and skipped.
HEBO runs in an environment of its own (benchmarks/_peer_hebo.py says why); SMAC3 in this
one (benchmarks/_peer_smac.py).
"""

from __future__ import annotations

import importlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from benchmarks._problems import Problem
from engine.space import CategoricalParam, FixedParam, FloatParam, IntParam, Param, SearchSpace
from engine.spec import StudySpec
from engine.study import Study
from engine.trial import Trial, TrialState

CHECKPOINTS = (25, 50, 100)


@dataclass
class Run:
    """One optimizer's run: per trial its value, params and ask time; ``predicted`` maps a
    checkpoint (trials done) to the configuration the optimizer's model expects best."""

    values: list[float] = field(default_factory=list)
    ask_s: list[float] = field(default_factory=list)
    params: list[dict[str, Any]] = field(default_factory=list)
    predicted: dict[int, dict[str, Any]] = field(default_factory=dict)
    # The optimizer stopped before the budget: it has nothing left to propose, so its best
    # stands at every later checkpoint.
    exhausted: bool = False

    def add(self, params: dict[str, Any], value: float, seconds: float) -> None:
        self.params.append(dict(params))
        self.values.append(float(value))
        self.ask_s.append(seconds)


# Optimizer name -> the module it needs (None: only Knobs itself).
NEEDS: dict[str, str | None] = {
    "knobs-random": None, "knobs-sobol": None, "knobs-bayes": None,
    "optuna-tpe": "optuna", "optuna-tpe-indep": "optuna", "optuna-gp": "torch",
    "skopt-gp": "skopt", "hyperopt-tpe": "hyperopt", "hebo": "hebo", "smac": "smac",
}


def available(name: str) -> str | None:
    """None when the optimizer can run, else why not (a missing package)."""
    if name == "hebo":
        from benchmarks import _peer_hebo

        return _peer_hebo.available()
    module = NEEDS[name]
    for mod in (["optuna", module] if name == "optuna-gp" else [module]):
        if mod is None:
            continue
        try:
            importlib.import_module(mod)
        except ImportError as exc:
            return f"{mod} is not importable ({exc}); install the 'bench' extra"
    return None


def active(params: tuple[Param, ...], values: dict[str, Any]) -> dict[str, Any]:
    """``values`` reduced to the parameters whose conditions hold (parents first)."""
    space = SearchSpace(params)
    return {p.name: values[p.name] for p in space.active(values) if p.name in values}


# ---------------------------------------------------------------------- Knobs


def _knobs_spec(problem: Problem, sampler: str, seed: int, trials: int | None) -> StudySpec:
    # The objective is run here, not by the study: the spec's objective is only a label.
    return StudySpec(name=problem.name, params=problem.params, sampler=sampler, seed=seed,
                     objective={"kind": "python", "path": "benchmarks/_problems.py",
                                "function": problem.name},
                     trials=trials)


def knobs_run(sampler: str) -> Callable[[Problem, int, int], Run]:
    def run(problem: Problem, seed: int, budget: int) -> Run:
        study = Study.create(_knobs_spec(problem, sampler, seed, budget))
        out = Run()
        while True:
            start = time.perf_counter()
            trial = study.ask()
            seconds = time.perf_counter() - start
            if trial is None:
                return out
            value = problem.func(trial.params)
            study.tell(trial.number, TrialState.COMPLETE, value=value)
            out.add(trial.params, value, seconds)
            # The bayes sampler names the trial its model expects best (noisy scores).
            predict = getattr(study.sampler, "best_predicted", None)
            if predict is not None and len(out.values) in CHECKPOINTS:
                best = predict(study.trials)
                if best is not None:
                    out.predicted[len(out.values)] = dict(best.params)
    return run


def knobs_ask_times(sampler: str):
    def ask_times(problem: Problem, history: list[tuple[dict, float]], n_asks: int):
        trials = [Trial(i, dict(p), TrialState.COMPLETE, v) for i, (p, v) in enumerate(history)]
        study = Study(_knobs_spec(problem, sampler, 0, None), trials=trials)
        out = []
        for _ in range(n_asks):
            start = time.perf_counter()
            trial = study.ask()
            out.append(time.perf_counter() - start)
            study.tell(trial.number, TrialState.COMPLETE, value=problem.func(trial.params))
        return out
    return ask_times


# ---------------------------------------------------------------------- Optuna


def _optuna_sampler(name: str, seed: int) -> Any:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if name == "optuna-tpe":
        # The default: multivariate TPE since Optuna 5 (independent TPE before).
        return optuna.samplers.TPESampler(seed=seed)
    if name == "optuna-tpe-indep":
        return optuna.samplers.TPESampler(seed=seed, multivariate=False)
    # Its fallback to random sampling for conditional parameters is by design: not a warning.
    return optuna.samplers.GPSampler(seed=seed, warn_independent_sampling=False)


def _optuna_distribution(p: Param) -> Any:
    from optuna import distributions as d

    if isinstance(p, FloatParam):
        return d.FloatDistribution(p.low, p.high, log=p.log, step=p.step)
    if isinstance(p, IntParam):
        return d.IntDistribution(p.low, p.high, log=p.log, step=p.step)
    return d.CategoricalDistribution(p.choices)


def _optuna_suggest(trial: Any, params: tuple[Param, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in SearchSpace(params).params:
        if p.condition is not None and not p.condition.holds(out):
            continue
        if isinstance(p, FixedParam):
            out[p.name] = p.value
        elif isinstance(p, FloatParam):
            out[p.name] = trial.suggest_float(p.name, p.low, p.high, log=p.log, step=p.step)
        elif isinstance(p, IntParam):
            out[p.name] = trial.suggest_int(p.name, p.low, p.high, log=p.log, step=p.step)
        else:
            out[p.name] = trial.suggest_categorical(p.name, p.choices)
    return out


def optuna_run(name: str):
    def run(problem: Problem, seed: int, budget: int) -> Run:
        import optuna

        study = optuna.create_study(sampler=_optuna_sampler(name, seed))
        out = Run()
        for _ in range(budget):
            start = time.perf_counter()
            trial = study.ask()
            params = _optuna_suggest(trial, problem.params)
            seconds = time.perf_counter() - start
            value = problem.func(params)
            study.tell(trial, value)
            out.add(params, value, seconds)
        return out
    return run


def optuna_ask_times(name: str):
    def ask_times(problem: Problem, history: list[tuple[dict, float]], n_asks: int):
        import optuna

        study = optuna.create_study(sampler=_optuna_sampler(name, 0))
        space = SearchSpace(problem.params)
        study.add_trials([
            optuna.trial.create_trial(
                params={k: v for k, v in p.items() if not isinstance(space[k], FixedParam)},
                distributions={k: _optuna_distribution(space[k]) for k in p
                               if not isinstance(space[k], FixedParam)},
                value=v)
            for p, v in history])
        out = []
        for _ in range(n_asks):
            start = time.perf_counter()
            trial = study.ask()
            params = _optuna_suggest(trial, problem.params)
            out.append(time.perf_counter() - start)
            study.tell(trial, problem.func(params))
        return out
    return ask_times


# ---------------------------------------------------------------------- scikit-optimize


def _skopt_dimensions(params: tuple[Param, ...]) -> tuple[list[Param], list[Any]]:
    from skopt.space import Categorical, Integer, Real

    kept, dims = [], []
    for p in SearchSpace(params).params:
        if isinstance(p, FixedParam):
            continue
        kept.append(p)
        prior = "log-uniform" if getattr(p, "log", False) else "uniform"
        if isinstance(p, CategoricalParam):
            dims.append(Categorical(list(p.choices), name=p.name))
        elif isinstance(p, IntParam):
            dims.append(Integer(p.low, p.high, prior=prior, name=p.name))
        elif p.step is not None:
            # A stepped float as the index of its step (skopt has no stepped reals).
            dims.append(Integer(0, round((p.high - p.low) / p.step), name=p.name))
        else:
            dims.append(Real(p.low, p.high, prior=prior, name=p.name))
    return kept, dims


def _skopt_params(problem: Problem, kept: list[Param], x: list[Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for p, v in zip(kept, x):
        v = v.item() if isinstance(v, np.generic) else v  # numpy str_ is not a str choice
        if isinstance(p, FloatParam) and p.step is not None:
            v = round(p.low + int(v) * p.step, 12)
        elif isinstance(p, IntParam):
            v = int(v)
        elif isinstance(p, FloatParam):
            v = float(v)
        values[p.name] = v
    for p in problem.params:
        if isinstance(p, FixedParam):
            values[p.name] = p.value
    # skopt has no conditions: it draws every parameter; the inactive ones are dropped.
    return active(problem.params, values)


def _skopt_optimizer(dims: list[Any], seed: int) -> Any:
    # The settings gp_minimize uses, as an ask/tell optimizer.
    from skopt import Optimizer
    from skopt.space import Space
    from skopt.utils import cook_estimator

    rng = np.random.RandomState(seed)
    space = Space(dims)
    estimator = cook_estimator("GP", space=space, random_state=rng.randint(0, 2**31 - 1),
                               noise="gaussian")
    return Optimizer(space, estimator, n_initial_points=10, initial_point_generator="random",
                     acq_func="gp_hedge", acq_optimizer="lbfgs", random_state=rng,
                     acq_optimizer_kwargs={"n_points": 10000, "n_restarts_optimizer": 5,
                                           "n_jobs": 1},
                     acq_func_kwargs={"xi": 0.01, "kappa": 1.96})


def skopt_run(problem: Problem, seed: int, budget: int) -> Run:
    from skopt.utils import expected_minimum

    kept, dims = _skopt_dimensions(problem.params)
    opt = _skopt_optimizer(dims, seed)
    out = Run()
    start = time.perf_counter()
    for _ in range(budget):
        x = opt.ask()
        seconds = time.perf_counter() - start
        params = _skopt_params(problem, kept, x)
        value = problem.func(params)
        start = time.perf_counter()
        result = opt.tell(x, value)  # skopt fits its model and picks the next point here
        out.add(params, value, seconds)
        if len(out.values) in CHECKPOINTS and opt.models:
            # skopt's documented incumbent for noisy objectives: the model's minimum.
            x_min, _ = expected_minimum(result, n_random_starts=5, random_state=seed)
            out.predicted[len(out.values)] = _skopt_params(problem, kept, x_min)
            start = time.perf_counter()  # that search is not part of the next ask
    return out


def skopt_ask_times(problem: Problem, history: list[tuple[dict, float]], n_asks: int):
    kept, dims = _skopt_dimensions(problem.params)
    opt = _skopt_optimizer(dims, 0)

    def row(p: dict[str, Any]) -> list[Any]:
        out = []
        for q, dim in zip(kept, dims):
            v = p.get(q.name, dim.rvs(random_state=0)[0])
            if isinstance(q, FloatParam) and q.step is not None and q.name in p:
                v = round((v - q.low) / q.step)
            out.append(v)
        return out

    xs, ys = [row(p) for p, _ in history], [v for _, v in history]
    out = []
    for _ in range(n_asks):
        # skopt fits its model and chooses the next point in tell(); ask() returns it.
        start = time.perf_counter()
        opt.tell(xs, ys)
        x = opt.ask()
        out.append(time.perf_counter() - start)
        xs, ys = [x], [problem.func(_skopt_params(problem, kept, x))]
    return out


# ---------------------------------------------------------------------- Hyperopt


def _hyperopt_space(params: tuple[Param, ...]) -> dict[str, Any]:
    """A hyperopt space; a categorical parent's children nest under each of its choices."""
    from hyperopt import hp

    space = SearchSpace(params)

    def node(p: Param) -> Any:
        if isinstance(p, FixedParam):
            return p.value
        if isinstance(p, CategoricalParam):
            kids = [c for c in space.params if c.condition and c.condition.parent == p.name]
            if not kids:
                return hp.choice(p.name, list(p.choices))
            return hp.choice(p.name, [
                {"__value__": v, **{c.name: node(c) for c in kids if c.condition.holds(
                    {p.name: v})}} for v in p.choices])
        if any(c.condition and c.condition.parent == p.name for c in space.params):
            raise NotImplementedError("hyperopt adapter: only categorical parents")
        lo, hi = (math.log(p.low), math.log(p.high)) if p.log else (p.low, p.high)
        if isinstance(p, IntParam):
            if p.log:
                return hp.qloguniform(p.name, math.log(p.low - 0.5), math.log(p.high + 0.5), 1)
            return hp.quniform(p.name, p.low - 0.5, p.high + 0.5, p.step)
        if p.step is not None:
            return hp.quniform(p.name, p.low - p.step / 2, p.high + p.step / 2, p.step)
        return (hp.loguniform if p.log else hp.uniform)(p.name, lo, hi)

    return {p.name: node(p) for p in space.params if p.condition is None}


def _hyperopt_params(problem: Problem, drawn: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}

    def walk(d: dict[str, Any]) -> None:
        for k, v in d.items():
            if isinstance(v, dict):
                flat[k] = v["__value__"]
                walk({kk: vv for kk, vv in v.items() if kk != "__value__"})
            else:
                flat[k] = v
    walk(drawn)
    for p in problem.params:
        if p.name in flat and isinstance(p, IntParam):
            flat[p.name] = int(min(max(round(flat[p.name]), p.low), p.high))
        elif p.name in flat and isinstance(p, FloatParam):
            flat[p.name] = min(max(float(flat[p.name]), p.low), p.high)
            if p.step is not None:
                k = round((flat[p.name] - p.low) / p.step)
                flat[p.name] = round(p.low + k * p.step, 12)
    return active(problem.params, flat)


def hyperopt_run(problem: Problem, seed: int, budget: int) -> Run:
    from hyperopt import Trials, fmin, tpe

    out = Run()
    last = [time.perf_counter()]

    def objective(drawn: dict[str, Any]) -> float:
        seconds = time.perf_counter() - last[0]
        params = _hyperopt_params(problem, drawn)
        out.add(params, problem.func(params), seconds)
        last[0] = time.perf_counter()
        return out.values[-1]

    fmin(objective, _hyperopt_space(problem.params), algo=tpe.suggest, max_evals=budget,
         trials=Trials(), rstate=np.random.default_rng(seed), show_progressbar=False)
    return out


def hyperopt_ask_times(problem: Problem, history: list[tuple[dict, float]], n_asks: int):
    # Hyperopt takes no outside history: run it to len(history) + n_asks trials on the
    # problem itself and keep the overhead of the last n_asks.
    return hyperopt_run(problem, 0, len(history) + n_asks).ask_s[-n_asks:]


def _hebo_run(problem: Problem, seed: int, budget: int) -> Run:
    from benchmarks import _peer_hebo

    return _peer_hebo.run(problem, seed, budget)


def _hebo_ask_times(problem: Problem, history: list[tuple[dict, float]], n_asks: int):
    from benchmarks import _peer_hebo

    return _peer_hebo.ask_times(problem, history, n_asks)


def _smac_run(problem: Problem, seed: int, budget: int) -> Run:
    from benchmarks import _peer_smac

    return _peer_smac.run(problem, seed, budget)


def _smac_ask_times(problem: Problem, history: list[tuple[dict, float]], n_asks: int):
    from benchmarks import _peer_smac

    return _peer_smac.ask_times(problem, history, n_asks)


RUNS: dict[str, Callable[[Problem, int, int], Run]] = {
    "knobs-random": knobs_run("random"), "knobs-sobol": knobs_run("sobol"),
    "knobs-bayes": knobs_run("bayes"),
    "optuna-tpe": optuna_run("optuna-tpe"),
    "optuna-tpe-indep": optuna_run("optuna-tpe-indep"),
    "optuna-gp": optuna_run("optuna-gp"), "skopt-gp": skopt_run, "hyperopt-tpe": hyperopt_run,
    "hebo": _hebo_run, "smac": _smac_run,
}
ASK_TIMES: dict[str, Callable[..., list[float]]] = {
    "knobs-random": knobs_ask_times("random"), "knobs-sobol": knobs_ask_times("sobol"),
    "knobs-bayes": knobs_ask_times("bayes"),
    "optuna-tpe": optuna_ask_times("optuna-tpe"),
    "optuna-tpe-indep": optuna_ask_times("optuna-tpe-indep"),
    "optuna-gp": optuna_ask_times("optuna-gp"), "skopt-gp": skopt_ask_times,
    "hyperopt-tpe": hyperopt_ask_times, "hebo": _hebo_ask_times, "smac": _smac_ask_times,
}
