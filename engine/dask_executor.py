"""Run trials on a Dask cluster (``distributed``, the ``cluster`` extra).

Only trials go to Dask: asking, telling and the study file stay in the app. Each run-loop
thread gets a :class:`DaskSlot` that sends one trial at a time to the cluster as a task and
follows it, so :func:`engine.runner.run_worker` drives a cluster exactly as it drives local
processes. On the Dask worker the task runs the objective in a process of its own
(:mod:`engine._dask_task`), so timeouts, Stop and crashes behave as they do locally.

- Intermediate values come back while the trial runs, as Dask events on a topic of this
  run; the task also returns them all, so none is lost if an event is late.
- A Dask worker that dies mid-trial: Dask runs the trial again elsewhere, once; if that
  worker dies too, the trial fails and says so.
- A lost scheduler raises :class:`~engine.executors.ExecutorError` from ``run``: the run
  loop stops the run, keeping every finished trial.

``distributed`` is imported only when a cluster is used, so Knobs runs without it.
"""

from __future__ import annotations

import functools
import logging
import pickle
import queue
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from engine import outcome_wire
from engine._dask_task import answers_name, cancel_event_name, close_slots, run_trial
from engine.cluster_address import (
    ClusterAddress,
    ClusterError,
    ClusterTLS,
    check_cluster,
    parse_cluster_address,
)
from engine.dask_connect import (
    ATTEMPTS,
    TIMEOUTS,
    ClusterInfo,
    check_workers,
    cluster_info,
    one_line,
    open_client,
    security_for,
    start_local_cluster,
    temporary_security,
    test_connection,
)
from engine.objectives.base import Objective
from engine.slots import ExecutorError, Outcome
from engine.trial import TrialState

# Re-exported: the window and the command line know these by this module.
__all__ = ["ClusterAddress", "ClusterError", "ClusterInfo", "ClusterTLS", "DaskExecutor",
           "DaskSlot", "parse_cluster_address", "test_connection"]

CONNECT_TIMEOUT_S = 10.0
# How a hung cluster is noticed (docs/cluster.md): the app asks the scheduler for its
# workers every HEARTBEAT_S; no answer within SCHEDULER_TIMEOUT_S, or no worker for
# NO_WORKERS_S, stops the run with the running trials interrupted.
HEARTBEAT_S = 2.0
SCHEDULER_TIMEOUT_S = 15.0
NO_WORKERS_S = 30.0
_POLL_S = 0.05
_STOP_WAIT_S = 5.0  # Stop waits this long for a started task to end its trial process
_LATE_S = 30.0  # past a trial's timeout, the app gives up on a worker that did not end it


class DaskExecutor:
    """Runs trials on a Dask cluster; the same slot interface as ``LocalProcessExecutor``.

    ``address`` is ``tcp://HOST:PORT``, ``tls://HOST:PORT`` (with ``tls``, the user's
    certificate files) or ``local:N`` (a TLS-only LocalCluster of N single-thread processes
    on 127.0.0.1, closed with the executor). Nothing connects until :meth:`connect` or the
    first :meth:`slot`; :meth:`close` ends it all. While connected, a watchdog asks the
    scheduler for its workers every ``heartbeat_s``; no answer within
    ``scheduler_timeout_s``, or no worker for ``no_workers_s``, makes every slot raise
    ``ExecutorError`` with that reason.
    """

    def __init__(self, address: str, *, memory_limit_mb: int | None = None,
                 tls: ClusterTLS | None = None,
                 connect_timeout_s: float = CONNECT_TIMEOUT_S,
                 heartbeat_s: float = HEARTBEAT_S,
                 scheduler_timeout_s: float = SCHEDULER_TIMEOUT_S,
                 no_workers_s: float = NO_WORKERS_S):
        self.address = check_cluster(address, tls)
        self.tls = tls
        self.memory_limit_mb = memory_limit_mb
        self.connect_timeout_s = connect_timeout_s
        self.heartbeat_s = heartbeat_s
        self.scheduler_timeout_s = scheduler_timeout_s
        self.no_workers_s = no_workers_s
        self.run_id = uuid.uuid4().hex[:12]
        self._topic = f"knobs-{self.run_id}"
        self._lock = threading.Lock()
        self._client: Any = None
        self._cluster: Any = None
        self._scratch: str | None = None
        self._failure: ClusterError | None = None
        self._broken: str | None = None  # why trials can no longer run there
        self._closed = False
        self._stop_watch = threading.Event()
        self._inbox_lock = threading.Lock()
        self._inboxes: dict[str, queue.Queue] = {}

    @property
    def scheduler_address(self) -> str:
        """Where the scheduler listens (for local:N, known once it has started)."""
        return self._cluster.scheduler_address if self._cluster is not None else self.address.text

    def connect(self) -> ClusterInfo:
        """Connect now (starting the local cluster for local:N); raises :class:`ClusterError`."""
        return cluster_info(self._ensure_client(), self.scheduler_address)

    def slot(self, index: int) -> DaskSlot:
        """A place for one run-loop thread's trials; raises ``ExecutorError`` if unreachable."""
        try:
            self._ensure_client()
        except ClusterError as exc:
            raise ExecutorError(str(exc)) from exc
        return DaskSlot(self, index)

    def close(self) -> None:
        """End this run's trial processes on the workers, disconnect, stop a local cluster."""
        with self._lock:
            self._closed = True
            client, cluster = self._client, self._cluster
            self._client = self._cluster = None
        self._stop_watch.set()
        if client is not None:
            # A scheduler that stopped answering would hold each call until its timeout.
            if client.status == "running" and self._broken is None:
                try:
                    # Bounded too: a scheduler may stop just as the run ends well.
                    client.run(close_slots, self.run_id,
                               callback_timeout=self.scheduler_timeout_s)
                except Exception:  # noqa: BLE001 - a worker that is gone has nothing to close
                    logging.getLogger(__name__).debug("closing trial processes", exc_info=True)
            try:
                client.close(timeout=2 if self._broken else 5)
            except (OSError, *TIMEOUTS):
                logging.getLogger(__name__).debug("closing the client", exc_info=True)
        if cluster is not None:
            cluster.close(timeout=10)
        self._remove_scratch()

    def _remove_scratch(self) -> None:
        scratch, self._scratch = self._scratch, None
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)

    # --- internals -------------------------------------------------------------------

    def _ensure_client(self) -> Any:
        with self._lock:
            if self._closed:
                raise ClusterError(f"the connection to {self.address.text} was closed")
            if self._failure is not None:
                raise self._failure  # one failed attempt is enough: threads do not queue up
            if self._client is None:
                try:
                    self._start()
                except ClusterError as exc:
                    self._failure = exc
                    raise
            return self._client

    def _start(self) -> None:
        address = self.address.text
        security = security_for(self.tls) if self.tls is not None else None
        if self.address.local_workers:
            # mkdtemp makes the folder 0700 whatever the umask: workers' spill files and
            # locks stay private to this user and this run, and go when it ends.
            self._scratch = tempfile.mkdtemp(prefix="knobs-dask-")
            try:
                security = temporary_security()
                self._cluster = start_local_cluster(self.address.local_workers,
                                                    self._scratch, security)
            except ClusterError:
                self._remove_scratch()
                raise
            address = self._cluster.scheduler_address
        try:
            self._client = open_client(address, security=security,
                                       timeout=self.connect_timeout_s,
                                       name=f"knobs-{self.run_id}")
            # Workers that cannot import Knobs would fail every trial: say so before any.
            check_workers(self._client)
        except ClusterError:
            if self._client is not None:
                self._client.close()
                self._client = None
            if self._cluster is not None:
                self._cluster.close()
                self._cluster = None
            self._remove_scratch()
            raise
        self._client.subscribe_topic(self._topic, self._on_event)
        threading.Thread(target=self._watch, args=(self._client,), name="knobs-dask-watch",
                         daemon=True).start()

    def _watch(self, client: Any) -> None:
        """Notice a scheduler that stopped answering, or a cluster left without workers."""
        workers_seen = time.monotonic()
        while not self._stop_watch.wait(self.heartbeat_s):
            try:
                info = client.sync(client.scheduler.identity, n_workers=-1,
                                   callback_timeout=self.scheduler_timeout_s)
            except Exception as exc:  # noqa: BLE001 - any failure to answer counts the same
                if self._stop_watch.is_set():
                    return
                why = ("did not answer within" if isinstance(exc, TIMEOUTS)
                       else f"failed ({type(exc).__name__}) within")
                self._break(f"the Dask scheduler at {self.scheduler_address} {why} "
                            f"{self.scheduler_timeout_s:g} s; the study stopped")
                return
            running = [w for w in info.get("workers", {}).values()
                       if w.get("status", "running") == "running"]
            if running:
                workers_seen = time.monotonic()
            elif time.monotonic() - workers_seen > self.no_workers_s:
                self._break(f"the Dask cluster at {self.scheduler_address} has had no "
                            f"worker for {self.no_workers_s:g} s; the study stopped")
                return

    def _break(self, why: str) -> None:
        with self._lock:
            if self._broken is None:  # the first reason found stands
                self._broken = why

    def _ask(self, client: Any, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``call`` (a coroutine function of the client) on the client's loop, bounded as
        the watchdog's own question is: a scheduler that stops answering between two
        heartbeats must not hold a run-loop thread beyond the watchdog's limit.

        Raises ``ExecutorError`` with the watchdog's reason when there is no answer in time.
        """
        try:
            return client.sync(call, *args, callback_timeout=self.scheduler_timeout_s,
                               **kwargs)
        except TIMEOUTS:
            raise self._no_answer() from None

    def _no_answer(self) -> ExecutorError:
        self._break(f"the Dask scheduler at {self.scheduler_address} did not answer "
                    f"within {self.scheduler_timeout_s:g} s; the study stopped")
        return ExecutorError(self._broken)

    def _on_event(self, event: tuple[float, list]) -> None:
        # Called on the client's event loop thread: hand the message to its trial's slot.
        message = event[1]
        with self._inbox_lock:
            inbox = self._inboxes.get(message[1])
        if inbox is not None:
            inbox.put(message)

    def _open_inbox(self, key: str) -> queue.Queue:
        with self._inbox_lock:
            inbox = self._inboxes[key] = queue.Queue()
        return inbox

    def _close_inbox(self, key: str) -> None:
        with self._inbox_lock:
            self._inboxes.pop(key, None)

    def _live_client(self) -> Any:
        if self._broken is not None:
            raise ExecutorError(self._broken)
        client = self._client
        if client is None or client.status != "running":
            raise ExecutorError(f"lost the connection to the Dask scheduler at "
                                f"{self.scheduler_address}; the study stopped")
        return client


class DaskSlot:
    """One run-loop thread's trials on the cluster, one at a time."""

    def __init__(self, executor: DaskExecutor, index: int):
        self.index = index
        self._executor = executor

    def run(
        self,
        objective: Objective,
        params: Mapping[str, Any],
        *,
        timeout_s: float | None = None,
        report: Callable[[int, float], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> Outcome:
        """Run one trial on the cluster to its end; raises ``ExecutorError`` if it is gone."""
        ex = self._executor
        client = ex._live_client()
        key = f"knobs-trial-{uuid.uuid4().hex}"
        inbox = ex._open_inbox(key)
        try:
            try:
                payload = _trial_payload(
                    objective, dict(params), run_id=ex.run_id, trial_key=key,
                    topic=ex._topic, timeout_s=timeout_s, memory_limit_mb=ex.memory_limit_mb,
                )
                future = client.submit(pickle.loads, payload, key=key, pure=False)
            except Exception as exc:  # noqa: BLE001 - mostly an objective that cannot pickle
                ex._live_client()
                return Outcome(TrialState.FAILED,
                               error=f"could not send the trial to the Dask cluster: {exc}")
            # Wakes _follow as soon as the task ends, rather than at its next poll.
            future.add_done_callback(lambda _: inbox.put(None))
            answers = _Answers(ex, client, key)
            try:
                return self._follow(future, key, inbox, timeout_s,
                                    _Attempts(report, answers.send), cancel)
            finally:
                answers.close()
                future.release()
        finally:
            ex._close_inbox(key)

    def close(self) -> None:
        """Nothing to release here: the executor ends the trial processes on the workers."""

    def _follow(self, future: Any, key: str, inbox: queue.Queue, timeout_s: float | None,
                attempts: _Attempts, cancel: threading.Event | None) -> Outcome:
        while not future.done():
            self._executor._live_client()  # raises once the watchdog found the cluster hung
            if cancel is not None and cancel.is_set():
                self._stop(future, key, attempts)
                return Outcome(TrialState.INTERRUPTED, error="stopped before it finished")
            try:
                attempts.take(inbox.get(timeout=_POLL_S))
            except queue.Empty:
                pass
            if len(attempts.workers) > ATTEMPTS:
                # A scheduler that allows more retries than we do started one more: drop it
                # at once (its trial process is stopped by the Event within a poll).
                self._stop(future, key, attempts, wait=False)
                return Outcome(TrialState.FAILED, error=_died(attempts.workers[:ATTEMPTS]))
            if timeout_s and attempts.started_at is not None \
                    and time.monotonic() - attempts.started_at > timeout_s + _LATE_S:
                self._stop(future, key, attempts)
                return Outcome(TrialState.FAILED, error=(
                    f"timed out after {timeout_s:g} s (the Dask worker {attempts.workers[-1]} "
                    "did not end it)"))
        while not inbox.empty():
            attempts.take(inbox.get())
        return self._result(future, attempts)

    def _result(self, future: Any, attempts: _Attempts) -> Outcome:
        if future.status == "cancelled":  # not by us: the client lost the scheduler
            self._executor._live_client()
            raise ExecutorError(f"the Dask scheduler at {self._executor.scheduler_address} "
                                "dropped the trial; the study stopped")
        if future.status == "error":
            try:
                exc = future.exception(timeout=self._executor.scheduler_timeout_s)
            except TIMEOUTS:
                raise self._executor._no_answer() from None
            if type(exc).__name__ == "KilledWorker":
                return Outcome(TrialState.FAILED, error=_died(attempts.workers))
            return Outcome(TrialState.FAILED, error=_task_error(exc))
        try:
            # Fetched through the scheduler: bounded by the watchdog's limit, and a
            # scheduler that does not answer stops the run (ExecutorError), the trial
            # interrupted rather than failed.
            data = future.result(timeout=self._executor.scheduler_timeout_s)
        except TIMEOUTS:
            raise self._executor._no_answer() from None
        except Exception as exc:  # noqa: BLE001 - e.g. the worker holding it just died
            # A result that is not plain msgpack data (a pickle) is refused here, unloaded.
            return Outcome(TrialState.FAILED, error=f"could not fetch the result: {exc}")
        try:
            outcome, reports, attempt = outcome_wire.decode(data)
        except outcome_wire.WireError as exc:
            return Outcome(TrialState.FAILED,
                           error=f"the Dask worker sent back something other than a trial "
                                 f"outcome: {exc}")
        attempts.finish(attempt, reports)
        return outcome

    def _stop(self, future: Any, key: str, attempts: _Attempts, wait: bool = True) -> None:
        # Dask cannot stop a running task: the Event asks it to kill its trial process, and
        # waiting for that means no trial outlives Stop. A task still queued is just dropped.
        # A client that lost its scheduler has cancelled every future already, and a call
        # through it would wait for a reconnection.
        client = self._executor._client
        if client is None or client.status != "running" or future.done() \
                or self._executor._broken is not None:
            return
        # The task's distributed.Event, set and cleared through the scheduler's handlers
        # (what Event.set does) so that each call is bounded by the watchdog's limit.
        ex, name = self._executor, cancel_event_name(key)
        try:
            ex._ask(client, client.scheduler.event_set, name=name)
            deadline = time.monotonic() + (_STOP_WAIT_S if wait and attempts.workers else 0)
            while not future.done() and time.monotonic() < deadline:
                time.sleep(_POLL_S)
            if future.done():
                # else it stays set, for a task that starts late
                ex._ask(client, client.scheduler.event_clear, name=name)
            future.cancel()
        except ExecutorError:
            raise
        except Exception:  # noqa: BLE001 - a scheduler that is gone runs nothing
            logging.getLogger(__name__).debug("stopping a trial's task", exc_info=True)


class _Attempts:
    """A trial's attempts (a retry after a worker died starts it over) and its reports.

    Each intermediate value is passed on once, live from the events or, if they are late,
    from the list the task returns.
    """

    def __init__(self, report: Callable[[int, float], str | None] | None,
                 answer: Callable[[str, int, str | None], None] | None = None):
        self.workers: list[str] = []
        self.started_at: float | None = None
        self._report = report
        self._answer = answer
        self._attempt: str | None = None
        self._sent = 0

    def take(self, message: list | None) -> None:
        if message is None:  # the wake-up call of a finished task
            return
        kind, attempt = message[0], message[2]
        if kind == "start":
            self.workers.append(str(message[3]))
            self.started_at = time.monotonic()
            self._attempt, self._sent = attempt, 0
        elif kind == "report" and attempt == self._attempt:
            # The trial waits for an answer to each report it sends while it runs.
            judged = message[3] == self._sent
            reason = self._send(message[4], message[5]) if judged else None
            if self._answer is not None:
                self._answer(attempt, message[3], reason)

    def finish(self, attempt: str, reports: list) -> None:
        if attempt != self._attempt:
            self._attempt, self._sent = attempt, 0
        for step, value in reports[self._sent:]:
            self._send(step, value)

    def _send(self, step: int, value: float) -> str | None:
        self._sent += 1
        if self._report is not None:
            return self._report(int(step), float(value))
        return None


class _Answers:
    """The app's side of the answers to a trial's reports (stop or go), one Dask Queue per
    attempt (``engine._dask_task.answers_name``).

    The queues are reached through the scheduler's queue handlers, as ``distributed.Queue``
    does, but each call bounded by the watchdog's limit: a ``Queue`` waits for the
    scheduler without end when it is made and on each ``put``, so a scheduler stopped
    just after a report would hold the run loop for good.
    """

    def __init__(self, executor: DaskExecutor, client: Any, key: str):
        self._executor = executor
        self._client = client
        self._key = key
        self._queues: list[str] = []

    def send(self, attempt: str, index: int, reason: str | None) -> None:
        ex, client, name = self._executor, self._client, answers_name(self._key, attempt)
        try:
            if name not in self._queues:
                ex._ask(client, client.scheduler.queue_create, name=name, maxsize=0)
                self._queues.append(name)
            ex._ask(client, client.scheduler.queue_put, name=name, data=[index, reason or ""])
        except OSError as exc:
            # A connection that is gone: the trial goes on unjudged after its wait, and the
            # run loop learns of the loss from the client's status.
            logging.getLogger(__name__).debug("answering a report: %s", exc)

    def close(self) -> None:
        # What Queue.close sends: a message on the client's stream, which never waits.
        for name in self._queues:
            if self._client.status == "running":
                self._client._send_to_scheduler({"op": "queue_release", "name": name})


# --- helpers -------------------------------------------------------------------------


def _trial_payload(objective: Objective, params: dict[str, Any], **settings: Any) -> bytes:
    """The trial as bytes whose unpickling, inside the Dask task, runs ``run_trial``.

    Dask unpickles a task's function and arguments in the worker's connection handler,
    where a failure (a worker without Knobs, or with another version of it, or without an
    objective's module) kills the worker, and Dask then tries the next worker, and the
    next. Unpickled by ``pickle.loads`` as the task itself, such a failure is that trial's
    error, and the worker lives on.
    """
    import cloudpickle  # a dependency of distributed

    return cloudpickle.dumps(_Call(functools.partial(run_trial, objective, params, **settings)))


class _Call:
    """Pickles as "call this": unpickling it returns what the call returns."""

    def __init__(self, call: functools.partial):
        self.call = call

    def __reduce__(self) -> tuple:
        return self.call, ()


def _died(workers: list[str]) -> str:
    where = ", then ".join(workers) or "unknown"
    if len(workers) > 1:
        return f"the Dask worker running it died, and again on the retry ({where}); gave up"
    return f"the Dask worker running it died ({where}); not retried"


def _task_error(exc: BaseException | None) -> str:
    text = f"the Dask worker could not run the trial: {one_line(exc)}"
    if isinstance(exc, ImportError):
        text += (" (Knobs and the objective's code must be importable on every worker; "
                 "see docs/cluster.md)")
    return text
