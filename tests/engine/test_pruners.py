"""Contract tests run against every pruner, then each pruner's own rule."""

from __future__ import annotations

import math

import pytest

from engine.pruners import PRUNER_NAMES, make_pruner, option_defaults
from engine.spec import SpecError, dump_spec, parse_spec
from engine.trial import Trial, TrialState

# Options that make every pruner able to prune the curves below.
OPTIONS = {
    "none": {},
    "median": {"warmup_steps": 3, "min_trials": 2},
    "threshold": {"upper": 0.5, "warmup_steps": 3},
    "asha": {"min_steps": 3, "eta": 2},
    "hyperband": {"min_steps": 3, "max_steps": 48, "eta": 2},
}


def curve(number: int, level: float, steps: int, state=TrialState.COMPLETE) -> Trial:
    """A minimised loss that falls from ``level + 1`` towards ``level``."""
    points = tuple((s, level + 1.0 / s) for s in range(1, steps + 1))
    return Trial(number=number, params={"x": level}, state=state, intermediate=points)


def history(n: int = 12, steps: int = 48) -> list[Trial]:
    return [curve(i, 0.05 * i, steps) for i in range(n)]


def decide(pruner, trial: Trial, trials: list[Trial]) -> str | None:
    """Report the trial's curve step by step, as the study does; the first decision."""
    for k in range(1, len(trial.intermediate) + 1):
        partial = trial.evolve(intermediate=trial.intermediate[:k], state=TrialState.RUNNING)
        reason = pruner.should_prune(partial, [*trials, partial])
        if reason is not None:
            return reason
    return None


@pytest.mark.parametrize("name", PRUNER_NAMES)
def test_never_prunes_before_warmup(name):
    pruner = make_pruner(name, options=OPTIONS[name], seed=1)
    trials = history()
    worst = curve(len(trials), 10.0, pruner.first_step - 1 if pruner.first_step else 0,
                  state=TrialState.RUNNING)
    assert decide(pruner, worst, trials) is None


@pytest.mark.parametrize("name", [n for n in PRUNER_NAMES if n != "none"])
def test_a_hopeless_trial_is_pruned_with_its_rule_named(name):
    pruner = make_pruner(name, options=OPTIONS[name], seed=1)
    trials = history()
    # In hyperband a trial competes within its bracket; give every bracket its trials.
    number = next(i for i in range(100, 200) if name != "hyperband" or pruner.bracket(i) == 0)
    worst = curve(number, 10.0, 48, state=TrialState.RUNNING)
    reason = decide(pruner, worst, trials)
    assert reason is not None and reason.startswith(name)


@pytest.mark.parametrize("name", PRUNER_NAMES)
def test_decisions_depend_only_on_reports(name):
    """Params, times, workers and order of the trials list change nothing."""
    pruner = make_pruner(name, options=OPTIONS[name], seed=1)
    trials = history()
    other = [t.evolve(params={"y": t.number}, worker=7, started_at=5.0) for t in reversed(trials)]
    for level in (0.0, 0.3, 0.8, 10.0):
        t = curve(50, level, 48, state=TrialState.RUNNING)
        assert decide(pruner, t, trials) == decide(pruner, t, other)


@pytest.mark.parametrize("name", PRUNER_NAMES)
def test_deterministic_with_a_seed(name):
    trials = history()
    runs = []
    for _ in range(2):
        pruner = make_pruner(name, options=OPTIONS[name], seed=7)
        runs.append([decide(pruner, curve(n, 0.05 * (n % 13), 48, TrialState.RUNNING), trials)
                     for n in range(20, 60)])
    assert runs[0] == runs[1]


@pytest.mark.parametrize("name", PRUNER_NAMES)
def test_failed_trials_curves_do_not_count(name):
    pruner = make_pruner(name, options=OPTIONS[name], seed=1)
    failed = [curve(i, 100.0, 48, state=TrialState.FAILED) for i in range(12)]
    t = curve(40, 1.0, 48, state=TrialState.RUNNING)
    if name == "threshold":
        t = curve(40, 0.1, 48, state=TrialState.RUNNING)
    assert decide(pruner, t, failed) is None


@pytest.mark.parametrize("eta", [2, 3, 4])
@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_asha_promotes_exactly_the_top_1_over_eta(eta, direction):
    pruner = make_pruner("asha", options={"min_steps": 1, "eta": eta}, direction=direction)
    n = 6 * eta
    values = [((i * 7919) % n) / n for i in range(n)]  # distinct, shuffled
    reached = [Trial(number=i, params={}, state=TrialState.RUNNING, intermediate=((1, v),))
               for i, v in enumerate(values)]
    kept = [t for t in reached if pruner.should_prune(t, reached) is None]
    assert len(kept) == n // eta
    ranked = sorted(values, reverse=direction == "maximize")
    assert sorted(t.intermediate[0][1] for t in kept) == sorted(ranked[: n // eta])


def test_asha_never_waits_for_a_rung_to_fill():
    """The first trial at a rung goes on; the second goes on only if better (eta=2)."""
    pruner = make_pruner("asha", options={"min_steps": 2, "eta": 2})
    first = Trial(0, {}, intermediate=((1, 0.5), (2, 0.5)))
    assert pruner.should_prune(first, [first]) is None
    worse = Trial(1, {}, intermediate=((1, 0.9), (2, 0.9)))
    better = Trial(2, {}, intermediate=((1, 0.1), (2, 0.1)))
    assert pruner.should_prune(worse, [first, worse]) is not None
    assert pruner.should_prune(better, [first, better]) is None


def test_asha_decides_once_per_rung_even_with_sparse_reports():
    pruner = make_pruner("asha", options={"min_steps": 4, "eta": 2})
    good = Trial(0, {}, intermediate=((5, 0.1),))
    bad = Trial(1, {}, intermediate=((1, 0.9), (5, 0.9)))  # jumped over step 4
    assert pruner.should_prune(bad, [good, bad]) is not None
    later = bad.evolve(intermediate=((1, 0.9), (5, 0.9), (6, 0.9)))
    assert pruner.should_prune(later, [good, later]) is None  # no rung between 5 and 6


def test_median_compares_with_the_median_at_the_same_step():
    pruner = make_pruner("median", options={"warmup_steps": 0, "min_trials": 3},
                         direction="maximize")
    others = [Trial(i, {}, intermediate=((1, v), (2, v))) for i, v in enumerate((0.2, 0.5, 0.8))]
    below = Trial(9, {}, state=TrialState.RUNNING, intermediate=((2, 0.4),))
    above = Trial(9, {}, state=TrialState.RUNNING, intermediate=((2, 0.6),))
    assert "median 0.5" in pruner.should_prune(below, [*others, below])
    assert pruner.should_prune(above, [*others, above]) is None
    early = Trial(9, {}, state=TrialState.RUNNING, intermediate=((3, 0.0),))  # nobody at 3
    assert pruner.should_prune(early, [*others, early]) is None


def test_threshold_stops_out_of_bounds_and_nan():
    pruner = make_pruner("threshold", options={"lower": 0.0, "upper": 1.0})
    inside = Trial(0, {}, intermediate=((1, 0.5),))
    assert pruner.should_prune(inside, [inside]) is None
    assert "above upper" in pruner.should_prune(inside.evolve(intermediate=((1, 2.0),)), [])
    assert "below lower" in pruner.should_prune(inside.evolve(intermediate=((1, -1.0),)), [])
    assert "nan" in pruner.should_prune_nonfinite(inside, 3, math.nan)
    assert make_pruner("median").should_prune_nonfinite(inside, 3, math.nan) is None


def test_hyperband_brackets_are_stable_and_all_used():
    a = make_pruner("hyperband", options={"min_steps": 1, "max_steps": 81}, seed=3)
    b = make_pruner("hyperband", options={"min_steps": 1, "max_steps": 81}, seed=3)
    brackets = [a.bracket(n) for n in range(400)]
    assert brackets == [b.bracket(n) for n in range(400)]
    assert set(brackets) == set(range(a.n_brackets)) and a.n_brackets == 5
    # Aggressive brackets get more trials, as in Hyperband.
    assert brackets.count(0) > brackets.count(a.n_brackets - 1)
    assert a.rungs(next(n for n in range(400) if a.bracket(n) == 2)) == (9, 27)


# --- the [pruner] table of a spec -----------------------------------------------------

SPEC = """
name = "s"
[objective]
kind = "python"
path = "f.py"
function = "f"
[[params]]
name = "x"
type = "float"
low = 0.0
high = 1.0
"""


@pytest.mark.parametrize("fmt", ["toml", "json"])
@pytest.mark.parametrize("name", PRUNER_NAMES)
def test_pruner_settings_round_trip(name, fmt):
    spec = parse_spec(SPEC + f'[pruner]\nname = "{name}"\n' + "".join(
        f"{k} = {v}\n" for k, v in OPTIONS[name].items()))
    again = parse_spec(dump_spec(spec, fmt=fmt), fmt=fmt)
    assert (again.pruner, again.pruner_options) == (name, OPTIONS[name])


def test_no_pruner_table_means_none():
    spec = parse_spec(SPEC)
    assert spec.pruner == "none" and "[pruner]" not in dump_spec(spec)


def test_bad_pruner_settings_are_all_named_at_once():
    with pytest.raises(SpecError) as err:
        parse_spec(SPEC + '[pruner]\nname = "asha"\neta = 1\nmin_steps = "a"\nspeed = 3\n')
    problems = err.value.problems
    assert "pruner.eta = 1: expected a whole number >= 2" in problems
    assert any(p.startswith("pruner.min_steps = 'a': expected a whole number") for p in problems)
    assert any(p.startswith("pruner.speed: unknown option for asha; accepted: min_steps")
               for p in problems)
    with pytest.raises(SpecError, match=r"pruner.name = 'fast': expected one of none, median"):
        parse_spec(SPEC + '[pruner]\nname = "fast"\n')
    with pytest.raises(SpecError, match="give at least one bound"):
        parse_spec(SPEC + '[pruner]\nname = "threshold"\n')
    with pytest.raises(SpecError, match="max_steps = 3: must be greater than min_steps = 9"):
        parse_spec(SPEC + '[pruner]\nname = "hyperband"\nmin_steps = 9\nmax_steps = 3\n')


def test_every_option_has_a_default():
    for name in PRUNER_NAMES:
        make_pruner(name, options={"upper": 1.0} if name == "threshold" else {})
        assert all(k.isidentifier() for k in option_defaults(name))


# --- decisions kept incrementally by the study -------------------------------------------


@pytest.mark.parametrize("name", ["median", "asha", "hyperband"])
def test_the_study_decides_as_a_pass_over_every_trial_would(name):
    """The study feeds the pruner report by report (failed trials taken out again, sparse
    steps, reopened on stored trials); each decision equals the one-off judgement of the
    same trial against the study's trials at that moment."""
    import numpy as np

    from engine.space import FloatParam
    from engine.spec import StudySpec
    from engine.study import Study

    spec = StudySpec(name="s", params=(FloatParam("x", 0.0, 1.0),), sampler="random",
                     objective={"kind": "python", "path": "x.py", "function": "f"},
                     pruner=name, pruner_options=OPTIONS[name], seed=2)
    rng = np.random.default_rng(5)
    study = Study(spec)
    decisions = 0
    for i in range(60):
        if i == 30:  # reopened on what is stored: the pruner starts from the trials
            study = Study(spec, trials=study.trials)
        trial = study.ask()
        level, stride = rng.random(), int(rng.choice([1, 1, 2, 5]))
        stopped = False
        for s in range(stride, 49, stride):
            value = level + float(rng.normal(0, 0.05)) + 1.0 / s
            reason = study.report(trial.number, s, value)
            fresh = make_pruner(name, options=OPTIONS[name], seed=2)
            assert reason == fresh.should_prune(study.trial(trial.number), study.trials)
            decisions += reason is not None
            if reason is not None:
                stopped = True
                break
        state = (TrialState.FAILED if i % 7 == 3 else
                 TrialState.PRUNED if stopped else TrialState.COMPLETE)
        study.tell(trial.number, state, value=None if state is not TrialState.COMPLETE
                   else value)
    assert decisions > 5


def test_the_savings_in_the_summary_follow_the_trials_as_they_end():
    from engine.pruners.savings import savings
    from engine.space import FloatParam
    from engine.spec import StudySpec
    from engine.study import Study

    spec = StudySpec(name="s", params=(FloatParam("x", 0.0, 1.0),), sampler="random",
                     objective={"kind": "sklearn", "model": "mlp_classifier"},
                     pruner="median", pruner_options={"min_trials": 100}, seed=2)
    study = Study(spec)
    assert study.summary().savings_text == ""
    for i, length in enumerate([10, 10, 3, 1, 12, 4]):
        trial = study.ask()
        for s in range(1, length + 1):
            study.report(trial.number, s, 1.0 / s + i)
        study.tell(trial.number, TrialState.PRUNED if length != 10 else TrialState.COMPLETE,
                   value=1.0 / length + i)
        expected = savings(study.trials)
        if study.counts()[TrialState.PRUNED]:
            assert study.summary().savings_text == expected.text("epochs")
    # A trial longer than the complete ones counts as a full one.
    assert expected == (10 + 10 + 3 + 1 + 10 + 4, 60, 10)


def test_data_fraction_savings_count_fits():
    from engine.pruners.fidelity import ROWS
    from engine.pruners.savings import Savings

    assert Savings(460, 1000, 100).text(ROWS) == "4.6 of 10 trials' rows fitted; 54% saved"


def test_data_fraction_savings_count_every_fraction_fitted():
    """Each data fraction is a fit from scratch: a full trial on the 4/12/36/100 ladder
    fits 152% of the rows, one stopped at 12% fitted 16%."""
    from engine.pruners.savings import savings
    from engine.trial import Trial

    def trial(number, steps, state):
        return Trial(number=number, params={}, state=state,
                     intermediate=tuple((s, 0.5) for s in steps))

    trials = [trial(0, (4, 12, 36, 100), TrialState.COMPLETE),
              trial(1, (4, 12), TrialState.PRUNED), trial(2, (4,), TrialState.PRUNED)]
    assert savings(trials, refits=True) == (152 + 16 + 4, 3 * 152, 152)
    # Epochs go on from the one before: the last step is the work.
    assert savings(trials) == (100 + 12 + 4, 300, 100)


def test_a_step_budget_counts_every_data_fraction_fitted():
    from engine.space import FloatParam
    from engine.spec import StudySpec
    from engine.study import Study

    spec = StudySpec(name="s", params=(FloatParam("C", 0.1, 10.0),), sampler="random",
                     objective={"kind": "sklearn", "model": "svc", "dataset": "digits"},
                     pruner="asha", pruner_options={"min_steps": 4}, seed=0, steps=160)
    study = Study(spec)
    trial = study.ask()
    for step in (4, 12, 36, 100):
        study.report(trial.number, step, 0.9)
    study.tell(trial.number, TrialState.COMPLETE, value=0.9)
    assert study.steps_used == 152 and not study.budget_spent()
    second = study.ask()
    study.report(second.number, 4, 0.5)
    study.report(second.number, 12, 0.5)
    assert study.steps_used == 168 and study.budget_spent()
