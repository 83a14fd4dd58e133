"""Summary: where a study stands, in one value a window can read without the study's lock."""

from __future__ import annotations

from typing import NamedTuple

from engine.pruners.fidelity import step_unit
from engine.pruners.savings import SavingsTally
from engine.spec import StudySpec
from engine.trial import Trial, TrialState


class Summary(NamedTuple):
    """Where a study stands, taken in one go under its lock: what a window shows on every
    refresh, made by the thread that changed the study so the GUI never waits on the lock.
    """

    counts: dict[TrialState, int]
    n_finished: int
    running: int
    best_trial: Trial | None
    total: int | None  # trials the study will have when done, if known
    budget_left: int | None  # trials still to start, if the budget counts trials
    # Compute used and saved by pruning ("312 of 1,000 epochs run; 69% saved"), once a
    # trial was pruned; empty otherwise.
    savings_text: str = ""
    # Trials on the Pareto front, in a study of several objectives; None with one.
    front_size: int | None = None
    # The trial the user chose from the front (engine.chosen), if any.
    chosen: Trial | None = None


def summarize(spec: StudySpec, counts: dict[TrialState, int], best: Trial | None,
              total: int | None, savings: SavingsTally, front_size: int,
              chosen: Trial | None = None) -> Summary:
    """The Summary of a study with these counts (copied), best trial and total."""
    counts = dict(counts)
    running = counts[TrialState.RUNNING]
    finished = sum(n for state, n in counts.items() if state.is_finished)
    left = None if spec.trials is None else max(0, spec.trials - finished - running)
    saved = ""
    if counts[TrialState.PRUNED]:
        saved = savings.savings().text(step_unit(spec.objective))
    front = front_size if spec.is_multi and len(spec.goals) > 1 else None
    return Summary(counts, finished, running, best, total, left, saved, front, chosen)
