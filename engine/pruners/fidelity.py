"""Whether an objective reports steps a pruner can judge, told in a sentence."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def no_steps_reason(objective: Mapping[str, Any]) -> str | None:
    """Why trials of this objective cannot be stopped early, or ``None`` when they can.

    A Python function or a command may report steps (``report()``, ``step=N value=X``
    lines), so they can; a scikit-learn model can when it trains in steps.
    """
    if objective.get("kind") != "sklearn":
        return None
    from engine.objectives.sklearn_catalog import get_model

    try:
        entry = get_model(str(objective.get("model")))
    except (KeyError, ValueError):
        return None  # an unknown model is the objective form's problem to show
    if entry.iterative is None:
        return (f"{entry.name} trains in one go and reports no steps, so there is nothing "
                "to judge a trial by before it ends.")
    return None


def step_unit(objective: Mapping[str, Any]) -> str:
    """What one step is called for this objective: epochs, iterations, trees or steps."""
    if objective.get("kind") == "sklearn":
        from engine.objectives.sklearn_catalog import EPOCHS, STAGES, TREES, get_model

        try:
            kind = get_model(str(objective.get("model"))).iterative
        except (KeyError, ValueError):
            return "steps"
        return {EPOCHS: "epochs", STAGES: "iterations", TREES: "trees"}.get(kind, "steps")
    return "steps"
