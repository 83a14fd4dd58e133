"""The trials table and the plots read one store and speak one language: the same rows,
worker numbers, state colours and best trial; and the table stays quick at many rows."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics

from desktop.plots import PlotsWidget
from desktop.plots import _style as plot_style
from desktop.state_colours import STATE_COLOURS
from desktop.trial_feed import TrialFeed
from desktop.trials.model import NUMBER_ROLE, TrialsModel
from desktop.trials.view import TrialsTableWidget
from engine.space import CategoricalParam, FloatParam
from engine.spec import StudySpec
from engine.study import Study
from engine.trial import Trial, TrialState

C, F, R = TrialState.COMPLETE, TrialState.FAILED, TrialState.RUNNING


def make_study(direction: str = "minimize", values=(393.123456, 0.0071234567, 12.5, 2.25)
               ) -> Study:
    spec = StudySpec(
        name="agree", direction=direction, sampler="random", seed=2, trials=100,
        params=(FloatParam("x", 0.0, 1.0), CategoricalParam("kernel", ("rbf", "linear"))),
        objective={"kind": "python", "path": "x.py", "function": "f"},
    )
    study = Study(spec)
    for k, v in enumerate(values):
        t = study.ask(worker=k % 2)
        study.tell(t.number, C, value=v)
    t = study.ask(worker=1)
    study.tell(t.number, F, error="RuntimeError: diverged")
    return study


@pytest.fixture
def feed(qtbot):
    feed = TrialFeed()
    yield feed
    feed.set_study(None)


def table_for(qtbot, feed: TrialFeed) -> TrialsTableWidget:
    table = TrialsTableWidget(feed)
    qtbot.addWidget(table)
    table.resize(900, 400)
    table.show()
    return table


def column_texts(table: TrialsTableWidget, kind: str) -> list[str]:
    c = table.model.column_of(kind)
    return [table.proxy.index(r, c).data() for r in range(table.proxy.rowCount())]


def test_the_table_reads_the_store_the_plots_read(qtbot, feed):
    feed.set_study(make_study())
    plots = PlotsWidget(feed)
    qtbot.addWidget(plots)
    plots.show()
    history = plots.show_plot("history")
    table = table_for(qtbot, feed)
    assert plots.columns is feed.columns
    t = feed.study.ask(worker=0)
    feed.flush()
    # One store, appended once per batch, read by both.
    assert feed.columns.n == table.model.rowCount() == 6
    assert column_texts(table, "state")[-1] == "Running"
    qtbot.waitUntil(lambda: t.number in history.shown, timeout=2_000)  # a turn after the table


@pytest.mark.parametrize("direction, best_first", [("minimize", "0.00712346"),
                                                   ("maximize", "393.123")])
def test_the_first_click_on_value_puts_the_best_trial_on_top(qtbot, feed, direction, best_first):
    feed.set_study(make_study(direction))
    table = table_for(qtbot, feed)
    header = table.view.horizontalHeader()
    value = table.model.column_of("value")
    x = header.sectionViewportPosition(value) + header.sectionSize(value) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    texts = column_texts(table, "value")
    assert texts[0] == best_first
    assert texts[-1] == ""  # the failed trial has no value: last either way
    assert table.proxy.index(0, 0).data(NUMBER_ROLE) == table.model.best_number


def test_columns_fit_their_widest_number_even_in_the_bold_best_row(qtbot, feed):
    feed.set_study(make_study())
    table = table_for(qtbot, feed)
    bold = QFont(table.view.font())
    bold.setBold(True)
    value = table.model.column_of("value")
    best_row = table.model.row_of(table.model.best_number)
    index = table.proxy.index(best_row, value)
    assert index.data(Qt.ItemDataRole.FontRole).bold()
    for r in range(table.proxy.rowCount()):
        text = table.proxy.index(r, value).data()
        assert table.view.columnWidth(value) >= QFontMetrics(bold).horizontalAdvance(text) + 8


def test_worker_numbers_agree_between_the_table_and_the_timeline(qtbot, feed):
    feed.set_study(make_study())
    plots = PlotsWidget(feed)
    qtbot.addWidget(plots)
    plots.show()
    table = table_for(qtbot, feed)
    timeline = plots.show_plot("timeline")
    ticks = dict(timeline.plot.getAxis("left")._tickLevels[0])
    assert set(ticks.values()) == {"Worker 1", "Worker 2"}
    assert set(column_texts(table, "worker")) == {"1", "2"}  # engine workers 0 and 1


def test_state_colours_agree_between_the_table_and_the_plots(qtbot, feed):
    feed.set_study(make_study())
    table = table_for(qtbot, feed)
    state = table.model.column_of("state")
    failed = next(r for r in range(table.proxy.rowCount())
                  if table.proxy.index(r, state).data() == "Failed")
    brush = table.proxy.index(failed, state).data(Qt.ItemDataRole.ForegroundRole)
    assert brush.color() == QColor(STATE_COLOURS[F])
    assert plot_style.STATE_COLOURS is STATE_COLOURS
    assert plot_style.state_entry(F)[1] == STATE_COLOURS[F]


def test_the_history_axis_has_no_half_trial_numbers(qtbot, feed):
    feed.set_study(make_study())
    plots = PlotsWidget(feed)
    qtbot.addWidget(plots)
    plots.show()
    axis = plots.show_plot("history").plot.getAxis("bottom")
    for low, high in ((0, 4), (0.2, 2.7), (1.3, 1.6), (0, 100_000)):
        levels = axis.tickValues(low, high, 600)
        values = [v for _, vs in levels for v in vs]
        assert values == [v for v in values if float(v).is_integer()], (low, high)
    assert axis.tickValues(1.2, 2.4, 600) == [(1.0, [2.0])]


def test_a_filtered_table_gains_and_loses_rows_as_trials_change(qtmodeltester, qtlog, feed):
    feed.set_study(make_study())
    model = TrialsModel(feed)
    model.set_filter(model.parse_filter("state=running")[0])
    assert model.rowCount() == 0
    t = feed.study.ask(worker=0)
    feed.flush()
    assert model.rowCount() == 1 and model.trial_at(0).number == t.number
    qtmodeltester.check(model)
    feed.study.tell(t.number, C, value=1.0)
    feed.flush()
    assert model.rowCount() == 0 and model.total == 6
    qtmodeltester.check(model)
    assert not [r.message for r in qtlog.records if "FAIL" in r.message]


def big_study(n: int) -> Study:
    """A study of n finished trials, made in memory (no file, no sampler calls per trial)."""
    spec = StudySpec(
        name="big", sampler="random", seed=0, trials=n,
        params=(FloatParam("x", 0.0, 1.0), CategoricalParam("kernel", ("rbf", "linear"))),
        objective={"kind": "python", "path": "x.py", "function": "f"},
    )
    rng = np.random.default_rng(0)
    trials = [Trial(k, {"x": float(rng.random()), "kernel": ("rbf", "linear")[k % 2]}, C,
                    value=float(rng.random()), started_at=1000.0 + k, finished_at=1001.0 + k,
                    worker=k % 4) for k in range(n)]
    return Study(spec, trials=trials)


def test_words_in_a_big_table_are_found_off_the_gui_thread_and_the_last_typed_wins(
        qtbot, feed):
    from desktop.trials import model as model_module

    feed.set_study(big_study(model_module.BACKGROUND_WORD_ROWS + 2000))
    table = table_for(qtbot, feed)
    total = table.model.total
    table.filter_edit.setText("rbf")
    table.apply_filter()
    table.filter_edit.setText("linear")
    with qtbot.waitSignal(table.model.filter_applied, timeout=30_000):
        table.apply_filter()
    qtbot.waitUntil(lambda: not table.model.searching, timeout=30_000)
    assert table.proxy.rowCount() == total // 2
    assert set(column_texts(table, "state")) == {"Complete"}
    kernel = table.model.column_of("param", "kernel")
    shown = {table.proxy.index(r, kernel).data() for r in range(0, table.proxy.rowCount(), 97)}
    assert shown == {"linear"}
    assert table.count_label.text() == f"{total // 2} of {total} trials"


def test_a_big_tables_columns_fit_their_texts_after_it_is_shown(qtbot, feed):
    from desktop.trials import view as view_module

    feed.set_study(big_study(view_module._FIT_LATER_ROWS + 10))
    table = table_for(qtbot, feed)
    font = QFontMetrics(table.view.font())
    started = table.model.column_of("started")
    texts = [table.proxy.index(r, started).data() for r in range(0, table.proxy.rowCount(), 501)]
    need = max(font.horizontalAdvance(t) for t in texts) + 8
    # Fitted a column per event-loop turn: the table is shown first.
    qtbot.waitUntil(lambda: table.view.columnWidth(started) >= need, timeout=5_000)
