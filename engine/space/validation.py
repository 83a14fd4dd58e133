"""The rules of a search space, checked all at once: each broken rule is one Problem that
names the parameter, the field, the value and what is accepted."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from engine.space.encoding import snap
from engine.space.params import (
    MAX_GRID_POINTS,
    CategoricalParam,
    FixedParam,
    FloatParam,
    IntParam,
    NumericParam,
    Param,
    Problem,
    choice_key,
    same_value,
    show_value,
)

# Floating-point slack when checking that a step divides a range.
_STEP_TOLERANCE = 1e-9


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
    keys = [choice_key(c) for c in p.choices]
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
    # Each parameter is walked once (``done``), and the current path is looked up in a
    # dict: a 3,000-long chain validates in milliseconds, not the minutes a list search took.
    done: set[str] = set()
    out = []
    for start in parent_of:
        path: list[str] = []
        on_path: dict[str, int] = {}
        node = start
        while node in parent_of and node not in on_path and node not in done:
            on_path[node] = len(path)
            path.append(node)
            node = parent_of[node]
        if node in on_path:
            cycle = path[on_path[node]:]
            chain = " -> ".join([*cycle, cycle[0]])
            out.append(Problem(cycle[0], "condition", chain, "conditions must not form a cycle"))
        done.update(path)
    return out


def _can_take(p: Param, v: Any) -> bool:
    if isinstance(p, CategoricalParam):
        try:
            return choice_key(v) in _choice_keys(p.choices)
        except TypeError:  # an unhashable value (a list from a JSON file) or choice
            return any(same_value(v, c) for c in p.choices)
    if isinstance(p, FixedParam):
        return same_value(v, p.value)
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


@lru_cache(maxsize=256)
def _choice_keys(choices: tuple) -> frozenset:
    # Checking every stored trial of a big study compares its choices 100,000 times.
    return frozenset(choice_key(c) for c in choices)


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


def can_take_exactly(p: Param, v: Any) -> bool:
    if isinstance(p, IntParam):
        return (
            isinstance(v, int) and not isinstance(v, bool) and p.low <= v <= p.high
            and (v - p.low) % p.step == 0
        )
    if isinstance(p, FloatParam):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not p.low <= v <= p.high:
            return False
        return p.step is None or snap(p, float(v)) == v
    return _can_take(p, v)
