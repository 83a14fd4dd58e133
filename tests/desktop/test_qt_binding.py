"""The installed Qt binding must not leak or free references to None/True.

PySide6 6.12.0 on Python 3.11 dropped one reference to None on every call that returns
nothing; the window crashed ("deallocating None") after a few thousand edits. pyproject.toml
pins around it; this test fails if an install picks up such a build again.
"""

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLineEdit


class _Emitter(QObject):
    fired = Signal(bool)


def test_calls_and_signals_keep_none_and_true_alive(qtbot):
    edit = QLineEdit()
    qtbot.addWidget(edit)
    emitter = _Emitter()
    emitter.fired.connect(lambda value: None)
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(2000):
        edit.setText("x")
        emitter.fired.emit(True)
    assert sys.getrefcount(None) - none_before > -100
    assert sys.getrefcount(True) - true_before > -100
