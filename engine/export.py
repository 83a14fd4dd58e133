"""Trials out of a study: CSV (one row per trial, a column per parameter) and JSON."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from engine.trial import Trial

BASE_COLUMNS = ("number", "state", "value")
TAIL_COLUMNS = ("duration_s", "started", "worker", "error", "note")


class Judged(NamedTuple):
    """How a study of several objectives or constraints judged its trials, for exports:
    the objectives' metrics (in order), each complete trial's Pareto rank by number, and the
    trial the user chose from the front (engine.chosen), if any."""

    metrics: list[str]
    ranks: dict[int, int]
    chosen: int | None = None


def judged_of(study: Any) -> Judged | None:
    """How ``study`` judged its trials (objective columns, feasibility, Pareto rank), for a
    study with several objectives or constraints; None otherwise (its export is as it was)."""
    if not study.spec.is_multi:
        return None
    chosen = study.chosen
    return Judged([g.metric for g in study.spec.goals], study.ranks(),
                  None if chosen is None else chosen.number)


def scalar_metric_names(trials: Sequence[Trial]) -> list[str]:
    """Metrics that are single values in at least one trial, in first-seen order."""
    names: dict[str, None] = {}
    for t in trials:
        for k, v in t.metrics.items():
            if not isinstance(v, (list, dict)):
                names.setdefault(k)
    return list(names)


def trial_rows(
    trials: Sequence[Trial], param_names: Sequence[str], judged: Judged | None = None
) -> tuple[list[str], list[list]]:
    """Column names and rows; a parameter inactive in a trial is an empty cell. With
    ``judged``: a column per objective (``objective_<metric>``), ``feasible`` and
    ``pareto_rank`` (1 for the front, 2 for the front once it is set aside, ...; counted
    from 1 for spreadsheets and people, unlike :meth:`Study.ranks`) and ``chosen`` (true for
    the trial the user chose), empty for trials that did not complete."""
    metrics = scalar_metric_names(trials)
    taken = {*BASE_COLUMNS, *param_names, *TAIL_COLUMNS}
    # A metric named like a parameter (both "epochs") must not make two equal headers.
    metric_columns = [f"metric_{m}" if m in taken else m for m in metrics]
    goal_columns = ([f"objective_{m}" for m in judged.metrics]
                    + ["feasible", "pareto_rank", "chosen"] if judged else [])
    columns = [*BASE_COLUMNS, *goal_columns, *param_names, *metric_columns, *TAIL_COLUMNS]
    rows = []
    for t in trials:
        rows.append([
            t.number, t.state.value, _blank(t.value),
            *(_goal_cells(t, judged) if judged else ()),
            *(_blank(t.params.get(n)) for n in param_names),
            *(_blank(t.metrics.get(m)) for m in metrics),
            _blank(None if t.duration is None else round(t.duration, 3)),
            _iso(t.started_at), _blank(t.worker), t.error or "", t.note,
        ])
    return columns, rows


def _goal_cells(t: Trial, judged: Judged) -> list:
    rank = judged.ranks.get(t.number)
    if rank is None or not t.values:
        return [""] * (len(judged.metrics) + 3)
    return [*t.values, _blank(t.feasible), rank + 1, _blank(t.number == judged.chosen)]


_SQLITE_HEADER = b"SQLite format 3\x00"


def overwrite_refusal(target: str | Path, study_path: str | Path) -> str | None:
    """Why an export must not be written to ``target``, or None if it may.

    An export over the study it comes from (or over any other study file) would replace
    every trial with a table of them; a FIFO or device would hang or go nowhere.
    """
    target = Path(target)
    try:
        if not target.exists():
            return None
        if target.is_dir():
            return "is a folder; give a file name"
        if not target.is_file():
            return "is not a regular file (a pipe or device); give a file name"
        if Path(study_path).exists() and os.path.samefile(target, study_path):
            return "is the study being exported; give another file name"
        with open(target, "rb") as f:
            if f.read(len(_SQLITE_HEADER)) == _SQLITE_HEADER:
                return "is a study file (SQLite); Knobs does not write an export over one"
    except OSError as exc:
        return f"cannot check the file: {exc.strerror or exc}"
    return None


def _open_for_writing(path: str | Path, *, newline: str | None = None):
    # Read-write for the owner and read-only for others whatever the umask: with umask 000
    # a plain open() would leave the export writable by every user of the machine.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    if hasattr(os, "fchmod"):  # an existing file keeps its mode; take others' write away
        os.fchmod(fd, os.fstat(fd).st_mode & 0o7755)
    return open(fd, "w", newline=newline, encoding="utf-8")


@contextmanager
def _writing(target: str | Path | TextIO, *, newline: str | None = None) -> Iterator[TextIO]:
    if hasattr(target, "write"):  # an open stream (standard output): written to, left open
        yield target
        target.flush()
        return
    with _open_for_writing(target, newline=newline) as f:
        yield f


def write_csv(
    trials: Sequence[Trial], param_names: Sequence[str], path: str | Path | TextIO, *,
    judged: Judged | None = None,
) -> None:
    """The trials as CSV, to a file or an open text stream."""
    columns, rows = trial_rows(trials, param_names, judged)
    with _writing(path, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerows(rows)


def write_json(
    trials: Sequence[Trial], path: str | Path | TextIO, *, study: dict | None = None,
    judged: Judged | None = None, study_note: str = "",
) -> None:
    """Every trial in full (params, metrics, intermediate values, note), with the study's
    spec and, when it has one, the note on the study, to a file or an open text stream;
    with ``judged``, each complete trial's objective values, feasibility, Pareto rank and
    whether it is the trial the user chose."""
    rows = [trial_to_dict(t) for t in trials]
    if judged:
        for t, row in zip(trials, rows):
            if t.number in judged.ranks and t.values:
                row.update(objectives=dict(zip(judged.metrics, t.values)),
                           violation=t.violation, feasible=t.feasible,
                           pareto_rank=judged.ranks[t.number] + 1,
                           chosen=t.number == judged.chosen)
    payload: dict[str, Any] = {"study": study or {}}
    if study_note:
        payload["study_note"] = study_note
    payload["trials"] = rows
    with _writing(path) as f:
        f.write(json.dumps(payload, indent=2) + "\n")


def trial_to_dict(t: Trial) -> dict[str, Any]:
    return {
        "number": t.number, "state": t.state.value, "value": t.value, "params": t.params,
        "metrics": t.metrics, "duration_s": t.duration, "started": _iso(t.started_at) or None,
        "worker": t.worker, "error": t.error,
        "intermediate": [{"step": s, "value": v} for s, v in t.intermediate],
        "note": t.note,
    }


def _blank(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return v


def _iso(ts: float | None) -> str:
    return "" if ts is None else datetime.fromtimestamp(ts).isoformat(timespec="seconds")
