"""Parameter kinds and their conditions, as frozen data; the problems a space can have.

Parameters travel as plain dicts of JSON types. A parameter whose condition does not hold
is *absent* from a trial's params, never filled with a placeholder.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Value = str | int | float | bool

DEFAULT_GRID_POINTS = 5
# Grid values are listed one by one in Python: a billion points hung the grid sampler. The
# window's spin box stops at the same number.
MAX_GRID_POINTS = 9999


@dataclass(frozen=True)
class Condition:
    """The parameter is active only when ``parent`` took one of ``values``."""

    parent: str
    values: tuple[Value, ...]

    def holds(self, params: Mapping[str, Any]) -> bool:
        if self.parent not in params:
            return False
        taken = params[self.parent]
        return any(same_value(taken, v) for v in self.values)


@dataclass(frozen=True)
class FloatParam:
    name: str
    low: float
    high: float
    log: bool = False
    step: float | None = None
    grid: tuple[float, ...] | None = None
    grid_points: int = DEFAULT_GRID_POINTS
    condition: Condition | None = None
    help: str = ""

    kind = "float"


@dataclass(frozen=True)
class IntParam:
    name: str
    low: int
    high: int
    log: bool = False
    step: int = 1
    grid: tuple[int, ...] | None = None
    grid_points: int = DEFAULT_GRID_POINTS
    condition: Condition | None = None
    help: str = ""

    kind = "int"


@dataclass(frozen=True)
class CategoricalParam:
    name: str
    choices: tuple[Value, ...]
    condition: Condition | None = None
    help: str = ""

    kind = "categorical"


@dataclass(frozen=True)
class FixedParam:
    name: str
    value: Value
    condition: Condition | None = None
    help: str = ""

    kind = "fixed"


Param = FloatParam | IntParam | CategoricalParam | FixedParam
NumericParam = FloatParam | IntParam


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a parameter, phrased for a person."""

    param: str
    field: str
    value: Any
    message: str

    def __str__(self) -> str:
        where = f"parameter '{self.param}'" if self.param else "search space"
        return f"{where}, {self.field} = {show_value(self.value)}: {self.message}"


class SpaceError(ValueError):
    """Raised when a search space breaks one or more rules; ``problems`` lists them all."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def n_values(p: Param) -> float:
    """How many distinct values a parameter can take (``inf`` for a continuous float)."""
    if isinstance(p, FixedParam):
        return 1
    if isinstance(p, CategoricalParam):
        return len(p.choices)
    if isinstance(p, IntParam):
        return (p.high - p.low) // p.step + 1
    if p.step is None:
        return math.inf
    return int(round((p.high - p.low) / p.step)) + 1


def choice_key(v: Any) -> tuple[str, Any]:
    # True == 1 in Python, but a user who lists both means two different choices.
    return (type(v).__name__ if isinstance(v, bool) else "number" if isinstance(v, (int, float))
            else type(v).__name__, v)


def same_value(a: Any, b: Any) -> bool:
    return choice_key(a) == choice_key(b)


def show_value(v: Any) -> str:
    """A value as a person reads it in an error message: TOML-like, and kept short."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return repr(v)
    if v is None:
        return "nothing"
    if isinstance(v, (list, tuple)):
        text = "[" + ", ".join(show_value(x) for x in v) + "]"
    elif isinstance(v, dict):
        text = "{" + ", ".join(f"{k} = {show_value(x)}" for k, x in v.items()) + "}"
    else:
        text = str(v)
    return text if len(text) <= 80 else text[:77] + "..."
