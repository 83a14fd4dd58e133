"""The window's analysis parts: the Analysis menu (study notes, other studies) and live
follow of a study another process runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction

from desktop.studies.follow import FollowController
from desktop.trials.note_field import StudyNoteDialog

if TYPE_CHECKING:
    from desktop.main_window import MainWindow


def install_analysis(window: MainWindow) -> None:
    """Give ``window`` its Analysis menu and live follow of studies run elsewhere."""
    window.follow = FollowController(window.feed, window.statusBar(), window)
    menu = window.menuBar().addMenu("&Analysis")
    notes = QAction("Study &notes\u2026", window)
    notes.setToolTip("What this study is for and what you learned, kept in the study file")
    notes.triggered.connect(lambda: open_study_notes(window))
    menu.addAction(notes)
    menu.aboutToShow.connect(lambda: notes.setEnabled(window.study is not None))
    window.analysis_menu = menu
    window.study_notes_action = notes


def open_study_notes(window: MainWindow) -> StudyNoteDialog | None:
    if window.study is None:
        return None
    dialog = StudyNoteDialog(window.study, window)
    dialog.finished.connect(dialog.deleteLater)
    dialog.open()
    return dialog
