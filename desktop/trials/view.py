"""TrialsTableWidget: the sortable, filterable, exportable table of a study's trials.

It shows a :class:`~desktop.trials.model.TrialsModel` (which sorts and filters itself), and shares
the selected trial with every other view through the :class:`~desktop.trial_feed.TrialFeed`.
The view never changes the model except when the user sorts or filters.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QFont,
    QFontMetrics,
    QIcon,
    QKeySequence,
    QPainter,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QProxyStyle,
    QPushButton,
    QStyle,
    QStyleOption,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.state_colours import STATE_COLOURS
from desktop.trial_feed import TrialFeed
from desktop.trials.error_dialog import TrialErrorDialog
from desktop.trials.model import NUMBER_ROLE, TrialsModel
from desktop.trials.proxy import TrialsProxyModel
from desktop.trials.row_actions import RowActions
from engine.export import judged_of, write_csv, write_json
from engine.spec import spec_to_dict
from engine.states import STATE_LABEL
from engine.trial import Trial, TrialState

FORMATS = ("csv", "json")
# Up to this many rows a filter is applied as the user types; above it, after a pause.
_INSTANT_FILTER_ROWS = 20_000
_FILTER_DELAY_MS = 250
# No column is fitted wider than this (a long text metric): the user can widen it.
_MAX_FIT_WIDTH = 420
# Above this many rows a new study's columns are fitted one per event-loop turn: each
# reads and measures the texts of ~400 rows (~8 ms a column at 100,000 rows; three in one
# turn were 25 ms of CPU, stretched to over 100 ms on a loaded machine).
_FIT_LATER_ROWS = 20_000
_PROBLEM_STYLE = "QLineEdit { border: 1px solid #c43838; border-radius: 3px; padding: 1px 3px; }"
# Extra room between cells: a right-aligned number next to a left-aligned choice must not
# read as one word. Set through the style so no Python runs per painted cell.
_CELL_MARGIN = 6


class TrialsTableWidget(RowActions, QWidget):
    """The trials table with its filter box, state filter and export button.

    ``rerun_requested(params)`` asks the main window to run one configuration again.
    """

    rerun_requested = Signal(dict)

    def __init__(self, feed: TrialFeed, parent: QWidget | None = None):
        super().__init__(parent)
        self._feed = feed
        self._sized = False  # columns are fitted to their contents once per study
        self._to_fit: list[int] = []  # columns of a big table not fitted yet
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.timeout.connect(self._fit_next_column)
        self._fitted_best = -1  # the best trial the columns were last widened for
        self._syncing = False  # True while following feed.selected, so it is not echoed
        self._hidden: set[tuple[str, str]] = set()  # column keys the user hid
        self.model = TrialsModel(feed, self)
        self.proxy = TrialsProxyModel(self.model, self)

        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter: words, or value<0.2, n_estimators>=100")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setMinimumWidth(180)
        self.filter_edit.setToolTip(
            "Show rows containing every word, or compare a column with a value:\n"
            "value<0.2   max_depth>=10   kernel=rbf   state=failed   duration>60"
        )
        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: #c43838;")
        self.problem_label.hide()
        self.state_buttons: dict[TrialState, QToolButton] = {}
        self.count_label = QLabel()
        self.count_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.export_button = QPushButton("Export")
        self.export_button.setToolTip("Save all or the selected trials as CSV or JSON")
        self.export_button.setMenu(self._export_menu())
        self.view = QTableView()
        self._setup_view()
        self._layout()

        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(_FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self.apply_filter)
        self.filter_edit.textChanged.connect(self._on_filter_text_changed)
        self.filter_edit.returnPressed.connect(self.apply_filter)
        self.model.summary_changed.connect(self._on_model_summary_changed)
        self.model.filter_applied.connect(self._on_model_filter_applied)
        self.model.modelReset.connect(self._on_model_reset)
        self.model.rowsInserted.connect(self._on_model_rows_inserted)
        self.model.columnsInserted.connect(self._on_model_columns_inserted)
        self.view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.view.doubleClicked.connect(self._on_view_double_clicked)
        self.view.customContextMenuRequested.connect(self._on_view_context_menu_requested)
        header = self.view.horizontalHeader()
        header.customContextMenuRequested.connect(self._on_header_context_menu_requested)
        header.sortIndicatorChanged.connect(self._on_header_sort_changed)
        feed.selected.connect(self._on_feed_selected)
        self._on_model_reset()
        self._on_model_summary_changed()

    # --- layout -------------------------------------------------------------------------

    def _setup_view(self) -> None:
        v = self.view
        v.setModel(self.proxy)
        self._style = _RoomyTableStyle()
        self._style.setParent(self)
        for widget in (v, v.horizontalHeader()):
            widget.setStyle(self._style)
        v.setAlternatingRowColors(True)
        v.setShowGrid(False)
        v.setWordWrap(False)
        v.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        v.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        v.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        v.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        v.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        rows = v.verticalHeader()
        rows.hide()
        # Fixed heights: the view never measures 100,000 rows to lay them out.
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(v.fontMetrics().height() + 6)
        header = v.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionsMovable(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        # Qt sorts by the indicator when sorting is enabled; start in trial order.
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        v.setSortingEnabled(True)
        copy = QAction("Copy params as JSON", v)
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        copy.triggered.connect(self._on_copy_shortcut_triggered)
        v.addAction(copy)

    def _layout(self) -> None:
        bar = QHBoxLayout()
        bar.setContentsMargins(2, 2, 2, 0)
        bar.setSpacing(4)
        bar.addWidget(self.filter_edit, 1)
        for state in (TrialState.COMPLETE, TrialState.FAILED, TrialState.RUNNING,
                      TrialState.PRUNED, TrialState.INTERRUPTED):
            button = QToolButton()
            button.setCheckable(True)
            button.setIcon(_dot_icon(QColor(STATE_COLOURS[state])))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setToolTip(f"Show only {state.value} trials (click again to show all)")
            button.toggled.connect(self._on_state_button_toggled)
            self.state_buttons[state] = button
            bar.addWidget(button)
        # Studies of several objectives or limits: only the trials on the Pareto front.
        self.front_button = QToolButton()
        self.front_button.setText("On the front")
        self.front_button.setCheckable(True)
        self.front_button.setToolTip("Show only the trials on the Pareto front: those no "
                                     "other trial beats in every objective, within the limits")
        self.front_button.toggled.connect(self._on_state_button_toggled)
        self.front_button.hide()
        bar.addWidget(self.front_button)
        bar.addSpacing(8)
        bar.addWidget(self.count_label)
        bar.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(bar)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.view, 1)

    def _export_menu(self) -> QMenu:
        menu = QMenu(self)
        for selected_only in (False, True):
            for fmt in FORMATS:
                which = "Selected trials" if selected_only else "All trials"
                action = menu.addAction(f"{which} as {fmt.upper()}…")
                action.setData(selected_only)
                action.triggered.connect(
                    lambda _=False, f=fmt, s=selected_only: self.export_with_dialog(f, s)
                )
            if not selected_only:
                menu.addSeparator()
        menu.aboutToShow.connect(self._on_export_menu_about_to_show)
        return menu

    # --- what the user can do --------------------------------------------------------------

    def apply_filter(self) -> None:
        """Show only rows matching the filter box and the checked state buttons."""
        self._filter_timer.stop()
        states = [s for s, b in self.state_buttons.items() if b.isChecked()] or None
        text = self.filter_edit.text()
        if self.front_button.isChecked() and self.model.column_of("rank") >= 0:
            text += " rank=1"
        trial_filter, problems = self.model.parse_filter(text, states)
        self.filter_edit.setStyleSheet(_PROBLEM_STYLE if problems else "")
        self.problem_label.setText("\n".join(problems))
        self.problem_label.setVisible(bool(problems))
        self.proxy.set_filter(trial_filter)
        self._update_count()

    def selected_trials(self) -> list[Trial]:
        """The trials of the selected rows, by trial number."""
        rows = self.view.selectionModel().selectedRows()
        trials = [self.model.trial_at(self.proxy.mapToSource(i).row()) for i in rows]
        return sorted(trials, key=lambda t: t.number)

    def export(self, path: str | Path, fmt: str, selected_only: bool = False) -> int:
        """Write all (or only the selected) trials as CSV or JSON; returns how many."""
        fmt = fmt.lower()
        if fmt not in FORMATS:
            raise ValueError(f"fmt = {fmt!r}: expected one of {', '.join(FORMATS)}")
        trials = self.selected_trials() if selected_only else self._feed_order(self.model.trials)
        study = self.model.study
        judged = judged_of(study) if study else None
        if fmt == "csv":
            write_csv(trials, self.model.param_names, path, judged=judged)
        else:
            write_json(trials, path, study=spec_to_dict(study.spec) if study else None,
                       judged=judged, study_note=study.note if study else "")
        return len(trials)

    def export_with_dialog(self, fmt: str, selected_only: bool = False) -> None:
        study = self.model.study
        name = f"{study.spec.name if study else 'trials'}-trials.{fmt}"
        path, _ = QFileDialog.getSaveFileName(
            self, "Export trials", name, f"{fmt.upper()} files (*.{fmt})"
        )
        if not path:
            return
        try:
            self.export(path, fmt, selected_only)
        except OSError as exc:
            QMessageBox.warning(
                self, "Export failed",
                f"Could not write {path}: {exc.strerror or exc}. "
                "Choose another folder or file name.",
            )

    def header_menu(self) -> QMenu:
        """Show or hide columns; the last visible column cannot be hidden."""
        menu = QMenu(self)
        header = self.view.horizontalHeader()
        visible = sum(not header.isSectionHidden(c) for c in range(header.count()))
        for c, column in enumerate(self.model.columns):
            action = menu.addAction(column.title)
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(c))
            action.setEnabled(header.isSectionHidden(c) or visible > 1)
            action.toggled.connect(lambda on, c=c: self.set_column_visible(c, on))
        menu.addSeparator()
        menu.addAction("Show all columns", self._on_show_all_triggered)
        menu.addAction("Fit columns to contents", self.fit_columns)
        return menu

    def set_column_visible(self, column: int, visible: bool) -> None:
        key = self.model.columns[column].key
        (self._hidden.discard if visible else self._hidden.add)(key)
        self.view.setColumnHidden(column, not visible)

    def sort_by(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.view.sortByColumn(column, order)

    # --- handlers -------------------------------------------------------------------------

    def _on_filter_text_changed(self, _text: str) -> None:
        if self.model.rowCount() <= _INSTANT_FILTER_ROWS:
            self.apply_filter()
            return
        self._filter_timer.start()  # many rows: wait until the user pauses typing

    def _on_state_button_toggled(self, _checked: bool) -> None:
        self.apply_filter()

    def _on_model_summary_changed(self) -> None:
        self._fit_best_row()
        counts = self.model.state_counts()
        for state, button in self.state_buttons.items():
            button.setText(f"{STATE_LABEL[state]} {counts[state]}")
            # An empty state is not worth a button unless it is the one filtered on.
            button.setVisible(counts[state] > 0 or button.isChecked()
                              or state in (TrialState.COMPLETE, TrialState.FAILED))
        self._update_count()

    def _on_model_reset(self) -> None:
        if self.model.filter_resetting:
            return  # the same study and columns, fewer or more rows
        self._sized = False
        self._to_fit = []
        self._fit_timer.stop()
        self._fitted_best = -1
        header = self.view.horizontalHeader()
        for c, column in enumerate(self.model.columns):
            header.setSectionHidden(c, column.key in self._hidden)
        # The new study may lack the sorted column; show what the model really did.
        header.setSortIndicator(self.model.sort_column, self.model.sort_order)
        ranked = self.model.column_of("rank") >= 0
        self.front_button.setVisible(ranked)
        if not ranked:
            self.front_button.setChecked(False)
        if self.filter_edit.text() or any(b.isChecked() for b in self.state_buttons.values()):
            self.apply_filter()
        self._fit_columns_once()

    def _on_model_filter_applied(self) -> None:
        # The rows were reset: select the shared trial again if it is still shown.
        self._on_feed_selected(self._feed.selection)
        self._update_count()

    def _on_model_rows_inserted(self, _parent: QModelIndex, _first: int, _last: int) -> None:
        self._fit_columns_once()

    def _on_model_columns_inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        for c in range(first, last + 1):
            if self._sized:
                self._fit_column(c)
            self.view.setColumnHidden(c, self.model.columns[c].key in self._hidden)

    def _on_selection_changed(self, *_args: Any) -> None:
        if self._syncing or self.model.filter_resetting:
            return  # rows hidden by a filter are not a change of selection
        current = self.view.currentIndex()
        rows = self.view.selectionModel().selectedRows()
        if current.isValid() and self.view.selectionModel().isRowSelected(current.row()):
            number = current.data(NUMBER_ROLE)
        elif rows:
            number = rows[0].data(NUMBER_ROLE)
        else:
            number = -1
        self._feed.select(number)

    def _on_feed_selected(self, number: int) -> None:
        current = self.view.currentIndex()
        selection = self.view.selectionModel()
        if current.isValid() and current.data(NUMBER_ROLE) == number and \
                selection.isRowSelected(current.row()):
            return
        row = self.model.row_of(number)
        index = self.proxy.mapFromSource(self.model.index(row, 0)) if row >= 0 else QModelIndex()
        self._syncing = True
        try:
            if index.isValid():
                flags = (QItemSelectionModel.SelectionFlag.ClearAndSelect
                         | QItemSelectionModel.SelectionFlag.Rows)
                selection.setCurrentIndex(index, flags)
                self.view.scrollTo(index)
            else:
                selection.clearSelection()
        finally:
            self._syncing = False

    def _on_header_context_menu_requested(self, pos: QPoint) -> None:
        menu = self.header_menu()
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.view.horizontalHeader().mapToGlobal(pos))

    def _on_header_sort_changed(self, _column: int, _order: Qt.SortOrder) -> None:
        # Runs after the view sorted: keep the selected trial in sight.
        if self.view.currentIndex().isValid():
            self.view.scrollTo(self.view.currentIndex())

    def _on_show_all_triggered(self) -> None:
        self._hidden.clear()
        for c in range(self.model.columnCount()):
            self.view.setColumnHidden(c, False)

    def _on_export_menu_about_to_show(self) -> None:
        has_selection = self.view.selectionModel().hasSelection()
        for action in self.export_button.menu().actions():
            if action.data() is True:
                action.setEnabled(has_selection)

    # --- helpers -------------------------------------------------------------------------

    def _trial(self, number: int) -> Trial:
        row = self.model.row_of(number)
        if row < 0:
            raise KeyError(f"trial {number}: not in the table")
        return self.model.trial_at(row)

    def _fit_columns_once(self) -> None:
        if not self._sized and self.model.rowCount() > 0:
            self._sized = True
            if self.model.total > _FIT_LATER_ROWS:
                # A big study just opened: its table shows at once, its columns fit after.
                self._to_fit = list(range(self.model.columnCount()))
                self._fit_timer.start(0)
            else:
                self.fit_columns()

    def _fit_next_column(self) -> None:
        c = self._to_fit.pop(0)
        if c < self.model.columnCount():
            self._fit_column(c)
        if self._to_fit:
            self._fit_timer.start(0)

    def fit_columns(self) -> None:
        """Make every column as wide as its widest text, measured in bold (the best row's
        font) among the rows likely to be widest, so that no number is cut to ``0.007…``."""
        for c in range(self.model.columnCount()):
            self._fit_column(c)

    def _fit_column(self, c: int) -> None:
        header = self.view.horizontalHeader()
        bold = QFont(self.view.font())
        bold.setBold(True)
        cells = QFontMetrics(bold)
        # Cell margins (the style's, both sides) and room for the focus frame.
        pad = 2 * _CELL_MARGIN + 8
        text = max((cells.horizontalAdvance(t) for t in self.model.widest_texts(c)), default=0)
        title = self.model.headerData(c, Qt.Orientation.Horizontal) or ""
        # The header's title, its margins and the sort arrow.
        head = QFontMetrics(header.font()).horizontalAdvance(title) + 2 * _CELL_MARGIN + 20
        width = min(max(text + pad, head), _MAX_FIT_WIDTH)
        header.resizeSection(c, width)

    def _fit_best_row(self) -> None:
        """A new best trial is shown bold: widen any column its texts no longer fit."""
        best = self.model.best_number
        if not self._sized or best < 0 or best == self._fitted_best:
            return
        self._fitted_best = best
        header = self.view.horizontalHeader()
        bold = QFont(self.view.font())
        bold.setBold(True)
        cells = QFontMetrics(bold)
        row = self.model.row_of(best)
        for c in range(self.model.columnCount()):
            need = cells.horizontalAdvance(self.model.cell_text(row, c)) + 2 * _CELL_MARGIN + 8
            if need > header.sectionSize(c):
                header.resizeSection(c, min(need, _MAX_FIT_WIDTH))

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.total
        if self.model.searching:
            self.count_label.setText(f"Searching {total} trials\u2026")
            return
        self.count_label.setText(
            f"{total} trials" if shown == total else f"{shown} of {total} trials"
        )

    @staticmethod
    def _feed_order(trials: Iterable[Trial]) -> list[Trial]:
        return sorted(trials, key=lambda t: t.number)


class _RoomyTableStyle(QProxyStyle):
    """The application's style with wider text margins in cells and header sections."""

    def pixelMetric(self, metric: QStyle.PixelMetric, option: QStyleOption | None = None,
                    widget: QWidget | None = None) -> int:
        if metric in (QStyle.PixelMetric.PM_FocusFrameHMargin,
                      QStyle.PixelMetric.PM_HeaderMargin):
            return _CELL_MARGIN
        return super().pixelMetric(metric, option, widget)


def _dot_icon(color: QColor, size: int = 10) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return QIcon(pixmap)


__all__ = ["TrialErrorDialog", "TrialsTableWidget"]
