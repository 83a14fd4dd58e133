"""One writer per study file: a lease inside the file, and a lock file as the fast check.

The guarantee rests on the lease, a row of the study's ``meta`` table (key ``writer``): who
writes (pid, host), for which file (device and inode, so a copy of a running study is not
locked), a random token, and a heartbeat. It is taken inside ``BEGIN IMMEDIATE`` (SQLite's
own write lock, so two openers cannot both see it free), checked inside every write's
transaction (which also refreshes the heartbeat, at most every ``HEARTBEAT_S``), and
deleted on close. On this host a lease is held while its process lives (a frozen one
included); a lease written from another host, while its heartbeat is younger than
``STALE_S`` (WAL mode needs every process on one host anyway, so this is a fallback for a
file moved between machines). Readers never touch the lease.

``<study>.lock`` (an advisory ``flock``, freed by the OS when a process dies) stays as the
first check, which also covers creating a new file; deleting it no longer lets a second
writer in.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import sqlite3
import time
from pathlib import Path

from engine.pids import alive

LEASE_KEY = "writer"
HEARTBEAT_S = 5.0
STALE_S = 120.0
# Tokens of the leases this process holds: one of ours whose file was closed (its release
# could not be written, say) is stale at once, not after STALE_S.
_held: set[str] = set()


class LeaseError(Exception):
    """The study is being written by another process, or was taken over by one."""


class Lease:
    """This process's right to write one study file."""

    def __init__(self, token: str):
        self.token = token

    @classmethod
    def take(cls, conn: sqlite3.Connection, path: Path) -> Lease:
        """Take the lease inside an open ``BEGIN IMMEDIATE`` transaction of ``conn``;
        raises :class:`LeaseError` naming the live holder."""
        held = holder(conn, path)
        if held is not None:
            raise LeaseError(held)
        token = secrets.token_hex(16)
        st = os.stat(path)
        row = {"pid": os.getpid(), "host": socket.gethostname(), "token": token,
               "file": [st.st_dev, st.st_ino], "beat": time.time()}
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                     (LEASE_KEY, json.dumps(row)))
        _held.add(token)
        return cls(token)

    def check(self, conn: sqlite3.Connection) -> None:
        """Inside a write's transaction: raises :class:`LeaseError` if the lease is not ours,
        and refreshes its heartbeat when it is older than ``HEARTBEAT_S``."""
        row = _row(conn)
        if row is None or row.get("token") != self.token:
            who = _describe(row) if row else "nobody (the lease was removed)"
            raise LeaseError(f"another process took over writing it: {who}")
        now = time.time()
        if not 0 <= now - float(row.get("beat", 0)) < HEARTBEAT_S:
            row["beat"] = now
            conn.execute("UPDATE meta SET value = ? WHERE key = ?", (json.dumps(row), LEASE_KEY))

    def release(self, conn: sqlite3.Connection) -> None:
        """Delete the lease from the file; it counts as released here even if that fails."""
        _held.discard(self.token)
        with _immediate(conn):
            row = _row(conn)
            if row is not None and row.get("token") == self.token:
                conn.execute("DELETE FROM meta WHERE key = ?", (LEASE_KEY,))


@contextlib.contextmanager
def _immediate(conn: sqlite3.Connection):
    """A transaction that holds SQLite's write lock from its first statement."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.rollback()
        raise
    conn.commit()


def holder(conn: sqlite3.Connection, path: Path) -> str | None:
    """Who holds the lease on the file at ``path`` now, or None when nobody does."""
    row = _row(conn)
    if row is None or not _live(row, path):
        return None
    return _describe(row)


def _row(conn: sqlite3.Connection) -> dict | None:
    found = conn.execute("SELECT value FROM meta WHERE key = ?", (LEASE_KEY,)).fetchone()
    if found is None:
        return None
    try:
        row = json.loads(found[0])
    except (TypeError, ValueError):
        return None  # a damaged lease locks nothing
    return row if isinstance(row, dict) else None


def _live(row: dict, path: Path) -> bool:
    try:
        st = os.stat(path)
        if row.get("file") != [st.st_dev, st.st_ino]:
            return False  # a lease copied along with the file: it locked the original
        age = time.time() - float(row.get("beat", 0))
        pid = int(row.get("pid", 0))
    except (OSError, TypeError, ValueError):
        return False
    if row.get("host") != socket.gethostname():
        return 0 <= age < STALE_S  # no process to look at: its heartbeat is all there is
    if pid == os.getpid():
        return row.get("token") in _held
    return pid > 0 and alive(pid)


def _describe(row: dict) -> str:
    age = time.time() - float(row.get("beat", 0) or 0)
    return (f"pid {row.get('pid', '?')} on {row.get('host', '?')}, "
            f"last heard from {max(0.0, age):.0f} s ago")


class _FileLock:
    """An advisory lock on ``<study>.lock``, released by the OS if the process dies.

    ``acquire`` raises :class:`LeaseError` with the whole sentence for the user."""

    def __init__(self, path: Path, fd: int):
        self.path, self._fd = path, fd

    @classmethod
    def acquire(cls, study: Path) -> _FileLock:
        path = Path(str(study) + ".lock")
        while True:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise LeaseError(f"{study}: cannot write next to the file: {exc.strerror}"
                                     ) from None
            try:
                _lock_fd(fd)
            except OSError:
                owner = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
                os.close(fd)
                raise LeaseError(
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
