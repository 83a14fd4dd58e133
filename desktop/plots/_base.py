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
import shiboken6
from PySide6.QtCore import QCoreApplication, QPointF, Qt, QTimer
from PySide6.QtGui import QPainter
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
# Points added per event-loop turn, over all scatters (pyqtgraph prepares each point in
# Python, ~5 ms a thousand; a turn of more is stretched past a tenth of a second on a
# loaded machine).
CHUNK_POINTS = 1_000
# A scatter keeps its points in blocks of at most this many (the first in the item itself,
# the others in child items): pyqtgraph's addPoints copies every point the item holds, so
# adding to one item of 100,000 points cost ~30 ms a chunk, and growing with the study.
BLOCK_POINTS = 10_000
# A scatter of more points than this stamps its symbols whole pixels apart, without
# smoothing: its first paint at 100,000 points takes ~55 ms instead of ~100 ms, and at
# that density nobody sees the difference.
SHARP_POINTS = 5_000
MAX_LIVE_INTERVAL_S = 2.0


class ScatterItem(pg.ScatterPlotItem):
    """A scatter that leaves clicks to the plot's numpy picking (see the module notes)."""

    def mouseClickEvent(self, ev):  # noqa: N802 - Qt override
        ev.ignore()


class _BlockItem(ScatterItem):
    """Points of a big TrialScatterItem beyond its first block (a child of it)."""

    def informViewBoundsChanged(self):  # noqa: N802 - pyqtgraph override
        pass  # the view ranges over the parent, which told it the whole cloud's extent

    def paint(self, painter, option, widget=None):
        parent = self.parentItem()
        if parent.filling:
            return
        if parent.total > SHARP_POINTS and self._exportOpts is False:
            _sharp(painter)
        super().paint(painter, option, widget)


def _sharp(painter: QPainter) -> None:
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)


class _ChunkPump:
    """Adds one chunk of one waiting scatter per event-loop turn, and shows the scatters
    it filled all at once when none is left waiting.

    Each scatter with its own zero-time timer would add its chunk in the same turn as the
    others (the History plot has a scatter per trial state, the Slice plot one per
    parameter too), so the turn's work grew with the number of scatters; and each scatter
    shown as soon as it was full re-ranged and repainted the plot once more.
    """

    def __init__(self):
        self.waiting: list[TrialScatterItem] = []
        self.filled: list[TrialScatterItem] = []  # shown when nothing is waiting
        self.timer: QTimer | None = None

    def add(self, item: TrialScatterItem) -> None:
        if item in self.filled:
            self.filled.remove(item)
        if item not in self.waiting:
            self.waiting.append(item)
        if self.timer is None or not shiboken6.isValid(self.timer):
            # Owned by the application: the timer goes with it, never after it.
            self.timer = QTimer(QCoreApplication.instance())
            self.timer.setSingleShot(True)
            self.timer.timeout.connect(self._next)
        if not self.timer.isActive():
            self.timer.start(0)

    def drop(self, item: TrialScatterItem) -> None:
        for items in (self.waiting, self.filled):
            if item in items:
                items.remove(item)

    def _next(self) -> None:
        added = False
        while self.waiting:
            item = self.waiting[0]
            if not shiboken6.isValid(item) or item.pending == 0:
                self.waiting.pop(0)  # its plot was closed, or it was cleared
                continue
            item._add_chunk()
            added = True
            if item.pending == 0:
                self.filled.append(self.waiting.pop(0))
            break
        if self.waiting or added:
            # The scatters are shown (re-ranged and painted whole) in a turn of their own.
            self.timer.start(0)
            return
        filled, self.filled = self.filled, []
        for item in filled:
            if shiboken6.isValid(item):
                item._reveal()


_pump = _ChunkPump()


class TrialScatterItem(ScatterItem):
    """Points keyed by trial number: a refresh that only adds trials only adds their points.

    pyqtgraph prepares every point of a ``setData`` in Python (about 20 us each), so
    re-setting 50,000 unchanged points on every batch would keep the GUI thread busy; and
    many new points (a study just opened) are added a chunk per event-loop turn, so the
    window answers the user while 100,000 points appear.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._numbers = np.empty(0, dtype=np.int64)
        self._x = self._y = np.empty(0)
        self._shown_style: dict | None = None
        self._queue_x = self._queue_y = np.empty(0)  # points still to add
        self._blocks: list[_BlockItem] = []  # the points beyond the first BLOCK_POINTS
        self._queue_bounds: tuple[tuple[float, float] | None, ...] = (None, None)
        self._filling = False  # a big cloud is being added: painted once whole

    def show_points(self, numbers: np.ndarray, x: np.ndarray, y: np.ndarray, style: dict) -> None:
        """Show these trials (``numbers`` ascending) at (x, y) drawn with ``style``."""
        old = self._numbers
        if style == self._shown_style and 0 < old.size <= numbers.size:
            at = np.minimum(np.searchsorted(numbers, old), numbers.size - 1)
            if (np.array_equal(numbers[at], old) and np.array_equal(x[at], self._x)
                    and np.array_equal(y[at], self._y)):
                new = np.ones(numbers.size, dtype=bool)
                new[at] = False
                if new.any():
                    self._queue(x[new], y[new])
                self._numbers, self._x, self._y = numbers.copy(), x.copy(), y.copy()
                return
        self._queue_x = self._queue_y = np.empty(0)
        self._filling = False
        _pump.drop(self)
        self._drop_blocks()
        # Every point goes through the queue: a cloud of more than a chunk is hidden until
        # whole, so preparing its first chunk here only lengthened this turn (the History
        # plot's first turn prepared one per state, ~25 ms).
        self.setData(x=x[:0], y=y[:0], **style)
        self._shown_style = style
        self._queue(x, y)
        self._numbers, self._x, self._y = numbers.copy(), x.copy(), y.copy()

    @property
    def total(self) -> int:
        """Points drawn, in this item and its blocks."""
        return len(self.data) + sum(len(b.data) for b in self._blocks)

    def getData(self):  # noqa: N802 - pyqtgraph API
        x, y = super().getData()
        if not self._blocks:
            return x, y
        parts = [b.getData() for b in self._blocks]
        return (np.concatenate([x, *(p[0] for p in parts)]),
                np.concatenate([y, *(p[1] for p in parts)]))

    def dataBounds(self, ax, frac=1.0, orthoRange=None):  # noqa: N802 - pyqtgraph API
        # The view ranges over the items added to it: the blocks count through this one.
        # So do the points still queued: the view takes its final range when a big cloud
        # starts filling, and its axes and grid are drawn once, not again when it appears.
        bounds = [super().dataBounds(ax, frac, orthoRange)]
        bounds += [b.dataBounds(ax, frac, orthoRange) for b in self._blocks]
        if self._filling:
            bounds.append(self._queue_bounds[ax] if orthoRange is None else
                          _extent(self._queue_x, self._queue_y, ax, orthoRange))
        bounds = [b for b in bounds if b is not None and b[0] is not None]
        if not bounds:
            return (None, None)
        return (min(b[0] for b in bounds), max(b[1] for b in bounds))

    def paint(self, painter, option, widget=None):
        if self._filling:
            return  # it appears whole (see _queue)
        if self.total > SHARP_POINTS and self._exportOpts is False:
            _sharp(painter)
        super().paint(painter, option, widget)

    def informViewBoundsChanged(self):  # noqa: N802 - pyqtgraph override
        # While chunks arrive, the view does not re-range (and repaint) after each one.
        # (pyqtgraph calls this from __init__ too, before there is a queue.)
        if not getattr(self, "_filling", False):
            super().informViewBoundsChanged()

    @property
    def filling(self) -> bool:
        """A big cloud is being added, a chunk per turn: nothing of it is painted yet."""
        return self._filling

    @property
    def pending(self) -> int:
        """Points not drawn yet (they follow within a few event-loop turns)."""
        return self._queue_x.size

    def _queue(self, x: np.ndarray, y: np.ndarray) -> None:
        if x.size == 0:
            return
        self._queue_x = np.concatenate([self._queue_x, x])
        self._queue_y = np.concatenate([self._queue_y, y])
        if self._queue_x.size <= CHUNK_POINTS and self not in _pump.waiting:
            self._add_chunk()  # a live batch: drawn at once
            return
        # Not painted until complete (repainting a growing cloud after every chunk would
        # cost more than preparing it), but the view ranges over it from now on.
        self._queue_bounds = tuple(_extent(self._queue_x, self._queue_y, ax)
                                   for ax in (0, 1))
        self.prepareGeometryChange()
        super().informViewBoundsChanged()
        self._filling = True
        _pump.add(self)

    def _add_chunk(self) -> None:
        x, y = self._queue_x[:CHUNK_POINTS], self._queue_y[:CHUNK_POINTS]
        self._queue_x, self._queue_y = self._queue_x[CHUNK_POINTS:], self._queue_y[CHUNK_POINTS:]
        if x.size:
            self._append(x, y)

    def _reveal(self) -> None:
        # The view already ranges over these points (see _queue): only they are painted.
        self._filling = False
        self.update()

    def _append(self, x: np.ndarray, y: np.ndarray) -> None:
        """Add points to the last block, or to a new one when it is full."""
        style = self._shown_style or {}
        last = self._blocks[-1] if self._blocks else self
        if len(last.data) + x.size <= BLOCK_POINTS:
            last.addPoints(x=x, y=y, **style)
            if last is not self:
                self.informViewBoundsChanged()
            return
        block = _BlockItem()
        block.setParentItem(self)
        block.setData(x=x, y=y, **style)
        self._blocks.append(block)
        self.informViewBoundsChanged()

    def _drop_blocks(self) -> None:
        for block in self._blocks:
            block.setParentItem(None)
            if block.scene() is not None:
                block.scene().removeItem(block)
        self._blocks = []

    def clear_points(self) -> None:
        self._queue_x = self._queue_y = np.empty(0)
        self._filling = False
        _pump.drop(self)
        self._drop_blocks()
        self.setData([], [])
        self._numbers = np.empty(0, dtype=np.int64)
        self._x = self._y = np.empty(0)


def _extent(x: np.ndarray, y: np.ndarray, ax: int,
            ortho: tuple[float, float] | None = None) -> tuple[float, float] | None:
    """The finite range of the points' x (``ax`` 0) or y (1), those whose other coordinate
    lies within ``ortho`` when given; None when there are none."""
    d, other = (x, y) if ax == 0 else (y, x)
    keep = np.isfinite(d)
    if ortho is not None:
        keep &= (other >= ortho[0]) & (other <= ortho[1])
    d = d[keep]
    return (float(d.min()), float(d.max())) if d.size else None


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
