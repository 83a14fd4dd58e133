"""The detail form of the space editor: every field of the selected parameter.

The form shows a :class:`~desktop.setup.param_rows.ParamRow` and reports each user edit as
``edited(field, value)``; it never changes the row itself, so the editor stays the one
place that applies edits and re-validates. Problems come back through ``show_problems``:
the field gets a red outline and the message as its tooltip, and a message line appears
under the field's row.
"""

from __future__ import annotations

import html
from functools import partial

from PySide6.QtCore import QSignalBlocker, QSize, Qt, Signal
from PySide6.QtGui import QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.setup.param_rows import (
    GRID_LIST,
    GRID_SPREAD,
    LIST_SYNTAX_HELP,
    ParamRow,
    RowProblem,
)

KIND_LABELS = {
    "float": "Number (decimal)",
    "int": "Integer (whole number)",
    "categorical": "Choice from a list",
    "fixed": "Fixed value",
}
PROBLEM_COLOR = "#d32f2f"
# A dynamic property marks a field with a problem; the style sheet draws the outline, so
# fields without problems keep the platform's own look.
PROBLEM_STYLE = f"""
*[problem="true"] {{ border: 2px solid {PROBLEM_COLOR}; border-radius: 3px; padding: 1px 2px; }}
QLabel#message {{ color: {PROBLEM_COLOR}; }}
"""

# Which row of the form (and so which message line) each field belongs to.
_FORM_ROW_OF = {
    "name": "name", "kind": "kind", "low": "range", "high": "range", "log": "range",
    "step": "step", "grid_mode": "grid", "grid_points": "grid", "grid": "grid",
    "choices": "choices", "value": "value", "parent": "condition", "when": "condition",
    "help": "help",
}
_ROWS_OF_KIND = {
    "float": ("name", "kind", "range", "step", "grid", "condition", "help"),
    "int": ("name", "kind", "range", "step", "grid", "condition", "help"),
    "categorical": ("name", "kind", "choices", "condition", "help"),
    "fixed": ("name", "kind", "value", "condition", "help"),
}
_TIPS = {
    "name": "The name your code receives this value under.",
    "kind": "What sort of value this parameter takes.",
    "low": "The smallest value to try.",
    "high": "The largest value to try.",
    "log": "Spread the tries evenly over powers of ten. Use it for ranges like 0.0001 to 1, "
           "where small values matter as much as large ones.",
    "step": "Only try multiples of this step above the low end, e.g. 0.1 gives 0, 0.1, 0.2…. "
            "Leave empty to allow any value.",
    "grid_mode": "Which values a grid search tries: evenly spaced points over the range, or "
                 "values you list. Other search methods use the whole range.",
    "grid_points": "How many evenly spaced values a grid search tries.",
    "grid": "The values a grid search tries, separated by commas.",
    "choices": LIST_SYNTAX_HELP,
    "value": "Always this value. " + LIST_SYNTAX_HELP,
    "parent": "Make this parameter active only when another parameter takes certain values; "
              "otherwise it is left out of the trial.",
    "when": "The values of the chosen parameter that make this one active, separated by "
            "commas.",
    "help": "A plain-language explanation, shown as a tooltip wherever the parameter appears.",
}


def tooltip_html(text: str, problems: list[str] = ()) -> str:
    """Rich text so that Qt wraps long explanations instead of one screen-wide line."""
    parts = [f"<p>{html.escape(text)}</p>"] if text else []
    if problems:
        lines = "<br>".join(html.escape(p) for p in problems)
        parts.append(f"<p style='color:{PROBLEM_COLOR}'>{lines}</p>")
    return "".join(parts)


class _MessageLabel(QLabel):
    """A wrapped label as tall as its text at its actual width.

    QLabel's own size hint guesses a narrow width and so asks for extra lines, which the
    form (inside a scroll area) would leave as blank space under a one-line message.
    """

    def sizeHint(self) -> QSize:
        width = self.width() if self.width() > 20 else 400
        return QSize(super().sizeHint().width(), self.heightForWidth(width))

    def minimumSizeHint(self) -> QSize:
        return QSize(0, self.sizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.updateGeometry()


class ParamFormWidget(QWidget):
    """The fields of one parameter; emits ``edited(field, value)`` for each user edit."""

    edited = Signal(str, object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setStyleSheet(PROBLEM_STYLE)
        self._kind = "float"
        self._read_only = False
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        form = self._form = QFormLayout()
        outer.addLayout(form)
        # Spare height goes below the last field rather than between the rows.
        outer.addStretch(1)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        self.fields: dict[str, QWidget] = {}
        name = self._line_edit("name", "e.g. learning_rate")
        kind = self._add_field("kind", QComboBox())
        for key, label in KIND_LABELS.items():
            kind.addItem(label, key)
        kind.activated.connect(self._on_kind_combo_activated)

        low, high = self._line_edit("low", "lowest"), self._line_edit("high", "highest")
        log = self._add_field("log", QCheckBox("Log scale"))
        log.toggled.connect(partial(self._on_field_changed, "log"))
        to = QLabel("to")
        range_box = self._row_box(low, to, high, log)
        to.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)

        step = self._line_edit("step", "")
        grid_mode = self._add_field("grid_mode", QComboBox())
        grid_mode.addItem("Evenly spaced", GRID_SPREAD)
        grid_mode.addItem("These values", GRID_LIST)
        grid_mode.activated.connect(self._on_grid_mode_combo_activated)
        points = self._add_field("grid_points", QSpinBox())
        points.setRange(1, 9999)
        points.setSuffix(" points")
        points.valueChanged.connect(partial(self._on_field_changed, "grid_points"))
        grid = self._line_edit("grid", "e.g. 0.001, 0.01, 0.1")
        grid_box = self._row_box(grid_mode, points, grid)
        grid_mode.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

        choices = self._line_edit("choices", "e.g. adam, sgd, 0.5, true")
        self._choices_hint = QLabel(
            'Separate with commas. Put text in quotes to keep it as text: "1", "true".'
        )
        self._choices_hint.setWordWrap(True)
        palette = self._choices_hint.palette()
        role = QPalette.ColorRole
        palette.setColor(role.WindowText, palette.color(role.PlaceholderText))
        self._choices_hint.setPalette(palette)
        value = self._line_edit("value", "e.g. 50, adam or true")

        parent = self._add_field("parent", QComboBox())
        parent.activated.connect(self._on_parent_combo_activated)
        parent.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        when = self._line_edit("when", "values")
        condition_box = self._row_box(parent, QLabel("is"), when)

        help_edit = self._add_field("help", QPlainTextEdit())
        help_edit.setPlaceholderText("What this parameter does, in plain words (optional)")
        help_edit.setTabChangesFocus(True)
        lines = help_edit.fontMetrics().lineSpacing()
        help_edit.setFixedHeight(3 * lines + 12)
        help_edit.textChanged.connect(self._on_help_edit_text_changed)

        self._rows: dict[str, QWidget] = {}
        self._messages: dict[str, QLabel] = {}
        self._add_row("name", "Name", name)
        self._add_row("kind", "Kind", kind)
        self._add_row("range", "Range", range_box)
        self._add_row("step", "Step", step)
        self._add_row("grid", "Grid search", grid_box)
        self._add_row("choices", "Choices", choices)
        form.addRow("", self._choices_hint)
        self._add_row("value", "Value", value)
        self._add_row("condition", "Active when", condition_box)
        self._add_row("help", "Explanation", help_edit)
        self._problem_fields: set[str] = set()
        self.show_row(None, [])

    # --- building ---------------------------------------------------------------------

    def _add_field(self, key: str, widget: QWidget) -> QWidget:
        widget.setObjectName(key)
        widget.setToolTip(tooltip_html(_TIPS[key]))
        self.fields[key] = widget
        return widget

    def _line_edit(self, key: str, placeholder: str) -> QLineEdit:
        edit = self._add_field(key, QLineEdit())
        edit.setPlaceholderText(placeholder)
        edit.setClearButtonEnabled(False)
        edit.textEdited.connect(partial(self._on_field_changed, key))
        return edit

    def _row_box(self, *widgets: QWidget) -> QWidget:
        box = QWidget()
        lay = QHBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        for w in widgets:
            lay.addWidget(w)
        return box

    def _add_row(self, key: str, label: str, field: QWidget) -> None:
        self._form.addRow(label, field)
        message = _MessageLabel()
        message.setObjectName("message")
        message.setWordWrap(True)
        message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._form.addRow("", message)
        self._form.setRowVisible(message, False)
        self._rows[key], self._messages[key] = field, message

    # --- showing ----------------------------------------------------------------------

    def show_row(self, row: ParamRow | None, parent_names: list[str],
                 condition_hint: str = "") -> None:
        """Fill every field from ``row`` (None: an empty, disabled form) without signals."""
        blockers = [QSignalBlocker(w) for w in self.fields.values()]
        row = row or ParamRow()
        f = self.fields
        f["name"].setText(row.name)
        f["kind"].setCurrentIndex(f["kind"].findData(row.kind))
        for key in ("low", "high", "step", "grid", "choices", "value", "when"):
            f[key].setText(getattr(row, key))
        f["log"].setChecked(row.log)
        f["grid_mode"].setCurrentIndex(f["grid_mode"].findData(row.grid_mode))
        f["grid_points"].setValue(row.grid_points)
        parent = f["parent"]
        parent.clear()
        parent.addItem("Always", "")
        names = list(parent_names)
        if row.parent and row.parent not in names:
            names.append(row.parent)  # keep a missing parent visible so it can be fixed
        for n in names:
            parent.addItem(n, n)
        parent.setCurrentIndex(max(parent.findData(row.parent), 0))
        if f["help"].toPlainText() != row.help:
            f["help"].setPlainText(row.help)
        f["when"].setPlaceholderText(condition_hint or "values")
        f["step"].setPlaceholderText("1" if row.kind == "int" else "none: any value")
        del blockers
        self._kind = row.kind
        self._update_visibility(row)
        self._apply_enabled()

    def full_height(self) -> int:
        """The height of the form for a number parameter (its longest) without messages."""
        keys = _ROWS_OF_KIND["float"]
        form = self._form
        rows = sum(self._rows[k].sizeHint().boundedTo(self._rows[k].maximumSize()).height()
                   for k in keys)
        margins = self.contentsMargins().top() + self.contentsMargins().bottom()
        return rows + form.verticalSpacing() * (len(keys) - 1) + margins

    def set_condition_hint(self, text: str) -> None:
        self.fields["when"].setPlaceholderText(text or "values")

    def _update_visibility(self, row: ParamRow) -> None:
        shown = _ROWS_OF_KIND[row.kind]
        for key, field in self._rows.items():
            visible = key in shown
            self._form.setRowVisible(field, visible)
            if not visible:
                self._form.setRowVisible(self._messages[key], False)
        self._form.setRowVisible(self._choices_hint, row.kind == "categorical")
        listed = row.grid_mode == GRID_LIST
        self.fields["grid_points"].setVisible(not listed)
        self.fields["grid"].setVisible(listed)

    def _apply_enabled(self) -> None:
        editable = not self._read_only
        for w in self.fields.values():
            if isinstance(w, (QLineEdit, QPlainTextEdit)):
                # Read-only rather than disabled: the text stays readable and copyable, and
                # the window-coloured background says it cannot be typed into.
                w.setReadOnly(not editable)
                palette = QPalette(w.palette())
                base = self.palette().color(
                    QPalette.ColorRole.Base if editable else QPalette.ColorRole.Window)
                palette.setColor(QPalette.ColorRole.Base, base)
                w.setPalette(palette)
                if isinstance(w, QPlainTextEdit):
                    w.viewport().setPalette(palette)
            else:
                w.setEnabled(editable)
        parent_set = self.fields["parent"].currentData() not in ("", None)
        self.fields["when"].setEnabled(parent_set)

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        self._apply_enabled()

    def show_problems(self, problems: list[RowProblem]) -> None:
        """Outline each field that has a problem; clear the ones that no longer have one."""
        by_field: dict[str, list[str]] = {}
        for rp in problems:
            by_field.setdefault(rp.field, []).append(rp.short)
        for key in self._problem_fields | set(by_field):
            widget = self.fields.get(key)
            if widget is None:
                continue
            messages = by_field.get(key, [])
            widget.setProperty("problem", bool(messages))
            widget.setToolTip(tooltip_html(_TIPS[key], messages))
            # A dynamic property only restyles after the style is re-applied.
            widget.style().unpolish(widget)
            widget.style().polish(widget)
        self._problem_fields = set(by_field)

        by_row: dict[str, list[str]] = {}
        for rp in problems:
            by_row.setdefault(_FORM_ROW_OF.get(rp.field, "name"), []).append(rp.short)
        shown = _ROWS_OF_KIND[self._kind]
        for key, label in self._messages.items():
            messages = by_row.get(key, [])
            label.setText("\n".join(messages))
            self._form.setRowVisible(label, bool(messages) and key in shown)

    def message_text(self, field: str) -> str:
        """The message line shown under a field's row ('' when none)."""
        label = self._messages[_FORM_ROW_OF[field]]
        return label.text() if self._form.isRowVisible(label) else ""

    def focus_field(self, field: str) -> None:
        widget = self.fields.get(field)
        if widget is None or not widget.isVisibleTo(self):
            widget = self.fields["name"]
        widget.setFocus(Qt.FocusReason.OtherFocusReason)
        if isinstance(widget, QLineEdit):
            widget.selectAll()

    # --- user edits -------------------------------------------------------------------

    def _on_field_changed(self, key: str, value: object) -> None:
        self.edited.emit(key, value)

    def _on_kind_combo_activated(self, index: int) -> None:
        self.edited.emit("kind", self.fields["kind"].itemData(index))

    def _on_grid_mode_combo_activated(self, index: int) -> None:
        mode = self.fields["grid_mode"].itemData(index)
        listed = mode == GRID_LIST
        self.fields["grid_points"].setVisible(not listed)
        self.fields["grid"].setVisible(listed)
        self.edited.emit("grid_mode", mode)
        if listed:
            self.fields["grid"].setFocus()

    def _on_parent_combo_activated(self, index: int) -> None:
        parent = self.fields["parent"].itemData(index)
        self.fields["when"].setEnabled(bool(parent))
        self.edited.emit("parent", parent)
        if parent:
            self.fields["when"].setFocus()

    def _on_help_edit_text_changed(self) -> None:
        self.edited.emit("help", self.fields["help"].toPlainText())
