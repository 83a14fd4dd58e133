"""The trial a user chose from a study's Pareto front.

With several objectives there is no single best trial: the front holds the trade-offs, and
the user picks the one to keep. That pick is saved in the study file (``meta`` key
``chosen``), shown in the window, exported, and becomes the "best" that the study reports
next to the size of its front.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.trial import Trial, TrialState


def choice_problem(number: int, trials: Sequence[Trial], front: Sequence[Trial]) -> str | None:
    """Why trial ``number`` cannot be chosen ("it is outside the limits; ..."), None when it
    can; the caller names the trial."""
    if not 0 <= number < len(trials):
        last = f"trials 0 to {len(trials) - 1}" if trials else "no trials yet"
        return f"no such trial; the study has {last}"
    trial = trials[number]
    if trial.state is not TrialState.COMPLETE or not trial.values:
        return (f"it is {trial.state.value}; only a complete trial on the Pareto front can be "
                "chosen")
    if not trial.feasible:
        return "it is outside the limits; only a trial on the Pareto front can be chosen"
    if all(t.number != number for t in front):
        return ("another trial beats it in every objective; only a trial on the Pareto front "
                "can be chosen")
    return None


def loaded_choice(number: int | None, trials: Sequence[Trial]) -> int | None:
    """The chosen number read from a study file, if it still names a complete trial (a file
    edited by hand or cut short keeps opening; the choice is then dropped)."""
    if number is None or not 0 <= number < len(trials):
        return None
    return number if trials[number].state is TrialState.COMPLETE else None
