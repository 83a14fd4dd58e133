"""StudySpec: the whole study as data, read and written as TOML or JSON.

The file format is documented in docs/study-format.md. Reading collects every problem in
the file before giving up, so a person fixes them all in one go; each names where it is
(``params[2] 'lr'.low``), the value found and what is accepted.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tomli_w

from engine.cluster_address import ClusterSpec, cluster_to_dict, read_cluster
from engine.goals import Goal, Limit, goals_to_dict, read_goals
from engine.space import (
    Param,
    SearchSpace,
    show_value,
)
from engine.spec_params import param_to_dict, read_params, space_problem_texts
from engine.spec_reader import Reader, unknown_keys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DIRECTIONS = ("minimize", "maximize")
SAMPLER_NAMES = ("grid", "random", "sobol", "bayes")
# Limits past which a run cannot work but would try: a million threads never start, and an
# address-space cap beyond what setrlimit takes makes every trial process die at birth.
MAX_WORKERS = 1024
MAX_MEMORY_LIMIT_MB = 16 * 1024 * 1024  # 16 TiB

_TOP_KEYS = ("name", "direction", "seed", "workers", "timeout_s", "memory_limit_mb",
             "budget", "sampler", "pruner", "objective", "objectives", "constraints", "params",
             "cluster")
_BUDGET_KEYS = ("trials", "time_s", "steps")


class SpecError(ValueError):
    """A spec breaks one or more rules; ``problems`` holds one sentence per problem."""

    def __init__(self, problems: list[str], source: str | None = None):
        self.problems = problems
        self.source = source
        prefix = f"{source}: " if source else ""
        super().__init__("\n".join(prefix + p for p in problems))


@dataclass(frozen=True)
class StudySpec:
    """Everything needed to run a study, as plain data."""

    name: str
    params: tuple[Param, ...]
    objective: dict[str, Any]
    direction: str = "minimize"
    sampler: str = "random"
    sampler_options: dict[str, Any] = field(default_factory=dict)
    pruner: str = "none"
    pruner_options: dict[str, Any] = field(default_factory=dict)
    trials: int | None = None
    time_s: float | None = None
    steps: int | None = None  # a budget of reported steps (epochs), summed over trials
    workers: int | None = None
    timeout_s: float | None = None
    memory_limit_mb: int | None = None
    seed: int | None = None
    # [[objectives]] and [[constraints]] (engine/goals.py); no objectives: the main score.
    objectives: tuple[Goal, ...] = ()
    constraints: tuple[Limit, ...] = ()
    cluster: ClusterSpec | None = None  # where trials run; None: this computer

    @property
    def space(self) -> SearchSpace:
        return SearchSpace(self.params)

    @property
    def goals(self) -> tuple[Goal, ...]:
        """The objectives in force: those named, else the main score in ``direction``."""
        return self.objectives or (Goal("value", self.direction),)

    @property
    def is_multi(self) -> bool:
        """True when trials are judged by more than the main score alone: several
        objectives, another metric than the score, or constraints."""
        return self.goals != (Goal("value", self.direction),) or bool(self.constraints)

    def evolve(self, **changes: Any) -> StudySpec:
        return replace(self, **changes)

    def same_search_as(self, other: StudySpec) -> bool:
        """True when trials of ``other`` are trials of this study too.

        Run settings (sampler, pruner, budget, workers, timeout, seed) may differ: a study can
        start with random search and go on with another method.
        """
        return (self.params, self.objective, self.direction, self.goals, self.constraints) == (
            other.params, other.objective, other.direction, other.goals, other.constraints)


# ---------------------------------------------------------------------------- files


_MAX_DIGITS = 4300  # CPython's limit on converting text to int (sys.get_int_max_str_digits)
_LONG_NUMBER = re.compile(rf"\d{{{_MAX_DIGITS + 1},}}")


def load_spec(path: str | Path) -> StudySpec:
    """Read a .toml or .json spec file; raises SpecError naming every problem."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(["no such file"], source) from None
    except UnicodeDecodeError as exc:
        raise SpecError([f"not UTF-8 text ({exc.reason} at byte {exc.start})"], source) from None
    except OSError as exc:
        raise SpecError([f"cannot read the file: {exc.strerror}"], source) from None
    return parse_spec(text, fmt=_format_of(path), source=source)


def parse_spec(text: str, *, fmt: str = "toml", source: str | None = None) -> StudySpec:
    try:
        data = json.loads(text) if fmt == "json" else tomllib.loads(text)
    # ValueError, not only the decoders' own errors: both parsers raise a plain ValueError
    # for an integer of more than 4300 digits, worded differently by each Python version.
    except ValueError as exc:
        if _LONG_NUMBER.search(text):
            problem = (f"not valid {fmt.upper()}: a number has more than {_MAX_DIGITS} digits; "
                       "numbers in a spec must be shorter")
        else:
            problem = f"not valid {fmt.upper()}: {exc}"
        raise SpecError([problem], source) from None
    except RecursionError:
        # Both parsers recurse per nesting level: "[[[[..." thousands deep would crash them.
        raise SpecError([f"not a usable {fmt.upper()} spec: nested too deeply"], source) from None
    if not isinstance(data, dict):
        raise SpecError([f"expected a table of settings, got {type(data).__name__}"], source)
    return spec_from_dict(data, source=source)


def save_spec(spec: StudySpec, path: str | Path) -> None:
    path = Path(path)
    path.write_text(dump_spec(spec, fmt=_format_of(path)), encoding="utf-8")


def dump_spec(spec: StudySpec, *, fmt: str = "toml") -> str:
    data = spec_to_dict(spec)
    if fmt == "json":
        return json.dumps(data, indent=2) + "\n"
    return _to_toml(data)


def _to_toml(data: Mapping[str, Any]) -> str:
    """TOML laid out for people: short arrays and conditions inline, one table per section.

    tomli_w alone writes every array over several lines, which makes a long list of
    parameters hard to scan; it still formats each key and scalar so escaping is right.
    """
    lines = [_toml_pair(k, v) for k, v in data.items() if not isinstance(v, (dict, list))
             or (isinstance(v, list) and not any(isinstance(x, dict) for x in v))]
    for key, value in data.items():
        if isinstance(value, dict):
            lines += ["", f"[{key}]", *(_toml_pair(k, v) for k, v in value.items())]
        elif isinstance(value, list) and any(isinstance(x, dict) for x in value):
            for item in value:
                lines += ["", f"[[{key}]]", *(_toml_pair(k, v) for k, v in item.items())]
    return "\n".join(lines) + "\n"


def _toml_pair(key: str, value: Any) -> str:
    quoted_key = tomli_w.dumps({key: 0}).removesuffix(" = 0\n")
    return f"{quoted_key} = {_toml_value(value)}"


def _toml_value(value: Any) -> str:
    if isinstance(value, dict):
        inner = ", ".join(_toml_pair(k, v) for k, v in value.items())
        return f"{{ {inner} }}" if inner else "{}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return tomli_w.dumps({"v": value}, multiline_strings=False)[len("v = "):].rstrip("\n")


def _format_of(path: Path) -> str:
    return "json" if path.suffix.lower() == ".json" else "toml"


# ---------------------------------------------------------------------------- to dict


def spec_to_dict(spec: StudySpec) -> dict[str, Any]:
    """The spec as the plain table written to files; defaults and unset values are left out."""
    out: dict[str, Any] = {"name": spec.name, "direction": spec.direction}
    for key in ("seed", "workers", "timeout_s", "memory_limit_mb"):
        if getattr(spec, key) is not None:
            out[key] = getattr(spec, key)
    budget = {k: v for k, v in (("trials", spec.trials), ("time_s", spec.time_s),
                                ("steps", spec.steps)) if v is not None}
    if budget:
        out["budget"] = budget
    out["sampler"] = {"name": spec.sampler, **spec.sampler_options}
    if spec.pruner != "none" or spec.pruner_options:
        out["pruner"] = {"name": spec.pruner, **spec.pruner_options}
    if spec.cluster is not None:
        out["cluster"] = cluster_to_dict(spec.cluster)
    out["objective"] = dict(spec.objective)
    out.update(goals_to_dict(spec.objectives, spec.constraints))
    out["params"] = [param_to_dict(p) for p in spec.params]
    return out


# ---------------------------------------------------------------------------- from dict


def spec_from_dict(data: Mapping[str, Any], *, source: str | None = None) -> StudySpec:
    """Build and validate a spec; every problem found is reported at once."""
    if not isinstance(data, Mapping):
        # A study file's stored spec can be anything once damaged; say so, do not crash.
        raise SpecError([f"expected a table of settings, got {type(data).__name__}"], source)
    problems: list[str] = []
    r = Reader(problems)
    unknown_keys(problems, "", data, _TOP_KEYS)

    name = r.text(data, "name", required=True) or ""
    direction = r.choice(data, "direction", DIRECTIONS, default="minimize")
    seed = r.integer(data, "seed", minimum=0)
    workers = r.integer(data, "workers", minimum=1, maximum=MAX_WORKERS)
    timeout_s = r.number(data, "timeout_s", positive=True)
    memory_limit_mb = r.integer(data, "memory_limit_mb", minimum=64, maximum=MAX_MEMORY_LIMIT_MB)

    budget = r.table(data, "budget")
    unknown_keys(problems, "budget.", budget, _BUDGET_KEYS)
    trials = r.integer(budget, "trials", minimum=1, where="budget.")
    time_s = r.number(budget, "time_s", positive=True, where="budget.")
    steps = r.integer(budget, "steps", minimum=1, where="budget.")

    sampler_table = r.table(data, "sampler")
    sampler = r.choice(sampler_table, "name", SAMPLER_NAMES, default="random", where="sampler.")
    sampler_options = {k: v for k, v in sampler_table.items() if k != "name"}

    pruner, pruner_options = _read_pruner(r.table(data, "pruner"), problems)
    cluster = read_cluster(r.table(data, "cluster"), problems) if "cluster" in data else None

    objective = r.table(data, "objective", required=True)
    if objective and not isinstance(objective.get("kind"), str):
        problems.append(
            f"objective.kind = {show_value(objective.get('kind'))}: name the kind of objective "
            "(python, sklearn or command)"
        )

    direction = _checked_direction(data, direction, objective, problems)
    objectives, constraints = read_goals(data, direction, _reported_metrics(objective),
                                         problems)
    params = read_params(data.get("params"), problems)
    if params is not None:
        problems.extend(space_problem_texts(params))

    if problems:
        raise SpecError(problems, source)
    return StudySpec(
        name=name, params=tuple(params), objective=dict(objective), direction=direction,
        sampler=sampler, sampler_options=sampler_options, pruner=pruner,
        pruner_options=pruner_options, trials=trials, time_s=time_s, steps=steps,
        workers=workers, timeout_s=timeout_s, memory_limit_mb=memory_limit_mb, seed=seed,
        objectives=objectives, constraints=constraints,
        cluster=cluster,
    )


def _read_pruner(table: dict[str, Any], problems: list[str]) -> tuple[str, dict[str, Any]]:
    from engine.pruners import pruner_problems

    name = table.get("name", "none")
    options = {k: v for k, v in table.items() if k != "name"}
    found = pruner_problems(name, options)
    problems.extend(found)
    if found:
        return "none", {}
    return name, options


def _checked_direction(data: Mapping, direction: str, objective: dict, problems: list[str]
                       ) -> str:
    """A metric knows its direction: take it when none is written, refuse a contradiction."""
    from engine.objectives.registry import implied_direction

    implied = implied_direction(objective) if isinstance(objective.get("kind"), str) else None
    if implied is None:
        if "direction" not in data:
            # The main score's direction may be written as an objective instead.
            raw = data.get("objectives")
            named = [g.get("direction") for g in (raw if isinstance(raw, list) else ())
                     if isinstance(g, Mapping) and g.get("metric") == "value"]
            if named and named[0] in DIRECTIONS:
                return named[0]
        return direction
    if "direction" not in data:
        return implied
    if direction != implied:
        metric = objective.get("metric") or "default metric"
        problems.append(
            f"direction = {show_value(direction)}: the objective's {metric} is better when "
            f"{'higher' if implied == 'maximize' else 'lower'}; use {show_value(implied)} "
            "or leave direction out"
        )
    return direction


def _reported_metrics(objective: Mapping) -> dict[str, str | None] | None:
    from engine.objectives.registry import reported_metrics

    return reported_metrics(objective) if isinstance(objective.get("kind"), str) else None


