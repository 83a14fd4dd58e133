"""Shared pieces of the objective panel's forms: the form base class, rows, a path field.

Each form edits the settings of one objective kind (the spec's ``[objective]`` table without
``kind``) and reports problems as ``(setting, sentence)`` pairs, so that the panel can
outline the right field. Sentences come from the engine's own checks, with the spec's
``objective.<setting>`` names replaced by the labels the user sees on screen.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from engine.objectives.registry import resolve_paths

Problem = tuple[str | None, str]  # (setting the problem is about, plain sentence)

_SETTING = re.compile(r"objective\.([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?")


@contextlib.contextmanager
def blocked(*objects: Any) -> Iterator[None]:
    """Block the signals of ``objects`` while the code inside fills them programmatically."""
    blockers = [QSignalBlocker(o) for o in objects]
    try:
        yield
    finally:
        for b in blockers:
            b.unblock()


def monospace_font() -> QFont:
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


FIELD_SPACING = 10  # between a label and its field


class FormRows:
    """Label / field rows on a QGridLayout, with hints and wide rows.

    A grid rather than a QFormLayout: a wrapped hint label in a QFormLayout field gets the
    height its text needs at the narrowest width, leaving gaps (and overlaps) at others.
    """

    def __init__(self, grid: QGridLayout):
        self.grid = grid
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(FIELD_SPACING)
        grid.setColumnStretch(1, 1)
        self.labels: list[QLabel] = []
        self._count = 0  # rowCount() is 1 for an empty grid, so count the rows added
        self._row_of: dict[int, tuple[QLabel | None, QWidget | None]] = {}

    def add(self, text: str, field: QWidget | QLayout, *, tall: bool = False) -> QLabel:
        """A row; ``tall`` puts the label at the top, next to the field's first line."""
        row = self._next_row()
        label = QLabel(text)
        if tall:
            label.setContentsMargins(0, 3, 0, 0)
        align = Qt.AlignmentFlag.AlignLeft | (
            Qt.AlignmentFlag.AlignTop if tall else Qt.AlignmentFlag.AlignVCenter)
        self.grid.addWidget(label, row, 0, align)
        if isinstance(field, QWidget):
            self.grid.addWidget(field, row, 1)
            self._row_of[id(field)] = (label, field)
        else:
            self.grid.addLayout(field, row, 1)
        self.labels.append(label)
        return label

    def add_hint(self, hint: QWidget) -> None:
        """A widget under the fields, in the field column (e.g. a wrapped hint)."""
        self.grid.addWidget(hint, self._next_row(), 1)
        self._row_of[id(hint)] = (None, hint)

    def add_wide(self, widget: QWidget) -> None:
        """A widget across both columns."""
        self.grid.addWidget(widget, self._next_row(), 0, 1, 2)
        self._row_of[id(widget)] = (None, widget)

    def set_visible(self, field: QWidget, visible: bool) -> None:
        label, widget = self._row_of[id(field)]
        for w in (label, widget):
            if w is not None:
                w.setVisible(visible)

    def label_width(self) -> int:
        return max((label.sizeHint().width() for label in self.labels), default=0)

    def set_label_width(self, width: int) -> None:
        self.grid.setColumnMinimumWidth(0, width)

    def _next_row(self) -> int:
        self._count += 1
        return self._count - 1


def combo_box(object_name: str) -> QComboBox:
    """A combo box that does not demand the width of its longest item (a narrow dock)."""
    combo = QComboBox()
    combo.setObjectName(object_name)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(12)
    return combo


def select_data(combo: QComboBox, value: str, missing_text: str = "") -> None:
    """Select the item holding ``value``; add it (as ``missing_text``) if it is not listed."""
    index = combo.findData(value)
    if index < 0 and missing_text and value:
        combo.addItem(missing_text, value)
        index = combo.count() - 1
    combo.setCurrentIndex(max(index, 0))


def add_group_title(combo: QComboBox, text: str) -> None:
    """A bold, unselectable group title inside a combo's list."""
    combo.addItem(text)
    model = combo.model()
    if isinstance(model, QStandardItemModel):
        item = model.item(combo.count() - 1)
        item.setEnabled(False)
        font = item.font()
        font.setBold(True)
        item.setFont(font)


def hint_label(text: str, object_name: str = "") -> QLabel:
    """A grey, wrapped explanation.

    Put it in the field column with ``FormRows.add_hint``.
    """
    label = QLabel(text)
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    label.setProperty("hint", True)
    if object_name:
        label.setObjectName(object_name)
    return label


def setting_of(message: str) -> str | None:
    """The setting an engine message is about: the first ``objective.<name>`` in it."""
    m = _SETTING.search(message)
    return m.group(1) if m else None


def plain_message(message: str, labels: Mapping[str, str]) -> str:
    """An engine message with ``objective.<setting>`` replaced by the label on screen."""
    def label(m: re.Match) -> str:
        name = labels.get(m.group(1))
        if name is None:
            return m.group(0)
        return f"{name} {m.group(2)}" if m.group(2) else name
    text = _SETTING.sub(label, message)
    return text[:1].upper() + text[1:]


class PathFieldWidget(QWidget):
    """A path text field with a Browse… button.

    ``edited(text)`` fires when the user types or picks a path. A relative path is taken
    from ``base_dir`` (the study's folder); a picked path is written in full, because the
    window builds the objective from the settings as they are.
    """

    edited = Signal(str)

    def __init__(self, *, folder: bool = False, name_filter: str = "", title: str = "",
                 parent: QWidget | None = None):
        super().__init__(parent)
        self._folder = folder
        self._filter = name_filter
        self._title = title
        self.base_dir: Path | None = None
        self.line_edit = QLineEdit()
        self.button = QPushButton("Browse…")
        self.button.setToolTip("Choose the folder in a dialog" if folder
                               else "Choose the file in a dialog")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.line_edit, 1)
        layout.addWidget(self.button)
        self.line_edit.textChanged.connect(self._on_line_edit_text_changed)
        self.button.clicked.connect(self._on_button_clicked)

    def text(self) -> str:
        return self.line_edit.text().strip()

    def set_text(self, text: str) -> None:
        with blocked(self.line_edit):
            self.line_edit.setText(text)

    def resolved(self) -> Path | None:
        """The path in the field, made absolute from the study's folder; None when empty."""
        return resolve_path(self.text(), self.base_dir) if self.text() else None

    def set_read_only(self, read_only: bool) -> None:
        self.line_edit.setReadOnly(read_only)
        self.button.setEnabled(not read_only)

    def _on_line_edit_text_changed(self, text: str) -> None:
        self.edited.emit(text.strip())

    def _on_button_clicked(self) -> None:
        current = self.resolved()
        start = str(current if current is not None and current.exists()
                    else self.base_dir or Path.cwd())
        if self._folder:
            chosen = QFileDialog.getExistingDirectory(self, self._title, start)
        else:
            chosen, _ = QFileDialog.getOpenFileName(self, self._title, start, self._filter)
        if chosen:
            with blocked(self.line_edit):
                self.line_edit.setText(str(Path(chosen)))
            self.edited.emit(self.text())


def resolve_path(text: str, base_dir: Path | None) -> Path:
    """As the engine's ``resolve_paths`` does it, so that preview and check agree."""
    path = Path(text)
    return path if path.is_absolute() else (base_dir or Path.cwd()) / path


class ObjectiveFormWidget(QWidget):
    """Base of the three forms; see the module docstring.

    Subclasses set ``kind``, ``labels`` (setting -> label on screen) and ``own_settings``
    (the settings the form edits); settings it does not show are kept as they were loaded.
    """

    changed = Signal()
    default_space_suggested = Signal(list)
    # A check that ran off the GUI thread has finished: ask problems() again. Not an edit.
    revalidate = Signal()

    kind = ""
    labels: dict[str, str] = {}
    own_settings: tuple[str, ...] = ()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.base_dir: Path | None = None
        self.param_names: list[str] | None = None
        self._kept: dict[str, Any] = {}
        self.rows = FormRows(QGridLayout(self))

    # --- what subclasses implement -------------------------------------------------------

    def _edited_settings(self) -> dict[str, Any]:
        raise NotImplementedError

    def _fill(self, settings: Mapping[str, Any]) -> None:
        """Show ``settings`` in the widgets, with their signals blocked."""
        raise NotImplementedError

    def problems(self) -> list[Problem]:
        raise NotImplementedError

    def field_widget(self, setting: str | None) -> QWidget | None:
        raise NotImplementedError

    def set_read_only(self, read_only: bool) -> None:
        raise NotImplementedError

    # --- shared ----------------------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        out = self._edited_settings()
        out.update({k: v for k, v in self._kept.items() if k not in out})
        return out

    def set_settings(self, settings: Mapping[str, Any]) -> None:
        self._kept = {k: v for k, v in settings.items()
                      if k != "kind" and k not in self.own_settings}
        self._fill(settings)

    def set_base_dir(self, base_dir: Path | None) -> None:
        self.base_dir = base_dir

    def set_param_names(self, names: list[str] | None) -> None:
        self.param_names = names

    def resolved_settings(self) -> dict[str, Any]:
        """The settings with relative paths made absolute from the study's folder."""
        settings = {"kind": self.kind, **self.settings()}
        return resolve_paths(settings, self.base_dir or Path.cwd())

    def _engine_problems(self, message: str) -> list[Problem]:
        return [(setting_of(line), plain_message(line, self.labels))
                for line in message.splitlines() if line.strip()]
