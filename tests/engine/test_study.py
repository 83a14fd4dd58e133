"""Study ask/tell, the budget, and the run loop with real worker processes."""

import threading
from pathlib import Path

import numpy as np
import pytest

from engine.objectives.python_function import PythonFunctionObjective
from engine.runner import Runner
from engine.space import CategoricalParam, FloatParam, IntParam
from engine.spec import StudySpec
from engine.study import Study
from engine.trial import TrialState

FAULTY = str(Path(__file__).parent / "objectives" / "faulty.py")


def spec(**changes) -> StudySpec:
    base = StudySpec(
        name="t", params=(FloatParam("x", 0.0, 1.0),),
        objective={"kind": "python", "path": FAULTY, "function": "good"},
        sampler="random", trials=6, seed=1, workers=2,
    )
    return base.evolve(**changes)


def test_ask_tell_and_best_for_each_direction():
    for direction, best in (("minimize", 0.2), ("maximize", 0.9)):
        study = Study.create(spec(direction=direction))
        for value in (0.5, 0.2, 0.9):
            t = study.ask()
            study.tell(t.number, TrialState.COMPLETE, value=value)
        assert study.best_trial.value == best


def test_the_budget_counts_running_and_finished_but_not_interrupted():
    study = Study.create(spec(trials=2))
    a, b = study.ask(), study.ask()
    assert study.ask() is None
    study.tell(a.number, TrialState.INTERRUPTED, error="stopped")
    c = study.ask()
    assert c is not None and study.ask() is None
    study.tell(b.number, TrialState.FAILED, error="x")
    study.tell(c.number, TrialState.COMPLETE, value=1.0)
    assert study.is_done()


def test_tell_refuses_nonsense():
    study = Study.create(spec())
    t = study.ask()
    with pytest.raises(ValueError, match="finite value"):
        study.tell(t.number, TrialState.COMPLETE, value=float("nan"))
    study.tell(t.number, TrialState.COMPLETE, value=1.0)
    with pytest.raises(ValueError, match="already ended"):
        study.tell(t.number, TrialState.FAILED)


def test_listeners_hear_every_change_in_order():
    study = Study.create(spec())
    heard = []
    study.subscribe(lambda event, trial: heard.append((event, trial.number, trial.state)))
    t = study.ask()
    study.report(t.number, 1, 0.5)
    study.tell(t.number, TrialState.COMPLETE, value=0.5)
    assert heard == [
        ("started", 0, TrialState.RUNNING),
        ("intermediate", 0, TrialState.RUNNING),
        ("finished", 0, TrialState.COMPLETE),
    ]


def test_threads_asking_a_grid_never_share_a_cell():
    study = Study.create(spec(params=(IntParam("n", 0, 99, grid_points=100),), sampler="grid",
                              trials=None))
    got, lock = [], threading.Lock()

    def work():
        while (t := study.ask()) is not None:
            with lock:
                got.append(t.params["n"])
            study.tell(t.number, TrialState.COMPLETE, value=float(t.params["n"]))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(got) == list(range(100))
    assert study.exhausted and study.is_done()


def test_a_study_file_reopens_exactly(tmp_path):
    path = tmp_path / "s.knobs"
    study = Study.create(spec(), path)
    t = study.ask()
    study.report(t.number, 3, 0.7)
    study.tell(t.number, TrialState.COMPLETE, value=0.25, metrics={"acc": 0.8})
    running = study.ask()
    study.close()

    again = Study.open(path, readonly=True)
    assert again.spec == study.spec
    done, interrupted = again.trials
    again.close()
    assert done == study.trials[0]
    assert interrupted.number == running.number and interrupted.state is TrialState.INTERRUPTED


def test_a_run_survives_every_kind_of_failure_and_meets_the_budget(tmp_path):
    params = (FloatParam("x", 0.0, 1.0, step=0.05),)
    study = Study.create(spec(params=params, trials=12, timeout_s=20), tmp_path / "s.knobs")
    objective = PythonFunctionObjective(FAULTY, "by_x")
    Runner(study, objective, workers=2).run()
    counts = study.counts()
    assert counts[TrialState.COMPLETE] + counts[TrialState.FAILED] == 12
    assert counts[TrialState.RUNNING] == 0
    for t in study.trials:
        x = t.params["x"]
        if x < 0.1:
            assert t.state is TrialState.FAILED and "x too small" in t.error
        elif x > 0.9:
            assert t.state is TrialState.FAILED and "exited with code 1" in t.error
        else:
            assert t.state is TrialState.COMPLETE and t.value == x
    study.close()
    assert len(Study.open(tmp_path / "s.knobs", readonly=True).trials) == 12


def test_stop_interrupts_running_trials_and_keeps_finished_ones(tmp_path):
    study = Study.create(spec(trials=50), tmp_path / "s.knobs")
    runner = Runner(study, PythonFunctionObjective(FAULTY, "hangs"), workers=2)
    both_running = threading.Event()
    study.subscribe(lambda event, t: study.counts()[TrialState.RUNNING] == 2
                    and both_running.set())
    runner.start()
    assert both_running.wait(60)
    runner.stop()
    assert [t.state for t in study.trials] == [TrialState.INTERRUPTED] * 2
    study.close()


def test_pause_starts_no_new_trials_until_resumed(tmp_path):
    study = Study.create(spec(trials=4, params=(CategoricalParam("x", (0.3, 0.4)),),
                              sampler="grid"))
    runner = Runner(study, PythonFunctionObjective(FAULTY, "good"), workers=1)
    runner.pause()
    runner.start()
    # Once the worker is parked it can start nothing until resumed.
    assert runner.control.wait_parked(1, timeout=30)
    assert study.trials == []
    runner.resume()
    runner.wait()
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2  # grid of 2 cells


def test_an_enqueued_configuration_runs_next_even_when_the_budget_is_spent():
    study = Study.create(spec(trials=1))
    first = study.ask()
    study.tell(first.number, TrialState.COMPLETE, value=0.5)
    assert study.ask() is None
    study.enqueue(first.params)
    again = study.ask()
    assert again.params == first.params and again.number == 1
    assert study.ask() is None
    with pytest.raises(ValueError, match="do not fit"):
        study.enqueue({"x": 5.0})


def test_a_sampler_that_fails_to_ask_costs_a_random_point_not_the_run(tmp_path):
    study = Study.create(spec(trials=4), tmp_path / "s.knobs")
    asks = []

    def broken_ask(trials):
        asks.append(len(trials))
        if len(asks) == 2:
            raise np.linalg.LinAlgError("the GP fit failed")
        return {"x": 0.5}

    study.sampler.ask = broken_ask
    Runner(study, PythonFunctionObjective(FAULTY, "good"), workers=1).run()
    assert study.counts()[TrialState.COMPLETE] == 4
    assert study.fallbacks == 1 and "the GP fit failed" in study.last_fallback
    assert study.space.contains(study.trials[1].params) and study.trials[1].params != {"x": 0.5}
    study.close()


def _open_copy(path: Path, folder: Path) -> list:
    """The trials of a copy of the .knobs file alone (no -wal), as a backup would have."""
    folder.mkdir()
    copy = folder / path.name
    copy.write_bytes(path.read_bytes())
    study = Study.open(copy, readonly=True)
    try:
        return study.trials
    finally:
        study.close()


def test_the_study_file_alone_is_a_complete_study_while_it_runs(tmp_path, monkeypatch):
    path = tmp_path / "s.knobs"
    study = Study.create(spec(trials=None, time_s=600), path)
    assert _open_copy(path, tmp_path / "empty") == []  # openable before any trial
    monkeypatch.setattr("engine.study.CHECKPOINT_S", 0.0)
    runner = Runner(study, PythonFunctionObjective(FAULTY, "good"), workers=2)
    finished = threading.Event()
    unsubscribe = study.subscribe(
        lambda event, t: study.n_finished >= 3 and finished.set())
    runner.start()
    try:
        assert finished.wait(60)
        runner.pause()  # every pause checkpoints: the copy then holds every finished trial
        # A worker checkpoints as it parks, after its last trial was told.
        assert runner.control.wait_parked(2, timeout=60)
        assert study.counts()[TrialState.RUNNING] == 0
        copied = _open_copy(path, tmp_path / "paused")
        assert copied == study.trials
        assert sum(t.state is TrialState.COMPLETE for t in copied) >= 3
    finally:
        unsubscribe()
        runner.stop()
    study.close()
