"""What the History plot shows for a study of several objectives: one objective at a time,
or the hypervolume of the front over the trials, and the chosen trial as a star.

The user picks in a "Show:" box above the plot. The hypervolume comes from an
:class:`~engine.hypervolume_trace.HypervolumeTrace` kept for the shown study, so a batch of
new trials costs only what those trials add; its fixed reference point is stated under the
box. Studies of one objective see none of this.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop.plots import _style as style
from desktop.plots._scatter import ScatterItem
from desktop.plots.pareto import goal_title
from engine.goals import Goal
from engine.hypervolume_trace import HypervolumeTrace
from engine.study import Study

HYPERVOLUME = "hypervolume"
HV_TITLE = "Hypervolume of the Pareto front"
CHOSEN_SYMBOL = "star"
CHOSEN_COLOUR = "#f59e0b"


def chosen_entry(number: int) -> tuple[str, str, str]:
    """The chosen trial's legend entry."""
    return ("\u2605", CHOSEN_COLOUR, f"chosen (trial {number})")


def chosen_marker() -> ScatterItem:
    """The star drawn on the trial the user chose from the front."""
    return ScatterItem(size=22, symbol=CHOSEN_SYMBOL, pen=style.pen("#7c2d12", 1.2),
                       brush=style.brush(CHOSEN_COLOUR))


class HistoryGoals:
    """The "Show:" box, the hypervolume line and the chosen star of one History plot."""

    def __init__(self, plot: pg.PlotItem, host: QWidget):
        self.plot = plot
        self.combo = QComboBox()
        self.combo.setToolTip("Which objective the history shows, or the hypervolume: the "
                              "area (volume) the Pareto front dominates, which grows as the "
                              "trade-off improves")
        self.label = QLabel("Show:")
        self.reference_label = QLabel()
        self.reference_label.setWordWrap(True)
        self.reference_label.setStyleSheet(f"QLabel {{ color: {style.AXIS}; }}")
        bar = QHBoxLayout()
        bar.addWidget(self.label)
        bar.addWidget(self.combo)
        bar.addStretch(1)
        box = QVBoxLayout()
        box.setContentsMargins(10, 4, 10, 0)
        box.addLayout(bar)
        box.addWidget(self.reference_label)
        host.layout().insertLayout(0, box)
        self.line = pg.PlotCurveItem(pen=style.pen(style.BEST, 2), antialias=True)
        self.steps = ScatterItem(size=7, symbol="o", pen=style.NO_PEN,
                                 brush=style.brush(style.BEST))
        self.chosen = chosen_marker()
        for item in (self.line, self.steps, self.chosen):
            plot.addItem(item)
        self._goals: tuple[Goal, ...] = ()
        self._study: Study | None = None
        self._trace: HypervolumeTrace | None = None
        self._columns = None
        self._show(False)

    # --- which view ----------------------------------------------------------------------

    def sync(self, study: Study | None, score_label: str) -> None:
        """Offer the study's objectives (only when it has several) and the hypervolume."""
        goals = study.spec.goals if study is not None and len(study.spec.goals) > 1 else ()
        if study is not self._study:
            self._study, self._trace, self._columns = study, None, None
        if goals == self._goals:
            return
        self._goals = goals
        self.combo.blockSignals(True)
        self.combo.clear()
        for g in goals:
            self.combo.addItem(goal_title(g, score_label), g)
        if goals:
            self.combo.addItem(HV_TITLE, HYPERVOLUME)
        self.combo.setCurrentIndex(0)
        self.combo.blockSignals(False)
        self._show(bool(goals))

    def _show(self, shown: bool) -> None:
        for widget in (self.label, self.combo):
            widget.setVisible(shown)
        self.reference_label.setVisible(shown and self.showing_hypervolume)

    @property
    def active(self) -> bool:
        """True for a study of several objectives (the box is offered)."""
        return bool(self._goals)

    @property
    def goal(self) -> Goal | None:
        """The objective shown, or None (one objective, or the hypervolume view)."""
        data = self.combo.currentData() if self._goals else None
        return data if isinstance(data, Goal) else None

    @property
    def showing_hypervolume(self) -> bool:
        return bool(self._goals) and self.combo.currentData() == HYPERVOLUME

    def choose_view(self, text: str) -> None:
        """Show the view whose title is ``text`` (as a user picking it)."""
        self.combo.setCurrentIndex(self.combo.findText(text))

    # --- the hypervolume view ------------------------------------------------------------

    def hypervolume(self, columns) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The trace brought up to date with ``columns``: (numbers, volumes) of the trials
        it counts and the step line's (x, y) carried to the newest trial."""
        if self._trace is None or columns is not self._columns:
            self._trace = HypervolumeTrace(self._goals, self._study.spec.constraints)
            self._columns = columns
        trace = self._trace
        trace.update(columns.trials)  # the same growing list: only new trials are read
        numbers, volumes = trace.numbers, trace.volumes
        if numbers.size == 0:
            return numbers, volumes, np.empty(0), np.empty(0)
        x = np.repeat(numbers.astype(float), 2)[1:]
        y = np.repeat(volumes, 2)[:-1]
        if columns.n - 1 > x[-1]:
            x, y = np.append(x, float(columns.n - 1)), np.append(y, volumes[-1])
        return numbers, volumes, x, y

    def draw_hypervolume(self, numbers, volumes, x, y, score_label: str) -> None:
        self.line.setData(x, y)
        grew = np.concatenate([[True], np.diff(volumes) > 0]) if volumes.size else \
            np.zeros(0, dtype=bool)
        self.steps.setData(numbers[grew].astype(float), volumes[grew])
        trace = self._trace
        if trace is not None and trace.reference is not None:
            fixed = "" if trace.reference.fixed else (
                " — provisional until 10 trials within the limits have finished")
            self.reference_label.setText(f"Reference point{fixed}: "
                                         f"{trace.reference_text(score_label)}")
        else:
            self.reference_label.setText("The hypervolume appears once a trial within the "
                                         "limits has finished.")
        self.reference_label.setVisible(True)

    def clear_hypervolume(self) -> None:
        self.line.setData([], [])
        self.steps.setData([], [])
        self.reference_label.setVisible(False)

    # --- the chosen trial ----------------------------------------------------------------

    def show_chosen(self, number: int | None, numbers: np.ndarray, y: np.ndarray) -> bool:
        """Star the chosen trial where it is drawn; False when it is not shown."""
        i = np.flatnonzero(numbers == number) if number is not None else []
        if len(i) and np.isfinite(y[i[0]]):
            self.chosen.setData([float(number)], [float(y[i[0]])])
            return True
        self.chosen.setData([], [])
        return False
