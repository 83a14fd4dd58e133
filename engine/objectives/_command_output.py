"""Reading a command's score and progress from its standard output, one line at a time.

Recognised stdout lines (each stripped of surrounding white space):

- progress: ``step=3 value=0.81`` (``:`` works for ``=``, other ``key=value`` tokens may sit
  between them), or a JSON object with ``step`` and ``value`` keys. Reported as intermediate
  values while the program runs.
- final score, by default: the last line that is just a number, or the last JSON object
  with a ``value`` key and no ``step`` key; whichever of the two comes later wins. Other keys
  of that JSON object become the trial's metrics.
- final score with ``score_regex``: the first group of the regex's last match (searched in
  every line); the default rules above are then not used for the score.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from engine.objectives.base import Evaluation, TrialFailure, to_evaluation

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf(?:inity)?)"
_PROGRESS = re.compile(
    rf"^step\s*[=:]\s*(\d+)(?:[\s,;]+[^\s,;]+)*?[\s,;]+value\s*[=:]\s*({_NUMBER})(?:[\s,;]|$)",
    re.IGNORECASE,
)


class ScoreError(ValueError):
    """The program's output held no usable score; the message says why."""


@dataclass
class _Candidate:
    raw: Any  # the value as printed: text from a plain line or regex, any JSON type
    metrics: dict[str, Any]
    line: str


class OutputParser:
    """Feed it stdout lines as they arrive; it yields progress and remembers the score."""

    def __init__(self, score_regex: str | None = None):
        self._regex = re.compile(score_regex) if score_regex else None
        self._final: _Candidate | None = None

    def feed(self, line: str) -> tuple[int, float] | None:
        """Take one stdout line; return ``(step, value)`` when it reports progress."""
        text = line.strip()
        if not text:
            return None
        obj = _json_object(text)
        progress = _progress(text, obj)
        if self._regex is not None:
            match = self._regex.search(text)
            if match is not None:
                self._final = _Candidate(match.group(1), {}, text)
        elif obj is not None and "value" in obj and "step" not in obj:
            extras = {k: v for k, v in obj.items() if k != "value"}
            self._final = _Candidate(obj["value"], extras, text)
        elif progress is None and _is_number(text):
            self._final = _Candidate(text, {}, text)
        return progress

    def result(self) -> Evaluation:
        """The final score and metrics; raises :class:`ScoreError` when there is none."""
        if self._final is None:
            if self._regex is not None:
                raise ScoreError(
                    f"no line of output matched score_regex {self._regex.pattern!r}"
                )
            raise ScoreError(
                "the program printed no score: expected a last line that is just a number, "
                'or a JSON line such as {"value": 0.93}'
            )
        cand = self._final
        value = _to_float(cand.raw)
        if value is None:
            raise ScoreError(f"the score in the line {cand.line!r} is not a number")
        if not math.isfinite(value):
            raise ScoreError(f"the score in the line {cand.line!r} is {value}, not a finite number")
        try:
            return to_evaluation({"value": value, **cand.metrics})
        except TrialFailure as exc:  # pragma: no cover - value was checked above
            raise ScoreError(str(exc)) from None


def _json_object(text: str) -> dict[str, Any] | None:
    if not (text.startswith("{") and text.endswith("}")):
        return None
    try:
        obj = json.loads(text)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


def _progress(text: str, obj: dict[str, Any] | None) -> tuple[int, float] | None:
    if obj is not None:
        if "step" not in obj:
            return None
        step, value = _to_step(obj["step"]), _to_float(obj.get("value"))
    else:
        match = _PROGRESS.match(text)
        if match is None:
            return None
        step, value = int(match.group(1)), float(match.group(2))
    # A diverged run may print nan; it is not a point anyone can plot, so it is skipped.
    if step is None or value is None or not math.isfinite(value):
        return None
    return step, value


def _to_step(raw: Any) -> int | None:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return None
    if isinstance(raw, float) and not raw.is_integer():
        return None
    return int(raw)


def _to_float(raw: Any) -> float | None:
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, (int, float)):
        return float(raw)
    if isinstance(raw, str) and _is_number(raw.strip()):
        return float(raw)
    return None


def _is_number(text: str) -> bool:
    return re.fullmatch(_NUMBER, text, re.IGNORECASE) is not None
