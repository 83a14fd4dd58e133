"""The command form of the objective panel: a training program run once per trial."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextOption
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.setup.form_base import (
    ObjectiveFormWidget,
    PathFieldWidget,
    Problem,
    blocked,
    hint_label,
    monospace_font,
)
from engine.objectives.base import ObjectiveError
from engine.objectives.command import CommandObjective
from engine.objectives.command_template import TemplateError, parse_template, placeholder_names


class CommandFormWidget(ObjectiveFormWidget):
    """A training command run once per trial, with ``{name}`` where a value goes."""

    kind = CommandObjective.kind
    labels = {"command": "Command", "workdir": "Run in folder", "env": "Environment variable",
              "score_regex": "Score pattern", "timeout_s": "Time limit (timeout_s)"}
    own_settings = ("command", "workdir", "env", "score_regex")

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.command_edit = QPlainTextEdit()
        self.command_edit.setObjectName("command")
        self.command_edit.setFont(monospace_font())
        self.command_edit.setTabChangesFocus(True)
        # Wrapped like a terminal: breaking at a "-" would make "--" look like its own word.
        self.command_edit.setWordWrapMode(QTextOption.WrapMode.WrapAnywhere)
        self.command_edit.setPlaceholderText(
            "python train.py --lr {learning_rate} --batch-size {batch_size}")
        self.command_edit.setToolTip(
            "The program to run for each trial, with its options. Write a parameter's name in "
            "curly braces, like {learning_rate}, where its value should go.")
        lines = self.command_edit.fontMetrics().lineSpacing()
        self.command_edit.setFixedHeight(3 * lines + 14)
        self.placeholders_label = QLabel()
        self.placeholders_label.setObjectName("placeholders")
        self.placeholders_label.setWordWrap(True)
        self.placeholders_label.setTextFormat(Qt.TextFormat.RichText)
        command_box = QVBoxLayout()
        command_box.setSpacing(4)
        command_box.addWidget(self.command_edit)
        command_box.addWidget(self.placeholders_label)

        self.workdir_field = PathFieldWidget(folder=True, title="Folder to run the command in")
        self.workdir_field.line_edit.setObjectName("workdir")
        self.workdir_field.line_edit.setPlaceholderText("The study's folder")
        self.workdir_field.line_edit.setToolTip(
            "The folder the command starts in; file names in the command are looked up "
            "there. Leave empty to use the folder the study is saved in.")

        self.env_table = QTableWidget(0, 2)
        self.env_table.setObjectName("env")
        self.env_table.setHorizontalHeaderLabels(["Name", "Value"])
        header = self.env_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(90)
        self.env_table.verticalHeader().hide()
        self.env_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.env_table.setToolTip(
            "Extra settings handed to the command as environment variables, for example "
            "CUDA_VISIBLE_DEVICES = 0. Most commands need none.")
        self._edit_triggers = self.env_table.editTriggers()
        row_height = self.env_table.fontMetrics().height() + 8
        self.env_table.verticalHeader().setDefaultSectionSize(row_height)
        self.env_table.setFixedHeight(self.env_table.horizontalHeader().sizeHint().height()
                                      + 3 * row_height + 4)
        self.add_env_button = QPushButton("Add")
        self.add_env_button.setToolTip("Add an environment variable")
        self.remove_env_button = QPushButton("Remove")
        self.remove_env_button.setToolTip("Remove the selected environment variables")
        env_buttons = QVBoxLayout()
        env_buttons.addWidget(self.add_env_button)
        env_buttons.addWidget(self.remove_env_button)
        env_buttons.addStretch(1)
        env_box = QHBoxLayout()
        env_box.addWidget(self.env_table, 1)
        env_box.addLayout(env_buttons)

        self.regex_edit = QLineEdit()
        self.regex_edit.setObjectName("score_regex")
        self.regex_edit.setFont(monospace_font())
        self.regex_edit.setPlaceholderText("optional, e.g. accuracy: ([0-9.]+)")
        self.regex_edit.setToolTip(
            "Usually leave this empty: Knobs takes the last number the command prints (or a "
            "line of JSON with a \"value\"). If the command prints its score inside other "
            "text, give a regular expression with one group ( ) around the number.")

        self.rows.add("Command:", command_box, tall=True)
        self.rows.add("Run in folder:", self.workdir_field)
        self.rows.add("Environment:", env_box, tall=True)
        self.rows.add("Score pattern:", self.regex_edit)
        self.rows.add_hint(hint_label(
            "Each trial runs the command once with that trial's values filled in, and reads "
            "the score from what it prints: by default the last number printed."))

        self.command_edit.textChanged.connect(self._on_command_edit_text_changed)
        self.workdir_field.edited.connect(self._on_workdir_field_edited)
        self.env_table.itemChanged.connect(self._on_env_table_item_changed)
        self.add_env_button.clicked.connect(self._on_add_env_button_clicked)
        self.remove_env_button.clicked.connect(self._on_remove_env_button_clicked)
        self.regex_edit.textChanged.connect(self._on_regex_edit_text_changed)
        self._show_placeholders()

    def _edited_settings(self) -> dict[str, Any]:
        out: dict[str, Any] = {"command": self.command_edit.toPlainText().strip()}
        if self.workdir_field.text():
            out["workdir"] = self.workdir_field.text()
        env = self._env()
        if env:
            out["env"] = env
        if self.regex_edit.text():
            out["score_regex"] = self.regex_edit.text()
        return out

    def _env(self) -> dict[str, str]:
        env = {}
        for row in range(self.env_table.rowCount()):
            name, value = (self._cell(row, c) for c in (0, 1))
            if name or value:  # a half-filled row reaches check(), which names the mistake
                env[name] = value
        return env

    def _cell(self, row: int, column: int) -> str:
        item = self.env_table.item(row, column)
        return item.text().strip() if item is not None else ""

    def _fill(self, settings: Mapping[str, Any]) -> None:
        with blocked(self.command_edit, self.regex_edit, self.env_table):
            self.command_edit.setPlainText(str(settings.get("command") or ""))
            self.regex_edit.setText(str(settings.get("score_regex") or ""))
            env = settings.get("env") or {}
            if not isinstance(env, Mapping):
                # Not a table: kept as loaded, so that check() names it, until rows are added.
                self._kept["env"] = env
                env = {}
            self.env_table.setRowCount(0)
            for name, value in env.items():
                self._append_env_row(str(name), _env_text(value))
        self.workdir_field.set_text(str(settings.get("workdir") or ""))
        self._show_placeholders()

    def _append_env_row(self, name: str, value: str) -> None:
        row = self.env_table.rowCount()
        self.env_table.insertRow(row)
        self.env_table.setItem(row, 0, QTableWidgetItem(name))
        self.env_table.setItem(row, 1, QTableWidgetItem(value))

    def set_param_names(self, names: list[str] | None) -> None:
        super().set_param_names(names)
        self._show_placeholders()

    def set_base_dir(self, base_dir: Path | None) -> None:
        super().set_base_dir(base_dir)
        self.workdir_field.base_dir = base_dir

    def set_read_only(self, read_only: bool) -> None:
        self.command_edit.setReadOnly(read_only)
        self.workdir_field.set_read_only(read_only)
        self.regex_edit.setReadOnly(read_only)
        self.env_table.setEditTriggers(
            QAbstractItemView.EditTrigger.NoEditTriggers if read_only else self._edit_triggers)
        self.add_env_button.setEnabled(not read_only)
        self.remove_env_button.setEnabled(not read_only)

    def field_widget(self, setting: str | None) -> QWidget | None:
        return {"command": self.command_edit, "workdir": self.workdir_field.line_edit,
                "env": self.env_table, "score_regex": self.regex_edit}.get(setting or "")

    def problems(self) -> list[Problem]:
        settings = self.resolved_settings()
        found: list[Problem] = []
        try:
            CommandObjective.from_settings(settings).check(self.param_names)
        except ObjectiveError as exc:
            found = self._engine_problems(str(exc))
        # The table can hold a name twice, a spec cannot: the last row would win unseen.
        names = [self._cell(row, 0) for row in range(self.env_table.rowCount())]
        twice = sorted({n for n in names if n and names.count(n) > 1})
        if twice:
            found.append(("env", "Environment variable " + ", ".join(twice) + ": given in "
                                 "more than one row; keep one row per name"))
        return found

    def _show_placeholders(self) -> None:
        """List the placeholders of the template; unknown ones in red."""
        try:
            names = placeholder_names(parse_template(self.command_edit.toPlainText()))
        except TemplateError:
            names = None
        known = self.param_names
        if names is None:
            text = "The command cannot be split into words yet; close every quote."
        elif not names:
            text = ("No placeholders yet: write a parameter's name in curly braces, like "
                    "{learning_rate}, where its value should go.")
            if known:
                text += " Parameters: " + ", ".join(known) + "."
        else:
            parts = []
            for n in names:
                if known is None or n in known:
                    parts.append(f"<b>{{{_html(n)}}}</b>")
                else:
                    parts.append(f"<b style='color:#c62828'>{{{_html(n)}}}</b> "
                                 "<span style='color:#c62828'>(not a parameter)</span>")
            text = "Filled in for each trial: " + ", ".join(parts)
            unused = [n for n in known or () if n not in names]
            if unused:
                text += ("<br><span style='color:#666'>Not used by the command: "
                         + ", ".join(_html(n) for n in unused) + "</span>")
        with blocked(self.placeholders_label):
            self.placeholders_label.setText(text)

    def _on_command_edit_text_changed(self) -> None:
        self._show_placeholders()
        self.changed.emit()

    def _on_workdir_field_edited(self, _text: str) -> None:
        self.changed.emit()

    def _on_env_table_item_changed(self, _item: QTableWidgetItem) -> None:
        self.changed.emit()

    def _on_add_env_button_clicked(self) -> None:
        with blocked(self.env_table):
            self._append_env_row("", "")
        row = self.env_table.rowCount() - 1
        self.env_table.setCurrentCell(row, 0)
        self.env_table.editItem(self.env_table.item(row, 0))

    def _on_remove_env_button_clicked(self) -> None:
        rows = sorted({i.row() for i in self.env_table.selectedIndexes()}, reverse=True)
        if not rows and self.env_table.currentRow() >= 0:
            rows = [self.env_table.currentRow()]
        with blocked(self.env_table):
            for row in rows:
                self.env_table.removeRow(row)
        if rows:
            self.changed.emit()

    def _on_regex_edit_text_changed(self, _text: str) -> None:
        self.changed.emit()


def _env_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
