"""One colour per trial state, shared by the trials table, its state buttons and every plot.

Plain hex strings (no Qt here): mid-tones that read as text on a light or dark table and
as marks on the plots' white background.
"""

from __future__ import annotations

from engine.trial import TrialState

STATE_COLOURS: dict[TrialState, str] = {
    TrialState.COMPLETE: "#16a34a",
    TrialState.PRUNED: "#d97706",
    TrialState.FAILED: "#dc2626",
    TrialState.RUNNING: "#2563eb",
    TrialState.INTERRUPTED: "#9ca3af",
}

__all__ = ["STATE_COLOURS"]
