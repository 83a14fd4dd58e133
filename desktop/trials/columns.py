"""The trials table's columns and cell texts, without Qt: what each cell shows and how it sorts.

Every column has a float sort key per trial (NaN for a blank cell): numbers sort as numbers,
choices by their place in the parameter's list of choices, states in their enum order.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.space import CategoricalParam, FixedParam, FloatParam, IntParam, Param, choice_key
from engine.trial import Trial, TrialState

STATES = tuple(TrialState)
STATE_CODE = {s: float(i) for i, s in enumerate(STATES)}
STATE_LABEL = {s: s.value.capitalize() for s in STATES}
# One colour per state (RGB), for the state column and the state filter's buttons.
STATE_RGB = {
    TrialState.COMPLETE: (46, 160, 67),
    TrialState.FAILED: (196, 56, 56),
    TrialState.RUNNING: (30, 110, 200),
    TrialState.PRUNED: (200, 140, 20),
    TrialState.INTERRUPTED: (140, 140, 140),
}


@dataclass(frozen=True)
class TrialColumn:
    """One column of the table.

    ``kind`` is one of number, state, value, param, metric, steps, duration, started, worker,
    note;
    ``name`` is the parameter or metric name (for the other kinds, the kind itself).
    """

    kind: str
    name: str
    title: str
    numeric: bool = True
    help: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.name)


HEAD_COLUMNS = (
    TrialColumn("number", "number", "#", help="Trial number, in the order trials started."),
    TrialColumn("state", "state", "State", numeric=False),
    TrialColumn("value", "value", "Value", help="The objective's value for the trial."),
)
TAIL_COLUMNS = (
    TrialColumn("steps", "steps", "Steps",
                help="The last step the trial reported (epochs, iterations), if any."),
    TrialColumn("duration", "duration", "Duration", help="How long the trial ran."),
    TrialColumn("started", "started", "Started", numeric=False,
                help="When the trial started (local time)."),
    TrialColumn("worker", "worker", "Worker", help="Which worker ran the trial."),
    TrialColumn("note", "note", "Notes", numeric=False,
                help="Your note on the trial (right-click a row to write one)."),
)


def param_column(p: Param) -> TrialColumn:
    numeric = not isinstance(p, (CategoricalParam, FixedParam)) or all(
        _is_number(c) for c in (p.choices if isinstance(p, CategoricalParam) else (p.value,))
    )
    return TrialColumn("param", p.name, p.name, numeric=numeric, help=p.help)


# Metrics Knobs itself records for pruned trials (engine.study), shown with plain titles.
_PRUNING_METRICS = {
    "stopped_at": ("Stopped at", "The step at which a pruner stopped the trial."),
    "pruned_by": ("Pruned by", "Which pruner stopped the trial; its rule is in the details."),
}


def metric_column(name: str, taken: set[str]) -> TrialColumn:
    """A metric's column; one named like another column (``value``) gets a distinct title."""
    if name in _PRUNING_METRICS:
        title, help_text = _PRUNING_METRICS[name]
        return TrialColumn("metric", name, title, numeric=name == "stopped_at", help=help_text)
    title = f"{name} (metric)" if name.lower() in taken else name
    return TrialColumn("metric", name, title, help=f"Metric '{name}' reported by the objective.")


def key_function(
    column: TrialColumn, param_keys: dict[str, Callable[[Any], float]]
) -> Callable[[Trial], float]:
    """How to get a trial's sort key for ``column`` (NaN for a blank cell)."""
    kind, name = column.kind, column.name
    if kind == "param":
        f = param_keys[name]
        return lambda t: f(t.params.get(name))
    if kind == "metric":
        return lambda t: _as_float(t.metrics.get(name))
    return _FIXED_KEYS[kind]


def column_keys(
    column: TrialColumn, trials: Sequence[Trial], param_keys: dict[str, Callable[[Any], float]]
) -> np.ndarray:
    """The sort keys of a whole column: the numbers :func:`key_function` gives, in bulk.

    numpy turns ``None`` into NaN in a float array, so most columns take one list and one
    conversion instead of a Python call per cell (a 100,000-trial study opens faster).
    """
    kind, name = column.kind, column.name
    if kind == "note":  # text only: shown and searched through raw_value
        return np.full(len(trials), np.nan)
    if kind == "state":
        return np.array([STATE_CODE[t.state] for t in trials], dtype=float)
    if kind == "duration":
        finished = np.array([t.finished_at for t in trials], dtype=float)
        return finished - np.array([t.started_at for t in trials], dtype=float)
    if kind in _ATTRIBUTES:
        raw = [getattr(t, _ATTRIBUTES[kind]) for t in trials]
    elif kind == "metric":
        raw = [t.metrics.get(name) for t in trials]
    elif kind == "param" and column.numeric:
        raw = [t.params.get(name) for t in trials]
    else:
        raw = None
    if raw is not None:
        try:
            return np.array(raw, dtype=float)
        except (TypeError, ValueError):
            pass  # text or lists among the values: take them one at a time
    f = key_function(column, param_keys)
    return np.array([f(t) for t in trials], dtype=float)


def typed_key(column: TrialColumn, text: str, param: Param | None) -> float | None:
    """The sort key of a value typed as text (``failed``, ``rbf``), or ``None``."""
    typed = text.lower()
    if column.kind == "state":
        return next((STATE_CODE[s] for s in STATES if s.value == typed), None)
    if isinstance(param, (CategoricalParam, FixedParam)):
        choices = param.choices if isinstance(param, CategoricalParam) else (param.value,)
        for c in choices:
            if typed in (format_number(c, 4).lower(), str(c).lower()):
                return param_key_function(param)(c)
    return None


def key_text_function(column: TrialColumn, param: Param | None = None) -> Callable[[float], str]:
    """How a cell's text follows from its sort key (NaN: blank).

    The table shows and searches these texts, so every cell of a column is formatted by the
    same function, and a whole column can be formatted in one pass over its key array.
    """
    kind = column.kind
    if kind == "state":
        return lambda k: _STATE_TEXT[int(k)]
    if kind == "value":
        return _digits(6)
    if kind == "duration":
        return format_duration
    if kind == "started":
        return format_started
    if kind == "param" and isinstance(param, (CategoricalParam, FixedParam)) and not column.numeric:
        choices = param.choices if isinstance(param, CategoricalParam) else (param.value,)
        texts = [format_number(c, 4) for c in choices]
        return lambda k: "" if k != k else texts[int(k)]
    if kind == "param" and not isinstance(param, IntParam):
        return _digits(4) if isinstance(param, FloatParam) else _whole_or_digits(4)
    if kind == "metric":
        return _whole_or_digits(4)
    return _whole_or_digits(4)  # number, worker, int params


def raw_value(column: TrialColumn, trial: Trial) -> Any:
    """A param's or metric's value as the trial holds it (for values without a key)."""
    if column.kind == "param":
        return trial.params.get(column.name)
    if column.kind == "metric":
        v = trial.metrics.get(column.name)
        return None if isinstance(v, (list, dict)) else v
    if column.kind == "note":
        return trial.note or None
    return None


def format_number(v: Any, digits: int) -> str:
    """A value as text: numbers to ``digits`` significant digits, true/false, text as is."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "" if math.isnan(v) else f"{v:.{digits}g}"
    return str(v)


def format_duration(seconds: float | None) -> str:
    if seconds is None or seconds != seconds:
        return ""
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, s = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {s:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def format_started(ts: float | None) -> str:
    """Time of day for today's trials; date and time for older ones (local time)."""
    if ts is None or ts != ts:
        return ""
    # time.localtime and f-strings: several times faster than datetime.strftime, which
    # matters when a word filter first formats a whole column.
    tm = time.localtime(ts)
    today = time.localtime()
    if (tm.tm_year, tm.tm_yday) == (today.tm_year, today.tm_yday):
        return f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}"
    return f"{tm.tm_year}-{tm.tm_mon:02d}-{tm.tm_mday:02d} {tm.tm_hour:02d}:{tm.tm_min:02d}"


def error_reason(error: str | None) -> str:
    """The plain first line of a trial's error; the traceback tail follows it."""
    return (error or "").strip().splitlines()[0] if (error or "").strip() else ""


def param_key_function(p: Param) -> Callable[[Any], float]:
    """How a parameter's values sort: by number, or by their place in the choices."""
    if isinstance(p, CategoricalParam) and not all(_is_number(c) for c in p.choices):
        codes = {choice_key(c): float(k) for k, c in enumerate(p.choices)}
        return lambda v: np.nan if v is None else codes.get(choice_key(v), np.nan)
    if isinstance(p, FixedParam) and not _is_number(p.value):
        return lambda v: np.nan if v is None else 0.0
    return _as_float


def _digits(digits: int) -> Callable[[float], str]:
    pattern = f"%.{digits}g"
    return lambda k: "" if k != k else pattern % k


def _whole_or_digits(digits: int) -> Callable[[float], str]:
    # Counts (trial numbers, workers, int params, a metric like n_iter) without ".0" or
    # an exponent; other numbers to a few significant digits.
    pattern = f"%.{digits}g"
    return lambda k: "" if k != k else (
        str(int(k)) if k.is_integer() and abs(k) < 1e15 else pattern % k
    )


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _as_float(v: Any) -> float:
    return float(v) if isinstance(v, (int, float)) else np.nan


_STATE_TEXT = [STATE_LABEL[s] for s in STATES]
_ATTRIBUTES = {"number": "number", "value": "value", "started": "started_at", "worker": "worker"}

_FIXED_KEYS: dict[str, Callable[[Trial], float]] = {
    "number": lambda t: float(t.number),
    "state": lambda t: STATE_CODE[t.state],
    "value": lambda t: np.nan if t.value is None else float(t.value),
    "duration": lambda t: np.nan if t.duration is None else t.duration,
    "started": lambda t: np.nan if t.started_at is None else t.started_at,
    "worker": lambda t: np.nan if t.worker is None else float(t.worker),
    "steps": lambda t: float(t.intermediate[-1][0]) if t.intermediate else np.nan,
    "note": lambda t: np.nan,
}
