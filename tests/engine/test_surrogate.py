"""The surrogate of any study: the engine's GP fitted to its trials, plain arrays out."""

from __future__ import annotations

import numpy as np
import pytest

from engine.samplers import BayesSampler, RandomSampler
from engine.space import CategoricalParam, Condition, FloatParam, IntParam, SearchSpace
from engine.surrogate import fit_surrogate
from engine.trial import Trial, TrialState

COMPLETE = TrialState.COMPLETE
SPACE = SearchSpace.of(FloatParam("x", 0.0, 1.0), FloatParam("y", 0.0, 1.0),
                       CategoricalParam("c", ("u", "v")))


def f(p):
    return 10.0 + (p["x"] - 0.3) ** 2 + (p["y"] - 0.6) ** 2 + (p["c"] == "v")


def run(sampler, func, n: int) -> list[Trial]:
    trials: list[Trial] = []
    for _ in range(n):
        params = sampler.ask(trials)
        trials.append(Trial(len(trials), params, COMPLETE, func(params)))
    return trials


@pytest.mark.parametrize("sampler", [BayesSampler, RandomSampler])
def test_the_grid_shows_the_fitted_surface_in_the_objective_units(sampler):
    # Whatever sampler ran the study, the model is fitted to its trials.
    trials = run(sampler(SPACE, seed=0), f, 40)
    for direction, sign in (("minimize", 1.0), ("maximize", -1.0)):
        signed = [t.evolve(value=sign * t.value) for t in trials]
        grid = fit_surrogate(SPACE, direction, signed).grid("x", "y", n=21)
        assert grid.mean.shape == grid.std.shape == (21, 21) and len(grid.x) == 21
        assert np.all(grid.std >= 0)
        assert grid.fixed == {"c": "u"}
        # The model's optimum on the grid sits near the true one, at about the true value.
        i, j = np.unravel_index(np.argmin(sign * grid.mean), grid.mean.shape)
        assert abs(grid.x[j] - 0.3) <= 0.12 and abs(grid.y[i] - 0.6) <= 0.12
        assert abs(sign * grid.mean[i, j] - 10.0) < 0.05
    by_choice = fit_surrogate(SPACE, "minimize", trials).grid("c", "x", n=5)
    assert by_choice.x == ["u", "v"] and by_choice.mean.shape == (5, 2)
    assert np.all(by_choice.mean[:, 1] > by_choice.mean[:, 0])


def test_averaging_the_others_out_shifts_the_surface_by_their_mean_effect():
    trials = run(RandomSampler(SPACE, seed=1), f, 60)
    model = fit_surrogate(SPACE, "minimize", trials)
    best = model.grid("x", "y", n=11, others="best")
    average = model.grid("x", "y", n=11, others="average")
    assert average.fixed == {} and average.others == "average"
    # At the best trial's "u" the surface is ~10 at its low; averaged over trials, about
    # half of which have "v" (+1), it is about half a unit higher everywhere.
    shift = float(np.mean(average.mean - best.mean))
    assert 0.25 < shift < 0.75


def test_the_curve_is_sure_where_trials_are_and_unsure_far_from_them():
    space = SearchSpace.of(FloatParam("x", 0.0, 10.0))
    trials = [Trial(i, {"x": x}, COMPLETE, (x - 2.0) ** 2)
              for i, x in enumerate((0.5, 1.0, 1.5, 2.0, 2.5, 3.0))]
    curve = fit_surrogate(space, "minimize", trials).curve("x", n=41)
    assert len(curve.x) == 41 and curve.mean.shape == curve.std.shape == (41,)
    near = curve.std[np.argmin(np.abs(np.array(curve.x) - 2.0))]
    far = curve.std[-1]  # x = 10, seven units from the nearest trial
    assert far > 10 * near
    assert abs(curve.x[int(np.argmin(curve.mean))] - 2.0) <= 0.5


def test_ints_give_each_value_once_and_conditional_parameters_are_modelled():
    space = SearchSpace.of(
        CategoricalParam("kind", ("a", "b")), IntParam("n", 1, 4),
        FloatParam("r", 0.0, 1.0, condition=Condition("kind", ("b",))))
    trials = run(RandomSampler(space, seed=2), lambda p: p["n"] + p.get("r", 0.0), 20)
    model = fit_surrogate(space, "minimize", trials)
    assert model.curve("n", n=50).x == [1, 2, 3, 4]
    grid = model.grid("r", "n", n=5)
    assert grid.mean.shape == (4, 5) and grid.fixed == {"kind": "b"}


def test_bad_requests_are_named():
    trials = run(RandomSampler(SPACE, seed=0), f, 6)
    model = fit_surrogate(SPACE, "minimize", trials)
    with pytest.raises(ValueError, match=r"param_x = 'nope': expected one of x, y, c"):
        model.grid("nope", "y")
    with pytest.raises(ValueError, match=r"param_y = 'x': must differ from param_x"):
        model.grid("x", "x")
    with pytest.raises(ValueError, match=r"others = 'median': expected one of best, average"):
        model.curve("x", others="median")
    failed = [t.evolve(state=TrialState.FAILED, value=None) for t in trials[1:]]
    with pytest.raises(ValueError, match="at least 2 complete trials, got 1"):
        fit_surrogate(SPACE, "minimize", [trials[0], *failed])
