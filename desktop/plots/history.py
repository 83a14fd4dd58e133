"""Optimization history: every trial's value by trial number and the best-so-far line."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from desktop.plots import _style as style
from desktop.plots._base import NoValueStrip, TrialPlotWidget
from desktop.plots._live_range import LiveExtent
from desktop.plots._scatter import ScatterItem, TrialScatterItem
from desktop.plots.history_goals import HistoryGoals, chosen_entry
from desktop.trial_feed import TrialFeed
from engine.analysis import goal_history, optimization_history
from engine.states import STATE_LABEL


class HistoryPlotWidget(TrialPlotWidget):
    """Each trial's value by trial number, with the best value so far as a step line.

    Trials without a value (failed, running, ...) are marked in a strip under the lowest
    score, so a run of failures is visible at a glance.
    """

    title = "History"

    def __init__(self, feed: TrialFeed, parent: QWidget | None = None):
        super().__init__(feed, parent, score_axis=True, count_x=True)
        style.style_plot(self.plot, "Optimization history", "Trial number", self.value_label)
        self.strip = NoValueStrip(self.plot)
        self.scatters = {s: TrialScatterItem(name=STATE_LABEL[s].lower())
                         for s in style.STATE_ORDER}
        self.best_line = pg.PlotCurveItem(pen=style.pen(style.BEST, 2), antialias=True,
                                          name="best so far")
        self.selection = ScatterItem(size=17, pen=style.pen(style.SELECTED, 2.5),
                                     brush=style.NO_BRUSH, symbol="o")
        for item in self.scatters.values():
            self.plot.addItem(item)
        self.plot.addItem(self.best_line)
        self.plot.addItem(self.selection)
        self.x_extent = LiveExtent()  # while a study runs, the axes re-range in steps
        self.plot.addItem(self.x_extent)
        self.legend = style.add_legend(self.graphics)
        # Several objectives: one at a time or the hypervolume (history_goals.py).
        self.goals = HistoryGoals(self.plot, self)
        self.goals.combo.currentIndexChanged.connect(self._on_goals_combo_changed)
        self._numbers = np.empty(0, dtype=np.int64)
        self._y = np.empty(0)
        self._clear()

    def _on_goals_combo_changed(self, _index: int) -> None:
        self.refresh()

    def _render(self) -> None:
        score = self.value_label.split(" (")[0]
        self.goals.sync(self.feed.study, score)
        if self.goals.showing_hypervolume:
            self._render_hypervolume(score)
            return
        self.goals.clear_hypervolume()
        goal = self.goals.goal
        h = optimization_history(self.columns, self.mask) if goal is None else \
            goal_history(self.columns, goal, self.mask)
        # While a study runs, the value axis moves only when a score leaves round bounds.
        y = self.strip.place(h.values, self.x_extent.follow_values(h.values, self.live))
        if np.isfinite(h.values).any():
            self.plot.enableAutoRange(axis="y")
        else:
            # Only running or failed trials: an auto range around their one y would zoom
            # into nothing (axis labels like "x0.001"); show a plain band instead.
            self.plot.setYRange(-1.0, 1.0, padding=0)
        legend = []
        for state, item in self.scatters.items():  # back to front: complete drawn last
            rows = h.states == style.STATE_CODES[state]
            n = int(rows.sum())
            x = h.numbers[rows]
            item.show_points(x, x.astype(float), y[rows], style.scatter_style(state, n))
            if n:
                legend.append(style.state_entry(state))
        x, best = _staircase(h.best_numbers, h.best_values, h.numbers)
        self.best_line.setData(x, best)
        self.x_extent.follow(float(h.numbers[-1]) if h.numbers.size else None, self.live)
        if best.size:
            legend.append((style.LINE_GLYPH, style.BEST, "best so far"))
        legend = legend[::-1]  # best line and complete first
        style.set_legend(self.legend, legend)
        style.set_axis_label(self.plot, "left", self.value_label if goal is None
                             else self.goals.combo.currentText())
        self._numbers, self._y = h.numbers, y
        self.shown = h.numbers
        self._set_pick_points(h.numbers, y, h.numbers)
        self._show_chosen(legend)

    def _render_hypervolume(self, score: str) -> None:
        for item in self.scatters.values():
            item.clear_points()
        self.best_line.setData([], [])
        numbers, volumes, x, y = self.goals.hypervolume(self.columns)
        self.goals.draw_hypervolume(numbers, volumes, x, y, score)
        # The live axes follow the volumes here, as they follow the scores in _render.
        self.strip.place(volumes, self.x_extent.follow_values(volumes, self.live))
        self.x_extent.follow(float(numbers[-1]) if numbers.size else None, self.live)
        self.plot.enableAutoRange(axis="y")
        legend = [(style.LINE_GLYPH, style.BEST, "hypervolume so far")] if numbers.size else []
        style.set_legend(self.legend, legend)
        style.set_axis_label(self.plot, "left", "Hypervolume (higher is better)")
        self._numbers, self._y = numbers, volumes
        self.shown = numbers
        self._set_pick_points(numbers, volumes, numbers)
        self._show_chosen(legend)

    def _show_chosen(self, legend: list) -> None:
        summary = self.feed.summary
        chosen = summary.chosen if summary is not None and self.goals.active else None
        if self.goals.show_chosen(None if chosen is None else chosen.number, self._numbers,
                                  self._y):
            style.set_legend(self.legend, [chosen_entry(chosen.number), *legend])

    def _clear(self) -> None:
        for item in self.scatters.values():
            item.clear_points()
        self.goals.clear_hypervolume()
        self.goals.chosen.setData([], [])
        self.best_line.setData([], [])
        self.x_extent.follow(None, live=False)
        self.x_extent.follow_values(np.empty(0), live=False)
        self.selection.setData([], [])
        self.strip.clear()
        style.set_legend(self.legend, [])
        self._numbers, self._y = np.empty(0, dtype=np.int64), np.empty(0)

    def _show_selection(self, number: int) -> None:
        i = np.searchsorted(self._numbers, number)
        if number >= 0 and i < self._numbers.size and self._numbers[i] == number:
            self.selection.setData([float(number)], [float(self._y[i])])
        else:
            self.selection.setData([], [])


def _staircase(numbers: np.ndarray, best: np.ndarray, shown: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Points of a step line that holds each best value until the next complete trial."""
    if best.size == 0:
        return np.empty(0), np.empty(0)
    # Only the trials that improved on the best make corners: a line through every
    # complete trial (95,000 of 100,000) cost ~12 ms of stroking on each repaint.
    corner = np.r_[True, best[1:] != best[:-1]]
    numbers, best = numbers[corner], best[corner]
    x = np.repeat(numbers.astype(float), 2)[1:]
    y = np.repeat(best, 2)[:-1]
    last = float(shown.max())  # carry the line to the newest trial shown
    if last > x[-1]:
        x, y = np.append(x, last), np.append(y, best[-1])
    return x, y
