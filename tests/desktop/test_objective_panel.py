"""The objective panel, driven through its widgets as a user would."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableView,
    QTableWidget,
    QWidget,
)

from desktop.setup.objective_panel import ObjectivePanel
from engine.objectives.sklearn_catalog import (
    CLASSIFICATION,
    REGRESSION,
    default_space,
    metrics_for,
    models_for,
)
from engine.space import SearchSpace


@pytest.fixture
def panel(qtbot, tmp_path):
    widget = ObjectivePanel()
    widget.set_base_dir(tmp_path)
    qtbot.addWidget(widget)
    widget.resize(480, 700)
    widget.show()
    return widget


def child(panel: ObjectivePanel, cls: type[QWidget], name: str):
    widget = panel.findChild(cls, name)
    assert widget is not None, f"no {cls.__name__} named {name!r}"
    return widget


def items(combo: QComboBox) -> list:
    """The values behind a combo's selectable items (group titles have none)."""
    return [combo.itemData(i) for i in range(combo.count()) if combo.itemData(i) is not None]


def shown_problem(panel: ObjectivePanel, widget: QWidget, *words: str) -> bool:
    """The widget is outlined and both its tooltip and the message label name ``words``."""
    label = child(panel, QLabel, "problems")
    return (widget.property("problem") is True and label.isVisible()
            and all(w in widget.toolTip() and w in label.text() for w in words))


def choose(combo: QComboBox, value) -> None:
    index = combo.findData(value)
    assert index >= 0, f"{value!r} is not offered; offered: {items(combo)}"
    combo.setCurrentIndex(index)


def open_csv(panel: ObjectivePanel, qtbot, path: Path) -> None:
    choose(child(panel, QComboBox, "dataset"), "\x00csv")
    field = child(panel, QLineEdit, "csv_path")
    field.clear()
    qtbot.keyClicks(field, path.name)  # typed relative to the study's folder (tmp_path)
    wait_read(panel, qtbot)


def wait_read(panel: ObjectivePanel, qtbot) -> None:
    """Until the file is read and checked (both happen on worker threads)."""
    qtbot.waitUntil(lambda: not any(w in p for p in panel.problems()
                                    for w in ("CSV file: reading", "CSV file: checking")))


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def churn_rows(n: int = 12) -> list[str]:
    rows = ["age,colour,price,label"]
    for i in range(n):
        rows.append(f"{20 + i},{'red' if i % 3 else 'blue'},{1.5 * i + 0.25},"
                    f"{'yes' if i % 2 else 'no'}")
    return rows


# ---------------------------------------------------------------------------- sklearn


def test_choosing_a_model_suggests_its_default_space(panel, qtbot):
    model = child(panel, QComboBox, "model")
    assert items(model) == [e.id for e in models_for(CLASSIFICATION)]  # iris: classification
    with qtbot.waitSignal(panel.default_space_suggested) as blocker:
        choose(model, "svc")
    params = blocker.args[0]
    space = SearchSpace(tuple(params))
    assert space.names == default_space("svc").names
    panel.set_param_names(space.names)
    assert panel.problems() == []
    assert model.currentText() == "Support vector machine"


def test_a_csv_fills_the_target_list_and_preview_and_sets_the_task(panel, qtbot, tmp_path):
    path = write_csv(tmp_path / "data.csv", churn_rows())
    open_csv(panel, qtbot, path)

    target = child(panel, QComboBox, "target")
    assert items(target) == ["age", "colour", "price", "label"]
    assert target.currentData() == "label"  # the last column, the usual place
    preview = child(panel, QTableView, "preview")
    assert preview.isVisible()
    model = preview.model()
    assert model.rowCount() == 8 and model.columnCount() == 4
    assert [model.index(0, c).data() for c in range(4)] == ["20", "blue", "0.25", "no"]
    assert "classification" in child(panel, QComboBox, "task").itemText(0)
    assert "12 rows" in child(panel, QLabel, "csv_info").text()
    assert items(child(panel, QComboBox, "metric")) == metrics_for(CLASSIFICATION)
    assert panel.settings()["csv"] == "data.csv"
    assert panel.problems() == []

    # A column of fractional numbers is a regression target: models and metrics follow.
    choose(child(panel, QComboBox, "model"), "random_forest_classifier")
    with qtbot.waitSignal(panel.default_space_suggested):
        choose(target, "price")
    assert "regression" in child(panel, QComboBox, "task").itemText(0)
    assert child(panel, QComboBox, "model").currentData() == "random_forest_regressor"
    assert items(child(panel, QComboBox, "model")) == [e.id for e in models_for(REGRESSION)]
    assert panel.settings()["metric"] == "r2"
    assert panel.direction() == "maximize"


def test_clicking_a_preview_heading_chooses_the_column_to_predict(panel, qtbot, tmp_path):
    open_csv(panel, qtbot, write_csv(tmp_path / "data.csv", churn_rows()))
    header = child(panel, QTableView, "preview").horizontalHeader()
    header.parentWidget().scrollTo(header.model().index(0, 1))
    where = QPoint(header.sectionViewportPosition(1) + 5, header.height() // 2)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=where)
    assert child(panel, QComboBox, "target").currentData() == "colour"
    assert panel.settings()["target"] == "colour"


def test_a_metric_that_does_not_fit_the_task_is_not_offered_and_is_flagged(panel, qtbot):
    metric = child(panel, QComboBox, "metric")
    assert "rmse" not in items(metric)  # iris is a classification data set
    choose(metric, "log_loss")
    assert panel.direction() == "minimize"
    assert "lower is better" in metric.currentText()

    # A study file can still name one; it is shown, outlined and explained.
    panel.set_settings({"kind": "sklearn", "model": "svc", "dataset": "iris", "metric": "rmse",
                        "folds": 5})
    assert any("Score = 'rmse'" in p and "accuracy" in p for p in panel.problems())
    assert shown_problem(panel, metric, "rmse")
    assert metric.currentData() == "rmse"

    choose(metric, "accuracy")
    qtbot.waitUntil(lambda: metric.property("problem") is False)
    assert not child(panel, QLabel, "problems").isVisible()


def test_text_in_a_numeric_column_is_shown_on_the_file_field(panel, qtbot, tmp_path):
    rows = churn_rows()
    rows[4] = "twenty,red,3.0,no"  # one word among the ages
    open_csv(panel, qtbot, write_csv(tmp_path / "bad.csv", rows))
    field = child(panel, QLineEdit, "csv_path")
    qtbot.waitUntil(lambda: shown_problem(panel, field, "'age'", "'twenty'", "line 5"))


def test_a_target_with_one_class_is_flagged_until_another_column_is_chosen(
    panel, qtbot, tmp_path
):
    rows = ["age,colour,label"] + [f"{20 + i},{'red' if i % 2 else 'blue'},yes"
                                   for i in range(10)]
    open_csv(panel, qtbot, write_csv(tmp_path / "one_class.csv", rows))
    target = child(panel, QComboBox, "target")
    qtbot.waitUntil(lambda: shown_problem(panel, target, "'label'", "two classes"))
    with qtbot.waitSignal(panel.validity_changed) as blocker:
        choose(target, "colour")
    assert blocker.args == [True]
    assert target.property("problem") is False


def test_a_target_missing_from_the_file_is_listed_and_flagged(panel, qtbot, tmp_path):
    write_csv(tmp_path / "data.csv", churn_rows())
    panel.set_settings({"kind": "sklearn", "model": "svc", "csv": "data.csv", "target": "Label",
                        "metric": "accuracy", "folds": 3})
    wait_read(panel, qtbot)
    target = child(panel, QComboBox, "target")
    assert target.currentData() == "Label"
    assert shown_problem(panel, target, "'Label'", "'label'")


def test_a_study_file_with_more_folds_than_rows_per_class(panel, qtbot, tmp_path):
    write_csv(tmp_path / "data.csv", churn_rows(8))  # 4 rows per class
    panel.set_settings({"kind": "sklearn", "model": "svc", "csv": "data.csv", "target": "label",
                        "metric": "accuracy", "folds": 6})
    wait_read(panel, qtbot)
    assert shown_problem(panel, child(panel, QSpinBox, "folds"), "Cross-validation folds = 6")


# ---------------------------------------------------------------------------- command


def test_an_unknown_placeholder_in_the_command_is_flagged_until_fixed(panel, qtbot):
    child(panel, QRadioButton, "kind_command").click()
    panel.set_param_names(["learning_rate", "batch_size"])
    command = child(panel, QPlainTextEdit, "command")
    command.setPlainText("python train.py --lr {learning_rate} --layers {layers}")
    qtbot.waitUntil(lambda: shown_problem(panel, command, "{layers}", "learning_rate"))
    placeholders = child(panel, QLabel, "placeholders")
    assert "not a parameter" in placeholders.text() and "batch_size" in placeholders.text()
    assert panel.direction() is None

    command.setPlainText("python train.py --lr {learning_rate} --batch-size {batch_size}")
    qtbot.waitUntil(lambda: command.property("problem") is False)
    assert panel.problems() == []


def test_environment_rows_are_added_edited_and_checked(panel, qtbot):
    child(panel, QRadioButton, "kind_command").click()
    child(panel, QPlainTextEdit, "command").setPlainText("python train.py")
    table = child(panel, QTableWidget, "env")
    add = next(b for b in panel.findChildren(QPushButton) if b.text() == "Add")
    for name, value in (("OMP_NUM_THREADS", "1"), ("OMP_NUM_THREADS", "2")):
        add.click()
        with qtbot.waitSignal(panel.changed):
            table.item(table.rowCount() - 1, 0).setText(name)
        table.item(table.rowCount() - 1, 1).setText(value)
    qtbot.waitUntil(lambda: shown_problem(panel, table, "OMP_NUM_THREADS", "more than one row"))

    table.item(1, 0).setText("MODE")
    qtbot.waitUntil(lambda: table.property("problem") is False)
    assert panel.settings()["env"] == {"OMP_NUM_THREADS": "1", "MODE": "2"}


# ---------------------------------------------------------------------------- python


def test_python_functions_are_listed_without_running_the_file(panel, qtbot, tmp_path):
    marker = tmp_path / "ran.txt"
    source = tmp_path / "objective.py"
    source.write_text(
        f"open({str(marker)!r}, 'w').write('imported')\n"
        "raise SystemExit('importing this file is not allowed')\n\n"
        "def train(params):\n    def inner():\n        pass\n    return 1.0\n\n"
        "class Helper:\n    def method(self):\n        pass\n\n"
        "def train_model(params, report):\n    return 2.0\n",
        encoding="utf-8",
    )
    child(panel, QRadioButton, "kind_python").click()
    qtbot.keyClicks(child(panel, QLineEdit, "py_path"), "objective.py")
    function = child(panel, QComboBox, "function")
    assert [function.itemText(i) for i in range(function.count())] == ["train", "train_model"]
    assert function.currentText() == "train"
    assert panel.problems() == []
    assert not marker.exists()
    assert not any(getattr(m, "__file__", None) == str(source) for m in list(sys.modules.values()))

    # "def train_model" must not pass for a function named "train_m".
    function.setEditText("train_m")
    qtbot.waitUntil(lambda: shown_problem(panel, function, "'train_m'", "train_model"))
    assert not marker.exists()


# ---------------------------------------------------------------------------- all kinds


ROUND_TRIPS = {
    "bundled": {"kind": "sklearn", "model": "hist_gradient_boosting_regressor",
                "dataset": "diabetes", "metric": "mae", "holdout": 0.25, "seed": 7},
    "csv": {"kind": "sklearn", "model": "random_forest_classifier", "csv": "data.csv",
            "target": "label", "task": "classification", "metric": "f1_macro", "folds": 3},
    "command": {"kind": "command", "command": "python train.py --lr {lr:.3g}",
                "workdir": "runs", "env": {"OMP_NUM_THREADS": "1", "MODE": "fast"},
                "score_regex": "accuracy: ([0-9.]+)", "timeout_s": 60},
    "python": {"kind": "python", "path": "objective.py", "function": "train"},
}


@pytest.mark.parametrize("name", ROUND_TRIPS)
def test_settings_round_trip_with_one_changed_signal(panel, qtbot, tmp_path, name):
    write_csv(tmp_path / "data.csv", churn_rows())
    settings = ROUND_TRIPS[name]
    emitted = []
    panel.changed.connect(lambda: emitted.append(1))
    panel.set_settings(settings)
    assert emitted == [1]
    assert panel.settings() == settings

    again = ObjectivePanel()
    qtbot.addWidget(again)
    again.set_base_dir(tmp_path)
    again.set_settings(panel.settings())
    assert again.settings() == settings


def test_switching_kinds_keeps_each_kinds_settings(panel, tmp_path):
    panel.set_settings(ROUND_TRIPS["bundled"])
    child(panel, QRadioButton, "kind_command").click()
    child(panel, QPlainTextEdit, "command").setPlainText("python train.py")
    assert panel.settings() == {"kind": "command", "command": "python train.py"}
    child(panel, QRadioButton, "kind_sklearn").click()
    assert panel.settings() == ROUND_TRIPS["bundled"]
    child(panel, QRadioButton, "kind_command").click()
    assert panel.settings()["command"] == "python train.py"


def test_read_only_blocks_edits(panel):
    panel.set_read_only(True)
    assert not child(panel, QComboBox, "model").isEnabled()
    assert not child(panel, QRadioButton, "kind_command").isEnabled()
    assert child(panel, QLineEdit, "csv_path").isReadOnly()
    assert child(panel, QPlainTextEdit, "command").isReadOnly()
    panel.set_read_only(False)
    assert child(panel, QComboBox, "model").isEnabled()


def test_an_unknown_kind_is_explained(panel):
    panel.set_settings({"kind": "pytorch", "script": "x.py"})
    assert any("'pytorch'" in p and "command" in p for p in panel.problems())
    child(panel, QRadioButton, "kind_python").click()
    assert not any("'pytorch'" in p for p in panel.problems())


def test_browse_fills_the_field_with_the_chosen_file(panel, qtbot, tmp_path, monkeypatch):
    path = write_csv(tmp_path / "picked.csv", churn_rows())
    monkeypatch.setattr("desktop.setup.form_base.QFileDialog.getOpenFileName",
                        lambda *args: (str(path), "CSV files (*.csv)"))
    choose(child(panel, QComboBox, "dataset"), "\x00csv")
    field = child(panel, QLineEdit, "csv_path")
    browse = field.parent().findChild(QPushButton)
    with qtbot.waitSignal(panel.changed):
        browse.click()
    assert field.text() == str(path)
    wait_read(panel, qtbot)
    assert child(panel, QComboBox, "target").currentData() == "label"
    assert panel.problems() == []


def test_a_csv_in_another_encoding_reads_once_its_encoding_is_set(panel, qtbot, tmp_path):
    path = tmp_path / "accents.csv"
    rows = ["âge,couleur,label"] + [f"{20 + i},{'rouge' if i % 2 else 'bleu'},"
                                   f"{'oui' if i % 3 else 'non'}" for i in range(12)]
    path.write_bytes(("\n".join(rows) + "\n").encode("cp1252"))
    open_csv(panel, qtbot, path)
    field = child(panel, QLineEdit, "csv_path")
    encoding = child(panel, QLineEdit, "encoding")
    assert encoding.isVisible() and encoding.placeholderText() == "utf-8"
    # The advice names the field the user can see, and that field is outlined.
    qtbot.waitUntil(lambda: shown_problem(panel, field, "CSV text encoding", "cp1252"))
    qtbot.keyClicks(encoding, "nonsense-enc")
    qtbot.waitUntil(lambda: shown_problem(panel, encoding, "'nonsense-enc'", "latin-1"))
    encoding.clear()
    qtbot.keyClicks(encoding, "cp1252")
    target = child(panel, QComboBox, "target")
    qtbot.waitUntil(lambda: "âge" in items(target))
    choose(target, "label")
    qtbot.waitUntil(lambda: "'label' has 2 classes" in child(panel, QLabel, "csv_info").text())
    assert panel.settings()["encoding"] == "cp1252"


def test_a_folder_given_as_the_csv_file_is_called_a_folder(panel, qtbot, tmp_path):
    (tmp_path / "data").mkdir()
    choose(child(panel, QComboBox, "dataset"), "\x00csv")
    field = child(panel, QLineEdit, "csv_path")
    qtbot.keyClicks(field, "data")
    qtbot.waitUntil(lambda: shown_problem(panel, field, "'data' is a folder"))
    assert not any("no such file" in p for p in panel.problems())
