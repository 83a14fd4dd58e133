"""Importance by functional ANOVA over the random forest, with its spread over the trees,
ranked as Optuna's fANOVA evaluator ranks the same studies."""

import math

import numpy as np
import pytest

from engine.analysis import TrialColumns, param_importance
from engine.space import CategoricalParam, FloatParam, IntParam, SearchSpace
from engine.trial import Trial, TrialState

optuna = pytest.importorskip("optuna")  # in the test extra


def _floats(rng, n):
    space = SearchSpace.of(*(FloatParam(f"x{i}", 0.0, 1.0) for i in range(4)))
    points = [{f"x{i}": float(v) for i, v in enumerate(rng.random(4))} for _ in range(n)]
    values = [8 * p["x0"] + 3 * p["x1"] ** 2 + 1 * math.sin(3 * p["x2"]) + 0.1 * p["x3"]
              for p in points]
    return space, points, values


def _mixed(rng, n):
    space = SearchSpace.of(FloatParam("lr", 1e-5, 1e-1, log=True), IntParam("layers", 1, 8),
                           CategoricalParam("solver", ("adam", "sgd", "lbfgs")),
                           FloatParam("dropout", 0.0, 0.5))
    points = [{"lr": float(10 ** rng.uniform(-5, -1)), "layers": int(rng.integers(1, 9)),
               "solver": str(rng.choice(["adam", "sgd", "lbfgs"])),
               "dropout": float(rng.uniform(0, 0.5))} for _ in range(n)]
    cost = {"adam": 0.0, "sgd": 1.5, "lbfgs": 0.7}
    values = [(math.log10(p["lr"]) + 3) ** 2 + cost[p["solver"]] + 0.05 * p["layers"]
              + 0.01 * p["dropout"] for p in points]
    return space, points, values


def _optuna_ranking(space, points, values):
    dists = {}
    for p in space.params:
        if isinstance(p, CategoricalParam):
            dists[p.name] = optuna.distributions.CategoricalDistribution(p.choices)
        elif isinstance(p, IntParam):
            dists[p.name] = optuna.distributions.IntDistribution(p.low, p.high, log=p.log)
        else:
            dists[p.name] = optuna.distributions.FloatDistribution(p.low, p.high, log=p.log)
    study = optuna.create_study()
    for params, value in zip(points, values):
        study.add_trial(optuna.trial.create_trial(params=params, distributions=dists,
                                                  value=value))
    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=0)
    found = optuna.importance.get_param_importances(study, evaluator=evaluator)
    return sorted(found, key=found.get, reverse=True)


@pytest.mark.parametrize("make", [_floats, _mixed])
def test_ranks_parameters_as_optunas_fanova_evaluator_does(make):
    space, points, values = make(np.random.default_rng(0), 150)
    trials = [Trial(i, p, TrialState.COMPLETE, v)
              for i, (p, v) in enumerate(zip(points, values))]
    ours = param_importance(TrialColumns(space, "minimize", trials))
    assert ours.note == ""
    assert list(ours.names) == _optuna_ranking(space, points, values)
    assert ours.importances.sum() == pytest.approx(1.0)
    # The spread over trees comes with each share, and the leader stands clear of it.
    assert ours.errors.shape == ours.importances.shape and np.all(ours.errors >= 0)
    assert ours.importances[0] - 2 * ours.errors[0] > ours.importances[1]


def test_each_share_is_the_variance_of_its_marginal_over_the_trees_variance():
    from sklearn.ensemble import RandomForestRegressor

    from engine.fanova import fanova

    # y = [x0 > 0.5] + 2 [x1 > 0.5] on a grid: each tree is exactly this step function, its
    # variance over the unit square is 1/4 + 4/4 and the main effects explain all of it.
    g = (np.arange(10) + 0.5) / 10
    x = np.array([(a, b, c) for a in g for b in g for c in g[::3]])
    y = (x[:, 0] > 0.5) + 2.0 * (x[:, 1] > 0.5)
    forest = RandomForestRegressor(n_estimators=4, bootstrap=False, random_state=0).fit(x, y)
    result = fanova(forest, np.zeros(3), np.ones(3))
    np.testing.assert_allclose(result.mean, [0.2, 0.8, 0.0], atol=1e-12)
    np.testing.assert_allclose(result.std, 0.0, atol=1e-12)
    # Over half the range of x0 only (the box [0, 0.75]), x0's step covers a third of it.
    part = fanova(forest, np.zeros(3), np.array([0.75, 1.0, 1.0]))
    v0, v1 = (1 / 3) * (2 / 3), 1.0
    np.testing.assert_allclose(part.mean, [v0 / (v0 + v1), v1 / (v0 + v1), 0.0], atol=1e-12)
