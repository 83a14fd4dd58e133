"""Fixtures of the desktop tests: garbage collected on the GUI thread only, as the app
does (desktop/gui_thread_gc.py; a collection on a worker thread crashed the suite), and
the main window as the window-driving tests use it."""

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

import desktop.main_window as main_window_module
from desktop.gui_thread_gc import collect_on_gui_thread
from desktop.main_window import MainWindow

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


@pytest.fixture(autouse=True, scope="session")
def garbage_collected_on_the_gui_thread(qapp):
    collect_on_gui_thread()


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    """The main window, shown, with settings and new studies in tmp, the objective's code
    confirmed, error dialogs collected in ``window.errors`` and any question a failure."""
    monkeypatch.setattr(main_window_module, "confirm_objective", lambda parent, text: True)
    errors = []
    monkeypatch.setattr(main_window_module, "show_error",
                        lambda parent, title, message, lead=None: errors.append(message))

    def no_modal_questions(*args, **kwargs):
        raise AssertionError(f"unexpected question dialog: {args[1:3]}")

    # A modal dialog would hang an offscreen test.
    monkeypatch.setattr(main_window_module.QMessageBox, "question", no_modal_questions)
    w = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    w.studies_folder = tmp_path / "studies"
    w.errors = errors
    w.show()
    yield w
    if w.pool is not None:
        w.pool.stop()
        w.pool.wait()
    w.loader.wait(10)
    # Closed here, not by qtbot: pytest-qt closes its widgets before fixtures tear down,
    # and the window would then ask about the unsaved setup.
    w.setWindowModified(False)
    w.close()
    w.deleteLater()


@pytest.fixture
def toy_window(window, tmp_path):
    """The window on the fast toy example, copied to tmp so its studies are written there."""
    for name in ("toy_training.toml", "toy_training.py"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    window.import_spec(tmp_path / "toy_training.toml")
    return window
