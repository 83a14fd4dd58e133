"""bayes' model of pruned trials by fidelity (engine/samplers/_bayes_fidelity.py)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.samplers import BayesSampler
from engine.samplers._bayes_fidelity import (
    MIN_AGREEING,
    agreeing,
    fidelity,
    full_step,
    observations,
)
from engine.space import FloatParam, SearchSpace
from engine.trial import Trial, TrialState

SPACE = SearchSpace((FloatParam("x", 0.0, 1.0),))
FULL = 27


def sampler(seed: int = 0, rule: str = "fidelity") -> BayesSampler:
    s = BayesSampler(SPACE, seed=seed, n_startup=3)
    s.pruned_rule = rule
    return s


def curve(x: float, crossing: bool) -> list[tuple[int, float]]:
    """Loss per step; with ``crossing``, configurations below 0.5 start best and end worst."""
    end = (x - 0.8) ** 2
    start = (x - 0.2) ** 2 if crossing else end
    return [(s, end + (start - end + 0.5) / s) for s in (1, 3, 9, FULL)]


def trial(n: int, x: float, last: int, crossing: bool = True) -> Trial:
    steps = tuple((s, v) for s, v in curve(x, crossing) if s <= last)
    if last == FULL:
        return Trial(n, {"x": x}, TrialState.COMPLETE, value=steps[-1][1], intermediate=steps)
    return Trial(n, {"x": x}, TrialState.PRUNED, value=steps[-1][1], intermediate=steps)


def test_a_step_maps_to_its_fidelity_on_a_log_scale():
    assert fidelity(FULL, FULL) == 1.0 and fidelity(0, FULL) == 0.0
    assert fidelity(100, FULL) == 1.0  # a longer curve than the complete trials' counts as full
    zs = [fidelity(s, FULL) for s in (1, 3, 9, FULL)]
    assert zs == sorted(zs) and 0 < zs[0]


def test_the_full_length_is_the_deepest_step_a_complete_trial_reached():
    trials = [trial(0, 0.5, FULL), trial(1, 0.1, 3)]
    assert full_step(trials) == FULL
    assert full_step([trial(1, 0.1, 3), trial(2, 0.3, 9)]) == 9  # none complete yet


def test_every_pruned_trial_is_an_observation_at_the_step_it_reached():
    trials = [trial(0, 0.5, FULL), trial(1, 0.1, 3), trial(2, 0.3, 1),
              Trial(3, {"x": 0.4}, TrialState.FAILED, error="boom")]
    done, pruned, z, y = observations(trials, "minimize", lambda t: t.state.name == "COMPLETE")
    assert [t.number for t in done] == [0] and [t.number for t in pruned] == [1, 2]
    assert z[0] == 1.0 and 0 < z[1] < 1 and z[2] == fidelity(1, FULL)
    assert y[1] == pytest.approx(trials[1].intermediate[-1][1])
    _, _, _, y_max = observations(trials, "maximize", lambda t: t.state.name == "COMPLETE")
    assert np.allclose(y_max, -y)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_when_curves_cross_the_search_follows_full_length_values_not_early_ones(seed):
    # Complete trials show that x near 0.8 ends best although it starts worst; most of the
    # history is trials pruned at the first step, where x near 0.2 looked best.
    trials = [trial(i, x, FULL) for i, x in enumerate((0.1, 0.35, 0.6, 0.95))]
    rng = np.random.default_rng(seed)
    trials += [trial(len(trials) + i, float(x), 1) for i, x in enumerate(rng.random(20))]
    asked = sampler(seed).ask(trials)["x"]
    assert 0.6 < asked < 0.95


def test_with_no_complete_trial_yet_pruned_ones_already_guide_the_search():
    # Curves that keep their order: trials that went deeper are the better ones.
    trials = [trial(i, x, last, crossing=False) for i, (x, last) in enumerate(
        [(0.05, 1), (0.15, 1), (0.3, 1), (0.45, 1), (0.6, 3), (0.7, 9), (0.95, 3)])]
    assert sampler().ask(trials)["x"] > 0.55


def test_same_seed_same_suggestion_and_the_history_is_not_changed():
    trials = [trial(0, 0.1, FULL), trial(1, 0.9, FULL), trial(2, 0.4, 1), trial(3, 0.6, 3)]
    before = [t.intermediate for t in trials]
    assert sampler(5).ask(trials) == sampler(5).ask(trials)
    assert [t.intermediate for t in trials] == before


def test_the_best_predicted_trial_is_a_complete_one_judged_at_the_full_length():
    trials = [trial(i, x, FULL) for i, x in enumerate((0.1, 0.5, 0.78, 0.95))]
    trials += [trial(4 + i, x, 1) for i, x in enumerate((0.15, 0.2, 0.25, 0.3))]
    best = sampler().best_predicted(trials)
    assert best.state is TrialState.COMPLETE and best.params["x"] == 0.78


# --- the rule "checked": pruned trials only from steps whose values rank like final ones


def history(n_complete: int, crossing: bool, stops=(1, 1, 3, 9, 3)) -> list[Trial]:
    xs = np.linspace(0.05, 0.95, n_complete)
    trials = [trial(i, float(x), FULL, crossing) for i, x in enumerate(xs)]
    return trials + [trial(n_complete + i, x, last, crossing) for i, (x, last) in
                     enumerate(zip((0.12, 0.33, 0.48, 0.66, 0.9), stops))]


def pruned(trials: list[Trial]) -> list[int]:
    return [t.number for t in trials if t.state is TrialState.PRUNED]


def test_pruned_trials_join_the_model_where_early_values_rank_like_final_ones():
    trials = history(MIN_AGREEING, crossing=False)
    assert pruned(agreeing(trials, "minimize")) == pruned(trials)
    # Maximising the same numbers reverses both rankings: they still agree.
    assert pruned(agreeing(trials, "maximize")) == pruned(trials)


def test_pruned_trials_are_left_out_at_steps_where_curves_cross():
    # At step 1 these curves rank the complete trials almost backwards (rho -0.86); by
    # step 9 they have crossed over to the final order (rho 0.95).
    trials = history(8, crossing=True, stops=(1, 1, 9, 9, 1))
    stopped_at_9 = [t.number for t in trials[8:] if t.intermediate[-1][0] == 9]
    assert pruned(agreeing(trials, "minimize")) == stopped_at_9


def test_too_few_complete_trials_to_judge_a_step_leave_pruned_trials_out():
    trials = history(MIN_AGREEING - 1, crossing=False)
    assert pruned(agreeing(trials, "minimize")) == []


@pytest.mark.parametrize("crossing, same_as", [(True, "ignore"), (False, "fidelity")])
def test_checked_suggests_as_ignore_where_curves_cross_and_as_fidelity_where_they_agree(
        crossing, same_as):
    trials = history(6, crossing, stops=(1,) * 5)
    assert sampler(3, "checked").ask(trials) == sampler(3, same_as).ask(trials)
    assert sampler(3, "ignore").ask(trials) != sampler(3, "fidelity").ask(trials)


# --- the rule "late": the fidelity model, started when "ignore" would start its own


def test_late_keeps_the_start_up_design_until_enough_trials_ran_to_the_end():
    # Three complete trials are the sampler's n_startup; two are not enough, however many
    # pruned trials there are (fidelity would start its model on them).
    trials = history(2, crossing=False)
    assert sampler(4, "late").ask(trials) == sampler(4, "ignore").ask(trials)
    assert sampler(4, "late").ask(trials) != sampler(4, "fidelity").ask(trials)


def test_late_then_models_every_trial_by_fidelity():
    trials = history(3, crossing=False)
    assert sampler(4, "late").ask(trials) == sampler(4, "fidelity").ask(trials)
    assert sampler(4, "late").ask(trials) != sampler(4, "ignore").ask(trials)
