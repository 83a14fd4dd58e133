"""Parameter importance: a horizontal bar per parameter, refitted in the background.

Each bar is a parameter's share of the score's variance by functional ANOVA over a random
forest (:func:`engine.analysis.param_importance`); its whisker spans one standard deviation
of that share over the forest's trees, so a ranking within the whiskers is not to be
trusted.

Fitting the forest takes a fraction of a second at a thousand trials, so it runs on a
short-lived thread (named ``knobs-importance`` so the tests' leak check sees it), at most
every :data:`REFIT_INTERVAL_S`. The result comes back by a queued signal; results of an
older request are dropped by a generation counter; the GUI thread only draws the bars.

scikit-learn is imported here, on the GUI thread: importing it (some 150 extension modules)
on the fitting thread while the Qt event loop ran crashed PySide6 6.12 intermittently
(segfaults in the event loop, seen in about half of the test runs).
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pyqtgraph as pg
import sklearn.ensemble  # noqa: F401 - see the module notes
from PySide6.QtCore import QPointF, QTimer, Signal
from PySide6.QtWidgets import QWidget

from desktop.background import run_in_background
from desktop.plots import _style as style
from desktop.plots._base import TrialPlotWidget
from desktop.trial_feed import TrialFeed
from engine.analysis import (
    COMPLETE,
    MIN_IMPORTANCE_TRIALS,
    Importance,
    TrialColumns,
    param_importance,
)

REFIT_INTERVAL_S = 2.0
BAR_HEIGHT = 0.62


class ImportancePlotWidget(TrialPlotWidget):
    """Share of the score's variance explained by each parameter (fANOVA), with whiskers.

    ``fitted`` is emitted after each new result is drawn.
    """

    title = "Importance"
    fitted = Signal()

    def __init__(self, feed: TrialFeed, parent: QWidget | None = None):
        super().__init__(feed, parent)
        style.style_plot(self.plot, "Parameter importance", "Share of the explained variation",
                         "")
        self.plot.getAxis("left").setStyle(tickLength=0)
        self.plot.showGrid(x=True, y=False, alpha=style.GRID_ALPHA)
        self.plot.setMouseEnabled(x=False, y=False)
        self.bars = pg.BarGraphItem(x0=[], y=[], width=[], height=BAR_HEIGHT,
                                    brush=style.brush(style.BAR), pen=style.NO_PEN)
        self.plot.addItem(self.bars)
        self.whiskers = pg.ErrorBarItem(x=np.empty(0), y=np.empty(0),
                                        pen=style.pen(style.TEXT, 1.5), beam=BAR_HEIGHT * 0.4)
        self.plot.addItem(self.whiskers)
        self.note = pg.LabelItem("", color=style.FAINT, size="9pt", justify="center")
        self.graphics.addItem(self.note, row=1, col=0)
        self._labels: list[pg.TextItem] = []
        self.result: Importance | None = None
        self._drawn: Importance | None = None
        self._generation = 0
        self._key: tuple | None = None  # what the shown (or running) fit was computed from
        self._thread: threading.Thread | None = None
        self._again = False
        self._last_start = -np.inf
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timer_timeout)

    @property
    def busy(self) -> bool:
        return self._thread is not None

    def show_trials(self, columns, mask, value_label="Objective value", *, live=False) -> None:
        if columns is not self.columns:
            self._generation += 1  # another study: whatever is being fitted is stale
            self._key, self.result = None, None
        super().show_trials(columns, mask, value_label, live=live)

    # --- scheduling ------------------------------------------------------------------

    def _render(self) -> None:
        cols = self.columns
        mask = self.mask if self.mask is not None else cols.mask()
        complete = (cols.states == COMPLETE) & np.isfinite(cols.values)
        if not (complete & mask).any() and complete.any():
            self.show_message("Importance is computed from complete trials. "
                              "Tick \u201cComplete\u201d above to see it.")
            return
        shown = complete & mask
        if shown.sum() < MIN_IMPORTANCE_TRIALS:  # says so without fitting anything
            self._key, self.result = None, None
            self._draw(param_importance(cols, mask))
            return
        key = (id(cols), int(shown.sum()), int(np.flatnonzero(shown)[-1]) if shown.any() else -1)
        # Until a new fit is back, the last one stays on screen.
        self._draw(self.result)
        if key == self._key:
            return  # nothing new to fit
        if self._thread is not None:
            self._again = True  # refit with the newest data once this fit is done
            return
        wait = self._last_start + REFIT_INTERVAL_S - time.monotonic()
        if wait > 0:
            self._timer.start(int(wait * 1000) + 1)
            return
        self._start_fit(cols.copy(), mask.copy(), key)

    def _start_fit(self, columns: TrialColumns, mask: np.ndarray, key: tuple) -> None:
        self._key = key
        self._last_start = time.monotonic()
        generation = self._generation

        def work() -> tuple[int, Importance]:
            try:
                return generation, param_importance(columns, mask)
            except Exception as exc:  # shown inline; a plot must not take the app down
                return generation, Importance(
                    (), np.empty(0), 0, f"Parameter importance could not be computed: {exc}")

        self._thread = run_in_background(work, self._on_fit_done, name="knobs-importance")

    def _on_fit_done(self, done: tuple[int, Importance]) -> None:
        generation, result = done
        self._thread = None
        if generation == self._generation:
            self.result = result
            if self.columns is not None:
                self._draw(result)
            self.fitted.emit()
            again = self._again
        else:
            self._key = None  # fitted for a study or table that is gone: fit again
            again = True
        self._again = False
        if again:
            self._on_timer_timeout()

    def _on_timer_timeout(self) -> None:
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    # --- drawing ---------------------------------------------------------------------

    def _draw(self, result: Importance | None) -> None:
        if result is None:
            self.show_message("Computing parameter importance\u2026")
            return
        if result.note:
            self.show_message(result.note)
            return
        self.show_message(None)
        if result is self._drawn:
            return  # the bars already show it
        self._drawn = result
        n = len(result.names)
        y = np.arange(n - 1, -1, -1, dtype=float)  # the most important at the top
        percent = 100 * result.importances
        spread = (100 * result.errors if len(result.errors) == n else np.zeros(n))
        self.bars.setOpts(x0=np.zeros(n), y=y, width=percent, height=BAR_HEIGHT)
        self.whiskers.setData(x=percent, y=y, left=np.minimum(spread, percent), right=spread,
                              beam=BAR_HEIGHT * 0.4)
        self.plot.getAxis("left").setTicks([list(zip(y.tolist(), result.names))])
        for item in self._labels:
            self.plot.removeItem(item)
        self._labels = []
        for yi, share, err in zip(y, percent, spread):
            text = f"{share:.0f}%" if share >= 1 else "<1%"
            if err >= 0.5:
                text += f" \u00b1 {err:.0f}"
            label = pg.TextItem(text, color=style.TEXT, anchor=(0, 0.5))
            label.setFont(style.label_font(9))
            label.setPos(float(share + err), float(yi))
            self.plot.addItem(label)
            self._labels.append(label)
        right = float((percent + spread).max()) * 1.25  # room for the label after the bar
        step = 25 if right > 50 else 10 if right > 20 else 5
        self.plot.getAxis("bottom").setTicks(
            [[(v, f"{v}%") for v in range(0, 101, step) if v <= right]])
        self.plot.setXRange(0, right, padding=0)
        self.plot.setYRange(-0.6, n - 0.4, padding=0)
        style.set_title(self.plot, f"Parameter importance \u2014 functional ANOVA on "
                        f"{result.n_trials} complete trials")
        self.note.setText("Share of the score's variance each parameter explains on its own "
                          "(mean over the random forest's trees; whiskers: \u00b1 one standard "
                          "deviation over the trees)", color=style.FAINT, size="9pt")
        self._set_pick_points(np.empty(0), np.empty(0), np.empty(0, dtype=np.int64))

    def _clear(self) -> None:
        self.bars.setOpts(x0=[], y=[], width=[], height=BAR_HEIGHT)
        self.whiskers.setData(x=np.empty(0), y=np.empty(0))
        self._drawn = None

    def hover_text(self, number: int) -> str:  # bars are parameters, not trials
        return ""

    def pick(self, view_pos: QPointF) -> int | None:
        return None

    def whisker_values(self) -> dict[str, float]:
        """The spread over trees shown for each parameter (empty when no bars are shown)."""
        if self.result is None or self.result.note or self.showing_message:
            return {}
        return dict(zip(self.result.names, self.result.errors.tolist()))

    def bar_values(self) -> dict[str, float]:
        """The importance shown for each parameter (empty when no bars are shown)."""
        if self.result is None or self.result.note or self.showing_message:
            return {}
        return dict(zip(self.result.names, self.result.importances.tolist()))
