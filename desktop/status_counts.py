"""The status bar's trial counts: running, complete, failed, pruned (and interrupted), and
the compute pruning saved."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from desktop.run.status_text import with_savings
from engine.study import Summary
from engine.trial import TrialState

SHOWN = (TrialState.RUNNING, TrialState.COMPLETE, TrialState.FAILED, TrialState.PRUNED)


class StatusCountsLabel(QLabel):
    """Counts from the feed's summary (taken on the worker side: no read through a lock)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("No trials", parent)

    def show_summary(self, summary: Summary | None) -> None:
        if summary is None:
            self.setText("No trials")
            return
        counts = summary.counts
        parts = [f"{counts[s]} {s.value}" for s in SHOWN]
        if counts[TrialState.INTERRUPTED]:
            parts.append(f"{counts[TrialState.INTERRUPTED]} interrupted")
        self.setText(with_savings(" · ".join(parts), summary))
