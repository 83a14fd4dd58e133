"""Notes as the user writes them: the field in a row's menu, the Notes column, the filter,
the study's notes dialog, and a read-only study that cannot take them."""

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from desktop.studies.menu import open_study_notes
from desktop.trial_feed import TrialFeed
from desktop.trials.note_field import READ_ONLY, NoteField
from desktop.trials.view import TrialsTableWidget
from engine.study import Study

V1 = Path(__file__).parents[1] / "engine" / "data" / "study_v1_notes.knobs"


@pytest.fixture
def study_path(tmp_path):
    path = tmp_path / "s.knobs"
    shutil.copy(V1, path)
    return path


@pytest.fixture
def table(qtbot, study_path):
    study = Study.open(study_path)
    feed = TrialFeed()
    feed.set_study(study)
    widget = TrialsTableWidget(feed)
    qtbot.addWidget(widget)
    widget.resize(900, 400)
    widget.show()
    yield widget
    feed.set_study(None)
    study.close()


def note_field(menu: QMenu) -> NoteField:
    fields = menu.findChildren(NoteField)
    assert len(fields) == 1
    return fields[0]


def notes_column(table: TrialsTableWidget) -> list[str]:
    c = table.model.column_of("note")
    return [table.proxy.index(r, c).data() or "" for r in range(table.proxy.rowCount())]


def test_a_note_typed_in_the_row_menu_shows_in_the_column_and_is_found_by_the_filter(
        qtbot, table, study_path):
    menu = table.row_menu(1)
    field = note_field(menu)
    qtbot.keyClicks(field.edit, "promising region, rerun with 5 folds")
    qtbot.keyClick(field.edit, Qt.Key.Key_Return)
    table._feed.flush()
    assert notes_column(table) == ["", "promising region, rerun with 5 folds", "", ""]
    table.filter_edit.setText("promising")
    assert table.proxy.rowCount() == 1
    table.filter_edit.setText("")
    # Kept in the study file, and the menu shows it next time.
    table.model.study.close()
    again = Study.open(study_path, readonly=True)
    assert again.trials[1].note == "promising region, rerun with 5 folds"
    again.close()
    assert note_field(table.row_menu(1)).edit.text() == "promising region, rerun with 5 folds"


def test_a_read_only_study_shows_notes_but_takes_none(qtbot, study_path):
    writer = Study.open(study_path)
    writer.set_note(0, "written elsewhere")
    writer.close()
    study = Study.open(study_path, readonly=True)
    feed = TrialFeed()
    feed.set_study(study)
    widget = TrialsTableWidget(feed)
    qtbot.addWidget(widget)
    field = note_field(widget.row_menu(0))
    assert field.edit.isReadOnly() and field.edit.text() == "written elsewhere"
    assert field.edit.toolTip() == READ_ONLY
    feed.set_study(None)
    study.close()


def test_the_study_notes_dialog_saves_the_note_in_the_file(qtbot, window, study_path):

    assert window.open_path(study_path)
    window.analysis_menu.aboutToShow.emit()
    assert window.study_notes_action.isEnabled()
    dialog = open_study_notes(window)
    qtbot.keyClicks(dialog.edit, "Baseline: random search, 4 trials.")
    dialog.accept()
    assert window.study.note == "Baseline: random search, 4 trials."
    window.new_study()
    again = Study.open(study_path, readonly=True)
    assert again.note == "Baseline: random search, 4 trials."
    again.close()
