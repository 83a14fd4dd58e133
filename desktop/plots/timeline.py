"""Timeline: one lane per worker and a bar per trial, so idle workers are easy to spot."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QTimer
from PySide6.QtWidgets import QWidget

from desktop.plots import _style as style
from desktop.plots._base import PICK_RADIUS_PX, TrialPlotWidget
from desktop.trial_feed import TrialFeed
from engine.analysis import merged_bars, timeline
from engine.states import RUNNING, STATE_LABEL

BAR_HEIGHT = 0.7
# Above this many bars, a lane's bars closer than a pixel are drawn as one rectangle:
# a BarGraphItem paints every rectangle, ~4 s at 100,000 trials.
MERGE_ABOVE = 3_000
REDRAW_AFTER_ZOOM_MS = 60
TICK_MS = 1000  # running bars grow with the clock, not only when a trial changes
UNITS = ((2 * 3600, "h", 3600.0), (120, "min", 60.0), (0, "s", 1.0))


class TimelinePlotWidget(TrialPlotWidget):
    """Each trial as a bar from its start to its end on its worker's lane, by state."""

    title = "Timeline"

    def __init__(self, feed: TrialFeed, parent: QWidget | None = None):
        super().__init__(feed, parent)
        style.style_plot(self.plot, "Timeline", "Time since the first trial started (s)", "")
        self.plot.getAxis("left").setStyle(tickLength=0)
        self.plot.showGrid(x=True, y=False, alpha=style.GRID_ALPHA)
        self.plot.invertY(True)  # worker 1 on top, like a list
        self.plot.setMouseEnabled(y=False)
        self.bars = {}
        for state in style.STATE_ORDER:
            colour = style.STATE_COLOURS[state]
            # A 1 px outline in the bar's colour keeps very short trials visible.
            bar = pg.BarGraphItem(x0=[], x1=[], y=[], height=BAR_HEIGHT,
                                  name=STATE_LABEL[state].lower(),
                                  brush=style.brush(colour, 215), pen=style.pen(colour, 1, 215))
            self.bars[state] = bar
            self.plot.addItem(bar)
        self.selection = pg.BarGraphItem(x0=[], x1=[], y=[], height=BAR_HEIGHT + 0.16,
                                         brush=style.NO_BRUSH, pen=style.pen(style.SELECTED, 2.5))
        self.plot.addItem(self.selection)
        self.legend = style.add_legend(self.graphics)
        self._clock = QTimer(self)
        self._clock.setInterval(TICK_MS)
        self._clock.timeout.connect(self._on_clock_timeout)
        self._data = None
        self._scale = 1.0
        self._lanes = -1
        self._merging = False
        self._gap = 0.0  # the time one pixel showed when the bars were merged
        self._zoom_timer = QTimer(self)
        self._zoom_timer.setSingleShot(True)
        self._zoom_timer.setInterval(REDRAW_AFTER_ZOOM_MS)
        self._zoom_timer.timeout.connect(self._draw_bars)
        self.plot.vb.sigXRangeChanged.connect(self._on_view_x_range_changed)

    def _render(self) -> None:
        tl = timeline(self.columns, self.mask)
        span = float(tl.ends.max()) if tl.ends.size else 0.0
        _, unit, scale = next(u for u in UNITS if span >= u[0])
        if scale != self._scale:
            style.set_axis_label(self.plot, "bottom",
                                 f"Time since the first trial started ({unit})")
            self._scale = scale
        starts, ends = tl.starts / scale, tl.ends / scale
        self._data = (tl, starts, ends)
        self._merging = tl.numbers.size > MERGE_ABOVE
        legend = self._draw_bars()
        style.set_legend(self.legend, legend[::-1])
        if tl.n_lanes != self._lanes:
            ticks = [(float(k), f"Worker {k + 1}") for k in range(tl.n_lanes)]
            self.plot.getAxis("left").setTicks([ticks])
            self.plot.setYRange(-0.6, max(tl.n_lanes, 1) - 0.4, padding=0)
            self._lanes = tl.n_lanes
        self.shown = tl.numbers
        running = bool((tl.states == RUNNING).any())
        if running and not self._clock.isActive():
            self._clock.start()
        elif not running:
            self._clock.stop()

    def _draw_bars(self) -> list:
        """Set every state's bars from the current data; returns the legend entries."""
        if self._data is None:
            return []
        tl, starts, ends = self._data
        gap = self._pixel() if self._merging else 0.0
        self._gap = gap
        legend = []
        for state, bar in self.bars.items():
            rows = tl.states == style.STATE_CODES[state]
            lanes, x0, x1 = tl.lanes[rows], starts[rows], ends[rows]
            if self._merging:
                lanes, x0, x1 = merged_bars(lanes, x0, x1, gap)
            # Merged, the common state's bars would cover the rare ones (a failure between
            # two complete trials): the fewer a state's trials, the higher it is drawn.
            bar.setZValue(-float(rows.sum()) if self._merging else 0.0)
            # The 1 px outline keeps a short trial visible; merged, it would paint every
            # pixel that holds a short failure red. Without it, colour shows the share.
            colour = style.STATE_COLOURS[state]
            outline = style.NO_PEN if self._merging else style.pen(colour, 1, 215)
            bar.setOpts(pen=outline, x0=x0, x1=x1, y=lanes.astype(float), height=BAR_HEIGHT)
            if rows.any():
                legend.append(style.state_entry(state, style.BAR_GLYPH))
        return legend

    def _pixel(self) -> float:
        """How much time one pixel of the plot shows (in the axis' unit)."""
        vb = self.plot.vb
        width = max(vb.width(), 200.0)
        if vb.autoRangeEnabled()[0] and self._data is not None and self._data[2].size:
            span = float(self._data[2].max()) - float(min(self._data[1].min(), 0.0))
        else:
            x0, x1 = vb.viewRange()[0]
            span = x1 - x0
        return max(span, 0.0) / width

    def _on_view_x_range_changed(self, *_args) -> None:
        # Zooming in shows the bars a pixel hid; a range that barely moved (the view
        # fitting the merged bars) needs nothing, or each redraw would call for another.
        if self._merging and not 0.8 < self._pixel() / max(self._gap, 1e-300) < 1.25:
            self._zoom_timer.start()

    def _clear(self) -> None:
        for bar in self.bars.values():
            bar.setOpts(x0=[], x1=[], y=[], height=BAR_HEIGHT)
        self.selection.setOpts(x0=[], x1=[], y=[])
        style.set_legend(self.legend, [])
        self._data = None
        self._clock.stop()

    def _row_of(self, number: int) -> int | None:
        if self._data is None:
            return None
        numbers = self._data[0].numbers
        i = np.searchsorted(numbers, number)
        return int(i) if number >= 0 and i < numbers.size and numbers[i] == number else None

    def _show_selection(self, number: int) -> None:
        i = self._row_of(number)
        if i is None:
            self.selection.setOpts(x0=[], x1=[], y=[])
            return
        tl, starts, ends = self._data
        self.selection.setOpts(x0=starts[i:i + 1], x1=ends[i:i + 1],
                               y=tl.lanes[i:i + 1].astype(float), height=BAR_HEIGHT + 0.16)

    def pick(self, view_pos: QPointF) -> int | None:
        """The bar under the point (a few pixels' slack for very short trials)."""
        if self._data is None:
            return None
        tl, starts, ends = self._data
        slack = PICK_RADIUS_PX * self.plot.vb.viewPixelSize()[0]
        x, y = view_pos.x(), view_pos.y()
        hit = ((np.abs(tl.lanes - y) <= BAR_HEIGHT / 2)
               & (starts - slack <= x) & (x <= ends + slack))
        if not hit.any():
            return None
        rows = np.flatnonzero(hit)
        middle = (starts[rows] + ends[rows]) / 2
        return int(tl.numbers[rows[np.argmin(np.abs(middle - x))]])

    def _on_clock_timeout(self) -> None:
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True  # catch up (and restart the clock) when shown again
            self._clock.stop()
