"""What a model-based sampler should learn from pruned trials.

A pruned trial was stopped because, at its last step, it looked worse than others at that
step; not because it failed. Counting it as the worst value seen throws away how close it
came; ignoring it lets the model send the next trials straight back to a region that was
just judged hopeless. The rule here:

    A trial pruned at step s with value v is given the full-length value of the complete
    trials that stood at the same rank at step s: v's rank among the complete trials'
    values at s (a fraction q from best to worst) picks the q-quantile of their final
    values. With fewer than two complete trials that reached step s, it gets the worst
    complete value (the old rule).

Pruned trials usually rank low at their step, so they land among the worst final values,
but one pruned narrowly lands near the middle. This is the rank-preserving view of learning
curves that BOHB's "model the best rung with enough trials" also relies on, without a
second model per rung.
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


def deepest_rung(trials: Sequence[Trial], direction: str,
                 min_points: int | None = None) -> list[Trial]:
    """``trials`` as the model of the deepest step that enough trials reached (BOHB's
    rule): at step s, every trial that reached s is shown complete at its value there
    (a complete trial that ended sooner, at its final value); pruned trials that stopped
    before s are left out (shown interrupted, which samplers skip). With enough complete
    trials, s is the full length and pruned trials are left out altogether; before that,
    the model learns from the many trials of a lower rung rather than from two or three
    complete ones. Enough is ``min_points`` (the number of parameters + 2 by default)."""
    if not any(t.state is TrialState.PRUNED for t in trials):
        return list(trials)
    if min_points is None:
        min_points = _n_params(trials) + 2
    complete = [t for t in trials if t.state is TrialState.COMPLETE and t.value is not None
                and np.isfinite(t.value)]
    pruned = [t for t in trials if t.state is TrialState.PRUNED and t.intermediate]
    if len(complete) >= min_points:
        return [_left_out(t) if t.state is TrialState.PRUNED else t for t in trials]
    # Pruned trials' last steps, deepest first: the rungs where trials were compared.
    for step in sorted({t.intermediate[-1][0] for t in pruned}, reverse=True):
        reached = [t for t in pruned if t.intermediate[-1][0] >= step]
        if len(complete) + len(reached) >= min_points:
            break
    else:
        return [_left_out(t) if t.state is TrialState.PRUNED else t for t in trials]
    out = []
    for t in trials:
        if t.state is TrialState.COMPLETE and t in complete:
            at = _value_reaching(t, step)
            out.append(t if at is None else t.evolve(value=at))
        elif t.state is TrialState.PRUNED:
            at = _value_reaching(t, step) if t.intermediate else None
            out.append(_left_out(t) if at is None
                       else t.evolve(state=TrialState.COMPLETE, value=at))
        else:
            out.append(t)
    return out


def pruned_as_complete(trials: Sequence[Trial], direction: str) -> list[Trial]:
    """What a sampler that models complete trials only should see: the rule in force."""
    return deepest_rung(trials, direction)


def _value_reaching(trial: Trial, step: int) -> float | None:
    return next((v for s, v in trial.intermediate if s >= step), None)


def _left_out(trial: Trial) -> Trial:
    return trial.evolve(state=TrialState.INTERRUPTED)


def _n_params(trials: Sequence[Trial]) -> int:
    # Conditional parameters come and go: the most any recent trial had.
    return max((len(t.params) for t in trials[-50:]), default=1)
