"""A spec's ``[[params]]`` tables to and from :class:`~engine.space.Param` objects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.space import (
    DEFAULT_GRID_POINTS,
    CategoricalParam,
    Condition,
    FixedParam,
    FloatParam,
    IntParam,
    Param,
    find_problems,
    show_value,
)
from engine.spec_reader import Reader, unknown_keys

_PARAM_KEYS = {
    "float": ("name", "type", "low", "high", "log", "step", "grid", "grid_points", "condition",
              "help"),
    "int": ("name", "type", "low", "high", "log", "step", "grid", "grid_points", "condition",
            "help"),
    "categorical": ("name", "type", "choices", "condition", "help"),
    "fixed": ("name", "type", "value", "condition", "help"),
}


def param_to_dict(p: Param) -> dict[str, Any]:
    out: dict[str, Any] = {"name": p.name, "type": p.kind}
    if isinstance(p, (FloatParam, IntParam)):
        out["low"], out["high"] = p.low, p.high
        if p.log:
            out["log"] = True
        if p.step is not None and not (isinstance(p, IntParam) and p.step == 1):
            out["step"] = p.step
        if p.grid is not None:
            out["grid"] = list(p.grid)
        if p.grid_points != DEFAULT_GRID_POINTS:
            out["grid_points"] = p.grid_points
    elif isinstance(p, CategoricalParam):
        out["choices"] = list(p.choices)
    else:
        out["value"] = p.value
    if p.condition is not None:
        out["condition"] = {p.condition.parent: list(p.condition.values)}
    if p.help:
        out["help"] = p.help
    return out


def space_problem_texts(params: list[Param]) -> list[str]:
    index = {p.name: i for i, p in enumerate(params)}
    out = []
    for prob in find_problems(params):
        if prob.param in index:
            where = f"params[{index[prob.param]}] '{prob.param}'.{prob.field}"
        else:  # a problem of the whole space ("add at least one parameter")
            where = prob.field if prob.field == "params" else f"params.{prob.field}"
        out.append(f"{where} = {show_value(prob.value)}: {prob.message}")
    return out


def read_params(raw: Any, problems: list[str]) -> list[Param] | None:
    if raw is None:
        problems.append("params: missing; add at least one [[params]] table")
        return None
    if not isinstance(raw, list):
        problems.append(f"params = {show_value(raw)}: expected a list of [[params]] tables")
        return None
    params = []
    for i, item in enumerate(raw):
        p = _read_param(i, item, problems)
        if p is not None:
            params.append(p)
    return params if len(params) == len(raw) else None


def _read_param(i: int, item: Any, problems: list[str]) -> Param | None:
    if not isinstance(item, Mapping):
        problems.append(f"params[{i}] = {show_value(item)}: expected a table with name and type")
        return None
    label = f"params[{i}] '{item.get('name', '?')}'."
    kind = item.get("type")
    if not isinstance(kind, str) or kind not in _PARAM_KEYS:  # a list is not even hashable
        problems.append(
            f"{label}type = {show_value(kind)}: expected one of float, int, categorical, fixed"
        )
        return None
    before = len(problems)
    unknown_keys(problems, label, item, _PARAM_KEYS[kind])
    r = Reader(problems)
    name = item.get("name")
    if not isinstance(name, str):
        problems.append(f"{label}name = {show_value(name)}: expected text")
    condition = _read_condition(item.get("condition"), label, problems)
    help_text = r.text(item, "help", where=label) or ""
    common = {"condition": condition, "help": help_text}
    if kind == "categorical":
        choices = item.get("choices")
        if not isinstance(choices, list):
            problems.append(f"{label}choices = {show_value(choices)}: expected a list of values")
            return None
        param: Param = CategoricalParam(name, tuple(choices), **common)
    elif kind == "fixed":
        if "value" not in item:
            problems.append(f"{label}value: missing; a fixed parameter needs its value")
            return None
        param = FixedParam(name, item["value"], **common)
    else:
        param = _read_numeric(kind, item, label, r, common)
    if len(problems) > before:
        return None
    return param


def _read_numeric(kind: str, item: Mapping, label: str, r: Reader, common: dict) -> Param:
    cls = IntParam if kind == "int" else FloatParam
    for key in ("low", "high"):
        if key not in item:
            r.problems.append(f"{label}{key}: missing; a {kind} parameter needs low and high")
    low, high = item.get("low"), item.get("high")
    if cls is FloatParam:
        # TOML writes 1.0 as 1.0 but people type 1; the parameter is a float either way.
        low, high = _as_float(low), _as_float(high)
    log = r.flag(item, "log", where=label)
    grid = item.get("grid")
    if grid is not None and not isinstance(grid, list):
        r.problems.append(f"{label}grid = {show_value(grid)}: expected a list of values")
        grid = None
    extra: dict[str, Any] = {"grid": tuple(grid) if grid is not None else None}
    if "step" in item:
        extra["step"] = item["step"]
    if "grid_points" in item:
        extra["grid_points"] = item["grid_points"]
    return cls(item.get("name"), low, high, log=log, **extra, **common)


def _read_condition(raw: Any, label: str, problems: list[str]) -> Condition | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or len(raw) != 1:
        problems.append(
            f"{label}condition = {show_value(raw)}: expected one parent and its values, "
            "e.g. condition = {{ solver = [\"sgd\"] }}"
        )
        return None
    (parent, values), = raw.items()
    if not isinstance(values, list):
        values = [values]
    return Condition(str(parent), tuple(values))


def _as_float(v: Any) -> Any:
    if not isinstance(v, int) or isinstance(v, bool):
        return v
    try:
        return float(v)
    except OverflowError:
        return v  # beyond any float: the space's own check names it ("below 1e308")
