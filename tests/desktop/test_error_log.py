"""An error nobody caught shows a plain dialog, and its traceback goes to the log file."""

from __future__ import annotations

import logging
import sys

from PySide6.QtWidgets import QMessageBox

from desktop import error_log


def test_an_uncaught_error_shows_a_dialog_and_is_logged(qapp, tmp_path, monkeypatch):
    monkeypatch.setattr(error_log, "log_folder", lambda: tmp_path)
    shown = []
    monkeypatch.setattr(QMessageBox, "exec",
                        lambda box: shown.append((box.text(), box.detailedText())))
    handlers = list(logging.getLogger().handlers)
    hook = sys.excepthook
    try:
        path = error_log.install()
        try:
            raise PermissionError("[Errno 13] Permission denied: '/root/spec.toml'")
        except PermissionError:
            sys.excepthook(*sys.exc_info())
    finally:
        sys.excepthook = hook
        for h in logging.getLogger().handlers:
            if h not in handlers:
                logging.getLogger().removeHandler(h)
                h.close()
    (text, details), = shown
    assert text == "That did not work: [Errno 13] Permission denied: '/root/spec.toml'"
    assert "Traceback" in details  # folded under "Show Details", not in the sentence
    logged = path.read_text()
    assert "Traceback" in logged and "PermissionError" in logged
