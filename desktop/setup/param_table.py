"""The list of parameters in the space editor: a table model over the rows, and its view.

One row per parameter with its name, kind, values and condition; a row with a problem
gets a warning icon, and every cell's tooltip is the parameter's explanation followed by
its problems. The editor owns all changes; the model only announces them to the view.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QFont, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication, QTableView, QWidget

from desktop.setup.param_form import tooltip_html
from desktop.setup.param_rows import ParamRow, RowProblem, condition_summary, values_summary

_KIND_SHORT = {"float": "number", "int": "integer", "categorical": "choice", "fixed": "fixed"}
_Index = QModelIndex | QPersistentModelIndex


class ParamTableModel(QAbstractTableModel):
    """The parameters as a list: name, kind, values and condition, with their problems."""

    HEADERS = ("Name", "Kind", "Values", "Active when")

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.rows: list[ParamRow] = []
        self._problems: dict[int, list[RowProblem]] = {}
        self._warning = QIcon()

    @property
    def warning_icon(self) -> QIcon:
        return self._warning

    def set_warning_icon(self, icon: QIcon) -> None:
        self._warning = icon

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, col = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return row.name or "(no name)"
            if col == 1:
                return _KIND_SHORT.get(row.kind, row.kind)
            if col == 2:
                return values_summary(row)
            return condition_summary(row) or "always"
        if role == Qt.ItemDataRole.ToolTipRole:
            problems = [rp.short for rp in self._problems.get(index.row(), [])]
            return tooltip_html(row.help, problems) or None
        if role == Qt.ItemDataRole.DecorationRole and col == 0:
            return self._warning if index.row() in self._problems else None
        if role == Qt.ItemDataRole.ForegroundRole and self._is_placeholder(row, col):
            return QApplication.palette().color(QPalette.ColorRole.PlaceholderText)
        if role == Qt.ItemDataRole.FontRole and self._is_placeholder(row, col):
            font = QFont()
            font.setItalic(True)
            return font
        return None

    @staticmethod
    def _is_placeholder(row: ParamRow, col: int) -> bool:
        return (col == 0 and not row.name) or (col == 3 and not row.parent)

    # --- changes made by the editor ---------------------------------------------------

    def reset(self, rows: list[ParamRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self._problems = {}
        self.endResetModel()

    def insert(self, i: int, row: ParamRow) -> None:
        self.beginInsertRows(QModelIndex(), i, i)
        self.rows.insert(i, row)
        self.endInsertRows()

    def remove(self, i: int) -> None:
        self.beginRemoveRows(QModelIndex(), i, i)
        del self.rows[i]
        self.endRemoveRows()

    def move(self, i: int, j: int) -> None:
        """Move row ``i`` to position ``j`` (a neighbour)."""
        # Qt wants the destination as the row *before which* it lands, in old numbering.
        dest = j + 1 if j > i else j
        self.beginMoveRows(QModelIndex(), i, i, QModelIndex(), dest)
        self.rows.insert(j, self.rows.pop(i))
        self.endMoveRows()

    def replace(self, i: int, row: ParamRow) -> None:
        self.rows[i] = row
        self.dataChanged.emit(self.index(i, 0), self.index(i, len(self.HEADERS) - 1))

    def set_problems(self, by_row: dict[int, list[RowProblem]]) -> None:
        self._problems = by_row
        if self.rows:
            # Any edit can change other rows too (a duplicate name, a condition's parent).
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(len(self.rows) - 1, len(self.HEADERS) - 1))


def with_faded_disabled(icon: QIcon, size: int = 16) -> QIcon:
    """The icon with a see-through disabled look; some styles leave black arrows as is."""
    normal = icon.pixmap(size, size)
    faded = QPixmap(normal.size())
    faded.setDevicePixelRatio(normal.devicePixelRatio())
    faded.fill(Qt.GlobalColor.transparent)
    painter = QPainter(faded)
    painter.setOpacity(0.3)
    painter.drawPixmap(0, 0, normal)
    painter.end()
    out = QIcon(icon)
    out.addPixmap(faded, QIcon.Mode.Disabled)
    return out


class ParamTableView(QTableView):
    """A table that asks for the height of its rows (3 to 12), so short lists don't scroll."""

    MIN_ROWS, MAX_ROWS = 3, 12

    def height_for_rows(self, rows: int) -> int:
        return (self.horizontalHeader().sizeHint().height()
                + rows * self.verticalHeader().defaultSectionSize() + 2 * self.frameWidth())

    def sizeHint(self) -> QSize:
        count = self.model().rowCount() if self.model() else 0
        rows = min(max(count, self.MIN_ROWS), self.MAX_ROWS)
        return QSize(super().sizeHint().width(), self.height_for_rows(rows))

    def minimumSizeHint(self) -> QSize:
        return QSize(super().minimumSizeHint().width(), self.height_for_rows(self.MIN_ROWS))
