"""Run by wheel_check.sh inside the wheel's fresh environment, with QT_QPA_PLATFORM=offscreen.

`knobs` with no arguments (desktop.launch.main, the console script) opens the window on the
bundled example with the bundled style; Help > User guide shows the guide with its
screenshots; SIGTERM then ends the window quietly. Exits non-zero on the first failure.
"""

import os
import signal
import sys

from PySide6.QtCore import QTimer, QUrl
from PySide6.QtGui import QAction, QTextDocument
from PySide6.QtWidgets import QApplication, QDialog, QTextBrowser

import desktop
import engine
from desktop import launch
from desktop.main_window import MainWindow
from engine import bundled

for module in (engine, desktop):  # the installed code, not a source tree
    assert "site-packages" in module.__file__, module.__file__

checked = []


def check_window() -> None:
    app = QApplication.instance()
    try:
        windows = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow)]
        assert len(windows) == 1 and windows[0].isVisible(), windows
        window = windows[0]
        assert app.styleSheet() == bundled.style_sheet() != "", "the bundled style is not on"
        assert window.name_edit.text() == "MLP on digits", window.name_edit.text()
        guide_action = next(a for a in window.findChildren(QAction) if a.text() == "&User guide")
        guide_action.trigger()
        dialog = next(w for w in app.topLevelWidgets()
                      if isinstance(w, QDialog) and w.windowTitle() == "Knobs user guide")
        browser = dialog.findChild(QTextBrowser)
        assert browser.toPlainText().startswith("Knobs user guide"), browser.toPlainText()[:80]
        image = browser.loadResource(QTextDocument.ResourceType.ImageResource,
                                     QUrl("screenshots/main-window.png"))
        assert image, "the guide's screenshot did not load"
        checked.append(f"window on {window.name_edit.text()!r}, style and guide, "
                       f"Knobs {bundled.version()}")
    finally:
        os.kill(os.getpid(), signal.SIGTERM)  # ends the window as a logout would


if __name__ == "__main__":  # worker processes import this module again
    app = QApplication(sys.argv[:1])  # the launcher's make_app uses this one
    QTimer.singleShot(0, check_window)
    code = launch.main([])
    assert checked, "the window checks failed (see the traceback above)"
    assert code == 128 + signal.SIGTERM, f"knobs exited with {code} after SIGTERM"
    print("wheel check:", checked[0])
