"""Read an Optuna RDB storage (SQLite file) without Optuna, read-only.

The tables and columns are those of ``optuna/storages/_rdb/models.py``. The file is opened
through an ``immutable`` read-only URI: SQLite then takes no lock and creates no journal,
WAL or shared-memory file next to it, so the file's bytes and mtime stay as they were.
"""

from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from engine.trial import Trial, TrialState

# Tables every Optuna RDB storage has had since v1; all of them must be present.
_REQUIRED_TABLES = {"studies", "study_directions", "trials", "trial_params", "trial_values",
                    "trial_intermediate_values"}
_STATES = {"COMPLETE": TrialState.COMPLETE, "PRUNED": TrialState.PRUNED,
           "FAIL": TrialState.FAILED, "RUNNING": TrialState.RUNNING}
_INFINITE = {"INF_POS": math.inf, "INF_NEG": -math.inf}


class OptunaStorageError(Exception):
    """The file is not an Optuna storage Knobs can read, or the study asked for is absent."""


@dataclass(frozen=True)
class ForeignStudy:
    """A study read from another tool: Knobs parameter dicts and trials, nothing to run."""

    name: str
    direction: str
    params: tuple[dict[str, Any], ...]
    trials: tuple[Trial, ...]
    source: str


def is_optuna_storage(path: str | Path) -> bool:
    """True when ``path`` is an SQLite file holding Optuna's tables."""
    try:
        conn = _connect(Path(path))
    except (OSError, sqlite3.Error, OptunaStorageError):
        return False
    try:
        return _REQUIRED_TABLES <= _tables(conn)
    except sqlite3.Error:
        return False
    finally:
        conn.close()


def list_studies(path: str | Path) -> list[str]:
    """The names of the studies in the storage, in the order they were created."""
    path = Path(path)
    conn = _open_checked(path)
    try:
        return [name for (name,) in conn.execute(
            "SELECT study_name FROM studies ORDER BY study_id")]
    finally:
        conn.close()


def read_study(path: str | Path, name: str | None = None) -> ForeignStudy:
    """Read one study; ``name`` may be left out when the storage holds exactly one."""
    path = Path(path)
    conn = _open_checked(path)
    try:
        names = {n: i for i, n in conn.execute("SELECT study_id, study_name FROM studies")}
        if name is None:
            if len(names) != 1:
                raise OptunaStorageError(
                    f"{path}: holds {len(names)} studies; name one of: "
                    f"{', '.join(sorted(names)) or '(none)'}")
            name = next(iter(names))
        if name not in names:
            raise OptunaStorageError(f"{path}: no study named {name!r}; the storage holds: "
                                     f"{', '.join(sorted(names)) or '(none)'}")
        return _read(conn, path, name, names[name])
    finally:
        conn.close()


def _read(conn: sqlite3.Connection, path: Path, name: str, study_id: int) -> ForeignStudy:
    directions = [d for (d,) in conn.execute(
        "SELECT direction FROM study_directions WHERE study_id = ? ORDER BY objective",
        (study_id,))]
    if len(directions) > 1:
        raise OptunaStorageError(f"{path}: study {name!r} has {len(directions)} objectives; "
                                 "Knobs reads single-objective studies only")
    direction = "maximize" if directions and directions[0] == "MAXIMIZE" else "minimize"

    params: dict[str, dict[str, Any]] = {}
    values: dict[int, dict[str, Any]] = {}
    for trial_id, pname, raw, dist_json in conn.execute(
        "SELECT p.trial_id, p.param_name, p.param_value, p.distribution_json "
        "FROM trial_params p JOIN trials t ON t.trial_id = p.trial_id "
        "WHERE t.study_id = ? ORDER BY p.param_id", (study_id,)):
        spec, value = _param(path, pname, raw, dist_json)
        params.setdefault(pname, spec)
        values.setdefault(trial_id, {})[pname] = value

    objective = {tid: _number(v, kind) for tid, v, kind in conn.execute(
        "SELECT v.trial_id, v.value, v.value_type FROM trial_values v "
        "JOIN trials t ON t.trial_id = v.trial_id WHERE t.study_id = ? AND v.objective = 0",
        (study_id,))}
    steps: dict[int, list[tuple[int, float]]] = {}
    for tid, step, v, kind in conn.execute(
        "SELECT i.trial_id, i.step, i.intermediate_value, i.intermediate_value_type "
        "FROM trial_intermediate_values i JOIN trials t ON t.trial_id = i.trial_id "
        "WHERE t.study_id = ? ORDER BY i.trial_id, i.step", (study_id,)):
        number = _number(v, kind)
        if number is not None:
            steps.setdefault(tid, []).append((int(step), number))

    trials = []
    for tid, number, state, start, end in conn.execute(
        "SELECT trial_id, number, state, datetime_start, datetime_complete FROM trials "
        "WHERE study_id = ? ORDER BY number", (study_id,)):
        if state not in _STATES:  # WAITING: enqueued, never started
            continue
        trials.append(Trial(
            number=int(number), params=values.get(tid, {}), state=_STATES[state],
            value=objective.get(tid), started_at=_timestamp(start),
            finished_at=_timestamp(end), intermediate=tuple(steps.get(tid, ())),
        ))
    return ForeignStudy(name=name, direction=direction, params=tuple(params.values()),
                        trials=tuple(trials), source=str(path))


def _param(path: Path, name: str, raw: float, dist_json: str) -> tuple[dict[str, Any], Any]:
    """A Knobs parameter dict for an Optuna distribution, and the trial's value in it."""
    try:
        dist = json.loads(dist_json)
        kind, attrs = dist["name"], dist["attributes"]
    except (ValueError, TypeError, KeyError):
        raise OptunaStorageError(
            f"{path}: parameter {name!r} has a damaged distribution: {dist_json!r}") from None
    if kind == "CategoricalDistribution":
        choices = list(attrs["choices"])
        return {"name": name, "type": "categorical", "choices": choices}, choices[int(raw)]
    # Older Optuna wrote one class per case; each maps onto float or int with log/step.
    floats = {"FloatDistribution": (attrs.get("log", False), attrs.get("step")),
              "UniformDistribution": (False, None), "LogUniformDistribution": (True, None),
              "DiscreteUniformDistribution": (False, attrs.get("q"))}
    ints = {"IntDistribution": (attrs.get("log", False), attrs.get("step", 1)),
            "IntUniformDistribution": (False, attrs.get("step", 1)),
            "IntLogUniformDistribution": (True, 1)}
    if kind in floats:
        log, step = floats[kind]
        spec = {"name": name, "type": "float", "low": float(attrs["low"]),
                "high": float(attrs["high"]), "log": bool(log)}
        if step is not None:
            spec["step"] = float(step)
        return spec, float(raw)
    if kind in ints:
        log, step = ints[kind]
        return ({"name": name, "type": "int", "low": int(attrs["low"]),
                 "high": int(attrs["high"]), "log": bool(log), "step": int(step or 1)},
                int(round(raw)))
    raise OptunaStorageError(f"{path}: parameter {name!r} has a distribution Knobs does not "
                             f"know: {kind!r} (known: Float, Int, Categorical)")


def _number(value: float | None, kind: str | None) -> float | None:
    if kind in _INFINITE:
        return _INFINITE[kind]
    return None if value is None else float(value)


def _timestamp(text: str | None) -> float | None:
    # SQLAlchemy stores naive local datetimes as text, as Optuna's datetime.now() made them.
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text)).timestamp()
    except ValueError:
        return None


def _connect(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise OptunaStorageError(f"{path}: no such file")
    uri = f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1"
    return sqlite3.connect(uri, uri=True)


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _open_checked(path: Path) -> sqlite3.Connection:
    conn = _connect(path)
    try:
        missing = _REQUIRED_TABLES - _tables(conn)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise OptunaStorageError(f"{path}: not an SQLite database ({exc})") from None
    if missing:
        conn.close()
        raise OptunaStorageError(f"{path}: not an Optuna storage (missing tables: "
                                 f"{', '.join(sorted(missing))})")
    return conn
