"""The window's analysis parts: the Analysis menu (study notes, other studies) and live
follow of a study another process runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction

from desktop.studies.compare_window import StudiesWindow
from desktop.studies.follow import FollowController
from desktop.studies.optuna_open import choose_optuna_file
from desktop.trials.note_field import StudyNoteDialog
from engine.compare import record_of

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
    compare_action = QAction("&Compare studies…", window)
    compare_action.setToolTip("Several studies side by side: best so far, values, best trials")
    compare_action.triggered.connect(lambda: open_studies_window(window))
    menu.addAction(compare_action)
    menu.addSeparator()
    optuna_action = QAction("Open &Optuna study…", window)
    optuna_action.setToolTip("An Optuna SQLite storage or journal file, read-only, in every plot")
    optuna_action.triggered.connect(lambda: choose_optuna_file(window))
    menu.addAction(optuna_action)
    menu.aboutToShow.connect(lambda: notes.setEnabled(window.study is not None))
    window.analysis_menu = menu
    window.study_notes_action = notes
    window.compare_action = compare_action
    window.studies_window = None


def open_studies_window(window: MainWindow) -> StudiesWindow:
    """The Studies window (one per main window), with the open study listed first."""
    if window.studies_window is None:
        window.studies_window = StudiesWindow(window)
    studies = window.studies_window
    if window.study is not None and window.study.trials:
        studies.add_record(record_of(window.study))
    studies.show()
    studies.raise_()
    return studies


def open_study_notes(window: MainWindow) -> StudyNoteDialog | None:
    if window.study is None:
        return None
    dialog = StudyNoteDialog(window.study, window)
    dialog.finished.connect(dialog.deleteLater)
    dialog.open()
    return dialog
