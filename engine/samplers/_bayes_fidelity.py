"""The bayes sampler's model of pruned trials by fidelity (the rule ``"fidelity"``).

A pruned trial's full-length value is unknown, but its value at the step where it stopped
is known, and so is how far it got. This rule keeps every trial in one GP with the step as
an input: each trial is an observation at its last step, a complete trial at the full
length (``z = 1``), a pruned one at ``z = log(1 + step) / log(1 + full)``, where ``full``
is the deepest step a complete trial reached. The GP learns from the trials how values at
early steps relate to full-length ones (a length scale of its own for ``z``: long when
curves keep their order, short when they cross), and the acquisition asks about the full
length only: candidates are scored at ``z = 1``, and improvement is measured from the best
full-length value predicted for a complete trial (before any trial completes, for any
configuration tried). This is the
"model values at their last step with a fidelity input" rule, as in multi-fidelity
Bayesian optimisation (Kandasamy et al. 2017; Swersky et al. 2014 freeze-thaw), with one
observation per trial so the cost stays that of one GP.

Failed trials are at the worst value seen, at ``z = 1``, as with the other rules.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from engine.trial import Trial, TrialState


def has_pruned(trials: Sequence[Trial]) -> bool:
    return any(t.state is TrialState.PRUNED and t.intermediate for t in trials)


def full_step(trials: Sequence[Trial]) -> float:
    """The step a full-length trial reaches: the deepest last step of a complete trial, or
    of any trial before one completes."""
    last = [t.intermediate[-1][0] for t in trials
            if t.state is TrialState.COMPLETE and t.intermediate]
    if not last:
        last = [t.intermediate[-1][0] for t in trials if t.intermediate]
    return float(max(last, default=1))


def fidelity(step: float, full: float) -> float:
    """``z`` of a value reported at ``step`` when a full trial reaches ``full``."""
    if full <= 0:
        return 1.0
    return float(min(1.0, max(0.0, math.log1p(max(step, 0.0)) / math.log1p(full))))


def observations(trials: Sequence[Trial], direction: str, usable: Callable[[Trial], bool]
                 ) -> tuple[list[Trial], list[Trial], np.ndarray, np.ndarray]:
    """The complete trials, the pruned ones modelled, and for both (complete first) their
    fidelities and values to minimise; failed trials are not included (see ``failed``)."""
    sign = -1.0 if direction == "maximize" else 1.0
    full = full_step(trials)
    done = [t for t in trials if usable(t)]
    pruned = [t for t in trials if t.state is TrialState.PRUNED and t.intermediate
              and math.isfinite(t.intermediate[-1][1])]
    z = np.concatenate([np.ones(len(done)),
                        [fidelity(t.intermediate[-1][0], full) for t in pruned]])
    y = np.array([sign * float(t.value) for t in done]
                 + [sign * float(t.intermediate[-1][1]) for t in pruned])
    return done, pruned, z, y


def lift(features: np.ndarray, n_num: int, z: float | np.ndarray = 1.0) -> np.ndarray:
    """Feature rows with the fidelity column inserted after the numeric ones (the GP's
    numeric columns come first)."""
    return np.insert(features, n_num, z, axis=1)


# The "checked" rule: a pruned trial joins the model only if, among the complete trials,
# values at the step where it stopped rank like the final ones. Across random
# configurations early and final values agree on every task of the pruning benchmark
# (Spearman 0.67-0.98), but among the best third at a rung they often do not (boosting
# -0.4: fast learners lead early and overfit), and the complete trials of an ASHA study
# are the ones that led at every rung, so their agreement is the one that matters
# (python -m benchmarks.pruning_vs_peers --agreement). Over 10 seeds it was level with
# leaving pruned trials out (docs/benchmarks.md).
MIN_AGREEING = 5  # complete trials needed to judge a step; fewer and it is not trusted
AGREEMENT = 0.5  # Spearman's rho between a step's values and the final ones


def agreeing(trials: Sequence[Trial], direction: str) -> list[Trial]:
    """``trials`` without the pruned ones whose stopping step is not trusted: a step is
    trusted when at least MIN_AGREEING complete trials reported a value at or after it and
    those values rank like their final ones (Spearman's rho >= AGREEMENT)."""
    from scipy.stats import spearmanr

    sign = -1.0 if direction == "maximize" else 1.0
    complete = [t for t in trials if t.state is TrialState.COMPLETE and t.intermediate
                and t.value is not None and math.isfinite(t.value)]
    trusted: dict[float, bool] = {}

    def ok(step: float) -> bool:
        if step not in trusted:
            pairs = [(next((v for s, v in t.intermediate if s >= step), math.nan), t.value)
                     for t in complete]
            pairs = [(sign * a, sign * b) for a, b in pairs if math.isfinite(a)]
            rho = math.nan
            if len(pairs) >= MIN_AGREEING:
                early, final = np.array(pairs).T
                if np.ptp(early) > 0 and np.ptp(final) > 0:
                    rho = float(spearmanr(early, final)[0])
            trusted[step] = rho >= AGREEMENT
        return trusted[step]

    return [t for t in trials if t.state is not TrialState.PRUNED
            or (t.intermediate and ok(t.intermediate[-1][0]))]
