"""Several objectives and constraints: the spec, the study file, the study's front."""

import shutil
import sqlite3
from pathlib import Path

import pytest

from engine.goals import Goal, Limit
from engine.spec import SpecError, dump_spec, parse_spec, spec_from_dict
from engine.storage import SCHEMA_VERSION
from engine.study import Study
from engine.trial import TrialState

DATA = Path(__file__).parent / "data"


def base(**extra):
    data = {
        "name": "mo",
        "objective": {"kind": "sklearn", "model": "logistic_regression", "dataset": "iris"},
        "params": [{"name": "C", "type": "float", "low": 0.01, "high": 10.0, "log": True}],
    }
    data.update(extra)
    return data


def python_spec(**extra):
    data = {"name": "mo", "objective": {"kind": "python", "path": "f.py", "function": "f"},
            "params": [{"name": "x", "type": "float", "low": 0.0, "high": 1.0}]}
    data.update(extra)
    return spec_from_dict(data)


# --- the spec ------------------------------------------------------------------------------


def test_one_objective_stays_as_it_was():
    spec = spec_from_dict(base())
    assert spec.objectives == () and spec.constraints == ()
    assert spec.goals == (Goal("value", "maximize"),) and not spec.is_multi
    assert "objectives" not in dump_spec(spec)


def test_objectives_and_constraints_read_and_round_trip():
    spec = parse_spec("""
name = "mo"
[objective]
kind = "sklearn"
model = "logistic_regression"
dataset = "iris"
[[objectives]]
metric = "value"
[[objectives]]
metric = "fit_time"
[[constraints]]
metric = "fit_time"
max = 5
[[constraints]]
metric = "value"
min = 0.9
[[params]]
name = "C"
type = "float"
low = 0.01
high = 10.0
""")
    # Directions come from the metrics: accuracy up, seconds down.
    assert spec.goals == (Goal("value", "maximize"), Goal("fit_time", "minimize"))
    assert spec.constraints == (Limit("fit_time", max=5.0), Limit("value", min=0.9))
    assert spec.is_multi
    assert parse_spec(dump_spec(spec)) == spec
    assert parse_spec(dump_spec(spec, fmt="json"), fmt="json") == spec


def test_every_problem_is_named_at_once():
    with pytest.raises(SpecError) as err:
        spec_from_dict(base(
            objectives=[{"metric": "value", "direction": "minimize"},
                        {"metric": "fit_seconds", "direction": "minimize"},
                        {"metric": "fit_time", "direction": "maximize"}],
            constraints=[{"metric": "predict_time", "min": 3, "max": 1},
                         {"metric": "model_size_kb"},
                         {"metric": "fit_time", "max": -1}]))
    problems = err.value.problems
    assert len(problems) == 6
    text = "\n".join(problems)
    assert "objectives[0].direction = 'minimize': the main score is better when higher" in text
    assert "objectives[1].metric = 'fit_seconds': this objective does not report it; " \
           "expected one of value, fit_time, predict_time, model_size_kb, std" in text
    assert "objectives[2].direction = 'maximize': fit_time is better when lower" in text
    assert "constraints[0].min = 3 and max = 1: no value can meet both" in text
    assert "constraints[1].: give max, min or both" in text
    assert "constraints[2].max = -1: training time (s) is never negative" in text


def test_a_function_may_report_any_metric_but_its_direction_must_be_said():
    spec = python_spec(direction="minimize",
                       objectives=[{"metric": "value"},
                                   {"metric": "latency_ms", "direction": "minimize"}])
    assert spec.goals == (Goal("value", "minimize"), Goal("latency_ms", "minimize"))
    with pytest.raises(SpecError, match=r"objectives\[1\].direction: missing; say whether "
                                        "latency_ms is better lower"):
        python_spec(objectives=[{"metric": "value"}, {"metric": "latency_ms"}])
    with pytest.raises(SpecError, match=r"objectives\[1\].metric = 'value': named twice"):
        python_spec(objectives=[{"metric": "value"}, {"metric": "value"}])


def test_the_main_score_direction_may_be_written_as_an_objective():
    spec = python_spec(objectives=[{"metric": "value", "direction": "maximize"}])
    assert spec.direction == "maximize"


def test_changing_objectives_is_another_search():
    one = python_spec(objectives=[{"metric": "value", "direction": "minimize"},
                                  {"metric": "t", "direction": "minimize"}])
    assert not one.same_search_as(python_spec())
    assert one.same_search_as(one.evolve(sampler="bayes", trials=9))


# --- the study file ------------------------------------------------------------------------


def test_a_version_1_study_file_opens_unchanged_and_is_brought_to_the_new_schema(tmp_path):
    path = tmp_path / "old.knobs"
    shutil.copy(DATA / "study_v1.knobs", path)
    ro = Study.open(path, readonly=True)  # read-only: read as it is, not written
    assert [t.value for t in ro.trials] == [0.5, 0.7, 0.6, None]
    assert ro.best_trial.number == 1 and not ro.is_multi
    ro.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 1

    study = Study.open(path)
    assert [t.value for t in study.trials] == [0.5, 0.7, 0.6, None]
    assert study.trials[0].intermediate == ((1, 0.25),)
    assert study.trials[3].error == "boom"
    assert study.best_trial.number == 1
    t = study.ask()
    study.tell(t.number, TrialState.COMPLETE, value=0.9)
    study.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    again = Study.open(path)
    assert [t.value for t in again.trials] == [0.5, 0.7, 0.6, None, 0.9]
    again.close()


# --- the study -----------------------------------------------------------------------------


def _two_objectives(**extra):
    return spec_from_dict(base(
        objectives=[{"metric": "value"}, {"metric": "fit_time"}],
        constraints=[{"metric": "fit_time", "max": 5}], **extra))


def _tell_all(study, results):
    for value, fit_time in results:
        t = study.ask()
        study.tell(t.number, TrialState.COMPLETE, value=value, metrics={"fit_time": fit_time})


def test_the_front_ranks_and_feasibility_of_a_study(tmp_path):
    study = Study.create(_two_objectives(), tmp_path / "s.knobs")
    # (accuracy, seconds): 0.95@2 and 0.9@1 and 0.8@0.5 trade off; 0.85@2 is beaten by
    # 0.95@2; 0.97@6 beats everything but breaks the 5 s limit.
    _tell_all(study, [(0.9, 1), (0.95, 2), (0.8, 0.5), (0.97, 6), (0.85, 2)])
    front = study.pareto_front
    assert [t.number for t in front] == [1, 0, 2]  # sorted by the first objective, best first
    assert front[0].values == (0.95, 2.0)
    assert study.ranks() == {0: 0, 1: 0, 2: 0, 4: 1, 3: 2}
    assert study.trials[3].violation == pytest.approx(1.0) and not study.trials[3].feasible
    assert study.best_trial is None  # several objectives: the front says what is best
    assert study.summary().front_size == 3
    study.close()
    reopened = Study.open(tmp_path / "s.knobs")
    assert [t.number for t in reopened.pareto_front] == [1, 0, 2]
    assert reopened.trials[3].violation == pytest.approx(1.0)
    reopened.close()


def test_a_trial_missing_an_objective_metric_fails_with_the_reason():
    study = Study(_two_objectives())
    t = study.ask()
    told = study.tell(t.number, TrialState.COMPLETE, value=0.9, metrics={"std": 0.1})
    assert told.state is TrialState.FAILED
    assert told.error == "the objective reported no metric 'fit_time' (numbers it reported: std)"
    assert study.pareto_front == []


def test_one_objective_with_a_constraint_has_a_best_feasible_trial():
    spec = spec_from_dict(base(constraints=[{"metric": "fit_time", "max": 5}]))
    study = Study(spec)
    _tell_all(study, [(0.9, 1), (0.99, 9), (0.92, 4)])
    assert study.best_trial.value == 0.92
    assert study.summary().front_size is None


def test_the_front_follows_the_directions():
    spec = python_spec(objectives=[{"metric": "value", "direction": "minimize"},
                                   {"metric": "score", "direction": "maximize"}])
    study = Study(spec)
    for loss, score in [(1, 1), (2, 3), (2, 2), (0.5, 0.5)]:
        t = study.ask()
        study.tell(t.number, TrialState.COMPLETE, value=loss, metrics={"score": score})
    assert [t.number for t in study.pareto_front] == [3, 0, 1]
