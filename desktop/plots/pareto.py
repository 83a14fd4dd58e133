"""Pareto front: two objectives against each other, the trade-off line, the limits kept.

Shown for studies of several objectives or constraints. Trials on the front (no other
trial within the limits beats them in every objective) are drawn large and dark, the
staircase joins them; trials outside the limits are grey. With three or more objectives
the user picks the pair on the axes. A click selects the trial in the table, and a row
selected in the table is ringed here.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from desktop.plots import _style as style
from desktop.plots._base import ScatterItem, TrialPlotWidget
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
        self.x_combo, self.y_combo = QComboBox(), QComboBox()
        for combo, axis in ((self.x_combo, "across"), (self.y_combo, "up")):
            combo.setToolTip(f"The objective shown {axis}")
            combo.currentIndexChanged.connect(self._on_axis_combo_changed)
        bar = QHBoxLayout()
        bar.setContentsMargins(10, 4, 10, 0)
        self.axis_labels = [QLabel("Across:"), QLabel("Up:")]
        for label, combo in zip(self.axis_labels, (self.x_combo, self.y_combo)):
            bar.addWidget(label)
            bar.addWidget(combo)
        bar.addStretch(1)
        self.layout().insertLayout(0, bar)
        self._goals: tuple[Goal, ...] = ()

        self.infeasible = ScatterItem(name="outside the limits")
        self.dominated = ScatterItem(name="dominated")
        self.front = ScatterItem(name="on the front")
        self.line = pg.PlotCurveItem(pen=style.pen(FRONT_COLOUR, 1.5), antialias=True)
        self.selection = ScatterItem(size=17, pen=style.pen(style.SELECTED, 2.5),
                                     brush=style.NO_BRUSH, symbol="o")
        for item in (self.infeasible, self.dominated, self.line, self.front, self.selection):
            self.plot.addItem(item)
        self.legend = style.add_legend(self.graphics)
        self.data: ParetoPlotData | None = None
        self._show_axis_choice(False)

    # --- axes ----------------------------------------------------------------------------

    def axes(self) -> tuple[int, int]:
        """The objectives shown across and up (indices into the study's objectives)."""
        return max(self.x_combo.currentIndex(), 0), max(self.y_combo.currentIndex(), 0)

    def set_axes(self, x: int, y: int) -> None:
        self.x_combo.setCurrentIndex(x)
        self.y_combo.setCurrentIndex(y)

    def _sync_goals(self) -> None:
        study = self.feed.study
        goals = study.spec.goals if study is not None else ()
        if goals == self._goals:
            return
        self._goals = goals
        titles = [goal_title(g, self.value_label.split(" (")[0]) for g in goals]
        for combo, index in ((self.x_combo, 0), (self.y_combo, 1)):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(titles)
            combo.setCurrentIndex(min(index, len(titles) - 1))
            combo.blockSignals(False)
        self._show_axis_choice(len(goals) > 2)

    def _show_axis_choice(self, shown: bool) -> None:
        for widget in (*self.axis_labels, self.x_combo, self.y_combo):
            widget.setVisible(shown)

    def _on_axis_combo_changed(self, _index: int) -> None:
        self.refresh()

    # --- drawing -------------------------------------------------------------------------

    def _render(self) -> None:
        self._sync_goals()
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
        self.dominated.setData(d.x[rest], d.y[rest], symbol="o", size=size, pen=style.NO_PEN,
                               brush=style.brush(colour, style.density_alpha(int(rest.sum()))))
        self.front.setData(d.x[d.on_front], d.y[d.on_front], symbol="o", size=size + 4,
                           pen=style.pen("#ffffff", 1.0), brush=style.brush(FRONT_COLOUR))
        self.line.setData(d.line_x, d.line_y)
        style.set_axis_label(self.plot, "bottom", self.x_combo.currentText())
        style.set_axis_label(self.plot, "left", self.y_combo.currentText())
        n_front = int(d.on_front.sum())
        legend = [("\u25cf", FRONT_COLOUR, f"on the front ({n_front})"),
                  ("\u25cf", colour, f"beaten ({int(rest.sum())})")]
        if grey.any():
            legend.append(("\u25cf", INFEASIBLE_COLOUR, f"outside the limits ({int(grey.sum())})"))
        style.set_legend(self.legend, legend)
        self.shown = d.numbers
        self._set_pick_points(d.x, d.y, d.numbers)

    def _clear(self) -> None:
        for item in (self.infeasible, self.dominated, self.front, self.selection):
            item.setData([], [])
        self.line.setData([], [])
        style.set_legend(self.legend, [])
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
