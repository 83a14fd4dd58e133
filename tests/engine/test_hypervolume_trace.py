"""The hypervolume over trials: a fixed, stated reference point, kept as trials finish."""

import numpy as np
import pytest

from engine.analysis import TrialColumns, goal_history
from engine.goals import Goal, Limit
from engine.hypervolume_trace import REFERENCE_TRIALS, HypervolumeTrace
from engine.pareto import hypervolume
from engine.space import FloatParam, SearchSpace
from engine.trial import Trial, TrialState

GOALS2 = (Goal("value", "maximize"), Goal("fit_time", "minimize"))


def done(n, values, violation=0.0):
    return Trial(n, {"x": 0.5}, TrialState.COMPLETE, value=values[0], values=tuple(values),
                 violation=violation, metrics={"fit_time": values[1]})


def running(n):
    return Trial(n, {"x": 0.5})


class Exploding:
    """A trial the trace must not read again: touching it fails the test."""

    def __getattr__(self, name):
        raise AssertionError("a settled trial was read again")


def from_scratch(trials, goals, ref_point, upto):
    signs = np.array([g.sign for g in goals])
    pts = [signs * np.array(t.values) for t in trials[: upto + 1]
           if t.state is TrialState.COMPLETE and t.feasible]
    return hypervolume(np.array(pts).reshape(len(pts), len(goals)), signs * np.array(ref_point))


@pytest.mark.parametrize("m", [2, 3])
def test_the_curve_equals_the_hypervolume_from_scratch_and_never_rereads_a_trial(m):
    rng = np.random.default_rng(m)
    goals = tuple(Goal(f"f{j}" if j else "value", "minimize") for j in range(m))
    trials = []
    trace = HypervolumeTrace(goals)
    for n in range(60):
        values = rng.random(m)
        values /= np.linalg.norm(values) ** (0.5 + rng.random())  # some near a front
        trials.append(Trial(n, {}, TrialState.COMPLETE, value=values[0],
                            values=tuple(values), violation=float(n % 7 == 3)))
        if n % 5 == 4:  # a batch
            trace.update(trials)
            for k in range(trace._next):
                trials[k] = Exploding()  # incremental: settled trials are never read again
    trace.update(trials)
    real = []
    rng = np.random.default_rng(m)
    for n in range(60):
        values = rng.random(m)
        values /= np.linalg.norm(values) ** (0.5 + rng.random())
        real.append(Trial(n, {}, TrialState.COMPLETE, value=values[0], values=tuple(values),
                          violation=float(n % 7 == 3)))
    assert trace.reference.fixed
    assert len(trace.numbers) == sum(1 for t in real if t.feasible)
    for n, v in zip(trace.numbers, trace.volumes):
        assert v == pytest.approx(from_scratch(real, goals, trace.reference.point, n))
    assert np.all(np.diff(trace.volumes) >= -1e-12)  # never shrinks


def test_the_reference_is_the_limit_or_beyond_the_worst_of_the_first_trials_and_stays():
    limits = (Limit("fit_time", max=5.0),)
    trace = HypervolumeTrace(GOALS2, limits)
    first = [done(n, (0.8 + 0.01 * n, 1.0 + n * 0.2)) for n in range(REFERENCE_TRIALS)]
    trace.update(first[:3])
    assert not trace.reference.fixed  # provisional while fewer than 10 trials count
    trace.update(first)
    ref = trace.reference
    assert ref.fixed and ref.point[1] == 5.0 and ref.why[1] == "its limit"
    # accuracy is maximised: 10% of the spread (0.09) below the worst (0.80)
    assert ref.point[0] == pytest.approx(0.8 - 0.009)
    assert ref.why[0] == "10% beyond the worst of trials 0-9"
    later = first + [done(10, (0.1, 0.2)), done(11, (0.99, 0.1))]
    trace.update(later)
    assert trace.reference == ref  # a far worse trial later does not move it
    assert trace.volumes[-1] == pytest.approx((0.99 - 0.791) * (5.0 - 0.1))
    text = trace.reference_text("accuracy")
    assert text.startswith("accuracy 0.791 (10% beyond") and "training time 5 s (its limit)" in text


def test_a_running_trial_holds_back_the_settled_part_but_not_the_curve():
    trace = HypervolumeTrace(GOALS2, (Limit("fit_time", max=5.0), Limit("value", min=0.0)))
    trials = [done(0, (0.5, 2.0)), running(1), done(2, (0.9, 1.0))]
    trace.update(trials)
    assert trace._next == 1
    assert list(trace.numbers) == [0, 2]
    assert trace.volumes[-1] == pytest.approx(0.9 * 4.0)
    trials[1] = done(1, (0.95, 3.0))  # finishes late, better in accuracy
    trace.update(trials)
    assert list(trace.numbers) == [0, 1, 2] and trace._next == 3
    assert trace.volumes[-1] == pytest.approx(from_scratch(trials, GOALS2, (0.0, 5.0), 2))


def test_trials_outside_the_limits_add_nothing():
    trace = HypervolumeTrace(GOALS2, (Limit("fit_time", max=5.0), Limit("value", min=0.0)))
    trace.update([done(0, (0.5, 2.0)), done(1, (0.99, 6.0), violation=1.0)])
    assert list(trace.numbers) == [0] and trace.volumes[0] == pytest.approx(1.5)


def test_one_objective_history_of_a_study_of_several():
    space = SearchSpace([FloatParam("x", 0.0, 1.0)])
    trials = [done(0, (0.8, 2.0)), done(1, (0.9, 6.0), violation=1.0), done(2, (0.7, 1.0)),
              running(3)]
    columns = TrialColumns(space, "maximize", trials)
    h = goal_history(columns, GOALS2[1])
    assert list(h.numbers) == [0, 1, 2, 3]
    assert np.allclose(h.values[:3], [2.0, 6.0, 1.0]) and np.isnan(h.values[3])
    # best so far among complete trials within the limits, lower is better
    assert list(h.best_numbers) == [0, 2] and list(h.best_values) == [2.0, 1.0]
