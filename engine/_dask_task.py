"""The part of a Dask trial that runs on a Dask worker.

Dask runs a task on one of the worker's threads and cannot stop it, so the task does not
run the objective itself: it hands it to a local worker process (a ``ProcessSlot``, the
same one Knobs uses on its own computer), which it can kill at the trial's timeout or on
Stop. A crash, a segfault or a hang then fails that trial and frees the Dask thread.

Worker processes are kept between trials of one run (a fast trial should not pay for
starting Python and importing scikit-learn) and closed when the run ends
(:func:`close_slots`, called on every worker through ``Client.run``).

Messages to the app travel as Dask events on the run's topic, as msgpack-able lists:
``["start", key, attempt, worker]`` and ``["report", key, attempt, index, step, value]``.
The app answers each report on a Dask Queue of the attempt (:func:`answers_name`) with
``[index, reason]``, the pruner's reason to stop or ``""``; the trial waits for it, so
that it stops at the very step the pruner judged, as it does on the app's own computer.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
import uuid
from collections.abc import Mapping
from typing import Any

from engine import outcome_wire
from engine.executors import LocalProcessExecutor, ProcessSlot
from engine.objectives.base import Objective

# How often a running trial asks the scheduler whether the app stopped it: Stop's delay.
# Polling (not a long wait on the Event) costs a fast trial nothing and leaves no call
# pending on the scheduler when the trial ends.
_CANCEL_POLL_S = 0.5
# A trial waits this long for the app's answer to a report, then goes on unjudged (an app
# that is gone stops it through the cancel Event anyway).
_ANSWER_WAIT_S = 60.0

_lock = threading.Lock()
_idle: dict[str, list[ProcessSlot]] = {}  # run id -> slots not running a trial
_executors: dict[str, LocalProcessExecutor] = {}
_closed: set[str] = set()
_count = 0


def cancel_event_name(key: str) -> str:
    """The Dask Event that the app sets to stop trial ``key``."""
    return f"{key}-cancel"


def answers_name(key: str, attempt: str) -> str:
    """The Dask Queue on which the app answers the reports of one attempt of trial ``key``."""
    return f"{key}-{attempt}-answers"


def run_trial(
    objective: Objective,
    params: Mapping[str, Any],
    *,
    run_id: str,
    trial_key: str,
    topic: str,
    timeout_s: float | None,
    memory_limit_mb: int | None,
) -> str:
    """Run one trial in a worker process of this Dask worker; the outcome as JSON text
    (:mod:`engine.outcome_wire`), the only thing the app accepts back."""
    from distributed import Event, get_client, get_worker

    worker = get_worker()
    attempt = uuid.uuid4().hex[:8]
    worker.log_event(topic, ["start", trial_key, attempt, worker.address])
    reports: list[list[float]] = []
    cancel = threading.Event()
    answers = _Answers(trial_key, attempt, get_client(), cancel)

    def report(step: int, value: float) -> str | None:
        reports.append([int(step), float(value)])
        worker.log_event(topic, ["report", trial_key, attempt, len(reports) - 1, int(step),
                                 float(value)])
        return answers.wait(len(reports) - 1)

    done = threading.Event()
    # The watcher's thread is no task thread, so it is handed the worker's client.
    event = Event(cancel_event_name(trial_key), client=get_client())
    watcher = threading.Thread(target=_watch_cancel, args=(event, cancel, done),
                               name=f"knobs-cancel-{trial_key[-8:]}", daemon=True)
    watcher.start()
    slot = _take_slot(run_id, memory_limit_mb, worker.state.nthreads)
    try:
        outcome = slot.run(objective, params, timeout_s=timeout_s, report=report, cancel=cancel)
    finally:
        done.set()
        answers.close()
        _give_back(run_id, slot)
    return outcome_wire.encode(outcome, reports, attempt)


def close_slots(run_id: str) -> int:
    """End this worker's idle processes of a finished run; busy ones end when they finish."""
    with _lock:
        _closed.add(run_id)
        slots = _idle.pop(run_id, [])
        _executors.pop(run_id, None)
    for slot in slots:
        slot.close()
    return len(slots)


def describe_worker() -> dict[str, Any]:
    """What ``test_connection`` checks on each worker: it can import Knobs, and how."""
    import sys

    import engine

    return {"python": sys.version.split()[0], "knobs": os.path.dirname(engine.__file__)}


# --- internals -----------------------------------------------------------------------


class _Answers:
    """The app's answers to one attempt's reports, in order: why to stop, or go on."""

    def __init__(self, key: str, attempt: str, client: Any, cancel: threading.Event):
        from distributed import Queue

        self._queue = Queue(answers_name(key, attempt), client=client)
        self._cancel = cancel

    def wait(self, index: int) -> str | None:
        deadline = time.monotonic() + _ANSWER_WAIT_S
        while not self._cancel.is_set() and time.monotonic() < deadline:
            try:
                answered, reason = self._queue.get(timeout=_CANCEL_POLL_S)
            except (TimeoutError, asyncio.TimeoutError):  # distinct types on Python 3.10
                continue
            if answered == index:
                return reason or None
        return None

    def close(self) -> None:
        self._queue.close()


def _watch_cancel(event: Any, cancel: threading.Event, done: threading.Event) -> None:
    while not done.wait(_CANCEL_POLL_S):
        try:
            stopped = event.is_set()
        except Exception:  # noqa: BLE001 - the scheduler is unreachable: nobody awaits us
            stopped = True
        if stopped:
            cancel.set()
            return


def _take_slot(run_id: str, memory_limit_mb: int | None, nthreads: int) -> ProcessSlot:
    global _count
    _allow_child_processes()
    with _lock:
        idle = _idle.setdefault(run_id, [])
        if idle:
            return idle.pop()
        executor = _executors.get(run_id)
        if executor is None:
            # Trials share this machine's cores with the worker's other threads.
            cores = max(1, os.cpu_count() or 1)
            executor = LocalProcessExecutor(
                threads_per_worker=max(1, cores // max(1, nthreads)),
                memory_limit_mb=memory_limit_mb,
            )
            _executors[run_id] = executor
        _count += 1
        return executor.slot(_count)


def _give_back(run_id: str, slot: ProcessSlot) -> None:
    with _lock:
        if run_id not in _closed:
            _idle.setdefault(run_id, []).append(slot)
            return
    slot.close()


def _allow_child_processes() -> None:
    # Dask's nanny starts workers as daemonic processes, and multiprocessing refuses to
    # start children from those, because a daemon's children would be orphaned when it is
    # terminated. Ours are not: they leave when their pipe closes, or when their owner
    # watch sees this process gone (engine.executors), so lift the flag for this process.
    process = multiprocessing.current_process()
    if process.daemon:
        process._config["daemon"] = False
