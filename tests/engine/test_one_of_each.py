"""One formatter, one state table, one best rule and one trial store, shared by every view."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.analysis import merged_bars
from engine.best import best_index, competes, is_better
from engine.formatting import format_duration, format_number
from engine.progress import format_duration as progress_duration
from engine.space import CategoricalParam, FixedParam, FloatParam, IntParam, SearchSpace
from engine.spec import StudySpec
from engine.states import STATE_CODE, STATE_LABEL, STATES, state_of_label
from engine.study import Study
from engine.trial import Trial, TrialState
from engine.trial_columns import TrialColumns

C, F, R = TrialState.COMPLETE, TrialState.FAILED, TrialState.RUNNING


@pytest.mark.parametrize("seconds, text", [
    (None, ""), (math.nan, ""), (3.271, "3.27 s"), (42.04, "42.0 s"), (59.97, "1 min 00 s"),
    (65, "1 min 05 s"), (7500, "2 h 05 min"), (math.inf, "over a year"), (1e30, "over a year"),
])
def test_one_duration_formatter_reads_the_same_everywhere(seconds, text):
    assert format_duration(seconds) == text
    # The run panel and the command line's ETA use this very function.
    assert progress_duration is format_duration


@pytest.mark.parametrize("value, digits, text", [
    (None, 4, ""), (math.nan, 4, ""), (True, 4, "true"), (12, 4, "12"), (3.0, 4, "3"),
    (0.0071234567, 4, "0.007123"), (0.0071234567, 6, "0.00712346"), (393.123456, 6, "393.123"),
    (1.5e-7, 4, "1.5e-07"), (np.float64(2.5), 4, "2.5"), ("rbf", 4, "rbf"),
])
def test_one_number_formatter(value, digits, text):
    assert format_number(value, digits) == text


def test_one_state_table_names_and_codes_every_state():
    assert [STATE_CODE[s] for s in STATES] == list(range(len(STATES)))
    assert STATE_LABEL[TrialState.COMPLETE] == "Complete"
    assert state_of_label(" FAILED ") is TrialState.FAILED
    assert state_of_label("done") is None


def test_the_best_rule_skips_unfinished_and_valueless_trials_and_keeps_the_first_of_ties():
    values = np.array([5.0, 1.0, np.nan, 1.0, 0.5, 9.0])
    states = np.array([STATE_CODE[s] for s in (C, C, C, C, F, C)])
    assert best_index(values, states, "minimize") == 1  # trial 4 failed; 3 ties with 1
    assert best_index(values, states, "maximize") == 5
    assert best_index(values, np.full(6, STATE_CODE[R]), "minimize") == -1
    assert is_better(2.0, 1.0, "maximize") and not is_better(1.0, 1.0, "minimize")
    assert not competes(Trial(0, {}, C, value=math.nan))
    with pytest.raises(ValueError, match="direction must be"):
        best_index(values, states, "down")


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_the_study_and_the_trial_columns_pick_the_same_best_trial(direction):
    spec = StudySpec(name="best", direction=direction, sampler="random", seed=3, trials=40,
                     params=(FloatParam("x", 0.0, 1.0),),
                     objective={"kind": "python", "path": "x.py", "function": "f"})
    study = Study(spec)
    for k in range(40):
        t = study.ask()
        if k % 7 == 3:
            study.tell(t.number, F, error="boom")
        else:
            study.tell(t.number, C, value=round(t.params["x"], 1))  # ties on purpose
    columns = TrialColumns(study.space, direction, study.trials)
    assert columns.best_row() == study.best_trial.number


SPACE = SearchSpace((
    FloatParam("lr", 1e-4, 1e-1, log=True),
    IntParam("n", 1, 9),
    CategoricalParam("kernel", ("rbf", "linear")),
    CategoricalParam("width", (16, 64, 256)),
    FixedParam("seed", 7),
    FixedParam("tag", "v2"),
))


def some_trials(n: int) -> list[Trial]:
    rng = np.random.default_rng(0)
    out = []
    for k in range(n):
        params = {"lr": float(10 ** rng.uniform(-4, -1)), "n": int(rng.integers(1, 10)),
                  "kernel": ("rbf", "linear")[k % 2], "width": (16, 64, 256)[k % 3],
                  "seed": 7, "tag": "v2"}
        if k % 5 == 0:
            del params["tag"]
        metrics = {"acc": k / n, "note": "slow" if k % 4 == 0 else 1.0, "curve": [1, 2]}
        out.append(Trial(k, params, C if k % 6 else F, value=None if k % 6 == 0 else k * 0.5,
                         started_at=1000.0 + k, finished_at=1001.5 + k, worker=k % 3,
                         metrics=metrics, intermediate=((1, 0.5), (k + 2, 0.25))))
    return out


def test_trial_columns_built_in_bulk_equal_one_trial_at_a_time():
    trials = some_trials(100)  # more than one bulk batch's threshold
    bulk = TrialColumns(SPACE, "minimize", trials)
    single = TrialColumns(SPACE, "minimize")
    for t in trials:
        single.update([t])
    assert bulk.metric_names == single.metric_names == ["acc", "note"]
    for name in ("states", "values", "started", "finished", "workers", "n_steps", "last_step",
                 "params"):
        np.testing.assert_array_equal(getattr(bulk, name), getattr(single, name), err_msg=name)
    for name in bulk.param_names:
        np.testing.assert_array_equal(bulk.column(name), single.column(name), err_msg=name)
    np.testing.assert_array_equal(bulk.metric("note"), single.metric("note"))


def test_trial_columns_hold_what_the_table_shows():
    columns = TrialColumns(SPACE, "minimize", some_trials(12))
    assert [a.name for a in columns.axes] == ["lr", "n", "kernel", "width"]  # plotted
    assert columns.param_names[-2:] == ("seed", "tag")  # fixed: the table's only
    assert columns.column("kernel")[:2].tolist() == [0.0, 1.0]  # place among the choices
    assert columns.column("width")[:3].tolist() == [0.0, 1.0, 2.0]
    assert columns.column("seed")[0] == 7.0
    tag = columns.column("tag")
    assert math.isnan(tag[0]) and tag[1] == 0.0  # trial 0 lacks it
    assert columns.last_step[3] == 5.0
    assert math.isnan(columns.metric("note")[0]) and columns.metric("note")[1] == 1.0
    version = columns.version
    columns.update([some_trials(13)[-1]])
    assert columns.n == 13 and columns.version > version


def test_timeline_bars_closer_than_a_pixel_are_drawn_as_one():
    lanes = np.array([0, 0, 0, 1, 1, 0])
    starts = np.array([0.0, 1.05, 2.1, 0.0, 5.0, 9.0])
    ends = np.array([1.0, 2.0, 3.0, 4.0, 6.0, 10.0])
    bars = merged_bars(lanes, starts, ends, gap=0.1)
    got = sorted(zip(bars.lanes.tolist(), bars.starts.tolist(), bars.ends.tolist()))
    assert got == [(0, 0.0, 3.0), (0, 9.0, 10.0), (1, 0.0, 4.0), (1, 5.0, 6.0)]
    # Nothing is merged across lanes, or with a gap wider than a pixel.
    assert len(merged_bars(lanes, starts, ends, gap=0.01).lanes) == 6
