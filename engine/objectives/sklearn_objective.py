"""Objective kind ``sklearn``: a model from the catalog, scored on a data set.

The spec's ``[objective]`` table names a model (``model = "mlp_classifier"``), a data set
(``dataset = "digits"``, or ``csv = "data.csv"`` with ``target = "label"``), a metric and
how to validate (``folds = 5`` or ``holdout = 0.2``). A trial's value is the mean score over
the folds; per-fold scores, their standard deviation and the fitting time are stored as
metrics. Models that train in steps (MLP, gradient boosting) report a learning curve.

Metrics a study can optimise or limit next to the score (``[[objectives]]``,
``[[constraints]]``): ``fit_time`` (seconds fitting, summed over folds), ``predict_time``
(seconds predicting the test rows, summed over folds), ``model_size_kb`` (the first fold's
fitted model, serialised) and ``std`` (of the fold scores).
"""

from __future__ import annotations

import contextlib
import math
import pickle
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from engine.objectives.base import (
    Evaluation,
    Objective,
    ObjectiveError,
    Reporter,
    TrialFailure,
    TrialPruned,
)
from engine.objectives.sklearn_catalog import (
    CLASSIFICATION,
    DEFAULT_METRIC,
    EPOCHS,
    GROWS_BY,
    MAXIMIZE,
    METRICS,
    MINIMIZE,
    PROBA_METRICS,
    ModelEntry,
    default_space,
    direction_of,
    get_model,
    metrics_for,
    models_for,
)
from engine.objectives.sklearn_catalog import score as metric_score
from engine.objectives.sklearn_data import (
    BUNDLED,
    Dataset,
    load_bundled,
    load_csv,
    make_preprocessor,
)
from engine.space.params import show_value

__all__ = [
    "METRICS", "SklearnObjective", "default_space", "direction_of", "metrics_for",
]

DEFAULT_FOLDS = 5

_SETTINGS = ("model", "dataset", "csv", "target", "task", "metric", "folds", "holdout", "seed",
             "n_threads", "categorical", "ignore", "encoding")

# Parsed data sets in this (worker) process, so that trials do not re-read the same CSV.
_cache: dict[tuple[Any, ...], Dataset] = {}


@dataclass(frozen=True)
class SklearnObjective(Objective):
    """A catalog model on a bundled data set or a CSV file; see the module docstring.

    ``folds`` and ``holdout`` are exclusive; with neither, 5-fold cross-validation is used.
    ``n_threads`` limits BLAS/OpenMP/joblib threads per trial (0: library defaults).
    """

    model: str = ""
    dataset: str = ""
    csv: str = ""
    target: str = ""
    task: str = ""
    metric: str = ""
    folds: int | None = None
    holdout: float | None = None
    seed: int = 0
    n_threads: int = 0
    categorical: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    encoding: str = "utf-8"
    unknown_settings: tuple[str, ...] = ()

    kind = "sklearn"
    path_settings = ("csv",)

    # --- settings ----------------------------------------------------------------------

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> SklearnObjective:
        """Build from a spec's table; values are checked by :meth:`check`, not here."""
        values: dict[str, Any] = {k: settings[k] for k in _SETTINGS if k in settings}
        for key in ("categorical", "ignore"):
            if isinstance(values.get(key), str):
                values[key] = (values[key],)
            elif isinstance(values.get(key), list):
                values[key] = tuple(values[key])
        unknown = tuple(sorted(str(k) for k in settings if k not in _SETTINGS))
        return cls(**values, unknown_settings=unknown)

    def to_settings(self) -> dict[str, Any]:
        out: dict[str, Any] = {"model": self.model}
        if self.csv:
            out.update(csv=self.csv, target=self.target)
        else:
            out["dataset"] = self.dataset
        for key in ("task", "metric"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.holdout is not None:
            out["holdout"] = self.holdout
        if self.folds is not None:
            out["folds"] = self.folds
        out["seed"] = self.seed
        if self.n_threads:
            out["n_threads"] = self.n_threads
        for key in ("categorical", "ignore"):
            if getattr(self, key):
                out[key] = list(getattr(self, key))
        if self.encoding != "utf-8":
            out["encoding"] = self.encoding
        return out

    @property
    def direction(self) -> str:
        """The direction that fits the metric; both default metrics are maximised."""
        return direction_of(self.metric) if self.metric else MAXIMIZE

    @property
    def reported_metrics(self) -> dict[str, str]:
        """Metrics every trial reports besides the score, with the direction each is
        better in (see the module docstring)."""
        return {"fit_time": MINIMIZE, "predict_time": MINIMIZE, "model_size_kb": MINIMIZE,
                "std": MINIMIZE}

    def resolved_metric(self, task: str) -> str:
        return self.metric or DEFAULT_METRIC[task]

    @property
    def n_folds(self) -> int:
        return DEFAULT_FOLDS if self.folds is None else self.folds

    # --- checking ----------------------------------------------------------------------

    def check(self, param_names: Sequence[str] | None = None) -> None:
        """Validate every setting and the data itself; raises :class:`ObjectiveError`.

        With ``param_names`` (the search space's parameters), a name that is not a
        hyperparameter of the model is an error too.
        """
        self._check_settings()
        if param_names is not None:
            self.check_params(param_names)
        data = self.load_data()
        self._check_against_data(get_model(self.model), data)

    def check_params(self, names: Sequence[str]) -> None:
        """Raise if a search space names a parameter the model does not have."""
        get_model(self.model).check_names(names)

    def _check_settings(self) -> None:
        if self.unknown_settings:
            raise ObjectiveError(
                f"objective.{self.unknown_settings[0]}: unknown setting for kind 'sklearn'; "
                f"expected {', '.join(_SETTINGS)}"
            )
        for key in ("model", "dataset", "csv", "target", "task", "metric", "encoding"):
            if not isinstance(getattr(self, key), str):
                raise ObjectiveError(
                    f"objective.{key} = {getattr(self, key)!r}: expected text in quotes"
                )
        get_model(self.model)
        if self.dataset and self.csv:
            raise ObjectiveError(
                f"objective.dataset = {self.dataset!r} and objective.csv = {self.csv!r}: "
                "give one of them, not both"
            )
        if not self.dataset and not self.csv:
            raise ObjectiveError(
                "objective.dataset is empty: give a bundled data set "
                f"({', '.join(BUNDLED)}) or a CSV file as objective.csv"
            )
        if self.dataset and self.target:
            raise ObjectiveError(
                f"objective.target = {self.target!r}: only used with objective.csv; "
                f"the bundled data set {self.dataset!r} has its own target"
            )
        if self.metric:
            direction_of(self.metric)
        if self.folds is not None and self.holdout is not None:
            raise ObjectiveError(
                f"objective.folds = {self.folds!r} and objective.holdout = {self.holdout!r}: "
                "give one of them (cross-validation or a held-out share), not both"
            )
        if self.folds is not None and (not _is_int(self.folds) or self.folds < 2):
            raise ObjectiveError(
                f"objective.folds = {self.folds!r}: expected a whole number of at least 2"
            )
        if self.holdout is not None and (
            not _is_number(self.holdout) or not 0 < self.holdout < 1
        ):
            raise ObjectiveError(
                f"objective.holdout = {self.holdout!r}: expected the share of rows held out "
                "for testing, a number between 0 and 1 such as 0.2"
            )
        if not _is_int(self.seed):
            raise ObjectiveError(f"objective.seed = {self.seed!r}: expected a whole number")
        if not _is_int(self.n_threads) or self.n_threads < 0:
            raise ObjectiveError(
                f"objective.n_threads = {self.n_threads!r}: expected a whole number >= 0 "
                "(0 lets the libraries decide)"
            )
        for key in ("categorical", "ignore"):
            value = getattr(self, key)
            if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
                raise ObjectiveError(
                    f"objective.{key} = {value!r}: expected a list of column names"
                )
            if value and not self.csv:
                raise ObjectiveError(
                    f"objective.{key} = {list(value)!r}: only used with objective.csv"
                )

    def _check_against_data(self, entry: ModelEntry, data: Dataset) -> None:
        if entry.task != data.task:
            why = "as set by objective.task" if self.task else f"inferred from '{data.target}'"
            others = ", ".join(e.id for e in models_for(data.task))
            raise ObjectiveError(
                f"objective.model = {self.model!r}: a {entry.task} model, but the task is "
                f"{data.task} ({why}); expected one of {others}"
            )
        metric = self.resolved_metric(data.task)
        if METRICS[metric][0] != data.task:
            raise ObjectiveError(
                f"objective.metric = {metric!r}: not a {data.task} metric; expected one of "
                + ", ".join(metrics_for(data.task))
            )
        if self.holdout is not None:
            self._check_holdout(data)
        elif data.task == CLASSIFICATION:
            counts = data.class_counts()
            smallest = min(counts, key=counts.get)
            if counts[smallest] < self.n_folds:
                raise ObjectiveError(
                    f"objective.folds = {self.n_folds}: class {smallest!r} of '{data.target}' has "
                    f"only {counts[smallest]} rows, and every fold needs one of each class; "
                    + _fewer_folds(counts[smallest])
                )
        elif self.n_folds > data.n_rows // 2:
            raise ObjectiveError(
                f"objective.folds = {self.n_folds}: the data has {data.n_rows} rows and each fold "
                f"needs at least 2; expected at most {data.n_rows // 2} folds"
            )

    def _check_holdout(self, data: Dataset) -> None:
        n_test = math.ceil(self.holdout * data.n_rows)
        n_train = data.n_rows - n_test
        need = max(len(data.classes), 2)
        if n_test < need or n_train < need:
            raise ObjectiveError(
                f"objective.holdout = {self.holdout}: splits {data.n_rows} rows into {n_train} "
                f"for training and {n_test} for testing; each side needs at least {need}"
            )
        if data.task == CLASSIFICATION:
            counts = data.class_counts()
            smallest = min(counts, key=counts.get)
            if counts[smallest] < 2:
                raise ObjectiveError(
                    f"objective.holdout = {self.holdout}: class {smallest!r} of '{data.target}' "
                    "has only 1 row, so it cannot appear in both the training and the test part; "
                    "add rows of that class or remove it"
                )

    # --- data ----------------------------------------------------------------------------

    def load_data(self) -> Dataset:
        """The data set, parsed once per process."""
        if self.csv:
            file = Path(self.csv)
            mtime = file.stat().st_mtime if file.is_file() else None
            key: tuple[Any, ...] = ("csv", str(file), mtime, self.target, self.task,
                                    self.categorical, self.ignore, self.encoding)
        else:
            key = ("bundled", self.dataset, self.task)
        if key not in _cache:
            if self.csv:
                _cache[key] = load_csv(
                    self.csv, self.target, self.task or None, categorical=self.categorical,
                    ignore=self.ignore, encoding=self.encoding,
                )
            else:
                _cache[key] = load_bundled(self.dataset, self.task or None)
        return _cache[key]

    def splits(self, data: Dataset) -> list[tuple[np.ndarray, np.ndarray]]:
        """(train, test) row indices: shuffled with the seed, stratified for classification."""
        stratify = data.task == CLASSIFICATION
        if self.holdout is not None:
            rows = np.arange(data.n_rows)
            train, test = train_test_split(
                rows, test_size=self.holdout, random_state=self.seed,
                stratify=data.y if stratify else None,
            )
            return [(train, test)]
        cv = (StratifiedKFold if stratify else KFold)(
            n_splits=self.n_folds, shuffle=True, random_state=self.seed
        )
        return list(cv.split(np.zeros(data.n_rows), data.y))

    # --- running -------------------------------------------------------------------------

    def evaluate(self, params: Mapping[str, Any], report: Reporter) -> Evaluation:
        try:
            data = self.load_data()
            entry = get_model(self.model)
            entry.check_names(params)
        except ObjectiveError as e:
            raise TrialFailure(str(e)) from None
        run = _Run(
            entry=entry, data=data, metric=self.resolved_metric(data.task), params=dict(params),
            seed=self.seed, n_jobs=self.n_threads or None,
        )
        limit = threadpool_limits(limits=self.n_threads) if self.n_threads else \
            contextlib.nullcontext()
        with limit, warnings.catch_warnings():
            # Convergence and metric warnings would only flood a worker's log unseen.
            warnings.simplefilter("ignore")
            folds = self.splits(data)
            if entry.iterative == EPOCHS:
                scores, fit_time, fitted = _run_epochs(run, folds, report)
            elif entry.iterative in GROWS_BY:
                scores, fit_time, fitted = _run_growing(run, folds, report)
            else:
                scores, fit_time, fitted = _run_plain(run, folds)
            predict_time = _predict_time(run, fitted)
        value = float(np.mean(scores))
        if not math.isfinite(value):
            raise TrialFailure(f"the {run.metric} score is not a number (fold scores: {scores})")
        return Evaluation(value, {
            "fold_scores": [float(s) for s in scores],
            "std": float(np.std(scores)),
            "fit_time": fit_time,
            "predict_time": predict_time,
            # Serialised size: what saving the model takes, for every kind of model alike.
            "model_size_kb": len(pickle.dumps(fitted[0][0], protocol=5)) / 1024,
        })

    def describe(self) -> str:
        name = self.model
        with contextlib.suppress(ObjectiveError):
            name = get_model(self.model).name
        source = f"{self.csv} (target '{self.target}')" if self.csv else f"the {self.dataset} data"
        if self.holdout is None:
            how = f"{show_value(self.n_folds)}-fold cross-validation"
        elif _is_number(self.holdout) and 0 < self.holdout < 1:
            how = f"a {self.holdout:.0%} held-out split"
        else:  # describe() shows unchecked settings too; check() names the problem
            how = f"a held-out split of {show_value(self.holdout)}"
        return f"{name} on {source}, scored by {self.metric or 'the default metric'} with {how}"


# ---------------------------------------------------------------------------- fold loops


@dataclass(frozen=True)
class _Run:
    entry: ModelEntry
    data: Dataset
    metric: str
    params: dict[str, Any]
    seed: int
    n_jobs: int | None

    @property
    def is_classification(self) -> bool:
        return self.data.task == CLASSIFICATION

    @property
    def n_classes(self) -> int:
        return len(self.data.classes)

    def fold(self, train: np.ndarray, test: np.ndarray):
        """Preprocess one fold, fitted on its training rows only."""
        pre = make_preprocessor(self.data, scale=self.entry.needs_scaling)
        X_train = pre.fit_transform(self.data.X[train])
        return X_train, self.data.y[train], pre.transform(self.data.X[test]), self.data.y[test]

    def estimator(self):
        return self.entry.build(
            self.params, seed=self.seed, n_jobs=self.n_jobs,
            probability=self.metric in PROBA_METRICS,
        )

    def outputs(self, est, X: np.ndarray) -> np.ndarray:
        """Class probabilities (all classes, in code order) or predicted labels / values."""
        if self.is_classification and self.metric in PROBA_METRICS:
            return self.full_proba(est.classes_, est.predict_proba(X))
        return est.predict(X)

    def full_proba(self, classes: np.ndarray, proba: np.ndarray) -> np.ndarray:
        # A training fold may miss a rare class; give it probability 0 in its column.
        out = np.zeros((proba.shape[0], self.n_classes))
        out[:, np.asarray(classes, dtype=int)] = proba
        return out

    def score(self, y_true: np.ndarray, out: np.ndarray) -> float:
        try:
            return metric_score(self.metric, y_true, out, self.n_classes)
        except ValueError as e:
            raise TrialFailure(f"could not compute {self.metric}: {e}") from None


_MAX_CURVE_POINTS = 25  # a model growing by warm_start reports at most this many steps


def _fit_failure(run: _Run, fold: int, e: Exception) -> TrialFailure:
    return TrialFailure(f"{run.entry.name} failed to train on fold {fold + 1}: {e}")


# (fitted model, its fold's test rows) per fold: timed predictions and size after training.
Fitted = list[tuple[Any, np.ndarray]]


def _predict_time(run: _Run, fitted: Fitted) -> float:
    """Seconds to predict every fold's test rows once, with training done: scoring inside
    the training loops is interleaved with fitting and would count epochs, not a model."""
    total = 0.0
    for est, X_test in fitted:
        start = time.perf_counter()
        run.outputs(est, X_test)
        total += time.perf_counter() - start
    return total


def _run_plain(run: _Run, folds) -> tuple[list[float], float, Fitted]:
    scores, fit_time, fitted = [], 0.0, []
    for i, (train, test) in enumerate(folds):
        X_train, y_train, X_test, y_test = run.fold(train, test)
        est = run.estimator()
        if not run.is_classification and run.entry.scale_target:
            est = TransformedTargetRegressor(regressor=est, transformer=StandardScaler())
        start = time.perf_counter()
        try:
            est.fit(X_train, y_train)
        except (ValueError, ArithmeticError, np.linalg.LinAlgError) as e:
            raise _fit_failure(run, i, e) from None
        fit_time += time.perf_counter() - start
        scores.append(run.score(y_test, run.outputs(est, X_test)))
        fitted.append((est, X_test))
    return scores, fit_time, fitted


def _run_growing(run: _Run, folds, report: Reporter) -> tuple[list[float], float, Fitted]:
    """Boosting and forests: grow every fold's model a few iterations (trees) at a time with
    warm_start, reporting the mean score after each chunk, so that a pruned trial stops
    growing and the iterations not trained are the compute saved."""
    size = GROWS_BY[run.entry.iterative]
    fold_data = [run.fold(train, test) for train, test in folds]
    models = []
    for _ in fold_data:
        est = run.estimator()
        est.set_params(warm_start=True)
        models.append(est)
    total = int(models[0].get_params()[size])
    chunk = max(1, -(-total // _MAX_CURVE_POINTS))
    scores, fit_time, grown = [0.0] * len(models), 0.0, 0
    while grown < total:
        grown = min(total, grown + chunk)
        for i, (est, (X_train, y_train, X_test, y_test)) in enumerate(zip(models, fold_data)):
            est.set_params(**{size: grown})
            start = time.perf_counter()
            try:
                est.fit(X_train, y_train)
            except (ValueError, ArithmeticError) as e:
                raise _fit_failure(run, i, e) from None
            fit_time += time.perf_counter() - start
            scores[i] = run.score(y_test, run.outputs(est, X_test))
        if report(grown, float(np.mean(scores))):
            raise TrialPruned()
    return scores, fit_time, [(est, data[2]) for est, data in zip(models, fold_data)]


class _EpochFold:
    """One fold of a network trained an epoch at a time with ``partial_fit``.

    ``partial_fit`` refuses ``early_stopping``, so it is done here the way scikit-learn's
    ``fit`` does it: hold back part of the training rows, stop when their score has not
    improved by ``tol`` for ``n_iter_no_change`` epochs, and keep the best weights. Without
    early stopping, training stops when the training loss stops improving.
    """

    def __init__(self, run: _Run, train: np.ndarray, test: np.ndarray):
        self.run = run
        X, y, self.X_test, self.y_test = run.fold(train, test)
        self.est = run.estimator()
        self.stop_early = bool(self.est.early_stopping)
        self.est.set_params(early_stopping=False)
        self.shift, self.scale = 0.0, 1.0
        if not run.is_classification and run.entry.scale_target:
            self.shift, self.scale = float(y.mean()), float(y.std()) or 1.0
            y = (y - self.shift) / self.scale
        self.X_val = self.y_val = None
        if self.stop_early:
            try:
                fit_rows, val_rows = train_test_split(
                    np.arange(len(y)), test_size=self.est.validation_fraction,
                    random_state=run.seed, stratify=y if run.is_classification else None,
                )
            except ValueError as e:
                raise TrialFailure(
                    f"early_stopping could not hold back validation rows: {e}"
                ) from None
            X, y, self.X_val, self.y_val = X[fit_rows], y[fit_rows], X[val_rows], y[val_rows]
        self.X, self.y = X, y
        self.best = -math.inf if self.stop_early else math.inf
        self.bad_epochs = 0
        self.best_weights = None
        self.done = False
        self.score = math.nan

    def step(self) -> None:
        est = self.est
        if self.run.is_classification:
            est.partial_fit(self.X, self.y, classes=np.arange(self.run.n_classes))
        else:
            est.partial_fit(self.X, self.y)
        if not math.isfinite(est.loss_):
            raise TrialFailure(
                f"training diverged (loss {est.loss_}); try a smaller learning_rate_init"
            )
        if self.stop_early:
            current = est.score(self.X_val, self.y_val)
            self.bad_epochs = self.bad_epochs + 1 if current < self.best + est.tol else 0
            if current > self.best:
                self.best = current
                self.best_weights = ([c.copy() for c in est.coefs_],
                                     [b.copy() for b in est.intercepts_])
        else:
            self.bad_epochs = self.bad_epochs + 1 if est.loss_ > self.best - est.tol else 0
            self.best = min(self.best, est.loss_)
        self.done = self.bad_epochs > est.n_iter_no_change

    def finish(self) -> float:
        if self.best_weights is not None:
            self.est.coefs_, self.est.intercepts_ = self.best_weights
            self.score = self.evaluate()
        return self.score

    def evaluate(self) -> float:
        out = self.run.outputs(self.est, self.X_test)
        if not self.run.is_classification:
            out = out * self.scale + self.shift
        return self.run.score(self.y_test, out)


def _run_epochs(run: _Run, folds, report: Reporter) -> tuple[list[float], float, Fitted]:
    """Networks: train all folds side by side, one epoch at a time, reporting the mean score
    after each epoch so that the learning curve grows while the trial runs."""
    fold_runs = [_EpochFold(run, train, test) for train, test in folds]
    fit_time = 0.0
    for epoch in range(1, fold_runs[0].est.max_iter + 1):
        active = [f for f in fold_runs if not f.done]
        if not active:
            break
        for f in active:
            start = time.perf_counter()
            try:
                f.step()
            except (ValueError, ArithmeticError) as e:
                raise _fit_failure(run, fold_runs.index(f), e) from None
            fit_time += time.perf_counter() - start
            f.score = f.evaluate()
        if report(epoch, float(np.mean([f.score for f in fold_runs]))):
            raise TrialPruned()  # the epochs not trained are the compute saved
    return [f.finish() for f in fold_runs], fit_time, [(f.est, f.X_test) for f in fold_runs]


def _fewer_folds(smallest: int) -> str:
    if smallest >= 2:
        return f"expected at most {smallest} folds, or use objective.holdout"
    return "add rows of that class or remove it from the file"


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)
