"""The problems of benchmarks/bayes_vs_peers.py: test functions with known optima, a mixed
synthetic one, a noisy one, and real scikit-learn tuning tasks. Every objective is minimised.

Real tasks come in two kinds. The ``*_acc3``/``*_acc5``/``*_r2`` tasks run exactly what the
window runs for an sklearn study (engine.objectives.sklearn_objective, the model's default
search space from the catalog, stratified shuffled folds with seed 0) and minimise
1 - accuracy (or 1 - R²): the quantized, tie-heavy score a user sees. The older tasks
minimise a continuous 3-fold loss (1 - ROC AUC, log loss).

``rescore`` measures a configuration away from the folds the optimizer saw: the same
cross-validation with two other shuffles (fold seeds 1 and 2), or the noise-free value of a
noisy function. An optimizer that picks the luckiest fold split looks good on its own folds
and worse here.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.space import CategoricalParam, Condition, FloatParam, IntParam, Param


@dataclass(frozen=True)
class Problem:
    """``func(params) -> value`` to minimise over ``params``; ``optimum`` is the known
    minimum (regret = best value - optimum), or None for a real task (best loss shown)."""

    name: str
    params: tuple[Param, ...]
    func: Callable[[dict[str, Any]], float]
    optimum: float | None
    real: bool = False
    rescore: Callable[[dict[str, Any]], float] | None = None


def _floats(names: str, low: float, high: float) -> tuple[Param, ...]:
    return tuple(FloatParam(n, low, high) for n in names.split())


def _vector(p: dict[str, Any], n: int) -> np.ndarray:
    return np.array([p[f"x{i}"] for i in range(n)], dtype=float)


# ---------------------------------------------------------------------- test functions


def branin(p: dict[str, Any]) -> float:
    x, y = p["x0"], p["x1"]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (y - b * x * x + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10


_H6_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                  [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
_H6_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                         [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])
_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6(p: dict[str, Any]) -> float:
    x = _vector(p, 6)
    return float(-_H6_ALPHA @ np.exp(-(_H6_A * (x - _H6_P) ** 2).sum(1)))


def ackley(p: dict[str, Any], n: int = 5) -> float:
    x = _vector(p, n)
    return float(-20 * math.exp(-0.2 * math.sqrt((x * x).mean()))
                 - math.exp(np.cos(2 * math.pi * x).mean()) + 20 + math.e)


def rosenbrock(p: dict[str, Any], n: int = 4) -> float:
    x = _vector(p, n)
    return float((100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum())


def levy(p: dict[str, Any], n: int = 4) -> float:
    w = 1 + (_vector(p, n) - 1) / 4
    mid = ((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2)).sum()
    return float(math.sin(math.pi * w[0]) ** 2 + mid
                 + (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2))


# ---------------------------------------------------------------------- mixed synthetic

_ACTIVATION_COST = {"relu": 0.0, "elu": 0.1, "tanh": 0.35, "sigmoid": 0.8}


def mixed(p: dict[str, Any]) -> float:
    """A training run's loss as a smooth function of its settings: minimum 0 at lr=1e-3
    (3e-3 with tanh), layers=3, units=128, relu, dropout=0.2, sgd with momentum 0.9."""
    shift = 0.5 if p["activation"] == "tanh" else 0.0
    value = 0.5 * (math.log10(p["lr"]) + 3 - shift) ** 2
    value += 0.08 * (p["layers"] - 3) ** 2 + 0.1 * (math.log2(p["units"]) - 7) ** 2
    value += 3.0 * (p["dropout"] - 0.2) ** 2 + _ACTIVATION_COST[p["activation"]]
    value += 2.0 * (p["momentum"] - 0.9) ** 2 if p["optimizer"] == "sgd" else 0.15
    return float(value)


MIXED_PARAMS: tuple[Param, ...] = (
    FloatParam("lr", 1e-5, 1.0, log=True),
    IntParam("layers", 1, 8),
    IntParam("units", 8, 512, log=True),
    CategoricalParam("activation", ("relu", "elu", "tanh", "sigmoid")),
    FloatParam("dropout", 0.0, 0.5, step=0.05),
    CategoricalParam("optimizer", ("adam", "sgd")),
    FloatParam("momentum", 0.0, 0.99, condition=Condition("optimizer", ("sgd",))),
)


# ---------------------------------------------------------------------- noisy synthetic

HARTMANN_NOISE = 0.1


def hartmann6_noisy(p: dict[str, Any]) -> float:
    """Hartmann-6 plus Gaussian noise (sd 0.1, about 3% of its range). The noise is drawn
    from the point itself, so a repeated point repeats its value, as a fixed CV split does."""
    key = repr([round(float(p[f"x{i}"]), 12) for i in range(6)]).encode()
    rng = np.random.default_rng(int.from_bytes(hashlib.sha256(key).digest()[:8], "little"))
    return hartmann6(p) + float(rng.normal(0.0, HARTMANN_NOISE))


# ---------------------------------------------------------------------- real tasks


class WindowTask:
    """What the window runs for an sklearn study: a catalog model on a bundled data set,
    scored with ``folds``-fold cross-validation; the value is 1 - score (minimised)."""

    def __init__(self, model: str, dataset: str, folds: int, metric: str = "accuracy"):
        self.model, self.dataset, self.folds, self.metric = model, dataset, folds, metric
        self.__name__ = f"{model}_{dataset}_{metric}_{folds}fold"

    def params(self) -> tuple[Param, ...]:
        from engine.objectives.sklearn_catalog import default_space

        return default_space(self.model).params

    def __call__(self, p: dict[str, Any], seed: int = 0) -> float:
        from engine.objectives.sklearn_objective import SklearnObjective

        objective = SklearnObjective(model=self.model, dataset=self.dataset, folds=self.folds,
                                     metric=self.metric, seed=seed)
        return 1.0 - objective.evaluate(p, lambda step, value: False).value

    def rescore(self, p: dict[str, Any]) -> float:
        return float(np.mean([self(p, seed) for seed in (1, 2)]))


def _cv_loss(model: Any, x: np.ndarray, y: np.ndarray, scoring: str, seed: int = 0) -> float:
    """A 3-fold cross-validated loss: 1 - ROC AUC, or log loss. Continuous losses rather
    than the error rate, which ties most optimizers on these small data sets."""
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    folds = StratifiedKFold(3, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings of short MLP runs
        score = float(cross_val_score(model, x, y, cv=folds, scoring=scoring, n_jobs=1).mean())
    return 1.0 - score if scoring == "roc_auc" else -score


def svc_cancer(p: dict[str, Any], seed: int = 0) -> float:
    from sklearn.datasets import load_breast_cancer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    x, y = _cached("cancer", load_breast_cancer)
    model = make_pipeline(StandardScaler(), SVC(C=p["C"], gamma=p["gamma"]))
    return _cv_loss(model, x, y, "roc_auc", seed)


def mlp_digits(p: dict[str, Any], seed: int = 0) -> float:
    from sklearn.datasets import load_digits
    from sklearn.neural_network import MLPClassifier

    x, y = _cached("digits", load_digits)
    # A subset and a short schedule keep one trial well under a second.
    x, y = x[:600] / 16.0, y[:600]
    model = MLPClassifier(hidden_layer_sizes=(p["units"],), alpha=p["alpha"],
                          learning_rate_init=p["lr"], activation=p["activation"],
                          max_iter=40, random_state=0)
    return _cv_loss(model, x, y, "neg_log_loss", seed)


def boosting_wine(p: dict[str, Any], seed: int = 0) -> float:
    from sklearn.datasets import load_wine
    from sklearn.ensemble import GradientBoostingClassifier

    x, y = _cached("wine", load_wine)
    model = GradientBoostingClassifier(
        n_estimators=p["n_estimators"], learning_rate=p["learning_rate"],
        max_depth=p["max_depth"], subsample=p["subsample"], random_state=0)
    return _cv_loss(model, x, y, "neg_log_loss", seed)


def _other_folds(func: Callable[..., float]) -> Callable[[dict[str, Any]], float]:
    def rescore(p: dict[str, Any]) -> float:
        return float(np.mean([func(p, seed) for seed in (1, 2)]))
    return rescore


_DATA: dict[str, tuple[np.ndarray, np.ndarray]] = {}


def _cached(name: str, loader: Callable[..., Any]) -> tuple[np.ndarray, np.ndarray]:
    if name not in _DATA:
        _DATA[name] = loader(return_X_y=True)
    return _DATA[name]


# The window's tasks: (name, model, data set, folds, metric). Two SVC tasks differ only in
# the folds (3 or 5: fewer rows scored, coarser accuracy); the others bring new data sets.
# The catalog's MLP and gradient boosting take 7-10 s a trial here: too slow to repeat.
WINDOW_TASKS = (
    ("svc_cancer_acc3", "svc", "breast_cancer", 3, "accuracy"),
    ("svc_cancer_acc5", "svc", "breast_cancer", 5, "accuracy"),
    ("logreg_digits_acc3", "logistic_regression", "digits", 3, "accuracy"),
    ("knn_wine_acc5", "knn_classifier", "wine", 5, "accuracy"),
    ("svr_diabetes_r2", "svr", "diabetes", 5, "r2"),
)


def problems() -> dict[str, Problem]:
    """Every problem by name, in the order of the results table."""
    h6 = _floats("x0 x1 x2 x3 x4 x5", 0, 1)
    out = [
        Problem("branin", _floats("x0", -5, 10) + _floats("x1", 0, 15), branin, 0.397887),
        Problem("hartmann6", h6, hartmann6, -3.322368),
        Problem("hartmann6_noisy", h6, hartmann6_noisy, -3.322368, rescore=hartmann6),
        Problem("ackley5", _floats("x0 x1 x2 x3 x4", -5, 10), ackley, 0.0),
        Problem("rosenbrock4", _floats("x0 x1 x2 x3", -5, 10), rosenbrock, 0.0),
        Problem("levy4", _floats("x0 x1 x2 x3", -10, 10), levy, 0.0),
        Problem("mixed", MIXED_PARAMS, mixed, 0.0),
        Problem("svc_cancer", (FloatParam("C", 1e-3, 1e3, log=True),
                               FloatParam("gamma", 1e-5, 1e1, log=True)),
                svc_cancer, None, real=True, rescore=_other_folds(svc_cancer)),
        Problem("mlp_digits", (IntParam("units", 8, 128, log=True),
                               FloatParam("alpha", 1e-6, 1e-1, log=True),
                               FloatParam("lr", 1e-4, 1e-1, log=True),
                               CategoricalParam("activation", ("relu", "tanh", "logistic"))),
                mlp_digits, None, real=True, rescore=_other_folds(mlp_digits)),
        Problem("gboost_wine", (IntParam("n_estimators", 10, 200, log=True),
                                FloatParam("learning_rate", 1e-3, 1.0, log=True),
                                IntParam("max_depth", 1, 6),
                                FloatParam("subsample", 0.3, 1.0)),
                boosting_wine, None, real=True, rescore=_other_folds(boosting_wine)),
    ]
    for name, model, dataset, folds, metric in WINDOW_TASKS:
        task = WindowTask(model, dataset, folds, metric)
        out.append(Problem(name, task.params(), task, None, real=True, rescore=task.rescore))
    return {p.name: p for p in out}
