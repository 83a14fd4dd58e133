"""Where a trial's code runs: one reusable worker process per slot.

Each slot owns one child process and reuses it between trials, because starting Python
and importing scikit-learn costs far more than a fast trial. Anything that goes wrong in
the child — an exception, a segfault, ``os._exit``, a memory blow-up, a hang past the
timeout — fails that trial alone: the slot records why, replaces the process, and the
study goes on.

:func:`engine.placement.make_executor` picks where a run's trials go: these local
processes, or a Dask cluster (:mod:`engine.dask_executor`), whose tasks run each trial in
such a process too.

Children are started with ``forkserver`` (``spawn`` where it is missing): forking a
process that runs Qt threads can deadlock the child on a lock held by another thread.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from multiprocessing.connection import Connection, wait
from typing import Any

from engine.objectives.base import WORKER_ENV, Objective, TrialFailure, TrialPruned
from engine.pids import alive
from engine.slots import ExecutorError, Outcome, Slot
from engine.trial import TrialState

__all__ = ["ExecutorError", "LocalProcessExecutor", "Outcome", "ProcessSlot", "Slot"]

_POLL_S = 0.05
_OWNER_CHECK_S = 0.5
_TRACEBACK_LINES = 12
_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
PRUNE_GRACE_S = 5.0  # time a trial told to stop gets to return before it is ended
TERM_GRACE_S = 3.0  # then: SIGTERM to its process group, and SIGKILL after this long


# CPython's Process.poll is not thread-safe (python/cpython#130895): with forkserver, the
# thread that loses a race to read a dead child's exit code records 255 over the real one,
# and every Process.start() polls all the children of this process. The slots' threads
# therefore start and poll their processes under this lock, and wait for a child's end on
# its sentinel outside it.
_PROCESSES = threading.Lock()


def _alive(proc: multiprocessing.process.BaseProcess) -> bool:
    with _PROCESSES:
        return proc.is_alive()


def _exit_code(proc: multiprocessing.process.BaseProcess, timeout: float | None
               ) -> int | None:
    """``proc``'s exit code once it ended, waiting up to ``timeout``; None while it runs."""
    wait([proc.sentinel], timeout)
    with _PROCESSES:
        return proc.exitcode


def _context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


class LocalProcessExecutor:
    """Runs trials in local worker processes, one per slot.

    ``threads_per_worker`` caps BLAS/OpenMP threads in each child so that W workers do
    not oversubscribe the cores; ``memory_limit_mb`` caps each child's address space so
    that a runaway trial fails with MemoryError instead of taking the machine down.
    """

    def __init__(
        self, *, threads_per_worker: int | None = None, memory_limit_mb: int | None = None
    ):
        self.threads_per_worker = threads_per_worker
        self.memory_limit_mb = memory_limit_mb
        self._ctx = _context()

    def slot(self, index: int) -> ProcessSlot:
        return ProcessSlot(self, index)

    def close(self) -> None:
        """Nothing to release: each slot ends its own process (same interface as Dask's)."""


class ProcessSlot:
    """One worker process, driven by one thread of the run loop."""

    def __init__(self, executor: LocalProcessExecutor, index: int):
        self.index = index
        self._executor = executor
        self._proc: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._prune_by: float | None = None  # set when the trial in flight was told to stop

    def run(
        self,
        objective: Objective,
        params: Mapping[str, Any],
        *,
        timeout_s: float | None = None,
        report: Callable[[int, float], str | None] | None = None,
        cancel: threading.Event | None = None,
    ) -> Outcome:
        """Run one trial to its end; blocks the calling thread, never the child's failure.

        ``report(step, value)`` is called for each intermediate value; when it returns a
        reason, the trial is told to stop and ends PRUNED: the objective's own answer if
        it stops within ``PRUNE_GRACE_S``, otherwise its process group gets SIGTERM, then
        SIGKILL ``TERM_GRACE_S`` later.
        """
        try:
            self._ensure_started()
            self._conn.send(("run", objective, dict(params)))
        except (OSError, EOFError, ValueError) as exc:
            self._kill()
            return Outcome(TrialState.FAILED, error=f"could not start the trial: {exc}")
        deadline = None if not timeout_s else time.monotonic() + timeout_s
        self._prune_by = None
        while True:
            if self._prune_by is not None and time.monotonic() >= self._prune_by:
                self._kill(graceful=True)
                return Outcome(TrialState.PRUNED)
            if cancel is not None and cancel.is_set():
                self._kill()
                return Outcome(TrialState.INTERRUPTED, error="stopped before it finished")
            if deadline is not None and time.monotonic() >= deadline:
                self._kill()
                return Outcome(TrialState.FAILED, error=f"timed out after {timeout_s:g} s")
            ready = wait([self._conn, self._proc.sentinel], _POLL_S)
            if self._conn in ready:
                try:
                    message = self._conn.recv()
                except (EOFError, OSError):
                    return self._died()
                outcome = self._handle(message, report)
                if outcome is not None:
                    return outcome
            elif ready:
                return self._died()

    def close(self) -> None:
        """End the worker process; safe to call more than once."""
        if self._proc is not None and _alive(self._proc):
            try:
                self._conn.send(("quit",))
                _exit_code(self._proc, 1.0)
            except (OSError, EOFError, ValueError):
                pass  # already gone; _kill below makes sure
        self._kill()

    # --- internals -------------------------------------------------------------------

    def _ensure_started(self) -> None:
        if self._proc is not None and _alive(self._proc):
            return
        self._kill()
        ex = self._executor
        parent, child = ex._ctx.Pipe()
        self._proc = ex._ctx.Process(
            target=_worker_main,
            args=(child, ex.threads_per_worker, ex.memory_limit_mb, os.getpid(), self.index),
            name=f"knobs-worker-{self.index}",
            daemon=True,
        )
        with _PROCESSES:
            self._proc.start()
        child.close()
        self._conn = parent

    def _handle(
        self, message: tuple, report: Callable[[int, float], str | None] | None
    ) -> Outcome | None:
        tag = message[0]
        if tag == "report":
            reason = report(message[1], message[2]) if report is not None else None
            if reason is not None and self._prune_by is None:
                self._prune_by = time.monotonic() + PRUNE_GRACE_S
            try:
                self._conn.send(("stop",) if reason is not None else ("go",))
            except (OSError, ValueError):
                pass  # the child is gone; its sentinel says so next
            return None
        if tag == "pruned" or self._prune_by is not None:
            return Outcome(TrialState.PRUNED)  # told to stop: how it ended changes nothing
        if tag == "done":
            return Outcome(TrialState.COMPLETE, value=message[1], metrics=message[2])
        if tag == "failed":
            return Outcome(TrialState.FAILED, error=message[1])
        raise AssertionError(f"unknown message from worker: {tag!r}")

    def _died(self) -> Outcome:
        code = _exit_code(self._proc, 1.0)
        self._kill()
        return Outcome(TrialState.FAILED, error=describe_exit(code))

    def _kill(self, graceful: bool = False) -> None:
        proc, self._proc = self._proc, None
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if proc is None:
            return
        if graceful and _alive(proc) and hasattr(os, "killpg"):
            # A trial that was told to stop and kept going may still save a checkpoint.
            _kill_group(proc.pid, signal.SIGTERM)
            _exit_code(proc, TERM_GRACE_S)
        if _alive(proc):
            _kill_group(proc.pid)
            # A child killed before it made its own process group is not reached by
            # killpg, so end it directly as well.
            proc.kill()
            _exit_code(proc, None)
        with _PROCESSES:
            proc.close()


def describe_exit(code: int | None) -> str:
    """A plain sentence for how a worker process ended."""
    if code is None:
        return "the worker process stopped responding"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (possibly out of memory)" if name == "SIGKILL" else ""
        return f"the worker process was killed by {name}{hint}"
    return f"the worker process exited with code {code} before returning a value"


def _kill_group(pid: int, sig: int = signal.SIGKILL) -> None:
    # The child leads its own process group, so this also ends what the trial spawned.
    try:
        if hasattr(os, "killpg"):
            os.killpg(pid, sig)
        else:  # pragma: no cover - Windows
            os.kill(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        pass  # already gone


# --- the child side -----------------------------------------------------------------


def _worker_main(
    conn: Connection, threads: int | None, memory_limit_mb: int | None, owner: int,
    slot: int = 0,
) -> None:
    if hasattr(os, "setpgid"):
        os.setpgid(0, 0)
    # Which worker slot this is: a command's {worker} and its device come from it.
    os.environ[WORKER_ENV] = str(slot)
    # Ctrl-C in a terminal is the app's to handle; it stops workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _watch_owner(owner)
    _limit_resources(threads, memory_limit_mb)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] == "quit":
            return
        _, objective, params = message
        result = _evaluate(objective, params, conn)
        _end_strays()
        try:
            conn.send(result)
        except (BrokenPipeError, ConnectionResetError):
            return  # the app is gone (killed): nobody to tell, nothing to print


def _watch_owner(owner: int) -> None:
    # An owner killed outright (the app, or a Dask worker, by SIGKILL) cannot end this
    # process, which would run a hung trial forever: end it and what it started ourselves.
    if os.name != "posix":  # pragma: no cover - os.kill(pid, 0) terminates pid on Windows
        return

    def watch() -> None:
        while alive(owner):
            time.sleep(_OWNER_CHECK_S)
        _kill_group(os.getpid())

    threading.Thread(target=watch, name="knobs-owner-watch", daemon=True).start()


def _evaluate(objective: Objective, params: dict[str, Any], conn: Connection) -> tuple:
    stopped = False

    def report(step: int, value: float) -> bool:
        # Each report waits for the parent's answer, so a trial stops at the very step
        # the pruner judged: "stopped at" is the same however busy the machine is.
        nonlocal stopped
        if not stopped:
            try:
                conn.send(("report", int(step), float(value)))
                stopped = conn.recv()[0] == "stop"
            except (BrokenPipeError, ConnectionResetError, EOFError):
                stopped = True  # the app is gone (killed): the trial stops at this step
        return stopped

    try:
        evaluation = objective.evaluate(params, report)
    except TrialPruned:
        return ("pruned",)
    except TrialFailure as exc:
        if stopped:
            return ("pruned",)
        return ("failed", str(exc))
    except MemoryError:
        return ("failed", "MemoryError: the trial ran out of memory")
    except BaseException as exc:  # noqa: BLE001 - a user's code may raise anything
        if stopped:
            return ("pruned",)
        return ("failed", _describe_exception(exc))
    if stopped:
        return ("pruned",)
    return ("done", evaluation.value, evaluation.metrics)


def _end_strays() -> None:
    """End processes a trial started and left running (they share our process group).

    Python objectives' children (a multiprocessing pool, a subprocess) would otherwise
    outlive their trial and pile up over a study. Linux only: other systems lack /proc.
    """
    if not hasattr(os, "getpgid") or not os.path.isdir("/proc"):
        return
    me, group = os.getpid(), os.getpgid(0)
    if group != me:
        return  # not our own group (setpgid failed): nothing here is surely ours
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            if os.getpgid(int(entry)) == group:
                os.kill(int(entry), signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _describe_exception(exc: BaseException) -> str:
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    tail = "".join(lines).rstrip().splitlines()[-_TRACEBACK_LINES:]
    head = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return head + "\n" + "\n".join(tail)


def _limit_resources(threads: int | None, memory_limit_mb: int | None) -> None:
    if threads:
        for name in _THREAD_ENV:
            os.environ[name] = str(threads)  # inherited by programs the trial starts
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=threads)
    if memory_limit_mb and sys.platform != "win32":
        import resource

        limit = int(memory_limit_mb) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
