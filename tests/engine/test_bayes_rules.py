"""The bayes sampler's rules around its GP (engine/samplers/_bayes_rules.py, the
quantized-value noise floor of engine/_gp/gp.py and the best-predicted incumbent): no
repeated points, a bounded model on long studies, ties read as rounding, and the best
configuration as the model sees it rather than the luckiest score."""

from __future__ import annotations

import numpy as np

from engine._gp import gp
from engine.samplers import BayesSampler, RandomSampler
from engine.samplers._bayes_rules import (
    MIN_SEPARATION,
    MODEL_POINTS,
    RUNNING_SEPARATION,
    model_subset,
    starved_choice,
)
from engine.space import CategoricalParam, FloatParam, SearchSpace
from engine.trial import Trial, TrialState

COMPLETE, RUNNING = TrialState.COMPLETE, TrialState.RUNNING
SQUARE = SearchSpace.of(FloatParam("x", 0.0, 1.0), FloatParam("y", 0.0, 1.0))


def _optimise(sampler, func, n, trials=None):
    trials = [] if trials is None else trials
    for _ in range(n):
        params = sampler.ask(trials)
        trials.append(Trial(len(trials), params, COMPLETE, func(params)))
        sampler.after_trial(trials[-1])
    return trials


def _min_gap(space, trials):
    u = np.array([space.encode(t.params) for t in trials])
    d = np.linalg.norm(u[:, None] - u[None, :], axis=-1)
    return d[np.triu_indices(len(u), 1)].min()


# ------------------------------------------------------------------ no repeated points


def test_an_optimum_in_a_corner_is_not_suggested_again_and_again():
    trials = _optimise(BayesSampler(SQUARE, seed=0, n_startup=5),
                       lambda p: p["x"] + p["y"], 40)
    assert _min_gap(SQUARE, trials) >= MIN_SEPARATION * (1 - 1e-9)
    # ... and the search still ends up at the corner.
    assert min(t.value for t in trials) < 0.01


def _sampler_proposing(point):
    """A sampler whose acquisition search proposes only ``point`` (a unit-cube point), to
    check the rule that keeps suggestions apart on its own."""
    sampler = BayesSampler(SQUARE, seed=0, n_startup=5)
    sampler._ranked = lambda trials, rng, fidelity=False: np.array([point])
    return sampler


def _history():
    return _optimise(RandomSampler(SQUARE, seed=1), lambda p: p["x"] + p["y"], 8)


def test_a_point_next_to_a_finished_trial_is_moved_away():
    trials = _history()
    near = SQUARE.encode(trials[3].params) + 2e-5
    params = _sampler_proposing(near).ask(trials)
    gap = np.linalg.norm(SQUARE.encode(params) - SQUARE.encode(trials[3].params))
    assert MIN_SEPARATION <= gap < 0.1  # moved away, but only just


def test_a_point_next_to_a_running_trial_is_moved_away():
    trials = _history()
    trials.append(Trial(len(trials), {"x": 0.3, "y": 0.7}, RUNNING))
    params = _sampler_proposing(np.array([0.3 + 3e-4, 0.7])).ask(trials)
    gap = np.hypot(params["x"] - 0.3, params["y"] - 0.7)
    assert RUNNING_SEPARATION <= gap < 0.1


def test_a_point_in_a_corner_moves_into_the_cube():
    trials = _history()
    trials.append(Trial(len(trials), {"x": 0.0, "y": 0.0}, COMPLETE, 0.0))
    params = _sampler_proposing(np.array([0.0, 0.0])).ask(trials)
    assert 0.0 <= params["x"] <= 1.0 and 0.0 <= params["y"] <= 1.0
    assert np.hypot(params["x"], params["y"]) >= MIN_SEPARATION


def test_the_same_continuous_point_with_another_category_is_not_a_repeat():
    space = SearchSpace.of(FloatParam("x", 0.0, 1.0), CategoricalParam("c", ("a", "b")))
    sampler = BayesSampler(space, seed=0, n_startup=5)
    trials = _optimise(RandomSampler(space, seed=2), lambda p: p["x"], 6)
    trials.append(Trial(len(trials), {"x": 0.25, "c": "a"}, COMPLETE, 0.25))
    point = space.encode({"x": 0.25, "c": "b"})
    sampler._ranked = lambda trials, rng, fidelity=False: np.array([point])
    assert sampler.ask(trials) == {"x": 0.25, "c": "b"}


def test_parallel_workers_never_get_twins():
    history = _optimise(RandomSampler(SQUARE, seed=3), lambda p: p["x"] + p["y"], 12)
    sampler = BayesSampler(SQUARE, seed=0, n_startup=5)
    trials = list(history)
    for _ in range(6):  # six workers ask before any finishes; the optimum is a corner
        trials.append(Trial(len(trials), sampler.ask(trials), RUNNING))
    assert _min_gap(SQUARE, trials[12:]) >= RUNNING_SEPARATION * (1 - 1e-9)
    assert _min_gap(SQUARE, trials) >= MIN_SEPARATION * (1 - 1e-9)


# ------------------------------------------------------------------ categories


def test_a_rarely_tried_choice_is_named_until_it_has_its_share():
    # Feature rows: one number, then a categorical of 4 choices (-1: inactive).
    rows = np.array([[0.5, c] for c in [0] * 20 + [1] * 10 + [2] * 6 + [3] * 1 + [-1] * 9])
    # 37 active trials, 4 choices: each needs ceil(sqrt(37 / 4)) = 4; choice 3 has 1.
    assert starved_choice(rows, 1, [4]) == (1, 3)
    rows = np.vstack([rows, [[0.5, 3]] * 3])
    assert starved_choice(rows, 1, [4]) is None


def test_a_choice_whose_one_trial_was_bad_is_tried_again_before_it_is_written_off():
    space = SearchSpace.of(CategoricalParam("c", ("a", "b", "c", "d")),
                           FloatParam("x", 0.0, 1.0), FloatParam("y", 0.0, 1.0))
    rng = np.random.default_rng(0)
    trials = [Trial(i, {"c": "abc"[i % 3], "x": float(rng.random()), "y": float(rng.random())},
                    COMPLETE, float(rng.random())) for i in range(30)]
    trials.append(Trial(30, {"c": "d", "x": 0.5, "y": 0.5}, COMPLETE, 10.0))
    sampler = BayesSampler(space, seed=0)
    # 31 trials, 4 choices: each needs ceil(sqrt(31 / 4)) = 3 before the model decides.
    for _ in range(2):
        params = sampler.ask(trials)
        assert params["c"] == "d"
        trials.append(Trial(len(trials), params, COMPLETE, 10.0))
    assert sampler.ask(trials)["c"] != "d"


# ------------------------------------------------------------------ long studies


def test_past_the_model_size_the_gp_holds_the_best_trials_and_a_spread_of_the_rest():
    y = np.random.default_rng(0).random(3 * MODEL_POINTS)
    keep = model_subset(y, np.random.default_rng(1))
    assert len(keep) == MODEL_POINTS and len(set(keep)) == MODEL_POINTS
    # The best trials are all in ...
    assert set(np.argsort(y)[:100]) <= set(keep)
    # ... and the rest is not only the good end.
    assert np.max(y[keep]) > 0.9
    assert list(model_subset(y[:50], np.random.default_rng(1))) == list(range(50))


def test_a_long_study_still_gets_good_suggestions():
    def bowl(p):
        return (p["x"] - 0.3) ** 2 + (p["y"] - 0.6) ** 2

    trials = _optimise(RandomSampler(SQUARE, seed=4), bowl, MODEL_POINTS + 300)
    sampler = BayesSampler(SQUARE, seed=0)
    for t in trials:
        sampler.after_trial(t)
    _optimise(sampler, bowl, 5, trials)
    new = [bowl(t.params) for t in trials[-5:]]
    random_best = min(t.value for t in trials[:-5])
    assert min(new) < random_best


# ------------------------------------------------------------------ ties and noise


def test_quantized_values_are_recognised_with_their_step():
    rng = np.random.default_rng(0)
    accuracy = np.round(0.8 + 0.15 * rng.random(60), 2)  # 16 levels, step 0.01
    assert abs(gp.quantum(accuracy) - 0.01) < 1e-9
    assert gp.quantum(rng.random(60)) == 0.0
    # Ties only at the worst value (failed trials are put there) are not quantization.
    losses = np.concatenate([rng.random(30), np.full(30, 5.0)])
    assert gp.quantum(losses) == 0.0


def test_tied_values_keep_a_noise_floor_of_their_rounding():
    rng = np.random.default_rng(1)
    x = rng.random((40, 2))
    y = np.round(np.sin(3 * x[:, 0]) + x[:, 1], 1)  # ties: about 15 levels for 40 points
    model = gp.fit(x, y, 2, rng=np.random.default_rng(0), quantized=True)
    q = gp.quantum(model.y)
    assert q > 0 and model.noise >= q * q / 12 * (1 - 1e-9)
    # Rebuilt with fixed hyperparameters (as between refits), the floor holds too.
    rebuilt = gp.build(x, y, 2, model.theta, quantized=True)
    assert rebuilt.noise >= q * q / 12 * (1 - 1e-9)


def test_the_best_predicted_trial_is_not_the_luckiest_score():
    space = SearchSpace.of(FloatParam("x", 0.0, 1.0))
    rng = np.random.default_rng(0)
    xs = np.linspace(0.0, 1.0, 30)
    trials = [Trial(i, {"x": float(x)}, COMPLETE,
                    float((x - 0.5) ** 2 + 0.02 * rng.standard_normal()))
              for i, x in enumerate(xs)]
    # One lucky measurement far from the optimum.
    trials.append(Trial(30, {"x": 0.95}, COMPLETE, -0.1))
    sampler = BayesSampler(space, seed=0)
    best = sampler.best_predicted(trials)
    assert best is not trials[-1]
    assert abs(best.params["x"] - 0.5) < 0.2


def test_the_best_predicted_trial_follows_the_direction():
    space = SearchSpace.of(FloatParam("x", 0.0, 1.0))
    trials = [Trial(i, {"x": i / 9}, COMPLETE, -abs(i / 9 - 0.7)) for i in range(10)]
    best = BayesSampler(space, seed=0, direction="maximize").best_predicted(trials)
    assert best is trials[6]  # x = 0.67, the nearest to the peak at 0.7
    assert BayesSampler(space, seed=0).best_predicted(trials) is trials[0]
    assert BayesSampler(space, seed=0).best_predicted(trials[:1]) is trials[0]
    assert BayesSampler(space, seed=0).best_predicted([]) is None
