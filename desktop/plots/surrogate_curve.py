"""ModelCurve: the model's predicted curve and its band, drawn over the Slice plot.

For the parameter on the Slice plot's axis, the engine's GP (fitted off the GUI thread by
:class:`SurrogateFitter`) predicts the score along it, the other parameters at the best
trial's values; the line is the mean and the band one standard deviation either side
(error bars at each choice of a categorical). The band does not take part in the plot's
auto-range, so a model unsure far from the trials does not squash the trials' scale.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Signal

from desktop.plots import _style as style
from desktop.plots._surrogate_fit import Request, SurrogateFitter
from engine.analysis import ParamAxis, TrialColumns
from engine.surrogate import SurrogateCurve

CURVE = "#7c3aed"


class ModelCurve(QObject):
    """The model's curve on a plot whose x axis shows ``axis`` (log10 for a log axis, the
    index for a categorical). ``drawn`` is emitted after each new curve (or none)."""

    drawn = Signal()

    def __init__(self, plot: pg.PlotItem, parent: QObject | None = None):
        super().__init__(parent)
        self.plot = plot
        self.enabled = True
        self.result: SurrogateCurve | None = None
        self.note = ""
        self._axis: ParamAxis | None = None
        self._request: Request | None = None
        self.line = pg.PlotCurveItem(pen=style.pen(CURVE, 2))
        self.upper = pg.PlotCurveItem(pen=style.NO_PEN)
        self.lower = pg.PlotCurveItem(pen=style.NO_PEN)
        self.band = pg.FillBetweenItem(self.upper, self.lower, brush=style.brush(CURVE, 45))
        self.bars = pg.ErrorBarItem(pen=style.pen(CURVE, 2), beam=0.25)
        self.means = pg.ScatterPlotItem(size=11, symbol="d", pen=style.NO_PEN,
                                        brush=style.brush(CURVE))
        for item in (self.band, self.upper, self.lower, self.line, self.bars, self.means):
            plot.addItem(item, ignoreBounds=True)
            item.setZValue(-5)  # under the trials
        self.fitter = SurrogateFitter(self)
        self.fitter.ready.connect(self._on_fitter_ready)

    @property
    def busy(self) -> bool:
        return self.fitter.pending

    def show(self, columns: TrialColumns, mask: np.ndarray | None, axis: ParamAxis) -> None:
        """Fit (when the trials changed) and draw the curve along ``axis``."""
        if not self.enabled:
            self.clear()
            return
        request = Request("curve", axis.name, "", "best")
        if request != self._request:
            self.clear()
        self._axis, self._request = axis, request
        self.fitter.request(columns, mask, request)

    def forget(self) -> None:
        """Another study: drop the model."""
        self.fitter.forget()
        self._request = None
        self.clear()

    def clear(self) -> None:
        self.result, self.note = None, ""
        for item in (self.line, self.upper, self.lower):
            item.setData([], [])
        self.bars.setData(x=np.empty(0), y=np.empty(0), height=np.empty(0))
        self.means.setData([], [])

    def _on_fitter_ready(self, request: Request, out: object) -> None:
        if request != self._request or not self.enabled:
            return
        self.clear()
        if isinstance(out, str):
            self.note = out
        else:
            self._draw(out)
        self.drawn.emit()

    def _draw(self, curve: SurrogateCurve) -> None:
        self.result = curve
        axis = self._axis
        if axis.categorical:
            x = np.arange(len(curve.x), dtype=float)  # every choice, in the space's order
            self.bars.setData(x=x, y=curve.mean, height=2 * curve.std)
            self.means.setData(x=x, y=curve.mean)
            return
        x = np.array(curve.x, dtype=float)
        if axis.log:
            x = np.log10(x)
        self.line.setData(x, curve.mean)
        self.upper.setData(x, curve.mean + curve.std)
        self.lower.setData(x, curve.mean - curve.std)

    def legend_entry(self) -> tuple[str, str, str] | None:
        if self.result is None:
            return None
        return ("\u2501", CURVE, "model (others at the best trial) \u00b1 1 std")

