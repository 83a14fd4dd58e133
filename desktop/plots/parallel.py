"""Parallel coordinates: one polyline per trial across every parameter, coloured by score."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFontMetrics, QPainter
from PySide6.QtWidgets import QWidget

from desktop.plots import _style as style
from desktop.plots._base import PICK_RADIUS_PX, TrialPlotWidget
from desktop.trial_feed import TrialFeed
from engine.analysis import ParamAxis, nice_ticks, parallel_coordinates
from engine.formatting import format_number

INACTIVE_Y = -0.1  # where a line crosses an axis whose parameter it does not have
NAME_Y = 1.035  # axis names sit just above the axes
LEFT_PX, RIGHT_PX = 14, 72  # room left of the first axis and right of the value axis
N_COLOURS = 24
ANTIALIAS_MAX_LINES = 3_000  # beyond this, smooth lines cost more than they show
# Worst to best: light orange to deep indigo, so the best lines (drawn last) stand out
# on white. A slice of "plasma" without its pale yellow end.
_MAP = pg.colormap.get("plasma")
COLOURS = [_MAP.map(u, mode="qcolor").name() for u in np.linspace(0.85, 0.0, N_COLOURS)]
NO_VALUE_COLOUR = "#cbd5e1"


class PolylinesItem(pg.GraphicsObject):
    """Thousands of polylines as one graphics item: one path per pen, drawn in order.

    A curve item per trial would cost a scene item each; this builds one QPainterPath per
    colour with a connect array, so drawing 10,000 trials is a couple of dozen path draws.
    """

    def __init__(self):
        super().__init__()
        self._paths: list[tuple[object, object]] = []
        self._bounds = QRectF()
        self.antialias = True

    def set_groups(self, groups: list[tuple[object, np.ndarray]]) -> None:
        """``groups``: (pen, y matrix of shape lines x axes) drawn back to front."""
        self.prepareGeometryChange()
        self._paths = []
        bounds = QRectF()
        for line_pen, y in groups:
            if y.size == 0:
                continue
            n, m = y.shape
            x = np.tile(np.arange(m, dtype=float), n)
            connect = np.ones(n * m, dtype=np.int32)
            connect[m - 1::m] = 0  # a line ends at the last axis; the next one starts anew
            path = pg.functions.arrayToQPath(x, y.ravel(), connect=connect, finiteCheck=False)
            self._paths.append((line_pen, path))
            bounds = bounds.united(path.boundingRect())
        self._bounds = bounds
        self.update()

    @property
    def n_groups(self) -> int:
        return len(self._paths)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self._bounds

    def paint(self, painter: QPainter, *args) -> None:
        painter.setRenderHint(QPainter.Antialiasing, self.antialias)
        for line_pen, path in self._paths:
            painter.setPen(line_pen)
            painter.drawPath(path)


class ParallelPlotWidget(TrialPlotWidget):
    """Every trial as a line through its parameter values and its score (last axis).

    Axes run from each parameter's low (bottom) to high (top), log parameters in log space
    and categories evenly spaced. A trial that lacks a parameter crosses that axis at the
    "not set" line under it instead of being dropped; trials without a score are grey.
    """

    title = "Parallel coordinates"

    def __init__(self, feed: TrialFeed, parent: QWidget | None = None):
        super().__init__(feed, parent)
        style.style_plot(self.plot, "Parallel coordinates", "", "")
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.plot.showGrid(x=False, y=False)
        self.plot.setMouseEnabled(x=False, y=False)  # axes and their labels stay aligned
        self.axis_lines = pg.PlotCurveItem(pen=style.pen(style.AXIS, 1.2), connect="pairs")
        self.inactive_line = pg.PlotCurveItem(pen=style.pen(style.FAINT, 1, 255, Qt.DotLine))
        self.lines = PolylinesItem()
        self.selection = pg.PlotCurveItem(pen=style.pen(style.SELECTED, 3), antialias=True)
        for item in (self.lines, self.axis_lines, self.inactive_line, self.selection):
            self.plot.addItem(item)
        self.colour_bar = pg.ColorBarItem(values=(0, 1), colorMap=_MAP, interactive=False,
                                          width=12, colorMapMenu=False)
        self.colour_bar.getAxis("right").setTextPen(style.pen(style.TEXT))
        self.colour_bar.getAxis("right").setTickFont(style.label_font(9))
        self.graphics.addItem(self.colour_bar, row=0, col=1)
        self.plot.vb.sigResized.connect(self._on_view_resized)
        self._names: list[tuple[pg.TextItem, str]] = []
        self._axes: tuple[ParamAxis, ...] | None = None
        self._tick_items: list[pg.TextItem] = []
        self._value_ticks: list[pg.TextItem] = []
        self._numbers = np.empty(0, dtype=np.int64)
        self._y = np.empty((0, 0))

    # --- drawing ---------------------------------------------------------------------

    def _render(self) -> None:
        par = parallel_coordinates(self.columns, self.mask)
        self._set_axes(par.axes)
        m = len(par.axes)
        lo, hi = par.value_range
        has_value = np.isfinite(par.values)
        u = (par.values - lo) / (hi - lo) if hi > lo else np.full(par.values.shape, 0.5)
        y = np.column_stack([par.positions, u])
        y[np.isnan(y)] = INACTIVE_Y
        goodness = u if self.columns.direction == "maximize" else 1.0 - u
        bucket = np.minimum((np.nan_to_num(goodness) * N_COLOURS).astype(int), N_COLOURS - 1)
        bucket[~has_value] = -1
        alpha = style.density_alpha(len(par.numbers), 35, 220)
        groups = [(style.pen(NO_VALUE_COLOUR, 1, alpha), y[bucket == -1])]
        groups += [(style.pen(COLOURS[k], 1, alpha), y[bucket == k]) for k in range(N_COLOURS)]
        self.lines.antialias = len(par.numbers) <= ANTIALIAS_MAX_LINES
        self.lines.set_groups(groups)
        self._numbers, self._y = par.numbers, y
        self.shown = par.numbers
        self._show_value_axis(lo, hi, bool(has_value.any()))
        not_set = bool((y[:, :m] == INACTIVE_Y).any())
        self.not_set_label.setVisible(not_set)
        self.no_value_label.setVisible(not has_value.all())
        self.inactive_line.setVisible(not_set or not has_value.all())

    def _set_axes(self, axes: tuple[ParamAxis, ...]) -> None:
        """Axis lines, names and tick labels; rebuilt only when the parameters change."""
        if axes == self._axes:
            return
        self._axes = axes
        m = len(axes)
        for item in self._tick_items:
            self.plot.removeItem(item)
        self._tick_items = []
        self._names = []
        for j, axis in enumerate(axes):
            for u, label in axis.ticks(max_labels=8):
                self._tick_items.append(self._text(label, j + 0.03, u))
        for j, name in enumerate([a.name + (" (log)" if a.log else "") for a in axes] + ["value"]):
            item = self._text(name, j, NAME_Y, anchor=(0.0, 1.0), bold=True)
            self._names.append((item, name))
            self._tick_items.append(item)
        self.not_set_label = self._text("not set", 0.03, INACTIVE_Y, style.FAINT)
        self.no_value_label = self._text("no value", m + 0.03, INACTIVE_Y, style.FAINT)
        self._tick_items += [self.not_set_label, self.no_value_label]
        xs = np.repeat(np.arange(m + 1, dtype=float), 2)
        self.axis_lines.setData(xs, np.tile([0.0, 1.0], m + 1))
        self.inactive_line.setData([-0.02, m + 0.02], [INACTIVE_Y, INACTIVE_Y])
        self.plot.setYRange(INACTIVE_Y - 0.05, NAME_Y + 0.085, padding=0)
        self._fit_width()

    def _fit_width(self) -> None:
        """Fixed pixel margins around the axes, and names cut to the room between axes."""
        if self._axes is None:
            return
        m = max(len(self._axes), 1)
        width = self.plot.vb.width()
        per_axis = max((width - LEFT_PX - RIGHT_PX) / m, 1.0)
        self.plot.setXRange(-LEFT_PX / per_axis, m + RIGHT_PX / per_axis, padding=0)
        metrics = QFontMetrics(style.label_font(9.5, bold=True))
        for j, (item, name) in enumerate(self._names):
            room = RIGHT_PX if j == len(self._names) - 1 else per_axis - 10
            item.setText(metrics.elidedText(name, Qt.ElideRight, max(int(room), 20)))
            item.setToolTip(name)

    def _on_view_resized(self, _view) -> None:
        self._fit_width()

    def _text(self, text: str, x: float, y: float, colour: str = style.TEXT,
              anchor: tuple[float, float] = (0.0, 0.5), bold: bool = False) -> pg.TextItem:
        item = pg.TextItem(text, color=colour, anchor=anchor,
                           fill=None if bold else style.brush("#ffffff", 200))
        item.setFont(style.label_font(9.5 if bold else 8.5, bold))
        item.setPos(x, y)
        self.plot.addItem(item)
        return item

    def _show_value_axis(self, lo: float, hi: float, any_value: bool) -> None:
        m = len(self._axes)
        ticks = nice_ticks(lo, hi) if any_value and hi > lo else [lo] if any_value else []
        while len(self._value_ticks) < len(ticks):  # a small pool, reused on every refresh
            self._value_ticks.append(self._text("", 0, 0))
        for k, item in enumerate(self._value_ticks):
            item.setVisible(k < len(ticks))
            if k < len(ticks):
                item.setText(format_number(ticks[k]))
                item.setPos(m + 0.03, (ticks[k] - lo) / (hi - lo) if hi > lo else 0.5)
        self.colour_bar.setVisible(any_value)
        if any_value:
            self.colour_bar.setLevels((lo, hi) if hi > lo else (lo - 0.5, lo + 0.5))
            cmap = _MAP.getSubset(0.0, 0.85)
            # Low values are the best ones when minimising: match the lines' colours.
            if self.columns.direction == "maximize":
                cmap.reverse()
            self.colour_bar.setColorMap(cmap)
            self.colour_bar.getAxis("left").setLabel(self.value_label, color=style.TEXT)

    def _clear(self) -> None:
        self.lines.set_groups([])
        self.selection.setData([], [])
        self._numbers, self._y = np.empty(0, dtype=np.int64), np.empty((0, 0))
        self.colour_bar.setVisible(False)

    def _show_selection(self, number: int) -> None:
        i = np.searchsorted(self._numbers, number)
        if number >= 0 and i < self._numbers.size and self._numbers[i] == number:
            self.selection.setData(np.arange(self._y.shape[1], dtype=float), self._y[i])
        else:
            self.selection.setData([], [])

    # --- picking ---------------------------------------------------------------------

    def pick(self, view_pos: QPointF) -> int | None:
        """The line passing nearest (vertically) to the point, between the two axes."""
        if self._numbers.size == 0:
            return None
        m = self._y.shape[1] - 1
        x = view_pos.x()
        if not -0.2 <= x <= m + 0.2:
            return None
        j = int(np.clip(np.floor(x), 0, max(m - 1, 0)))
        t = float(np.clip(x - j, 0.0, 1.0)) if m else 0.0
        at = self._y[:, j] + (self._y[:, min(j + 1, m)] - self._y[:, j]) * t
        dy = np.abs(at - view_pos.y()) / self.plot.vb.viewPixelSize()[1]
        i = int(np.argmin(dy))
        return int(self._numbers[i]) if dy[i] <= PICK_RADIUS_PX else None

    def line_of(self, number: int) -> np.ndarray | None:
        """The plotted y of a trial's line at each axis (for tests and tools)."""
        i = np.searchsorted(self._numbers, number)
        if i < self._numbers.size and self._numbers[i] == number:
            return self._y[i].copy()
        return None
