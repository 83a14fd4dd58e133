"""What a model-based sampler should learn from pruned trials, as a view of the trials.

A pruned trial was stopped because, at its last step, it looked worse than others at that
step; not because it failed, and its full-length value is unknown. Bayes with one
objective models them by fidelity once enough trials ran to the end (the rule that did best
in benchmarks/pruning_vs_peers.py, samplers/_bayes_fidelity.py) or leaves them out;
this view is for several objectives, and for one under ``BayesSampler.pruned_rule =
"bohb"``. The view (:func:`deepest_rung`) is BOHB's:

    Model the deepest step that enough trials reached (the number of parameters + 2):
    the full length once that many trials completed, else the deepest rung with that many
    trials, each trial at its value there. Trials pruned before that step are left out.

So early on the model learns from the many trials of a rung rather than from two or three
complete ones (where "ignore pruned" is blind), and later from full-length values only,
which pruned trials never had (where "pruned = worst" and the earlier rank rule,
:func:`rank_rule`, put values that were never seen). :func:`stacked_ranks` keeps every
trial, at its rank stacked by the step it reached. benchmarks/pruning_vs_peers.py compares
them; docs/benchmarks.md has the results and where the rule falls short.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.trial import Trial, TrialState


def full_length_estimate(trial: Trial, complete: Sequence[Trial], direction: str) -> float:
    """The full-length value to model pruned ``trial`` with (see the module's rule)."""
    sign = -1.0 if direction == "maximize" else 1.0
    finals = np.array([sign * float(t.value) for t in complete])
    if not trial.intermediate:
        return sign * float(finals.max())
    step, value = trial.intermediate[-1]
    at_step, final_at_step = [], []
    for t, f in zip(complete, finals):
        v = next((v for s, v in t.intermediate if s >= step), None)
        if v is not None:
            at_step.append(sign * v)
            final_at_step.append(f)
    if len(at_step) < 2:
        return sign * float(finals.max())
    at_step = np.array(at_step)
    mine = sign * value
    # Mid-rank for ties, so that equal curves get equal estimates.
    q = (np.sum(at_step < mine) + 0.5 * np.sum(at_step == mine)) / len(at_step)
    return sign * float(np.quantile(np.array(final_at_step), q))


def rank_rule(trials: Sequence[Trial], direction: str) -> list[Trial]:
    """``trials`` with every pruned trial shown as complete at its full-length estimate,
    for a sampler that models complete trials only."""
    complete = [t for t in trials if t.state is TrialState.COMPLETE and t.value is not None
                and np.isfinite(t.value)]
    if not complete or not any(t.state is TrialState.PRUNED for t in trials):
        return list(trials)
    return [t.evolve(state=TrialState.COMPLETE,
                     value=full_length_estimate(t, complete, direction))
            if t.state is TrialState.PRUNED else t for t in trials]


def deepest_rung(trials: Sequence[Trial], direction: str, min_points: int | None = None,
                 below: str = "out") -> list[Trial]:
    """``trials`` as the model of the deepest step that enough trials reached.

    At that step s, every trial that reached s is shown complete at its value there (a
    complete trial that ended sooner, at its final value); with enough complete trials, s
    is the full length and the complete trials keep their final values. Enough is
    ``min_points`` (the number of parameters + 2 by default), as in BOHB.

    A trial pruned before s is left out (shown interrupted, which samplers skip), as in
    BOHB: its value there is unknown, and the model of s already holds the trials that
    beat it. With ``below = "worst"`` it is shown complete at the worst modelled value
    instead (a variant the benchmark compares).
    """
    if not any(t.state is TrialState.PRUNED for t in trials):
        return list(trials)
    if min_points is None:
        min_points = _n_params(trials) + 2
    sign = -1.0 if direction == "maximize" else 1.0
    complete = {t.number for t in trials if t.state is TrialState.COMPLETE
                and t.value is not None and np.isfinite(t.value)}
    pruned = [t for t in trials if t.state is TrialState.PRUNED and t.intermediate]
    step = None  # None: the full length, modelled by the complete trials' final values
    if len(complete) < min_points:
        # Pruned trials' last steps, deepest first: the rungs where trials were compared.
        for s in sorted({t.intermediate[-1][0] for t in pruned}, reverse=True):
            if len(complete) + sum(t.intermediate[-1][0] >= s for t in pruned) >= min_points:
                step = s
                break
        else:
            step = min((t.intermediate[-1][0] for t in pruned), default=None)
    modelled: dict[int, float] = {}
    for t in trials:
        if t.number in complete:
            at = None if step is None else _value_reaching(t, step)
            modelled[t.number] = float(t.value) if at is None else at
        elif t in pruned and step is not None and t.intermediate[-1][0] >= step:
            modelled[t.number] = _value_reaching(t, step)
    worst = sign * max(sign * v for v in modelled.values()) if modelled else None
    out = []
    for t in trials:
        if t.number in modelled:
            out.append(t.evolve(state=TrialState.COMPLETE, value=modelled[t.number]))
        elif t.state is TrialState.PRUNED and below == "worst" and worst is not None:
            out.append(t.evolve(state=TrialState.COMPLETE, value=worst))
        elif t.state is TrialState.PRUNED:
            out.append(t.evolve(state=TrialState.INTERRUPTED))
        else:
            out.append(t)
    return out


def stacked_ranks(trials: Sequence[Trial], direction: str) -> list[Trial]:
    """``trials`` shown complete at their rank, every trial kept (a variant the benchmark
    compares, like a censored ordinal model).

    What pruning tells is an order, not values: a trial that went deeper beat, at some
    rung, every trial pruned before it. So trials are stacked by the step they reached,
    deepest first, and ordered by their value there within a step (complete trials by
    their final value, at the top); each is modelled at the normal score of its rank, on
    the scale of a standard normal, better ones lower when minimizing.
    """
    if not any(t.state is TrialState.PRUNED for t in trials):
        return list(trials)
    from scipy.stats import norm

    sign = -1.0 if direction == "maximize" else 1.0
    ranked = [t for t in trials if (t.state is TrialState.COMPLETE and t.value is not None
                                    and np.isfinite(t.value))
              or (t.state is TrialState.PRUNED and t.intermediate)]
    if not ranked:
        return list(trials)

    def key(t: Trial) -> tuple[float, float]:
        if t.state is TrialState.COMPLETE:
            return (-np.inf, sign * float(t.value))
        step, value = t.intermediate[-1]
        return (-float(step), sign * float(value) if np.isfinite(value) else np.inf)

    order = sorted(ranked, key=key)
    scores = norm.ppf((np.arange(len(order)) + 0.5) / len(order))
    value = {t.number: sign * float(z) for t, z in zip(order, scores)}
    return [t.evolve(state=TrialState.COMPLETE, value=value[t.number])
            if t.number in value else t for t in trials]


def pruned_as_complete(trials: Sequence[Trial], direction: str) -> list[Trial]:
    """What a sampler that models complete trials only should see: the rule in force."""
    return deepest_rung(trials, direction)


def _value_reaching(trial: Trial, step: int) -> float | None:
    return next((v for s, v in trial.intermediate if s >= step), None)


def _n_params(trials: Sequence[Trial]) -> int:
    # Conditional parameters come and go: the most any recent trial had.
    return max((len(t.params) for t in trials[-50:]), default=1)
