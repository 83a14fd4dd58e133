"""The look shared by every plot: marks per trial state, pens and brushes built once.

State colours are the table's too (:mod:`desktop.state_colours`).

pyqtgraph draws fastest when many points share one QPen/QBrush object, so pens and brushes
come from cached factories instead of being made per point or per refresh.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QGraphicsItem

from desktop.state_colours import STATE_COLOURS
from engine.states import STATE_CODE, STATE_LABEL
from engine.trial import TrialState

BACKGROUND = "#ffffff"
TEXT = "#1f2937"
AXIS = "#4b5563"
GRID_ALPHA = 0.12
FAINT = "#9ca3af"
BEST = "#111827"
SELECTED = "#db2777"
BAR = "#3b82f6"

STATE_SYMBOLS: dict[TrialState, str] = {
    TrialState.COMPLETE: "o",
    TrialState.PRUNED: "t1",
    TrialState.FAILED: "x",
    TrialState.RUNNING: "o",
    TrialState.INTERRUPTED: "s",
}
STATE_GLYPHS: dict[TrialState, str] = {
    TrialState.COMPLETE: "\u25cf",  # filled circle
    TrialState.PRUNED: "\u25b2",  # triangle
    TrialState.FAILED: "\u2715",  # cross
    TrialState.RUNNING: "\u25cb",  # hollow circle
    TrialState.INTERRUPTED: "\u25a0",  # square
}
LINE_GLYPH = "\u2501"
BAR_GLYPH = "\u25a0"
# Draw order, back to front: complete trials last so that the scores stay on top.
STATE_ORDER = (TrialState.INTERRUPTED, TrialState.RUNNING, TrialState.FAILED,
               TrialState.PRUNED, TrialState.COMPLETE)
STATE_CODES = {s: STATE_CODE[s] for s in STATE_ORDER}


@lru_cache(maxsize=256)
def pen(colour: str, width: float = 1.0, alpha: int = 255, style: Qt.PenStyle = Qt.SolidLine):
    """A shared cosmetic pen (1 px stays 1 px at any zoom)."""
    q = QColor(colour)
    q.setAlpha(alpha)
    p = pg.mkPen(q, width=width, style=style)
    p.setCosmetic(True)
    return p


@lru_cache(maxsize=256)
def brush(colour: str, alpha: int = 255):
    q = QColor(colour)
    q.setAlpha(alpha)
    return pg.mkBrush(q)


NO_PEN = pg.mkPen(None)
NO_BRUSH = pg.mkBrush(None)


def density_alpha(n: int, low: int = 40, high: int = 230) -> int:
    """Opacity for n overlapping marks: solid for a few, see-through for thousands.

    Stepped by 20, so that the style (and the pen objects) stay the same while a study
    grows; a new style makes a scatter re-prepare every point.
    """
    return int(np.clip(2600 / np.sqrt(max(n, 1)) // 20 * 20, low, high))


def marker_size(n: int) -> float:
    return 7.0 if n < 2_000 else 5.0 if n < 20_000 else 4.0


def scatter_style(state: TrialState, n: int) -> dict:
    """Keyword arguments for a ScatterPlotItem showing ``n`` trials in ``state``."""
    colour = STATE_COLOURS[state]
    size = marker_size(n)
    if state is TrialState.RUNNING:  # hollow: no score yet
        return {"pen": pen(colour, 1.5), "brush": NO_BRUSH, "symbol": "o", "size": size}
    if state is TrialState.FAILED:
        return {"pen": NO_PEN, "brush": brush(colour), "symbol": "x", "size": size + 3}
    return {"pen": NO_PEN, "brush": brush(colour, density_alpha(n, 90, 220)),
            "symbol": STATE_SYMBOLS[state], "size": size + (2 if state is not
                                                             TrialState.COMPLETE else 0)}


def label_font(point_size: float = 9.5, bold: bool = False) -> QFont:
    font = QFont()
    font.setPointSizeF(point_size)
    font.setBold(bold)
    return font


def style_plot(plot: pg.PlotItem, title: str, x_label: str, y_label: str) -> None:
    """White-background look: dark readable axes, a faint grid, a bold title."""
    set_title(plot, title)
    for side in ("left", "bottom"):
        axis = plot.getAxis(side)
        axis.setPen(pen(AXIS))
        axis.setTextPen(pen(TEXT))
        axis.setTickFont(label_font(9))
        # Grid lines at the labelled ticks and half-way between, not at every tenth too:
        # the finest level drew ~50 faint lines per axis, and stroking them was most of the
        # plot's repaint (~9 of 11 ms at 1100x600).
        axis.setStyle(tickTextOffset=6, maxTickLevel=1)
        # An axis paints its grid across the whole plot: kept as a pixmap, it is redrawn
        # only when its ticks move, not on every new point of a live plot.
        axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    plot.setLabel("bottom", x_label, color=TEXT, **{"font-size": "10pt"})
    plot.setLabel("left", y_label, color=TEXT, **{"font-size": "10pt"})
    plot.showGrid(x=True, y=True, alpha=GRID_ALPHA)
    # The plot menu offers log/FFT transforms that would mislead on data we already
    # transformed; the view menu (view all, zoom) stays.
    plot.setMenuEnabled(False, enableViewBoxMenu=True)


def set_title(plot: pg.PlotItem, title: str) -> None:
    plot.setTitle(title, color=TEXT, size="11pt", bold=True, justify="left")


def set_axis_label(plot: pg.PlotItem, side: str, text: str) -> None:
    # Setting a label, even the same one, makes pyqtgraph lay the axis and its grid out
    # again: on every live batch that was most of the value axis' repaint.
    if plot.getAxis(side).labelText != text:
        plot.setLabel(side, text, color=TEXT, **{"font-size": "10pt"})


def add_legend(graphics: pg.GraphicsLayoutWidget) -> pg.LabelItem:
    """A one-line legend under the plot, where it never hides data or the title."""
    legend = pg.LabelItem("", color=TEXT, size="9pt", justify="center")
    graphics.addItem(legend, row=1, col=0)
    legend.shown_html = None
    return legend


def set_legend(legend: pg.LabelItem, entries: list[tuple[str, str, str]]) -> None:
    """Show ``(glyph, colour, label)`` entries; an empty list hides the legend."""
    html = "&nbsp;&nbsp;&nbsp;&nbsp;".join(
        f"<span style='color:{colour}'>{glyph}</span>&nbsp;{label}"
        for glyph, colour, label in entries
    )
    if html != legend.shown_html:
        legend.setText(html or " ", color=TEXT, size="9pt")
        legend.shown_html = html


def state_entry(state: TrialState, glyph: str | None = None) -> tuple[str, str, str]:
    """The legend entry of a trial state (its marker by default)."""
    return (glyph or STATE_GLYPHS[state], STATE_COLOURS[state], STATE_LABEL[state].lower())
