"""What the trials table's filter box means, evaluated with numpy over whole columns.

A filter is words and comparisons, all of which must hold:

- a word (``rbf``, ``timed``) matches a row when any of its cells contains it;
- a comparison ``name op value`` (op: ``<``, ``<=``, ``>``, ``>=``, ``=``, ``!=``) compares a
  column's sort keys, e.g. ``value<0.2``, ``n_estimators >= 100``, ``kernel=rbf``,
  ``state=failed``, ``duration>10`` (seconds). A blank cell never matches a comparison.

No Qt here: the model hands over its key arrays.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

_OPS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "=": operator.eq, "==": operator.eq, "!=": operator.ne,
}
_COMPARISON = re.compile(r"([^\s<>=!]+)\s*(<=|>=|!=|==|=|<|>)\s*([^\s<>=!]*)")
_NUMBER_ALIASES = ("#", "number", "trial")


class Column(Protocol):
    kind: str
    name: str
    title: str

    @property
    def key(self) -> tuple[str, str]: ...


@dataclass(frozen=True)
class Comparison:
    key: tuple[str, str]
    op: str
    number: float


@dataclass(frozen=True)
class TrialFilter:
    """Rows pass when every word is in one of their cells and every comparison holds.

    ``states`` are state codes to keep (``None``: every state).
    """

    words: tuple[str, ...] = ()
    comparisons: tuple[Comparison, ...] = ()
    states: frozenset[float] | None = None

    @property
    def is_empty(self) -> bool:
        return not self.words and not self.comparisons and self.states is None


def parse_filter(
    text: str,
    columns: Sequence[Column],
    text_key: Callable[[Column, str], float | None],
    states: frozenset[float] | None = None,
) -> tuple[TrialFilter, list[str]]:
    """The filter a person typed, and a sentence for each part that could not be used.

    ``text_key(column, text)`` turns a typed choice (``rbf``, ``failed``) into the
    column's sort key, or ``None`` when the column has no such value.
    """
    problems: list[str] = []
    comparisons: list[Comparison] = []
    for name, op, raw in _COMPARISON.findall(text):
        column = _find_column(name, columns)
        if column is None:
            names = ", ".join(c.name for c in columns if c.kind not in ("number", "started"))
            problems.append(f"'{name}': no such column; try one of: {names}")
        elif column.kind == "started":
            problems.append(f"'{name}': start times cannot be compared; use # instead")
        elif not raw:
            problems.append(f"'{name}{op}': add a value to compare with, e.g. {name}{op}1")
        else:
            number = _number(raw)
            if number is None:
                number = text_key(column, raw)
            if number is None:
                problems.append(
                    f"'{name}{op}{raw}': {column.title} has no value '{raw}'; "
                    "compare with a number or one of the values shown in the column"
                )
            elif op not in ("=", "==", "!=") and _number(raw) is None:
                problems.append(
                    f"'{name}{op}{raw}': {column.title} holds choices; use = or != with them"
                )
            else:
                comparisons.append(Comparison(column.key, op, number))
    words = tuple(w.lower() for w in _COMPARISON.sub(" ", text).split())
    return TrialFilter(words, tuple(comparisons), states), problems


def match_trials(
    trial_filter: TrialFilter,
    indices: np.ndarray,
    keys: Mapping[tuple[str, str], np.ndarray],
) -> np.ndarray:
    """A bool per row in ``indices``: do its states and comparisons pass the filter?

    Words are matched by :mod:`desktop.trials.words`, which needs the cells' texts.
    """
    ok = np.ones(len(indices), dtype=bool)
    if trial_filter.states is not None:
        ok &= np.isin(keys[("state", "state")][indices], list(trial_filter.states))
    for c in trial_filter.comparisons:
        values = keys[c.key][indices]
        with np.errstate(invalid="ignore"):
            ok &= _OPS[c.op](values, c.number) & ~np.isnan(values)
    return ok


def _find_column(name: str, columns: Sequence[Column]) -> Column | None:
    wanted = name.lower()
    if wanted in _NUMBER_ALIASES:
        wanted = "number"
    for c in columns:
        if wanted in (c.name.lower(), c.title.lower()):
            return c
    return None


def _number(raw: str) -> float | None:
    try:
        return float(raw)
    except ValueError:
        return None
