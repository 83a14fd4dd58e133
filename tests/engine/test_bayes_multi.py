"""bayes with several objectives and constraints (engine/samplers/_bayes_multi.py)."""

import numpy as np
import pytest

from engine.pareto import hypervolume
from engine.samplers._bayes_multi import chebyshev
from engine.spec import spec_from_dict
from engine.study import Study
from engine.trial import TrialState

ZDT1_HV = 1.21 - 1 / 3  # reference (1.1, 1.1): the box less the area above 1 - sqrt(f1)


def spec(sampler, seed=0, dims=3, objectives=None, constraints=None):
    data = {
        "name": "mo", "seed": seed, "sampler": {"name": sampler},
        "objective": {"kind": "python", "path": "f.py", "function": "f"},
        "objectives": objectives or [{"metric": "value", "direction": "minimize"},
                                     {"metric": "f2", "direction": "minimize"}],
        "params": [{"name": f"x{i}", "type": "float", "low": 0.0, "high": 1.0}
                   for i in range(dims)],
    }
    if constraints:
        data["constraints"] = constraints
    return spec_from_dict(data)


def zdt1(p):
    x = np.array(list(p.values()))
    g = 1 + 9 * np.mean(x[1:])
    return x[0], {"f2": g * (1 - np.sqrt(x[0] / g))}


def run(study, f, n):
    for _ in range(n):
        t = study.ask()
        value, metrics = f(t.params)
        study.tell(t.number, TrialState.COMPLETE, value=value, metrics=metrics)
    return study


def front_hv(study):
    points = np.array([t.values for t in study.pareto_front])
    return hypervolume(points, np.array([1.1, 1.1]))


def test_chebyshev_scores_are_lowest_on_the_front_for_any_weights():
    y = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [1.0, 1.0], [0.6, 0.9]])
    for w in np.random.default_rng(0).dirichlet([1, 1], size=20):
        s = chebyshev(y, w)
        assert np.argmin(s) in (0, 1, 2)  # never a dominated point


def test_bayes_finds_most_of_a_known_front_and_beats_random():
    bayes = run(Study(spec("bayes", seed=1)), zdt1, 30)
    random = run(Study(spec("random", seed=1)), zdt1, 30)
    assert bayes.fallbacks == 0
    assert front_hv(bayes) > 0.85 * ZDT1_HV
    assert front_hv(bayes) > front_hv(random)
    assert len(bayes.pareto_front) >= 5  # a spread of trade-offs, not one point


def test_the_constraint_steers_trials_into_the_feasible_region():
    # Only x0 + x1 <= 0.5 is allowed (an eighth of the square): random lands there rarely.
    def f(p):
        return p["x0"], {"f2": 1 - p["x1"], "load": p["x0"] + p["x1"]}

    limits = [{"metric": "load", "max": 0.5}]

    def search(sampler):
        study = run(Study(spec(sampler, seed=2, dims=2, constraints=limits)), f, 30)
        # The whole front lies on the limit, so trials at it count (a hair over is fine).
        near = np.mean([t.metrics["load"] <= 0.52 for t in study.trials[10:]])
        return near, front_hv(study), study

    bayes_near, bayes_hv, study = search("bayes")
    random_near, random_hv, _ = search("random")
    assert bayes_near > 0.7 and bayes_near > 2 * random_near
    assert bayes_hv > random_hv
    assert study.pareto_front and all(t.feasible for t in study.pareto_front)


def test_running_trials_send_parallel_asks_elsewhere():
    study = run(Study(spec("bayes", seed=3)), zdt1, 10)
    asked = [study.ask() for _ in range(4)]  # four workers ask before any result
    points = np.array([list(t.params.values()) for t in asked])
    gaps = [np.linalg.norm(points[i] - points[j]) for i in range(4) for j in range(i)]
    assert min(gaps) > 1e-3


def test_failed_and_pruned_trials_and_missing_metrics_do_not_stop_the_search():
    study = Study(spec("bayes", seed=4))
    for i in range(14):
        t = study.ask()
        if i % 4 == 1:
            study.tell(t.number, TrialState.FAILED, error="crashed")
        elif i % 4 == 2:
            # a pruned trial never reports f2: it counts as the worst f2 seen
            study.report(t.number, 1, 0.9)
            study.tell(t.number, TrialState.PRUNED)
        else:
            value, metrics = zdt1(t.params)
            study.tell(t.number, TrialState.COMPLETE, value=value, metrics=metrics)
    assert study.fallbacks == 0 and study.pareto_front


def test_same_seed_same_suggestions():
    a = run(Study(spec("bayes", seed=5)), zdt1, 12)
    b = run(Study(spec("bayes", seed=5)), zdt1, 12)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]


@pytest.mark.parametrize("name", ["random", "sobol", "grid"])
def test_other_samplers_suggest_what_they_did_with_one_objective(name):
    one = spec(name, seed=6, objectives=[{"metric": "value", "direction": "minimize"}])
    assert not one.is_multi
    several = spec(name, seed=6)
    a = Study(one.evolve(trials=6))
    b = Study(several.evolve(trials=6))
    assert [a.ask().params for _ in range(6)] == [b.ask().params for _ in range(6)]


def test_a_long_study_keeps_its_models_to_a_subset_and_still_improves_the_front():
    from engine.samplers._bayes_rules import MODEL_POINTS

    limits = [{"metric": "load", "max": 0.5}]

    def f(p):
        value, metrics = zdt1(p)
        return value, {**metrics, "load": p["x0"] + p["x1"]}

    study = run(Study(spec("random", seed=6, dims=2, constraints=limits)), f,
                MODEL_POINTS + 150)
    random_hv = front_hv(study)
    bayes = Study(spec("bayes", seed=6, dims=2, constraints=limits), trials=study.trials)
    sizes = []
    fit = bayes.sampler._multi._model

    def recording(key, sampler, x, y, *args, **kwargs):
        sizes.append(len(y))
        return fit(key, sampler, x, y, *args, **kwargs)

    bayes.sampler._multi._model = recording
    run(bayes, f, 6)
    assert bayes.fallbacks == 0
    assert sizes and max(sizes) <= MODEL_POINTS  # objectives and constraint alike
    assert front_hv(bayes) > random_hv  # the new trials still extend the front
