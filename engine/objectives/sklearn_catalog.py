"""The scikit-learn models and metrics a person can pick from lists.

Every entry says which task it solves, how to build the estimator from a trial's params,
and which hyperparameters are worth tuning, each with a one-sentence explanation in plain
language (shown as a tooltip). Default spaces are kept small so that trials are quick on
small data sets; a person can widen them in the space editor. Metrics know their task and
their direction, so a study never has to guess whether to minimise or maximise.

Trial params are mostly passed straight to the estimator. Two conventions make spaces
expressible with plain values: the text ``"none"`` stands for Python's ``None`` (a choice
cannot hold ``None``), and MLP entries take ``layers`` and ``units`` instead of a
``hidden_layer_sizes`` tuple.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.ensemble import (
    ExtraTreesClassifier,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import ElasticNet, Lasso, LogisticRegression, Ridge
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    log_loss,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.svm import SVC, SVR

from engine.objectives.base import ObjectiveError
from engine.space import (
    CategoricalParam,
    Condition,
    FixedParam,
    FloatParam,
    IntParam,
    Param,
    SearchSpace,
)

CLASSIFICATION = "classification"
REGRESSION = "regression"
TASKS = (CLASSIFICATION, REGRESSION)

# How an entry can report a learning curve while it trains.
EPOCHS = "epochs"  # partial_fit one pass over the data at a time (MLP)
STAGES = "stages"  # boosting iterations, added a few at a time (warm_start, max_iter)
TREES = "trees"  # forest trees, added a few at a time (warm_start, n_estimators)
# The constructor argument that counts the steps of a model that grows by warm_start.
GROWS_BY = {STAGES: "max_iter", TREES: "n_estimators"}


@dataclass(frozen=True)
class ModelEntry:
    """One model of the catalog.

    ``estimator`` is the scikit-learn class; ``defaults`` are constructor arguments that
    differ from scikit-learn's own (for quick trials); ``translate`` turns params that are
    not constructor arguments (e.g. ``layers``/``units``) into ones that are.
    """

    id: str
    name: str
    task: str
    estimator: type[BaseEstimator]
    params: tuple[Param, ...]
    defaults: Mapping[str, Any] = field(default_factory=dict)
    needs_scaling: bool = False  # distance- or gradient-based models want scaled inputs
    scale_target: bool = False  # the model is sensitive to the scale of a numeric target
    iterative: str | None = None  # EPOCHS, STAGES, TREES or None
    translate: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    extra_names: tuple[str, ...] = ()  # accepted param names that are not constructor args

    def space(self) -> SearchSpace:
        """The default search space; a fresh, validated object each call."""
        return SearchSpace(self.params)

    def accepted_names(self) -> set[str]:
        """Every param name this model understands: its constructor args and extras."""
        return set(self.estimator().get_params(deep=False)) | set(self.extra_names)

    def check_names(self, names: Iterable[str]) -> None:
        """Raise :class:`ObjectiveError` if a param name is not a hyperparameter of the model."""
        unknown = sorted(set(names) - self.accepted_names())
        if unknown:
            listed = ", ".join(repr(n) for n in unknown)
            raise ObjectiveError(
                f"search space parameter {listed}: not a hyperparameter of {self.name}; "
                f"expected names from its default space "
                f"({', '.join(p.name for p in self.params)}) "
                f"or another {self.estimator.__name__} argument"
            )

    def build(
        self,
        params: Mapping[str, Any],
        *,
        seed: int = 0,
        n_jobs: int | None = None,
        probability: bool = False,
    ) -> BaseEstimator:
        """A new, unfitted estimator for one trial's params.

        ``n_jobs`` is passed to models that parallelise with joblib; ``probability`` asks SVC
        for probability estimates (needed by ROC AUC and log loss, and slower).
        """
        self.check_names(params)
        kwargs = dict(self.defaults)
        kwargs.update({k: self._plain_value(k, v) for k, v in params.items()})
        if self.translate is not None:
            kwargs = self.translate(kwargs)
        accepted = self.estimator().get_params(deep=False)
        if "random_state" in accepted:
            kwargs.setdefault("random_state", seed)
        if n_jobs is not None and "n_jobs" in accepted:
            kwargs["n_jobs"] = n_jobs
        if probability and "probability" in accepted:
            kwargs["probability"] = True
        return self.estimator(**kwargs)

    def _plain_value(self, name: str, v: Any) -> Any:
        if isinstance(v, str) and v.lower() == "none":
            return None
        # A whole number may come back from storage as 3.0; scikit-learn wants an int.
        if isinstance(v, float) and v.is_integer() and any(
            p.name == name and isinstance(p, IntParam) for p in self.params
        ):
            return int(v)
        return v




# ---------------------------------------------------------------------------- shared knobs

_H_C = ("How closely the model may follow the training data: small values keep it simple, "
        "large values let it fit details (and noise).")
_H_GAMMA = ("How far the influence of one training example reaches: small values give smooth "
            "boundaries, large values very wiggly ones.")
_H_CLASS_WEIGHT = ("'balanced' gives rare classes as much say as common ones; 'none' treats "
                   "every row the same.")


def _forest_params() -> tuple[Param, ...]:
    return (
        IntParam("n_estimators", 20, 200, log=True,
                 help="How many decision trees vote together; more trees are steadier but "
                      "slower."),
        IntParam("max_depth", 2, 30, log=True,
                 help="How many questions deep each tree may go; deeper trees capture more "
                      "detail but can memorise noise."),
        IntParam("min_samples_leaf", 1, 20, log=True,
                 help="The fewest rows a tree's final group may hold; larger values make "
                      "smoother, more cautious predictions."),
        FloatParam("max_features", 0.1, 1.0,
                   help="The share of columns each split may choose from; smaller shares make "
                        "the trees more different from each other."),
    )


def _boosting_params() -> tuple[Param, ...]:
    return (
        FloatParam("learning_rate", 0.01, 0.5, log=True,
                   help="How big a correction each new tree makes; small steps need more trees "
                        "but often end up more accurate."),
        IntParam("max_iter", 20, 200, log=True,
                 help="How many trees are added one after another."),
        IntParam("max_leaf_nodes", 8, 64, log=True,
                 help="How many final groups each tree may split the data into; more allows "
                      "more complex patterns."),
        IntParam("min_samples_leaf", 5, 50, log=True,
                 help="The fewest rows a tree's final group may hold; larger values resist "
                      "noise."),
        FloatParam("l2_regularization", 1e-6, 10.0, log=True,
                   help="A penalty that keeps each tree's corrections small, to avoid "
                        "overfitting."),
    )


def _mlp_params() -> tuple[Param, ...]:
    sgd = Condition("solver", ("sgd",))
    return (
        IntParam("layers", 1, 3,
                 help="How many hidden layers of neurons the network has."),
        IntParam("units", 16, 256, log=True,
                 help="How many neurons each hidden layer has; more can learn more complex "
                      "patterns but train slower."),
        FloatParam("learning_rate_init", 1e-4, 1e-1, log=True,
                   help="How big a step the network takes when it corrects itself; too large "
                        "is unstable, too small learns slowly."),
        IntParam("batch_size", 16, 256, log=True,
                 help="How many rows the network looks at before each correction."),
        FloatParam("alpha", 1e-6, 1e-1, log=True,
                   help="A penalty on large weights (L2 regularisation) that keeps the network "
                        "from memorising the training data."),
        CategoricalParam("solver", ("adam", "sgd"),
                         help="The training method: 'adam' adapts its step sizes by itself, "
                              "'sgd' is plain gradient descent with momentum."),
        FloatParam("momentum", 0.5, 0.99, condition=sgd,
                   help="How much of the previous step carries over into the next one (only "
                        "for the 'sgd' solver)."),
        CategoricalParam("early_stopping", (False, True),
                         help="Stop training when the score on a held-back tenth of the "
                              "training data stops improving."),
        FixedParam("max_iter", 50,
                   help="The most passes (epochs) over the training data."),
    )


def _mlp_translate(kwargs: dict[str, Any]) -> dict[str, Any]:
    layers = kwargs.pop("layers", None)
    units = kwargs.pop("units", None)
    if layers is not None or units is not None:
        kwargs["hidden_layer_sizes"] = (int(units or 100),) * int(layers or 1)
    return kwargs


_MLP = dict(
    needs_scaling=True, iterative=EPOCHS, translate=_mlp_translate,
    extra_names=("layers", "units"),
)


# ---------------------------------------------------------------------------- the catalog

_ENTRIES = (
    ModelEntry(
        "logistic_regression", "Logistic regression", CLASSIFICATION, LogisticRegression,
        (
            FloatParam("C", 1e-3, 1e3, log=True, help=_H_C),
            CategoricalParam("class_weight", ("none", "balanced"), help=_H_CLASS_WEIGHT),
        ),
        defaults={"max_iter": 300}, needs_scaling=True,
    ),
    ModelEntry(
        "svc", "Support vector machine", CLASSIFICATION, SVC,
        (
            FloatParam("C", 1e-2, 1e3, log=True, help=_H_C),
            CategoricalParam("kernel", ("rbf", "linear"),
                             help="The shape of boundary it can draw: 'rbf' allows curves, "
                                  "'linear' only straight lines."),
            FloatParam("gamma", 1e-4, 10.0, log=True, condition=Condition("kernel", ("rbf",)),
                       help=_H_GAMMA),
        ),
        needs_scaling=True,
    ),
    ModelEntry(
        "knn_classifier", "k nearest neighbours", CLASSIFICATION, KNeighborsClassifier,
        (
            IntParam("n_neighbors", 1, 50, log=True,
                     help="How many of the most similar training rows vote on the answer."),
            CategoricalParam("weights", ("uniform", "distance"),
                             help="'distance' lets closer neighbours count more; 'uniform' "
                                  "counts them all the same."),
        ),
        needs_scaling=True,
    ),
    ModelEntry(
        "random_forest_classifier", "Random forest", CLASSIFICATION, RandomForestClassifier,
        _forest_params(), iterative=TREES,
    ),
    ModelEntry(
        "extra_trees_classifier", "Extra trees", CLASSIFICATION, ExtraTreesClassifier,
        _forest_params(), iterative=TREES,
    ),
    ModelEntry(
        "hist_gradient_boosting_classifier", "Gradient boosting", CLASSIFICATION,
        HistGradientBoostingClassifier, _boosting_params(),
        # Fixed iteration counts keep max_iter meaningful and learning curves comparable.
        defaults={"early_stopping": False}, iterative=STAGES,
    ),
    ModelEntry(
        "mlp_classifier", "Neural network (MLP)", CLASSIFICATION, MLPClassifier,
        _mlp_params(), **_MLP,
    ),
    ModelEntry(
        "ridge", "Ridge regression", REGRESSION, Ridge,
        (
            FloatParam("alpha", 1e-3, 1e3, log=True,
                       help="How strongly the coefficients are pulled towards zero; larger "
                            "values give a simpler, steadier model."),
        ),
        needs_scaling=True,
    ),
    ModelEntry(
        "lasso", "Lasso regression", REGRESSION, Lasso,
        (
            FloatParam("alpha", 1e-4, 10.0, log=True,
                       help="How strongly the coefficients are pulled towards zero; larger "
                            "values switch off more columns entirely."),
        ),
        defaults={"max_iter": 2000}, needs_scaling=True,
    ),
    ModelEntry(
        "elastic_net", "Elastic net", REGRESSION, ElasticNet,
        (
            FloatParam("alpha", 1e-4, 10.0, log=True,
                       help="How strongly the coefficients are pulled towards zero."),
            FloatParam("l1_ratio", 0.05, 1.0,
                       help="The mix of the two penalties: near 0 shrinks all coefficients "
                            "a little, 1 switches some off entirely (like lasso)."),
        ),
        defaults={"max_iter": 2000}, needs_scaling=True,
    ),
    ModelEntry(
        "svr", "Support vector regression", REGRESSION, SVR,
        (
            FloatParam("C", 1e-2, 1e3, log=True, help=_H_C),
            FloatParam("epsilon", 1e-3, 1.0, log=True,
                       help="Errors smaller than this (in standard deviations of the target) "
                            "are ignored, so the model stays simpler."),
            FloatParam("gamma", 1e-4, 10.0, log=True, help=_H_GAMMA),
        ),
        needs_scaling=True, scale_target=True,
    ),
    ModelEntry(
        "random_forest_regressor", "Random forest", REGRESSION, RandomForestRegressor,
        _forest_params(), iterative=TREES,
    ),
    ModelEntry(
        "hist_gradient_boosting_regressor", "Gradient boosting", REGRESSION,
        HistGradientBoostingRegressor, _boosting_params(),
        defaults={"early_stopping": False}, iterative=STAGES,
    ),
    ModelEntry(
        "mlp_regressor", "Neural network (MLP)", REGRESSION, MLPRegressor,
        _mlp_params(), scale_target=True, **_MLP,
    ),
)

CATALOG: dict[str, ModelEntry] = {e.id: e for e in _ENTRIES}


def get_model(model_id: str) -> ModelEntry:
    """The catalog entry for ``model_id``, or an :class:`ObjectiveError` listing the ids."""
    entry = CATALOG.get(model_id) if isinstance(model_id, str) else None
    if entry is None:
        raise ObjectiveError(
            f"objective.model = {model_id!r}: unknown model; expected one of "
            + ", ".join(CATALOG)
        )
    return entry


def models_for(task: str) -> list[ModelEntry]:
    """The entries that solve ``task`` ("classification" or "regression"), in catalog order."""
    return [e for e in _ENTRIES if e.task == task]


def default_space(model_id: str) -> SearchSpace:
    """The default search space of a model, for the GUI to start from."""
    return get_model(model_id).space()


# ---------------------------------------------------------------------------- metrics

MAXIMIZE, MINIMIZE = "maximize", "minimize"

# metric -> (task, direction); the first metric of each task is its default.
METRICS: dict[str, tuple[str, str]] = {
    "accuracy": (CLASSIFICATION, MAXIMIZE),
    "balanced_accuracy": (CLASSIFICATION, MAXIMIZE),
    "f1_macro": (CLASSIFICATION, MAXIMIZE),
    "roc_auc": (CLASSIFICATION, MAXIMIZE),
    "log_loss": (CLASSIFICATION, MINIMIZE),
    "r2": (REGRESSION, MAXIMIZE),
    "rmse": (REGRESSION, MINIMIZE),
    "mae": (REGRESSION, MINIMIZE),
}
DEFAULT_METRIC = {CLASSIFICATION: "accuracy", REGRESSION: "r2"}
# Metrics computed from class probabilities rather than predicted labels.
PROBA_METRICS = frozenset({"roc_auc", "log_loss"})


def metrics_for(task: str) -> list[str]:
    """The metric names that fit ``task``, the default first."""
    return [m for m, (t, _) in METRICS.items() if t == task]


def direction_of(metric: str) -> str:
    """``"maximize"`` or ``"minimize"`` for a metric name."""
    if metric not in METRICS:
        raise ObjectiveError(
            f"objective.metric = {metric!r}: unknown metric; expected one of {', '.join(METRICS)}"
        )
    return METRICS[metric][1]


def score(metric: str, y_true: np.ndarray, output: np.ndarray, n_classes: int = 0) -> float:
    """One metric on one test set.

    ``output`` holds predicted values (regression), predicted class codes, or class
    probabilities with one column per class code 0..n_classes-1 (needed by
    :data:`PROBA_METRICS`; label metrics take the most probable class).
    """
    if metric == "r2":
        return float(r2_score(y_true, output))
    if metric == "rmse":
        return float(root_mean_squared_error(y_true, output))
    if metric == "mae":
        return float(mean_absolute_error(y_true, output))
    labels = np.arange(n_classes)
    if metric == "roc_auc":
        if n_classes == 2:
            return float(roc_auc_score(y_true, output[:, 1]))
        return float(roc_auc_score(y_true, output, multi_class="ovr", labels=labels))
    if metric == "log_loss":
        return float(log_loss(y_true, output, labels=labels))
    pred = output.argmax(axis=1) if output.ndim == 2 else output
    if metric == "accuracy":
        return float(accuracy_score(y_true, pred))
    if metric == "balanced_accuracy":
        return float(balanced_accuracy_score(y_true, pred))
    if metric == "f1_macro":
        return float(f1_score(y_true, pred, average="macro", labels=labels, zero_division=0))
    raise ValueError(f"unknown metric {metric!r}")
