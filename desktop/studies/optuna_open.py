"""Optuna studies opened in the window, read-only, for analysis in every plot.

File → Open (or Analysis → Open Optuna study…) on an Optuna SQLite storage or journal file
asks which study when it holds several, reads it without Optuna and shows it like a Knobs
study: the table, every plot, the Surrogate, Importance. It cannot be run, noted or saved
over, and the file is never written (see :mod:`engine.interop.as_study`). The setup forms
are hidden meanwhile: there is no Knobs setup to show for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QInputDialog

from engine.interop import OptunaStorageError, list_foreign_studies
from engine.interop.as_study import open_foreign_study

if TYPE_CHECKING:
    from desktop.main_window import MainWindow

OPTUNA_FILTER = "Optuna storages (*.db *.sqlite *.sqlite3 *.log *.jsonl);;All files (*)"


def open_optuna_study(window: MainWindow, path: str | Path, name: str | None = None) -> bool:
    """Show study ``name`` of an Optuna storage in ``window`` (asking which one when the
    storage holds several and none is named); False when nothing was opened. The window
    has asked about unsaved changes already (``MainWindow.open_path``)."""
    from desktop import main_window as host  # its show_error, patched by the tests

    path = Path(path)
    try:
        names = list_foreign_studies(path) or []
    except OptunaStorageError as exc:
        host.show_error(window, "Cannot open the study", str(exc))
        return False
    if not names:
        host.show_error(window, "Cannot open the study", f"{path}: holds no study")
        return False
    if name is None and len(names) > 1:
        name, ok = QInputDialog.getItem(window, "Open an Optuna study",
                                        f"{path.name} holds {len(names)} studies. Open:",
                                        names, 0, False)
        if not ok:
            return False
    try:
        study = open_foreign_study(path, name or names[0])
    except OptunaStorageError as exc:
        host.show_error(window, "Cannot open the study", str(exc))
        return False
    window.show_opened_study(study, path, from_file=False)
    _hide_setup_while_shown(window)
    window.statusBar().showMessage(
        f"Opened Optuna study '{study.spec.name}' read-only: {len(study.trials)} trials.",
        10_000)
    return True


def choose_optuna_file(window: MainWindow) -> bool:
    path, _ = QFileDialog.getOpenFileName(window, "Open an Optuna study", "", OPTUNA_FILTER)
    return bool(path) and window.open_path(path)


def _hide_setup_while_shown(window: MainWindow) -> None:
    """The setup forms describe how to run a study; one run by Optuna has no such setup
    here, so they are hidden until the window shows another study."""
    dock = window.setup_dock
    if not dock.isVisible():
        return
    dock.hide()

    def restore(_study: object) -> None:
        window.feed.reset.disconnect(restore)
        dock.show()

    window.feed.reset.connect(restore)
