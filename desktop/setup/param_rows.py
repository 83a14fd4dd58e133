"""Parameter rows as a person types them: texts, parsing and validation, without Qt.

The space editor keeps each parameter as a :class:`ParamRow` holding its fields exactly as
typed, so a half-typed number is never lost or reformatted under the cursor, and switching
the kind back and forth keeps what was written for each kind. :func:`validate` turns the
rows into engine parameters, runs :func:`engine.space.find_problems`, and pins every
problem to the row and the field it belongs to, so the editor can outline that field.

How lists are written (choices, grid values, condition values, a fixed value): items are
separated by commas; ``true``/``false`` become true/false, things that look like numbers
become numbers, anything else is text. To keep text that looks like a number or contains a
comma, put it in quotes: ``"1"``, ``"true"``, ``'a, b'`` (a quote inside quotes is doubled).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from engine.space import (
    DEFAULT_GRID_POINTS,
    CategoricalParam,
    Condition,
    FixedParam,
    FloatParam,
    IntParam,
    Param,
    Problem,
    SearchSpace,
    Value,
    find_problems,
    grid_values,
    show_value,
)

KINDS = ("float", "int", "categorical", "fixed")
GRID_SPREAD, GRID_LIST = "spread", "list"
NUMERIC_KINDS = ("float", "int")
# The fields whose values other parameters' conditions are checked against.
_VALUE_FIELDS = ("low", "high", "choices", "value")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_QUOTES = "\"'"

LIST_SYNTAX_HELP = (
    "Separate values with commas. Numbers and true/false are read as such; anything else is "
    "text. Put text in quotes to keep it as text when it looks like a number or contains a "
    'comma: "1", "true", "a, b".'
)


@dataclass
class ParamRow:
    """One parameter as the user typed it; every field maps to one editor widget."""

    name: str = ""
    kind: str = "float"
    low: str = "0"
    high: str = "1"
    log: bool = False
    step: str = ""
    grid_mode: str = GRID_SPREAD
    grid_points: int = DEFAULT_GRID_POINTS
    grid: str = ""
    choices: str = ""
    value: str = ""
    parent: str = ""  # "" means always active
    when: str = ""  # the parent's values that make this parameter active
    help: str = ""

    @property
    def clean_name(self) -> str:
        # Stray spaces are invisible in a line edit; never let them make a different name.
        return self.name.strip()

    def copy(self, **changes: Any) -> ParamRow:
        return replace(self, **changes)


class RowProblem(NamedTuple):
    """A problem pinned to a row (-1: the space as a whole) and a ParamRow field."""

    row: int
    field: str
    problem: Problem

    @property
    def short(self) -> str:
        """The sentence without the parameter's name, for a message next to the field."""
        value = _show(self.problem.value)
        return f"{self.problem.field} = {value}: {self.problem.message}"

    def sentence(self, rows: list[ParamRow]) -> str:
        """The full sentence for a problems list."""
        if self.row < 0:
            return self.problem.message[:1].upper() + self.problem.message[1:] + "."
        name = rows[self.row].clean_name
        who = f"parameter '{name}'" if name else f"parameter {self.row + 1} (no name yet)"
        return f"{who}, {self.short}"


def _show(v: Any) -> str:
    # Numbers as the user would type them (0, not 0.0); everything else as the engine does.
    if isinstance(v, float):
        return format_number(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_show(x) for x in v) + "]"
    return show_value(v)


class Validation(NamedTuple):
    params: list[Param] | None  # None while any problem remains
    problems: list[RowProblem]
    grid_size: int | None


class ParseError(ValueError):
    """A field's text cannot be read; the message says what is accepted."""


# ---------------------------------------------------------------------------- parsing


def parse_number(text: str, *, whole: bool) -> int | float:
    """A number field: ``1e-4``, ``0.5``, ``-3``; whole numbers for int parameters."""
    raw = text.strip()
    kind = "a whole number" if whole else "a number"
    if not raw:
        raise ParseError(f"enter {kind}")
    if not _NUMBER.fullmatch(raw):
        if re.fullmatch(r"[+-]?\d+,\d+", raw):
            raise ParseError(f"expected {kind}; write decimals with a dot, e.g. 0.5")
        raise ParseError(f"expected {kind}")
    x = float(raw)
    if not math.isfinite(x):
        raise ParseError("the number is too large")
    if not whole:
        return x
    if not x.is_integer():
        raise ParseError("expected a whole number")
    return int(raw) if re.fullmatch(r"[+-]?\d+", raw) else int(x)


def parse_values(text: str) -> list[Value]:
    """A comma-separated list: numbers, true/false, text; quotes keep text as text."""
    items: list[Value] = []
    i, n = 0, len(text)
    if not text.strip():
        return items
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i < n and text[i] in _QUOTES:
            quoted, i = _read_quoted(text, i)
            while i < n and text[i].isspace():
                i += 1
            if i < n and text[i] != ",":
                raise ParseError(
                    f"put a comma after the quoted text {show_value(quoted)}"
                )
            items.append(quoted)
        else:
            end = text.find(",", i)
            end = n if end < 0 else end
            raw = text[i:end].strip()
            if not raw:
                raise ParseError("an item between commas is empty; remove the extra comma")
            items.append(_bare_value(raw))
            i = end
        if i >= n:
            return items
        i += 1  # past the comma
        if not text[i:].strip():
            return items  # a trailing comma, usually mid-typing: forgive it


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    quote, i, out = text[start], start + 1, []
    while i < len(text):
        if text[i] == quote:
            if text[i + 1:i + 2] == quote:  # a doubled quote stands for the quote itself
                out.append(quote)
                i += 2
                continue
            return "".join(out), i + 1
        out.append(text[i])
        i += 1
    raise ParseError(f"a quote ({quote}) is opened but not closed")


def _bare_value(raw: str) -> Value:
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    if _NUMBER.fullmatch(raw):
        if re.fullmatch(r"[+-]?\d+", raw):
            return int(raw)
        x = float(raw)
        if math.isfinite(x):
            return x
    return raw


def parse_one_value(text: str) -> Value:
    """A fixed parameter's value: one item written as in a list."""
    items = parse_values(text)
    if not items:
        raise ParseError('enter a value (write "" for empty text)')
    if len(items) > 1:
        raise ParseError("enter one value; put text that contains a comma in quotes")
    return items[0]


def format_number(x: int | float) -> str:
    """A range field's text: the shortest form that reads back as the same number."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return str(x)
    if isinstance(x, int):
        return str(x)
    text = repr(x)
    if text.endswith(".0"):
        text = text[:-2]
    return text.replace("e-0", "e-").replace("e+0", "e").replace("e+", "e")


def format_value(v: Any) -> str:
    """One list item, written so that :func:`parse_values` reads back the same type."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        # Unlike a range field, a choice keeps its decimal point: 1.0 is not the choice 1.
        text = repr(v)
        return text.replace("e-0", "e-").replace("e+0", "e").replace("e+", "e")
    text = str(v)
    plain = (
        text and text == text.strip() and "," not in text and text[0] not in _QUOTES
        and _bare_value(text) == text and type(_bare_value(text)) is str
    )
    if plain:
        return text
    return '"' + text.replace('"', '""') + '"'


def format_values(values: Any) -> str:
    return ", ".join(format_value(v) for v in values)


# ---------------------------------------------------------------------------- rows <-> params


def row_from_param(p: Param) -> ParamRow:
    """The fields that show a parameter; :func:`build_param` reads them back unchanged."""
    row = ParamRow(name=p.name, kind=p.kind, help=p.help, low="", high="")
    if p.condition is not None:
        row.parent = p.condition.parent
        row.when = format_values(p.condition.values)
    if isinstance(p, (FloatParam, IntParam)):
        row.low, row.high, row.log = format_number(p.low), format_number(p.high), p.log
        default_step = 1 if isinstance(p, IntParam) else None
        row.step = "" if p.step == default_step else format_number(p.step)
        row.grid_points = p.grid_points
        if p.grid is not None:
            row.grid_mode, row.grid = GRID_LIST, ", ".join(format_number(v) for v in p.grid)
    elif isinstance(p, CategoricalParam):
        row.choices = format_values(p.choices)
    else:
        row.value = format_value(p.value)
    return row


def build_param(row: ParamRow) -> tuple[Param, list[RowProblem]]:
    """The engine parameter of a row, plus one problem per field that does not parse.

    A field that does not parse is passed on as its raw text, so the engine still sees a
    parameter (and still checks names and conditions); its own complaint about that field
    is dropped by :func:`validate` in favour of the clearer parse message.
    """
    name = row.clean_name
    bad: list[RowProblem] = []

    def fail(fld: str, engine_field: str, text: str, err: ParseError) -> None:
        bad.append(RowProblem(-1, fld, Problem(name, engine_field, text, str(err))))

    condition = None
    if row.parent:
        try:
            when = tuple(parse_values(row.when))
        except ParseError as err:
            fail("when", "condition", row.when, err)
            when = ()
        condition = Condition(row.parent, when)
    common: dict[str, Any] = {"condition": condition, "help": row.help}

    if row.kind == "categorical":
        try:
            choices = tuple(parse_values(row.choices))
        except ParseError as err:
            fail("choices", "choices", row.choices, err)
            choices = ()
        return CategoricalParam(name, choices, **common), bad
    if row.kind == "fixed":
        try:
            value: Value = parse_one_value(row.value)
        except ParseError as err:
            fail("value", "value", row.value, err)
            value = row.value
        return FixedParam(name, value, **common), bad

    whole = row.kind == "int"
    bounds: list[Any] = []
    for fld in ("low", "high"):
        text = getattr(row, fld)
        try:
            bounds.append(parse_number(text, whole=whole))
        except ParseError as err:
            fail(fld, fld, text, err)
            bounds.append(text)
    step: Any = 1 if whole else None
    if row.step.strip():
        try:
            step = parse_number(row.step, whole=whole)
        except ParseError as err:
            fail("step", "step", row.step, err)
    grid = None
    if row.grid_mode == GRID_LIST:
        try:
            grid = _parse_grid(row.grid, whole=whole)
        except ParseError as err:
            fail("grid", "grid", row.grid, err)
    cls = IntParam if whole else FloatParam
    param = cls(name, bounds[0], bounds[1], log=row.log, step=step, grid=grid,
                grid_points=row.grid_points, **common)
    return param, bad


def _parse_grid(text: str, *, whole: bool) -> tuple[int | float, ...]:
    values = parse_values(text)
    if not values:
        raise ParseError("list at least one value, or choose evenly spaced points")
    out: list[int | float] = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ParseError(f"{show_value(v)} is not a number")
        if whole:
            if not float(v).is_integer():
                raise ParseError(f"{show_value(v)} is not a whole number")
            out.append(int(v))
        else:
            out.append(float(v))
    return tuple(out)


def validate(rows: list[ParamRow]) -> Validation:
    """Build every row and find every problem, each pinned to its row and field."""
    built = [build_param(r) for r in rows]
    params = [p for p, _ in built]
    problems: list[RowProblem] = []
    unparsed: set[tuple[int, str]] = set()
    for i, (_, bad) in enumerate(built):
        for rp in bad:
            problems.append(rp._replace(row=i))
            unparsed.add((i, rp.field))

    # Rules about one parameter alone are checked one parameter at a time, so that each
    # lands on its own row even while two rows share a name.
    for i, p in enumerate(params):
        for prob in find_problems([p]):
            if prob.field not in ("name", "condition") and (i, prob.field) not in unparsed:
                if prob.field in ("low", "high") and {(i, "low"), (i, "high")} & unparsed:
                    continue
                problems.append(RowProblem(i, prob.field, prob))

    # Rules across parameters (names, conditions, cycles) need the whole list.
    rows_named: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(params):
        rows_named[p.name].append(i)
    name_turn: dict[str, int] = defaultdict(int)
    for prob in find_problems(params):
        if prob.field == "params":
            problems.append(RowProblem(-1, "", prob))
        elif prob.field == "name":
            # The engine reports names in row order: blank ones, then every repeat after
            # the first row that has the name.
            named = rows_named.get(prob.param, [])
            eligible = named if not prob.param.strip() else named[1:]
            k = name_turn[prob.param]
            name_turn[prob.param] += 1
            if k < len(eligible):
                problems.append(RowProblem(eligible[k], "name", prob))
        elif prob.field == "condition":
            rp = _condition_problem(prob, params, rows_named, unparsed)
            if rp is not None:
                problems.append(rp)

    problems.sort(key=lambda rp: (rp.row, _FIELD_ORDER.get(rp.field, 99)))
    if problems:
        return Validation(None, problems, None)
    return Validation(params, [], SearchSpace(tuple(params)).grid_size())


_FIELD_ORDER = {f: i for i, f in enumerate(
    ("name", "low", "high", "step", "grid_points", "grid", "choices", "value", "parent", "when")
)}


def _condition_problem(prob: Problem, params: list[Param], rows_named: dict[str, list[int]],
                       unparsed: set[tuple[int, str]]) -> RowProblem | None:
    candidates = [i for i in rows_named.get(prob.param, []) if params[i].condition is not None]
    if not candidates:
        return None
    # While two rows share a name (itself reported) this may pick the wrong one of them.
    i = candidates[0]
    cond = params[i].condition
    v = prob.value
    on_values = isinstance(v, list) or any(type(v) is type(w) and v == w for w in cond.values)
    if not on_values:
        return RowProblem(i, "parent", prob)
    if (i, "when") in unparsed:
        return None
    # A parent whose own values do not parse cannot say which values it takes.
    parent_rows = rows_named.get(cond.parent, [])
    if any((j, f) in unparsed for j in parent_rows for f in _VALUE_FIELDS):
        return None
    return RowProblem(i, "when", prob)


# ---------------------------------------------------------------------------- editing helpers


def unique_name(base: str, taken: set[str]) -> str:
    """``base``, or ``base_2``, ``base_3``... whichever is free."""
    if base and base not in taken:
        return base
    k = 2
    while f"{base}_{k}" in taken:
        k += 1
    return f"{base}_{k}"


def change_kind(row: ParamRow, kind: str) -> ParamRow:
    """The row as another kind: name, help and condition stay; empty fields get defaults.

    Texts typed for the other kinds are kept, so switching back restores them.
    """
    old, new = build_param(row)[0], row.copy(kind=kind)
    if kind in NUMERIC_KINDS:
        _numeric_defaults(new, old)
    elif kind == "categorical" and not new.choices.strip():
        new.choices = _choices_from(old)
    elif kind == "fixed" and not new.value.strip():
        new.value = _value_from(old)
    return new


def _numeric_defaults(new: ParamRow, old: Param) -> None:
    whole = new.kind == "int"
    if isinstance(old, CategoricalParam):
        numbers = [c for c in old.choices if isinstance(c, (int, float))
                   and not isinstance(c, bool)]
        if len(numbers) >= 2:
            new.low, new.high = format_number(min(numbers)), format_number(max(numbers))
    try:
        low, high = (parse_number(t, whole=False) for t in (new.low, new.high))
    except ParseError:
        new.low, new.high = ("1", "10") if whole else ("0", "1")
        return
    if whole:
        new.low, new.high = format_number(math.floor(low)), format_number(math.ceil(high))
        try:
            parse_number(new.step, whole=True)
        except ParseError:
            new.step = ""


def _choices_from(old: Param) -> str:
    if isinstance(old, FixedParam):
        return format_value(old.value)
    if isinstance(old, (FloatParam, IntParam)):
        try:
            return format_values(grid_values(old))
        except (TypeError, ValueError, ZeroDivisionError):
            return ""  # the range does not parse yet: nothing sensible to offer
    return ""


def _value_from(old: Param) -> str:
    if isinstance(old, CategoricalParam) and old.choices:
        return format_value(old.choices[0])
    if isinstance(old, (FloatParam, IntParam)) and isinstance(old.low, (int, float)):
        return format_value(old.low)
    return ""


def values_summary(row: ParamRow) -> str:
    """What a parameter takes, in a few words, for the list of parameters."""
    if row.kind == "categorical":
        return row.choices.strip()
    if row.kind == "fixed":
        return row.value.strip()
    parts = [f"{row.low.strip()} … {row.high.strip()}"]
    if row.log:
        parts.append("log")
    if row.step.strip():
        parts.append(f"step {row.step.strip()}")
    return ", ".join(parts)


def condition_summary(row: ParamRow) -> str:
    """When the parameter is active, e.g. ``solver is sgd``; empty when always."""
    if not row.parent:
        return ""
    try:
        values = [str(v) if isinstance(v, str) else format_value(v)
                  for v in parse_values(row.when)]
    except ParseError:
        values = [row.when.strip()]
    return f"{row.parent} is {' or '.join(values) if values else '…'}"
