"""Run a program in its own process group, stream its output, and end the whole group.

POSIX only (Linux, macOS): it relies on sessions, process groups and ``waitid``.

The program is started with ``start_new_session=True``, so it and every child it forks share
a process group that we can signal at once. The group is ended

- on timeout, or when ``on_stdout_line`` returns True (a pruner stopped the trial): SIGTERM
  to the group, then SIGKILL after a short grace period;
- when the program exits: SIGKILL to whatever it left behind (a background child would
  otherwise keep our pipes open and outlive the trial);
- when the caller raises (a stop request, an error in a callback): SIGKILL at once;
- when the process running this code dies, even by SIGKILL or the OOM killer: see ``_Guard``.

The group is always signalled while its leader is still unreaped (a zombie at worst): the
kernel does not hand out a pid that is still in use as a process-group id, so the signal can
never reach an unrelated process that happened to get a reused id.
"""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

TERM_GRACE_S = 3.0  # time a program gets after SIGTERM to save its work before SIGKILL
_DRAIN_S = 2.0  # after the program exits: how long to keep reading what it left in the pipes
_POLL_S = 0.05  # how often to look for exit and timeout while no output arrives
_MAX_LINE = 64 * 1024  # a longer line (e.g. a progress bar without newlines) is cut
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")  # \r too: progress bars redraw with it

# The guard: it blocks reading its stdin. The first line is the program's process-group id.
# "done" means the trial ended normally; end of input without it means the process that
# started the program died, so the group is killed.
_GUARD_CODE = """\
import os, signal, sys
pgid = sys.stdin.readline().strip()
if pgid and not sys.stdin.read():
    try:
        os.killpg(int(pgid), signal.SIGKILL)
    except OSError:
        pass
"""


@dataclass
class RunResult:
    """How the program ended, with the last lines it wrote."""

    returncode: int  # negative: killed by that signal (as in subprocess)
    timed_out: bool
    stderr_tail: list[str] = field(default_factory=list)
    stdout_tail: list[str] = field(default_factory=list)
    stopped: bool = False  # on_stdout_line asked for the program to end


def run_streaming(
    argv: Sequence[str],
    *,
    cwd: str | None,
    env: Mapping[str, str],
    timeout_s: float | None,
    on_stdout_line: Callable[[str], bool | None],
    tail_lines: int = 20,
) -> RunResult:
    """Run ``argv`` (never through a shell), calling ``on_stdout_line`` for each line.

    ``on_stdout_line`` runs on the calling thread while the program runs; if it raises, the
    program and its children are killed and the exception propagates. Raises ``OSError``
    when the program cannot be started.
    """
    guard = _Guard()
    try:
        proc = subprocess.Popen(
            list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        )
    except BaseException:
        guard.release()
        raise
    guard.watch(proc.pid)
    try:
        return _pump(proc, timeout_s, on_stdout_line, tail_lines)
    finally:
        if proc.returncode is None:  # not reaped yet, so the group id is still ours
            _signal_group(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
        guard.release()


def _pump(
    proc: subprocess.Popen,
    timeout_s: float | None,
    on_stdout_line: Callable[[str], bool | None],
    tail_lines: int,
) -> RunResult:
    stderr_tail: deque[str] = deque(maxlen=tail_lines)
    stdout_tail: deque[str] = deque(maxlen=5)
    stop = False

    def on_stdout(line: str) -> None:
        nonlocal stop
        if line.strip():
            stdout_tail.append(line)
        if on_stdout_line(line) and not stop:
            stop = True
    def on_stderr(line: str) -> None:
        if line.strip():
            stderr_tail.append(line)

    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ, (_LineSplitter(), on_stdout))
    sel.register(proc.stderr, selectors.EVENT_READ, (_LineSplitter(), on_stderr))
    start = time.monotonic()
    deadline = start + timeout_s if timeout_s else None
    kill_at: float | None = None  # set once SIGTERM was sent on timeout
    drain_until: float | None = None  # set once the program has exited
    try:
        while True:
            now = time.monotonic()
            if drain_until is None and _has_exited(proc.pid):
                _signal_group(proc.pid, signal.SIGKILL)  # children it left behind
                drain_until = now + _DRAIN_S
            if drain_until is not None and (not sel.get_map() or now >= drain_until):
                break  # the pipes are closed, or a process outside the group holds them
            if drain_until is None and (stop or deadline is not None and now >= deadline):
                if kill_at is None:
                    _signal_group(proc.pid, signal.SIGTERM)
                    kill_at = now + TERM_GRACE_S
                elif now >= kill_at:
                    _signal_group(proc.pid, signal.SIGKILL)
            _read_ready(sel, _POLL_S)
        for key in list(sel.get_map().values()):
            splitter, handle = key.data
            for line in splitter.flush():
                handle(line)
    finally:
        sel.close()
    proc.wait()
    timed_out = kill_at is not None and not stop
    return RunResult(proc.returncode, timed_out, list(stderr_tail), list(stdout_tail), stop)


def _read_ready(sel: selectors.BaseSelector, wait_s: float) -> None:
    if not sel.get_map():
        time.sleep(wait_s)
        return
    for key, _ in sel.select(wait_s):
        splitter, handle = key.data
        data = os.read(key.fd, 65536)
        if not data:
            for line in splitter.flush():
                handle(line)
            sel.unregister(key.fileobj)
            continue
        for line in splitter.feed(data):
            handle(line)


def _has_exited(pid: int) -> bool:
    # WNOWAIT leaves the exited leader as a zombie, keeping its pid (= group id) reserved
    # until we have signalled the group; proc.wait() reaps it afterwards.
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass  # the whole group is gone already


class _LineSplitter:
    """Bytes in, decoded lines out; keeps an unfinished last line for the next chunk."""

    def __init__(self) -> None:
        self._rest = b""

    def feed(self, data: bytes) -> list[str]:
        parts = _LINE_BREAK.split(self._rest + data)
        self._rest = parts.pop()
        if len(self._rest) > _MAX_LINE:
            parts.append(self._rest)
            self._rest = b""
        return [p[:_MAX_LINE].decode("utf-8", errors="replace") for p in parts]

    def flush(self) -> list[str]:
        rest, self._rest = self._rest, b""
        return [rest[:_MAX_LINE].decode("utf-8", errors="replace")] if rest else []


class _Guard:
    """A tiny separate process that kills the program's group if this process dies first.

    Why not the alternatives: a SIGTERM handler does not run on SIGKILL or the OOM killer and
    can only be installed from the main thread; ``prctl(PR_SET_PDEATHSIG)`` is Linux-only,
    fires when the *thread* that started the child exits rather than the process, covers only
    the direct child (not its children), and needs ``preexec_fn``, which is unsafe in a
    threaded worker. The guard instead relies on the kernel closing our end of its stdin pipe
    however this process ends; it lives in its own session, so killing the worker's process
    group does not take it along.
    """

    def __init__(self) -> None:
        self._proc: subprocess.Popen | None = None
        self._watching = False
        if not sys.executable:
            return  # embedded interpreter: run unguarded; timeouts and stops still work
        try:
            # -I -S: isolated, no site packages; starts in ~10 ms and imports nothing of ours.
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _GUARD_CODE], stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            )
        except OSError:
            self._proc = None

    def watch(self, pgid: int) -> None:
        self._watching = True
        self._send(f"{pgid}\n".encode())

    def release(self) -> None:
        """The group has been dealt with: let the guard exit without killing anything."""
        if self._proc is None:
            return
        if self._watching:
            self._send(b"done\n")
        try:
            self._proc.stdin.close()
        except OSError:
            pass
        self._proc.wait()
        self._proc = None

    def _send(self, data: bytes) -> None:
        if self._proc is None:
            return
        try:
            self._proc.stdin.write(data)
            self._proc.stdin.flush()
        except OSError:
            pass  # the guard is gone; the trial still runs, only unguarded
