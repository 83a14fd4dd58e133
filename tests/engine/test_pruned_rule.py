"""The rule samplers use for pruned trials (engine/samplers/_pruned.py)."""

from __future__ import annotations

import pytest

from engine.samplers import BayesSampler
from engine.samplers._pruned import (
    deepest_rung,
    full_length_estimate,
    pruned_as_complete,
    rank_rule,
    stacked_ranks,
)
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


def test_the_rank_rule_shows_pruned_trials_as_complete_at_their_estimate():
    trials = [*COMPLETE, pruned(3, 0.4), Trial(4, {"x": 0.4}, TrialState.FAILED)]
    seen = rank_rule(trials, "minimize")
    assert seen[3].state is TrialState.COMPLETE and seen[3].value == pytest.approx(0.3)
    assert seen[4].state is TrialState.FAILED
    assert rank_rule([pruned(0, 0.4)], "minimize")[0].state is TrialState.PRUNED


def pruned_at_1(n: int, at1: float) -> Trial:
    return Trial(n, {"x": n / 10}, TrialState.PRUNED, value=at1, intermediate=((1, at1),))


def test_with_few_complete_trials_bayes_models_the_deepest_rung_enough_trials_reached():
    trials = [*COMPLETE, pruned(3, 0.7), pruned(4, 0.8), pruned_at_1(5, 2.0),
              Trial(6, {"x": 0.6}, TrialState.FAILED)]
    seen = deepest_rung(trials, "minimize", min_points=5)
    # Step 3: three complete and two pruned trials reached it; all are modelled there.
    assert [t.state for t in seen[:5]] == [TrialState.COMPLETE] * 5
    assert [t.value for t in seen[:5]] == pytest.approx([0.2, 0.4, 0.6, 0.7, 0.8])
    assert seen[5].state is TrialState.INTERRUPTED  # stopped before step 3: left out
    assert seen[6].state is TrialState.FAILED
    # Needing more points than step 3 has, the model goes down to step 1.
    lower = deepest_rung(trials, "minimize", min_points=6)
    assert lower[5].state is TrialState.COMPLETE and lower[5].value == pytest.approx(2.0)
    assert lower[0].value == pytest.approx(1.2)  # complete trial 0 at step 1


def test_as_a_variant_a_trial_pruned_below_the_modelled_step_gets_the_worst_value():
    trials = [*COMPLETE, pruned(3, 0.7), pruned(4, 0.8), pruned_at_1(5, 2.0),
              pruned_at_1(7, 1.55)]
    seen = deepest_rung(trials, "minimize", min_points=5, below="worst")
    # Modelled at step 3 (0.2 … 0.8): the two pruned at step 1 are worse than all of them.
    assert [t.state for t in seen] == [TrialState.COMPLETE] * 7
    assert [t.value for t in seen[5:]] == pytest.approx([0.8, 0.8])
    # Maximising mirrors it.
    flipped = [t.evolve(value=None if t.value is None else -t.value,
                        intermediate=tuple((s, -v) for s, v in t.intermediate))
               for t in trials]
    mirrored = deepest_rung(flipped, "maximize", min_points=5, below="worst")
    assert [t.value for t in mirrored] == pytest.approx([-t.value for t in seen])


def test_with_enough_complete_trials_pruned_ones_are_left_out():
    trials = [*COMPLETE, pruned(3, 0.7), pruned_at_1(4, 2.0)]
    seen = deepest_rung(trials, "minimize", min_points=3)
    assert seen[:3] == COMPLETE
    assert [t.state for t in seen[3:]] == [TrialState.INTERRUPTED] * 2
    at_worst = deepest_rung(trials, "minimize", min_points=3, below="worst")
    assert all(t.state is TrialState.COMPLETE and t.value == 0.5 for t in at_worst[3:])
    assert deepest_rung(COMPLETE, "minimize") == COMPLETE


def test_as_a_variant_trials_are_stacked_by_the_step_they_reached():
    trials = [pruned_at_1(3, 0.1), *COMPLETE, pruned(4, 0.8), pruned(5, 0.7)]
    seen = stacked_ranks(trials, "minimize")
    assert all(t.state is TrialState.COMPLETE for t in seen)
    by_number = {t.number: t.value for t in seen}
    # Complete by final value, then those pruned at step 3 by their value there, then the
    # one pruned at step 1, however good its value was there.
    order = sorted(by_number, key=by_number.get)
    assert order == [0, 1, 2, 5, 4, 3]
    assert sum(by_number.values()) == pytest.approx(0.0)  # normal scores, centred
    mirrored = stacked_ranks([t.evolve(value=None if t.value is None else -t.value,
                                       intermediate=tuple((s, -v) for s, v in t.intermediate))
                              for t in trials], "maximize")
    assert [t.value for t in mirrored] == pytest.approx([-t.value for t in seen])
    assert stacked_ranks(COMPLETE, "minimize") == COMPLETE


def test_bayes_uses_the_deepest_rung_rule():
    trials = [*COMPLETE, pruned(3, 0.7)]
    assert pruned_as_complete(trials, "minimize") == deepest_rung(trials, "minimize")


def test_bayes_asks_with_pruned_trials_in_the_history():
    space = SearchSpace((FloatParam("x", 0.0, 1.0),))
    sampler = BayesSampler(space, seed=0, n_startup=3)
    trials = [*COMPLETE, pruned(3, 0.9), pruned(4, 0.5)]
    assert space.contains(sampler.ask(trials))


def test_bayes_never_suggests_a_pruned_configuration_again_in_a_discrete_space():
    from engine.space import IntParam

    space = SearchSpace((IntParam("x", 0, 5),))
    sampler = BayesSampler(space, seed=0, n_startup=2)
    done = [Trial(i, {"x": i}, TrialState.COMPLETE, value=float(i),
                  intermediate=((1, i + 1.0), (3, float(i)))) for i in range(3, 6)]
    # Pruned at step 1, below the step modelled: left out of the model, yet tried.
    gone = [Trial(i, {"x": i}, TrialState.PRUNED, value=0.5, intermediate=((1, 0.5),))
            for i in range(1, 3)]
    for t in [*done, *gone]:
        sampler.after_trial(t)  # as the study tells it of every trial
    assert sampler.ask([*done, *gone]) == {"x": 0}


def test_by_default_bayes_models_pruned_trials_once_enough_ran_to_the_end():
    # "late" ranked first of the rules compared (docs/benchmarks.md): the start-up design
    # runs until n_startup trials ended unpruned, then every trial is modelled at the step
    # it reached, so what a pruned trial reported moves the search.
    space = SearchSpace((FloatParam("x", 0.0, 1.0),))
    done = [Trial(i, {"x": x}, TrialState.COMPLETE, value=(x - 0.3) ** 2,
                  intermediate=((1, 1.0), (3, (x - 0.3) ** 2)))
            for i, x in enumerate((0.05, 0.5, 0.9, 0.7))]

    def asked(reported: float, complete: int = 4) -> dict:
        gone = [Trial(4 + k, {"x": x}, TrialState.PRUNED, value=reported,
                      intermediate=((1, reported),)) for k, x in enumerate((0.28, 0.62))]
        return BayesSampler(space, seed=0, n_startup=3).ask([*done[:complete], *gone])

    assert BayesSampler.pruned_rule == "late"
    assert asked(0.0, complete=2) == asked(100.0, complete=2)  # still the start-up design
    assert asked(0.0) != asked(100.0)
    assert abs(asked(0.0)["x"] - 0.28) >= 1e-4  # the pruned configuration is not tried again
