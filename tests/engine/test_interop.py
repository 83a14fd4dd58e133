"""Optuna storages read for analysis: every study, parameter, state and step, file untouched."""

import csv
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from engine.interop import (
    OptunaStorageError,
    is_optuna_storage,
    list_studies,
    read_study,
    trials_dataframe,
    trials_table,
)
from engine.spec import spec_from_dict
from engine.storage import StudyFile, StudyFileError
from engine.study import Study
from engine.trial import TrialState
from tests.engine.processes import knobs

# Made by Optuna 5.1 (tests/engine/data/README.md says how): study "toy" (8 random trials:
# lr log-float, layers int, activation categorical; #3 failed, #5 pruned; 3 steps reported
# each) and study "other" (maximize, 3 trials of x).
FIXTURE = Path(__file__).parent / "data" / "optuna_two_studies.db"


@pytest.fixture
def storage(tmp_path):
    (tmp_path / "src").mkdir()
    path = tmp_path / "src" / "optuna.db"
    shutil.copy(FIXTURE, path)
    return path


def _fingerprint(path: Path):
    return path.read_bytes(), path.stat().st_mtime_ns, sorted(p.name for p in path.parent.iterdir())


def test_lists_studies_and_reads_params_states_and_steps_without_touching_the_file(storage):
    before = _fingerprint(storage)
    assert is_optuna_storage(storage)
    assert list_studies(storage) == ["toy", "other"]
    study = read_study(storage, "toy")
    assert study.direction == "minimize"
    assert [p["name"] for p in study.params] == ["lr", "layers", "activation"]
    lr, layers, activation = study.params
    assert lr["type"] == "float" and lr["log"] is True and lr["low"] == pytest.approx(1e-4)
    assert layers["type"] == "int" and (layers["low"], layers["high"]) == (1, 4)
    assert activation == {"name": "activation", "type": "categorical",
                          "choices": ["relu", "tanh"]}
    states = [t.state for t in study.trials]
    assert states[3] is TrialState.FAILED and states[5] is TrialState.PRUNED
    assert states.count(TrialState.COMPLETE) == 6
    first = study.trials[0]
    assert first.params["activation"] in ("relu", "tanh")
    assert isinstance(first.params["layers"], int)
    assert [s for s, _ in first.intermediate] == [0, 1, 2]
    assert first.duration is not None and first.duration >= 0
    # The mapped parameters make a valid Knobs space.
    spec_from_dict({"name": "x", "direction": study.direction,
                    "objective": {"kind": "python", "path": "f.py", "function": "f"},
                    "params": list(study.params)})
    assert read_study(storage, "other").direction == "maximize"
    assert _fingerprint(storage) == before


def test_a_study_must_be_named_when_the_storage_holds_several(storage):
    with pytest.raises(OptunaStorageError, match="holds 2 studies; name one of: other, toy"):
        read_study(storage)
    with pytest.raises(OptunaStorageError, match="no study named 'nope'"):
        read_study(storage, "nope")


def test_a_knobs_file_is_not_an_optuna_storage(tmp_path):
    path = tmp_path / "a.knobs"
    StudyFile.create(path, {"name": "a"}).close()
    assert not is_optuna_storage(path)
    with pytest.raises(OptunaStorageError, match="not an Optuna storage"):
        list_studies(path)


def test_a_knobs_file_with_foreign_tables_is_refused_and_left_as_it_was(tmp_path):
    path = tmp_path / "a.knobs"
    StudyFile.create(path, {"name": "a"}).close()
    with sqlite3.connect(path) as conn:  # what pointing Optuna's tools at the file does
        conn.execute("CREATE TABLE alembic_version (version_num TEXT)")
    conn.close()
    before = path.read_bytes()
    for readonly in (True, False):
        with pytest.raises(StudyFileError, match="alembic_version"):
            StudyFile.open(path, readonly=readonly)
    assert path.read_bytes() == before


def test_cli_show_lists_the_names_and_exits_2_without_study(storage):
    before = _fingerprint(storage)
    result = knobs("show", storage)
    assert result.returncode == 2
    assert "name one of: other, toy" in result.stderr
    shown = knobs("show", storage, "--study", "toy", "--top", 2)
    assert shown.returncode == 0, shown.stderr
    assert "6 complete" in shown.stdout and "Top 2:" in shown.stdout
    assert _fingerprint(storage) == before


def test_cli_export_writes_the_optuna_trials(storage, tmp_path):
    before = _fingerprint(storage)
    out = tmp_path / "out"
    out.mkdir()
    result = knobs("export", storage, "--study", "toy", "-o", out / "t.csv")
    assert result.returncode == 0, result.stderr
    with open(out / "t.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 8 and {"lr", "layers", "activation"} <= set(rows[0])
    assert knobs("export", storage, "--study", "other", "-o", out / "t.json").returncode == 0
    payload = json.loads((out / "t.json").read_text())
    assert payload["study"]["direction"] == "maximize" and len(payload["trials"]) == 3
    assert _fingerprint(storage) == before


def test_reads_a_storage_optuna_makes_now(tmp_path):
    optuna = pytest.importorskip("optuna")  # in the test extra; CI installs it
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    path = tmp_path / "fresh.db"
    study = optuna.create_study(study_name="fresh", storage=f"sqlite:///{path}",
                                direction="maximize")

    def objective(trial):
        x = trial.suggest_float("x", 0, 1, step=0.25)
        n = trial.suggest_int("n", 2, 32, log=True)
        trial.report(x, 0)
        return x * n

    study.optimize(objective, n_trials=5)
    ours = read_study(path)
    assert ours.params[0] == {"name": "x", "type": "float", "low": 0.0, "high": 1.0,
                              "log": False, "step": 0.25}
    assert ours.params[1]["log"] is True
    assert [t.value for t in ours.trials] == pytest.approx([t.value for t in study.trials])
    assert [t.params for t in ours.trials] == [t.params for t in study.trials]


def test_trials_table_has_optunas_columns_for_an_optuna_storage_and_a_knobs_study(storage,
                                                                                  tmp_path):
    table = trials_table(storage, "toy")
    assert list(table) == ["number", "value", "datetime_start", "datetime_complete",
                           "duration", "params_lr", "params_layers", "params_activation",
                           "state"]
    assert table["number"] == list(range(8))
    assert table["state"][3] == "FAIL" and table["state"][5] == "PRUNED"
    assert table["value"][3] is None
    assert table["duration"][0].total_seconds() >= 0

    path = tmp_path / "k.knobs"
    spec = spec_from_dict({"name": "k", "direction": "minimize",
                           "objective": {"kind": "python", "path": "f.py", "function": "f"},
                           "params": [{"name": "x", "type": "float", "low": 0, "high": 1}]})
    study = Study.create(spec, path)
    study.tell(study.ask().number, TrialState.COMPLETE, value=0.5)
    mine = trials_table(study)
    study.close()
    assert mine["params_x"] == trials_table(path)["params_x"]
    assert mine["value"] == [0.5] and mine["state"] == ["COMPLETE"]


def test_trials_dataframe_is_the_table_in_pandas(storage):
    pytest.importorskip("pandas")  # in the test extra; CI installs it
    frame = trials_dataframe(storage, "other")
    assert list(frame.columns) == list(trials_table(storage, "other"))
    assert len(frame) == 3 and frame["params_x"].between(-1, 1).all()


def test_a_knobs_study_exported_to_optuna_reads_back_the_same(tmp_path):
    optuna = pytest.importorskip("optuna")  # the optuna extra, also in the test extra
    from engine.interop.optuna_export import export_to_optuna

    spec = spec_from_dict({"name": "round", "direction": "maximize",
                           "objective": {"kind": "python", "path": "f.py", "function": "f"},
                           "params": [
                               {"name": "lr", "type": "float", "low": 1e-3, "high": 1,
                                "log": True},
                               {"name": "depth", "type": "int", "low": 1, "high": 9},
                               {"name": "kind", "type": "categorical", "choices": ["a", "b"]}]})
    study = Study.create(spec, tmp_path / "k.knobs")
    for i in range(4):
        t = study.ask()
        if i == 2:
            study.tell(t.number, TrialState.FAILED, error="boom")
        else:
            study.tell(t.number, TrialState.COMPLETE, value=float(i))
    export_to_optuna(study, f"sqlite:///{tmp_path / 'o.db'}")
    mine = [(t.number, t.state, t.value, t.params) for t in study.trials]
    study.close()

    theirs = optuna.load_study(study_name="round", storage=f"sqlite:///{tmp_path / 'o.db'}")
    assert theirs.direction == optuna.study.StudyDirection.MAXIMIZE
    assert theirs.best_value == 3.0
    back = read_study(tmp_path / "o.db")
    assert [(t.number, t.state, t.value, t.params) for t in back.trials] == mine
    assert [p["name"] for p in back.params] == ["lr", "depth", "kind"]


def test_a_study_of_several_objectives_exports_to_optuna_with_directions_and_limits(tmp_path):
    optuna = pytest.importorskip("optuna")  # the optuna extra, also in the test extra
    from engine.interop.optuna_export import export_to_optuna

    spec = spec_from_dict({
        "name": "mo", "objective": {"kind": "python", "path": "f.py", "function": "f"},
        "params": [{"name": "x", "type": "float", "low": 0, "high": 1}],
        "objectives": [{"metric": "value", "direction": "maximize"},
                       {"metric": "seconds", "direction": "minimize"}],
        "constraints": [{"metric": "seconds", "max": 5}]})
    study = Study.create(spec, tmp_path / "k.knobs")
    # (accuracy, seconds): 0, 1, 2 on the front; 3 over the limit; 4 beaten; 5 failed.
    for value, seconds in [(0.9, 1), (0.95, 2), (0.8, 0.5), (0.97, 6), (0.85, 2), (None, None)]:
        t = study.ask()
        if value is None:
            study.tell(t.number, TrialState.FAILED, error="boom")
        else:
            study.tell(t.number, TrialState.COMPLETE, value=value,
                       metrics={"seconds": seconds})
    study.choose(1)
    export_to_optuna(study, f"sqlite:///{tmp_path / 'o.db'}")
    mine = {t.number for t in study.pareto_front}
    study.close()

    theirs = optuna.load_study(study_name="mo", storage=f"sqlite:///{tmp_path / 'o.db'}")
    assert theirs.directions == [optuna.study.StudyDirection.MAXIMIZE,
                                 optuna.study.StudyDirection.MINIMIZE]
    assert theirs.metric_names == ["value", "seconds"]
    trials = theirs.get_trials()
    assert [t.values for t in trials[:5]] == [[0.9, 1.0], [0.95, 2.0], [0.8, 0.5], [0.97, 6.0],
                                               [0.85, 2.0]]
    assert trials[5].state == optuna.trial.TrialState.FAIL
    assert trials[3].constraints == {"0": 1.0}  # one second over the limit: infeasible
    assert trials[0].constraints == {"0": -4.0}
    # Optuna finds the same front, leaving out the trial outside the limit.
    assert {t.user_attrs["knobs_number"] for t in theirs.best_trials} == mine == {0, 1, 2}
    assert theirs.user_attrs["knobs_chosen_trial"] == 1 and trials[1].user_attrs["knobs_chosen"]
