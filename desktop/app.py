"""Start the window: application object, style, and the study to show first."""

from __future__ import annotations

import signal
import socket
import sys
import threading

from PySide6.QtCore import QSettings, QSocketNotifier, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from desktop import error_log
from desktop.gui_thread_gc import collect_on_gui_thread
from desktop.main_window import EXAMPLE_SPEC, MainWindow
from engine import bundled
from engine.spec import load_spec

EXIT_SIGTERM = 128 + signal.SIGTERM


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("Knobs")
    app.setOrganizationName("Knobs")
    app.setApplicationVersion(bundled.version())
    app.setStyle("Fusion")
    app.setStyleSheet(bundled.style_sheet())
    app.setWindowIcon(QIcon(str(bundled.icon())))
    error_log.install()  # after the names: they decide the user's data folder
    collect_on_gui_thread()
    return app


def open_window(path: str | None = None, settings: QSettings | None = None) -> MainWindow:
    """The main window on ``path`` (a study or spec), or on the bundled example study.

    A study file is read off the GUI thread, as File > Open reads it: the window shows the
    example with "Opening …" at once and the study when it is read (or says why not).
    """
    window = MainWindow(settings)
    window.load_spec(load_spec(EXAMPLE_SPEC), EXAMPLE_SPEC.parent, from_file=False)
    window.setWindowModified(False)
    if path is not None:
        window.open_path(path, background=True)
    return window


def run(path: str | None = None) -> int:
    app = make_app()
    window = open_window(path)
    sigterm = threading.Event()
    _end_on_sigterm(app, window, sigterm)
    window.show()
    code = app.exec()
    return EXIT_SIGTERM if sigterm.is_set() else code


def _end_on_sigterm(app: QApplication, window: MainWindow, received: threading.Event) -> None:
    """SIGTERM (a logout, `kill`, a service manager) ends the window at once, asking nothing:
    running trials end interrupted, finished ones stay saved, worker processes are ended.

    Python runs a signal handler only between its own bytecodes, never while Qt's event
    loop waits, so the signal also writes to a socket that wakes the loop.
    """
    wake_read, wake_write = socket.socketpair()
    wake_read.setblocking(False)
    wake_write.setblocking(False)
    signal.set_wakeup_fd(wake_write.fileno(), warn_on_full_buffer=False)
    notifier = QSocketNotifier(wake_read.fileno(), QSocketNotifier.Type.Read, app)

    def wake() -> None:
        # Running this Python code is what lets the handler below run.
        try:
            wake_read.recv(64)
        except BlockingIOError:
            pass  # woken with nothing left to read: the handler has run already

    notifier.activated.connect(wake)

    def on_sigterm(signum, frame) -> None:
        received.set()
        QTimer.singleShot(0, window.end_now)

    def release() -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the window is going: nothing to end
        signal.set_wakeup_fd(-1)
        notifier.setEnabled(False)
        wake_read.close()
        wake_write.close()

    signal.signal(signal.SIGTERM, on_sigterm)
    app.aboutToQuit.connect(release)
