"""What the "model on a data set" form shows about data: words for the bundled data sets,
models and metrics, and a CSV file's header and first rows in a small read-only preview
table (csv_reader.py reads them)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from engine.objectives.sklearn_catalog import CLASSIFICATION, REGRESSION

PREVIEW_ROWS = 8

# What the bundled data sets hold, in words; the engine only knows how to load them.
BUNDLED_INFO = {
    "iris": ("Iris flowers", CLASSIFICATION,
             "150 flowers, 4 measurements each; predict the species (3 classes)."),
    "wine": ("Wine", CLASSIFICATION,
             "178 wines, 13 chemical measurements; predict the grape (3 classes)."),
    "breast_cancer": ("Breast cancer", CLASSIFICATION,
                      "569 tumours, 30 measurements; predict malignant or benign (2 classes)."),
    "digits": ("Handwritten digits", CLASSIFICATION,
               "1,797 images of 8×8 pixels; predict the digit 0–9 (10 classes)."),
    "diabetes": ("Diabetes", REGRESSION,
                 "442 patients, 10 measurements; predict disease progression after a year "
                 "(a number)."),
}
# One sentence per model, by display name (a classifier and its regressor share one).
MODEL_ABOUT = {
    "Logistic regression": "A simple, fast model that draws straight boundaries between "
                           "classes; a good first try.",
    "Support vector machine": "Finds the widest gap between the classes; strong on small, "
                              "clean data sets.",
    "k nearest neighbours": "Answers like the most similar rows it has seen; simple, but "
                            "slow on large data sets.",
    "Random forest": "Many decision trees vote; robust, and good with little tuning.",
    "Extra trees": "Like a random forest with more randomness; often faster.",
    "Gradient boosting": "Trees built one after another, each fixing the mistakes of the "
                         "last; often the most accurate on tables.",
    "Neural network (MLP)": "A small neural network: learns complex patterns, but needs more "
                            "tuning and time.",
    "Ridge regression": "A straight-line model that keeps its weights small; fast and steady.",
    "Lasso regression": "A straight-line model that can switch off unhelpful columns.",
    "Elastic net": "A straight-line model that mixes ridge and lasso.",
    "Support vector regression": "A support vector machine that predicts numbers; strong on "
                                 "small data sets.",
}
TASK_WORDS = {CLASSIFICATION: "Classification — predict a category",
               REGRESSION: "Regression — predict a number"}
METRIC_NAMES = {
    "accuracy": ("Accuracy", "The share of rows whose class is predicted correctly."),
    "balanced_accuracy": ("Balanced accuracy", "Accuracy averaged over the classes, so that a "
                          "rare class counts as much as a common one."),
    "f1_macro": ("F1 score (macro)", "For each class, a balance of missed and wrongly claimed "
                 "rows; averaged over the classes."),
    "roc_auc": ("ROC AUC", "How well the model ranks rows of a class above the others: 1 is "
                "perfect, 0.5 is guessing."),
    "log_loss": ("Log loss", "How far the predicted probabilities are from the truth; "
                 "confident mistakes cost the most."),
    "r2": ("R² (explained variation)", "The share of the target's variation the model "
           "explains: 1 is perfect, 0 is no better than always guessing the average."),
    "rmse": ("RMSE (root mean squared error)", "The typical size of an error, in the target's "
             "units; large errors count extra."),
    "mae": ("MAE (mean absolute error)", "The average size of an error, in the target's units."),
}


def _bold_font() -> QFont:
    font = QFont()
    font.setBold(True)
    return font


# ---------------------------------------------------------------------------- CSV reading


def label_order(label: str) -> tuple[int, float, str]:
    """Sort key: numbers in numeric order (2 before 10), then text in alphabetical order."""
    try:
        return (0, float(label), label)
    except ValueError:
        return (1, 0.0, label)


class CsvPreviewModel(QAbstractTableModel):
    """The first rows of a CSV file, read-only; the target column is highlighted."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._header: tuple[str, ...] = ()
        self._rows: tuple[tuple[str, ...], ...] = ()
        self._target = -1
        self._tint = QBrush(QColor(33, 150, 243, 40))

    def set_table(self, header: tuple[str, ...], rows: tuple[tuple[str, ...], ...],
                  target: str) -> None:
        self.beginResetModel()
        self._header, self._rows = header, rows[:PREVIEW_ROWS]
        self._target = header.index(target) if target in header else -1
        self.endResetModel()

    def target_column(self) -> int:
        return self._target

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._header)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.BackgroundRole and index.column() == self._target:
            return self._tint
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return self._header[section]
            if role == Qt.ItemDataRole.FontRole and section == self._target:
                return _bold_font()
            if role == Qt.ItemDataRole.ToolTipRole:
                return ("The column to predict" if section == self._target
                        else "Click to predict this column")
        elif role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None


class CsvPreviewWidget(QTableView):
    """The first rows of a CSV file, sized to show all of them, the target kept in view."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.preview_model = CsvPreviewModel(self)
        self.setModel(self.preview_model)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setToolTip("The first rows of the file; the column to predict is shaded.")
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.horizontalHeader().setHighlightSections(False)
        self.horizontalHeader().setStretchLastSection(True)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        # Per pixel: per item, the last columns of a wide file could not be scrolled to.
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        # The scroll range is only known once the view is laid out at its final width.
        self.horizontalScrollBar().rangeChanged.connect(self._on_scroll_bar_range_changed)

    def show_table(self, header: tuple[str, ...], rows: tuple[tuple[str, ...], ...],
                   target: str) -> None:
        self.preview_model.set_table(header, rows, target)
        self.resizeColumnsToContents()
        widest = self.fontMetrics().horizontalAdvance("M") * 12
        for column in range(self.preview_model.columnCount()):
            self.setColumnWidth(column, min(self.columnWidth(column) + 8, widest))
        self._on_scroll_bar_range_changed()
        shown = max(self.preview_model.rowCount(), 1)
        self.setFixedHeight(self.horizontalHeader().sizeHint().height()
                            + shown * self.verticalHeader().defaultSectionSize()
                            + self.horizontalScrollBar().sizeHint().height()
                            + 2 * self.frameWidth())

    def _on_scroll_bar_range_changed(self, *_range: int) -> None:
        target = self.preview_model.target_column()
        if target >= 0:  # most tables put it last, out of sight
            self.scrollTo(self.preview_model.index(0, target))
