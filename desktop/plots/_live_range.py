"""LiveExtent: the x range of a live plot grows in steps, not with every batch.

A plot whose x axis is the trial number would otherwise re-range on every batch of a
running study, and each new range redraws both axes and their grid (pyqtgraph re-lays the
ticks and their text: about half the cost of a live repaint). This invisible item adds an
x bound a little past the newest trial to the view's auto range, moved only when the
trials reach it; away from a run it hugs the trials again.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QRectF

# Room left past the newest trial while a study runs, as a share of the trials.
HEADROOM = 0.25
# Room before the first trial, as a share of the range: more than the few pixels the
# scatters' symbols ask for, so that their padding (which moves with the view's scale)
# never decides the range.
LEAD = 0.03


class LiveExtent(pg.GraphicsObject):
    """An x bound for the view's auto range; it draws nothing and has no y bounds."""

    def __init__(self):
        super().__init__()
        self._end: float | None = None

    @property
    def end(self) -> float | None:
        return self._end

    def follow(self, last: float | None, live: bool) -> None:
        """Reach past ``last`` (the newest trial shown) while ``live``; else no bound."""
        if not live or last is None:
            end = None
        elif self._end is not None and last <= self._end:
            return  # the trials have not reached the bound yet: the range stays
        else:
            end = _nice_above(last * (1 + HEADROOM))
        if end != self._end:
            self._end = end
            self.informViewBoundsChanged()

    def dataBounds(self, axis, frac=1.0, orthoRange=None):  # noqa: N802 - pyqtgraph API
        if axis != 0 or self._end is None:
            return None
        return (-LEAD * self._end, self._end)

    def boundingRect(self):  # noqa: N802 - Qt override
        return QRectF()

    def paint(self, painter, option, widget=None):
        pass


def _nice_above(x: float) -> float:
    """The smallest round number (1, 1.5, 2, ... 8 times a power of ten) at or above ``x``,
    at least 10."""
    x = max(x, 10.0)
    power = 10.0 ** math.floor(math.log10(x))
    for step in (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        if step * power >= x:
            return step * power
    return 10.0 * power
