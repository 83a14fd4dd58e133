"""Scatters of trials that stay responsive at 100,000 points.

pyqtgraph prepares every point of a scatter in Python and copies every point an item holds
on each ``addPoints``; these items add a big cloud a chunk per event-loop turn, keep it in
blocks, and paint it once whole, so the window answers while a long study appears. Clicks
are left to the plot's numpy picking (see plots/_base.py).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtGui import QPainter

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
