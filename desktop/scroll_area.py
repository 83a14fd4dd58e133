"""A scroll area that scrolls up and down only and is never narrower than what it holds."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget

SPARE_WIDTH = 60  # what the area asks for beyond its content's minimum width


class VerticalScrollArea(QScrollArea):
    """Scrolls vertically; its minimum width is its content's, so nothing is cut.

    A plain QScrollArea lets a dock shrink below its content's minimum width and then
    either scrolls sideways (half a form out of view) or, with the horizontal bar off, cuts
    labels ("Log scale" shown as "Lo"). Asking for the content's width instead makes the
    dock, and so the window, keep room for every label and field.
    """

    def __init__(self, widget: QWidget, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWidget(widget)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        # A row shown or hidden inside changes the width the content needs.
        if watched is self.widget() and event.type() == QEvent.LayoutRequest:
            self.updateGeometry()
        return super().eventFilter(watched, event)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        hint = super().minimumSizeHint()
        widget = self.widget()
        if widget is None:
            return hint
        return QSize(max(hint.width(), widget.minimumSizeHint().width() + self._chrome()),
                     hint.height())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        hint = super().sizeHint()
        widget = self.widget()
        if widget is None:
            return hint
        # A little over the minimum: wrapped hints ask for a long line, which made the
        # dock take the plots' room.
        width = self.minimumSizeHint().width()
        return QSize(min(widget.sizeHint().width() + self._chrome(), width + SPARE_WIDTH),
                     widget.sizeHint().height() + 2 * self.frameWidth())

    def _chrome(self) -> int:
        # The vertical bar may appear at any height: keep its room so nothing jumps.
        return self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth()
