"""`knobs SPEC` as a user starts it (desktop.launch.main, offscreen), then Run pressed and the
confirmation answered "Run"; prints the study file's path and runs until the window ends.

Used by test_sigterm_window.py, which ends it with SIGTERM.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import desktop.main_window as main_window_module  # noqa: E402
from desktop.launch import main  # noqa: E402
from desktop.main_window import MainWindow  # noqa: E402


def press_run() -> None:
    window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
    main_window_module.confirm_objective = lambda parent, text: True  # the user clicks Run
    window.run_study()
    print(window.study.file.path, flush=True)


if __name__ == "__main__":  # worker processes import this module again
    app = QApplication(sys.argv[:1])  # the launcher uses this one
    QTimer.singleShot(0, press_run)
    sys.exit(main([sys.argv[1]]))
