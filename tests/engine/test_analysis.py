"""Plot data from engine.analysis, checked against hand-computed answers, without Qt."""

import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from engine.analysis import (
    STATE_CODE,
    TrialColumns,
    best_so_far,
    learning_curves,
    optimization_history,
    parallel_coordinates,
    param_importance,
    slice_data,
    timeline,
)
from engine.space import CategoricalParam, Condition, FixedParam, FloatParam, IntParam, SearchSpace
from engine.trial import Trial, TrialState

ROOT = Path(__file__).resolve().parents[2]
C, F, P, R = TrialState.COMPLETE, TrialState.FAILED, TrialState.PRUNED, TrialState.RUNNING

SPACE = SearchSpace.of(
    FloatParam("lr", 1e-4, 1e-1, log=True),
    IntParam("layers", 1, 5),
    CategoricalParam("solver", ("adam", "sgd")),
    FloatParam("momentum", 0.5, 0.9, condition=Condition("solver", ("sgd",))),
    FixedParam("epochs", 10),
)


def trial(number, state=C, value=None, **params):
    base = {"lr": 1e-3, "layers": 2, "solver": "adam", "epochs": 10}
    return Trial(number=number, params={**base, **params}, state=state, value=value,
                 started_at=100.0 + number, finished_at=None if state is R else 101.5 + number,
                 worker=number % 2)


def table(trials, direction="minimize"):
    return TrialColumns(SPACE, direction, trials)


def test_engine_analysis_never_imports_qt():
    code = ("import sys, engine.analysis; "
            "sys.exit(any(m.split('.')[0] in ('PySide6', 'pyqtgraph') for m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=60)
    assert done.returncode == 0, "importing engine.analysis pulled in Qt"


def test_best_so_far_matches_hand_computed_series_for_both_directions():
    values = np.array([5.0, np.nan, 3.0, 4.0, 1.0, 2.0])
    np.testing.assert_array_equal(best_so_far(values, "minimize"), [5, 5, 3, 3, 1, 1])
    np.testing.assert_array_equal(best_so_far(values, "maximize"), [5, 5, 5, 5, 5, 5])
    np.testing.assert_array_equal(best_so_far([np.nan, 2.0, 7.0], "maximize")[1:], [2, 7])
    assert np.isnan(best_so_far([np.nan, 2.0], "maximize")[0])
    with pytest.raises(ValueError, match="'minimize' or 'maximize', got 'up'"):
        best_so_far(values, "up")


def test_history_line_is_monotone_and_skips_trials_without_values():
    rng = np.random.default_rng(3)
    trials = [trial(i, value=float(v)) for i, v in enumerate(rng.normal(size=200))]
    trials[7] = trial(7, F)
    trials[8] = trial(8, R)
    for direction, sign in (("minimize", -1), ("maximize", 1)):
        h = optimization_history(table(trials, direction))
        assert len(h.numbers) == 200 and np.isnan(h.values[7]) and np.isnan(h.values[8])
        assert 7 not in h.best_numbers and len(h.best_numbers) == 198
        assert np.all(sign * np.diff(h.best_values) >= 0)
        finite = h.values[np.isfinite(h.values)]
        assert h.best_values[-1] == (finite.max() if sign > 0 else finite.min())


def test_state_mask_filters_every_kind_of_data():
    cols = table([trial(0, value=1.0), trial(1, F), trial(2, P, value=3.0), trial(3, R)])
    assert cols.counts()[C] == 1 and cols.counts()[F] == 1
    only = cols.mask([C, P])
    assert optimization_history(cols, only).numbers.tolist() == [0, 2]
    assert parallel_coordinates(cols, only).numbers.tolist() == [0, 2]
    assert slice_data(cols, "lr", cols.mask([F])).numbers.tolist() == [1]
    assert timeline(cols, cols.mask([R]), now=200.0).numbers.tolist() == [3]


def test_slice_maps_categories_to_positions_and_drops_only_trials_without_the_param():
    trials = [trial(0, value=1.0, solver="sgd", momentum=0.6), trial(1, value=2.0),
              trial(2, value=0.5, solver="sgd", momentum=0.8), trial(3, F, solver="sgd",
                                                                     momentum=0.7)]
    cols = table(trials)
    momentum = slice_data(cols, "momentum")
    assert momentum.numbers.tolist() == [0, 2, 3]
    np.testing.assert_allclose(momentum.x, [0.6, 0.8, 0.7])
    assert np.isnan(momentum.values[-1])  # the failed trial stays, without a score
    solver = slice_data(cols, "solver")
    assert solver.labels == ("adam", "sgd") and solver.x.tolist() == [1, 0, 1, 1]
    assert len(optimization_history(cols).numbers) == 4  # the study keeps every trial
    lr = slice_data(cols, "lr")
    assert lr.log and not slice_data(cols, "layers").log
    with pytest.raises(KeyError, match="no plotted parameter named 'epochs'"):
        slice_data(cols, "epochs")  # fixed parameters do not vary, so are not plotted


def test_parallel_keeps_inactive_params_as_nan_and_uses_log_space():
    trials = [trial(0, value=1.0, lr=1e-4), trial(1, value=3.0, lr=1e-1, layers=5),
              trial(2, value=2.0, lr=1e-2, solver="sgd", momentum=0.7), trial(3, F)]
    par = parallel_coordinates(table(trials))
    names = [a.name for a in par.axes]
    assert names == ["lr", "layers", "solver", "momentum"]
    pos = par.positions
    assert pos.shape == (4, 4)
    np.testing.assert_allclose(pos[:, 0][:3], [0.0, 1.0, 2 / 3])  # 1e-2 is 2/3 up in log space
    np.testing.assert_allclose(pos[:3, 1], [0.25, 1.0, 0.25])
    np.testing.assert_array_equal(pos[:, 2], [0.0, 0.0, 1.0, 0.0])
    assert np.isnan(pos[0, 3]) and np.isnan(pos[1, 3]) and pos[2, 3] == pytest.approx(0.5)
    assert par.numbers.tolist() == [0, 1, 2, 3] and np.isnan(par.values[3])
    assert par.value_range == (1.0, 3.0)
    assert np.all((pos[~np.isnan(pos)] >= 0) & (pos[~np.isnan(pos)] <= 1))
    ticks = dict((label, u) for u, label in par.axes[0].ticks())
    assert ticks["0.0001"] == 0.0 and ticks["0.1"] == 1.0 and ticks["0.01"] == pytest.approx(2 / 3)


def test_importance_ranks_the_parameter_that_drives_the_score_first():
    rng = np.random.default_rng(0)
    trials = []
    for i in range(120):
        lr = float(10 ** rng.uniform(-4, -1))
        layers = int(rng.integers(1, 6))  # noise
        solver = str(rng.choice(["adam", "sgd"]))
        params = {"lr": lr, "layers": layers, "solver": solver}
        if solver == "sgd":
            params["momentum"] = float(rng.uniform(0.5, 0.9))
        value = (math.log10(lr) + 2.5) ** 2 + 0.01 * rng.normal()
        trials.append(trial(i, value=value, **params))
    trials += [trial(120, F), trial(121, R)]
    imp = param_importance(table(trials))
    assert imp.note == "" and imp.n_trials == 120
    assert imp.names[0] == "lr" and set(imp.names) == {"lr", "layers", "solver", "momentum"}
    assert imp.importances.sum() == pytest.approx(1.0)
    assert np.all(np.diff(imp.importances) <= 0)
    assert imp.importances[0] > 5 * dict(zip(imp.names, imp.importances))["layers"]


def test_importance_needs_enough_varied_complete_trials():
    few = param_importance(table([trial(i, value=float(i)) for i in range(5)] + [trial(5, F)]))
    assert few.names == () and "at least 8 complete trials; there are 5" in few.note
    flat = param_importance(table([trial(i, value=1.0, layers=1 + i % 5) for i in range(20)]))
    assert flat.names == () and "same value" in flat.note


def test_importance_counts_an_inactive_param_as_one_more_value():
    rng = np.random.default_rng(1)
    trials = []
    for i in range(60):
        sgd = i % 2 == 0
        params = {"solver": "sgd", "momentum": float(rng.uniform(0.5, 0.9))} if sgd else {}
        trials.append(trial(i, value=(params.get("momentum", 0.5) - 0.5) * 10, **params))
    imp = param_importance(table(trials))
    # Only momentum (and whether it is active at all) explains the value.
    assert set(imp.names[:2]) == {"momentum", "solver"}
    assert dict(zip(imp.names, imp.importances))["lr"] < 0.05


def test_learning_curves_stack_intermediate_values_back_to_back():
    a = trial(0, value=0.3).evolve(intermediate=((1, 0.9), (2, 0.5), (3, 0.3)))
    b = trial(1, P).evolve(intermediate=((1, 0.8), (2, 0.7)))
    cols = table([a, b, trial(2, value=1.0)])
    lc = learning_curves(cols)
    assert lc.numbers.tolist() == [0, 1] and lc.offsets.tolist() == [0, 3, 5]
    assert lc.steps.tolist() == [1, 2, 3, 1, 2]
    assert lc.values.tolist() == [0.9, 0.5, 0.3, 0.8, 0.7]
    assert lc.states.tolist() == [STATE_CODE[C], STATE_CODE[P]]
    assert learning_curves(cols, cols.mask([C])).numbers.tolist() == [0]
    assert learning_curves(table([trial(0, value=1.0)])).numbers.size == 0


def test_timeline_puts_trials_on_worker_lanes_and_packs_unknown_workers():
    trials = [trial(0, value=1.0), trial(1, value=1.0), trial(2, R)]
    tl = timeline(table(trials), now=110.0)
    assert tl.origin == 100.0 and tl.lanes.tolist() == [0, 1, 0] and tl.n_lanes == 2
    np.testing.assert_allclose(tl.starts, [0, 1, 2])
    np.testing.assert_allclose(tl.ends, [1.5, 2.5, 10.0])  # the running one ends "now"
    # Without worker slots, overlapping trials get separate lanes and reuse freed ones.
    free = [t.evolve(worker=None) for t in (trial(0, value=1.0), trial(1, value=1.0),
                                             trial(3, value=1.0))]
    assert timeline(table(free)).lanes.tolist() == [0, 1, 0]
    assert timeline(table([])).n_lanes == 0


def test_columns_update_in_place_as_trials_change():
    cols = table([])
    cols.update([trial(0, R), trial(1, R)])
    assert cols.n == 2 and cols.states.tolist() == [STATE_CODE[R]] * 2
    cols.update([trial(1, value=2.5)])
    assert cols.values[1] == 2.5 and np.isnan(cols.values[0])
    cols.update([trial(300, value=1.0)])  # grows; the numbers in between are unknown
    assert cols.n == 301 and cols.states[150] == -1
    assert optimization_history(cols).numbers.tolist() == [0, 1, 300]
    snap = cols.copy()
    cols.update([trial(0, value=9.0)])
    assert np.isnan(snap.values[0])


def test_analysis_stays_fast_at_ten_thousand_trials():
    rng = np.random.default_rng(2)
    trials = [trial(i, value=float(v), lr=float(10 ** rng.uniform(-4, -1)))
              .evolve(intermediate=((1, 1.0), (2, 0.5))) for i, v in enumerate(rng.random(10_000))]
    cols = table(trials)
    start = time.perf_counter()
    optimization_history(cols)
    slice_data(cols, "lr")
    parallel_coordinates(cols)
    learning_curves(cols)
    timeline(cols)
    assert time.perf_counter() - start < 0.5
