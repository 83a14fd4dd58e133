"""What every plot shares: its data source, lazy refresh, hover and click picking.

A plot is handed the panel's :class:`TrialColumns` table and the state mask; it computes its
data with ``engine.analysis`` and calls ``setData`` on items it created once. Plots on
hidden tabs only remember that they are stale and catch up when shown, so a running study
costs one plot's refresh per batch, not six.

Picking is done with numpy on the plotted arrays rather than pyqtgraph's per-point
objects, which are built for every point on each click and cost ~50 ms at 50,000 points.
"""

from __future__ import annotations

import html
import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtWidgets import QLabel, QStackedLayout, QToolTip, QVBoxLayout, QWidget

from desktop.plots import _style as style
from desktop.trial_feed import TrialFeed
from engine.analysis import TrialColumns
from engine.formatting import format_number
from engine.trial import Trial

PICK_RADIUS_PX = 8.0
NO_STUDY = "No trials yet: press Run, or open a study file to see its plots."
NO_TRIALS = "No trials yet. They appear here as they run."
# Live batches redraw at once up to LIVE_FREE_TRIALS trials; beyond, at most every
# n * LIVE_SECONDS_PER_TRIAL seconds (0.4 s at 10,000 trials, 2 s from 50,000): painting
# 50,000 lines takes a few hundred milliseconds.
LIVE_FREE_TRIALS = 5_000
LIVE_SECONDS_PER_TRIAL = 1 / 25_000
MAX_LIVE_INTERVAL_S = 2.0


class ScoreAxisItem(pg.AxisItem):
    """A value axis without ticks in the no-value strip under the scores."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.floor = -np.inf
        # Scores are shown as they are: a "(x0.001)" unit prefix confuses more than it helps.
        self.enableAutoSIPrefix(False)

    def tickValues(self, minVal, maxVal, size):  # noqa: N802, N803 - pyqtgraph override
        levels = super().tickValues(minVal, maxVal, size)
        return [(spacing, [v for v in values if v >= self.floor]) for spacing, values in levels]


class CountAxisItem(pg.AxisItem):
    """An axis of whole numbers (trial numbers): no tick at a half trial, however zoomed."""

    def tickValues(self, minVal, maxVal, size):  # noqa: N802, N803 - pyqtgraph override
        levels = []
        for spacing, values in super().tickValues(minVal, maxVal, size):
            if spacing < 1:
                continue
            levels.append((spacing, [v for v in values if float(v).is_integer()]))
        if not levels:  # zoomed in to less than a trial apart: one tick per trial
            first, last = math.ceil(min(minVal, maxVal)), math.floor(max(minVal, maxVal))
            levels = [(1.0, [float(v) for v in range(first, last + 1)])]
        return levels

    def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph override
        return [str(int(round(v * scale))) for v in values]


class TrialPlotWidget(QWidget):
    """One plot of the current study's trials; it never writes to the study.

    Subclasses set :attr:`title` and implement ``_render`` (draw ``self.columns`` under
    ``self.mask``), ``_clear`` and ``_show_selection(number)``; they publish what can be
    picked with :meth:`_set_pick_points` or override :meth:`pick`.
    """

    title = ""

    def __init__(self, feed: TrialFeed, parent: QWidget | None = None, *,
                 score_axis: bool = False, count_x: bool = False):
        super().__init__(parent)
        self.feed = feed
        self.columns: TrialColumns | None = None
        self.mask: np.ndarray | None = None
        self.value_label = "Objective value"
        self.live = False  # the last trials shown came from a running study
        self._stale = True
        self._last_refresh = -np.inf
        self._live_timer = QTimer(self)
        self._live_timer.setSingleShot(True)
        self._live_timer.timeout.connect(self._on_live_timer_timeout)
        self.shown = np.empty(0, dtype=np.int64)  # numbers of the trials drawn, ascending
        self._pick_x = self._pick_y = np.empty(0)
        self._pick_numbers = np.empty(0, dtype=np.int64)
        self._tip_shown = False

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(style.BACKGROUND)
        self.graphics.setAntialiasing(True)
        self.graphics.ci.setContentsMargins(8, 8, 16, 8)
        axes = {}
        if score_axis:
            axes["left"] = ScoreAxisItem("left")
        if count_x:
            axes["bottom"] = CountAxisItem("bottom")
        self.plot: pg.PlotItem = self.graphics.addPlot(row=0, col=0, axisItems=axes or None)
        self.message = _message_widget()
        self._stack = QStackedLayout()
        self._stack.addWidget(self.graphics)
        self._stack.addWidget(self.message)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(self._stack)

        scene = self.graphics.scene()
        # Hover is rate-limited: a mouse move arrives far more often than a person reads.
        self._hover_proxy = pg.SignalProxy(scene.sigMouseMoved, rateLimit=30,
                                           slot=self._on_scene_mouse_moved)
        scene.sigMouseClicked.connect(self._on_scene_mouse_clicked)
        feed.selected.connect(self._on_feed_selected)

    # --- data in ---------------------------------------------------------------------

    def show_trials(self, columns: TrialColumns | None, mask: np.ndarray | None,
                    value_label: str = "Objective value", *, live: bool = False) -> None:
        """Show these trials; drawn now when visible, else when next shown.

        ``live`` marks a batch from a running study: a plot of many trials then redraws
        at most every few tenths of a second, so that painting never crowds out the user.
        """
        self.columns, self.mask, self.value_label = columns, mask, value_label
        self.live = live
        self._stale = True
        if not self.isVisible():
            return
        wait = self._live_wait() if live else 0.0
        if wait > 0:
            if not self._live_timer.isActive():
                self._live_timer.start(int(wait * 1000) + 1)
            return
        self.refresh()

    def _live_wait(self) -> float:
        n = self.columns.n if self.columns is not None else 0
        if n < LIVE_FREE_TRIALS:
            return 0.0
        interval = min(n * LIVE_SECONDS_PER_TRIAL, MAX_LIVE_INTERVAL_S)
        return self._last_refresh + interval - time.monotonic()

    def _on_live_timer_timeout(self) -> None:
        if not (self._stale and self.isVisible()):
            return
        # Qt's default (coarse) timers may fire up to 5% early: wait out the rest.
        wait = self._live_wait()
        if wait > 0:
            self._live_timer.start(int(wait * 1000) + 1)
            return
        self.refresh()

    def refresh(self) -> None:
        """Redraw from the current table now, visible or not."""
        self._stale = False
        self._last_refresh = time.monotonic()
        self._live_timer.stop()
        if self.columns is None or self.columns.n == 0:
            self._set_pick_points(np.empty(0), np.empty(0), np.empty(0, dtype=np.int64))
            self.shown = np.empty(0, dtype=np.int64)
            self._clear()
            self.show_message(NO_STUDY if self.columns is None else NO_TRIALS)
        else:
            self.show_message(None)  # a plot may put up its own message while rendering
            self._render()
        self._show_selection(self.feed.selection)

    @property
    def is_stale(self) -> bool:
        return self._stale

    @property
    def last_refresh(self) -> float:
        """When the plot last redrew (``time.monotonic``)."""
        return self._last_refresh

    def showEvent(self, event):  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def show_message(self, text: str | None) -> None:
        """Replace the plot by a plain sentence (``None`` shows the plot again)."""
        if text is None:
            self._stack.setCurrentWidget(self.graphics)
        else:
            self.message.setText(text)
            self._stack.setCurrentWidget(self.message)

    @property
    def showing_message(self) -> bool:
        return self._stack.currentWidget() is self.message

    # --- for subclasses --------------------------------------------------------------

    def _render(self) -> None:
        raise NotImplementedError

    def _clear(self) -> None:
        raise NotImplementedError

    def _show_selection(self, number: int) -> None:
        pass

    def _set_pick_points(self, x: np.ndarray, y: np.ndarray, numbers: np.ndarray) -> None:
        """The trials' positions in view coordinates, for hover and click."""
        self._pick_x = np.asarray(x, dtype=float)
        self._pick_y = np.asarray(y, dtype=float)
        self._pick_numbers = np.asarray(numbers)

    def trial(self, number: int) -> Trial | None:
        """The newest snapshot of a trial shown by this plot's table, if it is known."""
        if self.columns is None or not 0 <= number < self.columns.n:
            return None
        return self.columns.trials[number]

    # --- picking ---------------------------------------------------------------------

    def pick(self, view_pos: QPointF) -> int | None:
        """The trial drawn nearest to a point of the view, if within a few pixels."""
        if self._pick_numbers.size == 0:
            return None
        pw, ph = self.plot.vb.viewPixelSize()
        dx = (self._pick_x - view_pos.x()) / pw
        dy = (self._pick_y - view_pos.y()) / ph
        d2 = dx * dx + dy * dy
        i = int(np.argmin(d2))
        return int(self._pick_numbers[i]) if d2[i] <= PICK_RADIUS_PX ** 2 else None

    def pick_scene(self, scene_pos: QPointF) -> int | None:
        vb = self.plot.vb
        if not vb.sceneBoundingRect().contains(scene_pos):
            return None
        return self.pick(vb.mapSceneToView(scene_pos))

    def hover_text(self, number: int) -> str:
        """Rich text naming a trial: number, state, value and every parameter it has."""
        trial = self.trial(number)
        if trial is None:
            return ""
        value = "—" if trial.value is None else format_number(trial.value)
        rows = [f"<b>Trial {trial.number}</b> &nbsp;<i>{trial.state.value}</i>",
                f"value: <b>{value}</b>"]
        for name, v in trial.params.items():
            shown = format_number(v) if isinstance(v, float) else str(v)
            rows.append(f"{html.escape(name)}: {html.escape(shown)}")
        if trial.error:
            rows.append(f"<span style='color:{style.STATE_COLOURS[trial.state]}'>"
                        f"{html.escape(trial.error.splitlines()[0][:120])}</span>")
        return "<br>".join(rows)

    def _on_scene_mouse_moved(self, args) -> None:
        scene_pos = args[0]
        number = self.pick_scene(scene_pos)
        text = self.hover_text(number) if number is not None else ""
        if not text:
            if self._tip_shown:  # only hide our own tip, not one of another widget
                QToolTip.hideText()
                self._tip_shown = False
            return
        at = self.graphics.mapToGlobal(self.graphics.mapFromScene(scene_pos))
        QToolTip.showText(at, text, self.graphics)
        self._tip_shown = True

    def _on_scene_mouse_clicked(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        number = self.pick_scene(ev.scenePos())
        if number is not None:
            self.feed.select(number)

    def _on_feed_selected(self, number: int) -> None:
        self._show_selection(number)

    # --- export ----------------------------------------------------------------------

    def export_item(self):
        """The graphics item an exporter should save (the plot and its colour bar)."""
        return self.graphics.ci

    def can_export(self) -> bool:
        return not self.showing_message


def _message_widget() -> QLabel:
    label = QLabel()
    label.setAlignment(Qt.AlignCenter)
    label.setWordWrap(True)
    label.setStyleSheet(f"QLabel {{ background: {style.BACKGROUND}; color: {style.FAINT};"
                        " font-size: 13pt; padding: 24px; }")
    return label


def no_value_position(values: np.ndarray, bounds: tuple[float, float] | None = None
                      ) -> tuple[float, float]:
    """Where trials without a score go: ``(strip_y, separator_y)`` under the finite values
    (or under ``bounds``, the range a live plot keeps them in)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 0.5
    lo, hi = bounds or (float(finite.min()), float(finite.max()))
    span = hi - lo if hi > lo else max(abs(hi), 1.0)
    return lo - 0.12 * span, lo - 0.06 * span


class NoValueStrip:
    """Trials without a score, drawn in a strip under the scores behind a dashed line."""

    def __init__(self, plot: pg.PlotItem):
        self.line = pg.InfiniteLine(
            angle=0, movable=False, pen=style.pen(style.FAINT, 1, 255, Qt.DashLine),
            label="no value", labelOpts={"position": 0.015, "color": style.FAINT,
                                         "anchors": [(0, 1), (0, 1)]},
        )
        plot.addItem(self.line)
        self.axis = plot.getAxis("left")
        self.clear()

    def place(self, values: np.ndarray, bounds: tuple[float, float] | None = None
              ) -> np.ndarray:
        """The y of each trial: its value, or the strip when it has none (placed under
        ``bounds`` when given)."""
        has_value = np.isfinite(values)
        strip_y, separator_y = no_value_position(values, bounds)
        needed = bool(has_value.any() and not has_value.all())
        self.line.setPos(separator_y)
        self.line.setVisible(needed)
        if isinstance(self.axis, ScoreAxisItem):
            floor = separator_y if needed else -np.inf
            if floor != self.axis.floor:
                self.axis.floor = floor
                self.axis.picture = None  # the ticks are cached with the picture
                self.axis.update()
        return np.where(has_value, values, strip_y)

    def clear(self) -> None:
        self.line.setVisible(False)
