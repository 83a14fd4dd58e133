"""Objective kinds by name, as written in a study spec's ``[objective]`` table."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.objectives.base import Objective, ObjectiveError
from engine.objectives.command import CommandObjective
from engine.objectives.python_function import PythonFunctionObjective
from engine.objectives.sklearn_objective import SklearnObjective

KINDS: dict[str, type] = {
    PythonFunctionObjective.kind: PythonFunctionObjective,
    CommandObjective.kind: CommandObjective,
    SklearnObjective.kind: SklearnObjective,
}


def objective_class(settings: Mapping[str, Any]) -> type:
    kind = settings.get("kind")
    cls = KINDS.get(kind)
    if cls is None:
        accepted = ", ".join(sorted(KINDS))
        raise ObjectiveError(f"objective.kind = {kind!r}: expected one of {accepted}")
    return cls


def resolve_paths(settings: Mapping[str, Any], base_dir: str | Path) -> dict[str, Any]:
    """A copy of the settings with relative file paths made absolute from ``base_dir``.

    A study file stores these, so that it still runs when opened from another folder.
    """
    out = dict(settings)
    cls = objective_class(settings)
    for key in getattr(cls, "path_settings", ()):
        if isinstance(out.get(key), str) and out[key]:
            out[key] = str((Path(base_dir) / out[key]).resolve())
    # A command runs next to its spec unless told otherwise, not wherever Knobs started.
    for key in getattr(cls, "folder_settings", ()):
        if not out.get(key):
            out[key] = str(Path(base_dir).resolve())
    return out


def make_objective(settings: Mapping[str, Any]) -> Objective:
    """Build the objective a spec describes. Nothing is imported or run here."""
    cls = objective_class(settings)
    return cls.from_settings({k: v for k, v in settings.items() if k != "kind"})


def implied_direction(settings: Mapping[str, Any]) -> str | None:
    """The direction an objective's own settings call for (a metric's), if it has one."""
    # The direction is derived from settings too (an unknown or non-text metric raises),
    # so it is read inside the try: reading a spec must only ever raise SpecError.
    try:
        objective = make_objective(settings)
        direction = getattr(objective, "direction", None)
    except (ObjectiveError, TypeError, ValueError):
        return None  # a broken objective is reported by check(), with a better message
    return direction if direction in ("minimize", "maximize") else None


def reported_metrics(settings: Mapping[str, Any]) -> dict[str, str | None] | None:
    """The metrics an objective reports, each with the direction it is better in (``None``:
    no preference), ``"value"`` (the main score) first; ``None`` when it may report any name
    (a command's JSON fields, a Python function's dict) or its settings are broken."""
    try:
        objective = make_objective(settings)
        names = getattr(objective, "reported_metrics", None)
        direction = getattr(objective, "direction", None)
    except (ObjectiveError, TypeError, ValueError):
        return None
    if names is None:
        return None
    return {"value": direction if direction in ("minimize", "maximize") else None, **names}
