"""What makes a file a Knobs study file, checked before anything reads or writes it: the
SQLite header, the application id and schema version, the tables, and every trial row's
types. Nothing here changes the file."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

# 1: the first. 2: trials keep their objective values and constraint violation
# (objective_values, violation), for studies with [[objectives]] or [[constraints]].
# 3: notes on trials (the notes table). An older file is brought to 3 when a writer claims
# it (storage._migrate); read-only, it is read as it is.
SCHEMA_VERSION = 3
# PRAGMA application_id marks the file as ours, so a foreign SQLite file is told apart.
APPLICATION_ID = 0x4B4E4F42  # "KNOB"
_SQLITE_MAGIC = b"SQLite format 3\x00"
# The tables Knobs writes; a file with others was written to by another program.
_TABLES = {"meta", "trials", "intermediate", "notes"}


class StudyFileError(Exception):
    """A study file cannot be opened, read or written; the message says why, plainly."""


# A trial's times are seconds since 1970; beyond the year 9999 no clock or date type goes.
_LATEST_TIME = 253402300799.0


def _json_object(text: Any) -> dict | None:
    """A row's JSON object column decoded, or None when it holds anything else."""
    try:
        decoded = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
    return decoded if isinstance(decoded, dict) else None


def _row_problems(row: tuple, decoded: tuple[dict | None, dict | None]) -> list[str]:
    """What in one trials row is not what Knobs writes there (a hand edit, another tool).

    ``decoded`` is the row's params and metrics through :func:`_json_object`, decoded once
    for both this check and the trial made from the row."""
    n, state, params, value, started, finished, worker, error, metrics, values, viol = row
    where = f"trial {n!r}"
    out = []
    if not isinstance(n, int) or n < 0:
        out.append(f"{where}: number = {n!r}: expected a whole number >= 0")
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        out.append(f"{where}: value = {_short(value)}: expected a number or nothing")
    for name, t in (("started_at", started), ("finished_at", finished)):
        if t is not None and (not isinstance(t, (int, float)) or not 0 <= t <= _LATEST_TIME):
            out.append(f"{where}: {name} = {_short(t)}: expected seconds since 1970 "
                       "before the year 10000")
    for name, text, obj in (("params", params, decoded[0]), ("metrics", metrics, decoded[1])):
        if obj is None:
            out.append(f"{where}: {name} = {_short(text)}: expected a JSON object")
    if values is not None:
        try:
            decoded = json.loads(values) if isinstance(values, str) else None
        except ValueError:
            decoded = None
        if not (isinstance(decoded, list) and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in decoded)):
            out.append(f"{where}: objective_values = {_short(values)}: expected a JSON list "
                       "of numbers or nothing")
    if viol is not None and (isinstance(viol, bool) or not isinstance(viol, (int, float))
                             or not viol >= 0):
        out.append(f"{where}: violation = {_short(viol)}: expected a number >= 0 or nothing")
    if worker is not None and not isinstance(worker, int):
        out.append(f"{where}: worker = {_short(worker)}: expected a whole number or nothing")
    if error is not None and not isinstance(error, str):
        out.append(f"{where}: error = {_short(error)}: expected text or nothing")
    return out


def _short(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_header(path: Path) -> None:
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise StudyFileError(f"{path}: no such file") from None
    except OSError as exc:
        raise StudyFileError(f"{path}: cannot read: {exc.strerror}") from None
    if stat.S_ISDIR(mode):
        raise StudyFileError(f"{path}: is a folder, not a study file")
    if not stat.S_ISREG(mode):
        # Opening a FIFO waits for a writer forever; a device is never a study.
        raise StudyFileError(f"{path}: not a regular file (a pipe or device), not a study file")
    try:
        with open(path, "rb") as f:
            head = f.read(len(_SQLITE_MAGIC))
    except FileNotFoundError:
        raise StudyFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise StudyFileError(f"{path}: is a folder, not a study file") from None
    except OSError as exc:
        raise StudyFileError(f"{path}: cannot read: {exc.strerror}") from None
    if head != _SQLITE_MAGIC:
        raise StudyFileError(f"{path}: not a Knobs study file (it is not an SQLite database)")


def _check_identity(path: Path, conn: sqlite3.Connection) -> None:
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if app_id != APPLICATION_ID:
            raise StudyFileError(
                f"{path}: an SQLite database from another program, not a Knobs study file"
            )
        if version > SCHEMA_VERSION:
            raise StudyFileError(
                f"{path}: written by a newer Knobs (study file version {version}; this "
                f"version reads up to {SCHEMA_VERSION}). Update Knobs to open it."
            )
        if version < 1:
            raise StudyFileError(f"{path}: study file version {version} is not valid")
        conn.execute("SELECT count(*) FROM trials").fetchone()
        conn.execute("SELECT value FROM meta WHERE key = 'spec'").fetchone()
        # Optuna's tools add their own tables to any SQLite file they are pointed at; Knobs
        # would neither read nor keep them, so such a file is not treated as a study file.
        tables = {n for (n,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")
            if not n.startswith("sqlite_")}
        if tables - _TABLES:
            raise StudyFileError(
                f"{path}: holds tables Knobs does not know ({', '.join(sorted(tables - _TABLES))})"
                "; another program wrote to it, so Knobs will not open it as its study file")
    except sqlite3.Error as exc:
        raise StudyFileError(f"{path}: the study file is damaged: {_reason(exc)}") from None


def _reason(exc: sqlite3.Error) -> str:
    text = str(exc)
    if "disk is full" in text or "database or disk is full" in text:
        return "the disk is full"
    if "readonly" in text or "read-only" in text:
        return "the file or its folder is read-only"
    return text
