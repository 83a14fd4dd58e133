"""Start the window: application object, style, and the study to show first."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from desktop import error_log
from desktop.gui_thread_gc import collect_on_gui_thread
from desktop.main_window import EXAMPLE_SPEC, MainWindow
from engine.spec import load_spec

RESOURCES = Path(__file__).resolve().parents[1] / "resources"


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("Knobs")
    app.setOrganizationName("Knobs")
    app.setStyle("Fusion")
    app.setStyleSheet((RESOURCES / "style.qss").read_text(encoding="utf-8"))
    app.setWindowIcon(QIcon(str(RESOURCES / "icons" / "knobs.svg")))
    error_log.install()  # after the names: they decide the user's data folder
    collect_on_gui_thread()
    return app


def open_window(path: str | None = None) -> MainWindow:
    """The main window on ``path`` (a study or spec), or on the bundled example study."""
    window = MainWindow()
    if path is None or not window.open_path(path):
        window.load_spec(load_spec(EXAMPLE_SPEC), EXAMPLE_SPEC.parent, from_file=False)
        window.setWindowModified(False)
    return window


def run(path: str | None = None) -> int:
    app = make_app()
    window = open_window(path)
    window.show()
    return app.exec()
