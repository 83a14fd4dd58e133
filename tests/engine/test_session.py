"""A study's life: the rules the window and the command line share (engine.session)."""

from pathlib import Path

import pytest

from engine import session
from engine.space import FloatParam, IntParam
from engine.spec import StudySpec
from engine.storage import StudyFileError
from engine.study import Study
from engine.trial import TrialState

FAULTY = str(Path(__file__).parent / "objectives" / "faulty.py")


def spec(**changes) -> StudySpec:
    base = StudySpec(
        name="My study", params=(FloatParam("x", 0.0, 1.0),),
        objective={"kind": "python", "path": FAULTY, "function": "good"},
        sampler="random", trials=4, seed=1,
    )
    return base.evolve(**changes)


def with_trial(study: Study) -> Study:
    t = study.ask()
    study.tell(t.number, TrialState.COMPLETE, value=0.5)
    return study


def test_the_same_search_continues_in_place_with_new_run_settings(tmp_path):
    study = with_trial(Study.create(spec(), tmp_path / "s.knobs"))
    plan = session.plan_run(study, spec(trials=10, sampler="sobol"), tmp_path)
    assert plan == session.RunPlan("continue", tmp_path / "s.knobs")
    same = session.start(study, spec(trials=10, sampler="sobol"), plan)
    assert same is study and study.spec.trials == 10 and len(study.trials) == 1
    study.close()


def test_an_empty_study_file_takes_a_changed_setup_whole(tmp_path):
    study = Study.create(spec(), tmp_path / "s.knobs")
    changed = spec(params=(IntParam("n", 1, 5),))
    plan = session.plan_run(study, changed, tmp_path)
    assert plan.action == "overwrite" and plan.path == tmp_path / "s.knobs"
    new = session.start(study, changed, plan)
    assert new.spec == changed and Study.open(tmp_path / "s.knobs", readonly=True).spec == changed
    new.close()


def test_a_changed_search_with_trials_starts_a_new_file_and_says_what_changed(tmp_path):
    study = with_trial(Study.create(spec(), tmp_path / "My-study.knobs"))
    changed = spec(params=(FloatParam("x", 0.0, 2.0), IntParam("n", 1, 5)), direction="maximize")
    plan = session.plan_run(study, changed, tmp_path)
    assert plan.action == "new" and plan.path == tmp_path / "My-study-2.knobs"
    assert plan.changes == ("parameters added: n", "parameters changed: x",
                            "direction changed: minimize -> maximize")
    new = session.start(study, changed, plan)
    assert len(new.trials) == 0
    assert len(Study.open(tmp_path / "My-study.knobs", readonly=True).trials) == 1  # kept
    new.close()


def test_a_new_study_goes_next_to_the_open_one_else_the_spec_else_the_default(tmp_path):
    (tmp_path / "a").mkdir()
    study = Study.create(spec(), tmp_path / "a" / "s.knobs")
    assert session.new_study_folder(study, tmp_path / "spec", tmp_path / "d") == tmp_path / "a"
    assert session.new_study_folder(None, tmp_path / "spec", tmp_path / "d") == tmp_path / "spec"
    assert session.new_study_folder(None, None, tmp_path / "d") == tmp_path / "d"
    study.close()


def test_resume_refuses_another_search_and_leaves_the_file_alone(tmp_path):
    with_trial(Study.create(spec(), tmp_path / "s.knobs")).close()
    before = (tmp_path / "s.knobs").read_bytes()
    with pytest.raises(StudyFileError, match="objective changed: function"):
        session.resume(tmp_path / "s.knobs",
                       spec(objective={"kind": "python", "path": FAULTY, "function": "raises"}))
    assert (tmp_path / "s.knobs").read_bytes() == before
    resumed = session.resume(tmp_path / "s.knobs", spec(trials=9))
    assert resumed.spec.trials == 9 and len(resumed.trials) == 1
    resumed.close()


def test_a_run_without_an_end_is_refused():
    assert session.budget_problem(spec(trials=None)).startswith("no budget")
    assert session.budget_problem(spec(trials=None, time_s=5.0)) is None
    grid = spec(trials=None, sampler="grid", params=(IntParam("n", 1, 5),))
    assert session.budget_problem(grid) is None  # an exhaustible grid ends by itself
