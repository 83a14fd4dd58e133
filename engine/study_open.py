"""What a Study is built from: its sampler and pruner made from the spec (on opening and on
every reconfigure), the trials a dead process left running, and stored rows checked against
the search space before any sampler hears of them."""

from __future__ import annotations

from pathlib import Path

from engine.pruners import make_pruner
from engine.samplers import make_sampler
from engine.samplers.base import Sampler
from engine.space import show_value
from engine.spec import StudySpec
from engine.storage import StudyFileError
from engine.trial import Trial, TrialState


def sampler_of(spec: StudySpec, space) -> Sampler:
    sampler = make_sampler(spec.sampler, space, direction=spec.direction, seed=spec.seed,
                           options=spec.sampler_options)
    if spec.is_multi:
        sampler.use_goals(spec.goals, spec.constraints)
    return sampler


def pruner_of(spec: StudySpec):
    return make_pruner(spec.pruner, direction=spec.direction, seed=spec.seed,
                       options=spec.pruner_options)


def interrupted(trial: Trial) -> Trial:
    # As the file says once a writer claims it: an error already told is kept.
    return trial.evolve(state=TrialState.INTERRUPTED,
                        error=trial.error or "the app stopped while it ran")


def check_params_fit(path: str | Path, spec: StudySpec, trials: list[Trial]) -> None:
    # A row edited by hand or by another tool: a sampler told about a value outside the
    # space (a categorical choice it does not have) fails deep inside a worker later.
    space = spec.space  # made anew on each use: once here, not once per trial
    for t in trials:
        if not space.contains(t.params):
            raise StudyFileError(
                f"{path}: trial {t.number}: params = {show_value(t.params)} do not fit the "
                "study's search space; the file was changed outside Knobs"
            )
