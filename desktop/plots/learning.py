"""Learning curves: the intermediate values each trial reported, step by step."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from desktop.plots import _style as style
from desktop.plots._base import TrialPlotWidget
from desktop.plots.history import STATE_NAMES
from desktop.trial_feed import TrialFeed
from engine.analysis import learning_curves

NO_CURVES = "This objective reports no intermediate values."
ANTIALIAS_MAX_CURVES = 2_000


class LearningPlotWidget(TrialPlotWidget):
    """One curve per trial that reported intermediate values, coloured by its state.

    All curves of a state are one item with a connect array, so thousands of trials cost
    a handful of items.
    """

    title = "Learning curves"

    def __init__(self, feed: TrialFeed, parent: QWidget | None = None):
        super().__init__(feed, parent)
        style.style_plot(self.plot, "Learning curves", "Step", "Intermediate value")
        self.curves = {s: pg.PlotCurveItem(name=STATE_NAMES[s]) for s in style.STATE_ORDER}
        for curve in self.curves.values():
            self.plot.addItem(curve)
        self.selection = pg.PlotCurveItem(pen=style.pen(style.SELECTED, 3), antialias=True)
        self.plot.addItem(self.selection)
        self.legend = style.add_legend(self.graphics)
        self._curves = None

    def _render(self) -> None:
        if not self.columns.n_steps.any():
            self._clear()
            self.shown = np.empty(0, dtype=np.int64)
            self.show_message(NO_CURVES)
            return
        self.show_message(None)
        lc = learning_curves(self.columns, self.mask)
        lengths = np.diff(lc.offsets)
        point_states = np.repeat(lc.states, lengths)
        connect = np.ones(lc.steps.size, dtype=np.int32)
        connect[lc.offsets[1:] - 1] = 0  # each curve ends at its own last step
        legend = []
        for state, curve in self.curves.items():
            points = point_states == style.STATE_CODES[state]
            n_curves = int((lc.states == style.STATE_CODES[state]).sum())
            # Width 1 on purpose: wider antialiased pens made Qt stroke the whole path
            # (about 6 s for 1,000 curves instead of 10 ms).
            curve.setPen(style.pen(style.STATE_COLOURS[state], 1,
                                   style.density_alpha(n_curves, 30, 230)))
            curve.opts["antialias"] = n_curves <= ANTIALIAS_MAX_CURVES
            curve.setData(lc.steps[points].astype(float), lc.values[points],
                          connect=connect[points])
            if n_curves:
                legend.append(style.state_entry(state, style.LINE_GLYPH))
        style.set_legend(self.legend, legend[::-1])
        self._curves = lc
        self.shown = lc.numbers
        self._set_pick_points(lc.steps, lc.values, np.repeat(lc.numbers, lengths))

    def _clear(self) -> None:
        for curve in self.curves.values():
            curve.setData([], [])
        self.selection.setData([], [])
        style.set_legend(self.legend, [])
        self._curves = None

    def _show_selection(self, number: int) -> None:
        lc = self._curves
        i = np.searchsorted(lc.numbers, number) if lc is not None else 0
        if lc is not None and number >= 0 and i < lc.numbers.size and lc.numbers[i] == number:
            a, b = lc.offsets[i], lc.offsets[i + 1]
            self.selection.setData(lc.steps[a:b].astype(float), lc.values[a:b])
        else:
            self.selection.setData([], [])
