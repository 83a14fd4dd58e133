"""The study file: one SQLite database holding the spec and every trial.

A trial is written when it starts and again when it ends, each in its own transaction, so
killing the app at any moment loses no finished trial. The file holds JSON and numbers
only: nothing in it is executed or unpickled when it is opened.

One process at a time may write a study; it holds an advisory lock on ``<file>.lock``.
Others can still open the file read-only (WAL mode lets them read while it is written).
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from engine.trial import Trial, TrialState

# 1: the first. 2: notes on trials (the notes table, _add_notes_table); any file gets the
# table (and a version-1 file becomes version 2) only when a note is first written to it.
SCHEMA_VERSION = 2
NOTES_VERSION = 2
MAX_NOTE_CHARS = 10_000
# PRAGMA application_id marks the file as ours, so a foreign SQLite file is told apart.
APPLICATION_ID = 0x4B4E4F42  # "KNOB"
_SQLITE_MAGIC = b"SQLite format 3\x00"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE trials (
    number INTEGER PRIMARY KEY,
    state TEXT NOT NULL,
    params TEXT NOT NULL,
    value REAL,
    started_at REAL,
    finished_at REAL,
    worker INTEGER,
    error TEXT,
    metrics TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE intermediate (
    trial INTEGER NOT NULL,
    step INTEGER NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (trial, step)
);
"""
_NOTES_TABLE = "CREATE TABLE IF NOT EXISTS notes (trial INTEGER PRIMARY KEY, text TEXT NOT NULL)"


_TABLES = {"meta", "trials", "intermediate", "notes"}


class StudyFileError(Exception):
    """A study file cannot be opened, read or written; the message says why, plainly."""


class StudyFile:
    """Read and write one study file. Thread-safe: every call holds the file's lock."""

    def __init__(self, path: Path, conn: sqlite3.Connection, lock: _FileLock | None):
        self.path = path
        self._conn = conn
        self._lock = lock
        self._mutex = threading.Lock()
        self._identity = _file_identity(path)

    @property
    def readonly(self) -> bool:
        return self._lock is None

    def in_use_elsewhere(self) -> bool:
        """True when another process is running this study right now."""
        return self.readonly and _FileLock.held_by_other(self.path)

    # --- opening ---------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | Path, spec: dict[str, Any], *, overwrite: bool = False
               ) -> StudyFile:
        """Make a new study file holding ``spec``; refuses to replace one unless told to."""
        path = Path(path)
        if path.exists() and not overwrite:
            raise StudyFileError(f"{path}: a file with this name exists already")
        lock = _FileLock.acquire(path)
        try:
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            conn = _connect(path, readonly=False)
            with conn:
                conn.executescript(_SCHEMA)
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                conn.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [("spec", json.dumps(spec)), ("created_at", repr(time.time()))],
                )
        except sqlite3.Error as exc:
            lock.release()
            raise StudyFileError(f"{path}: cannot create the study file: {exc}") from None
        except BaseException:
            lock.release()
            raise
        return cls(path, conn, lock)

    @classmethod
    def open(cls, path: str | Path, *, readonly: bool = False) -> StudyFile:
        """Open an existing study file, checking that it is one before touching it.

        Opened for writing, trials left running by a process that died become interrupted.
        """
        path = Path(path)
        _check_header(path)
        probe = _connect(path, readonly=True)
        try:
            _check_identity(path, probe)
        finally:
            probe.close()
        if readonly:
            return cls(path, _connect(path, readonly=True), None)
        lock = _FileLock.acquire(path)
        try:
            conn = _connect(path, readonly=False)
            with conn:
                conn.execute(
                    "UPDATE trials SET state = ?, error = COALESCE(error, ?) WHERE state = ?",
                    (TrialState.INTERRUPTED.value, "the app stopped while it ran",
                     TrialState.RUNNING.value),
                )
        except sqlite3.Error as exc:
            lock.release()
            raise StudyFileError(f"{path}: cannot open for writing: {_reason(exc)}") from None
        return cls(path, conn, lock)

    def close(self) -> None:
        with self._mutex:
            self._conn.close()
            if self._lock is not None:
                self._lock.release()
                self._lock = None

    # --- reading ---------------------------------------------------------------------

    def spec(self) -> dict[str, Any]:
        row = self._query("SELECT value FROM meta WHERE key = 'spec'")
        if not row:
            raise StudyFileError(f"{self.path}: the study file holds no spec")
        # A hand-edited or damaged spec must read as a bad study file, not as a crash
        # of whoever opened it (the window only expects StudyFileError and SpecError).
        try:
            spec = json.loads(row[0][0])
        except (ValueError, TypeError) as exc:
            raise StudyFileError(f"{self.path}: the stored spec is damaged: {exc}") from None
        if not isinstance(spec, dict):
            raise StudyFileError(f"{self.path}: the stored spec is damaged: expected a table "
                                 f"of settings, got {type(spec).__name__}")
        return spec

    def trials(self) -> list[Trial]:
        rows = self._query(
            "SELECT number, state, params, value, started_at, finished_at, worker, error, "
            "metrics FROM trials ORDER BY number"
        )
        problems = [p for row in rows for p in _row_problems(row)]
        if problems:
            raise StudyFileError(f"{self.path}: a trial row is damaged: {problems[0]}")
        numbers = [row[0] for row in rows]
        if numbers and not self.readonly and numbers != list(range(len(numbers))):
            missing = sorted(set(range(max(numbers) + 1)) - set(numbers))[:5]
            raise StudyFileError(
                f"{self.path}: trial {', '.join(map(str, missing))} missing from the file; "
                "a study continued from it would reuse that number. Export its trials "
                "(knobs export) or open it read-only"
            )
        notes = self.notes()
        steps: dict[int, list[tuple[int, float]]] = {}
        for trial, step, value in self._query(
            "SELECT trial, step, value FROM intermediate ORDER BY trial, step"
        ):
            steps.setdefault(trial, []).append((step, value))
        try:
            return [
                Trial(
                    number=n, params=json.loads(params), state=TrialState(state), value=value,
                    started_at=started, finished_at=finished, worker=worker, error=error,
                    metrics=json.loads(metrics), intermediate=tuple(steps.get(n, ())),
                    note=notes.get(n, ""),
                )
                for n, state, params, value, started, finished, worker, error, metrics in rows
            ]
        except (ValueError, TypeError) as exc:
            raise StudyFileError(f"{self.path}: a trial row is damaged: {exc}") from None

    def notes(self) -> dict[int, str]:
        """The note on each trial that has one (a version-1 file has none)."""
        if not self._query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'notes'"):
            return {}
        rows = self._query("SELECT trial, text FROM notes")
        for trial, text in rows:
            if not isinstance(trial, int) or not isinstance(text, str):
                raise StudyFileError(f"{self.path}: a note is damaged: trial {_short(trial)}, "
                                     f"text {_short(text)}: expected a number and text")
        return dict(rows)

    def data_version(self) -> int:
        """A number that changes whenever another connection commits to the file."""
        return self._query("PRAGMA data_version")[0][0]

    def study_note(self) -> str:
        row = self._query("SELECT value FROM meta WHERE key = 'notes'")
        return row[0][0] if row and isinstance(row[0][0], str) else ""

    # --- writing ---------------------------------------------------------------------

    def write_note(self, number: int, text: str) -> None:
        """Store the note on trial ``number`` (empty text removes it)."""
        text = check_note(text, f"the note on trial {number}")
        with self._mutex:
            if self._lock is not None:
                try:
                    _add_notes_table(self._conn)
                except sqlite3.Error as exc:
                    raise StudyFileError(f"{self.path}: cannot save: {_reason(exc)}") from None
        if text:
            self._write("INSERT OR REPLACE INTO notes (trial, text) VALUES (?, ?)",
                        [(number, text)])
        else:
            self._write("DELETE FROM notes WHERE trial = ?", [(number,)])

    def write_study_note(self, text: str) -> None:
        """Store the note on the whole study (empty text removes it)."""
        text = check_note(text, "the study's note")
        if text:
            self._write("INSERT OR REPLACE INTO meta (key, value) VALUES ('notes', ?)", [(text,)])
        else:
            self._write("DELETE FROM meta WHERE key = 'notes'", [()])

    def write_trial(self, trial: Trial) -> None:
        self._write(
            "INSERT OR REPLACE INTO trials (number, state, params, value, started_at, "
            "finished_at, worker, error, metrics) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(trial.number, trial.state.value, json.dumps(trial.params), trial.value,
              trial.started_at, trial.finished_at, trial.worker, trial.error,
              json.dumps(trial.metrics))],
        )

    def write_spec(self, spec: dict[str, Any]) -> None:
        """Replace the stored spec (run settings changed before continuing the study)."""
        self._write("INSERT OR REPLACE INTO meta (key, value) VALUES ('spec', ?)",
                    [(json.dumps(spec),)])

    def copy_to(self, target: str | Path) -> None:
        """Write a consistent copy of the whole study to ``target`` (Save As)."""
        target = Path(target)
        with self._mutex:
            try:
                dest = sqlite3.connect(target)
                try:
                    self._conn.backup(dest)
                finally:
                    dest.close()
            except sqlite3.Error as exc:
                raise StudyFileError(f"{target}: cannot write: {_reason(exc)}") from None

    def checkpoint(self) -> None:
        """Move what the WAL holds into the study file itself, so that the file alone (a
        copy, a backup, a synced folder) is a complete study up to now."""
        if self._lock is None:
            return
        with self._mutex:
            try:
                self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error as exc:
                raise StudyFileError(f"{self.path}: cannot save: {_reason(exc)}") from None

    def write_intermediate(self, number: int, step: int, value: float) -> None:
        self._write(
            "INSERT OR REPLACE INTO intermediate (trial, step, value) VALUES (?, ?, ?)",
            [(number, step, value)],
        )

    def _write(self, sql: str, rows: Iterable[tuple]) -> None:
        if self._lock is None:
            raise StudyFileError(f"{self.path}: opened read-only")
        with self._mutex:
            # SQLite goes on writing to a deleted or replaced file's old inode, so a run
            # would report success with every result gone: check the name still means it.
            if _file_identity(self.path) != self._identity:
                raise StudyFileError(
                    f"{self.path}: the study file was deleted or replaced while the study "
                    "ran; results from now on cannot be saved there"
                )
            try:
                with self._conn:
                    self._conn.executemany(sql, rows)
            except sqlite3.Error as exc:
                raise StudyFileError(f"{self.path}: cannot save: {_reason(exc)}") from None

    def _query(self, sql: str) -> list[tuple]:
        with self._mutex:
            try:
                return self._conn.execute(sql).fetchall()
            except sqlite3.Error as exc:
                raise StudyFileError(f"{self.path}: cannot read: {_reason(exc)}") from None


def _add_notes_table(conn: sqlite3.Connection) -> None:
    """Schema step to NOTES_VERSION: the notes table. Run on the first note written, so a
    version-1 file that only gets opened (or run) stays byte for byte a version-1 file."""
    with conn:
        conn.execute(_NOTES_TABLE)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version < NOTES_VERSION:
            conn.execute(f"PRAGMA user_version = {NOTES_VERSION}")


def check_note(text: Any, where: str) -> str:
    """A note as stored: text of at most MAX_NOTE_CHARS, without surrounding blanks."""
    if not isinstance(text, str):
        raise ValueError(f"{where}: expected text, got {type(text).__name__}")
    text = text.strip()
    if len(text) > MAX_NOTE_CHARS:
        raise ValueError(f"{where}: {len(text):,} characters; at most {MAX_NOTE_CHARS:,} "
                         "are kept")
    return text


# ---------------------------------------------------------------------------- checks


def _connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    try:
        if readonly:
            # mode=rw with every write refused, not mode=ro: any reader of a WAL database
            # makes the -wal and -shm files, and only a connection that may write removes
            # them when it is the last to close. A mode=ro reader left them next to a file
            # that was only looked at (knobs show, a bad file refused). SQLite itself opens
            # a file the OS write-protects read-only under mode=rw.
            conn = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=rw", uri=True, check_same_thread=False
            )
            conn.execute("PRAGMA query_only = ON")
        else:
            conn = sqlite3.connect(path, check_same_thread=False)
            conn.execute("PRAGMA journal_mode = WAL")
            # NORMAL in WAL mode survives an app crash; only power loss can drop the
            # last commits, and it never corrupts the file.
            conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA busy_timeout = 5000")
        return conn
    except sqlite3.Error as exc:
        raise StudyFileError(f"{path}: cannot open: {_reason(exc)}") from None


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


# A trial's times are seconds since 1970; beyond the year 9999 no clock or date type goes.
_LATEST_TIME = 253402300799.0


def _row_problems(row: tuple) -> list[str]:
    """What in one trials row is not what Knobs writes there (a hand edit, another tool)."""
    n, state, params, value, started, finished, worker, error, metrics = row
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
    for name, text in (("params", params), ("metrics", metrics)):
        try:
            decoded = json.loads(text) if isinstance(text, str) else None
        except ValueError:
            decoded = None
        if not isinstance(decoded, dict):
            out.append(f"{where}: {name} = {_short(text)}: expected a JSON object")
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


class _FileLock:
    """An advisory lock on ``<study>.lock``, released by the OS if the process dies."""

    def __init__(self, path: Path, fd: int):
        self.path, self._fd = path, fd

    @classmethod
    def acquire(cls, study: Path) -> _FileLock:
        path = Path(str(study) + ".lock")
        while True:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise StudyFileError(f"{study}: cannot write next to the file: {exc.strerror}"
                                     ) from None
            try:
                _lock_fd(fd)
            except OSError:
                owner = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
                os.close(fd)
                raise StudyFileError(
                    f"{study}: in use by another Knobs process (pid {owner}); "
                    "open it read-only to look at it, or stop the other run first"
                ) from None
            # The holder unlinks the file before unlocking it. Opened just before that unlink
            # and locked just after, our lock is on a file nobody else sees, while a third
            # process locks the new one: two writers. Only a lock on the named file counts.
            if _names(fd, path):
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        return cls(path, fd)

    @staticmethod
    def held_by_other(study: Path) -> bool:
        """True when another live process holds the lock (it is running the study now)."""
        path = Path(str(study) + ".lock")
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return False
        try:
            _lock_fd(fd)
        except OSError:
            return True
        finally:
            os.close(fd)  # closing drops the probe's lock too
        return False

    def release(self) -> None:
        if self._fd < 0:
            return
        # Unlink before unlocking so that a waiting process never locks a dead file.
        self.path.unlink(missing_ok=True)
        os.close(self._fd)
        self._fd = -1


def _names(fd: int, path: Path) -> bool:
    """True when ``path`` still names the file open as ``fd``."""
    try:
        named = os.stat(path)
    except OSError:
        return False
    held = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


def _lock_fd(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        return
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
