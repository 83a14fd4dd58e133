"""Optuna studies opened in the window: pick one, see it everywhere, change nothing."""

import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QInputDialog

from desktop.studies.menu import open_study_notes
from engine.interop.as_study import ForeignFile

DATA = Path(__file__).parents[1] / "engine" / "data"


def fingerprint(path: Path):
    return path.read_bytes(), path.stat().st_mtime_ns, sorted(p.name for p in path.parent.iterdir())


@pytest.mark.parametrize("name", ["optuna_two_studies.db", "optuna_journal.log"])
def test_an_optuna_storage_opens_read_only_in_every_view(qtbot, window, tmp_path,
                                                         monkeypatch, name):

    path = tmp_path / "src" / name
    path.parent.mkdir()
    shutil.copy(DATA / name, path)
    before = fingerprint(path)
    asked = []

    def pick(parent, title, label, items, current, editable):
        asked.append(list(items))
        return "toy", True

    monkeypatch.setattr(QInputDialog, "getItem", pick)
    assert window.open_path(path)
    assert sorted(asked[0]) == ["other", "toy"]
    study = window.study
    assert isinstance(study.file, ForeignFile) and study.spec.name == "toy"
    n = len(study.trials)
    assert window.table.proxy.rowCount() == n and n in (7, 8)
    assert [p.name for p in study.space.params] == ["lr", "layers", "activation"]
    assert window.plots.columns.n == n
    assert not window.setup_dock.isVisible()  # no Knobs setup to show for it
    # Nothing can be run, noted or saved into it, and the run panel says why.
    assert not window.run_panel.run_button.isEnabled()
    assert "for analysis; Knobs never writes to it" in window.run_panel.message.text()
    dialog = open_study_notes(window)
    assert dialog.edit.isReadOnly()
    dialog.reject()
    assert not window.save_as(tmp_path / "copy.knobs")
    assert "Export its trials" in window.errors[-1]
    # Every plot draws it, the model ones included.
    surrogate = window.plots.show_plot("surrogate")
    qtbot.waitUntil(lambda: not surrogate.busy and surrogate.result is not None,
                    timeout=30_000)
    assert surrogate.result.param_x == "lr"
    window.new_study()
    assert window.setup_dock.isVisible()
    assert fingerprint(path) == before


def test_a_file_that_is_not_a_study_still_says_so(window, tmp_path):
    bad = tmp_path / "x.db"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    assert not window.open_path(bad)
    assert window.errors
