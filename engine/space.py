"""Search spaces: parameter kinds, conditions, validation, unit-cube encoding and grids.

A :class:`SearchSpace` is an ordered, validated collection of parameters. Building one
checks every rule at once and raises :class:`SpaceError` listing each problem; the window
calls :func:`find_problems` instead to show them inline while the user is still typing.

Parameters travel as plain dicts of JSON types. A parameter whose condition does not hold
is *absent* from a trial's params, never filled with a placeholder.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Value = str | int | float | bool

DEFAULT_GRID_POINTS = 5
# Grid values are listed one by one in Python: a billion points hung the grid sampler. The
# window's spin box stops at the same number.
MAX_GRID_POINTS = 9999
# Floating-point slack when checking that a step divides a range.
_STEP_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Condition:
    """The parameter is active only when ``parent`` took one of ``values``."""

    parent: str
    values: tuple[Value, ...]

    def holds(self, params: Mapping[str, Any]) -> bool:
        if self.parent not in params:
            return False
        taken = params[self.parent]
        return any(_same_value(taken, v) for v in self.values)


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


# ---------------------------------------------------------------------------- validation


def find_problems(params: Sequence[Param]) -> list[Problem]:
    """Every rule the parameters break, in parameter order; empty when the space is valid."""
    problems: list[Problem] = []
    if not params:
        problems.append(Problem("", "params", [], "add at least one parameter"))
    seen: set[str] = set()
    for p in params:
        if not isinstance(p.name, str) or not p.name.strip():
            problems.append(Problem(str(p.name), "name", p.name, "a name must not be empty"))
        elif p.name in seen:
            problems.append(
                Problem(p.name, "name", p.name, "another parameter already has this name")
            )
        seen.add(p.name)
        problems.extend(_param_problems(p))
    by_name = {p.name: p for p in params}
    for p in params:
        problems.extend(_condition_problems(p, by_name))
    problems.extend(_cycle_problems(params))
    return problems


def _param_problems(p: Param) -> list[Problem]:
    if isinstance(p, (FloatParam, IntParam)):
        return _numeric_problems(p)
    if isinstance(p, CategoricalParam):
        return _choice_problems(p)
    if not _is_value(p.value):
        return [Problem(p.name, "value", p.value, "must be text, a finite number or true/false")]
    return []


def _is_value(v: Any) -> bool:
    # What a trial's params (JSON) can carry: NaN and inf are not JSON, and a list or table
    # is not one value of a parameter.
    return isinstance(v, (str, bool)) or isinstance(v, (int, float)) and _finite(v)


def _numeric_problems(p: NumericParam) -> list[Problem]:
    out: list[Problem] = []
    number = int if isinstance(p, IntParam) else (int, float)
    for fld in ("low", "high"):
        v = getattr(p, fld)
        if isinstance(v, bool) or not isinstance(v, number) or not _finite(v):
            kind = "a whole number" if isinstance(p, IntParam) else "a finite number"
            if isinstance(v, int) and not isinstance(v, bool) and not _finite(v):
                kind = "a number below 1e308"  # a huge whole number from a JSON spec
            out.append(Problem(p.name, fld, v, f"must be {kind}"))
    if out:
        return out
    if p.low >= p.high:
        out.append(
            Problem(p.name, "high", p.high, f"must be greater than low ({show_value(p.low)})")
        )
    elif not _finite(p.high - p.low):
        # Sampling works on the width high - low; past the float range it decodes to inf.
        out.append(Problem(p.name, "high", p.high,
                           f"the range {_range(p)} is too wide: high - low must stay below 1e308"))
        return out
    if p.log and p.low <= 0:
        out.append(Problem(p.name, "low", p.low, "must be greater than 0 on a log scale"))
    if p.step is not None:
        out.extend(_step_problems(p))
    if p.grid is not None:
        out.extend(_grid_problems(p))
    elif (isinstance(p.grid_points, bool) or not isinstance(p.grid_points, int)
          or not 1 <= p.grid_points <= MAX_GRID_POINTS):
        out.append(Problem(p.name, "grid_points", p.grid_points,
                           f"must be a whole number from 1 to {MAX_GRID_POINTS}"))
    return out


def _step_problems(p: NumericParam) -> list[Problem]:
    step = p.step
    if isinstance(p, IntParam) and (isinstance(step, bool) or not isinstance(step, int)):
        return [Problem(p.name, "step", step, "must be a whole number >= 1")]
    # Finite too: an infinite step "divides" any range into zero steps, then decodes to NaN.
    if (isinstance(step, bool) or not isinstance(step, (int, float)) or not step > 0
            or not _finite(step)):
        return [Problem(p.name, "step", step, "must be a finite number greater than 0")]
    if p.log and not (isinstance(p, IntParam) and step == 1):
        return [Problem(p.name, "step", step, "cannot be combined with a log scale")]
    if p.low >= p.high:
        return []
    span = (p.high - p.low) / step
    if not math.isfinite(span):
        # round() of an infinite span would raise; such a step cannot divide the range anyway.
        return [Problem(p.name, "step", step, f"is too small for the range {_range(p)}")]
    if abs(span - round(span)) > _STEP_TOLERANCE * max(1.0, abs(span)):
        return [
            Problem(
                p.name, "step", step,
                f"must divide the range {_range(p)} into whole steps",
            )
        ]
    return []


def _grid_problems(p: NumericParam) -> list[Problem]:
    out: list[Problem] = []
    if len(p.grid) == 0:
        return [Problem(p.name, "grid", [], "list at least one value, or leave it empty")]
    for v in p.grid:
        ok_type = isinstance(v, int) if isinstance(p, IntParam) else isinstance(v, (int, float))
        if isinstance(v, bool) or not ok_type:
            out.append(Problem(p.name, "grid", v, "grid values must be numbers of the same kind"))
        elif not p.low <= v <= p.high:
            out.append(
                Problem(p.name, "grid", v, f"must lie within {_range(p)}")
            )
        elif p.step is not None and not _on_step(p, v):
            out.append(Problem(p.name, "grid", v, f"must be {_show_steps(p)}"))
    # Only numbers are compared: other values were reported above and may be unhashable.
    numbers = [v for v in p.grid if not isinstance(v, bool) and isinstance(v, (int, float))]
    if len(set(numbers)) != len(numbers):
        out.append(Problem(p.name, "grid", list(p.grid), "values must not repeat"))
    return out


def _choice_problems(p: CategoricalParam) -> list[Problem]:
    if len(p.choices) == 0:
        return [Problem(p.name, "choices", [], "list at least one choice")]
    out = []
    for c in p.choices:
        if not _is_value(c):
            out.append(Problem(p.name, "choices", c,
                               "choices must be text, finite numbers or true/false"))
    keys = [_choice_key(c) for c in p.choices]
    dupes = [c for i, (c, k) in enumerate(zip(p.choices, keys)) if k in keys[:i]]
    if dupes:
        out.append(Problem(p.name, "choices", dupes, "each choice must appear once"))
    return out


def _condition_problems(p: Param, by_name: Mapping[str, Param]) -> list[Problem]:
    c = p.condition
    if c is None:
        return []
    if c.parent == p.name:
        return [Problem(p.name, "condition", c.parent, "a parameter cannot depend on itself")]
    parent = by_name.get(c.parent)
    if parent is None:
        names = ", ".join(sorted(by_name)) or "none"
        return [
            Problem(p.name, "condition", c.parent, f"no parameter has this name (have: {names})")
        ]
    if not c.values:
        return [Problem(p.name, "condition", [], f"list the values of '{c.parent}' that enable it")]
    out = []
    for v in c.values:
        if not _can_take(parent, v):
            out.append(
                Problem(
                    p.name, "condition", v,
                    f"'{c.parent}' can never take this value ({_describe_values(parent)})",
                )
            )
    return out


def _cycle_problems(params: Sequence[Param]) -> list[Problem]:
    # A parameter that names itself is reported by _condition_problems already.
    parent_of = {
        p.name: p.condition.parent for p in params
        if p.condition is not None and p.condition.parent != p.name
    }
    reported: set[str] = set()
    out = []
    for start in parent_of:
        path, node = [], start
        while node in parent_of and node not in path:
            path.append(node)
            node = parent_of[node]
        if node in path:
            cycle = path[path.index(node):]
            if not reported.intersection(cycle):
                reported.update(cycle)
                chain = " -> ".join([*cycle, cycle[0]])
                out.append(
                    Problem(cycle[0], "condition", chain, "conditions must not form a cycle")
                )
    return out


def _can_take(p: Param, v: Any) -> bool:
    if isinstance(p, CategoricalParam):
        return any(_same_value(v, c) for c in p.choices)
    if isinstance(p, FixedParam):
        return _same_value(v, p.value)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    try:
        in_range = p.low <= v <= p.high
    except TypeError:
        return False
    if not in_range:
        return False
    if isinstance(p, IntParam) and v != int(v):
        return False
    return p.step is None or _on_step(p, v)


def _finite(v: int | float) -> bool:
    try:
        return math.isfinite(v)
    except OverflowError:  # an int beyond the float range, e.g. 10**400 in a JSON spec
        return False


def _on_step(p: NumericParam, v: float) -> bool:
    if isinstance(p.step, bool) or not isinstance(p.step, (int, float)) or not p.step > 0:
        return True  # a bad step is reported on its own field
    # A condition on a parent with an infinite or huge bound gets here too; round() of
    # the infinite k would raise. The bound is reported on its own field.
    try:
        k = (v - p.low) / p.step
    except OverflowError:
        return True
    if not math.isfinite(k):
        return True
    return abs(k - round(k)) <= _STEP_TOLERANCE * max(1.0, abs(k))


def _show_steps(p: NumericParam) -> str:
    return f"{show_value(p.low)} plus a whole number of steps of {show_value(p.step)}"


def _describe_values(p: Param) -> str:
    if isinstance(p, CategoricalParam):
        return "choices: " + ", ".join(show_value(c) for c in p.choices)
    if isinstance(p, FixedParam):
        return f"fixed at {show_value(p.value)}"
    return f"range {_range(p)}"


def _range(p: NumericParam) -> str:
    return f"{show_value(p.low)}..{show_value(p.high)}"


# ---------------------------------------------------------------------------- the space


@dataclass(frozen=True)
class SearchSpace:
    """A validated, ordered set of parameters.

    Parameters are kept in an order where every parent comes before its children, so that
    decoding can decide activity in one pass.
    """

    params: tuple[Param, ...]
    _dims: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        problems = find_problems(self.params)
        if problems:
            raise SpaceError(problems)
        ordered = tuple(_topological(self.params))
        object.__setattr__(self, "params", ordered)
        dims, d = {}, 0
        for p in ordered:
            if not isinstance(p, FixedParam):
                dims[p.name] = d
                d += 1
        object.__setattr__(self, "_dims", dims)

    @classmethod
    def of(cls, *params: Param) -> SearchSpace:
        return cls(tuple(params))

    def __len__(self) -> int:
        return len(self.params)

    def __getitem__(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]

    @property
    def dimension(self) -> int:
        """Number of unit-cube coordinates: one per non-fixed parameter."""
        return len(self._dims)

    def dim_of(self, name: str) -> int | None:
        return self._dims.get(name)

    @property
    def is_discrete(self) -> bool:
        """True when every parameter takes finitely many values."""
        return all(
            not isinstance(p, FloatParam) or p.step is not None for p in self.params
        )

    # --- encoding -------------------------------------------------------------------

    def decode(self, u: Sequence[float]) -> dict[str, Value]:
        """Map a point of the unit cube to params; inactive parameters are left out."""
        if len(u) != self.dimension:
            raise ValueError(f"expected {self.dimension} coordinates, got {len(u)}")
        out: dict[str, Value] = {}
        for p in self.params:
            if p.condition is not None and not p.condition.holds(out):
                continue
            if isinstance(p, FixedParam):
                out[p.name] = p.value
            else:
                out[p.name] = decode_one(p, float(u[self._dims[p.name]]))
        return out

    def encode(self, params: Mapping[str, Any]) -> np.ndarray:
        """Map params to the unit cube; coordinates of absent parameters are NaN."""
        u = np.full(self.dimension, np.nan)
        for name, d in self._dims.items():
            if name in params:
                u[d] = encode_one(self[name], params[name])
        return u

    def active(self, params: Mapping[str, Any]) -> list[Param]:
        """The parameters that should be present for these params' parent values."""
        out, seen = [], {}
        for p in self.params:
            if p.condition is None or p.condition.holds(seen):
                out.append(p)
                if p.name in params:
                    seen[p.name] = params[p.name]
        return out

    def contains(self, params: Mapping[str, Any]) -> bool:
        """True when params hold exactly the active parameters, each with a legal value."""
        active = self.active(params)
        if {p.name for p in active} != set(params):
            return False
        return all(_can_take_exactly(p, params[p.name]) for p in active)

    # --- grid ------------------------------------------------------------------------

    def grid_size(self) -> int:
        """Number of grid cells, counted without enumerating them.

        Conditional branches add rather than multiply: a child's values only count under
        the parent values that enable it.
        """
        return math.prod(self._grid.count[p.name] for p in self._roots())

    def grid_cell(self, index: int) -> dict[str, Value]:
        """The ``index``-th grid cell (0-based), in a stable order."""
        size = self.grid_size()
        if not 0 <= index < size:
            raise IndexError(f"grid cell {index} is outside 0..{size - 1}")
        out: dict[str, Value] = {}
        self._decode_group(self._roots(), index, out)
        return out

    def iter_grid(self) -> Iterator[dict[str, Value]]:
        for i in range(self.grid_size()):
            yield self.grid_cell(i)

    def _roots(self) -> list[Param]:
        return [p for p in self.params if p.condition is None]

    @property
    def _grid(self) -> _GridTree:
        # Built on first use: most spaces are never gridded.
        if "_grid_tree" not in self.__dict__:
            object.__setattr__(self, "_grid_tree", _GridTree(self.params))
        return self.__dict__["_grid_tree"]

    def _decode_group(self, group: list[Param], index: int, out: dict[str, Value]) -> None:
        # Mixed radix over independent siblings; the first sibling varies slowest.
        counts = [self._grid.count[p.name] for p in group]
        for i, p in enumerate(group):
            rest = math.prod(counts[i + 1:])
            self._decode_param(p, index // rest, out)
            index %= rest

    def _decode_param(self, p: Param, index: int, out: dict[str, Value]) -> None:
        tree = self._grid
        for v, children, n in tree.branches[p.name]:
            if index < n:
                out[p.name] = v
                self._decode_group(children, index, out)
                return
            index -= n
        raise AssertionError("grid index out of range after size check")


class _GridTree:
    """Per parameter: its grid values, the children each value enables, and cell counts."""

    def __init__(self, params: Sequence[Param]):
        self.branches: dict[str, list[tuple[Value, list[Param], int]]] = {}
        self.count: dict[str, int] = {}
        # Children come after parents in ``params``, so walking backwards counts leaves first.
        for p in reversed(params):
            branches = []
            for v in grid_values(p):
                children = [
                    c for c in params
                    if c.condition is not None and c.condition.parent == p.name
                    and any(_same_value(v, cv) for cv in c.condition.values)
                ]
                branches.append((v, children, math.prod(self.count[c.name] for c in children)))
            self.branches[p.name] = branches
            self.count[p.name] = sum(n for _, _, n in branches)


# ---------------------------------------------------------------------------- per parameter


def grid_values(p: Param) -> list[Value]:
    """The values a grid search tries for one parameter."""
    if isinstance(p, FixedParam):
        return [p.value]
    if isinstance(p, CategoricalParam):
        return list(p.choices)
    if p.grid is not None:
        # 1 and 1.0 are one configuration: keep a float parameter's values floats.
        return [float(v) for v in p.grid] if isinstance(p, FloatParam) else list(p.grid)
    n = p.grid_points
    if n == 1:
        return [decode_one(p, 0.5)]
    if p.log:
        raw = np.geomspace(p.low, p.high, n)
    else:
        raw = np.linspace(p.low, p.high, n)
    values: list[Value] = []
    for x in raw:
        v = _snap(p, float(x))
        if not values or v != values[-1]:
            values.append(v)
    return values


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


def decode_one(p: Param, u: float) -> Value:
    """One unit-interval coordinate to a legal value of ``p``."""
    u = min(max(u, 0.0), 1.0)
    if isinstance(p, FixedParam):
        return p.value
    if isinstance(p, CategoricalParam):
        k = len(p.choices)
        return p.choices[min(int(u * k), k - 1)]
    if isinstance(p, IntParam) and not p.log:
        k = n_values(p)
        return p.low + min(int(u * k), k - 1) * p.step
    if isinstance(p, IntParam):
        # Widen by half a unit so that both ends are as likely as their neighbours.
        lo, hi = math.log(p.low - 0.5), math.log(p.high + 0.5)
        return _snap(p, math.exp(lo + u * (hi - lo)))
    if p.log:
        return _snap(p, math.exp(math.log(p.low) + u * (math.log(p.high) - math.log(p.low))))
    if p.step is not None:
        k = n_values(p)
        return _snap(p, p.low + min(int(u * k), k - 1) * p.step)
    return p.low + u * (p.high - p.low)


def encode_one(p: Param, v: Any) -> float:
    """A value of ``p`` to the centre of the unit-interval cell that decodes to it."""
    if isinstance(p, FixedParam):
        return 0.5
    if isinstance(p, CategoricalParam):
        for i, c in enumerate(p.choices):
            if _same_value(v, c):
                return (i + 0.5) / len(p.choices)
        raise ValueError(f"{v!r} is not a choice of '{p.name}'")
    v = float(v)
    if isinstance(p, IntParam) and not p.log:
        return (round((v - p.low) / p.step) + 0.5) / n_values(p)
    if isinstance(p, IntParam):
        lo, hi = math.log(p.low - 0.5), math.log(p.high + 0.5)
        return min(max((math.log(v) - lo) / (hi - lo), 0.0), 1.0)
    if p.log:
        return (math.log(v) - math.log(p.low)) / (math.log(p.high) - math.log(p.low))
    if p.step is not None:
        return (round((v - p.low) / p.step) + 0.5) / n_values(p)
    return (v - p.low) / (p.high - p.low)


def _snap(p: NumericParam, x: float) -> Value:
    """Round onto the parameter's step (or integers) and clip into its range."""
    x = min(max(x, p.low), p.high)
    if isinstance(p, IntParam):
        k = round((x - p.low) / p.step)
        return int(min(p.low + k * p.step, p.high))
    if p.step is not None:
        k = round((x - p.low) / p.step)
        # Round away float noise so that 0.1 * 3 is stored as 0.3, then clip again in case
        # the bounds themselves carry that noise.
        return min(max(float(round(p.low + k * p.step, 12)), p.low), p.high)
    return x


def _can_take_exactly(p: Param, v: Any) -> bool:
    if isinstance(p, IntParam):
        return (
            isinstance(v, int) and not isinstance(v, bool) and p.low <= v <= p.high
            and (v - p.low) % p.step == 0
        )
    if isinstance(p, FloatParam):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not p.low <= v <= p.high:
            return False
        return p.step is None or _snap(p, float(v)) == v
    return _can_take(p, v)


def _topological(params: Sequence[Param]) -> list[Param]:
    placed: set[str] = set()
    out: list[Param] = []
    remaining = list(params)
    while remaining:
        for p in remaining:
            if p.condition is None or p.condition.parent in placed:
                out.append(p)
                placed.add(p.name)
                remaining.remove(p)
                break
    return out


def _choice_key(v: Any) -> tuple[str, Any]:
    # True == 1 in Python, but a user who lists both means two different choices.
    return (type(v).__name__ if isinstance(v, bool) else "number" if isinstance(v, (int, float))
            else type(v).__name__, v)


def _same_value(a: Any, b: Any) -> bool:
    return _choice_key(a) == _choice_key(b)


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
