"""Pruning end to end: a report reaches the pruner, the decision stops the work of each
objective kind, and the study file records the pruned trial; resume decides the same."""

from __future__ import annotations

import math
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from engine import executors
from engine.objectives.base import TrialPruned
from engine.objectives.command import CommandObjective
from engine.objectives.registry import make_objective
from engine.pids import alive
from engine.runner import Runner
from engine.space import FixedParam, FloatParam, IntParam
from engine.spec import StudySpec
from engine.study import Study
from engine.trial import TrialState

# Trials whose loss falls towards x: with ASHA the high-x ones are stopped early.
CURVES = """
import time

def f(params, report):
    for step in range(1, 10):
        if report(step, params["x"] + 1.0 / step):
            return None
    return params["x"]
"""


X = (FloatParam("x", 0.0, 1.0),)


def spec(tmp_path: Path, objective: dict, *, pruner="asha", options=None, trials=8,
         params=X) -> StudySpec:
    return StudySpec(name="p", params=tuple(params), objective=objective, seed=3,
                     trials=trials, workers=1, pruner=pruner,
                     pruner_options={"min_steps": 1, "eta": 2} if options is None else options)


def python_objective(tmp_path: Path, body: str) -> dict:
    (tmp_path / "obj.py").write_text(textwrap.dedent(body))
    return {"kind": "python", "path": str(tmp_path / "obj.py"), "function": "f"}


def run(study: Study, workers: int = 1) -> None:
    Runner(study, make_objective(study.spec.objective), workers=workers).run()


def gone(pid: int) -> bool:
    return not alive(pid)  # a zombie has stopped running; only its parent's wait is missing


def test_a_pruned_trial_is_recorded_with_its_curve_step_and_rule(tmp_path):
    s = spec(tmp_path, python_objective(tmp_path, CURVES), trials=12)
    study = Study.create(s, tmp_path / "s.knobs")
    run(study)
    pruned = [t for t in study.trials if t.state is TrialState.PRUNED]
    complete = [t for t in study.trials if t.state is TrialState.COMPLETE]
    assert pruned and complete
    for t in pruned:
        stopped = t.metrics["stopped_at"]
        assert t.intermediate[-1][0] == stopped < 9  # stopped at the step judged
        assert t.value == t.intermediate[-1][1]
        assert t.metrics["pruned_by"] == "asha" and t.error.startswith("asha: at rung")
    study.close()
    again = Study.open(tmp_path / "s.knobs", readonly=True)
    assert [(t.state, t.value, t.metrics, t.error, t.intermediate) for t in again.trials] == [
        (t.state, t.value, t.metrics, t.error, t.intermediate) for t in study.trials]
    again.close()


def test_no_pruner_lets_every_trial_finish(tmp_path):
    s = spec(tmp_path, python_objective(tmp_path, CURVES), pruner="none", options={})
    study = Study.create(s)
    run(study)
    assert all(t.state is TrialState.COMPLETE for t in study.trials)


def test_parallel_workers_prune_too(tmp_path):
    s = spec(tmp_path, python_objective(tmp_path, CURVES), trials=12)
    study = Study.create(s)
    run(study, workers=3)
    counts = study.counts()
    assert counts[TrialState.PRUNED] > 0 and counts[TrialState.COMPLETE] > 0
    assert counts[TrialState.FAILED] == 0


def test_a_python_function_that_ignores_the_stop_is_ended(tmp_path, monkeypatch):
    monkeypatch.setattr(executors, "PRUNE_GRACE_S", 0.5)
    body = """
    import os, time

    def f(params, report):
        open(os.path.join(os.path.dirname(__file__), "pid"), "w").write(str(os.getpid()))
        for step in range(1, 1000):
            report(step, 5.0)  # told to stop, goes on regardless
            time.sleep(0.05)
    """
    s = spec(tmp_path, python_objective(tmp_path, body), pruner="threshold",
             options={"upper": 1.0}, trials=1)
    study = Study.create(s)
    started = time.monotonic()
    run(study)
    (trial,) = study.trials
    assert trial.state is TrialState.PRUNED and trial.metrics["stopped_at"] == 1
    assert time.monotonic() - started < 30
    assert gone(int((tmp_path / "pid").read_text()))


def test_a_python_objectives_children_end_with_its_trial(tmp_path):
    body = """
    import os, subprocess, sys

    def f(params):
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        open(os.path.join(os.path.dirname(__file__), "pid"), "w").write(str(child.pid))
        return 1.0
    """
    s = spec(tmp_path, python_objective(tmp_path, body), pruner="none", options={}, trials=1)
    study = Study.create(s)
    run(study)
    assert study.trials[0].state is TrialState.COMPLETE
    pid = int((tmp_path / "pid").read_text())
    deadline = time.monotonic() + 5
    while not gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone(pid)


TRAIN_SCRIPT = """
import os, signal, sys, time
folder = os.path.dirname(os.path.abspath(__file__))
open(os.path.join(folder, "pid"), "w").write(str(os.getpid()))
mode = sys.argv[1]
if mode == "checkpoint":
    def save(*_):
        open(os.path.join(folder, "checkpoint"), "w").write("saved")
        sys.exit(0)
    signal.signal(signal.SIGTERM, save)
elif mode == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
for step in range(1, 1000):
    print(f"step={step} value=5.0", flush=True)
    time.sleep(0.05)
print(5.0)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="process groups are POSIX")
@pytest.mark.parametrize("mode", ["checkpoint", "stubborn"])
def test_a_pruned_command_gets_sigterm_then_sigkill(tmp_path, mode):
    (tmp_path / "train.py").write_text(TRAIN_SCRIPT)
    objective = CommandObjective(command=f"python train.py {mode}", workdir=str(tmp_path))
    s = spec(tmp_path, objective.to_settings() | {"kind": "command"}, pruner="threshold",
             options={"upper": 1.0, "warmup_steps": 2}, trials=1)
    study = Study.create(s)
    run(study)
    (trial,) = study.trials
    assert trial.state is TrialState.PRUNED and trial.metrics["stopped_at"] == 2
    assert gone(int((tmp_path / "pid").read_text()))
    if mode == "checkpoint":
        assert (tmp_path / "checkpoint").read_text() == "saved"


def test_sklearn_network_stops_training_at_the_pruned_epoch(tmp_path):
    objective = {"kind": "sklearn", "model": "mlp_classifier", "dataset": "digits",
                 "metric": "accuracy", "folds": 2, "seed": 0}
    params = (IntParam("units", 8, 9), FloatParam("learning_rate_init", 1e-5, 2e-5))
    s = spec(tmp_path, objective, pruner="threshold", options={"lower": 0.99}, trials=1,
             params=params).evolve(direction="maximize")
    study = Study.create(s)
    run(study)
    (trial,) = study.trials
    assert trial.state is TrialState.PRUNED
    assert [step for step, _ in trial.intermediate] == [1]  # one epoch trained, not 200


def test_resume_mid_rung_decides_as_an_unbroken_run(tmp_path):
    """Decisions come from the file: a study reopened mid-rung prunes the same trials."""
    s = spec(tmp_path, {"kind": "python", "path": "x.py", "function": "f"}, trials=20,
             options={"min_steps": 2, "eta": 3})
    path = tmp_path / "s.knobs"
    study = Study.create(s, path)
    levels = [0.4, 0.1, 0.7, 0.3, 0.9, 0.2]

    def feed(st: Study, level: float, upto: int = 9) -> list[str | None]:
        trial = st.ask()
        return [st.report(trial.number, k, level + 1 / k) for k in range(1, upto + 1)], trial

    for level in levels[:4]:
        decisions, trial = feed(study, level)
        study.tell(trial.number, TrialState.PRUNED if any(decisions) else TrialState.COMPLETE,
                   value=level)
    feed(study, 0.5, upto=3)  # past rung 0 (step 2), short of rung 1 (step 6): then killed
    study.file.close()

    resumed = Study.open(path)
    assert resumed.trials[-1].state is TrialState.INTERRUPTED
    unbroken = Study.create(s)
    for level in levels[:4]:
        decisions, trial = feed(unbroken, level)
        unbroken.tell(trial.number, TrialState.PRUNED if any(decisions) else TrialState.COMPLETE,
                      value=level)
    feed(unbroken, 0.5, upto=3)
    for level in levels[4:]:
        assert feed(resumed, level)[0] == feed(unbroken, level)[0]
    resumed.close()


def test_a_nan_report_is_not_stored_but_threshold_stops_it(tmp_path):
    s = spec(tmp_path, {"kind": "python", "path": "x.py", "function": "f"},
             pruner="threshold", options={"upper": 10.0})
    study = Study.create(s)
    trial = study.ask()
    assert study.report(trial.number, 1, 0.5) is None
    assert "nan" in study.report(trial.number, 2, float("nan"))
    ended = study.tell(trial.number, TrialState.PRUNED)
    assert ended.intermediate == ((1, 0.5),) and ended.value == 0.5
    assert ended.metrics["stopped_at"] == 2


DEVICE_SCRIPT = """
import json, os, sys
print(json.dumps({"value": 1.0, "slot": int(sys.argv[1]),
                  "device": os.environ.get("CUDA_VISIBLE_DEVICES")}))
"""


def test_each_worker_slot_gets_its_own_device(tmp_path):
    (tmp_path / "show.py").write_text(DEVICE_SCRIPT)
    objective = {"kind": "command", "command": "python show.py {worker}",
                 "workdir": str(tmp_path), "devices": ["3", "5"]}
    make_objective(objective).check(["x"])  # {worker} is no unknown parameter
    study = Study.create(spec(tmp_path, objective, pruner="none", options={}, trials=6))
    run(study, workers=2)
    for t in study.trials:
        assert t.state is TrialState.COMPLETE
        assert t.metrics["slot"] == t.worker
        assert t.metrics["device"] == ["3", "5"][t.worker]


def test_bad_devices_are_named():
    objective = make_objective({"kind": "command", "command": "python x.py",
                                "devices": "0,1"})
    with pytest.raises(Exception, match=r"objective.devices = '0,1': expected a list of"):
        objective.check(["x"])


def test_savings_count_steps_run_against_full_length():
    from engine.pruners.savings import savings
    from engine.trial import Trial

    trials = [Trial(0, {}, TrialState.COMPLETE, intermediate=tuple((k, 0.1) for k in range(1, 11))),
              Trial(1, {}, TrialState.PRUNED, intermediate=((1, 0.9),)),
              Trial(2, {}, TrialState.PRUNED, intermediate=((1, 0.9), (2, 0.8), (3, 0.7))),
              Trial(3, {}, TrialState.RUNNING, intermediate=((1, 0.9),))]
    s = savings(trials)
    assert (s.steps_run, s.steps_full) == (14, 30)
    assert s.text("epochs") == "14 of 30 epochs run; 53% saved"


def test_headless_run_of_the_command_example_with_asha(tmp_path):
    """The numpy/scikit-learn twin of the PyTorch example, as `main.py run --pruner asha`."""
    from tests.engine.processes import ROOT, knobs

    out = tmp_path / "s.knobs"
    done = knobs("run", ROOT / "resources/examples/command.toml", "--pruner", "asha",
                 "--trials", "8", "--workers", "2", "--out", out, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "asha pruning" in done.stdout and "% saved." in done.stdout
    study = Study.open(out, readonly=True)
    pruned = [t for t in study.trials if t.state is TrialState.PRUNED]
    assert pruned and all(t.metrics["stopped_at"] < 15 for t in pruned)
    study.close()


@pytest.mark.parametrize(("model", "size"), [("random_forest_classifier", "n_estimators"),
                                             ("hist_gradient_boosting_classifier", "max_iter")])
def test_forests_and_boosting_grow_in_steps_and_stop_growing_when_pruned(tmp_path, model, size):
    objective = {"kind": "sklearn", "model": model, "dataset": "wine", "metric": "accuracy",
                 "folds": 2, "seed": 0, "n_threads": 1}
    params = (FixedParam(size, 50),)
    full = Study.create(spec(tmp_path, objective, pruner="none", options={}, trials=1,
                             params=params).evolve(direction="maximize"))
    run(full)
    assert full.trials[0].state is TrialState.COMPLETE
    assert [s for s, _ in full.trials[0].intermediate] == list(range(2, 51, 2))
    pruned = Study.create(spec(tmp_path, objective, pruner="threshold", trials=1,
                               options={"lower": 1.01}, params=params
                               ).evolve(direction="maximize"))
    run(pruned)
    (trial,) = pruned.trials
    assert trial.state is TrialState.PRUNED
    assert trial.intermediate == full.trials[0].intermediate[:1]  # 2 trees grown, not 50


def test_a_budget_in_steps_counts_the_compute_not_the_trials(tmp_path):
    s = spec(tmp_path, python_objective(tmp_path, CURVES), trials=None).evolve(steps=40)
    study = Study.create(s, tmp_path / "s.knobs")
    run(study)
    used = [t.intermediate[-1][0] for t in study.trials]
    assert sum(used) >= 40 and sum(used[:-1]) < 40  # the last trial started under budget
    assert study.steps_used == sum(used)
    assert any(t.state is TrialState.PRUNED for t in study.trials)  # so more than 40 / 9
    assert len(study.trials) > 5
    study.close()
    again = Study.open(tmp_path / "s.knobs", readonly=True)
    assert again.spec.steps == 40 and again.steps_used == sum(used) and again.budget_spent()
    again.close()


SVC_DIGITS = {"kind": "sklearn", "model": "svc", "dataset": "digits", "metric": "accuracy",
              "folds": 2, "seed": 0, "n_threads": 1}


def test_an_svc_study_with_asha_fits_growing_fractions_and_prunes(tmp_path):
    """A model that trains in one go is judged by data fraction: steps are percents of
    the training rows, at the pruner's rungs, and a pruned trial never fits them all."""
    params = (FloatParam("C", 1e-2, 1e3, log=True), FixedParam("kernel", "rbf"),
              FloatParam("gamma", 1e-4, 10.0, log=True))
    s = spec(tmp_path, SVC_DIGITS, trials=9, options={"min_steps": 4, "eta": 3},
             params=params).evolve(direction="maximize")
    study = Study.create(s, tmp_path / "s.knobs")
    run(study)
    pruned = [t for t in study.trials if t.state is TrialState.PRUNED]
    complete = [t for t in study.trials if t.state is TrialState.COMPLETE]
    assert pruned and complete
    for t in complete:
        assert [step for step, _ in t.intermediate] == [4, 12, 36, 100]
        assert t.value == pytest.approx(t.intermediate[-1][1])
    for t in pruned:
        assert t.metrics["stopped_at"] in (4, 12, 36)
        assert t.intermediate[-1][0] == t.metrics["stopped_at"]
    # Each fraction is a fit of its own: a full trial fits 4 + 12 + 36 + 100 = 152% of
    # the rows, a trial stopped at 36% fitted 52%; so are used and full counted.
    fitted = sum(step for t in study.trials for step, _ in t.intermediate)
    assert study.savings == (fitted, 152 * len(study.trials), 152)
    saved = 1 - fitted / (152 * len(study.trials))
    assert study.summary().savings_text == (
        f"{fitted / 100:,.1f} of {152 * len(study.trials) / 100:,.0f} trials' rows fitted; "
        f"{saved:.0%} saved")
    study.close()


def test_a_pruned_svc_trial_trained_on_fewer_rows(monkeypatch):
    from sklearn.svm import SVC

    from engine.objectives.sklearn_fits import growing_order

    fitted: list[int] = []
    real_fit = SVC.fit

    def fit(self, X, y, *args, **kwargs):
        fitted.append(len(X))
        return real_fit(self, X, y, *args, **kwargs)

    monkeypatch.setattr(SVC, "fit", fit)
    objective = make_objective(SVC_DIGITS)
    params = {"C": 1.0, "kernel": "rbf", "gamma": 0.01}
    objective.evaluate(params, lambda step, value: False)
    all_rows = fitted  # no pruner: one fit per fold on all its training rows
    assert len(all_rows) == 2 and min(all_rows) > 800
    fitted = []
    steps = []

    def report(step, value):
        steps.append(step)
        return step == 12  # the pruner says stop at the second fraction

    with pytest.raises(TrialPruned):
        objective.with_row_percents((4, 12, 36, 100)).evaluate(params, report)
    assert steps == [4, 12]
    expected = [math.ceil(n * p / 100) for p in (4, 12) for n in all_rows]
    assert fitted == expected and max(fitted) < 0.13 * max(all_rows)
    # Every prefix of the row order keeps the classes' shares (here: all ten classes).
    y = np.repeat(np.arange(10), 18)
    order = growing_order(y, seed=0, stratify=True)
    assert len(np.unique(y[order[:10]])) == 10
