"""Several studies side by side in the Studies window, opened from the Analysis menu."""

import math
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from engine.space import FloatParam
from engine.spec import StudySpec
from engine.study import Study
from engine.trial import TrialState

DATA = Path(__file__).parents[1] / "engine" / "data"


def make(path: Path, sampler: str) -> Path:
    spec = StudySpec(name=f"quad {sampler}", params=(FloatParam("x", 0.0, 1.0),),
                     objective={"kind": "python", "path": "x.py", "function": "f"},
                     sampler=sampler, trials=12, seed=2)
    study = Study.create(spec, path)
    while (t := study.ask()) is not None:
        study.tell(t.number, TrialState.COMPLETE, value=(t.params["x"] - 0.3) ** 2)
    study.close()
    return path


@pytest.fixture
def studies(qtbot, window, tmp_path):

    assert window.open_path(make(tmp_path / "random.knobs", "random"))
    window.compare_action.trigger()
    studies = window.studies_window
    assert studies.isVisible()
    return studies, tmp_path


def table_column(studies, title: str) -> list[str]:
    heads = [studies.table.horizontalHeaderItem(c).text()
             for c in range(studies.table.columnCount())]
    c = heads.index(title)
    return [studies.table.item(r, c).text() for r in range(studies.table.rowCount())]


def test_studies_are_listed_overlaid_and_their_best_trials_tabled(qtbot, studies):
    studies, tmp_path = studies
    assert [studies.list.item(i).text() for i in range(studies.list.count())] == ["quad random"]
    assert studies.add_path(make(tmp_path / "sobol.knobs", "sobol"))
    assert studies.add_path(DATA / "optuna_two_studies.db", "toy")
    assert studies.list.count() == 3
    assert table_column(studies, "Study") == ["quad random", "quad sobol", "toy"]
    assert table_column(studies, "Complete") == ["12 of 12", "12 of 12", "6 of 8"]
    # Every study's own parameters get a column; a study without one leaves it blank.
    assert table_column(studies, "x")[2] == "" and table_column(studies, "lr")[0] == ""
    best = [float(v) for v in table_column(studies, "Value")]
    curves = studies.comparison.curves
    assert [float(f"{c.best[-1]:.6g}") for c in curves] == best
    lines = [i for i in studies.history.getPlotItem().listDataItems() if i.name()]
    assert [i.name() for i in lines] == ["quad random", "quad sobol", "toy"]
    # By wall time, the x of each line is seconds since its own study began.
    studies.by_time.click()
    assert "Wall time" in studies.history.getPlotItem().getAxis("bottom").labelText
    xs = [i.getData()[0] for i in studies.history.getPlotItem().listDataItems() if i.name()]
    assert all(x[0] >= 0 and math.isfinite(x[-1]) for x in xs)
    # Unticking a study takes it out of the plots and the table.
    studies.list.item(1).setCheckState(Qt.CheckState.Unchecked)
    assert table_column(studies, "Study") == ["quad random", "toy"]


def test_a_file_that_is_not_a_study_is_refused_inline(studies):
    studies, tmp_path = studies
    bad = tmp_path / "notes.knobs"
    bad.write_text("not a study")
    assert not studies.add_path(bad)
    assert studies.problem.isVisible()
    assert studies.problem.text().startswith("Cannot add notes.knobs: ")
    assert "not an SQLite database" in studies.problem.text()
    assert studies.list.count() == 1
