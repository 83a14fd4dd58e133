"""How a scikit-learn trial trains, fold by fold: in one go, by growing the model
(boosting iterations, forest trees), by epochs (networks), or on growing fractions of the
training rows (models that train in one go, when a pruner may stop them)."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from engine.objectives.base import Reporter, TrialFailure, TrialPruned
from engine.objectives.sklearn_catalog import (
    CLASSIFICATION,
    GROWS_BY,
    PROBA_METRICS,
    ModelEntry,
)
from engine.objectives.sklearn_catalog import score as metric_score
from engine.objectives.sklearn_data import Dataset, make_preprocessor


@dataclass(frozen=True)
class Run:
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

# (fitted model, its fold's test rows) per fold: timed predictions and size after training.
Fitted = list[tuple[Any, np.ndarray]]


def predict_time(run: Run, fitted: Fitted) -> float:
    """Seconds to predict every fold's test rows once, with training done: scoring inside
    the training loops is interleaved with fitting and would count epochs, not a model."""
    total = 0.0
    for est, X_test in fitted:
        start = time.perf_counter()
        run.outputs(est, X_test)
        total += time.perf_counter() - start
    return total


def _fit_failure(run: Run, fold: int, e: Exception) -> TrialFailure:
    return TrialFailure(f"{run.entry.name} failed to train on fold {fold + 1}: {e}")


def run_plain(run: Run, folds) -> tuple[list[float], float, Fitted]:
    scores, fit_time, fitted = [], 0.0, []
    for i, (train, test) in enumerate(folds):
        X_train, y_train, X_test, y_test = run.fold(train, test)
        score, seconds, est = _fit_and_score(run, i, X_train, y_train, X_test, y_test)
        scores.append(score)
        fit_time += seconds
        fitted.append((est, X_test))
    return scores, fit_time, fitted


def _fit_and_score(run: Run, fold: int, X_train, y_train, X_test, y_test
                   ) -> tuple[float, float, Any]:
    est = run.estimator()
    if not run.is_classification and run.entry.scale_target:
        est = TransformedTargetRegressor(regressor=est, transformer=StandardScaler())
    start = time.perf_counter()
    try:
        est.fit(X_train, y_train)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as e:
        raise _fit_failure(run, fold, e) from None
    seconds = time.perf_counter() - start
    return run.score(y_test, run.outputs(est, X_test)), seconds, est


def run_fractions(run: Run, folds, percents: Sequence[int], report: Reporter
                  ) -> tuple[list[float], float, Fitted, list[int]]:
    """Models that train in one go, under a pruner: fit every fold on the first p% of its
    training rows for each p in ``percents`` (the last is 100), scoring on the whole test
    fold and reporting the mean at step p, as scikit-learn's successive halving does with
    ``resource="n_samples"``. A pruned trial never fits the larger fractions: those are the
    compute saved. The rows come in a seeded order that keeps the classes' shares in
    every prefix, and each fraction holds the rows of the smaller ones.

    Returns the fold scores on all rows, the fitting time, the models fitted on all rows
    and the fractions skipped
    because the model could not train on so few rows (e.g. kNN with more neighbours than
    rows): the pruner then judges the trial at the next fraction.
    """
    fold_data = [run.fold(train, test) for train, test in folds]
    orders = [growing_order(y_train, run.seed, run.is_classification)
              for _, y_train, _, _ in fold_data]
    fit_time, skipped = 0.0, []
    for percent in percents:
        scores, fitted = [], []
        try:
            for i, ((X_train, y_train, X_test, y_test), order) in enumerate(
                    zip(fold_data, orders)):
                rows = order[:max(1, math.ceil(len(order) * percent / 100))]
                score, seconds, est = _fit_and_score(run, i, X_train[rows], y_train[rows],
                                                     X_test, y_test)
                scores.append(score)
                fit_time += seconds
                fitted.append((est, X_test))
        except TrialFailure:
            if percent >= 100:
                raise
            skipped.append(percent)
            continue
        if report(percent, float(np.mean(scores))):
            raise TrialPruned()
    return scores, fit_time, fitted, skipped


def growing_order(y: np.ndarray, seed: int, stratify: bool) -> np.ndarray:
    """A seeded order of the training rows whose every prefix holds each class in about its
    share of the whole (rows of a class spread evenly along the order)."""
    order = np.random.default_rng(seed).permutation(len(y))
    if not stratify:
        return order
    shuffled = y[order]
    key = np.empty(len(y))
    for c in np.unique(shuffled):
        where = np.flatnonzero(shuffled == c)
        key[where] = (np.arange(len(where)) + 0.5) / len(where)
    return order[np.argsort(key, kind="stable")]


def run_growing(run: Run, folds, report: Reporter) -> tuple[list[float], float, Fitted]:
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

    def __init__(self, run: Run, train: np.ndarray, test: np.ndarray):
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


def run_epochs(run: Run, folds, report: Reporter) -> tuple[list[float], float, Fitted]:
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
