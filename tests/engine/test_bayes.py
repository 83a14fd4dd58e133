"""The "bayes" sampler and its GP math: claims that fail when the model or the search is
wrong, not only when the code crashes. The contract shared by every sampler is tested in
test_samplers.py."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import approx_fprime
from scipy.stats import norm

from engine._gp import acquisition, gp
from engine._gp.encoding import Encoding
from engine.samplers import BayesSampler, RandomSampler, make_sampler
from engine.space import CategoricalParam, Condition, FixedParam, FloatParam, IntParam, SearchSpace
from engine.spec import StudySpec
from engine.study import Study
from engine.trial import Trial, TrialState

COMPLETE, RUNNING, FAILED = TrialState.COMPLETE, TrialState.RUNNING, TrialState.FAILED


def optimise(sampler, func, n: int, trials: list[Trial] | None = None) -> list[Trial]:
    """One worker, as a study drives it: ask, evaluate, store as complete and tell the
    sampler (``after_trial``)."""
    trials = [] if trials is None else trials
    for t in trials:
        sampler.after_trial(t)
    for _ in range(n):
        params = sampler.ask(trials)
        if params is None:
            break
        trials.append(Trial(len(trials), params, COMPLETE, func(params)))
        sampler.after_trial(trials[-1])
    return trials


# --------------------------------------------------------------------------- the GP


def test_gp_interpolates_noise_free_data_and_is_sure_only_where_it_looked():
    x = np.linspace(0.0, 1.0, 7)[:, None]
    y = np.sin(6.0 * x[:, 0]) + 0.5 * x[:, 0]
    model = gp.fit(x, y, 1, rng=np.random.default_rng(0))
    mean, std = model.to_raw(*model.predict(x))
    np.testing.assert_allclose(mean, y, atol=1e-3 * np.ptp(y))
    between = (x[:-1] + x[1:]) / 2
    _, std_between = model.to_raw(*model.predict(between))
    assert std.max() < 0.01 * np.std(y)
    assert std.max() < 0.2 * std_between.min()
    # Far outside the data the model falls back to its prior: much less sure.
    _, std_far = model.to_raw(*model.predict(np.array([[3.0]])))
    assert std_far[0] > 0.5 * np.std(y)


def test_gp_learns_noise_and_does_not_chase_it():
    rng = np.random.default_rng(1)
    x = rng.random((60, 1))
    y = x[:, 0] ** 2 + 0.1 * rng.standard_normal(60)
    model = gp.fit(x, y, 1, rng=rng)
    noise_sd = math.sqrt(model.noise) * model.scale
    assert 0.05 < noise_sd < 0.2
    inner = np.linspace(0.1, 0.9, 9)
    mean, _ = model.to_raw(*model.predict(inner[:, None]))
    assert np.abs(mean - inner**2).max() < 0.1


def test_gp_fit_gradient_matches_finite_differences():
    rng = np.random.default_rng(2)
    x = np.hstack([rng.random((25, 3)), rng.integers(0, 3, (25, 2)).astype(float)])
    y, _, _ = gp.standardize(np.sin(5 * x[:, 0]) + x[:, 1] ** 2 + 0.3 * x[:, 3])
    objective = gp._Objective(x, y, 3)
    for _ in range(3):
        theta = gp.prior_mode(5) + 0.5 * rng.standard_normal(7)
        numeric = approx_fprime(theta, lambda t: objective(t)[0], 1e-6)
        np.testing.assert_allclose(objective(theta)[1], numeric, rtol=1e-3, atol=1e-3)


def test_predicted_gradients_match_finite_differences():
    rng = np.random.default_rng(3)
    x = np.hstack([rng.random((20, 2)), rng.integers(0, 2, (20, 1)).astype(float)])
    model = gp.fit(x, x[:, 0] - x[:, 1] ** 2 + x[:, 2], 2, rng=rng)
    xs = np.hstack([rng.random((5, 2)), np.ones((5, 1))])
    mean, std, dmean, dstd = model.predict_with_grad(xs)
    # A 1e-4 step: truncation error ~1e-8, while round-off of a 1e-6 step is ~1e-10 / 1e-6
    # and decides the last digits differently from one BLAS to another.
    h = 1e-4
    for j in range(2):
        step = np.zeros_like(xs)
        step[:, j] = h
        m_hi, s_hi = model.predict(xs + step)
        m_lo, s_lo = model.predict(xs - step)
        np.testing.assert_allclose(dmean[:, j], (m_hi - m_lo) / (2 * h), rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(dstd[:, j], (s_hi - s_lo) / (2 * h), rtol=1e-4, atol=1e-6)


# --------------------------------------------------------------------------- acquisition


def test_log_ei_matches_log_of_ei_where_ei_is_representable():
    z = np.linspace(-8.0, 6.0, 57)
    direct = np.log(norm.pdf(z) + z * norm.cdf(z))
    np.testing.assert_allclose(acquisition.log_h(z), direct, rtol=1e-9, atol=1e-12)
    mean, std = np.array([0.3, -1.0]), np.array([0.5, 2.0])
    value, _, _ = acquisition.log_ei(mean, std, best=0.1)
    zz = (0.1 - mean) / std
    np.testing.assert_allclose(value, np.log(std * (norm.pdf(zz) + zz * norm.cdf(zz))))


def test_log_ei_is_finite_and_exact_where_ei_underflows():
    z = np.array([-40.0, -99.9, -100.1, -1e3, -1e6, -1e12, -1e150])
    with np.errstate(all="ignore"):
        assert np.all(norm.pdf(z) + z * norm.cdf(z) <= 0.0)  # the direct formula gives up
    got = acquisition.log_h(z)
    assert np.all(np.isfinite(got))
    # Asymptotic series: h(z) = phi(z) / z^2 * (1 - 3/z^2 + 15/z^4 - ...), z -> -inf.
    r = 1 / z**2
    series = norm.logpdf(z) - 2 * np.log(-z) + np.log1p(-3 * r + 15 * r**2 - 105 * r**3)
    np.testing.assert_allclose(got, series, rtol=1e-12)
    # And through log_ei: finite value and gradients, pointing the right way.
    value, d_mean, d_std = acquisition.log_ei(np.array([50.0]), np.array([1.0]), best=0.0)
    assert np.isfinite(value).all() and d_mean[0] < 0 < d_std[0]


def test_log_h_is_continuous_and_increasing_across_its_branches():
    for edge in (-1.0, -100.0, -1 / math.sqrt(np.finfo(float).eps)):
        z = edge + np.linspace(-1e-3, 1e-3, 201) * abs(edge)
        h = acquisition.log_h(z)
        assert np.all(np.diff(h) > 0)
        # No jump where the formula changes: the step across the edge is like its neighbours.
        steps = np.diff(h)
        assert steps.max() < 1.01 * steps.min() * (1 + 4e-3 * abs(edge))


@pytest.mark.parametrize("name", ["log_ei", "ucb", "log_pi"])
def test_acquisition_gradients_match_finite_differences(name):
    rng = np.random.default_rng(4)
    mean, std = rng.standard_normal(6) * 3, rng.random(6) + 0.05
    f = {"log_ei": lambda m, s: acquisition.log_ei(m, s, -1.0),
         "ucb": lambda m, s: acquisition.ucb(m, s, 2.0),
         "log_pi": lambda m, s: acquisition.log_pi(m, s, -1.0)}[name]
    _, dm, ds = f(mean, std)
    h = 1e-6
    np.testing.assert_allclose(dm, (f(mean + h, std)[0] - f(mean - h, std)[0]) / (2 * h),
                               rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(ds, (f(mean, std + h)[0] - f(mean, std - h)[0]) / (2 * h),
                               rtol=1e-5, atol=1e-7)


# --------------------------------------------------------------------------- encoding

MIXED = SearchSpace.of(
    FloatParam("lr", 1e-5, 1.0, log=True),
    IntParam("layers", 1, 8),
    IntParam("units", 8, 512, log=True),
    FloatParam("dropout", 0.0, 0.5, step=0.05),
    IntParam("batch", 16, 256, step=16),
    CategoricalParam("optimizer", ("adam", "sgd", "rmsprop")),
    FloatParam("momentum", 0.0, 0.99, condition=Condition("optimizer", ("sgd", "rmsprop"))),
    CategoricalParam("nesterov", (True, False), condition=Condition("optimizer", ("sgd",))),
    IntParam("depth", 1, 4, condition=Condition("layers", (2, 3))),
    FixedParam("epochs", 10),
)


@settings(max_examples=60, deadline=None)
@given(u=st.lists(st.floats(0.0, 1.0), min_size=MIXED.dimension, max_size=MIXED.dimension))
def test_the_point_modelled_is_the_point_tried(u):
    # Candidates are encoded in bulk straight from the unit cube; trials from their params.
    # Both must give the same features, or the model would score one point and run another.
    enc = Encoding(MIXED)
    params = MIXED.decode(u)
    np.testing.assert_allclose(enc.from_unit(np.array([u]))[0], enc.from_params([params])[0],
                               atol=1e-9)


def test_inactive_parameters_share_a_filler_and_an_active_flag():
    enc = Encoding(MIXED)
    adam = {"lr": 1e-3, "layers": 1, "units": 64, "dropout": 0.1, "batch": 32,
            "optimizer": "adam", "epochs": 10}
    rows = enc.from_params([adam, {**adam, "lr": 1e-2}, {**adam, "optimizer": "sgd",
                                                          "momentum": 0.9, "nesterov": True}])
    # Two adam trials differ only in lr; their momentum, nesterov and depth columns agree.
    assert np.count_nonzero(rows[0] != rows[1]) == 1
    # sgd turns on two conditions (momentum's and nesterov's): flags differ from adam's.
    flags = rows[:, enc.n_num + len(enc.categorical):]
    assert flags[0].sum() == 0 and flags[2].sum() == 2


# --------------------------------------------------------------------------- the sampler

BRANIN = SearchSpace.of(FloatParam("x", -5.0, 10.0), FloatParam("y", 0.0, 15.0))


def branin(p) -> float:
    x, y = p["x"], p["y"]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (y - b * x * x + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10 - 0.397887


def test_bayes_beats_random_search_on_branin():
    seeds = range(5)
    regret = {}
    for cls in (BayesSampler, RandomSampler):
        regret[cls] = [min(t.value for t in optimise(cls(BRANIN, seed=s), branin, 30))
                       for s in seeds]
    bayes, rand = np.median(regret[BayesSampler]), np.median(regret[RandomSampler])
    assert bayes < 0.05 < rand
    assert bayes < rand / 20
    assert sum(b < r for b, r in zip(regret[BayesSampler], regret[RandomSampler])) >= 4


def test_maximize_finds_the_maximum_not_the_minimum():
    space = SearchSpace.of(FloatParam("x", 0.0, 1.0), FloatParam("y", 0.0, 1.0))

    def peak(p):
        return 1.0 - (p["x"] - 0.3) ** 2 - (p["y"] - 0.8) ** 2

    trials = optimise(BayesSampler(space, direction="maximize", seed=0), peak, 20)
    assert max(t.value for t in trials) > 1.0 - 1e-3
    # The last suggestions exploit the peak rather than the corner the minimum is in.
    assert all(peak(t.params) > 0.9 for t in trials[-5:])


def test_running_trials_spread_parallel_suggestions_apart():
    space = SearchSpace.of(FloatParam("x", 0.0, 1.0), FloatParam("y", 0.0, 1.0))

    def bowl(p):
        return (p["x"] - 0.5) ** 2 + (p["y"] - 0.5) ** 2

    history = optimise(RandomSampler(space, seed=3), bowl, 10)
    sampler = BayesSampler(space, seed=0, n_startup=5)
    # Without running trials, asking again gives the same point again.
    assert sampler.ask(history) == sampler.ask(history)
    trials = list(history)
    for _ in range(4):  # four workers ask before any of them finishes
        trials.append(Trial(len(trials), sampler.ask(trials), RUNNING))
    points = np.array([space.encode(t.params) for t in trials[10:]])
    gaps = np.linalg.norm(points[:, None] - points[None, :], axis=-1)[np.triu_indices(4, 1)]
    assert gaps.min() > 0.03


def test_suggestions_are_reproducible_with_a_seed():
    def run(seed):
        return [t.params for t in optimise(BayesSampler(MIXED, seed=seed, n_startup=4),
                                           _mixed_value, 10)]

    assert run(7) == run(7)
    assert run(7) != run(8)


def _mixed_value(p) -> float:
    value = (math.log10(p["lr"]) + 3) ** 2 + 0.1 * (p["layers"] - 3) ** 2 + p["dropout"]
    return value + {"adam": 0.5, "sgd": (p.get("momentum", 0) - 0.9) ** 2, "rmsprop": 1.0}[
        p["optimizer"]]


def test_conditional_parameters_are_modelled():
    # The optimum needs the conditional "x" right: a sampler that drew it at random, as
    # Optuna's GP does for parameters outside the shared space, would not get close.
    space = SearchSpace.of(
        CategoricalParam("kind", ("a", "b")),
        FloatParam("x", 0.0, 1.0, condition=Condition("kind", ("a",))),
        FloatParam("z", 0.0, 1.0),
    )

    def f(p):
        tail = (p["z"] - 0.2) ** 2
        return tail + ((p["x"] - 0.7) ** 2 if p["kind"] == "a" else 0.3)

    regrets = [min(t.value for t in optimise(BayesSampler(space, seed=s), f, 25))
               for s in range(3)]
    assert max(regrets) < 2e-3


def test_failed_trials_are_avoided_without_breaking_the_model():
    space = SearchSpace.of(FloatParam("x", 0.0, 1.0))
    sampler = BayesSampler(space, seed=1, n_startup=4)
    trials: list[Trial] = []
    for _ in range(20):
        params = sampler.ask(trials)
        # The objective crashes above 0.6, and is best just below it.
        if params["x"] > 0.6:
            trials.append(Trial(len(trials), params, FAILED, None, error="crashed"))
        else:
            trials.append(Trial(len(trials), params, COMPLETE, (params["x"] - 0.55) ** 2))
    assert sum(t.state is FAILED for t in trials[10:]) <= 2
    assert min(t.value for t in trials if t.state is COMPLETE) < 1e-3


def test_a_discrete_space_is_never_repeated_and_then_exhausted():
    space = SearchSpace.of(IntParam("n", 0, 9), CategoricalParam("c", ("a", "b", "c")))
    sampler = BayesSampler(space, seed=0)
    trials = optimise(sampler, lambda p: (p["n"] - 4) ** 2 + (p["c"] != "b"), 40)
    assert len(trials) == 30 == sampler.size
    assert len({(t.params["n"], t.params["c"]) for t in trials}) == 30
    # The optimum comes early, not by exhausting the space.
    assert min(t.value for t in trials[:15]) == 0


@st.composite
def tree_spaces(draw):
    """Spaces of categoricals with conditional children of every kind, chained or not."""
    kinds = st.sampled_from(["float", "log", "int", "int_log", "step", "cat"])

    def child(name, kind, condition):
        return {
            "float": FloatParam(name, -1.0, 2.0, condition=condition),
            "log": FloatParam(name, 1e-4, 1.0, log=True, condition=condition),
            "int": IntParam(name, 0, 20, step=draw(st.sampled_from([1, 5])),
                            condition=condition),
            "int_log": IntParam(name, 1, 300, log=True, condition=condition),
            "step": FloatParam(name, 0.0, 1.0, step=0.25, condition=condition),
            "cat": CategoricalParam(name, ("p", "q", 3), condition=condition),
        }[kind]

    params = [CategoricalParam("root", ("a", "b", "c")), FloatParam("free", 0.0, 1.0)]
    for i in range(draw(st.integers(1, 4))):
        parents = [p for p in params if isinstance(p, CategoricalParam)]
        parent = draw(st.sampled_from(parents))
        values = draw(st.lists(st.sampled_from(parent.choices), min_size=1, max_size=2,
                               unique_by=repr))
        params.append(child(f"c{i}", draw(kinds), Condition(parent.name, tuple(values))))
    return SearchSpace(tuple(params))


@settings(max_examples=15, deadline=None)
@given(space=tree_spaces(), seed=st.integers(0, 2**16))
def test_conditional_spaces_always_get_valid_params_from_the_model(space, seed):
    sampler = BayesSampler(space, seed=seed, n_startup=3)

    def value(p):  # any deterministic function of the params, so the model has data
        return float(hash(repr(sorted(p.items()))) % 1000) / 1000

    for t in optimise(sampler, value, 8):
        assert space.contains(t.params), t.params


# --------------------------------------------------------------------------- options and API


def test_options_reach_the_sampler_through_the_registry():
    sampler = make_sampler("bayes", BRANIN, seed=1,
                           options={"n_startup": 7, "acquisition": "ucb", "kappa": 1.5})
    assert (sampler.n_startup, sampler.acquisition, sampler.kappa) == (7, "ucb", 1.5)
    assert BayesSampler(SearchSpace.of(*(FloatParam(f"x{i}", 0, 1) for i in range(30)))
                        ).n_startup == 20
    assert BayesSampler(BRANIN).n_startup == 5


def test_every_bad_option_is_reported_at_once():
    with pytest.raises(ValueError) as info:
        BayesSampler(BRANIN, n_startup=0, acquisition="ei", kappa=-1, xi="big")
    lines = str(info.value).splitlines()
    assert lines == [
        "sampler.n_startup = 0: expected a whole number >= 1, or none for the default",
        "sampler.acquisition = 'ei': expected one of log_ei, ucb, pi",
        "sampler.kappa = -1: expected a number > 0",
        "sampler.xi = 'big': expected a number >= 0",
    ]


@pytest.mark.parametrize("acquisition_name", ["ucb", "pi"])
def test_other_acquisitions_also_optimise(acquisition_name):
    sampler = BayesSampler(BRANIN, seed=0, acquisition=acquisition_name)
    assert min(t.value for t in optimise(sampler, branin, 30)) < 0.2


def test_a_study_drives_the_sampler_by_ask_and_tell():
    spec = StudySpec(name="branin", params=BRANIN.params, objective={"kind": "python"},
                     sampler="bayes", seed=3, trials=20, direction="minimize")
    study = Study.create(spec)
    while (trial := study.ask()) is not None:
        study.tell(trial.number, COMPLETE, value=branin(trial.params))
    assert len(study.trials) == 20 and study.best_trial.value < 0.2


def test_values_with_a_spread_below_1e_162_still_get_a_suggestion():
    # Their squared deviations underflow to 0: the warp used to divide by a zero std and
    # raise "Yeo-Johnson input must be finite".
    space = SearchSpace((FloatParam("x", 0.0, 1.0), FloatParam("y", 0.0, 1.0)))
    sampler = BayesSampler(space, seed=0, n_startup=5)
    trials = [Trial(i, {"x": i / 7, "y": (3 * i % 7) / 7}, TrialState.COMPLETE, i * 1e-170)
              for i in range(7)]
    params = sampler.ask(trials)
    assert 0.0 <= params["x"] <= 1.0 and 0.0 <= params["y"] <= 1.0


def test_std_gradient_is_zero_where_the_variance_is_clamped():
    # Next to a training point of a near noise-free model the posterior variance falls
    # below its floor; the std is then constant, so its gradient must be 0, not huge.
    x = np.array([[0.5, 0.5]])
    model = gp.GP(x, np.array([0.0]), 2, np.array([0.0, 0.0, 0.0, math.log(1e-20)]))
    _, std, _, dstd = model.predict_with_grad(np.array([[0.5 + 1e-9, 0.5]]))
    assert std[0] == pytest.approx(1e-6)
    assert np.all(dstd == 0.0)
