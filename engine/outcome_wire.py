"""A trial's outcome as it travels back from a Dask worker: JSON text, checked on arrival.

The task on the worker returns :func:`encode`'s string and nothing else; the app accepts
only a string that :func:`decode` reads as exactly this shape of plain values, so nothing
a worker sends back is ever unpickled or trusted to be the right type.
"""

from __future__ import annotations

import json
from typing import Any

from engine.slots import Outcome
from engine.trial import TrialState

MAX_CHARS = 64 * 1024 * 1024  # far beyond any real outcome; a guard, not a budget
_KEYS = {"state", "value", "metrics", "error", "reports", "attempt"}


class WireError(ValueError):
    """What came back from a worker is not a trial outcome; the message says what is wrong."""


def encode(outcome: Outcome, reports: list[list[float]], attempt: str) -> str:
    """The outcome as JSON text; metrics that are not JSON become their text, as in the
    study file."""
    return json.dumps({
        "state": outcome.state.value, "value": outcome.value,
        "metrics": json.loads(json.dumps(outcome.metrics or {}, default=str)),
        "error": outcome.error, "reports": reports, "attempt": attempt,
    })


def decode(data: Any) -> tuple[Outcome, list[tuple[int, float]], str]:
    """The outcome, its intermediate values and its attempt id; raises :class:`WireError`."""
    if not isinstance(data, str):
        raise WireError(f"expected the trial's outcome as JSON text, got {type(data).__name__}")
    if len(data) > MAX_CHARS:
        raise WireError(f"the outcome is {len(data)} characters, more than {MAX_CHARS}")
    try:
        obj = json.loads(data)
    except ValueError as exc:
        raise WireError(f"the outcome is not valid JSON ({exc})") from None
    if not isinstance(obj, dict) or set(obj) != _KEYS:
        found = sorted(obj) if isinstance(obj, dict) else type(obj).__name__
        raise WireError(f"expected an object with {sorted(_KEYS)}, got {found}")
    try:
        state = TrialState(obj["state"])
    except ValueError:
        raise WireError(f"state = {obj['state']!r} is not a trial state") from None
    value = obj["value"]
    if value is not None and not _number(value):
        raise WireError(f"value = {value!r}: expected a number or null")
    if not isinstance(obj["metrics"], dict):
        raise WireError(f"metrics: expected an object, got {type(obj['metrics']).__name__}")
    error = obj["error"]
    if error is not None and not isinstance(error, str):
        raise WireError(f"error: expected text or null, got {type(error).__name__}")
    reports = obj["reports"]
    if not isinstance(reports, list) or not all(
            isinstance(r, list) and len(r) == 2 and isinstance(r[0], int)
            and not isinstance(r[0], bool) and _number(r[1]) for r in reports):
        raise WireError("reports: expected a list of [step, value] pairs")
    if not isinstance(obj["attempt"], str):
        raise WireError("attempt: expected text")
    outcome = Outcome(state, value=None if value is None else float(value),
                      metrics=obj["metrics"], error=error)
    return outcome, [(r[0], float(r[1])) for r in reports], obj["attempt"]


def _number(v: Any) -> bool:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    try:
        float(v)  # a whole number too big for a float is no value a trial can have
    except OverflowError:
        return False
    return True
