"""Fixtures of the desktop tests: garbage collected on the GUI thread only, as the app
does (desktop/gui_thread_gc.py; a collection on a worker thread crashed the suite), and
the main window as the analysis tests use it."""

import pytest
from PySide6.QtCore import QSettings

import desktop.main_window as main_window_module
from desktop.gui_thread_gc import collect_on_gui_thread
from desktop.main_window import MainWindow


@pytest.fixture(autouse=True, scope="session")
def garbage_collected_on_the_gui_thread(qapp):
    collect_on_gui_thread()


@pytest.fixture
def analysis_window(qtbot, tmp_path, monkeypatch):
    """The main window with settings in tmp and every modal question a failure."""
    errors = []
    monkeypatch.setattr(main_window_module, "show_error",
                        lambda parent, title, message, lead=None: errors.append(message))

    def no_modal_questions(*args, **kwargs):
        raise AssertionError(f"unexpected question dialog: {args[1:3]}")

    monkeypatch.setattr(main_window_module.QMessageBox, "question", no_modal_questions)
    w = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    w.studies_folder = tmp_path / "studies"
    w.errors = errors
    w.show()
    yield w
    w.setWindowModified(False)
    w.close()
    w.deleteLater()
