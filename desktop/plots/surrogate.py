"""Surrogate: what a model of the trials believes, over two parameters chosen from lists.

Two heat maps side by side share their axes: the predicted score and its uncertainty (one
standard deviation), from the engine's GP fitted to the shown complete trials whatever
sampler ran them (:mod:`engine.surrogate`). The trials are drawn on both; the best one is
ringed; while a Bayesian run is live, the trials it is running, which are its latest
suggestions, are marked as such. Axes are the parameters' plotted [0, 1] scales (log
parameters in log space, choices by index) with their own ticks.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from desktop.plots import _style as style
from desktop.plots._base import TrialPlotWidget
from desktop.plots._scatter import ScatterItem
from desktop.plots._surrogate_fit import Request, SurrogateFitter
from desktop.trial_feed import TrialFeed
from engine.analysis import COMPLETE, RUNNING, ParamAxis, format_number
from engine.surrogate import SurrogateGrid

OTHERS_CHOICES = (("at the best trial's values", "best"), ("averaged out", "average"))
SUGGESTION = "#f97316"
_MEAN_MAP = pg.colormap.get("viridis")
_STD_MAP = pg.colormap.get("magma")
_STOPS, _COLOURS = _MEAN_MAP.getStops()
_MEAN_MAP_REVERSED = pg.ColorMap(1.0 - _STOPS[::-1], _COLOURS[::-1])
FITTING = "Fitting the model to the trials\u2026"
ONE_PARAM = ("The surrogate map needs two varying parameters; the Slice tab shows the "
             "model's curve for one.")


class SurrogatePlotWidget(TrialPlotWidget):
    """The model's prediction and uncertainty over two parameters, trials overlaid.

    ``fitted`` is emitted each time a new prediction is drawn (or a message says why none).
    """

    title = "Surrogate"
    fitted = Signal()

    def __init__(self, feed: TrialFeed, parent: QWidget | None = None):
        super().__init__(feed, parent)
        self.x_box, self.y_box = QComboBox(), QComboBox()
        self.others_box = QComboBox()
        for label, key in OTHERS_CHOICES:
            self.others_box.addItem(label, key)
        self.others_box.setToolTip("The parameters not on the axes: held at the values of the "
                                   "best trial, or averaged over the trials (partial dependence)")
        row = QHBoxLayout()
        row.setContentsMargins(12, 8, 12, 0)
        for box in (self.x_box, self.y_box, self.others_box):
            # Sized by a short text, not the longest item: the window must fit small screens.
            box.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(8)
        for label, box in (("X:", self.x_box), ("Y:", self.y_box)):
            box.currentIndexChanged.connect(self._on_choice_changed)
            row.addWidget(QLabel(label))
            row.addWidget(box)
            row.addSpacing(8)
        row.addWidget(QLabel("Others:"))
        row.addWidget(self.others_box)
        row.addStretch(1)
        self.others_box.currentIndexChanged.connect(self._on_choice_changed)
        self.layout().insertLayout(0, row)

        self.std_plot = self.graphics.addPlot(row=0, col=2)
        self.maps: list[tuple[pg.PlotItem, pg.ImageItem, pg.ColorBarItem]] = []
        for col, (plot, cmap, title) in enumerate((
                (self.plot, _MEAN_MAP, "Predicted value"),
                (self.std_plot, _STD_MAP, "Uncertainty (one standard deviation)"))):
            style.style_plot(plot, title, "", "")
            plot.showGrid(x=False, y=False)
            image = pg.ImageItem()
            plot.addItem(image)
            bar = pg.ColorBarItem(values=(0, 1), colorMap=cmap, interactive=False, width=12,
                                  colorMapMenu=False)
            bar.setImageItem(image)
            bar.getAxis("right").setTextPen(style.pen(style.TEXT))
            bar.getAxis("right").setTickFont(style.label_font(9))
            self.graphics.addItem(bar, row=0, col=2 * col + 1)
            self.maps.append((plot, image, bar))
        self.std_plot.setXLink(self.plot)
        self.std_plot.setYLink(self.plot)
        self.trial_items: list[ScatterItem] = []
        self.best_items: list[ScatterItem] = []
        self.suggestion_items: list[ScatterItem] = []
        self.selection_items: list[ScatterItem] = []
        for plot in (self.plot, self.std_plot):
            trials = ScatterItem(size=7, pen=style.pen("#ffffff", 1.2),
                                 brush=style.brush(style.BEST, 200), symbol="o")
            best = ScatterItem(size=16, pen=style.pen("#ffffff", 2.5), brush=style.NO_BRUSH,
                               symbol="o")
            suggestion = ScatterItem(size=18, pen=style.pen("#ffffff", 1.2),
                                     brush=style.brush(SUGGESTION), symbol="star")
            selection = ScatterItem(size=17, pen=style.pen(style.SELECTED, 2.5),
                                    brush=style.NO_BRUSH, symbol="o")
            for item, items in ((trials, self.trial_items), (best, self.best_items),
                                (suggestion, self.suggestion_items),
                                (selection, self.selection_items)):
                plot.addItem(item)
                items.append(item)
        self.legend = pg.LabelItem("", color=style.TEXT, size="9pt", justify="center")
        self.graphics.addItem(self.legend, row=1, col=0, colspan=4)
        self.legend.shown_html = None

        self.fitter = SurrogateFitter(self)
        self.fitter.ready.connect(self._on_fitter_ready)
        self.result: SurrogateGrid | None = None
        self._request: Request | None = None
        self._names: tuple[str, ...] = ()
        self._suggested = 0  # running trials marked as the live run's suggestions
        self._numbers = np.empty(0, dtype=np.int64)
        self._x = self._y = np.empty(0)

    # --- public ----------------------------------------------------------------------

    @property
    def params(self) -> tuple[str | None, str | None]:
        return self.x_box.currentText() or None, self.y_box.currentText() or None

    def set_params(self, x: str, y: str, others: str = "best") -> None:
        """Show ``x`` against ``y`` (``others``: "best" or "average")."""
        for box, name in ((self.x_box, x), (self.y_box, y)):
            box.blockSignals(True)
            box.setCurrentText(name)
            box.blockSignals(False)
        self.others_box.setCurrentIndex(self.others_box.findData(others))
        self._on_choice_changed()

    @property
    def busy(self) -> bool:
        return self.fitter.pending

    def show_trials(self, columns, mask, value_label="Objective value", *, live=False) -> None:
        if columns is not self.columns:
            self.fitter.forget()  # another study: whatever is being fitted is stale
            self.result, self._request = None, None
        super().show_trials(columns, mask, value_label, live=live)

    # --- drawing ---------------------------------------------------------------------

    def _sync_params(self) -> None:
        names = tuple(a.name for a in self.columns.axes) if self.columns else ()
        if names == self._names:
            return
        self._names = names
        chosen: list[str] = []
        for box in (self.x_box, self.y_box):
            current = box.currentText()
            if current not in names or current in chosen:  # keep X and Y apart
                current = next((n for n in names if n not in chosen), "")
            chosen.append(current)
            box.blockSignals(True)  # a programmatic change is not the user's choice
            box.clear()
            box.addItems(names)
            box.setCurrentText(current)
            box.blockSignals(False)

    def _render(self) -> None:
        self._sync_params()
        x, y = self.params
        if x is None or len(self._names) < 2:
            self._clear()
            self.show_message(ONE_PARAM)
            return
        if x == y:
            self._clear()
            self.show_message("Choose two different parameters for X and Y.")
            return
        self._draw_trials()
        request = Request("grid", x, y, self.others_box.currentData())
        if self.result is None or request != self._request:
            self.show_message(FITTING)
        self._request = request
        self.fitter.request(self.columns, self.mask, request)

    def _on_fitter_ready(self, request: Request, out: object) -> None:
        if request != self._request or self.columns is None:
            return
        if isinstance(out, str):
            self.result = None
            self.show_message(out)
        else:
            self.result = out
            self.show_message(None)
            self._draw_maps(out)
        self.fitted.emit()

    def _draw_maps(self, grid: SurrogateGrid) -> None:
        ax, ay = self.columns.axis(grid.param_x), self.columns.axis(grid.param_y)
        px, py = _positions(ax, grid.x), _positions(ay, grid.y)
        x0, wx = _span(px)
        y0, wy = _span(py)
        rect = QRectF(x0, y0, wx, wy)
        for (plot, image, bar), data in zip(self.maps, (grid.mean, grid.std)):
            image.setImage(data.T, autoLevels=False)  # ImageItem indexes [x, y]
            image.setRect(rect)
            lo, hi = float(np.nanmin(data)), float(np.nanmax(data))
            bar.setLevels((lo, hi if hi > lo else lo + 1e-12))
            plot.getAxis("bottom").setTicks([list(ax.ticks())])
            plot.getAxis("left").setTicks([list(ay.ticks())])
            style.set_axis_label(plot, "bottom", _axis_label(ax))
            style.set_axis_label(plot, "left", _axis_label(ay))
        # Better is bright: the map runs dark-to-light towards the better values.
        cmap = _MEAN_MAP if self.columns.direction == "maximize" else _MEAN_MAP_REVERSED
        self.maps[0][2].setColorMap(cmap)
        self.plot.setXRange(x0, x0 + wx, padding=0)
        self.plot.setYRange(y0, y0 + wy, padding=0)
        style.set_title(self.plot, f"Predicted {_short(self.value_label)}")
        if grid.others == "best":
            fixed = ", ".join(f"{k} = {_shown(v)}" for k, v in grid.fixed.items())
            others = f"other parameters at the best trial's values ({fixed})" if fixed else ""
        else:
            others = "other parameters averaged over the trials (partial dependence)"
        n = int(((self.columns.states == COMPLETE)
                 & (True if self.mask is None else self.mask)).sum())
        self._set_legend(n, others)

    def _draw_trials(self) -> None:
        cols, (x, y) = self.columns, self.params
        ax, ay = cols.axis(x), cols.axis(y)
        u, v = ax.normalise(cols.column(x)), ay.normalise(cols.column(y))
        shown = (cols.states >= 0) & (True if self.mask is None else self.mask[: cols.n])
        shown &= np.isfinite(u) & np.isfinite(v)
        done = shown & (cols.states == COMPLETE) & np.isfinite(cols.values)
        numbers = np.flatnonzero(done)
        for item in self.trial_items:
            item.setData(x=u[numbers], y=v[numbers])
        best = self._best_number(done)
        for item in self.best_items:
            item.setData(x=u[best:best + 1] if best >= 0 else [],
                         y=v[best:best + 1] if best >= 0 else [])
        study = self.feed.study
        live_bayes = study is not None and study.spec.sampler == "bayes"
        running = np.flatnonzero(shown & (cols.states == RUNNING)) if live_bayes else []
        for item in self.suggestion_items:
            item.setData(x=u[running], y=v[running])
        self._suggested = len(running)
        self._numbers, self._x, self._y = numbers, u[numbers], v[numbers]
        self.shown = numbers
        self._set_pick_points(self._x, self._y, self._numbers)

    def _best_number(self, done: np.ndarray) -> int:
        if not done.any():
            return -1
        values = np.where(done, self.columns.values, np.nan)
        pick = np.nanargmax if self.columns.direction == "maximize" else np.nanargmin
        return int(pick(values))

    def _set_legend(self, n: int, others: str) -> None:
        entries = [f"<span style='color:{style.BEST}'>\u25cf</span>&nbsp;trial",
                   "\u25ef&nbsp;best trial"]
        if self._suggested:
            entries.append(f"<span style='color:{SUGGESTION}'>\u2605</span>&nbsp;next "
                           "suggestion (running)")
        text = "&nbsp;&nbsp;&nbsp;&nbsp;".join(entries)
        text += f"<br>GP fitted to {n} complete trials" + (f"; {others}" if others else "")
        if text != self.legend.shown_html:
            self.legend.setText(text, color=style.TEXT, size="9pt")
            self.legend.shown_html = text

    def _clear(self) -> None:
        for _plot, image, _bar in self.maps:
            image.clear()
        for items in (self.trial_items, self.best_items, self.suggestion_items,
                      self.selection_items):
            for item in items:
                item.setData([], [])
        self.result = None
        self._numbers, self._x, self._y = np.empty(0, dtype=np.int64), np.empty(0), np.empty(0)

    def _show_selection(self, number: int) -> None:
        i = np.searchsorted(self._numbers, number)
        hit = number >= 0 and i < self._numbers.size and self._numbers[i] == number
        for item in self.selection_items:
            if hit:
                item.setData([float(self._x[i])], [float(self._y[i])])
            else:
                item.setData([], [])

    def _on_choice_changed(self, _index: int = 0) -> None:
        if self.columns is not None and self.columns.n:
            self.refresh()


def _positions(axis: ParamAxis, values: list) -> np.ndarray:
    # A categorical axis of the model holds every choice, in the space's order.
    raw = np.arange(len(values), dtype=float) if axis.categorical else np.array(values, float)
    return axis.normalise(raw)


def _span(pos: np.ndarray) -> tuple[float, float]:
    """Start and width of image cells centred on ``pos`` (evenly spaced)."""
    if pos.size < 2:
        return float(pos[0]) - 0.5, 1.0
    cell = (float(pos[-1]) - float(pos[0])) / (pos.size - 1)
    return float(pos[0]) - cell / 2, float(pos[-1] - pos[0]) + cell


def _axis_label(axis: ParamAxis) -> str:
    return f"{axis.name}  (log scale)" if axis.log else axis.name


def _short(label: str) -> str:
    return label[0].lower() + label[1:] if label else "value"


def _shown(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return format_number(v) if isinstance(v, float) else str(v)
