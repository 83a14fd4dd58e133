"""LiveExtent: the range of a live plot grows in steps, not with every batch.

A plot whose x axis is the trial number would otherwise re-range on every batch of a
running study, and its value axis on every new lowest or highest score; each new range
redraws both axes and their grid (pyqtgraph re-lays the ticks and their text: about half
the cost of a live repaint). This invisible item adds to the view's auto range an x bound
a little past the newest trial and y bounds on round numbers around the scores, moved only
when the trials reach them; away from a run it hugs the trials again.
"""

from __future__ import annotations

import math

import numpy as np
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
        self._y: tuple[float, float] | None = None  # round bounds around the scores
        self._y_pad = (0.0, 0.0)  # room under them (the no-value strip) and above

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

    def follow_values(self, values: np.ndarray, live: bool) -> tuple[float, float] | None:
        """Keep round y bounds around the finite ``values`` while ``live`` and return them
        (None when not live or there are none): the no-value strip goes under them."""
        finite = values[np.isfinite(values)]
        if not live or finite.size == 0:
            bounds = None
        else:
            lo, hi = float(finite.min()), float(finite.max())
            if self._y is not None and self._y[0] <= lo and hi <= self._y[1]:
                return self._y
            bounds = _round_bounds(lo, hi)
        if bounds != self._y:
            self._y = bounds
            if bounds is not None:
                span = bounds[1] - bounds[0]
                # The strip sits 0.12 spans under the lowest bound; the symbols need a
                # few pixels more on either side.
                self._y_pad = (0.12 * span + LEAD * span, LEAD * span)
            self.informViewBoundsChanged()
        return bounds

    def dataBounds(self, axis, frac=1.0, orthoRange=None):  # noqa: N802 - pyqtgraph API
        if axis == 0:
            return None if self._end is None else (-LEAD * self._end, self._end)
        if self._y is None:
            return None
        return (self._y[0] - self._y_pad[0], self._y[1] + self._y_pad[1])

    def boundingRect(self):  # noqa: N802 - Qt override
        return QRectF()

    def paint(self, painter, option, widget=None):
        pass


def _nice_above(x: float, least: float = 10.0) -> float:
    """The smallest round number (1, 1.5, 2, ... 8 times a power of ten) at or above ``x``,
    at least ``least``."""
    x = max(x, least)
    power = 10.0 ** math.floor(math.log10(x))
    for step in (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        if step * power >= x:
            return step * power
    return 10.0 * power


def _round_bounds(lo: float, hi: float) -> tuple[float, float]:
    """Bounds on round numbers around ``lo..hi``, with about a twentieth of the span to
    spare on either side."""
    span = hi - lo if hi > lo else max(abs(hi), 1.0)  # one value: as no_value_position
    unit = _nice_above(span / 10, least=0.0)
    return (math.floor((lo - unit / 2) / unit) * unit, math.ceil((hi + unit / 2) / unit) * unit)
