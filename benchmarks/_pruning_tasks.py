"""The learning-curve tasks of benchmarks/pruning_vs_peers.py, and how far early values
rank like final ones on each (``python -m benchmarks.pruning_vs_peers --agreement``).

Each task turns a configuration into a step function: ``make_run(params)(t)`` is the loss
after step ``t``, called with the task's steps in order (the MLP and the command example
train one more epoch per call, boosting adds iterations, the SVC fits a larger fraction).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.space import FloatParam, IntParam, SearchSpace


@dataclass(frozen=True)
class Task:
    name: str
    params: tuple
    max_steps: int
    make_run: Callable[[dict], Callable[[int], float]]  # params -> (step -> loss)
    true_final: Callable[[dict], float] | None = None  # known full-length loss, if any
    every: tuple[int, ...] = ()  # the steps reported, if not 1..max_steps
    min_steps: int = 1  # ASHA's and Hyperband's first rung
    # Each step is a fit of its own from scratch (data fraction): a trial costs the sum of
    # its steps (4 + 12 + 36 + 100 = 152 for a full one), and without pruning only the last
    # step is fitted (100), as Knobs does.
    refits: bool = False

    @property
    def steps(self) -> tuple[int, ...]:
        return self.every or tuple(range(1, self.max_steps + 1))

    def steps_under(self, pruner: str) -> tuple[int, ...]:
        """The steps a trial reports under ``pruner``."""
        return self.steps[-1:] if self.refits and pruner == "none" else self.steps

    def cost(self, steps: tuple[int, ...], stopped: int | None) -> int:
        """The steps a trial that reported ``steps`` and stopped at ``stopped`` ran."""
        if not self.refits:
            return stopped or self.max_steps
        return sum(s for s in steps if stopped is None or s <= stopped)


def _crossing_run(p: dict) -> Callable[[int], float]:
    """Loss falls from f + 1 to f; the better the configuration, the slower it learns, so
    good early is not always good late (curves cross)."""
    final = (p["x"] - 0.7) ** 2 + (p["y"] - 0.3) ** 2
    tau = _tau(p)
    rng = np.random.default_rng(abs(hash((round(p["x"], 12), round(p["y"], 12)))) % 2**32)
    noise = rng.normal(0, 0.005, 100)
    return lambda t: final + math.exp(-t / tau) + noise[t % 100]


def _tau(p: dict) -> float:
    return 2.0 + 25.0 * p["x"]


def _crossing_final(p: dict) -> float:
    """The full-length (step 27) loss without noise: what the best configuration is judged by."""
    return (p["x"] - 0.7) ** 2 + (p["y"] - 0.3) ** 2 + math.exp(-27 / _tau(p))


def _mlp_run(p: dict) -> Callable[[int], float]:
    import warnings

    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    x, y = load_digits(return_X_y=True)
    xt, xv, yt, yv = train_test_split(x / 16.0, y, test_size=0.25, stratify=y, random_state=0)
    model = MLPClassifier(hidden_layer_sizes=(int(p["units"]),), batch_size=int(p["batch"]),
                          learning_rate_init=p["lr"], alpha=p["alpha"], random_state=0)
    classes = np.unique(y)

    def step(_t: int) -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.partial_fit(xt, yt, classes=classes)
        return 1.0 - model.score(xv, yv)

    return step


def _svc_run(p: dict) -> Callable[[int], float]:
    """An SVC by data fraction, as Knobs fits one: step p fits the first p% of the training
    rows (a seeded, class-balanced order) and scores on the held-out rows."""
    import warnings

    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.svm import SVC

    from engine.objectives.sklearn_fits import growing_order

    x, y = load_digits(return_X_y=True)
    xt, xv, yt, yv = train_test_split(x / 16.0, y, test_size=0.25, stratify=y, random_state=0)
    order = growing_order(yt, 0, stratify=True)

    def step(t: int) -> float:
        rows = order[:math.ceil(len(order) * t / 100)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = SVC(C=p["C"], gamma=p["gamma"]).fit(xt[rows], yt[rows])
        return 1.0 - model.score(xv, yv)

    return step


EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"


def _command_params() -> tuple:
    from engine.spec import load_spec

    return load_spec(EXAMPLES / "command.toml").params


def _command_run(p: dict) -> Callable[[int], float]:
    """The shipped command example (resources/examples/command.toml, train_mlp.py), run in
    this process: the script's own data, model and epoch, imported from it rather than
    started as a process per trial, so its curve is the one the command prints (1 −
    validation accuracy here) and compute is counted in its epochs, not in seconds."""
    import argparse
    import importlib.util

    spec = importlib.util.spec_from_file_location("train_mlp", EXAMPLES / "train_mlp.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    xt, xv, yt, yv = _command_data(script)
    args = argparse.Namespace(
        learning_rate=p["learning_rate"], batch_size=int(p["batch_size"]),
        hidden_units=int(p["hidden_units"]), layers=int(p["layers"]), alpha=p["alpha"],
        solver=p["solver"], momentum=p.get("momentum", 0.9), seed=0)
    model = script.build_model(args)

    def step(_t: int) -> float:
        script.train_one_epoch(model, xt, yt)
        return 1.0 - model.score(xv, yv)

    return step


_COMMAND_DATA: dict = {}


def _command_data(script) -> tuple:
    if "data" not in _COMMAND_DATA:
        _COMMAND_DATA["data"] = script.load_data(0)
    return _COMMAND_DATA["data"]


def _boosting_run(p: dict) -> Callable[[int], float]:
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import log_loss
    from sklearn.model_selection import train_test_split

    x, y = load_breast_cancer(return_X_y=True)
    xt, xv, yt, yv = train_test_split(x, y, test_size=0.3, stratify=y, random_state=0)
    model = HistGradientBoostingClassifier(
        learning_rate=p["lr"], max_leaf_nodes=int(p["leaves"]), l2_regularization=p["l2"],
        early_stopping=False, warm_start=True, max_iter=1, random_state=0)

    def step(t: int) -> float:
        model.set_params(max_iter=t)
        model.fit(xt, yt)
        return log_loss(yv, model.predict_proba(xv))

    return step


TASKS = {
    "crossing": Task("crossing", (FloatParam("x", 0.0, 1.0), FloatParam("y", 0.0, 1.0)), 27,
                     _crossing_run, _crossing_final),
    "mlp_digits": Task("mlp_digits", (
        FloatParam("lr", 1e-4, 0.3, log=True), FloatParam("alpha", 1e-6, 1e-1, log=True),
        IntParam("units", 8, 64, log=True), IntParam("batch", 16, 256, log=True)), 12, _mlp_run),
    "boosting": Task("boosting", (
        FloatParam("lr", 0.005, 0.5, log=True), IntParam("leaves", 4, 64, log=True),
        FloatParam("l2", 1e-6, 10.0, log=True)), 27, _boosting_run),
    "svc_fraction": Task("svc_fraction", (
        FloatParam("C", 1e-2, 1e3, log=True), FloatParam("gamma", 1e-4, 10.0, log=True)),
        100, _svc_run, every=(4, 12, 36, 100), min_steps=4, refits=True),
    # The command example's 15 epochs (its spec's --epochs 15).
    "command": Task("command", _command_params(), 15, _command_run),
}

def _step(curve: Callable[[int], float], t: int) -> float | None:
    """The loss at step ``t``, or None when training diverged (scikit-learn's MLP raises
    ValueError on non-finite weights; the command example's script then exits failed)."""
    try:
        return curve(t)
    except ValueError as exc:
        if "non-finite" not in str(exc):
            raise
        return None


def agreement(task: Task, n: int = 40, seed: int = 0) -> list[tuple[int, float, float]]:
    """For each ASHA rung (eta 3) before the full length: Spearman's rho between the
    values there and the final ones over ``n`` random configurations, and among the best
    third at that rung (the trials ASHA lets go on)."""
    from scipy.stats import spearmanr

    space = SearchSpace(task.params)
    rng = np.random.default_rng(seed)
    curves = []
    for _ in range(n):
        run = task.make_run(space.decode(rng.random(space.dimension)))
        values = {}
        for t in task.steps:
            value = _step(run, t)
            if value is None:
                break
            values[t] = value
        if task.steps[-1] in values:
            curves.append(values)
    final = np.array([c[task.steps[-1]] for c in curves])
    out = []
    rung = task.min_steps
    while rung < task.max_steps:
        step = min(t for t in task.steps if t >= rung)
        at = np.array([c[step] for c in curves])
        top = np.argsort(at)[: len(at) // 3]
        out.append((step, float(spearmanr(at, final)[0]),
                    float(spearmanr(at[top], final[top])[0])))
        rung *= 3
    return out
