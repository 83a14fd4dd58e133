"""Write a Knobs study into an Optuna storage, so optuna-dashboard and Optuna's tools read it.

Needs Optuna (the ``optuna`` extra). Only the target storage is written; the study file is
read. Trials still running or interrupted are left out: Optuna could not tell them apart
from trials running now.
"""

from __future__ import annotations

from typing import Any

from engine.trial import TrialState


def export_to_optuna(study: Any, storage: str, study_name: str | None = None) -> str:
    """Add ``study``'s finished trials as a new study in ``storage`` (an Optuna URL such as
    ``sqlite:///out.db``); returns the name it was stored under."""
    try:
        import optuna
    except ImportError:
        raise ImportError("exporting to Optuna needs Optuna: pip install 'knobs[optuna]'"
                          ) from None
    distributions = {p.name: _distribution(optuna, p) for p in study.space.params
                     if p.kind != "fixed"}
    name = study_name or study.spec.name
    target = optuna.create_study(storage=storage, study_name=name,
                                 direction=study.spec.direction)
    states = {TrialState.COMPLETE: optuna.trial.TrialState.COMPLETE,
              TrialState.PRUNED: optuna.trial.TrialState.PRUNED,
              TrialState.FAILED: optuna.trial.TrialState.FAIL}
    for t in study.trials:
        if t.state not in states or (t.state is TrialState.COMPLETE and t.value is None):
            continue
        params = {k: v for k, v in t.params.items() if k in distributions}
        target.add_trial(optuna.trial.create_trial(
            state=states[t.state],
            value=t.value if t.state is TrialState.COMPLETE else None,
            params=params, distributions={k: distributions[k] for k in params},
            intermediate_values=dict(t.intermediate),
            user_attrs={"knobs_number": t.number, **({"error": t.error} if t.error else {})},
        ))
    return name


def _distribution(optuna: Any, p: Any):
    d = optuna.distributions
    if p.kind == "float":
        return d.FloatDistribution(p.low, p.high, log=p.log, step=None if p.log else p.step)
    if p.kind == "int":
        return d.IntDistribution(p.low, p.high, log=p.log, step=1 if p.log else p.step)
    return d.CategoricalDistribution(list(p.choices))
