"""What a pruner judges a trial by (its fidelity), told in words, and the schedule of a
scikit-learn model that trains in one go.

Models that train in steps report them: epochs (networks), boosting iterations, trees.
A model that trains in one go (SVC, kNN, …) is given the fidelity of scikit-learn's
successive-halving search (``resource="n_samples"``) when a pruner may stop it: it is
fitted on growing fractions of its training rows, and each fraction, in percent of the
rows, is a step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.pruners.asha import AshaPruner, rung_steps
from engine.pruners.base import Pruner

# Percents of the training rows fitted by a pruner without rungs of its own (median,
# threshold): the top-down ladder of successive halving with factor 3 (100/27, 100/9, …).
DEFAULT_ROW_PERCENTS = (4, 11, 33, 100)
ROWS = "% of rows"  # the step unit of the data-fraction fidelity

# Fidelity kinds, as the run panel names them.
EPOCHS, ITERATIONS, TREES, DATA_FRACTION, REPORTED, NONE = (
    "epochs", "boosting iterations", "trees", "data fraction", "reported steps", "none")


def fidelity(objective: Mapping[str, Any]) -> str:
    """Which fidelity trials of this objective are judged by (one of the kinds above)."""
    kind = objective.get("kind")
    if kind in ("python", "command"):
        return REPORTED
    if kind != "sklearn":
        return NONE
    iterative = _iterative(objective)
    if iterative is False:
        return NONE  # an unknown model: the objective form names the problem
    from engine.objectives import sklearn_catalog as catalog

    return {catalog.EPOCHS: EPOCHS, catalog.STAGES: ITERATIONS, catalog.TREES: TREES,
            None: DATA_FRACTION}[iterative]


def describe(objective: Mapping[str, Any]) -> str:
    """One sentence for the run panel: what a step is, so what a pruner compares."""
    kind = fidelity(objective)
    return {
        EPOCHS: "Judged by epochs: the network trains one pass over the data at a time.",
        ITERATIONS: "Judged by boosting iterations: the model grows a few at a time.",
        TREES: "Judged by trees: the forest grows a few trees at a time.",
        DATA_FRACTION: ("Judged by data fraction: this model trains in one go, so a trial "
                        "is fitted on growing shares of the training rows (steps are "
                        "percents of the rows) and a stopped one never fits them all."),
        REPORTED: "Judged by the steps your code reports.",
        NONE: "",
    }[kind]


def step_unit(objective: Mapping[str, Any]) -> str:
    """What one step is called for this objective: epochs, iterations, trees, % of rows."""
    return {EPOCHS: "epochs", ITERATIONS: "iterations", TREES: "trees",
            DATA_FRACTION: ROWS}.get(fidelity(objective), "steps")


def row_percents(pruner: Pruner) -> tuple[int, ...]:
    """The fractions (percents of the training rows) a one-go model is fitted on under
    ``pruner``: its rungs below 100 where it has fixed ones (ASHA, Hyperband: every
    bracket's rungs are among the first bracket's), so that each decision is taken on a
    fraction fitted for it; otherwise the successive-halving ladder; and always 100."""
    if pruner.name == "none":
        return ()
    if isinstance(pruner, AshaPruner):
        return tuple(r for r in rung_steps(pruner.min_steps, pruner.eta, 100) if r < 100
                     ) + (100,)
    return DEFAULT_ROW_PERCENTS


def fit_to_pruner(objective: Any, pruner: Pruner) -> Any:
    """The objective a run under ``pruner`` should use: a scikit-learn model that trains
    in one go is fitted on growing fractions of the rows; anything else is unchanged."""
    percents = row_percents(pruner)
    if percents and hasattr(objective, "with_row_percents"):
        return objective.with_row_percents(percents)
    return objective


def _iterative(objective: Mapping[str, Any]) -> str | None | bool:
    from engine.objectives.sklearn_catalog import get_model

    try:
        return get_model(str(objective.get("model"))).iterative
    except (KeyError, ValueError):
        return False
