"""Read an Optuna JournalStorage file (``JournalFileBackend``) without Optuna, read-only.

The file is a log of operations, one JSON object per line, replayed in order (as Optuna's
``JournalStorage`` does; the operation codes are those of its ``JournalOperation``): studies
are created and deleted, trials created (possibly whole, by ``add_trial``), their
parameters, state, values and intermediate values set. The file is opened for reading
only; Optuna's lock file is neither taken nor made, and a last line still being written
(without its newline) is left for the next read.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any

from engine.interop.optuna_rdb import ForeignStudy, OptunaStorageError, _param
from engine.trial import Trial, TrialState

# optuna.storages.journal._storage.JournalOperation
CREATE_STUDY, DELETE_STUDY, CREATE_TRIAL, SET_TRIAL_PARAM = 0, 1, 4, 5
SET_TRIAL_STATE_VALUES, SET_TRIAL_INTERMEDIATE_VALUE = 6, 7
# optuna.trial.TrialState values; WAITING (4) trials were enqueued and never started.
_STATES = {0: TrialState.RUNNING, 1: TrialState.COMPLETE, 2: TrialState.PRUNED,
           3: TrialState.FAILED}
_FINISHED = {1, 2, 3}
_MAXIMIZE = 2  # optuna.study.StudyDirection.MAXIMIZE
_FIRST_OPS = {CREATE_STUDY}


def is_optuna_journal(path: str | Path) -> bool:
    """True when the file's first line is an Optuna journal's first operation."""
    try:
        with open(path, "rb") as f:
            first = f.readline(1 << 16)
        log = json.loads(first)
    except (OSError, ValueError):
        return False
    return (isinstance(log, dict) and log.get("op_code") in _FIRST_OPS
            and "worker_id" in log and "study_name" in log)


def list_journal_studies(path: str | Path) -> list[str]:
    """The names of the studies in the journal (not deleted), in the order created."""
    return [s["name"] for s in _replay(Path(path)).values()]


def read_journal_study(path: str | Path, name: str | None = None) -> ForeignStudy:
    """Read one study; ``name`` may be left out when the journal holds exactly one."""
    path = Path(path)
    studies = {s["name"]: s for s in _replay(path).values()}
    if name is None:
        if len(studies) != 1:
            raise OptunaStorageError(f"{path}: holds {len(studies)} studies; name one of: "
                                     f"{', '.join(sorted(studies)) or '(none)'}")
        name = next(iter(studies))
    if name not in studies:
        raise OptunaStorageError(f"{path}: no study named {name!r}; the journal holds: "
                                 f"{', '.join(sorted(studies)) or '(none)'}")
    study = studies[name]
    if len(study["directions"]) > 1:
        raise OptunaStorageError(f"{path}: study {name!r} has {len(study['directions'])} "
                                 "objectives; Knobs reads single-objective studies only")
    direction = "maximize" if study["directions"] == [_MAXIMIZE] else "minimize"
    trials = []
    for number, t in enumerate(study["trials"]):
        if t["state"] not in _STATES:
            continue
        values = t["values"]
        value = float(values[0]) if values else None
        trials.append(Trial(
            number=number, params=t["params"], state=_STATES[t["state"]],
            value=value if value is None or not math.isnan(value) else None,
            started_at=_timestamp(t["start"]), finished_at=_timestamp(t["end"]),
            intermediate=tuple(sorted(t["steps"].items())),
        ))
    return ForeignStudy(name=name, direction=direction, params=tuple(study["params"].values()),
                        trials=tuple(trials), source=str(path))


def _replay(path: Path) -> dict[int, dict[str, Any]]:
    """Studies by id: name, directions, parameter specs and trials (in creation order)."""
    studies: dict[int, dict[str, Any]] = {}
    trials: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}  # id -> (study, trial)
    next_study, next_trial = 0, 0
    try:
        with open(path, "rb") as f:
            lines = f.read().split(b"\n")[:-1]  # a line without its newline is still written
    except OSError as exc:
        raise OptunaStorageError(f"{path}: cannot read: {exc.strerror}") from None
    for i, line in enumerate(lines, 1):
        try:
            log = json.loads(line)
            op = log["op_code"]
        except (ValueError, TypeError, KeyError):
            raise OptunaStorageError(f"{path}: line {i} is not an Optuna journal entry: "
                                     f"{line[:60]!r}") from None
        try:
            if op == CREATE_STUDY:
                if log["study_name"] not in {s["name"] for s in studies.values()}:
                    studies[next_study] = {"name": log["study_name"], "params": {},
                                           "directions": list(log["directions"]), "trials": []}
                next_study += 1  # Optuna counts a refused duplicate too
            elif op == DELETE_STUDY:
                studies.pop(log["study_id"], None)
            elif op == CREATE_TRIAL:
                study = studies.get(log["study_id"])
                trial = _new_trial(path, study, log)
                if study is not None:
                    study["trials"].append(trial)
                    trials[next_trial] = (study, trial)
                next_trial += 1
            elif op in (SET_TRIAL_PARAM, SET_TRIAL_STATE_VALUES, SET_TRIAL_INTERMEDIATE_VALUE):
                found = trials.get(log["trial_id"])
                if found is not None and found[1]["state"] not in _FINISHED:
                    _update(path, *found, op, log)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise OptunaStorageError(f"{path}: line {i} is damaged ({type(exc).__name__}: "
                                     f"{exc})") from None
    return studies


def _new_trial(path: Path, study: dict[str, Any] | None, log: dict[str, Any]) -> dict[str, Any]:
    values = log.get("values")
    if values is None and log.get("value") is not None:
        values = [log["value"]]
    trial = {"state": int(log.get("state", 0)), "values": values, "params": {},
             "start": log.get("datetime_start"), "end": log.get("datetime_complete"),
             "steps": {int(k): float(v) for k, v in (log.get("intermediate_values") or {}).items()
                       if v is not None}}
    for name, dist in (log.get("distributions") or {}).items():
        spec, value = _param(path, name, log["params"][name], dist)
        trial["params"][name] = value
        if study is not None:
            study["params"].setdefault(name, spec)
    return trial


def _update(path: Path, study: dict[str, Any], trial: dict[str, Any], op: int,
            log: dict[str, Any]) -> None:
    if op == SET_TRIAL_PARAM:
        name = log["param_name"]
        spec, value = _param(path, name, log["param_value_internal"], log["distribution"])
        trial["params"][name] = value
        study["params"].setdefault(name, spec)
    elif op == SET_TRIAL_STATE_VALUES:
        state = int(log["state"])
        if state == 0 and trial["state"] == 0:
            return  # another worker already runs it: Optuna refuses this one
        trial["state"] = state
        if state == 0:
            trial["start"] = log.get("datetime_start")
        if state in _FINISHED:
            trial["end"] = log.get("datetime_complete")
        if log.get("values") is not None:
            trial["values"] = log["values"]
    elif log.get("intermediate_value") is not None:
        value = float(log["intermediate_value"])
        if math.isfinite(value):
            trial["steps"][int(log["step"])] = value


def _timestamp(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None
