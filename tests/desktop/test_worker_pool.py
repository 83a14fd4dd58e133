"""The window's WorkerPool: the engine's Runner seen through Qt signals on the GUI thread.

Trials run on a stand-in executor in the run-loop threads (tests/engine/in_thread.py), so
what is checked is the adapter: which signals arrive, on which thread, and that nothing of
the run is alive once ``finished`` has been delivered.
"""

from __future__ import annotations

import gc
import threading
import weakref

import pytest
from PySide6.QtCore import QObject, QThread

from desktop.run.worker_pool import WorkerPool
from engine import runner as runner_module
from engine.executors import ExecutorError
from engine.space import FloatParam
from engine.spec import StudySpec
from engine.study import Study
from engine.trial import TrialState
from tests.engine.in_thread import InThreadExecutor, hang_until_cancelled


def spec(**changes) -> StudySpec:
    base = StudySpec(
        name="t", params=(FloatParam("x", 0.0, 1.0),),
        objective={"kind": "python", "path": "unused.py", "function": "f"},
        sampler="random", trials=9, seed=1, workers=3,
    )
    return base.evolve(**changes)


@pytest.fixture
def executor(monkeypatch):
    """The executor the pool's Runner makes; set ``executor.trial`` to change the trials."""
    made = InThreadExecutor()
    monkeypatch.setattr(runner_module, "make_executor",
                        lambda cluster, *, workers, memory_limit_mb=None, tls=None: made)
    return made


def run_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("knobs-run-")]


def test_finished_arrives_on_the_gui_thread_after_every_worker_has_left(qtbot, executor):
    study = Study.create(spec())
    pool = WorkerPool(study, objective=None)
    seen = []

    def on_finished(reason):
        seen.append((reason, QThread.currentThread() is pool.thread(), run_threads(),
                     pool.running))

    pool.finished.connect(on_finished)
    with qtbot.waitSignal(pool.started, timeout=1000):
        pool.start()
    assert pool.running
    qtbot.waitUntil(lambda: bool(seen), timeout=30_000)
    assert seen == [("done", True, [], False)]
    assert pool.outcome.summary.n_finished == 9
    assert executor.closed


def test_pause_and_resume_are_signalled_and_stop_ends_the_run_stopped(qtbot, executor):
    started = threading.Event()
    executor.trial = hang_until_cancelled(started)
    study = Study.create(spec(workers=2))
    pool = WorkerPool(study, objective=None)
    pool.start()
    assert started.wait(30)
    with qtbot.waitSignal(pool.paused_changed) as paused:
        pool.pause()
    assert paused.args == [True] and pool.paused
    with qtbot.waitSignal(pool.paused_changed) as resumed:
        pool.resume()
    assert resumed.args == [False] and not pool.paused
    with qtbot.waitSignal(pool.finished, timeout=30_000) as finished:
        pool.stop()
    assert finished.args == ["stopped"]
    assert {t.state for t in study.trials} == {TrialState.INTERRUPTED}


def test_a_failed_run_says_failed_and_keeps_the_error(qtbot, executor):
    executor.trial = hang_until_cancelled(threading.Event())
    executor.broken_slot = ExecutorError("nothing listens at tcp://127.0.0.1:9")
    pool = WorkerPool(Study.create(spec()), objective=None)
    with qtbot.waitSignal(pool.finished, timeout=30_000) as finished:
        pool.start()
    assert finished.args == ["failed"]
    assert str(pool.error) == "nothing listens at tcp://127.0.0.1:9"


def test_the_pool_may_be_deleted_as_soon_as_it_has_finished(qtbot, executor):
    owner = QObject()
    pool = WorkerPool(Study.create(spec()), objective=None, parent=owner)
    pool.finished.connect(pool.deleteLater)
    with qtbot.waitSignal(pool.destroyed, timeout=30_000):
        pool.start()
    assert run_threads() == []
    assert owner.findChildren(WorkerPool) == []


def test_closing_mid_run_stops_and_waits_for_every_worker(qtbot, executor):
    started = threading.Event()
    executor.trial = hang_until_cancelled(started)
    study = Study.create(spec())
    pool = WorkerPool(study, objective=None)
    pool.start()
    assert started.wait(30)
    pool.stop()
    assert pool.wait(30_000)  # what the window does when it closes
    assert run_threads() == []
    with qtbot.waitSignal(pool.finished, timeout=5000) as finished:
        pass  # the queued wake-up is still delivered, once
    assert finished.args == ["stopped"]


def test_a_finished_pool_is_freed_by_reference_counting_alone(qtbot, executor):
    # A pool kept alive by a reference cycle would be freed by the garbage collector, on
    # whichever thread runs it next, perhaps a worker's: Qt objects must die on their own.
    pool = WorkerPool(Study.create(spec()), objective=None)
    with qtbot.waitSignal(pool.finished, timeout=30_000):
        pool.start()
    freed = weakref.ref(pool)
    gc.disable()
    try:
        del pool
        assert freed() is None
    finally:
        gc.enable()
