"""The window fits a small screen: Run, Pause, Stop, the progress and the best stay in view,
no label is cut, and rarely used run settings fold under "More options"."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, QSettings, Qt
from PySide6.QtGui import QRegion
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

from desktop.main_window import EXAMPLE_SPEC, MainWindow
from engine.spec import load_spec


@pytest.fixture
def window(qtbot, tmp_path):
    w = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    w.load_spec(load_spec(EXAMPLE_SPEC), EXAMPLE_SPEC.parent, from_file=False)
    w.setWindowModified(False)
    yield w
    w.setWindowModified(False)  # closed without the "Discard changes?" question
    w.close()


def show_at(qtbot, window: MainWindow, width: int, height: int) -> None:
    window.resize(width, height)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.height() == height)


def fully_in_view(widget: QWidget, window: MainWindow) -> bool:
    """Shown whole: not clipped by a scroll area's viewport, a dock or the window's edge."""
    if not widget.isVisible() or widget.width() <= 0 or widget.height() <= 0:
        return False
    hidden = QRegion(widget.rect()).subtracted(widget.visibleRegion())
    placed = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
    return hidden.isEmpty() and window.rect().contains(placed)


def run_controls(window: MainWindow) -> dict[str, QWidget]:
    panel = window.run_panel
    return {"Run": panel.run_button, "Pause": panel.pause_button, "Stop": panel.stop_button,
            "progress": panel.progress, "best": panel.best_label}


@pytest.mark.parametrize("size", [(1024, 640), (900, 650), (1440, 900)])
def test_run_pause_stop_progress_and_best_are_in_view(qtbot, window, size):
    show_at(qtbot, window, *size)
    for name, widget in run_controls(window).items():
        assert fully_in_view(widget, window), f"{name} is not fully in view at {size}"


def test_the_run_controls_stay_in_view_with_every_option_unfolded(qtbot, window):
    show_at(qtbot, window, 1024, 640)
    qtbot.mouseClick(window.run_panel.more_button, Qt.LeftButton)
    window.run_panel.where.setCurrentIndex(window.run_panel.where.findData("cluster"))
    qtbot.waitUntil(lambda: window.run_panel.address.isVisible())
    for name, widget in run_controls(window).items():
        assert fully_in_view(widget, window), f"{name} is not fully in view"


def test_the_docks_never_scroll_sideways_and_no_label_is_cut(qtbot, window):
    # At the narrowest the window goes, on both setup tabs and with every run option shown.
    show_at(qtbot, window, 400, 650)
    assert window.width() == window.minimumSizeHint().width() <= 900
    qtbot.mouseClick(window.run_panel.more_button, Qt.LeftButton)
    for tab in range(window.setup_tabs.count()):
        window.setup_tabs.setCurrentIndex(tab)
        qtbot.wait(1)  # let the shown tab lay itself out
        for dock in (window.setup_dock, window.run_dock):
            for w in dock.findChildren(QWidget):
                if not w.isVisible():
                    continue
                if isinstance(w, (QLabel, QAbstractButton)) and not (
                        isinstance(w, QLabel) and w.wordWrap()):
                    assert w.width() >= w.minimumSizeHint().width(), (
                        f"{w.text()!r} is cut to {w.width()} px")
                bar = getattr(w, "horizontalScrollBar", None)
                if bar is not None and w.objectName() != "param_table":
                    assert not bar().isVisible(), f"{type(w).__name__} scrolls sideways"
    log = [w for w in window.space_editor.findChildren(QAbstractButton)
           if w.text() == "Log scale"]
    assert log and log[0].isVisible() and log[0].width() >= log[0].sizeHint().width()


def test_more_options_folds_rare_settings_and_says_what_they_are(qtbot, window):
    panel = window.run_panel
    show_at(qtbot, window, 1440, 900)
    assert not panel.workers.isVisible() and not panel.pruning.isVisible()
    panel.workers.setValue(3)
    panel.use_seed.setChecked(True)
    panel.seed.setValue(7)
    assert panel.more_summary.isVisible()
    assert "3 workers" in panel.more_summary.text() and "seed 7" in panel.more_summary.text()
    qtbot.mouseClick(panel.more_button, Qt.LeftButton)
    assert panel.workers.isVisible() and panel.pruning.isVisible()
    assert not panel.more_summary.isVisible()
    # Unfolding scrolls what it shows into view, once the new rows are laid out.
    qtbot.waitUntil(lambda: fully_in_view(panel.where, window), timeout=2_000)



def test_a_long_message_under_the_buttons_wraps_whole(qtbot, window):
    show_at(qtbot, window, 1024, 640)
    text = ("Fix the setup first: Column to predict: none chosen yet; pick the column the "
            "model should learn to predict (or click its heading in the preview)")
    window.run_panel.set_can_run(False, text)
    message = window.run_panel.message
    qtbot.waitUntil(lambda: message.height() >= message.heightForWidth(message.width()))
    assert fully_in_view(message, window)
    for name, widget in run_controls(window).items():
        assert fully_in_view(widget, window), f"{name} is not fully in view"
