"""Study: thread-safe ask/tell over the trial history, the budget and the study file.

Workers call :meth:`Study.ask` for a new trial and :meth:`Study.tell` with its outcome.
Both hold one lock, so the sampler always sees every running trial and parallel workers
never receive the same grid cell. Every change is written to the study file inside the
same call, then listeners hear about it (``listener(event, trial)``) outside the lock.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from engine.best import competes, is_better
from engine.chosen import choice_problem, loaded_choice
from engine.goals import MissingMetric, objective_values, violation
from engine.pruners.fidelity import ROWS, step_unit
from engine.pruners.savings import Savings, SavingsTally, work
from engine.samplers.base import Sampler
from engine.spec import StudySpec, spec_from_dict, spec_to_dict
from engine.storage import StudyFile, StudyFileError, check_note
from engine.study_front import ParetoFront, trial_ranks
from engine.study_open import check_params_fit, interrupted, pruner_of, sampler_of
from engine.study_summary import Summary, summarize
from engine.trial import Trial, TrialState

log = logging.getLogger(__name__)

Listener = Callable[[str, Trial], None]
# While trials are written, the study file is checkpointed (the WAL moved into it) at most
# this often, so that a copy of the .knobs file alone is never more than a moment behind.
CHECKPOINT_S = 3.0
# Events: "started" (a trial was asked), "finished" (told), "intermediate" (a report).
EVENTS = ("started", "finished", "intermediate")


class Study:
    """The history of one study and the rules for adding to it."""

    def __init__(
        self,
        spec: StudySpec,
        file: StudyFile | None = None,
        trials: list[Trial] | None = None,
        sampler: Sampler | None = None,
    ):
        self.spec = spec
        self.space = spec.space
        self.file = file
        self.sampler = sampler or sampler_of(spec, self.space)
        self.pruner = pruner_of(spec)
        self._stops: dict[int, tuple[str, int]] = {}  # trial -> (why it stops, at which step)
        self._trials: list[Trial] = []
        self._steps_used = 0  # last reported step of every trial, summed (budget.steps)
        self._counts = dict.fromkeys(TrialState, 0)
        self._best: Trial | None = None
        self._front = ParetoFront(spec.goals)
        # A data-fraction step is a fit of its own, so its cost is every step's rows.
        self._refits = step_unit(spec.objective) == ROWS
        self._savings = SavingsTally(self._refits)
        for t in trials or []:
            self._put(t)
            self._steps_used += work(t, self._refits)
        self._chosen = loaded_choice(file.chosen() if file is not None else None, self._trials)
        self._snapshot()
        self._lock = threading.RLock()
        self._listeners: list[Listener] = []
        self._clock_started: float | None = None
        self._queue: deque[dict[str, Any]] = deque()
        self.exhausted = False
        # Asks the sampler failed (e.g. a GP fit that broke), answered with a random point.
        self.fallbacks = 0
        self.last_fallback: str | None = None
        self._checkpointed = time.monotonic()
        self._note = file.study_note() if file is not None else ""

    # --- opening ---------------------------------------------------------------------

    @classmethod
    def create(cls, spec: StudySpec, path: str | Path | None = None, *,
               overwrite: bool = False) -> Study:
        """A new study; with a path it is saved to a new study file as it runs."""
        file = None
        if path is not None:
            file = StudyFile.create(path, spec_to_dict(spec), overwrite=overwrite)
            file.checkpoint()  # the file alone opens as this study from the start
        return cls(spec, file)

    @classmethod
    def open(cls, path: str | Path, *, readonly: bool = False, claim: bool = True) -> Study:
        """Reopen a study file; trials left running by a dead process are interrupted.

        Opened for writing, the study is claimed (``StudyFile.claim``) once found good;
        with ``claim=False`` the caller claims it after checks of its own, so that a study
        it refuses is left untouched (the first write claims it otherwise)."""
        file = StudyFile.open(path, readonly=readonly)
        try:
            spec = spec_from_dict(file.spec(), source=str(path))
            trials = file.trials()
            check_params_fit(path, spec, trials)
            if not readonly and claim:
                file.claim()  # only a study found good is written to; claiming interrupts
        except Exception:
            file.close()
            raise
        if not readonly or not file.in_use_elsewhere():
            # Nobody runs these any more (read-only: say so without changing the file).
            trials = [interrupted(t) if t.state is TrialState.RUNNING else t for t in trials]
        return cls(spec, file, trials)

    def reconfigure(self, spec: StudySpec) -> None:
        """Continue with new run settings (sampler, budget, workers…) on the same trials.

        The search itself (space, objective, direction) must be unchanged: other trials
        would not belong to this study.
        """
        if not spec.same_search_as(self.spec):
            raise ValueError("the search space, objective or direction changed: "
                             "that is a new study, not a continuation")
        with self._lock:
            if self.file is not None and not self.file.readonly:
                self.file.write_spec(spec_to_dict(spec))
            self.spec = spec
            self.sampler = sampler_of(spec, self.space)
            self.pruner = pruner_of(spec)
            for t in self._trials:
                self.sampler.after_trial(t)
                self.pruner.observe(t)
            self.exhausted = False
            self._snapshot()

    def close(self) -> None:
        if self.file is not None:
            self.file.close()

    # --- listening -------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(event, trial)`` on every change; returns an unsubscribe call."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _emit(self, event: str, trial: Trial) -> None:
        for listener in list(self._listeners):
            listener(event, trial)

    # --- ask / tell ------------------------------------------------------------------

    def start_clock(self) -> None:
        """Start counting the time budget; called when a run starts (again on resume)."""
        self._clock_started = time.monotonic()

    def ask(self, worker: int | None = None) -> Trial | None:
        """Start a new trial, or return ``None`` when the budget or the sampler is spent."""
        with self._lock:
            if self._queue:
                params = self._queue.popleft()
            elif self.budget_spent():
                return None
            else:
                params = self._sampler_ask()
                if params is None:
                    self.exhausted = True
                    return None
            trial = Trial(
                number=len(self._trials), params=params, state=TrialState.RUNNING,
                started_at=time.time(), worker=worker,
            )
            self._save(trial)
            self._put(trial)
            self._snapshot()
        self._emit("started", trial)
        return trial

    def _sampler_ask(self) -> dict[str, Any] | None:
        # A sampler that breaks on one ask (a GP fit that fails on odd data) should cost one
        # model-guided trial, not the run: that trial gets a uniform random point instead.
        try:
            return self.sampler.ask(self._trials)
        except Exception as exc:  # noqa: BLE001 - logged, counted and shown in the summary
            log.warning("the %s sampler failed (%s: %s); trial %d gets a random point",
                        self.spec.sampler, type(exc).__name__, exc, len(self._trials),
                        exc_info=True)
            self.fallbacks += 1
            self.last_fallback = f"{type(exc).__name__}: {exc}".splitlines()[0]
            rng = np.random.default_rng([len(self._trials), self.fallbacks])
            return self.space.decode(rng.random(self.space.dimension))

    def enqueue(self, params: dict[str, Any]) -> None:
        """Run these params next, before the sampler's suggestions and beyond the budget.

        Used to re-run a configuration (is a good score luck or real?).
        """
        if not self.space.contains(params):
            raise ValueError(f"params {params} do not fit the study's search space")
        with self._lock:
            self._queue.append(dict(params))

    @property
    def queued(self) -> int:
        return len(self._queue)

    def absorb(self, trials: list[Trial]) -> None:
        """Take trials another process wrote to this study's file (see engine.follow);
        listeners get a ``"followed"`` event for each."""
        with self._lock:
            for t in trials:
                self._steps_used += work(t, self._refits) - (
                    work(self._trials[t.number], self._refits)
                    if t.number < len(self._trials) else 0)
                self._put(t)
            self._snapshot()
        for t in trials:
            self._emit("followed", t)

    # --- notes -----------------------------------------------------------------------

    @property
    def note(self) -> str:
        """The user's note on the whole study."""
        return self._note

    def set_study_note(self, text: str) -> None:
        """Keep a note on the study (saved at once; empty text removes it)."""
        text = check_note(text, "the study's note")
        with self._lock:
            if self.file is not None:
                self.file.write_study_note(text)
            self._note = text

    def set_note(self, number: int, text: str) -> Trial:
        """Keep a note on a trial (saved at once; empty text removes it). Listeners get a
        ``"note"`` event with the trial as it now reads."""
        text = check_note(text, f"the note on trial {number}")
        with self._lock:
            if not 0 <= number < len(self._trials):
                raise ValueError(f"trial = {number}: no such trial; the study has trials "
                                 f"0 to {len(self._trials) - 1}")
            if self.file is not None:
                self.file.write_note(number, text)
            trial = self._trials[number].evolve(note=text)
            self._trials[number] = trial
            if self._best is not None and self._best.number == number:
                self._best = trial
        self._emit("note", trial)
        return trial

    @property
    def chosen(self) -> Trial | None:
        """The trial the user chose from the Pareto front (see :mod:`engine.chosen`)."""
        with self._lock:
            return None if self._chosen is None else self._trials[self._chosen]

    def choose(self, number: int | None) -> Trial | None:
        """Mark trial ``number`` of the Pareto front as the chosen one (saved at once;
        None unmarks). Listeners get a ``"chosen"`` event for the trial newly chosen and for
        the one it replaces. Raises ValueError naming the trial when it is not on the front."""
        with self._lock:
            if number is not None:
                problem = choice_problem(number, self._trials, self._front.trials)
                if problem:
                    raise ValueError(f"trial = {number}: {problem}")
            if self.file is not None:
                self.file.write_chosen(number)
            old, self._chosen = self._chosen, number
            self._snapshot()
            changed = [self._trials[n] for n in dict.fromkeys((old, number)) if n is not None]
        for trial in changed:
            self._emit("chosen", trial)
        return self.chosen

    def tell(
        self,
        number: int,
        state: TrialState,
        *,
        value: float | None = None,
        metrics: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> Trial:
        """Record how a running trial ended; the trial is saved before this returns.

        A PRUNED trial keeps its curve; its value is the last one it reported (unless one is
        given), and its
        metrics say at which step it stopped (``stopped_at``) and which pruner stopped it
        (``pruned_by``, with the rule in ``error``).
        """
        if state is TrialState.RUNNING:
            raise ValueError("tell() records an ended trial; RUNNING is not an end state")
        if state is TrialState.COMPLETE and (value is None or not math.isfinite(value)):
            raise ValueError(f"a complete trial needs a finite value, got {value!r}")
        with self._lock:
            current = self._trials[number]
            if current.state is not TrialState.RUNNING:
                raise ValueError(f"trial {number} already ended as {current.state.value}")
            if state is TrialState.PRUNED:
                last, metrics, error = self._pruned_result(current, metrics, error)
                value = last if value is None else value
            values, viol = (), 0.0
            if self.spec.is_multi and state in (TrialState.COMPLETE, TrialState.PRUNED):
                try:
                    values = objective_values(value, metrics or {}, self.spec.goals)
                    viol = violation(value, metrics or {}, self.spec.constraints)
                except MissingMetric as exc:
                    # Without every objective the trial cannot be placed against the others.
                    if state is TrialState.COMPLETE:
                        state, error = TrialState.FAILED, str(exc)
            trial = current.evolve(
                state=state, value=value, metrics=dict(metrics or {}), error=error,
                finished_at=time.time(), values=values, violation=viol,
            )
            self._save(trial)
            self._put(trial)
            self._snapshot()
        self._emit("finished", trial)
        return trial

    def _pruned_result(self, current: Trial, metrics: dict[str, Any] | None, error: str | None
                       ) -> tuple[float | None, dict[str, Any], str | None]:
        decided = self._stops.pop(current.number, None)
        last = current.intermediate[-1] if current.intermediate else (None, None)
        reason, step = decided or (error or "stopped early", last[0])
        out = {**(metrics or {}), "stopped_at": step,
               "pruned_by": self.pruner.name if decided else None}
        return last[1], out, reason

    def report(self, number: int, step: int, value: float) -> str | None:
        """Store an intermediate value (e.g. score after an epoch) of a running trial.

        Returns why the trial should stop now (the pruner's rule, as a sentence), or
        ``None`` to let it go on. A trial told to stop keeps being told so.
        """
        with self._lock:
            if number in self._stops:
                return self._stops[number][0]
            current = self._trials[number]
            if not math.isfinite(value):
                # A NaN loss mid-training says nothing a plot can show; only a pruner may act.
                reason = self.pruner.should_prune_nonfinite(current, int(step), value)
                if reason is not None:
                    self._stops[number] = (reason, int(step))
                return reason
            steps = dict(current.intermediate)
            steps[int(step)] = float(value)
            trial = current.evolve(intermediate=tuple(sorted(steps.items())))
            self._steps_used += work(trial, self._refits) - work(current, self._refits)
            if self.file is not None:
                self.file.write_intermediate(number, int(step), float(value))
            self._trials[number] = trial
            self.pruner.observe(trial)
            reason = self.pruner.judge(trial)
            if reason is not None:
                self._stops[number] = (reason, int(step))
        self._emit("intermediate", trial)
        return reason

    def _put(self, trial: Trial) -> None:
        # Counts, best and the sampler's own state are kept as trials change, so that asking
        # stays O(1) at 100k trials.
        if trial.number < len(self._trials):
            self._counts[self._trials[trial.number].state] -= 1
            self._trials[trial.number] = trial
        else:
            self._trials.append(trial)
        self._counts[trial.state] += 1
        self.sampler.after_trial(trial)
        self.pruner.observe(trial)
        if trial.state is not TrialState.RUNNING:
            self._savings.add(trial)  # an ended trial never changes again
        if trial.state is not TrialState.COMPLETE:
            return
        if not self.spec.is_multi:
            if competes(trial) and (self._best is None or is_better(
                    trial.value, self._best.value, self.spec.direction)):
                self._best = trial
        elif trial.values and trial.feasible:
            if self._front.add(trial) and len(self.spec.goals) == 1:
                self._best = self._front.best_in_first()

    def _save(self, trial: Trial) -> None:
        # A study opened read-only refuses to run (write_trial raises StudyFileError) rather
        # than running trials whose results would silently never reach the file.
        if self.file is not None:
            self.file.write_trial(trial)
            if time.monotonic() - self._checkpointed >= CHECKPOINT_S:
                self.checkpoint()

    def checkpoint(self) -> None:
        """Make the study file alone complete up to now (the run loop calls this on every
        pause and at the end of a run, and the study every few seconds of writes)."""
        if self.file is not None:
            self.file.checkpoint()
        self._checkpointed = time.monotonic()

    # --- what is known ---------------------------------------------------------------

    @property
    def trials(self) -> list[Trial]:
        """A snapshot of every trial; the trials themselves are immutable."""
        with self._lock:
            return list(self._trials)

    def trial(self, number: int) -> Trial:
        """The newest snapshot of one trial."""
        with self._lock:
            return self._trials[number]

    @property
    def direction(self) -> str:
        return self.spec.direction

    def counts(self) -> dict[TrialState, int]:
        with self._lock:
            return dict(self._counts)

    @property
    def n_finished(self) -> int:
        with self._lock:
            return sum(n for state, n in self._counts.items() if state.is_finished)

    @property
    def best_trial(self) -> Trial | None:
        """The best complete trial (meeting the constraints, if any) of a study with one
        objective; ``None`` with several, where :attr:`pareto_front` says what is best."""
        return self._best

    @property
    def is_multi(self) -> bool:
        """True when trials are judged by several objectives or constraints."""
        return self.spec.is_multi

    @property
    def pareto_front(self) -> list[Trial]:
        """Complete trials that meet every constraint and that no other such trial beats in
        every objective, sorted by the first objective (best first). With one objective and
        no constraints: the best trial (and any tied with it)."""
        with self._lock:
            if not self.spec.is_multi:
                best = self._best
                return [] if best is None else [
                    t for t in self._trials
                    if t.state is TrialState.COMPLETE and t.value == best.value]
            return self._front.in_order()

    def ranks(self) -> dict[int, int]:
        """Pareto rank of every complete trial, by number: 0 for the front, then each
        front once the better ones are removed; trials outside the constraints come after
        all that meet them, ranked by how far outside they are."""
        with self._lock:
            trials = list(self._trials)
        return trial_ranks(trials, self.spec.goals, self.spec.is_multi)

    def summary(self) -> Summary:
        """Counts, best, finished, budget left and running, consistent with each other.

        Made by whichever thread changed the study, under its lock; reading it takes no
        lock, so a window never waits on a sampler that holds it.
        """
        return self._summary

    def _snapshot(self) -> None:
        # Called under the lock after every change of the trials.
        chosen = self._chosen
        self._summary = summarize(self.spec, self._counts, self._best, self.total,
                                  self._savings, len(self._front),
                                  None if chosen is None else self._trials[chosen])

    @property
    def total(self) -> int | None:
        """How many trials the study will have when done, if that is known."""
        limits = [n for n in (self.spec.trials, self.sampler.size) if n is not None]
        return min(limits) if limits else None

    @property
    def savings(self) -> Savings:
        """Steps run and saved by pruning, over the trials that ended."""
        with self._lock:
            return self._savings.savings()

    @property
    def steps_used(self) -> int:
        """Steps (epochs) the trials ran, summed (see savings.work: every data fraction
        fitted counts): what ``budget.steps`` counts."""
        return self._steps_used

    def budget_spent(self) -> bool:
        """True when no new trial should start (finished + running reach the budget, or the
        trials have reported ``budget.steps`` steps)."""
        with self._lock:
            if self.exhausted:
                return True
            if self.spec.trials is not None:
                started = self.n_finished + self._counts[TrialState.RUNNING]
                if started >= self.spec.trials:
                    return True
            if self.spec.steps is not None and self._steps_used >= self.spec.steps:
                return True
            if self.spec.time_s is not None and self._clock_started is not None:
                return time.monotonic() - self._clock_started >= self.spec.time_s
            return False

    def is_done(self) -> bool:
        """True when the budget is spent and nothing is running."""
        with self._lock:
            return self.budget_spent() and not self._counts[TrialState.RUNNING]


__all__ = ["EVENTS", "Study", "StudyFileError", "Summary"]
