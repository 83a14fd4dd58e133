"""SMAC3 as a peer of benchmarks/bayes_vs_peers.py, through its ask/tell interface.

SMAC3's facade for hyperparameter optimisation with its defaults: a random forest
surrogate (SMAC 2.4 fits scikit-learn's; pyrfr is no longer needed), log-scaled costs,
expected improvement, a Sobol initial design (10 points per parameter, at most a quarter
of the trials) and one random configuration in five. The objective is deterministic, so
the intensifier runs each configuration once. SMAC's ConfigSpace has conditions, so the
conditional parameters are given as such. A stepped float is searched as the index of its
step. The ask time is the call to ``ask()``, where SMAC fits its model and searches.
"""

from __future__ import annotations

import logging
import math
import tempfile
import time
import warnings
from typing import Any

from benchmarks._peers import Run, active
from benchmarks._problems import Problem
from engine.space import CategoricalParam, FixedParam, FloatParam, IntParam, Param, SearchSpace


def _kept(params: tuple[Param, ...]) -> list[Param]:
    return [p for p in SearchSpace(params).params if not isinstance(p, FixedParam)]


def configspace(params: tuple[Param, ...], seed: int) -> Any:
    from ConfigSpace import Categorical, ConfigurationSpace, Float, InCondition, Integer

    cs = ConfigurationSpace(seed=seed)
    kept = _kept(params)
    for p in kept:
        if isinstance(p, CategoricalParam):
            # By index, as text: ConfigSpace wants hashable, sortable choices of one type.
            cs.add(Categorical(p.name, [str(i) for i in range(len(p.choices))]))
        elif isinstance(p, IntParam):
            cs.add(Integer(p.name, (p.low, p.high), log=p.log))
        elif p.step is not None:
            cs.add(Integer(p.name, (0, round((p.high - p.low) / p.step))))
        else:
            cs.add(Float(p.name, (p.low, p.high), log=p.log))
    by_name = {p.name: p for p in kept}
    for p in kept:
        if p.condition is None:
            continue
        parent = by_name.get(p.condition.parent)
        if not isinstance(parent, CategoricalParam):
            # ConfigSpace conditions here are "parent in choices"; the benchmark's
            # problems condition only on categories.
            raise ValueError(f"{p.name}: SMAC3 is given conditions on a categorical parent "
                             f"only; {p.condition.parent} is not one")
        allowed = [str(parent.choices.index(v)) for v in p.condition.values]
        cs.add(InCondition(cs[p.name], cs[parent.name], allowed))
    return cs


def decode(problem: Problem, config: Any) -> dict[str, Any]:
    raw = dict(config)
    values: dict[str, Any] = {}
    for p in _kept(problem.params):
        if p.name not in raw:
            continue  # inactive
        v = raw[p.name]
        if isinstance(p, CategoricalParam):
            v = p.choices[int(v)]
        elif isinstance(p, IntParam):
            v = int(v)
        elif isinstance(p, FloatParam) and p.step is not None:
            v = round(p.low + int(v) * p.step, 12)
        else:
            v = float(v)
        values[p.name] = v
    for p in problem.params:
        if isinstance(p, FixedParam):
            values[p.name] = p.value
    return active(problem.params, values)


def _encode(problem: Problem, params: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for p in _kept(problem.params):
        if p.name not in params:
            continue
        v = params[p.name]
        if isinstance(p, CategoricalParam):
            v = str(p.choices.index(v))
        elif isinstance(p, FloatParam) and p.step is not None:
            v = round((v - p.low) / p.step)
        row[p.name] = v
    return row


def _facade(problem: Problem, seed: int, budget: int, folder: str) -> Any:
    from smac import HyperparameterOptimizationFacade, Scenario

    logging.getLogger("smac").setLevel(logging.ERROR)
    scenario = Scenario(configspace(problem.params, seed), name=f"{problem.name}-{seed}",
                        output_directory=folder, deterministic=True, n_trials=budget,
                        seed=seed)

    def unused(config: Any, seed: int = 0) -> float:
        raise RuntimeError("driven by ask/tell: SMAC never calls the objective itself")

    return HyperparameterOptimizationFacade(scenario, unused, overwrite=True, logging_level=40)


def _value(v: float) -> float:
    return v if math.isfinite(v) else 1e300


def _ask(smac: Any) -> Any:
    with warnings.catch_warnings():
        # numpy's "mean of empty slice" when a conditional parameter is inactive in every
        # configuration of a batch: SMAC handles the NaN, the warning only floods the log.
        warnings.simplefilter("ignore", RuntimeWarning)
        return smac.ask()


def run(problem: Problem, seed: int, budget: int) -> Run:
    from smac.main.exceptions import ConfigurationSpaceExhaustedException
    from smac.runhistory import TrialValue

    out = Run()
    with tempfile.TemporaryDirectory(prefix="knobs-smac-") as folder:
        smac = _facade(problem, seed, budget, folder)
        for _ in range(budget):
            start = time.perf_counter()
            try:
                info = _ask(smac)
            except ConfigurationSpaceExhaustedException:
                # Deterministic SMAC never repeats a configuration: on a small discrete space
                # (k nearest neighbours: 100 configurations) it can run out before the budget.
                out.exhausted = True
                break
            seconds = time.perf_counter() - start
            params = decode(problem, info.config)
            value = problem.func(params)
            smac.tell(info, TrialValue(cost=_value(value)), save=False)
            out.add(params, value, seconds)
    return out


def ask_times(problem: Problem, history: list[tuple[dict, float]], n_asks: int) -> list[float]:
    from ConfigSpace import Configuration
    from smac.runhistory import TrialInfo, TrialValue

    out = []
    with tempfile.TemporaryDirectory(prefix="knobs-smac-") as folder:
        smac = _facade(problem, 0, len(history) + n_asks, folder)
        cs = smac.scenario.configspace
        for params, value in history:
            config = Configuration(cs, values=_encode(problem, params))
            smac.tell(TrialInfo(config=config, seed=0), TrialValue(cost=_value(value)),
                      save=False)
        for _ in range(n_asks):
            start = time.perf_counter()
            info = _ask(smac)
            out.append(time.perf_counter() - start)
            value = problem.func(decode(problem, info.config))
            smac.tell(info, TrialValue(cost=_value(value)), save=False)
    return out
