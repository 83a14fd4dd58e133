"""Opening a study file reads it off the GUI thread: busy at once, shown when read."""

from __future__ import annotations

import threading

import pytest
import shiboken6
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

import desktop.main_window as main_window_module
from desktop import background, study_loader
from desktop.app import open_window
from engine.space import FloatParam
from engine.spec import StudySpec
from engine.study import Study
from engine.trial import TrialState


def make_file(path, n: int, name: str):
    spec = StudySpec(name=name, params=(FloatParam("x", 0.0, 1.0),), sampler="random", seed=0,
                     trials=n, objective={"kind": "python", "path": "x.py", "function": "f"})
    study = Study.create(spec, path)
    for _ in range(n):
        t = study.ask(worker=0)
        study.tell(t.number, TrialState.COMPLETE, value=t.params["x"])
    study.close()
    return path


def test_open_shows_busy_at_once_then_the_study(qtbot, window, tmp_path):
    path = make_file(tmp_path / "a.knobs", 30, "study a")
    window.setWindowModified(False)
    assert window.open_path(path, background=True)
    # Before the file is read: the user sees that something is happening.
    assert window.loader.busy
    assert window.statusBar().currentMessage() == "Opening a.knobs\u2026"
    assert QApplication.overrideCursor() is not None
    qtbot.waitUntil(lambda: window.study is not None, timeout=20_000)
    assert window.table.model.rowCount() == 30
    assert window.plots.columns is window.feed.columns and window.feed.columns.n == 30
    assert window.name_edit.text() == "study a"
    assert not window.loader.busy and QApplication.overrideCursor() is None


def test_a_newer_open_wins_and_the_older_study_is_closed(qtbot, window, tmp_path):
    first = make_file(tmp_path / "a.knobs", 20, "study a")
    second = make_file(tmp_path / "b.knobs", 5, "study b")
    window.setWindowModified(False)
    window.open_path(first, background=True)
    window.open_path(second, background=True)
    qtbot.waitUntil(lambda: window.study is not None and not window.loader.busy,
                    timeout=20_000)
    qtbot.waitUntil(lambda: window.loader.reading == 0, timeout=20_000)  # both answered
    assert window.name_edit.text() == "study b"
    assert window.table.model.rowCount() == 5
    # The dropped load released its file: it opens again for writing.
    Study.open(first).close()


def test_a_file_that_cannot_be_read_says_so_and_changes_nothing(qtbot, window, tmp_path):
    bad = tmp_path / "bad.knobs"
    bad.write_bytes(b"not a database at all")
    window.setWindowModified(False)
    before = window.name_edit.text()
    window.open_path(bad, background=True)
    qtbot.waitUntil(lambda: bool(window.errors), timeout=20_000)
    assert "not a Knobs study file" in window.errors[0]
    assert window.name_edit.text() == before and window.study is None
    assert not window.loader.busy and QApplication.overrideCursor() is None


@pytest.fixture
def start_window(qtbot, tmp_path, monkeypatch):
    """``open_window`` as ``knobs FILE`` calls it, closed after the test."""
    errors = []
    monkeypatch.setattr(main_window_module, "show_error",
                        lambda parent, title, message, lead=None: errors.append(message))
    made = []

    def start(path):
        window = open_window(str(path), QSettings(str(tmp_path / "start.ini"),
                                                  QSettings.IniFormat))
        window.errors = errors
        made.append(window)
        return window

    yield start
    for w in made:
        w.loader.wait(10)
        w.setWindowModified(False)
        w.close()
        w.deleteLater()


def test_starting_with_a_study_reads_it_in_the_background(qtbot, start_window, tmp_path):
    path = make_file(tmp_path / "started.knobs", 25, "started study")
    window = start_window(path)
    # The window is up before the file is read: the example, and "Opening …".
    assert window.loader.busy and window.study is None
    assert window.statusBar().currentMessage() == "Opening started.knobs\u2026"
    assert window.name_edit.text() != "started study"
    qtbot.waitUntil(lambda: window.study is not None, timeout=20_000)
    assert window.name_edit.text() == "started study"
    assert window.table.model.rowCount() == 25


def test_starting_with_an_unreadable_study_keeps_the_example_and_says_why(
        qtbot, start_window, tmp_path):
    bad = tmp_path / "broken.knobs"
    bad.write_bytes(b"not a database at all")
    window = start_window(bad)
    example = window.name_edit.text()
    qtbot.waitUntil(lambda: bool(window.errors), timeout=20_000)
    assert "not a Knobs study file" in window.errors[0]
    assert window.name_edit.text() == example and example and window.study is None


def test_a_study_read_for_a_window_closed_meanwhile_is_closed(qtbot, tmp_path, monkeypatch):
    path = make_file(tmp_path / "late.knobs", 10, "late study")
    release = threading.Event()
    real_open = study_loader.session.open_study

    def slow_open(p):
        release.wait(10)
        return real_open(p)

    monkeypatch.setattr(study_loader.session, "open_study", slow_open)
    loader = study_loader.StudyLoader()
    loaded = []
    loader.loaded.connect(loaded.append)
    loader.load(path)
    loader.cancel()  # as closing the window does: the busy cursor goes
    loader.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(loader))
    release.set()
    qtbot.waitUntil(lambda: background.pending() == 0, timeout=20_000)
    assert loaded == []
    # Nobody holds the study any more: it opens for writing again.
    Study.open(path).close()
