"""Errors nobody caught: logged with their traceback, shown to the user in plain words.

An exception inside a Qt slot (a menu action, a button) would otherwise print to a
terminal the user never sees. Installed once by :func:`desktop.app.make_app`.
"""

from __future__ import annotations

import logging
import sys
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QApplication, QMessageBox

LOG_NAME = "knobs.log"
log = logging.getLogger("knobs")


def log_folder() -> Path:
    """The user's data folder for Knobs (where the log goes), made on first use."""
    folder = Path(QStandardPaths.writableLocation(QStandardPaths.AppDataLocation)
                  or Path.home() / ".knobs")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def install() -> Path:
    """Send warnings and tracebacks (engine's too) to the log file, and show uncaught
    exceptions as a dialog; returns the log file's path."""
    path = log_folder() / LOG_NAME
    root = logging.getLogger()
    if not any(getattr(h, "baseFilename", None) == str(path) for h in root.handlers):
        handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3,
                                      encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        if root.level > logging.INFO or root.level == logging.NOTSET:
            root.setLevel(logging.INFO)
    sys.excepthook = _on_uncaught
    return path


def _on_uncaught(exc_type, exc, tb) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    details = "".join(traceback.format_exception(exc_type, exc, tb))
    log.error("uncaught error\n%s", details)
    if QApplication.instance() is None:
        return
    first = (str(exc).splitlines() or [exc_type.__name__])[0]
    box = QMessageBox(QMessageBox.Warning, "Something went wrong",
                      f"That did not work: {first}", parent=QApplication.activeWindow())
    box.setInformativeText(f"The details are in the log ({log_folder() / LOG_NAME}); "
                           "Help > Open log folder shows it.")
    box.setDetailedText(details)
    box.exec()
