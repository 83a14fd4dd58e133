"""What a study optimises and what it must respect: ``[[objectives]]`` and ``[[constraints]]``.

A study has one objective by default: the objective's main score (``"value"``) in the spec's
``direction``. A spec may name several, each a metric the objective reports (the sklearn
objective's ``fit_time``, a command's final JSON fields, a Python function's dict keys) with
a direction, and constraints with ``max`` and/or ``min``. This module reads and checks those
tables (every problem at once, as the rest of the spec) and turns a trial's value and
metrics into its objective values and its constraint violation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.space import show_value

VALUE = "value"  # the objective's main score, as opposed to a metric it returns
DIRECTIONS = ("minimize", "maximize")
_OBJECTIVE_KEYS = ("metric", "direction")
_CONSTRAINT_KEYS = ("metric", "max", "min")

# Plain words for metrics the catalog's objectives report: (what it is, unit).
METRIC_WORDS: dict[str, tuple[str, str]] = {
    "fit_time": ("training time", "s"),
    "predict_time": ("prediction time", "s"),
    "model_size_kb": ("model size", "kB"),
    "std": ("spread of the fold scores", ""),
}
# Metrics that are never negative: a limit below zero cannot be met.
_NON_NEGATIVE = frozenset(METRIC_WORDS)


@dataclass(frozen=True)
class Goal:
    """One objective: a metric and whether lower or higher is better."""

    metric: str
    direction: str

    @property
    def sign(self) -> float:
        """Multiplies the metric into a value to minimise."""
        return -1.0 if self.direction == "maximize" else 1.0


@dataclass(frozen=True)
class Limit:
    """One constraint: ``min <= metric <= max`` (either bound may be left out)."""

    metric: str
    min: float | None = None
    max: float | None = None

    def violation(self, v: float) -> float:
        """How far ``v`` lies outside the limit (0 when it is met)."""
        over = v - self.max if self.max is not None else 0.0
        under = self.min - v if self.min is not None else 0.0
        return max(0.0, over, under)

    def text(self) -> str:
        """``fit_time <= 60``, ``0.9 <= accuracy``, ``1 <= size <= 5``."""
        if self.min is not None and self.max is not None:
            return f"{_num(self.min)} <= {self.metric} <= {_num(self.max)}"
        if self.max is not None:
            return f"{self.metric} <= {_num(self.max)}"
        return f"{self.metric} >= {_num(self.min)}"

    def words(self, label: str | None = None) -> str:
        """The limit in plain words: "Keep training time under 60 s"."""
        name, unit = METRIC_WORDS.get(self.metric, (label or self.metric, ""))
        unit = f" {unit}" if unit else ""
        if self.min is not None and self.max is not None:
            return f"Keep {name} between {_num(self.min)} and {_num(self.max)}{unit}"
        if self.max is not None:
            return f"Keep {name} under {_num(self.max)}{unit}"
        return f"Keep {name} at least {_num(self.min)}{unit}"


def _num(v: float) -> str:
    return f"{v:g}"


def metric_label(metric: str) -> str:
    """A metric's name for people: "training time (s)", else the name itself."""
    if metric in METRIC_WORDS:
        name, unit = METRIC_WORDS[metric]
        return f"{name} ({unit})" if unit else name
    return metric


class MissingMetric(ValueError):
    """A trial did not report a metric the study's objectives or constraints need."""


def objective_values(value: float | None, metrics: Mapping[str, Any], goals: Sequence[Goal]
                     ) -> tuple[float, ...]:
    """The objective values of one trial, in the order of ``goals``; raises MissingMetric."""
    return tuple(metric_value(g.metric, value, metrics) for g in goals)


def violation(value: float | None, metrics: Mapping[str, Any], limits: Sequence[Limit]
              ) -> float:
    """Summed distance outside every limit (0 for a feasible trial); raises MissingMetric."""
    return float(sum(c.violation(metric_value(c.metric, value, metrics)) for c in limits))


def metric_value(name: str, value: float | None, metrics: Mapping[str, Any]) -> float:
    raw = value if name == VALUE else metrics.get(name)
    if name != VALUE and name not in metrics:
        reported = ", ".join(sorted(k for k in metrics if _is_number(metrics[k]))) or "none"
        raise MissingMetric(f"the objective reported no metric {name!r} (numbers it "
                            f"reported: {reported})")
    if not _is_number(raw) or not math.isfinite(float(raw)):
        raise MissingMetric(f"metric {name!r} = {show_value(raw)}: expected a finite number")
    return float(raw)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


# ---------------------------------------------------------------------------- spec tables


def read_goals(data: Mapping[str, Any], direction: str, known: Mapping[str, str | None] | None,
               problems: list[str]) -> tuple[tuple[Goal, ...], tuple[Limit, ...]]:
    """The ``objectives`` and ``constraints`` of a spec table, checked.

    ``direction`` is the main score's (``"value"``); ``known`` maps the metrics this kind of
    objective reports to the direction each is better in (``None``: no preference), or is
    ``None`` when the objective may report any name (a command's JSON, a Python dict).
    An empty tuple of goals means the default: the main score alone.
    """
    goals = _read_objectives(data.get("objectives"), direction, known, problems)
    limits = _read_constraints(data.get("constraints"), known, problems)
    return goals, limits


def _metric_problem(where: str, metric: Any, known: Mapping[str, str | None] | None
                    ) -> str | None:
    if not isinstance(metric, str) or not metric.strip():
        return (f"{where}metric = {show_value(metric)}: expected the name of a metric the "
                "objective reports, or \"value\" for its main score")
    if known is not None and metric not in known:
        return (f"{where}metric = {show_value(metric)}: this objective does not report it; "
                f"expected one of {', '.join(known)}")
    return None


def _tables(raw: Any, key: str, problems: list[str]) -> list[tuple[int, Mapping]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append(f"{key} = {show_value(raw)}: expected a list of [[{key}]] tables")
        return []
    out = []
    for i, item in enumerate(raw):
        if isinstance(item, Mapping):
            out.append((i, item))
        else:
            problems.append(f"{key}[{i}] = {show_value(item)}: expected a table with a metric")
    return out


def _unknown_keys(where: str, item: Mapping[str, Any], accepted: tuple[str, ...],
                  problems: list[str]) -> None:
    for k in item:
        if k not in accepted:
            problems.append(f"{where}{k}: unknown setting; accepted: " + ", ".join(accepted))


def _read_objectives(raw: Any, direction: str, known: Mapping[str, str | None] | None,
                     problems: list[str]) -> tuple[Goal, ...]:
    goals: list[Goal] = []
    seen: set[str] = set()
    for i, item in _tables(raw, "objectives", problems):
        where = f"objectives[{i}]."
        _unknown_keys(where, item, _OBJECTIVE_KEYS, problems)
        metric = item.get("metric")
        bad = _metric_problem(where, metric, known)
        if bad:
            problems.append(bad)
            continue
        implied = direction if metric == VALUE else (known or {}).get(metric)
        chosen = item.get("direction", implied)
        if chosen is None:
            problems.append(f"{where}direction: missing; say whether {metric} is better "
                            "lower (\"minimize\") or higher (\"maximize\")")
            continue
        if chosen not in DIRECTIONS:
            problems.append(f"{where}direction = {show_value(chosen)}: expected one of "
                            + ", ".join(DIRECTIONS))
            continue
        if implied is not None and chosen != implied:
            whose = ("the main score" if metric == VALUE else metric)
            problems.append(
                f"{where}direction = {show_value(chosen)}: {whose} is better when "
                f"{'higher' if implied == 'maximize' else 'lower'}; use {show_value(implied)} "
                "or leave direction out")
            continue
        if metric in seen:
            problems.append(f"{where}metric = {show_value(metric)}: named twice; each "
                            "objective is a different metric")
            continue
        seen.add(metric)
        goals.append(Goal(metric, chosen))
    if raw is not None and isinstance(raw, list) and not raw:
        problems.append("objectives = []: name at least one objective, or leave the key out "
                        "to optimise the main score")
    return tuple(goals)


def _read_constraints(raw: Any, known: Mapping[str, str | None] | None, problems: list[str]
                      ) -> tuple[Limit, ...]:
    limits: list[Limit] = []
    for i, item in _tables(raw, "constraints", problems):
        where = f"constraints[{i}]."
        before = len(problems)
        _unknown_keys(where, item, _CONSTRAINT_KEYS, problems)
        metric = item.get("metric")
        bad = _metric_problem(where, metric, known)
        if bad:
            problems.append(bad)
        bounds = {}
        for key in ("min", "max"):
            v = item.get(key)
            if v is None:
                continue
            if not _is_number(v) or not _finite(v):
                problems.append(f"{where}{key} = {show_value(v)}: expected a finite number")
            else:
                bounds[key] = float(v)
        if "min" not in item and "max" not in item:
            problems.append(f"{where}: give max, min or both (e.g. max = 60 keeps "
                            f"{metric if isinstance(metric, str) else 'the metric'} at most 60)")
        lo, hi = bounds.get("min"), bounds.get("max")
        if lo is not None and hi is not None and lo > hi:
            problems.append(f"{where}min = {_num(lo)} and max = {_num(hi)}: no value can meet "
                            "both; min must be at most max")
        if hi is not None and hi < 0 and metric in _NON_NEGATIVE:
            problems.append(f"{where}max = {_num(hi)}: {metric_label(metric)} is never "
                            "negative, so no trial could meet this limit")
        if len(problems) == before:
            limits.append(Limit(metric, lo, hi))
    return tuple(limits)


def _finite(v: int | float) -> bool:
    try:
        return math.isfinite(v)
    except OverflowError:
        return False


def goals_to_dict(goals: Sequence[Goal], limits: Sequence[Limit]) -> dict[str, Any]:
    """The ``objectives``/``constraints`` entries of a spec table (empty when default)."""
    out: dict[str, Any] = {}
    if goals:
        out["objectives"] = [{"metric": g.metric, "direction": g.direction} for g in goals]
    if limits:
        out["constraints"] = [
            {"metric": c.metric, **({"min": c.min} if c.min is not None else {}),
             **({"max": c.max} if c.max is not None else {})} for c in limits]
    return out
