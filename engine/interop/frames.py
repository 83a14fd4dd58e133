"""A study's trials as columns for notebooks: plain lists, or a pandas DataFrame.

Column names follow Optuna's ``Study.trials_dataframe()`` (``number``, ``value``,
``datetime_start``, ``datetime_complete``, ``duration``, ``params_<name>``, ``state``), so
notebook code written against Optuna reads Knobs studies unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from engine.interop.foreign import read_foreign
from engine.trial import Trial, TrialState

_OPTUNA_STATE = {TrialState.FAILED: "FAIL"}


def trials_table(source: Any, study: str | None = None) -> dict[str, list[Any]]:
    """Columns (name -> one value per trial, ``None`` where absent) of a study's trials.

    ``source`` is a ``Study``, a ``.knobs`` path or an Optuna storage path (``study``
    names one of several there). Files are read only.
    """
    trials, names = _trials_of(source, study)
    table: dict[str, list[Any]] = {"number": [], "value": [], "datetime_start": [],
                                   "datetime_complete": [], "duration": []}
    for name in names:
        table[f"params_{name}"] = []
    table["state"] = []
    for t in trials:
        table["number"].append(t.number)
        table["value"].append(t.value)
        table["datetime_start"].append(_when(t.started_at))
        table["datetime_complete"].append(_when(t.finished_at))
        table["duration"].append(None if t.duration is None else timedelta(seconds=t.duration))
        for name in names:
            table[f"params_{name}"].append(t.params.get(name))
        table["state"].append(_OPTUNA_STATE.get(t.state, t.state.value.upper()))
    return table


def trials_dataframe(source: Any, study: str | None = None):
    """``trials_table`` as a pandas DataFrame (pandas must be installed)."""
    try:
        import pandas
    except ImportError:
        raise ImportError("trials_dataframe needs pandas (pip install pandas); "
                          "trials_table gives the same columns without it") from None
    return pandas.DataFrame(trials_table(source, study))


def _trials_of(source: Any, study: str | None) -> tuple[Sequence[Trial], list[str]]:
    if isinstance(source, (str, Path)):
        foreign = read_foreign(source, study)
        if foreign is not None:
            return foreign.trials, [p["name"] for p in foreign.params]
        from engine.study import Study
        opened = Study.open(source, readonly=True)
        try:
            return opened.trials, list(opened.space.names)
        finally:
            opened.close()
    return source.trials, list(source.space.names)


def _when(stamp: float | None) -> datetime | None:
    return None if stamp is None else datetime.fromtimestamp(stamp)
