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
