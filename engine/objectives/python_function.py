"""Objective kind ``python``: a function in a Python file, ``path/to/file.py:train``.

The function is called in a worker process with the params dict and, if it accepts a
second argument, a ``report(step, value)`` callback for intermediate values. It returns a
number, or a dict with ``value`` and any extra metrics to store.

``report`` returns True when a pruner stopped the trial: the function should then return
at once (what it returns is ignored; the trial ends PRUNED with its last reported value).
One that keeps going is ended like a command, after a short grace period.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.objectives.base import (
    Evaluation,
    Objective,
    ObjectiveError,
    Reporter,
    to_evaluation,
)

# Loaded functions per worker process, keyed by file and modification time so that an
# edited file is picked up by the next trial.
_loaded: dict[tuple[str, str, float], Callable[..., Any]] = {}


@dataclass(frozen=True)
class PythonFunctionObjective(Objective):
    path: str
    function: str

    kind = "python"
    path_settings = ("path",)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> PythonFunctionObjective:
        return cls(path=str(settings.get("path", "")), function=str(settings.get("function", "")))

    def to_settings(self) -> dict[str, Any]:
        return {"path": self.path, "function": self.function}

    def check(self, param_names: Sequence[str] | None = None) -> None:
        if not self.path:
            raise ObjectiveError("objective.path is empty: give the Python file to run")
        file = Path(self.path)
        if file.suffix != ".py":
            raise ObjectiveError(f"objective.path = '{self.path}': expected a .py file")
        if not file.is_file():
            raise ObjectiveError(f"objective.path = '{self.path}': no such file")
        if not self.function.isidentifier():
            raise ObjectiveError(
                f"objective.function = '{self.function}': expected a Python function name"
            )
        # Reading the text (not importing it) keeps opening a spec free of running code.
        source = file.read_text(encoding="utf-8", errors="replace")
        if f"def {self.function}" not in source:
            raise ObjectiveError(
                f"objective.function = '{self.function}': no 'def {self.function}' in {self.path}"
            )

    def evaluate(self, params: Mapping[str, Any], report: Reporter) -> Evaluation:
        fn = _load(self.path, self.function)
        if _takes_reporter(fn):
            return to_evaluation(fn(dict(params), report))
        return to_evaluation(fn(dict(params)))

    def describe(self) -> str:
        return f"Python function {self.function}() in {self.path}"


def _load(path: str, function: str) -> Callable[..., Any]:
    file = Path(path).resolve()
    key = (str(file), function, file.stat().st_mtime)
    if key not in _loaded:
        folder = str(file.parent)
        if folder not in sys.path:
            sys.path.insert(0, folder)  # so the file can import its neighbours
        spec = importlib.util.spec_from_file_location(f"knobs_objective_{abs(hash(key))}", file)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        fn = getattr(module, function, None)
        if not callable(fn):
            raise ObjectiveError(f"{path} has no function named '{function}'")
        _loaded[key] = fn
    return _loaded[key]


def _takes_reporter(fn: Callable[..., Any]) -> bool:
    try:
        positional = [
            p for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
        ]
    except (TypeError, ValueError):
        return False
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in positional)
