"""The study file: one SQLite database holding the spec and every trial.

A trial is written when it starts and again when it ends, each in its own transaction, so
killing the app at any moment loses no finished trial. The file holds JSON and numbers
only: nothing in it is executed or unpickled when it is opened.

One process at a time may write a study: it holds a lease inside the file, checked in
every write's transaction, and an advisory lock on ``<file>.lock`` (:mod:`engine.study_lock`).
Others can still open the file read-only (WAL mode lets them read while it is written), even
from a folder they may not write.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from engine.study_checks import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    StudyFileError,
    _check_header,
    _check_identity,
    _json_object,
    _reason,
    _row_problems,
    _short,
)
from engine.study_lock import Lease, LeaseError, _FileLock, holder
from engine.trial import Trial, TrialState

log = logging.getLogger(__name__)
MAX_NOTE_CHARS = 10_000

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
    metrics TEXT NOT NULL DEFAULT '{}',
    objective_values TEXT,
    violation REAL
);
CREATE TABLE intermediate (
    trial INTEGER NOT NULL,
    step INTEGER NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (trial, step)
);
CREATE TABLE notes (trial INTEGER PRIMARY KEY, text TEXT NOT NULL);
"""
_NOTES_TABLE = "CREATE TABLE IF NOT EXISTS notes (trial INTEGER PRIMARY KEY, text TEXT NOT NULL)"

class StudyFile:
    """Read and write one study file. Thread-safe: every call holds the file's lock."""

    def __init__(self, path: Path, conn: sqlite3.Connection, lock: _FileLock | None,
                 lease: Lease | None = None):
        self.path = path
        self._conn = conn
        self._version = conn.execute("PRAGMA user_version").fetchone()[0]
        self._lock = lock
        self._lease = lease
        self._lost: str | None = None  # why this process may no longer write the file
        self._mutex = threading.Lock()
        self._identity = _file_identity(path)

    @property
    def readonly(self) -> bool:
        return self._lock is None

    def claim(self) -> None:
        """Become this study's one writer (the lease, :mod:`engine.study_lock`); trials left
        running by a process that died become interrupted. Done by the first write if not
        before; a caller that checks the file's content first claims after, so that a study
        it refuses is left byte for byte as it was."""
        if self._lock is None:
            raise StudyFileError(f"{self.path}: opened read-only")
        with self._mutex:
            if self._lease is not None:
                return
            try:
                self._lease = _take_lease(self._conn, self.path, interrupt_running=True)
                _migrate(self._conn)  # as the writer: a file only read is never changed
            except sqlite3.Error as exc:
                raise StudyFileError(f"{self.path}: cannot open for writing: "
                                     f"{_reason(exc)}") from None
            self._version = SCHEMA_VERSION

    def in_use_elsewhere(self) -> bool:
        """True when another process is running this study right now."""
        if not self.readonly:
            return False
        if _FileLock.held_by_other(self.path):
            return True
        with self._mutex:
            try:
                return holder(self._conn, self.path) is not None
            except sqlite3.Error:
                return False  # cannot tell: a reader goes on as if it were alone

    # --- opening ---------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | Path, spec: dict[str, Any], *, overwrite: bool = False
               ) -> StudyFile:
        """Make a new study file holding ``spec``; refuses to replace one unless told to."""
        path = Path(path)
        if path.exists() and not overwrite:
            raise StudyFileError(f"{path}: a file with this name exists already")
        lock = _lock_file(path)
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
            lease = _take_lease(conn, path)
        except sqlite3.Error as exc:
            lock.release()
            raise StudyFileError(f"{path}: cannot create the study file: {exc}") from None
        except BaseException:
            lock.release()
            raise
        return cls(path, conn, lock, lease)

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
        lock = _lock_file(path)
        try:
            conn = _connect(path, readonly=False)
            try:
                held = holder(conn, path)  # a first look; claim() takes it atomically
            except BaseException:
                conn.close()
                raise
            if held is not None:
                conn.close()
                raise StudyFileError(_in_use(path, held))
        except sqlite3.Error as exc:
            lock.release()
            raise StudyFileError(f"{path}: cannot open for writing: {_reason(exc)}") from None
        except BaseException:
            lock.release()
            raise
        return cls(path, conn, lock)

    def close(self) -> None:
        with self._mutex:
            if self._lease is not None:
                try:
                    self._lease.release(self._conn)
                except (sqlite3.Error, LeaseError):
                    log.debug("releasing the study lease", exc_info=True)  # it goes stale
                self._lease = None
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
        # A version-1 file opened read-only has no goal columns: its trials had none.
        goal_columns = ("objective_values, violation" if self._version >= 2
                        else "NULL, NULL")
        rows = self._query(
            "SELECT number, state, params, value, started_at, finished_at, worker, error, "
            f"metrics, {goal_columns} FROM trials ORDER BY number"
        )
        # Each row's params and metrics are decoded once, for the check and the trial.
        decoded = [(_json_object(row[2]), _json_object(row[8])) for row in rows]
        problems = [p for row, objs in zip(rows, decoded) for p in _row_problems(row, objs)]
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
                    number=n, params=params, state=TrialState(state), value=value,
                    started_at=started, finished_at=finished, worker=worker, error=error,
                    metrics=metrics, intermediate=tuple(steps.get(n, ())),
                    values=tuple(json.loads(values)) if values else (),
                    violation=violation or 0.0,
                    note=notes.get(n, ""),
                )
                for (n, state, _, value, started, finished, worker, error, _, values,
                     violation), (params, metrics) in zip(rows, decoded)
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

    def chosen(self) -> int | None:
        """The number of the trial the user chose from the front, if any (kept in ``meta``:
        files of any version hold it without a schema step)."""
        row = self._query("SELECT value FROM meta WHERE key = 'chosen'")
        if not row:
            return None
        text = row[0][0]
        if not isinstance(text, str) or not text.isdigit():
            raise StudyFileError(f"{self.path}: the chosen trial is damaged: {_short(text)}: "
                                 "expected a trial number")
        return int(text)

    # --- writing ---------------------------------------------------------------------

    def write_note(self, number: int, text: str) -> None:
        """Store the note on trial ``number`` (empty text removes it)."""
        text = check_note(text, f"the note on trial {number}")
        self.claim()  # as the one writer: the schema step (_migrate) adds the notes table
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

    def write_chosen(self, number: int | None) -> None:
        """Store the chosen trial's number (None: no trial is chosen)."""
        if number is None:
            self._write("DELETE FROM meta WHERE key = 'chosen'", [()])
        else:
            self._write("INSERT OR REPLACE INTO meta (key, value) VALUES ('chosen', ?)",
                        [(str(int(number)),)])

    def write_trial(self, trial: Trial) -> None:
        self._write(
            "INSERT OR REPLACE INTO trials (number, state, params, value, started_at, "
            "finished_at, worker, error, metrics, objective_values, violation) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(trial.number, trial.state.value, json.dumps(trial.params), trial.value,
              trial.started_at, trial.finished_at, trial.worker, trial.error,
              json.dumps(trial.metrics), json.dumps(list(trial.values)) if trial.values
              else None, trial.violation or None)],
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
                    with dest:  # the copy is a study nobody writes yet
                        dest.execute("DELETE FROM meta WHERE key = 'writer'")
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
        self.claim()
        with self._mutex:
            # SQLite goes on writing to a deleted or replaced file's old inode, so a run
            # would report success with every result gone: check the name still means it.
            if _file_identity(self.path) != self._identity:
                raise StudyFileError(
                    f"{self.path}: the study file was deleted or replaced while the study "
                    "ran; results from now on cannot be saved there"
                )
            if self._lost is not None:
                raise StudyFileError(f"{self.path}: {self._lost}; results from now on cannot "
                                     "be saved by this run")
            try:
                # The lease is checked inside the write's own transaction (SQLite's write
                # lock): no other writer can come between the check and the write.
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    self._lease.check(self._conn)
                    self._conn.executemany(sql, rows)
                except BaseException:
                    self._conn.rollback()
                    raise
                self._conn.commit()
            except LeaseError as exc:
                self._lost = str(exc)
                raise StudyFileError(f"{self.path}: {exc}; results from now on cannot be "
                                     "saved by this run") from None
            except sqlite3.Error as exc:
                raise StudyFileError(f"{self.path}: cannot save: {_reason(exc)}") from None

    def _query(self, sql: str) -> list[tuple]:
        with self._mutex:
            try:
                return self._conn.execute(sql).fetchall()
            except sqlite3.Error as exc:
                raise StudyFileError(f"{self.path}: cannot read: {_reason(exc)}") from None


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


def _in_use(path: Path, holder: str) -> str:
    return (f"{path}: in use by another Knobs process ({holder}); open it read-only to look "
            "at it, or stop the other run first")


def _lock_file(path: Path) -> _FileLock:
    try:
        return _FileLock.acquire(path)
    except LeaseError as exc:
        raise StudyFileError(str(exc)) from None


def _take_lease(conn: sqlite3.Connection, path: Path, *, interrupt_running: bool = False
                ) -> Lease:
    """Take the writer's lease under SQLite's write lock; refuses a live holder by name.

    With ``interrupt_running``, trials left running by a process that died become
    interrupted in the same transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        lease = Lease.take(conn, path)
        if interrupt_running:
            conn.execute(
                "UPDATE trials SET state = ?, error = COALESCE(error, ?) WHERE state = ?",
                (TrialState.INTERRUPTED.value, "the app stopped while it ran",
                 TrialState.RUNNING.value),
            )
    except LeaseError as exc:
        conn.rollback()
        raise StudyFileError(_in_use(path, str(exc))) from None
    except BaseException:
        conn.rollback()
        raise
    conn.commit()
    return lease


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
            if not os.access(path.parent, os.W_OK):
                conn = _readable_without_writing(path, conn)
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


def _readable_without_writing(path: Path, conn: sqlite3.Connection) -> sqlite3.Connection:
    """A connection that reads a study in a folder this user may not write.

    Reading a WAL database needs its -shm file; SQLite cannot make one there. A study whose
    writer is still running has it already (mode=ro reads through it); a finished study has
    none and no -wal either (the last writer checkpointed and removed them), so the file
    alone is the whole study and opens as immutable."""
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        conn.close()
    uri = path.resolve().as_uri()
    wal = Path(str(path) + "-wal")
    mode = "mode=ro" if wal.exists() and wal.stat().st_size else "immutable=1"
    conn = sqlite3.connect(f"{uri}?{mode}", uri=True, check_same_thread=False)
    conn.execute("PRAGMA query_only = ON")
    return conn


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring an older study file to this schema, in one transaction."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version >= SCHEMA_VERSION:
        return
    # Each step checks what is there, so a step cut short (DDL commits as it goes) is
    # finished on the next open instead of failing on a column that exists.
    columns = {row[1] for row in conn.execute("PRAGMA table_info(trials)")}
    for name, kind in (("objective_values", "TEXT"), ("violation", "REAL")):
        if name not in columns:
            conn.execute(f"ALTER TABLE trials ADD COLUMN {name} {kind}")
    conn.execute(_NOTES_TABLE)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    conn.commit()
