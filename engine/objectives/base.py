"""The interface every objective kind implements.

An objective is a small, picklable description (a file path and a function name, a model
and a data set, a command template). It is built in the app, checked with ``check`` before
any trial runs, and then sent to worker processes, where ``evaluate`` runs one trial.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# report(step, value): called by an objective while a trial runs, e.g. score per epoch.
# It returns True when the trial should stop now (a pruner judged it hopeless); the
# objective then stops its work and raises TrialPruned (or simply returns).
Reporter = Callable[[int, float], "bool | None"]


# Set in each worker process to its slot's number (0, 1, …): a command's {worker} and
# devices use it, so that parallel trials can each have their own GPU.
WORKER_ENV = "KNOBS_WORKER"


class ObjectiveError(ValueError):
    """The objective's settings are wrong; raised before any trial runs."""


class TrialPruned(Exception):
    """Raised inside a worker by an objective that stopped because ``report`` said so."""


class TrialFailure(Exception):
    """Raised inside a worker when a trial should fail with a plain reason (no traceback)."""


@dataclass(frozen=True)
class Evaluation:
    """What one trial produced: the value to optimise and any extra metrics."""

    value: float
    metrics: dict[str, Any] = field(default_factory=dict)


class Objective(ABC):
    kind: str = ""

    def check(self, param_names: Sequence[str] | None = None) -> None:  # noqa: B027
        """Raise :class:`ObjectiveError` if the objective cannot run; runs in the app.

        ``param_names`` are the search space's parameters, for kinds that refer to them
        (a command template's placeholders).
        """

    @abstractmethod
    def evaluate(self, params: Mapping[str, Any], report: Reporter) -> Evaluation:
        """Run one trial in a worker process."""

    def describe(self) -> str:
        """One line a person can read to know what will run (shown before running)."""
        return self.kind


def to_evaluation(result: Any) -> Evaluation:
    """Turn what a user's function returned into an :class:`Evaluation`, or fail clearly."""
    metrics: dict[str, Any] = {}
    raw = result
    if isinstance(result, Mapping):
        if "value" not in result:
            keys = ", ".join(map(str, result)) or "none"
            raise TrialFailure(
                f"the objective returned a dict without a 'value' key (keys: {keys})"
            )
        raw = result["value"]
        metrics = {str(k): v for k, v in result.items() if k != "value"}
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) and not _is_numpy_number(raw):
        raise TrialFailure(
            f"the objective returned {raw!r} ({type(raw).__name__}); "
            "expected a number or a dict with 'value'"
        )
    value = float(raw)
    if not math.isfinite(value):
        raise TrialFailure(f"the objective returned {value}; the value must be a finite number")
    return Evaluation(value, _plain(metrics))


def _is_numpy_number(x: Any) -> bool:
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy is a dependency
        return False
    return isinstance(x, np.number) and not isinstance(x, np.bool_)


def _plain(metrics: dict[str, Any]) -> dict[str, Any]:
    """Keep metrics JSON-able: numbers become floats, lists stay lists, others become text."""
    out: dict[str, Any] = {}
    for k, v in metrics.items():
        if isinstance(v, (str, bool)) or v is None:
            out[k] = v
        elif isinstance(v, (int, float)) or _is_numpy_number(v):
            out[k] = float(v)
        elif isinstance(v, (list, tuple)):
            out[k] = [float(x) if isinstance(x, (int, float)) or _is_numpy_number(x) else str(x)
                      for x in v]
        else:
            out[k] = str(v)
    return out
