"""The trials table's columns and cell texts, without Qt: what each cell shows and how it sorts.

Every column has a float sort key per trial (NaN for a blank cell), derived from the one
:class:`~engine.trial_columns.TrialColumns` store the plots read too: numbers sort as
numbers, choices by their place in the parameter's list of choices, states by their code.
Workers are numbered from 1, as the Timeline plot names them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from engine.formatting import format_duration, format_number
from engine.space import CategoricalParam, FixedParam, Param
from engine.states import LABELS_BY_CODE, STATE_CODE, STATE_LABEL, state_of_label
from engine.trial import Trial, TrialState
from engine.trial_columns import TrialColumns


@dataclass(frozen=True)
class TrialColumn:
    """One column of the table.

    ``kind`` is one of number, state, value, rank, param, metric, steps, duration, started,
    worker, note;
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
# A study of several objectives or constraints: the Pareto rank, kept by the model.
RANK_COLUMN = TrialColumn(
    "rank", "rank", "Rank",
    help="Pareto rank: 1 = on the front (no other trial that meets the limits is better in "
         "every objective); 2 = on the front once those are set aside, and so on. Trials "
         "outside the limits come last.")
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


def column_keys(column: TrialColumn, store: TrialColumns, param: Param | None = None
                ) -> np.ndarray:
    """The sort keys of a whole column, for every row of ``store`` (NaN: a blank cell).

    Most are the store's own arrays (no copy); the rest are one numpy operation on them.
    """
    kind = column.kind
    if kind == "note":  # text only: shown and searched through raw_value
        return np.full(store.n, np.nan)
    if kind == "number":
        return store.numbers.astype(float)
    if kind == "state":
        states = store.states
        return np.where(states < 0, np.nan, states.astype(float))
    if kind == "value":
        return store.values
    if kind == "duration":
        return store.finished - store.started
    if kind == "started":
        return store.started
    if kind == "worker":
        workers = store.workers
        return np.where(workers < 0, np.nan, workers + 1.0)  # 1-based, as users count
    if kind == "steps":
        return store.last_step
    if kind == "metric":
        return store.metric(column.name)
    keys = store.column(column.name)
    if isinstance(param, CategoricalParam) and column.numeric:
        # Numeric choices sort (and compare in a filter) by their number, not their place.
        numbers = np.array([float(c) for c in param.choices] + [np.nan])
        index = np.where(np.isnan(keys), len(param.choices), keys).astype(np.int64)
        return numbers[index]
    return keys


def typed_key(column: TrialColumn, text: str, param: Param | None) -> float | None:
    """The sort key of a value typed as text (``failed``, ``rbf``), or ``None``."""
    typed = text.lower()
    if column.kind == "state":
        state = state_of_label(typed)
        return None if state is None else float(STATE_CODE[state])
    if isinstance(param, (CategoricalParam, FixedParam)):
        choices = param.choices if isinstance(param, CategoricalParam) else (param.value,)
        for c in choices:
            if typed in (format_number(c, 4).lower(), str(c).lower()):
                return float(c) if column.numeric else float(choices.index(c))
    return None


def key_text_function(column: TrialColumn, param: Param | None = None) -> Callable[[float], str]:
    """How a cell's text follows from its sort key (NaN: blank).

    The table shows and searches these texts, so every cell of a column is formatted by the
    same function, and a whole column can be formatted in one pass over its key array.
    """
    kind = column.kind
    if kind == "state":
        return lambda k: "" if k != k else LABELS_BY_CODE[int(k)]
    if kind == "value":
        return _number_text(6)
    if kind == "duration":
        return format_duration
    if kind == "started":
        return format_started
    if kind == "param" and isinstance(param, (CategoricalParam, FixedParam)) and not column.numeric:
        choices = param.choices if isinstance(param, CategoricalParam) else (param.value,)
        texts = [format_number(c, 4) for c in choices]
        return lambda k: "" if k != k else texts[int(k)]
    return _number_text(4)  # number, worker, steps, params, metrics


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


def tooltip_text(column: TrialColumn, trial: Trial) -> str | None:
    """What hovering a cell says: why the trial failed, or the full value or time."""
    if trial.error:
        reason = error_reason(trial.error)
        more = "\nDouble-click for details." if trial.state is TrialState.FAILED else ""
        return f"{STATE_LABEL[trial.state]}: {reason}{more}"
    if column.kind == "started" and trial.started_at is not None:
        return datetime.fromtimestamp(trial.started_at).strftime("%Y-%m-%d %H:%M:%S")
    if column.kind == "value" and trial.value is not None:
        return repr(trial.value)
    if column.kind == "param" and isinstance(trial.params.get(column.name), float):
        return repr(trial.params[column.name])
    return None


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


def _number_text(digits: int) -> Callable[[float], str]:
    return lambda k: format_number(k, digits)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)
