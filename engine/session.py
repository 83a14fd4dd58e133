"""A study's life, by the same rules in the window and on the command line.

Which study a run adds to (continue the open one, give an empty file the new setup, or
start a new file), what changed when it may not continue, where a new study file goes,
and what a run needs before anything is written. Qt-free: the window only shows the
answers and asks the user; ``engine.cli`` prints them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from engine.samplers import make_sampler
from engine.spec import StudySpec
from engine.storage import StudyFileError
from engine.study import Study

Action = Literal["continue", "overwrite", "new"]


@dataclass(frozen=True)
class RunPlan:
    """What Run does with a spec: ``continue`` the open study in place, ``overwrite`` its
    file (it holds no trials yet), or start a ``new`` study file at ``path``."""

    action: Action
    path: Path | None
    changes: tuple[str, ...] = ()  # why it cannot continue the open study, if it has trials


def search_changes(old: StudySpec, new: StudySpec) -> list[str]:
    """What differs between two specs in what makes trials comparable, named for a user;
    empty when ``new`` continues ``old`` (only run settings may differ)."""
    changes = []
    if old.params != new.params:
        before, after = {p.name: p for p in old.params}, {p.name: p for p in new.params}
        added = [n for n in after if n not in before]
        removed = [n for n in before if n not in after]
        edited = [n for n in after if n in before and after[n] != before[n]]
        if added:
            changes.append(f"parameters added: {', '.join(added)}")
        if removed:
            changes.append(f"parameters removed: {', '.join(removed)}")
        if edited:
            changes.append(f"parameters changed: {', '.join(edited)}")
        if not (added or removed or edited):
            changes.append("parameter order changed")
    if old.objective != new.objective:
        keys = sorted(k for k in set(old.objective) | set(new.objective)
                      if old.objective.get(k) != new.objective.get(k))
        changes.append(f"objective changed: {', '.join(keys)}")
    if old.direction != new.direction:
        changes.append(f"direction changed: {old.direction} -> {new.direction}")
    if old.objectives != new.objectives and old.goals != new.goals:
        changes.append("objectives changed: "
                       f"{_goal_text(old.goals)} -> {_goal_text(new.goals)}")
    if old.constraints != new.constraints:
        changes.append("constraints changed: "
                       f"{_limit_text(old.constraints)} -> {_limit_text(new.constraints)}")
    return changes


def _goal_text(goals) -> str:
    return ", ".join(f"{g.metric} ({g.direction})" for g in goals)


def _limit_text(limits) -> str:
    return ", ".join(c.text() for c in limits) or "none"


def plan_run(current: Study | None, spec: StudySpec, folder: Path) -> RunPlan:
    """Where a run of ``spec`` goes, given the study open now (if any).

    The open study continues when its search is the same; a writable study without trials
    takes the new setup whole; anything else is a new file in ``folder`` (never a silent
    overwrite of trials).
    """
    file = current.file if current is not None else None
    writable = file is not None and not file.readonly
    if writable and spec.same_search_as(current.spec):
        return RunPlan("continue", file.path)
    if writable and not current.trials:
        return RunPlan("overwrite", file.path)
    changes = tuple(search_changes(current.spec, spec)) if current is not None else ()
    return RunPlan("new", free_path(folder, spec.name), changes)


def new_study_folder(current: Study | None, spec_folder: Path | None, default: Path) -> Path:
    """Where a new study file goes: next to the open study, else next to the spec it was
    imported from (as the CLI writes next to the spec), else the user's Knobs folder."""
    if current is not None and current.file is not None:
        return current.file.path.parent
    if spec_folder is not None:
        return spec_folder
    return default


def free_path(folder: Path, name: str) -> Path:
    """``folder/<name>.knobs``, numbered ``-2``, ``-3``… when taken."""
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in name.strip()).strip("-")
    stem = stem or "study"
    path, n = folder / f"{stem}.knobs", 2
    while path.exists():
        path, n = folder / f"{stem}-{n}.knobs", n + 1
    return path


def budget_problem(spec: StudySpec) -> str | None:
    """A run without an end is refused before any file is written."""
    if spec.trials is not None or spec.time_s is not None or spec.steps is not None:
        return None
    sampler = make_sampler(spec.sampler, spec.space, direction=spec.direction, seed=spec.seed,
                           options=spec.sampler_options)
    if sampler.size is not None:
        return None
    return ("no budget: give --trials, or budget.trials / budget.time_s / budget.steps "
            "in the spec")


def start(current: Study | None, spec: StudySpec, plan: RunPlan) -> Study:
    """Carry out a plan: the study the run adds to (``current`` itself when it continues;
    otherwise ``current`` is closed once the new file exists)."""
    if plan.action == "continue":
        current.reconfigure(spec)
        return current
    if plan.action == "overwrite":
        current.close()  # nothing run yet: the file takes the new setup whole
        return Study.create(spec, plan.path, overwrite=True)
    plan.path.parent.mkdir(parents=True, exist_ok=True)
    study = Study.create(spec, plan.path)
    if current is not None:
        current.close()
    return study


def resume(path: Path, spec: StudySpec, check: Callable[[], None] | None = None) -> Study:
    """Continue the study in ``path`` with ``spec``'s run settings (budget, sampler,
    workers, timeout, seed); refuse, naming what changed, when ``spec`` is another search.

    The objective that runs is the one in ``spec``, which the user named, and it must equal
    the stored one: a command or Python file stored in a study is never run unseen.
    ``check`` (e.g. that the objective can run) is called once the file is known to be a
    study of this search, before anything is written to it.
    """
    study = Study.open(path, claim=False)  # claimed once every check passed
    try:
        changes = search_changes(study.spec, spec)
        if changes:
            raise StudyFileError(
                f"{path} holds another search than the spec, so it cannot be resumed with "
                f"it ({'; '.join(changes)}): run without --resume and a new --out")
        if check is not None:
            check()
        study.file.claim()
        study.reconfigure(spec)
    except Exception:
        study.close()
        raise
    return study


def open_study(path: Path) -> tuple[Study, bool]:
    """Open a study to run it; read-only when another process runs it. True when
    read-only."""
    try:
        return Study.open(path), False
    except StudyFileError as exc:
        if "in use by another" not in str(exc):
            raise
        return Study.open(path, readonly=True), True
