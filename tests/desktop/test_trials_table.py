"""The trials table: model, filter proxy and widget, driven with real trials of a real Study."""

from __future__ import annotations

import csv
import json

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QGuiApplication

from desktop.trial_feed import TrialFeed
from desktop.trials.code_snippet import python_code
from desktop.trials.filter_expr import parse_filter
from desktop.trials.model import NUMBER_ROLE, SORT_ROLE, TrialsModel
from desktop.trials.view import TrialErrorDialog, TrialsTableWidget
from engine.objectives.sklearn_catalog import get_model
from engine.space import CategoricalParam, Condition, FloatParam, IntParam
from engine.spec import StudySpec
from engine.study import Study
from engine.trial import TrialState

ERROR = (
    "RuntimeError: bad x 0.3\n"
    "Traceback (most recent call last):\n"
    '  File "x.py", line 3, in f\n'
    "RuntimeError: bad x 0.3"
)
FAILED = 3  # the trial number that fails in every study built here


def make_spec(direction: str = "minimize", **changes) -> StudySpec:
    return StudySpec(
        name="table", direction=direction, sampler="random", trials=1000, seed=1,
        params=(
            FloatParam("x", 0.0, 1.0),
            IntParam("n", 1, 20),
            CategoricalParam("kernel", ("rbf", "linear")),
            FloatParam("gamma", 1e-3, 1.0, log=True, condition=Condition("kernel", ("rbf",))),
        ),
        objective={"kind": "python", "path": "x.py", "function": "f"},
    ).evolve(**changes)


def run_trials(study: Study, count: int, *, running: int = 1, metrics: bool = True) -> None:
    """``count`` trials: trial k ends with value k (trial FAILED fails), the last ones run."""
    for _ in range(count):
        t = study.ask(worker=0)
        if t.number >= count - running:
            continue
        if t.number == FAILED:
            study.tell(t.number, TrialState.FAILED, error=ERROR)
        else:
            extra = {"acc": t.number / 100, "curve": [1, 2]} if metrics else {}
            study.tell(t.number, TrialState.COMPLETE, value=float(t.number), metrics=extra)


@pytest.fixture
def feed(qtbot):
    study = Study(make_spec())
    run_trials(study, 12)
    feed = TrialFeed()
    feed.set_study(study)
    yield feed
    feed.set_study(None)


@pytest.fixture
def table(qtbot, feed):
    widget = TrialsTableWidget(feed)
    qtbot.addWidget(widget)
    widget.resize(900, 500)
    widget.show()
    return widget


def column(model: TrialsModel, kind: str, name: str | None = None) -> int:
    c = model.column_of(kind, name)
    assert c >= 0, (kind, name)
    return c


def shown(table: TrialsTableWidget, kind: str = "number", name: str | None = None) -> list[str]:
    """The texts of one column, top to bottom, as the user sees them."""
    c = column(table.model, kind, name)
    return [table.proxy.index(r, c).data() for r in range(table.proxy.rowCount())]


def shown_numbers(table: TrialsTableWidget) -> list[int]:
    return [table.proxy.index(r, 0).data(NUMBER_ROLE) for r in range(table.proxy.rowCount())]


# --- the model ----------------------------------------------------------------------------


def assert_model_tester_silent(qtlog) -> None:
    # The C++ tester reports by warning, which fails no test unless we look.
    failures = [r.message for r in qtlog.records if "modeltest" in r.message or "FAIL" in r.message]
    assert not failures, failures


def test_model_passes_the_model_tester_through_updates_sorts_and_filters(
    qtmodeltester, qtlog, feed
):
    model = TrialsModel(feed)
    qtmodeltester.check(model)
    study = feed.study
    # More trials, a finished running one, and a metric never seen before (a new column).
    t = study.ask(worker=1)
    study.tell(11, TrialState.COMPLETE, value=0.5, metrics={"loss": 2.0})
    study.tell(t.number, TrialState.PRUNED, value=None)
    run_trials(study, 5, running=0)
    feed.flush()
    model.sort(column(model, "value"), Qt.SortOrder.DescendingOrder)
    model.set_filter(model.parse_filter("kernel=rbf")[0])
    qtmodeltester.check(model)
    feed.set_study(None)
    assert model.rowCount() == 0
    assert_model_tester_silent(qtlog)


def test_the_filter_proxy_passes_the_model_tester(qtmodeltester, qtlog, table):
    table.filter_edit.setText("value<6")
    qtmodeltester.check(table.proxy)
    table.sort_by(column(table.model, "param", "x"), Qt.SortOrder.DescendingOrder)
    run_trials(table.model.study, 4)
    table._feed.flush()
    qtmodeltester.check(table.proxy)
    assert_model_tester_silent(qtlog)


def test_rows_appear_in_one_block_and_only_changed_rows_are_repainted(qtbot, feed):
    model = TrialsModel(feed)
    inserted, changed = [], []
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    model.dataChanged.connect(lambda a, b, _roles: changed.append((a.row(), b.row())))
    study = feed.study
    t1, t2 = study.ask(), study.ask()
    study.tell(11, TrialState.COMPLETE, value=50.0)  # the running trial ends
    feed.flush()
    assert inserted == [(12, 13)]
    assert changed == [(11, 11)]
    assert model.rowCount() == 14
    study.tell(t1.number, TrialState.COMPLETE, value=60.0)
    study.tell(t2.number, TrialState.COMPLETE, value=70.0)
    feed.flush()
    assert changed[-1] == (12, 13)


def test_metric_columns_appear_when_metrics_first_arrive(feed):
    study = Study(make_spec())
    run_trials(study, 3, metrics=False)
    feed.set_study(study)
    model = TrialsModel(feed)
    assert model.column_of("metric", "acc") == -1
    t = study.ask()
    study.tell(t.number, TrialState.COMPLETE, value=1.0, metrics={"acc": 0.9, "curve": [1]})
    feed.flush()
    c = column(model, "metric", "acc")
    assert model.index(3, c).data() == "0.9"
    assert model.index(0, c).data() == ""
    assert model.column_of("metric", "curve") == -1  # lists are not table cells
    assert model.headerData(model.columnCount() - 1, Qt.Orientation.Horizontal) == "Notes"


# --- what the user sees ---------------------------------------------------------------------


def test_sorting_by_value_is_numeric_with_blanks_last(table):
    table.sort_by(column(table.model, "value"), Qt.SortOrder.AscendingOrder)
    values = shown(table, "value")
    assert values[:3] == ["0", "1", "2"]
    assert values.index("10") == values.index("9") + 1  # 10 after 9, not after 1
    assert values[-2:] == ["", ""]  # the failed and the running trial
    table.sort_by(column(table.model, "value"), Qt.SortOrder.DescendingOrder)
    values = shown(table, "value")
    assert values[:2] == ["10", "9"] and values[-2:] == ["", ""]
    assert table.view.horizontalHeader().sortIndicatorSection() == column(table.model, "value")


def test_sorting_by_a_parameter_uses_its_numbers(table):
    c = column(table.model, "param", "n")
    table.sort_by(c, Qt.SortOrder.AscendingOrder)
    keys = [table.proxy.index(r, c).data(SORT_ROLE) for r in range(table.proxy.rowCount())]
    assert keys == sorted(keys)
    assert [int(s) for s in shown(table, "param", "n")] == sorted(int(k) for k in keys)


def test_new_trials_take_their_place_in_a_sorted_table_and_the_selection_stays(table, feed):
    table.sort_by(column(table.model, "value"), Qt.SortOrder.AscendingOrder)
    feed.select(5)
    study = feed.study
    t = study.ask()
    study.tell(t.number, TrialState.COMPLETE, value=4.5)
    feed.flush()
    assert shown(table, "value")[3:6] == ["4", "4.5", "5"]  # trial 3 failed: no value
    assert table.view.currentIndex().data(NUMBER_ROLE) == 5
    assert table.view.selectionModel().isRowSelected(table.view.currentIndex().row())


def test_the_sort_stays_on_its_column_when_metric_columns_appear(table, feed):
    worker = column(table.model, "worker")
    table.sort_by(worker, Qt.SortOrder.DescendingOrder)
    study = feed.study
    t = study.ask(worker=7)
    study.tell(t.number, TrialState.COMPLETE, value=1.0, metrics={"loss": 0.1})
    feed.flush()
    worker = column(table.model, "worker")
    assert column(table.model, "metric", "loss") < worker < column(table.model, "note")
    assert table.model.sort_column == worker
    assert table.view.horizontalHeader().sortIndicatorSection() == worker
    assert shown(table, "worker")[0] == "8"  # worker 7 counted from 1, as the Timeline does


def test_inactive_parameters_are_blank(table):
    model = table.model
    gamma, kernel = column(model, "param", "gamma"), column(model, "param", "kernel")
    for r in range(model.rowCount()):
        if model.index(r, kernel).data() == "linear":
            assert model.index(r, gamma).data() == ""
            assert model.index(r, gamma).data(SORT_ROLE) is None
        else:
            assert model.index(r, gamma).data() != ""


@pytest.mark.parametrize("direction, best", [("minimize", 0), ("maximize", 10)])
def test_the_best_row_is_highlighted_for_the_direction(qtbot, direction, best):
    study = Study(make_spec(direction))
    run_trials(study, 12)
    feed = TrialFeed()
    feed.set_study(study)
    model = TrialsModel(feed)
    assert model.best_number == best == study.best_trial.number
    for r in range(model.rowCount()):
        index = model.index(r, 2)
        is_best = index.data(NUMBER_ROLE) == best
        assert (index.data(Qt.ItemDataRole.BackgroundRole) is not None) == is_best
        assert (index.data(Qt.ItemDataRole.FontRole) is not None) == is_best
    feed.set_study(None)


def test_a_failed_row_is_muted_and_says_why_on_hover(table):
    model = table.model
    row = model.row_of(FAILED)
    tip = model.index(row, column(model, "param", "x")).data(Qt.ItemDataRole.ToolTipRole)
    assert "RuntimeError: bad x 0.3" in tip
    assert "Traceback" not in tip
    assert model.index(row, 0).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert model.index(0, 0).data(Qt.ItemDataRole.ForegroundRole) is None
    assert model.index(row, column(model, "state")).data() == "Failed"


def test_numbers_are_right_aligned_and_text_left(table):
    model = table.model
    align = Qt.ItemDataRole.TextAlignmentRole
    assert model.index(0, column(model, "value")).data(align) & Qt.AlignmentFlag.AlignRight
    assert model.index(0, column(model, "param", "kernel")).data(align) & Qt.AlignmentFlag.AlignLeft


def test_the_filter_box_hides_rows(table):
    table.filter_edit.setText("kernel=rbf")
    kernels = shown(table, "param", "kernel")
    assert kernels and set(kernels) == {"rbf"}
    table.filter_edit.setText("value>=5 value<8")
    assert shown(table, "value") == ["5", "6", "7"]
    table.filter_edit.setText("linear")
    assert set(shown(table, "param", "kernel")) == {"linear"}
    assert table.count_label.text() == f"{table.proxy.rowCount()} of 12 trials"
    table.filter_edit.setText("")
    assert table.proxy.rowCount() == 12 and table.count_label.text() == "12 trials"


def test_a_filter_that_names_no_column_says_so_inline(table):
    table.filter_edit.setText("depth>3")
    assert table.problem_label.isVisible()
    assert "'depth': no such column" in table.problem_label.text()
    assert table.proxy.rowCount() == 12  # the unusable part filters nothing
    table.filter_edit.setText("value>3")
    assert not table.problem_label.isVisible()


def test_the_state_filter_shows_one_state_with_counts(qtbot, table):
    buttons = table.state_buttons
    assert buttons[TrialState.FAILED].text() == "Failed 1"
    assert buttons[TrialState.COMPLETE].text() == "Complete 10"
    qtbot.mouseClick(buttons[TrialState.FAILED], Qt.MouseButton.LeftButton)
    assert shown_numbers(table) == [FAILED]
    qtbot.mouseClick(buttons[TrialState.RUNNING], Qt.MouseButton.LeftButton)
    assert shown_numbers(table) == [FAILED, 11]
    # A running trial that fails stays visible; one that completes leaves the view.
    table.model.study.tell(11, TrialState.COMPLETE, value=3.0)
    table._feed.flush()
    assert shown_numbers(table) == [FAILED]
    for b in (buttons[TrialState.FAILED], buttons[TrialState.RUNNING]):
        qtbot.mouseClick(b, Qt.MouseButton.LeftButton)
    assert table.proxy.rowCount() == 12


# --- the row menu ---------------------------------------------------------------------------


def menu_action(table: TrialsTableWidget, number: int, text: str):
    actions = {a.text(): a for a in table.row_menu(number).actions() if a.text()}
    return actions.get(text)


def test_copy_params_as_json(table):
    menu_action(table, 2, "Copy params as JSON").trigger()
    assert json.loads(QGuiApplication.clipboard().text()) == table.model.study.trials[2].params


def test_copy_as_python_code_is_a_dict_for_a_python_objective(table):
    menu_action(table, 2, "Copy as Python code").trigger()
    code = QGuiApplication.clipboard().text()
    scope: dict = {}
    exec(compile(code, "<clipboard>", "exec"), scope)
    assert scope["params"] == table.model.study.trials[2].params


def test_copy_as_python_code_builds_the_catalog_estimator(qtbot):
    entry = get_model("mlp_classifier")
    spec = StudySpec(
        name="mlp", params=entry.params, direction="maximize", sampler="random", seed=2,
        objective={"kind": "sklearn", "model": "mlp_classifier", "dataset": "digits", "seed": 7},
    )
    study = Study(spec)
    trial = study.ask()
    code = python_code(spec.objective, trial)
    assert "from sklearn.neural_network import MLPClassifier" in code
    assert "layers" not in code.split("MLPClassifier(", 1)[1]  # translated, not passed
    scope: dict = {}
    exec(compile(code, "<clipboard>", "exec"), scope)
    got = scope["model"].get_params()
    units, layers = trial.params["units"], trial.params["layers"]
    assert got["hidden_layer_sizes"] == (units,) * layers
    assert got["learning_rate_init"] == trial.params["learning_rate_init"]
    assert got["random_state"] == 7


def test_rerun_emits_the_params(qtbot, table):
    with qtbot.waitSignal(table.rerun_requested) as blocker:
        menu_action(table, 5, "Re-run this configuration").trigger()
    assert blocker.args == [table.model.study.trials[5].params]


def test_show_error_only_for_failed_trials_with_the_traceback_folded_away(qtbot, table):
    assert menu_action(table, 2, "Show error…") is None
    menu_action(table, FAILED, "Show error…").trigger()
    dialog = table.findChild(TrialErrorDialog)
    assert dialog is not None and dialog.isVisible()
    assert "RuntimeError: bad x 0.3" in dialog.reason_label.text()
    assert "Traceback" not in dialog.reason_label.text()
    assert not dialog.details_edit.isVisible()
    qtbot.mouseClick(dialog.details_button, Qt.MouseButton.LeftButton)
    assert dialog.details_edit.isVisible()
    assert "Traceback (most recent call last)" in dialog.details_edit.toPlainText()
    dialog.reject()


def test_double_clicking_a_failed_row_opens_its_error(qtbot, table):
    index = table.proxy.mapFromSource(table.model.index(table.model.row_of(FAILED), 1))
    rect = table.view.visualRect(index)
    # A real double-click starts with a press; QTest's sends only the second half.
    qtbot.mouseClick(table.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    dialog = table.findChild(TrialErrorDialog)
    assert dialog is not None and dialog.windowTitle() == f"Trial {FAILED} failed"
    dialog.reject()


# --- export and selection -------------------------------------------------------------------


def select_numbers(table: TrialsTableWidget, numbers: list[int]) -> None:
    selection = table.view.selectionModel()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for n in numbers:
        selection.select(table.proxy.mapFromSource(table.model.index(table.model.row_of(n), 0)),
                         flags)


def test_export_csv_of_selected_rows_has_exactly_those_rows(table, tmp_path):
    table.sort_by(column(table.model, "value"), Qt.SortOrder.DescendingOrder)
    select_numbers(table, [7, FAILED, 2])
    path = tmp_path / "selected.csv"
    assert table.export(path, "csv", selected_only=True) == 3
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["number"]) for r in rows] == [2, FAILED, 7]
    assert rows[1]["state"] == "failed" and rows[1]["value"] == ""
    assert {"x", "n", "kernel", "gamma", "acc"} <= set(rows[0])


def test_export_json_of_all_trials(table, tmp_path):
    table.filter_edit.setText("kernel=rbf")  # a filter does not limit "all trials"
    path = tmp_path / "all.json"
    assert table.export(path, "JSON") == 12
    payload = json.loads(path.read_text(encoding="utf-8"))
    assert [t["number"] for t in payload["trials"]] == list(range(12))
    assert payload["study"]["name"] == "table"
    with pytest.raises(ValueError, match="fmt = 'xlsx'"):
        table.export(tmp_path / "x.xlsx", "xlsx")


def test_the_export_button_saves_the_selection_where_the_user_chose(monkeypatch, table, tmp_path):
    path = tmp_path / "picked.json"
    monkeypatch.setattr(
        "desktop.trials.view.QFileDialog.getSaveFileName", lambda *a, **k: (str(path), "")
    )
    select_numbers(table, [1, 5])
    menu = table.export_button.menu()
    menu.aboutToShow.emit()
    action = next(a for a in menu.actions() if a.text() == "Selected trials as JSON…")
    assert action.isEnabled()
    action.trigger()
    payload = json.loads(path.read_text(encoding="utf-8"))
    assert [t["number"] for t in payload["trials"]] == [1, 5]


def test_selection_follows_the_feed_and_the_feed_follows_clicks(qtbot, table, feed):
    table.sort_by(column(table.model, "value"), Qt.SortOrder.DescendingOrder)
    feed.select(4)
    current = table.view.currentIndex()
    assert current.data(NUMBER_ROLE) == 4
    assert table.view.selectionModel().isRowSelected(current.row())
    index = table.proxy.mapFromSource(table.model.index(table.model.row_of(8), 2))
    with qtbot.waitSignal(feed.selected) as blocker:
        qtbot.mouseClick(table.view.viewport(), Qt.MouseButton.LeftButton,
                         pos=table.view.visualRect(index).center())
    assert blocker.args == [8] and feed.selection == 8
    feed.select(-1)
    assert not table.view.selectionModel().hasSelection()


def test_hidden_columns_stay_hidden_when_a_new_study_opens(table, feed):
    c = column(table.model, "param", "gamma")
    table.set_column_visible(c, False)
    assert table.view.isColumnHidden(c)
    study = Study(make_spec())
    run_trials(study, 4)
    feed.set_study(study)
    assert table.model.rowCount() == 4
    assert table.view.isColumnHidden(column(table.model, "param", "gamma"))
    menu = {a.text(): a for a in table.header_menu().actions()}
    assert not menu["gamma"].isChecked() and menu["x"].isChecked()


def test_big_tables_re_sort_live_updates_on_a_timer(qtbot, monkeypatch, table, feed):
    monkeypatch.setattr("desktop.trials.model.LIVE_RESORT_ROWS", 5)
    table.sort_by(column(table.model, "value"), Qt.SortOrder.DescendingOrder)
    table.model._resort_timer.setInterval(10)
    study = feed.study
    study.tell(11, TrialState.COMPLETE, value=99.0)  # the running trial ends, best of all
    feed.flush()
    assert shown(table, "value")[0] == "10"  # not moved yet
    qtbot.waitUntil(lambda: shown(table, "value")[0] == "99", timeout=2000)


# --- without Qt -------------------------------------------------------------------------------


def test_parse_filter_explains_what_it_cannot_use(feed):
    model = TrialsModel(feed)
    f, problems = parse_filter("kernel>rbf n>=x value<2 fast x<", model.columns,
                               lambda c, t: 0.0 if t == "rbf" else None)
    assert [c.key for c in f.comparisons] == [("value", "value")]
    assert f.words == ("fast",)
    assert len(problems) == 3
    assert "holds choices" in problems[0] and "has no value 'x'" in problems[1]
    assert "add a value" in problems[2]


def test_bulk_keys_and_texts_match_cell_by_cell(feed):
    """Opening a study builds columns in bulk; live updates go cell by cell: same result."""
    study = feed.study
    for metrics in ({"note": "slow", "acc": 0.5}, {"acc": [1, 2]}, {"acc": 3}):
        t = study.ask()
        study.tell(t.number, TrialState.COMPLETE, value=1.5, metrics=metrics)
    feed.flush()
    live = TrialsModel(feed)
    for t in study.trials[-3:]:
        feed._pending[t.number] = t  # the same trials arrive again, one at a time
    feed.flush()
    fresh = TrialsModel(feed)
    assert [c.key for c in live.columns] == [c.key for c in fresh.columns]
    for c in range(fresh.columnCount()):
        for r in range(fresh.rowCount()):
            assert live.index(r, c).data() == fresh.index(r, c).data(), (r, c)
            assert live.index(r, c).data(SORT_ROLE) == fresh.index(r, c).data(SORT_ROLE)
    # Words are found a column at a time; the answer is the row-by-row one.
    rows = range(fresh.rowCount())
    for word in ("slow", "rbf", "1.5", "complete", "running", "0", "8", "0.0"):
        found = fresh._words.rows_with_all([word], fresh._word_columns(), fresh.rowCount(),
                                           feed.columns.version)
        assert found.tolist() == [word in fresh._row_text(i) for i in rows], word
    assert "slow" in fresh._row_text(fresh.rowCount() - 3)
