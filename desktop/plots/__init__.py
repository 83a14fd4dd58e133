"""Live plots of a study, all fed from the same TrialFeed (see panel.PlotsWidget)."""

from desktop.plots.panel import PlotsWidget

__all__ = ["PlotsWidget"]
