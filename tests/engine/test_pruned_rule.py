"""The rule samplers use for pruned trials (engine/samplers/_pruned.py)."""

from __future__ import annotations

import pytest

from engine.samplers import BayesSampler
from engine.samplers._pruned import full_length_estimate, pruned_as_complete
from engine.space import FloatParam, SearchSpace
from engine.trial import Trial, TrialState


def complete(n: int, at3: float, final: float) -> Trial:
    return Trial(n, {"x": n / 10}, TrialState.COMPLETE, value=final,
                 intermediate=((1, at3 + 1), (3, at3), (9, final)))


def pruned(n: int, at3: float) -> Trial:
    return Trial(n, {"x": n / 10}, TrialState.PRUNED, value=at3,
                 intermediate=((1, at3 + 1), (3, at3)))


COMPLETE = [complete(0, 0.2, 0.1), complete(1, 0.4, 0.3), complete(2, 0.6, 0.5)]


def test_a_trial_pruned_last_gets_the_worst_final_value():
    assert full_length_estimate(pruned(5, 0.9), COMPLETE, "minimize") == pytest.approx(0.5)


def test_a_trial_pruned_narrowly_gets_a_middle_value():
    # Ranked like the middle complete trial at step 3: its final value, not the worst.
    assert full_length_estimate(pruned(5, 0.4), COMPLETE, "minimize") == pytest.approx(0.3)


def test_maximize_mirrors_minimize():
    flipped = [t.evolve(value=-t.value, intermediate=tuple((s, -v) for s, v in t.intermediate))
               for t in COMPLETE]
    assert full_length_estimate(pruned(5, -0.4), flipped, "maximize") == pytest.approx(-0.3)


def test_with_too_few_curves_at_that_step_it_is_the_worst():
    short = [Trial(0, {}, TrialState.COMPLETE, value=0.1, intermediate=((1, 0.5),)),
             complete(1, 0.4, 0.3)]
    assert full_length_estimate(pruned(5, 0.0), short, "minimize") == pytest.approx(0.3)


def test_samplers_see_pruned_trials_as_complete_at_their_estimate():
    trials = [*COMPLETE, pruned(3, 0.4), Trial(4, {"x": 0.4}, TrialState.FAILED)]
    seen = pruned_as_complete(trials, "minimize")
    assert seen[3].state is TrialState.COMPLETE and seen[3].value == pytest.approx(0.3)
    assert seen[4].state is TrialState.FAILED
    assert pruned_as_complete([pruned(0, 0.4)], "minimize")[0].state is TrialState.PRUNED


def test_bayes_asks_with_pruned_trials_in_the_history():
    space = SearchSpace((FloatParam("x", 0.0, 1.0),))
    sampler = BayesSampler(space, seed=0, n_startup=3)
    trials = [*COMPLETE, pruned(3, 0.9), pruned(4, 0.5)]
    assert space.contains(sampler.ask(trials))
