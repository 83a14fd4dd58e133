"""Notes in the window: a text field in a trial's context menu, and the study's notes dialog.

A note is saved in the study file the moment it is entered (``Study.set_note``); the table's
Notes column shows it and the filter box finds its words. A study opened read-only shows
its notes but cannot take new ones, and says so in the field.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from engine.storage import MAX_NOTE_CHARS, StudyFileError
from engine.study import Study
from engine.trial import Trial

READ_ONLY = "This study is open read-only: notes cannot be saved to it."


def can_write_notes(study: Study | None) -> bool:
    return study is not None and (study.file is None or not study.file.readonly)


class NoteField(QWidget):
    """``Note: [text]`` for one trial; Enter saves it and closes the menu it sits in."""

    def __init__(self, study: Study | None, trial: Trial, menu: QMenu | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.study, self.number, self._menu = study, trial.number, menu
        self.edit = QLineEdit(trial.note)
        self.edit.setMaxLength(MAX_NOTE_CHARS)
        self.edit.setMinimumWidth(260)
        self.edit.setClearButtonEnabled(True)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b91c1c;")
        self.problem.hide()
        if can_write_notes(study):
            self.edit.setPlaceholderText("Write a note, then press Enter")
            self.edit.returnPressed.connect(self._on_edit_return_pressed)
        else:
            self.edit.setReadOnly(True)
            self.edit.setPlaceholderText("No note")
            self.edit.setToolTip(READ_ONLY)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Note:"))
        row.addWidget(self.edit, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 4, 12, 4)
        layout.addLayout(row)
        layout.addWidget(self.problem)

    def _on_edit_return_pressed(self) -> None:
        try:
            self.study.set_note(self.number, self.edit.text())
        except (StudyFileError, ValueError) as exc:
            self.problem.setText(f"The note was not saved: {exc}")
            self.problem.show()
            return
        if self._menu is not None:
            self._menu.close()


def add_note_field(menu: QMenu, study: Study | None, trial: Trial) -> NoteField:
    """Append the note field of ``trial`` to a context menu; returns the field."""
    field = NoteField(study, trial, menu)
    action = QWidgetAction(menu)
    action.setDefaultWidget(field)
    menu.addAction(action)
    return field


class StudyNoteDialog(QDialog):
    """The note on the whole study: what it was for, what was learned. OK saves it."""

    def __init__(self, study: Study, parent: QWidget | None = None):
        super().__init__(parent)
        self.study = study
        self.setWindowTitle(f"Notes on {study.spec.name}")
        self.edit = QPlainTextEdit(study.note)
        self.edit.setPlaceholderText("What this study is for, what you learned from it\u2026")
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b91c1c;")
        self.problem.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        if not can_write_notes(study):
            self.edit.setReadOnly(True)
            self.problem.setText(READ_ONLY)
            self.problem.show()
            buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.resize(480, 300)

    def accept(self) -> None:
        text = self.edit.toPlainText()
        if len(text.strip()) > MAX_NOTE_CHARS:
            self.problem.setText(f"The note has {len(text.strip()):,} characters; at most "
                                 f"{MAX_NOTE_CHARS:,} are kept.")
            self.problem.show()
            return
        try:
            self.study.set_study_note(text)
        except (StudyFileError, ValueError) as exc:
            self.problem.setText(f"The note was not saved: {exc}")
            self.problem.show()
            return
        super().accept()
