"""Learning curves: the intermediate values each trial reported, step by step."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from desktop.plots import _style as style
from desktop.plots._base import TrialPlotWidget
from desktop.trial_feed import TrialFeed
from engine.analysis import learning_curves
from engine.states import STATE_LABEL
from engine.study import Study
from engine.trial import TrialState

NO_CURVES = "This objective reports no intermediate values."
ANTIALIAS_MAX_CURVES = 2_000


class LearningPlotWidget(TrialPlotWidget):
    """One curve per trial that reported intermediate values, coloured by its state.

    All curves of a state are one item with a connect array, so thousands of trials cost
    a handful of items. A pruned trial's curve ends in a marker where it was stopped; the
    study's pruner checkpoints (ASHA rungs) are dashed vertical guides.
    """

    title = "Learning curves"

    def __init__(self, feed: TrialFeed, parent: QWidget | None = None):
        super().__init__(feed, parent)
        style.style_plot(self.plot, "Learning curves", "Step", "Intermediate value")
        self.curves = {s: pg.PlotCurveItem(name=STATE_LABEL[s].lower()) for s in style.STATE_ORDER}
        for curve in self.curves.values():
            self.plot.addItem(curve)
        self.selection = pg.PlotCurveItem(pen=style.pen(style.SELECTED, 3), antialias=True)
        self.plot.addItem(self.selection)
        colour = style.STATE_COLOURS[TrialState.PRUNED]
        self.stops = pg.ScatterPlotItem(symbol="t1", size=9, pen=style.pen(colour, 1),
                                        brush=pg.mkBrush(colour))
        self.plot.addItem(self.stops)
        self.rung_lines: list[pg.InfiniteLine] = []
        self._rung_pen = pg.mkPen(style.STATE_COLOURS[TrialState.PRUNED], width=1,
                                  style=Qt.DashLine)
        self.legend = style.add_legend(self.graphics)
        self._curves = None
        self._study: Study | None = None
        feed.reset.connect(self._on_feed_reset)

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
        ends = lc.offsets[1:] - 1
        pruned = lc.states == style.STATE_CODES[TrialState.PRUNED]
        self.stops.setData(lc.steps[ends[pruned]].astype(float), lc.values[ends[pruned]])
        self._show_rungs(float(lc.steps.max()) if lc.steps.size else 0.0)
        self._curves = lc
        self.shown = lc.numbers
        self._set_pick_points(lc.steps, lc.values, np.repeat(lc.numbers, lengths))

    def _show_rungs(self, last_step: float) -> None:
        pruner = self._study.pruner if self._study is not None else None
        upto = int(max(last_step, 1))
        rungs = [r for r in (pruner.rungs(upto=upto) if pruner else ()) if r <= upto]
        while len(self.rung_lines) < len(rungs):
            line = pg.InfiniteLine(angle=90, movable=False, pen=self._rung_pen)
            self.plot.addItem(line)
            self.rung_lines.append(line)
        for i, line in enumerate(self.rung_lines):
            line.setVisible(i < len(rungs))
            if i < len(rungs):
                line.setValue(rungs[i])

    def _on_feed_reset(self, study: Study | None) -> None:
        # The panel may have drawn this study before this slot ran: place the guides now.
        self._study = study
        lc = self._curves
        self._show_rungs(float(lc.steps.max()) if lc is not None and lc.steps.size else 0.0)

    def _clear(self) -> None:
        self.stops.setData([], [])
        self._show_rungs(0.0)
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
