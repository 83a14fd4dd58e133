"""Slice: the score against one parameter at a time, picked from a combo box."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QWidget

from desktop.plots import _style as style
from desktop.plots._base import NoValueStrip, TrialPlotWidget
from desktop.plots._scatter import ScatterItem, TrialScatterItem
from desktop.plots.surrogate_curve import ModelCurve
from desktop.trial_feed import TrialFeed
from engine.analysis import log_ticks, slice_data
from engine.formatting import format_number
from engine.states import STATE_LABEL

# Categories are spread sideways by up to this much so that equal values do not hide
# each other; a trial keeps its offset across refreshes (it depends on its number only).
JITTER = 0.28
_GOLDEN = 0.6180339887498949


class SlicePlotWidget(TrialPlotWidget):
    """Score against the chosen parameter: a log axis for log parameters, and labelled,
    jittered columns for categorical ones. Trials without the parameter are left out of
    this slice only."""

    title = "Slice"

    def __init__(self, feed: TrialFeed, parent: QWidget | None = None):
        super().__init__(feed, parent, score_axis=True)
        self.param_box = QComboBox()
        self.param_box.setMinimumContentsLength(16)
        self.param_box.setToolTip("The parameter on the horizontal axis")
        self.param_box.currentIndexChanged.connect(self._on_param_box_changed)
        row = QHBoxLayout()
        row.setContentsMargins(12, 8, 12, 0)
        row.addWidget(QLabel("Parameter:"))
        row.addWidget(self.param_box)
        self.model_box = QCheckBox("Model curve")
        self.model_box.setChecked(True)
        self.model_box.setToolTip("The score a Gaussian process fitted to the trials predicts "
                                  "along this parameter, with a band of one standard deviation")
        self.model_box.toggled.connect(self._on_param_box_changed)
        row.addSpacing(12)
        row.addWidget(self.model_box)
        row.addStretch(1)
        self.layout().insertLayout(0, row)

        style.style_plot(self.plot, "Score by parameter", "", self.value_label)
        self.plot.getAxis("bottom").enableAutoSIPrefix(False)
        self.strip = NoValueStrip(self.plot)
        self.scatters = {s: TrialScatterItem(name=STATE_LABEL[s].lower())
                         for s in style.STATE_ORDER}
        for item in self.scatters.values():
            self.plot.addItem(item)
        self.selection = ScatterItem(size=17, pen=style.pen(style.SELECTED, 2.5),
                                     brush=style.NO_BRUSH, symbol="o")
        self.plot.addItem(self.selection)
        self.legend = style.add_legend(self.graphics)
        self.model_curve = ModelCurve(self.plot, self)
        self.model_curve.drawn.connect(self._on_model_curve_drawn)
        self._legend: list[tuple[str, str, str]] = []
        self._names: tuple[str, ...] = ()
        self._numbers = np.empty(0, dtype=np.int64)
        self._x = self._y = np.empty(0)

    @property
    def param(self) -> str | None:
        return self.param_box.currentText() or None

    def set_param(self, name: str) -> None:
        self.param_box.setCurrentText(name)

    def _sync_params(self) -> None:
        names = tuple(a.name for a in self.columns.axes) if self.columns else ()
        if names == self._names:
            return
        current = self.param
        self.param_box.blockSignals(True)  # a programmatic change is not the user's choice
        self.param_box.clear()
        self.param_box.addItems(names)
        if current in names:
            self.param_box.setCurrentText(current)
        self.param_box.blockSignals(False)
        self._names = names

    def _render(self) -> None:
        self._sync_params()
        if self.param is None:
            self._clear()
            return
        s = slice_data(self.columns, self.param, self.mask)
        axis = self.plot.getAxis("bottom")
        if s.axis.categorical:
            x = s.x + JITTER * ((s.numbers * _GOLDEN) % 1.0 - 0.5) * 2
            axis.setTicks([list(enumerate(s.labels))])
            self.plot.setXRange(-0.6, len(s.labels) - 0.4, padding=0)
        elif s.log:
            # The data goes in as log10; the ticks are set here, as plain round numbers,
            # because pyqtgraph's own log ticks label every minor tick.
            x = np.log10(s.x)
            major, minor = log_ticks(s.axis.low, s.axis.high)
            axis.setTicks([[(np.log10(v), format_number(v)) for v in major],
                           [(np.log10(v), "") for v in minor]])
            self.plot.enableAutoRange(x=True)
        else:
            x = s.x
            axis.setTicks(None)
            self.plot.enableAutoRange(x=True)
        axis.logMode = s.log  # what the axis shows; no pyqtgraph transform is involved
        scale = "  (log scale)" if s.log else ""
        style.set_axis_label(self.plot, "bottom", f"{s.axis.name}{scale}")
        style.set_axis_label(self.plot, "left", self.value_label)
        y = self.strip.place(s.values)
        legend = []
        for state, item in self.scatters.items():
            rows = s.states == style.STATE_CODES[state]
            n = int(rows.sum())
            item.show_points(s.numbers[rows], x[rows], y[rows], style.scatter_style(state, n))
            if n:
                legend.append(style.state_entry(state))
        self._legend = legend[::-1]
        self.model_curve.enabled = self.model_box.isChecked()
        self.model_curve.show(self.columns, self.mask, s.axis)
        self._on_model_curve_drawn()
        order = np.argsort(s.numbers, kind="stable")
        self._numbers, self._x, self._y = s.numbers[order], x[order], y[order]
        self.shown = self._numbers
        self._set_pick_points(self._x, self._y, self._numbers)

    def _clear(self) -> None:
        self._sync_params()
        for item in self.scatters.values():
            item.clear_points()
        self.model_curve.clear()
        self.selection.setData([], [])
        self.strip.clear()
        style.set_legend(self.legend, [])
        self._numbers, self._x, self._y = np.empty(0, dtype=np.int64), np.empty(0), np.empty(0)

    def _show_selection(self, number: int) -> None:
        i = np.searchsorted(self._numbers, number)
        if number >= 0 and i < self._numbers.size and self._numbers[i] == number:
            self.selection.setData([float(self._x[i])], [float(self._y[i])])
        else:
            self.selection.setData([], [])

    def _on_model_curve_drawn(self) -> None:
        entry = self.model_curve.legend_entry()
        style.set_legend(self.legend, self._legend + ([entry] if entry else []))

    def _on_param_box_changed(self, _index: int) -> None:
        if self.columns is not None:
            self.refresh()
