"""The real Knobs window in its own process, driven the way a user drives it.

    python window_driver.py run SETTINGS_INI SPEC
        File > Import spec, Run, "Run" in the confirmation; prints the study file's path,
        then keeps the event loop going until the study ends (or the process is killed).
    python window_driver.py open SETTINGS_INI [--press-run] PATH...
        File > Open on each path in turn; prints one JSON line per path: whether it opened,
        the error dialogs it showed, the confirmations it asked for and any exception.
        With --press-run, Run is pressed after each open and the confirmation refused.

Modal dialogs would block an offscreen window, so they are answered here: errors are
recorded, a confirmation to run code is answered "Run" only in ``run`` mode.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QEventLoop, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import desktop.main_window as main_window_module  # noqa: E402
from desktop.app import make_app  # noqa: E402
from desktop.main_window import MainWindow  # noqa: E402

seen: dict[str, list[str]] = {"errors": [], "confirmations": [], "exceptions": []}


def _record_error(parent, title, message, lead=None) -> None:
    seen["errors"].append(f"{title}: {message}")
    print(f"error dialog: {title}: {message}", file=sys.stderr, flush=True)


def _refuse_question(*args, **kwargs):
    raise AssertionError(f"unexpected question dialog: {args[1:3]}")


def _excepthook(kind, value, tb) -> None:
    # An exception in a Qt slot does not reach the caller; record it instead of losing it.
    seen["exceptions"].append("".join(traceback.format_exception(kind, value, tb)))


def _window(settings: str) -> MainWindow:
    window = MainWindow(QSettings(settings, QSettings.IniFormat))
    window.studies_folder = Path(settings).parent / "studies"
    window.show()
    return window


def run(settings: str, spec: str) -> int:
    app = make_app()
    main_window_module.confirm_objective = lambda parent, text: True  # the user clicks Run
    window = _window(settings)
    if not window.import_spec(spec):
        return 1
    window.run_study()
    if window.pool is None:
        return 1
    print(window.study.file.path, flush=True)
    window.pool.finished.connect(lambda reason: app.quit())
    return app.exec()


def open_paths(settings: str, paths: list[str]) -> int:
    press_run = paths[:1] == ["--press-run"]
    paths = paths[1:] if press_run else paths
    app: QApplication = make_app()

    def refuse(parent, text):
        seen["confirmations"].append(text)
        return False

    main_window_module.confirm_objective = refuse
    window = _window(settings)
    for path in paths:
        for key in seen:
            seen[key] = []
        window.setWindowModified(False)  # nothing to discard between two opens
        try:
            opened = window.open_path(path)
            if opened and press_run:
                window.run_study()
        except Exception:  # noqa: BLE001 - reported to the test, which fails on it
            opened = False
            seen["exceptions"].append(traceback.format_exc())
        _drain(app)
        running = window.pool is not None
        print(json.dumps({"path": path, "opened": opened, "running": running, **seen}),
              flush=True)
    window.setWindowModified(False)
    window.close()
    return 0


def _drain(app: QApplication) -> None:
    """Let the work the open deferred (zero-delay timers, queued signals) run before the
    result is judged: a zero-delay timer set now fires after everything queued before it.
    Not app.exec() and quit(): quitting runs pyqtgraph's clean-up, which closes windows."""
    drained = []
    QTimer.singleShot(0, lambda: drained.append(True))
    deadline = time.monotonic() + 30
    while not drained:
        if time.monotonic() > deadline:
            raise AssertionError("the event loop never reached a zero-delay timer")
        app.processEvents(QEventLoop.WaitForMoreEvents, 100)


def main() -> int:
    main_window_module.show_error = _record_error
    main_window_module.QMessageBox.question = _refuse_question
    sys.excepthook = _excepthook
    mode, settings, *rest = sys.argv[1:]
    if mode == "run":
        return run(settings, rest[0])
    return open_paths(settings, rest)


if __name__ == "__main__":
    sys.exit(main())
