"""Trial states as every view shows them: one small integer code and one label each.

The trial columns (:class:`engine.analysis.TrialColumns`), the trials table and the plots
all store a state as its code here, and all name it with its label here, so that a filter,
a legend and a table cell can never disagree. Colours are the desktop's business
(``desktop/state_colours.py``).
"""

from __future__ import annotations

from engine.trial import TrialState

STATES: tuple[TrialState, ...] = tuple(TrialState)
STATE_CODE: dict[TrialState, int] = {s: i for i, s in enumerate(STATES)}
# The code of a row no trial has filled yet.
UNKNOWN = -1
STATE_LABEL: dict[TrialState, str] = {s: s.value.capitalize() for s in STATES}
# Labels by code, for formatting a whole column of codes at once.
LABELS_BY_CODE: tuple[str, ...] = tuple(STATE_LABEL[s] for s in STATES)

COMPLETE = STATE_CODE[TrialState.COMPLETE]
RUNNING = STATE_CODE[TrialState.RUNNING]
FAILED = STATE_CODE[TrialState.FAILED]
PRUNED = STATE_CODE[TrialState.PRUNED]
INTERRUPTED = STATE_CODE[TrialState.INTERRUPTED]


def state_of_label(text: str) -> TrialState | None:
    """The state a person typed (``failed``, ``Complete``), or ``None``."""
    typed = text.strip().lower()
    return next((s for s in STATES if s.value == typed), None)


__all__ = ["COMPLETE", "FAILED", "INTERRUPTED", "LABELS_BY_CODE", "PRUNED", "RUNNING",
           "STATES", "STATE_CODE", "STATE_LABEL", "UNKNOWN", "state_of_label"]
