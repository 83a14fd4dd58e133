"""Pareto front: two objectives against each other, the trade-off line, the limits kept.

Shown for studies of several objectives or constraints. Trials on the front (no other
trial within the limits beats them in every objective) are drawn large and dark, the
staircase joins them; trials outside the limits are grey. With three or more objectives
the user picks the pair on the axes and the objective shown in colour (a colour bar reads
it), and the front is ringed. A click selects the trial in the table, and a row selected in
the table is ringed here. The chosen trial is a star; "Mark as the chosen trial" marks the
selected one (pareto_choice.py).
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from desktop.plots import _style as style
from desktop.plots._base import TrialPlotWidget
from desktop.plots._scatter import ScatterItem
from desktop.plots.pareto_choice import ChooseControls
from desktop.trial_feed import TrialFeed
from engine.analysis import format_number
from engine.goals import Goal, metric_label
from engine.pareto import ParetoPlotData, pareto_plot_data
from engine.trial import TrialState

ONE_OBJECTIVE = ("This study has one objective. Add another under What to tune → Objectives "
                 "and limits to see the trade-off between them here.")
NO_VALUES = "No complete trials yet. The trade-off appears here as trials finish."
FRONT_COLOUR = style.BEST
INFEASIBLE_COLOUR = "#c4c9d0"
CHOSEN_COLOUR = "#f59e0b"
_MAP = pg.colormap.get("plasma").getSubset(0.0, 0.85)
_MAP_REVERSED = pg.colormap.get("plasma").getSubset(0.0, 0.85)
_MAP_REVERSED.reverse()


def goal_title(goal: Goal, score_label: str = "value") -> str:
    """An axis title: "training time (s), lower is better"."""
    name = score_label if goal.metric == "value" else metric_label(goal.metric)
    return f"{name}, {'higher' if goal.direction == 'maximize' else 'lower'} is better"


class ParetoPlotWidget(TrialPlotWidget):
    """Two objectives against each other; see the module docstring."""

    title = "Pareto front"

    def __init__(self, feed: TrialFeed, parent: QWidget | None = None):
        super().__init__(feed, parent)
        style.style_plot(self.plot, "Pareto front", "", "")
        for side in ("left", "bottom"):
            # Objectives are shown as they are: a "(x0.001)" unit prefix confuses.
            self.plot.getAxis(side).enableAutoSIPrefix(False)
        self.x_combo, self.y_combo, self.colour_combo = QComboBox(), QComboBox(), QComboBox()
        for combo, axis in ((self.x_combo, "across"), (self.y_combo, "up"),
                            (self.colour_combo, "in colour")):
            combo.setToolTip(f"The objective shown {axis}")
            combo.currentIndexChanged.connect(self._on_axis_combo_changed)
        bar = QHBoxLayout()
        bar.setContentsMargins(10, 4, 10, 0)
        self.axis_labels = [QLabel("Across:"), QLabel("Up:"), QLabel("Colour:")]
        for label, combo in zip(self.axis_labels,
                                (self.x_combo, self.y_combo, self.colour_combo)):
            bar.addWidget(label)
            bar.addWidget(combo)
        bar.addStretch(1)
        self.choice = ChooseControls(feed, self)
        bar.addWidget(self.choice.label)
        bar.addWidget(self.choice.button)
        self.layout().insertLayout(0, bar)
        self._goals: tuple[Goal, ...] = ()

        self.infeasible = ScatterItem(name="outside the limits")
        self.dominated = ScatterItem(name="dominated")
        self.front = ScatterItem(name="on the front")
        self.line = pg.PlotCurveItem(pen=style.pen(FRONT_COLOUR, 1.5), antialias=True)
        self.selection = ScatterItem(size=17, pen=style.pen(style.SELECTED, 2.5),
                                     brush=style.NO_BRUSH, symbol="o")
        self.chosen = ScatterItem(size=24, symbol="star", pen=style.pen("#7c2d12", 1.2),
                                  brush=style.brush(CHOSEN_COLOUR))
        for item in (self.infeasible, self.dominated, self.line, self.front, self.chosen,
                     self.selection):
            self.plot.addItem(item)
        self.legend = style.add_legend(self.graphics)
        # Three objectives or more: the one in colour, read off this bar.
        self.colour_bar = pg.ColorBarItem(values=(0, 1), colorMap=_MAP, interactive=False,
                                          width=12, colorMapMenu=False)
        self.colour_bar.getAxis("right").setTextPen(style.pen(style.TEXT))
        self.colour_bar.getAxis("right").setTickFont(style.label_font(9))
        self.graphics.addItem(self.colour_bar, row=0, col=1)
        self.colour_bar.setVisible(False)
        self.data: ParetoPlotData | None = None
        self._chosen_number: int | None = None
        # The view frames the trials within the limits (far-off ones outside them would
        # squeeze the front into a corner) until the user pans or zooms.
        self._frame_feasible = True
        self.plot.vb.sigRangeChangedManually.connect(self._on_view_range_changed_manually)
        self._show_axis_choice(False)

    # --- axes ----------------------------------------------------------------------------

    def axes(self) -> tuple[int, int]:
        """The objectives shown across and up (indices into the study's objectives)."""
        return max(self.x_combo.currentIndex(), 0), max(self.y_combo.currentIndex(), 0)

    def colour_axis(self) -> int | None:
        """The objective shown in colour (three objectives or more), else None."""
        return self.colour_combo.currentIndex() if len(self._goals) > 2 else None

    def set_axes(self, x: int, y: int, colour: int | None = None) -> None:
        self.x_combo.setCurrentIndex(x)
        self.y_combo.setCurrentIndex(y)
        if colour is not None:
            self.colour_combo.setCurrentIndex(colour)

    def _sync_goals(self) -> None:
        study = self.feed.study
        goals = study.spec.goals if study is not None else ()
        if goals == self._goals:
            return
        self._goals = goals
        self._frame_feasible = True
        titles = [goal_title(g, self.value_label.split(" (")[0]) for g in goals]
        for combo, index in ((self.x_combo, 0), (self.y_combo, 1), (self.colour_combo, 2)):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(titles)
            combo.setCurrentIndex(min(index, len(titles) - 1))
            combo.blockSignals(False)
        self._show_axis_choice(len(goals) > 2)

    def _show_axis_choice(self, shown: bool) -> None:
        for widget in (*self.axis_labels, self.x_combo, self.y_combo, self.colour_combo):
            widget.setVisible(shown)

    def _on_axis_combo_changed(self, _index: int) -> None:
        if len(self._goals) > 2 and self.colour_combo.currentIndex() in self.axes():
            # The objective in colour is one not on the axes, unless the user picks so.
            sender = self.sender()
            if sender is not self.colour_combo:
                rest = [k for k in range(len(self._goals)) if k not in self.axes()]
                self.colour_combo.blockSignals(True)
                self.colour_combo.setCurrentIndex(rest[0] if rest else 0)
                self.colour_combo.blockSignals(False)
        self.refresh()

    # --- drawing -------------------------------------------------------------------------

    def _render(self) -> None:
        self._sync_goals()
        self.choice.update()
        if len(self._goals) < 2:
            self._clear()
            self.show_message(ONE_OBJECTIVE)
            return
        x, y = self.axes()
        trials = [self.columns.trials[i] for i in np.flatnonzero(self.mask)] \
            if self.mask is not None else list(self.columns.trials)
        d = pareto_plot_data(trials, self._goals, x, y)
        if d.numbers.size == 0:
            self._clear()
            self.show_message(NO_VALUES)
            return
        self.data = d
        size = style.marker_size(d.numbers.size)
        grey, rest = ~d.feasible, d.feasible & ~d.on_front
        self.infeasible.setData(d.x[grey], d.y[grey], symbol="o", size=size,
                                pen=style.NO_PEN, brush=style.brush(INFEASIBLE_COLOUR))
        colour = style.STATE_COLOURS[TrialState.COMPLETE]
        coloured = self._colour_brushes(d)
        if coloured is None:
            self.dominated.setData(d.x[rest], d.y[rest], symbol="o", size=size,
                                   pen=style.NO_PEN, brush=style.brush(
                                       colour, style.density_alpha(int(rest.sum()))))
            self.front.setData(d.x[d.on_front], d.y[d.on_front], symbol="o", size=size + 4,
                               pen=style.pen("#ffffff", 1.0), brush=style.brush(FRONT_COLOUR))
        else:  # the colour says the third objective; the front is ringed instead
            self.dominated.setData(d.x[rest], d.y[rest], symbol="o", size=size,
                                   pen=style.NO_PEN, brush=[coloured[i] for i in
                                                            np.flatnonzero(rest)])
            self.front.setData(d.x[d.on_front], d.y[d.on_front], symbol="o", size=size + 5,
                               pen=style.pen(FRONT_COLOUR, 2.0),
                               brush=[coloured[i] for i in np.flatnonzero(d.on_front)])
        self.line.setData(d.line_x, d.line_y)
        if self._frame_feasible:
            self._frame(d)
        self._show_chosen(d)
        style.set_axis_label(self.plot, "bottom", self.x_combo.currentText())
        style.set_axis_label(self.plot, "left", self.y_combo.currentText())
        n_front = int(d.on_front.sum())
        if coloured is None:
            legend = [("\u25cf", FRONT_COLOUR, f"on the front ({n_front})"),
                      ("\u25cf", colour, f"beaten ({int(rest.sum())})")]
        else:
            legend = [("\u25ef", FRONT_COLOUR, f"on the front, ringed ({n_front})"),
                      ("\u25cf", _MAP.map(0.5, mode="qcolor").name(),
                       f"beaten ({int(rest.sum())}), coloured by "
                       f"{self.colour_combo.currentText().split(',')[0]}")]
        if grey.any():
            legend.append(("\u25cf", INFEASIBLE_COLOUR, f"outside the limits ({int(grey.sum())})"))
        if self.chosen.points().size:
            legend.insert(0, ("\u2605", CHOSEN_COLOUR, f"chosen (trial {self._chosen_number})"))
        style.set_legend(self.legend, legend)
        self.shown = d.numbers
        self._set_pick_points(d.x, d.y, d.numbers)

    def _frame(self, d: ParetoPlotData) -> None:
        keep = d.feasible if d.feasible.any() else np.ones(d.numbers.size, dtype=bool)
        x, y = d.x[keep], d.y[keep]
        if x.size < 2 or x.min() == x.max() or y.min() == y.max():
            self.plot.enableAutoRange()
            return
        self.plot.setRange(xRange=(float(x.min()), float(x.max())),
                           yRange=(float(y.min()), float(y.max())), padding=0.08)

    def _on_view_range_changed_manually(self, *_args) -> None:
        self._frame_feasible = False

    def _colour_brushes(self, d: ParetoPlotData) -> list | None:
        """A brush per point from the objective in colour (None with two objectives);
        the colour bar is set to match, best values at the dark end."""
        k = self.colour_axis()
        if k is None or d.values.shape[1] <= k:
            self.colour_bar.setVisible(False)
            return None
        v = d.values[:, k]
        lo, hi = (float(np.nanmin(v)), float(np.nanmax(v))) if v.size else (0.0, 1.0)
        cmap = _MAP_REVERSED if self._goals[k].direction == "maximize" else _MAP
        u = (v - lo) / (hi - lo) if hi > lo else np.full(v.shape, 0.5)
        brushes = [pg.mkBrush(c) for c in cmap.mapToQColor(np.nan_to_num(u, nan=0.5))]
        self.colour_bar.setColorMap(cmap)
        self.colour_bar.setLevels((lo, hi) if hi > lo else (lo - 0.5, lo + 0.5))
        self.colour_bar.getAxis("left").setLabel(self.colour_combo.currentText(),
                                                 color=style.TEXT)
        self.colour_bar.setVisible(True)
        return brushes

    def _show_chosen(self, d: ParetoPlotData) -> None:
        summary = self.feed.summary
        chosen = summary.chosen if summary is not None else None
        self._chosen_number = None if chosen is None else chosen.number
        hit = np.flatnonzero(d.numbers == self._chosen_number) if chosen is not None else []
        if len(hit):
            self.chosen.setData([float(d.x[hit[0]])], [float(d.y[hit[0]])])
        else:
            self.chosen.setData([], [])

    def _clear(self) -> None:
        for item in (self.infeasible, self.dominated, self.front, self.chosen, self.selection):
            item.setData([], [])
        self.line.setData([], [])
        style.set_legend(self.legend, [])
        self.colour_bar.setVisible(False)
        self.data = None

    def _show_selection(self, number: int) -> None:
        d = self.data
        hit = np.flatnonzero(d.numbers == number) if d is not None and number >= 0 else []
        if len(hit):
            self.selection.setData([float(d.x[hit[0]])], [float(d.y[hit[0]])])
        else:
            self.selection.setData([], [])

    def hover_text(self, number: int) -> str:
        trial = self.trial(number)
        if trial is None or not trial.values:
            return super().hover_text(number)
        rows = [f"<b>Trial {trial.number}</b>"]
        for goal, v in zip(self._goals, trial.values):
            name = "value" if goal.metric == "value" else metric_label(goal.metric)
            rows.append(f"{html.escape(name)}: <b>{format_number(v)}</b>")
        if not trial.feasible:
            rows.append("<i>outside the limits</i>")
        for name, v in trial.params.items():
            shown = format_number(v) if isinstance(v, float) else str(v)
            rows.append(f"{html.escape(name)}: {html.escape(shown)}")
        return "<br>".join(rows)
