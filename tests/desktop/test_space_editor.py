"""The space editor, driven through its real widgets as a person would use it."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QListWidget,
    QPlainTextEdit,
    QTableView,
    QToolBar,
)

from desktop.setup.param_form import ParamFormWidget
from desktop.setup.param_rows import (
    ParamRow,
    ParseError,
    format_value,
    format_values,
    parse_number,
    parse_values,
    validate,
)
from desktop.setup.param_table import ParamTableModel
from desktop.setup.space_editor import SpaceEditorWidget
from engine.space import CategoricalParam, Condition, FixedParam, FloatParam, IntParam

RICH_SPACE = [
    FloatParam("lr", 1e-5, 0.3, log=True, grid=(1e-4, 0.001, 0.01),
               help="How big a step the optimizer takes."),
    IntParam("units", 8, 512, log=True, grid_points=4),
    IntParam("layers", 1, 7, step=2),
    FloatParam("dropout", 0.0, 0.5, step=0.1, grid_points=3),
    CategoricalParam("solver", ("adam", "sgd", "lbfgs")),
    CategoricalParam("mixed", (True, False, 3, 0.5, 1.0, "1", "true", "a, b", 'say "hi"', " pad")),
    FloatParam("momentum", 0.5, 0.99, condition=Condition("solver", ("sgd",))),
    CategoricalParam("nesterov", (False, True), condition=Condition("momentum", (0.9,)),
                     help="Look ahead before each step."),
    FixedParam("epochs", 10),
    FixedParam("tag", "v1", condition=Condition("solver", ("adam", "lbfgs"))),
    FixedParam("flag", False, condition=Condition("mixed", (True, 3, "1"))),
]


@pytest.fixture
def editor(qtbot):
    widget = SpaceEditorWidget()
    qtbot.addWidget(widget)
    widget.resize(520, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def field(editor, name):
    return editor.findChild(ParamFormWidget).fields[name]


def message(editor, name):
    return editor.findChild(ParamFormWidget).message_text(name)


def has_problem(widget):
    return bool(widget.property("problem"))


def retype(qtbot, edit, text):
    """Replace a line edit's text by typing, as a person would."""
    edit.setFocus()
    edit.selectAll()
    if text:
        qtbot.keyClicks(edit, text)
    else:
        qtbot.keyClick(edit, Qt.Key.Key_Backspace)


def click_action(qtbot, editor, name):
    action = editor.findChild(QAction, name)
    button = editor.findChild(QToolBar).widgetForAction(action)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def table(editor):
    return editor.findChild(QTableView, "param_table")


def names_in_table(editor):
    model = table(editor).model()
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def select(editor, row):
    view = table(editor)
    view.setCurrentIndex(view.model().index(row, 0))


def choose(combo: QComboBox, data):
    """Pick an item the way a click does: the 'activated' signal fires."""
    index = combo.findData(data)
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


# --- building a space through the forms ------------------------------------------------------


def test_add_a_parameter_and_type_its_name_and_range(qtbot, editor):
    assert not editor.is_valid()
    assert "add at least one parameter" in editor.problems()[0].lower()

    with qtbot.waitSignal(editor.validity_changed) as valid:
        click_action(qtbot, editor, "add_param")
    assert valid.args == [True]
    assert field(editor, "name").hasFocus()

    retype(qtbot, field(editor, "name"), "learning_rate")
    retype(qtbot, field(editor, "low"), "1e-4")
    retype(qtbot, field(editor, "high"), "0.1")
    qtbot.mouseClick(field(editor, "log"), Qt.MouseButton.LeftButton)

    assert editor.params() == [FloatParam("learning_rate", 1e-4, 0.1, log=True)]
    assert names_in_table(editor) == ["learning_rate"]
    assert table(editor).model().index(0, 2).data() == "1e-4 … 0.1, log"
    assert editor.summary_text() == "1 parameter · grid of 5 combinations"


def test_low_not_below_high_shows_on_the_field_and_clears_when_fixed(qtbot, editor):
    editor.set_params([FloatParam("x", 0.0, 1.0)])
    high = field(editor, "high")

    with qtbot.waitSignal(editor.validity_changed) as became:
        retype(qtbot, high, "0")
    assert became.args == [False]
    assert has_problem(high)
    assert "must be greater than low (0.0)" in high.toolTip()
    assert message(editor, "high") == "high = 0: must be greater than low (0.0)"
    assert editor.problems() == ["parameter 'x', high = 0: must be greater than low (0.0)"]
    assert editor.params() is None
    assert "1 problem to fix" in editor.summary_text()
    assert editor.findChild(QListWidget, "problems_list").isVisible()

    with qtbot.waitSignal(editor.validity_changed) as became:
        qtbot.keyClicks(high, ".5")
    assert became.args == [True]
    assert not has_problem(high)
    assert "must be greater" not in high.toolTip()
    assert message(editor, "high") == ""
    assert editor.problems() == []
    assert not editor.findChild(QListWidget, "problems_list").isVisible()


def test_log_scale_needs_a_positive_low(qtbot, editor):
    editor.set_params([FloatParam("alpha", 0.0, 1.0)])
    low = field(editor, "low")
    qtbot.mouseClick(field(editor, "log"), Qt.MouseButton.LeftButton)
    assert has_problem(low)
    assert message(editor, "low") == "low = 0: must be greater than 0 on a log scale"

    retype(qtbot, low, "1e-6")
    assert not has_problem(low)
    assert editor.params() == [FloatParam("alpha", 1e-6, 1.0, log=True)]


def test_a_repeated_name_is_flagged_on_the_second_row(qtbot, editor):
    editor.set_params([IntParam("units", 8, 64), IntParam("layers", 1, 3)])
    select(editor, 1)
    name = field(editor, "name")
    retype(qtbot, name, "units")

    assert has_problem(name)
    assert "another parameter already has this name" in name.toolTip()
    model = table(editor).model()
    assert model.index(1, 0).data(Qt.ItemDataRole.DecorationRole) is not None
    assert model.index(0, 0).data(Qt.ItemDataRole.DecorationRole) is None

    select(editor, 0)
    assert not has_problem(field(editor, "name"))  # the first 'units' is fine
    select(editor, 1)
    qtbot.keyClicks(field(editor, "name"), "_2")
    assert not has_problem(field(editor, "name"))
    assert editor.is_valid()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("abc", "low = 'abc': expected a number"),
        ("0,5", "low = '0,5': expected a number; write decimals with a dot, e.g. 0.5"),
        ("", "low = '': enter a number"),
    ],
)
def test_text_that_is_not_a_number_is_a_problem_of_its_field(qtbot, editor, text, expected):
    editor.set_params([FloatParam("x", 0.0, 1.0)])
    retype(qtbot, field(editor, "low"), text)
    assert has_problem(field(editor, "low"))
    assert not has_problem(field(editor, "high"))
    assert message(editor, "low") == expected
    assert editor.problems() == [f"parameter 'x', {expected}"]


def test_a_whole_number_parameter_refuses_decimals(qtbot, editor):
    editor.set_params([IntParam("n", 1, 10)])
    retype(qtbot, field(editor, "high"), "2.5")
    assert message(editor, "high") == "high = '2.5': expected a whole number"


def test_a_condition_on_a_value_the_parent_never_takes(qtbot, editor):
    editor.set_params([
        CategoricalParam("solver", ("adam", "sgd")),
        FloatParam("momentum", 0.5, 0.99, condition=Condition("solver", ("sgd",))),
    ])
    select(editor, 1)
    when = field(editor, "when")
    assert when.placeholderText() == "one or more of: adam, sgd"

    retype(qtbot, when, "sgd, lbfgs")
    assert has_problem(when)
    assert not has_problem(field(editor, "parent"))
    assert message(editor, "when") == (
        "condition = 'lbfgs': 'solver' can never take this value (choices: 'adam', 'sgd')"
    )
    assert table(editor).model().index(1, 3).data() == "solver is sgd or lbfgs"

    retype(qtbot, when, "sgd")
    assert not has_problem(when)
    assert editor.is_valid()


def test_a_condition_on_a_missing_parent_is_shown_on_the_parent_dropdown(qtbot, editor):
    editor.set_params([
        FloatParam("momentum", 0.5, 0.99, condition=Condition("solver", ("sgd",))),
    ])
    parent = field(editor, "parent")
    assert parent.currentText() == "solver"  # kept visible so that it can be fixed
    assert has_problem(parent)
    assert "no parameter has this name" in message(editor, "parent")

    choose(parent, "")
    assert not has_problem(parent)
    assert not field(editor, "when").isEnabled()
    assert editor.params() == [FloatParam("momentum", 0.5, 0.99)]


def test_choosing_a_parent_and_its_values(qtbot, editor):
    editor.set_params([CategoricalParam("solver", ("adam", "sgd")), FloatParam("m", 0.0, 0.9)])
    select(editor, 1)
    parent = field(editor, "parent")
    assert [parent.itemText(i) for i in range(parent.count())] == ["Always", "solver"]

    choose(parent, "solver")
    assert field(editor, "when").isEnabled()
    assert "list the values of 'solver'" in message(editor, "when")
    qtbot.keyClicks(field(editor, "when"), "sgd")
    assert editor.params()[1].condition == Condition("solver", ("sgd",))


def test_grid_size_updates_as_you_type(qtbot, editor):
    editor.set_params([IntParam("n", 1, 100), CategoricalParam("c", ("a", "b"))])
    assert editor.summary_text() == "2 parameters · grid of 10 combinations"

    points = field(editor, "grid_points")
    points.selectAll()
    qtbot.keyClicks(points, "7")
    assert editor.summary_text() == "2 parameters · grid of 14 combinations"

    choose(field(editor, "grid_mode"), "list")
    assert field(editor, "grid").isVisible() and not points.isVisible()
    assert "list at least one value" in message(editor, "grid")
    qtbot.keyClicks(field(editor, "grid"), "1, 50, 100")
    assert editor.summary_text() == "2 parameters · grid of 6 combinations"

    qtbot.keyClicks(field(editor, "grid"), ", 200")
    assert message(editor, "grid") == "grid = 200: must lie within 1..100"
    assert editor.summary_text() == "2 parameters · 1 problem to fix"


def test_step_and_a_log_scale_do_not_mix(qtbot, editor):
    editor.set_params([FloatParam("x", 1.0, 10.0, log=True)])
    qtbot.keyClicks(field(editor, "step"), "1")
    assert message(editor, "step") == "step = 1: cannot be combined with a log scale"
    qtbot.mouseClick(field(editor, "log"), Qt.MouseButton.LeftButton)
    assert editor.params() == [FloatParam("x", 1.0, 10.0, step=1.0)]


# --- the list: add, remove, duplicate, reorder -------------------------------------------------


def test_remove_duplicate_and_reorder_with_the_toolbar(qtbot, editor):
    editor.set_params([IntParam("a", 1, 3), IntParam("b", 1, 3, help="bee")])
    select(editor, 1)

    click_action(qtbot, editor, "duplicate_param")
    assert names_in_table(editor) == ["a", "b", "b_copy"]
    assert editor.params()[2] == IntParam("b_copy", 1, 3, help="bee")

    click_action(qtbot, editor, "move_param_up")
    click_action(qtbot, editor, "move_param_up")
    assert names_in_table(editor) == ["b_copy", "a", "b"]
    assert field(editor, "name").text() == "b_copy"  # the selection follows the row
    assert not editor.findChild(QAction, "move_param_up").isEnabled()

    click_action(qtbot, editor, "move_param_down")
    assert names_in_table(editor) == ["a", "b_copy", "b"]

    click_action(qtbot, editor, "remove_param")
    assert names_in_table(editor) == ["a", "b"]
    assert field(editor, "name").text() == "b"
    assert [p.name for p in editor.params()] == ["a", "b"]


def test_keyboard_shortcuts(qtbot, editor):
    editor.set_params([IntParam("a", 1, 3), IntParam("b", 1, 3)])
    editor.activateWindow()
    view = table(editor)
    view.setFocus()
    select(editor, 0)

    qtbot.keyClick(view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert names_in_table(editor) == ["a", "a_copy", "b"]
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert names_in_table(editor) == ["a", "b", "a_copy"]
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert names_in_table(editor) == ["a", "b"]

    # In a text field, Delete deletes text, not the parameter.
    name = field(editor, "name")
    name.setFocus()
    name.setCursorPosition(0)
    qtbot.keyClick(name, Qt.Key.Key_Delete)
    assert names_in_table(editor) == ["a", "(no name)"]


def test_a_renamed_parent_keeps_its_children(qtbot, editor):
    editor.set_params([
        CategoricalParam("solver", ("adam", "sgd")),
        FloatParam("momentum", 0.5, 0.99, condition=Condition("solver", ("sgd",))),
    ])
    name = field(editor, "name")
    retype(qtbot, name, "")  # cleared on the way to a new name
    qtbot.keyClicks(name, "optimizer")
    assert editor.params()[1].condition == Condition("optimizer", ("sgd",))


def test_changing_the_kind_keeps_name_help_and_condition(qtbot, editor):
    editor.set_params([
        CategoricalParam("solver", ("adam", "sgd")),
        IntParam("layers", 1, 3, help="How many layers.", condition=Condition("solver", ("sgd",))),
    ])
    select(editor, 1)
    kind = field(editor, "kind")

    choose(kind, "categorical")
    assert field(editor, "choices").isVisible() and not field(editor, "low").isVisible()
    assert field(editor, "choices").text() == "1, 2, 3"  # the values the range had
    assert editor.params()[1] == CategoricalParam(
        "layers", (1, 2, 3), help="How many layers.", condition=Condition("solver", ("sgd",)))

    choose(kind, "fixed")
    assert editor.params()[1].value == 1

    choose(kind, "float")
    assert editor.params()[1] == FloatParam(
        "layers", 1.0, 3.0, help="How many layers.", condition=Condition("solver", ("sgd",)))


def test_categorical_choices_parse_text_numbers_and_booleans(qtbot, editor):
    editor.set_params([CategoricalParam("c", ("a",))])
    choices = field(editor, "choices")
    retype(qtbot, choices, 'adam, 3, 0.5, true, "1", \'a, b\'')
    assert editor.params()[0].choices == ("adam", 3, 0.5, True, "1", "a, b")

    retype(qtbot, choices, 'adam, "sgd')
    assert message(editor, "choices") == (
        "choices = 'adam, \"sgd': a quote (\") is opened but not closed"
    )
    retype(qtbot, choices, "a, b, a")
    assert message(editor, "choices") == "choices = ['a']: each choice must appear once"


def test_the_explanation_is_the_rows_tooltip_and_survives_edits(qtbot, editor):
    editor.set_params(RICH_SPACE)
    model = table(editor).model()
    for col in range(model.columnCount()):
        assert "How big a step" in model.index(0, col).data(Qt.ItemDataRole.ToolTipRole)

    retype(qtbot, field(editor, "high"), "0.5")
    assert editor.params()[0].help == "How big a step the optimizer takes."

    help_edit = field(editor, "help")
    assert isinstance(help_edit, QPlainTextEdit)
    help_edit.setFocus()
    help_edit.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(help_edit, " Try small values first.")
    assert editor.params()[0].help.endswith("Try small values first.")


def test_clicking_a_problem_selects_its_parameter_and_field(qtbot, editor):
    editor.set_params([IntParam("a", 1, 3), IntParam("b", 5, 1)])
    select(editor, 0)
    problems = editor.findChild(QListWidget, "problems_list")
    assert problems.count() == 1
    problems.itemClicked.emit(problems.item(0))
    assert field(editor, "name").text() == "b"
    assert field(editor, "high").hasFocus()


# --- set_params / params ------------------------------------------------------------------------


def test_set_params_then_params_round_trips_a_rich_space(qtbot, editor):
    with qtbot.waitSignal(editor.changed):
        editor.set_params(RICH_SPACE)
    out = editor.params()
    assert out == RICH_SPACE
    # Equal is not enough: True == 1 and 1 == 1.0 in Python, but they are different choices.
    for got, want in zip(out, RICH_SPACE):
        for key in ("choices", "value", "low", "high", "step", "grid"):
            if hasattr(want, key):
                assert repr(getattr(got, key)) == repr(getattr(want, key)), (want.name, key)
        if want.condition is not None:
            assert repr(got.condition.values) == repr(want.condition.values)
    assert editor.is_valid() and editor.problems() == []


def test_set_params_emits_changed_once(qtbot, editor):
    changes, validity = [], []
    editor.changed.connect(lambda: changes.append(1))
    editor.validity_changed.connect(validity.append)
    editor.set_params(RICH_SPACE)
    assert changes == [1]
    assert validity == [True]
    editor.set_params(RICH_SPACE[:2])
    assert changes == [1, 1] and validity == [True]


def test_read_only_disables_editing(qtbot, editor):
    editor.set_params(RICH_SPACE)
    editor.set_read_only(True)
    for name in ("add_param", "remove_param", "duplicate_param", "move_param_up",
                 "move_param_down"):
        assert not editor.findChild(QAction, name).isEnabled()
    assert field(editor, "name").isReadOnly()
    assert field(editor, "help").isReadOnly()
    assert not field(editor, "kind").isEnabled()
    assert not field(editor, "log").isEnabled()
    select(editor, 1)  # the list can still be browsed
    assert field(editor, "name").text() == "units"
    qtbot.keyClicks(field(editor, "name"), "zzz")
    assert editor.params() == RICH_SPACE

    editor.set_read_only(False)
    assert not field(editor, "name").isReadOnly()
    assert editor.findChild(QAction, "add_param").isEnabled()


def test_the_list_model_passes_qt_checks(qtmodeltester):
    model = ParamTableModel()
    model.reset([ParamRow(name="a"), ParamRow(name="b", kind="categorical", choices="x, y")])
    qtmodeltester.check(model)


# --- parsing, without Qt ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["adam", "", " pad", "1", "1.0", "true", "False", "a, b", 'q"uote', "'x'", 0,
              -3, 1.0, 1e-6, 2.5e20, True, False],
)
def test_a_value_reads_back_as_itself(value):
    (back,) = parse_values(format_value(value))
    assert type(back) is type(value) and back == value


def test_lists_forgive_a_trailing_comma_but_not_an_empty_item():
    assert parse_values("a, b,") == ["a", "b"]
    with pytest.raises(ParseError, match="empty"):
        parse_values("a,,b")
    assert format_values(["a", 1, True]) == "a, 1, true"


@pytest.mark.parametrize("text, whole, value", [("1e-4", False, 1e-4), ("16", True, 16),
                                                 ("1e3", True, 1000), (" -2 ", True, -2)])
def test_numbers(text, whole, value):
    got = parse_number(text, whole=whole)
    assert got == value and type(got) is type(value)


def test_validation_pins_each_problem_to_its_row_even_with_repeated_names():
    rows = [ParamRow(name="x", low="2", high="1"), ParamRow(name="x", low="abc")]
    problems = {(rp.row, rp.field) for rp in validate(rows).problems}
    assert problems == {(0, "high"), (1, "name"), (1, "low")}
