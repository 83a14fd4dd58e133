"""Several studies side by side: best-so-far by trial and by wall time, value distributions
and each study's best trial, as plain arrays (no GUI).

A study to compare is a :class:`StudyRecord`: a name, a direction, its trials and parameter
names, read from a Knobs study file or from another tool's storage (:func:`load_record`)
and closed at once; nothing here keeps a file open or writes to one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from engine.analysis import best_so_far
from engine.trial import Trial, TrialState


@dataclass(frozen=True)
class StudyRecord:
    """What a comparison needs of one study."""

    name: str
    direction: str
    trials: tuple[Trial, ...]
    param_names: tuple[str, ...]
    source: str  # where it was read from (a path, with the study's name for a storage)


class Curve(NamedTuple):
    """One study's complete trials in order, with the best value so far at each."""

    name: str
    numbers: np.ndarray  # trial numbers
    elapsed: np.ndarray  # seconds from the study's first start to each trial's end (NaN unknown)
    values: np.ndarray
    best: np.ndarray


class BestRow(NamedTuple):
    """One line of the best-trials table."""

    name: str
    number: int | None
    value: float | None
    params: dict[str, Any]
    n_complete: int
    n_trials: int
    seconds_to_best: float | None  # from the study's first start to its best trial's end


class Comparison(NamedTuple):
    curves: tuple[Curve, ...]
    best: tuple[BestRow, ...]
    param_names: tuple[str, ...]  # every study's parameters, first seen first
    direction: str  # the first study's; see ``note``
    note: str  # a plain sentence when the studies cannot be compared as they are, else ""


def compare(records: Sequence[StudyRecord]) -> Comparison:
    """Curves and best trials of ``records``, in their order."""
    curves, rows = [], []
    names: dict[str, None] = {}
    for r in records:
        curve = study_curve(r)
        curves.append(curve)
        rows.append(_best_row(r, curve))
        names.update(dict.fromkeys(r.param_names))
    directions = {r.direction for r in records}
    note = ""
    if len(directions) > 1:
        note = ("These studies do not share a direction (some minimize, some maximize): "
                "each best-so-far line follows its own.")
    return Comparison(tuple(curves), tuple(rows), tuple(names),
                      records[0].direction if records else "minimize", note)


def study_curve(record: StudyRecord) -> Curve:
    done = sorted((t for t in record.trials if t.state is TrialState.COMPLETE
                   and t.value is not None and math.isfinite(float(t.value))),
                  key=lambda t: t.number)
    starts = [t.started_at for t in record.trials if t.started_at is not None]
    origin = min(starts) if starts else math.nan
    values = np.array([float(t.value) for t in done])
    elapsed = np.array([t.finished_at - origin if t.finished_at is not None else math.nan
                        for t in done], dtype=float)
    return Curve(record.name, np.array([t.number for t in done], dtype=np.int64), elapsed,
                 values, best_so_far(values, record.direction))


def value_distribution(curve: Curve) -> tuple[np.ndarray, np.ndarray]:
    """Sorted values and the share of trials at or below each (an empirical CDF)."""
    x = np.sort(curve.values)
    return x, np.arange(1, x.size + 1) / max(x.size, 1)


def _best_row(record: StudyRecord, curve: Curve) -> BestRow:
    n_trials = len(record.trials)
    if curve.values.size == 0:
        return BestRow(record.name, None, None, {}, 0, n_trials, None)
    pick = np.argmax if record.direction == "maximize" else np.argmin
    i = int(pick(curve.values))
    trial = next(t for t in record.trials if t.number == int(curve.numbers[i]))
    seconds = float(curve.elapsed[i]) if math.isfinite(curve.elapsed[i]) else None
    return BestRow(record.name, trial.number, float(trial.value), dict(trial.params),
                   int(curve.values.size), n_trials, seconds)


def load_record(path: str | Path, study: str | None = None) -> StudyRecord:
    """Read a study to compare: a ``.knobs`` file, an Optuna SQLite storage or an Optuna
    journal file (``study`` names one of several in a storage). Only read, then closed."""
    from engine.interop import read_foreign

    path = Path(path)
    foreign = read_foreign(path, study)
    if foreign is not None:
        return StudyRecord(foreign.name, foreign.direction, foreign.trials,
                           tuple(p["name"] for p in foreign.params),
                           f"{path} ({foreign.name})")
    from engine.study import Study

    opened = Study.open(path, readonly=True)
    try:
        return StudyRecord(opened.spec.name, opened.direction, tuple(opened.trials),
                           tuple(opened.space.names), str(path))
    finally:
        opened.close()


def record_of(study: Any, source: str = "") -> StudyRecord:
    """The record of an open Knobs :class:`~engine.study.Study` (its trials as they are now)."""
    where = source or (str(study.file.path) if study.file is not None else "not saved")
    return StudyRecord(study.spec.name, study.direction, tuple(study.trials),
                       tuple(study.space.names), where)
