"""The Runner: one run's workers, pause/stop, the one error policy and the outcome, as the
command line and the window both drive it. Trials run in this process on a stand-in
executor (the slot interface), so that each rule is seen without worker processes."""

from __future__ import annotations

import logging
import threading

import pytest

from engine import runner as runner_module
from engine.executors import ExecutorError, Outcome
from engine.runner import RunError, Runner
from engine.space import FloatParam
from engine.spec import StudySpec
from engine.storage import StudyFileError
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
def made(monkeypatch):
    """The executor a Runner makes for itself (and so must close)."""
    box = {}

    def make_executor(cluster, *, workers, memory_limit_mb=None, tls=None):
        box["executor"] = box.get("next") or InThreadExecutor()
        return box["executor"]

    monkeypatch.setattr(runner_module, "make_executor", make_executor)
    return box


def test_a_run_ends_once_on_the_last_worker_with_its_outcome(made):
    study = Study.create(spec())
    calls = []

    def on_finished(outcome):
        executor = made["executor"]
        calls.append((outcome, threading.current_thread().name, executor.closed,
                      executor.slots_closed))

    runner = Runner(study, objective=None, on_finished=on_finished)
    outcome = runner.run()
    [(told, thread, executor_closed, slots_closed)] = calls
    assert told is outcome is runner.outcome
    assert outcome.reason == "done" and outcome.error is None
    assert outcome.summary.n_finished == 9 and outcome.summary.running == 0
    assert outcome.summary.best_trial == min(study.trials, key=lambda t: t.value)
    assert thread.startswith("knobs-run-")  # a worker's thread, not the caller's
    assert executor_closed and slots_closed == 3  # everything released before it is told
    assert not runner.running


def test_stop_interrupts_the_trials_in_flight_and_ends_stopped(made):
    started = threading.Event()
    made["next"] = InThreadExecutor(hang_until_cancelled(started))
    study = Study.create(spec(workers=1))
    runner = Runner(study, objective=None)
    runner.start()
    assert started.wait(30)
    assert runner.running
    runner.stop()
    assert runner.outcome.reason == "stopped" and runner.outcome.error is None
    assert [t.state for t in study.trials] == [TrialState.INTERRUPTED]


def test_a_trials_own_failure_fails_that_trial_and_the_run_goes_on(made):
    def trial(params, cancel):
        if params["x"] < 0.5:
            return Outcome(TrialState.FAILED, error="x too small")
        return Outcome(TrialState.COMPLETE, params["x"])

    made["next"] = InThreadExecutor(trial)
    study = Study.create(spec(trials=20))
    outcome = Runner(study, objective=None).run()
    assert outcome.reason == "done"
    counts = outcome.summary.counts
    assert counts[TrialState.FAILED] > 0 and counts[TrialState.COMPLETE] > 0
    assert counts[TrialState.FAILED] + counts[TrialState.COMPLETE] == 20


def test_a_lost_executor_stops_every_worker_and_fails_the_run(made):
    started = threading.Event()
    lost = ExecutorError("the Dask scheduler at tcp://h:1 is gone")
    made["next"] = InThreadExecutor(hang_until_cancelled(started), broken_slot=lost)
    study = Study.create(spec())
    runner = Runner(study, objective=None)
    with pytest.raises(ExecutorError, match="is gone"):
        runner.run()
    assert runner.outcome.reason == "failed" and runner.outcome.error is lost
    assert made["executor"].closed
    # The other workers' trials in flight were ended, not left running.
    assert all(t.state is TrialState.INTERRUPTED for t in study.trials)


def test_an_unexpected_error_becomes_one_line_and_a_logged_traceback(made, caplog):
    made["next"] = InThreadExecutor(hang_until_cancelled(threading.Event()),
                                    broken_slot=ValueError("bad slot\nsecond line"))
    study = Study.create(spec(trials=50))
    runner = Runner(study, objective=None)
    with caplog.at_level(logging.ERROR, logger="engine.runner"), \
            pytest.raises(RunError) as raised:
        runner.run()
    assert str(raised.value) == "the run stopped: ValueError: bad slot"
    assert runner.outcome.reason == "failed"
    assert any(r.exc_info for r in caplog.records)  # the traceback went to the log
    assert all(t.state is TrialState.INTERRUPTED for t in study.trials)


def test_a_study_file_that_cannot_be_written_fails_the_run_with_the_trial_interrupted(
        made, tmp_path, monkeypatch):
    study = Study.create(spec(workers=1), tmp_path / "s.knobs")
    write = study.file.write_trial

    def full_disk(trial):
        if trial.number == 2 and trial.state is TrialState.COMPLETE:
            raise StudyFileError("cannot write s.knobs: disk full")
        write(trial)

    monkeypatch.setattr(study.file, "write_trial", full_disk)
    runner = Runner(study, objective=None)
    with pytest.raises(StudyFileError, match="disk full"):
        runner.run()
    assert runner.outcome.reason == "failed"
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2 + [TrialState.RUNNING]
    study.close()
    assert [t.state for t in Study.open(tmp_path / "s.knobs", readonly=True).trials] == [
        TrialState.COMPLETE, TrialState.COMPLETE, TrialState.INTERRUPTED]


def test_pause_parks_every_worker_and_resume_finishes_the_budget(made):
    study = Study.create(spec())
    runner = Runner(study, objective=None)
    runner.pause()
    runner.start()
    assert runner.control.wait_parked(3, timeout=30)
    assert study.trials == []
    assert not runner.wait(timeout=0)  # parked workers are still there
    runner.resume()
    assert runner.wait(timeout=30)
    assert runner.outcome.reason == "done" and runner.outcome.summary.n_finished == 9


def test_the_outcome_counts_only_this_runs_sampler_fallbacks(made):
    study = Study.create(spec(workers=1, trials=3))
    study.fallbacks = 4  # from an earlier run of this study

    def broken_ask(trials):
        raise ValueError("the GP fit failed")

    study.sampler.ask = broken_ask
    assert Runner(study, objective=None).run().fallbacks == 3


def test_a_failing_callback_is_logged_and_the_outcome_kept(made, caplog):
    def on_finished(outcome):
        raise RuntimeError("the window is gone")

    runner = Runner(Study.create(spec()), objective=None, on_finished=on_finished)
    with caplog.at_level(logging.ERROR, logger="engine.runner"):
        assert runner.run().reason == "done"
    assert "on_finished" in caplog.text


def test_a_runner_runs_once(made):
    runner = Runner(Study.create(spec(trials=1)), objective=None)
    runner.run()
    with pytest.raises(RuntimeError, match="runs once"):
        runner.start()


def test_a_given_executor_is_left_open_for_its_owner():
    executor = InThreadExecutor()
    Runner(Study.create(spec()), objective=None, executor=executor).run()
    assert not executor.closed and executor.slots_closed == 3
