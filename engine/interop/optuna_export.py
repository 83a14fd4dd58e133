"""Write a Knobs study into an Optuna storage, so optuna-dashboard and Optuna's tools read it.

Needs Optuna (the ``optuna`` extra). Only the target storage is written; the study file is
read. Trials still running or interrupted are left out: Optuna could not tell them apart
from trials running now.

A study of several objectives or limits becomes a study with one direction per objective:
each complete trial's objective values, its constraint values as Optuna's samplers and
``best_trials`` read them (one per limit, feasible when <= 0), and the objectives' metric
names. The chosen trial (engine.chosen) is the study's user attribute ``knobs_chosen_trial``
(Optuna's number) and the trial's ``knobs_chosen``.
"""

from __future__ import annotations

import warnings
from typing import Any

from engine.goals import metric_value
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
    spec = study.spec
    multi = spec.is_multi
    target = optuna.create_study(storage=storage, study_name=name,
                                 directions=[g.direction for g in spec.goals] if multi
                                 else [spec.direction])
    if multi:
        with warnings.catch_warnings():  # "experimental" since Optuna 3.2, and still there
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            target.set_metric_names([g.metric for g in spec.goals])
    states = {TrialState.COMPLETE: optuna.trial.TrialState.COMPLETE,
              TrialState.PRUNED: optuna.trial.TrialState.PRUNED,
              TrialState.FAILED: optuna.trial.TrialState.FAIL}
    chosen = study.chosen
    exported = 0
    for t in study.trials:
        complete = t.state is TrialState.COMPLETE
        if t.state not in states or (complete and (t.values if multi else t.value) in
                                     (None, ())):
            continue
        params = {k: v for k, v in t.params.items() if k in distributions}
        attrs = {"knobs_number": t.number, **({"error": t.error} if t.error else {})}
        system = {}
        if multi and complete:
            if spec.constraints:
                system["constraints"] = _constraints(spec.constraints, t)
            if chosen is not None and chosen.number == t.number:
                attrs["knobs_chosen"] = True
                target.set_user_attr("knobs_chosen_trial", exported)
        target.add_trial(optuna.trial.create_trial(
            state=states[t.state],
            values=(list(t.values) if multi else [t.value]) if complete else None,
            params=params, distributions={k: distributions[k] for k in params},
            intermediate_values=dict(t.intermediate),
            user_attrs=attrs, system_attrs=system,
        ))
        exported += 1
    return name


def _constraints(limits: Any, t: Any) -> list[float]:
    """One value per limit, Optuna's way: how far outside it (> 0) or inside (<= 0)."""
    out = []
    for lim in limits:
        # A complete trial has every limit's metric: without one it would have failed.
        v = metric_value(lim.metric, t.value, t.metrics)
        sides = [v - lim.max if lim.max is not None else -float("inf"),
                 lim.min - v if lim.min is not None else -float("inf")]
        out.append(max(sides))
    return out


def _distribution(optuna: Any, p: Any):
    d = optuna.distributions
    if p.kind == "float":
        return d.FloatDistribution(p.low, p.high, log=p.log, step=None if p.log else p.step)
    if p.kind == "int":
        return d.IntDistribution(p.low, p.high, log=p.log, step=1 if p.log else p.step)
    return d.CategoricalDistribution(list(p.choices))
