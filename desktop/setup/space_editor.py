"""The space editor: a list of parameters and a form for the selected one, checked live.

Every edit re-validates the whole space (cheap: a few dozen parameters), so a problem
appears on its field as soon as it is typed and clears as soon as it is fixed. The rows
are kept as typed (:mod:`desktop.setup.param_rows`); engine parameters are built from them only
to validate and to hand out through :meth:`SpaceEditorWidget.params`.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QIcon, QKeySequence, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QStackedWidget,
    QStyle,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.scroll_area import VerticalScrollArea
from desktop.setup.param_form import PROBLEM_COLOR, ParamFormWidget, tooltip_html
from desktop.setup.param_rows import (
    ParamRow,
    RowProblem,
    Validation,
    change_kind,
    row_from_param,
    unique_name,
    validate,
)
from desktop.setup.param_table import ParamTableModel, ParamTableView, with_faded_disabled
from engine.space import Param


class _SplitterWidget(QSplitter):
    """A splitter that says when it was resized, after laying out its own children."""

    resized = Signal()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.resized.emit()


class SpaceEditorWidget(QWidget):
    """Edits a search space: one row per parameter, a form for the selected one.

    Signals: ``changed()`` after every edit (once after :meth:`set_params`);
    ``validity_changed(bool)`` when the space becomes valid or invalid.
    """

    changed = Signal()
    validity_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._model = ParamTableModel(self)
        self._model.set_warning_icon(self._icon(None, QStyle.StandardPixmap.SP_MessageBoxWarning))
        self._validation: Validation = validate([])
        self._valid = False
        self._read_only = False
        # The name that children's conditions point at, per row being renamed: clearing a
        # name to retype it must not cut its children loose.
        self._anchor_names: dict[int, str] = {}

        self._build_actions()
        self._build_view()
        self._select(-1)
        self._revalidate(emit=False)

    # --- construction -----------------------------------------------------------------

    def _icon(self, theme: str | None, fallback: QStyle.StandardPixmap) -> QIcon:
        # The desktop theme's icon where there is one, else the Qt style's own.
        style_icon = self.style().standardIcon(fallback)
        icon = QIcon.fromTheme(theme, style_icon) if theme else style_icon
        return with_faded_disabled(icon)

    def _action(self, name: str, text: str, tip: str, icon: QIcon,
                keys: Sequence[QKeySequence | str], handler) -> QAction:
        action = QAction(icon, text, self)
        action.setObjectName(name)
        action.setShortcuts([QKeySequence(k) for k in keys])
        # Shortcuts work while focus is anywhere in the editor, not elsewhere in the window.
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shown = ", ".join(QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText)
                          for k in keys)
        action.setToolTip(f"{tip} ({shown})" if shown else tip)
        action.triggered.connect(handler)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        sp = QStyle.StandardPixmap
        self._add_action = self._action(
            "add_param", "Add", "Add a parameter", self._icon("list-add", sp.SP_FileIcon),
            ["Ctrl+Shift+N", "Ins"], self._on_add_action_triggered)
        self._remove_action = self._action(
            "remove_param", "Remove", "Remove the selected parameter",
            self._icon("list-remove", sp.SP_TrashIcon), [], self._on_remove_action_triggered)
        self._duplicate_action = self._action(
            "duplicate_param", "Duplicate", "Add a copy of the selected parameter",
            self._icon("edit-copy", sp.SP_FileLinkIcon), ["Ctrl+D"],
            self._on_duplicate_action_triggered)
        self._up_action = self._action(
            "move_param_up", "Move up", "Move the selected parameter up",
            self._icon("go-up", sp.SP_ArrowUp), ["Alt+Up"], self._on_up_action_triggered)
        self._down_action = self._action(
            "move_param_down", "Move down", "Move the selected parameter down",
            self._icon("go-down", sp.SP_ArrowDown), ["Alt+Down"],
            self._on_down_action_triggered)

    def _build_view(self) -> None:
        banner = self._read_only_banner = QFrame()
        banner.setObjectName("read_only_banner")
        banner.setFrameShape(QFrame.Shape.StyledPanel)
        banner.setAutoFillBackground(True)
        banner.setBackgroundRole(QPalette.ColorRole.AlternateBase)
        banner_icon = QLabel()
        info = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)
        banner_icon.setPixmap(info.pixmap(16, 16))
        banner_text = QLabel("Read-only while the study runs. Stop the study to edit.")
        banner_text.setWordWrap(True)
        banner_row = QHBoxLayout(banner)
        banner_row.setContentsMargins(6, 4, 6, 4)
        banner_row.addWidget(banner_icon)
        banner_row.addWidget(banner_text, 1)
        banner.setVisible(False)

        toolbar = self._toolbar = QToolBar("Parameters")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.setIconSize(toolbar.iconSize().scaled(16, 16, Qt.AspectRatioMode.KeepAspectRatio))
        for action in (self._add_action, self._remove_action, self._duplicate_action):
            toolbar.addAction(action)
        toolbar.addSeparator()
        for action in (self._up_action, self._down_action):
            toolbar.addAction(action)
            button = toolbar.widgetForAction(action)
            if isinstance(button, QToolButton):
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)

        table = self._table = ParamTableView()
        table.setObjectName("param_table")
        table.setModel(self._model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
        header = table.horizontalHeader()
        header.setHighlightSections(False)
        header.setMinimumSectionSize(6 * table.fontMetrics().averageCharWidth())
        header.setStretchLastSection(False)
        # Names, kinds and conditions are short and shown whole; values take the rest.
        for col in range(len(ParamTableModel.HEADERS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        table.selectionModel().currentRowChanged.connect(self._on_table_current_row_changed)
        table.doubleClicked.connect(self._on_table_double_clicked)
        # Delete removes a parameter only from the list: in a text field it deletes text.
        remove_key = QAction(self._remove_action.text(), table)
        remove_key.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        remove_key.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        remove_key.triggered.connect(self._on_remove_action_triggered)
        table.addAction(remove_key)
        self._remove_action.setToolTip("Remove the selected parameter (Del in the list)")

        self._form = ParamFormWidget()
        self._form.edited.connect(self._on_form_edited)
        self._empty_hint = QLabel("No parameters yet. Press <b>Add</b> to describe the first "
                                  "value to tune.")
        self._empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty_hint.setWordWrap(True)
        self._form_stack = QStackedWidget()
        self._form_stack.addWidget(self._form)
        self._form_stack.addWidget(self._empty_hint)
        # Never narrower than the form: a narrow window cut "Log scale" to "Lo".
        scroll = VerticalScrollArea(self._form_stack)

        splitter = self._splitter = _SplitterWidget(Qt.Orientation.Vertical)
        splitter.addWidget(table)
        splitter.addWidget(scroll)
        splitter.setChildrenCollapsible(False)
        # Spare height goes to the form; the list asks for exactly its rows (see its hint).
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.splitterMoved.connect(self._on_splitter_splitter_moved)
        splitter.resized.connect(self._fit_splitter)
        self._user_sized = False

        problems = self._problems_list = QListWidget()
        problems.setObjectName("problems_list")
        problems.setWordWrap(True)
        problems.setUniformItemSizes(False)
        problems.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        problems.itemActivated.connect(self._on_problems_list_item_activated)
        problems.itemClicked.connect(self._on_problems_list_item_activated)

        self._summary_icon = QLabel()
        self._summary = QLabel()
        self._summary.setObjectName("summary")
        summary_row = QHBoxLayout()
        summary_row.addWidget(self._summary_icon)
        summary_row.addWidget(self._summary, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self._read_only_banner)
        layout.addWidget(toolbar)
        layout.addWidget(splitter, 1)
        layout.addWidget(problems)
        layout.addLayout(summary_row)

    # --- public API -------------------------------------------------------------------

    def set_params(self, params: Sequence[Param]) -> None:
        """Show these parameters (replacing all rows); emits ``changed`` once."""
        self._anchor_names.clear()
        self._model.reset([row_from_param(p) for p in params])
        self._select(0 if params else -1)
        self._revalidate()
        self._fit_splitter()
        self.changed.emit()

    def params(self) -> list[Param] | None:
        """The parameters in list order, or None while any problem remains."""
        built = self._validation.params
        return list(built) if built is not None else None

    def problems(self) -> list[str]:
        """Every problem as a plain sentence naming the parameter, field and value."""
        return [rp.sentence(self._model.rows) for rp in self._validation.problems]

    def is_valid(self) -> bool:
        return self._valid

    def grid_size(self) -> int | None:
        """Combinations a grid search would try; None while invalid."""
        return self._validation.grid_size

    def summary_text(self) -> str:
        return self._summary.text()

    def set_read_only(self, read_only: bool) -> None:
        """Lock every field and button (while a study runs); the list can still be browsed."""
        self._read_only = read_only
        self._read_only_banner.setVisible(read_only)
        self._form.set_read_only(read_only)
        self._update_actions()

    # --- layout ----------------------------------------------------------------------

    def _fit_splitter(self) -> None:
        """Give the form its full height and the list the rest (it scrolls more gracefully).

        Stops once the user drags the splitter: their choice wins.
        """
        self._fit_problem_list()
        total = self._splitter.height() - self._splitter.handleWidth()
        if self._user_sized or total <= 0:
            return
        table = self._table
        wanted = min(table.sizeHint().height(), total - self._form.full_height())
        table_height = max(table.minimumSizeHint().height(), wanted)
        self._splitter.setSizes([table_height, total - table_height])

    # --- rows -------------------------------------------------------------------------

    def _current(self) -> int:
        index = self._table.selectionModel().currentIndex()
        return index.row() if index.isValid() else -1

    def _select(self, i: int) -> None:
        if 0 <= i < len(self._model.rows):
            flags = (QItemSelectionModel.SelectionFlag.ClearAndSelect
                     | QItemSelectionModel.SelectionFlag.Rows)
            self._table.selectionModel().setCurrentIndex(self._model.index(i, 0), flags)
            self._table.scrollTo(self._model.index(i, 0))
        else:
            self._table.selectionModel().clearCurrentIndex()
        self._show_current()

    def _show_current(self) -> None:
        i = self._current()
        row = self._model.rows[i] if i >= 0 else None
        names = [r.clean_name for j, r in enumerate(self._model.rows)
                 if j != i and r.clean_name]
        self._form.show_row(row, names, self._condition_hint(row))
        self._form_stack.setCurrentWidget(self._form if row is not None else self._empty_hint)
        self._form.show_problems(self._problems_of(i))
        self._update_actions()

    def _condition_hint(self, row: ParamRow | None) -> str:
        if row is None or not row.parent:
            return ""
        parent = next((r for r in self._model.rows if r.clean_name == row.parent), None)
        if parent is None:
            return ""
        if parent.kind == "categorical":
            return f"one or more of: {parent.choices.strip()}"
        if parent.kind == "fixed":
            return parent.value.strip()
        return f"values from {parent.low.strip()} to {parent.high.strip()}"

    def _problems_of(self, i: int) -> list[RowProblem]:
        return [rp for rp in self._validation.problems if rp.row == i] if i >= 0 else []

    def _update_actions(self) -> None:
        i, n = self._current(), len(self._model.rows)
        editable = not self._read_only
        self._add_action.setEnabled(editable)
        self._remove_action.setEnabled(editable and i >= 0)
        self._duplicate_action.setEnabled(editable and i >= 0)
        self._up_action.setEnabled(editable and i > 0)
        self._down_action.setEnabled(editable and 0 <= i < n - 1)

    def _insert(self, i: int, row: ParamRow) -> None:
        self._model.insert(i, row)
        self._select(i)
        self._fit_splitter()
        self._after_edit()
        self._form.focus_field("name")

    def _taken_names(self) -> set[str]:
        return {r.clean_name for r in self._model.rows}

    # --- validation -------------------------------------------------------------------

    def _revalidate(self, emit: bool = True) -> None:
        self._validation = v = validate(self._model.rows)
        by_row: dict[int, list[RowProblem]] = {}
        for rp in v.problems:
            if rp.row >= 0:
                by_row.setdefault(rp.row, []).append(rp)
        self._model.set_problems(by_row)
        self._form.show_problems(by_row.get(self._current(), []))
        self._show_problem_list(v.problems)
        self._show_summary(v)
        valid = v.params is not None
        if valid != self._valid:
            self._valid = valid
            if emit:
                self.validity_changed.emit(valid)

    def _show_problem_list(self, problems: list[RowProblem]) -> None:
        lst = self._problems_list
        lst.clear()
        icon = self._model.warning_icon
        for rp in problems:
            item = QListWidgetItem(icon, rp.sentence(self._model.rows))
            item.setData(Qt.ItemDataRole.UserRole, (rp.row, rp.field))
            item.setToolTip(tooltip_html(item.text()))
            lst.addItem(item)
        # An empty space says so in the form area; listing it here too would be noise.
        lst.setVisible(bool(self._model.rows) and bool(problems))
        self._fit_problem_list()

    def _fit_problem_list(self) -> None:
        """Size each problem to its wrapped text, and the list to at most three of them.

        The list's own estimate wraps at a guessed width until it has been laid out, which
        leaves a half-visible second problem; the splitter above has the list's width.
        """
        lst = self._problems_list
        if not lst.isVisibleTo(self) or self._splitter.width() <= 0:
            return
        icon = lst.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        text_width = self._splitter.width() - 2 * lst.frameWidth() - icon - 16
        metrics = lst.fontMetrics()
        heights = []
        for k in range(lst.count()):
            item = lst.item(k)
            rect = metrics.boundingRect(QRect(0, 0, max(text_width, 50), 10_000),
                                        Qt.TextFlag.TextWordWrap, item.text())
            height = max(rect.height(), icon) + 6
            item.setSizeHint(QSize(text_width, height))
            heights.append(height)
        lst.setFixedHeight(sum(heights[:3]) + 2 * lst.frameWidth())

    def _show_summary(self, v: Validation) -> None:
        n = len(self._model.rows)
        params = f"{n} parameter{'' if n == 1 else 's'}"
        if v.params is not None:
            size = v.grid_size or 0
            combos = f"{size:,}" if size < 10**12 else f"{size:.2e}"
            text = f"{params} · grid of {combos} combination{'' if size == 1 else 's'}"
            self._summary_icon.clear()
            self._summary.setStyleSheet("")
        else:
            k = len(v.problems)
            text = f"{params} · {k} problem{'' if k == 1 else 's'} to fix"
            if not n:
                text = "No parameters yet"
            self._summary_icon.setPixmap(self._model.warning_icon.pixmap(16, 16))
            self._summary.setStyleSheet(f"color: {PROBLEM_COLOR};")
        self._summary.setText(text)
        self._summary_icon.setVisible(v.params is None)

    def _after_edit(self) -> None:
        self._revalidate()
        self.changed.emit()

    # --- handlers ---------------------------------------------------------------------

    def _on_splitter_splitter_moved(self, pos: int, index: int) -> None:
        self._user_sized = True

    def _on_table_current_row_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        self._show_current()

    def _on_table_double_clicked(self, index: QModelIndex) -> None:
        self._form.focus_field(("name", "kind", "low", "parent")[index.column()])

    def _on_problems_list_item_activated(self, item: QListWidgetItem) -> None:
        row, field = item.data(Qt.ItemDataRole.UserRole)
        if row >= 0:
            self._select(row)
            self._form.focus_field(field)

    def _on_form_edited(self, field: str, value: object) -> None:
        i = self._current()
        if i < 0 or self._read_only:
            return
        row = self._model.rows[i]
        if field == "kind":
            self._model.replace(i, change_kind(row, str(value)))
            self._anchor_names.pop(id(row), None)
            self._show_current()
        elif field == "name":
            self._rename(i, str(value))
        else:
            setattr(row, field, value)
            if field == "parent":
                self._form.set_condition_hint(self._condition_hint(row))
        self._after_edit()

    def _rename(self, i: int, name: str) -> None:
        row = self._model.rows[i]
        anchor = self._anchor_names.get(id(row), row.clean_name)
        row.name = name
        new = row.clean_name
        if not new:
            self._anchor_names[id(row)] = anchor
            return
        others = [r for j, r in enumerate(self._model.rows) if j != i]
        # Children follow a renamed parent, unless another row still carries the old name.
        if anchor and anchor != new and not any(r.clean_name == anchor for r in others):
            for r in others:
                if r.parent == anchor:
                    r.parent = new
        self._anchor_names[id(row)] = new

    def _on_add_action_triggered(self) -> None:
        if self._read_only:
            return
        i = self._current()
        self._insert(i + 1 if i >= 0 else len(self._model.rows),
                     ParamRow(name=unique_name("param", self._taken_names())))

    def _on_remove_action_triggered(self) -> None:
        i = self._current()
        if i < 0 or self._read_only:
            return
        self._anchor_names.pop(id(self._model.rows[i]), None)
        self._model.remove(i)
        self._select(min(i, len(self._model.rows) - 1))
        self._fit_splitter()
        self._after_edit()

    def _on_duplicate_action_triggered(self) -> None:
        i = self._current()
        if i < 0 or self._read_only:
            return
        row = self._model.rows[i]
        base = f"{row.clean_name}_copy" if row.clean_name else "param"
        self._insert(i + 1, row.copy(name=unique_name(base, self._taken_names())))

    def _on_up_action_triggered(self) -> None:
        self._move(-1)

    def _on_down_action_triggered(self) -> None:
        self._move(+1)

    def _move(self, delta: int) -> None:
        i = self._current()
        j = i + delta
        if i < 0 or not 0 <= j < len(self._model.rows) or self._read_only:
            return
        self._model.move(i, j)
        self._select(j)
        self._after_edit()
