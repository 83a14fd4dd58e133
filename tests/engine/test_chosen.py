"""The trial a user chooses from the Pareto front: checked, saved, reported, exported."""

import csv
import io
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from engine.export import judged_of, write_csv, write_json
from engine.front_report import front_lines
from engine.spec import spec_from_dict
from engine.storage import StudyFileError
from engine.study import Study
from engine.trial import TrialState

DATA = Path(__file__).parent / "data"


def _spec():
    return spec_from_dict({
        "name": "mo",
        "objective": {"kind": "sklearn", "model": "logistic_regression", "dataset": "iris"},
        "params": [{"name": "C", "type": "float", "low": 0.01, "high": 10.0, "log": True}],
        "objectives": [{"metric": "value"}, {"metric": "fit_time"}],
        "constraints": [{"metric": "fit_time", "max": 5}],
    })


def _study(path=None):
    study = Study.create(_spec(), path)
    # (accuracy, seconds): 0, 1, 2 on the front; 3 over the 5 s limit; 4 beaten by 1.
    for value, seconds in [(0.9, 1), (0.95, 2), (0.8, 0.5), (0.97, 6), (0.85, 2)]:
        t = study.ask()
        study.tell(t.number, TrialState.COMPLETE, value=value, metrics={"fit_time": seconds})
    return study


def test_a_trial_of_the_front_is_chosen_saved_and_reopened(tmp_path):
    study = _study(tmp_path / "s.knobs")
    heard = []
    study.subscribe(lambda event, trial: heard.append((event, trial.number)))
    assert study.chosen is None and study.summary().chosen is None
    assert study.choose(0).number == 0
    assert study.summary().chosen.number == 0 and study.summary().front_size == 3
    study.choose(2)  # another one: both rows change for whoever shows them
    assert heard == [("chosen", 0), ("chosen", 0), ("chosen", 2)]
    study.close()
    again = Study.open(tmp_path / "s.knobs", readonly=True)
    assert again.chosen.number == 2 and again.summary().chosen.values == (0.8, 0.5)
    again.close()
    writer = Study.open(tmp_path / "s.knobs")
    writer.choose(None)
    writer.close()
    assert Study.open(tmp_path / "s.knobs", readonly=True).chosen is None


@pytest.mark.parametrize("number, why", [
    (3, "trial = 3: it is outside the limits"),
    (4, "trial = 4: another trial beats it in every objective"),
    (9, "trial = 9: no such trial; the study has trials 0 to 5"),
    (5, "trial = 5: it is running"),
])
def test_only_a_trial_on_the_front_can_be_chosen(number, why):
    study = _study()
    study.ask()  # trial 5, running
    with pytest.raises(ValueError, match=why):
        study.choose(number)
    assert study.chosen is None


def test_a_read_only_study_refuses_a_choice_and_keeps_none(tmp_path):
    _study(tmp_path / "s.knobs").close()
    ro = Study.open(tmp_path / "s.knobs", readonly=True)
    with pytest.raises(StudyFileError, match="read-only"):
        ro.choose(1)
    assert ro.chosen is None


def test_the_choice_needs_no_schema_step_and_older_files_open_without_one(tmp_path):
    def schema(path):
        conn = sqlite3.connect(path)
        try:
            return (conn.execute("PRAGMA user_version").fetchone()[0],
                    conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall())
        finally:
            conn.close()

    study = _study(tmp_path / "s.knobs")
    before = schema(tmp_path / "s.knobs")
    study.choose(0)
    study.close()
    assert schema(tmp_path / "s.knobs") == before  # one row in the meta table, no more
    old = tmp_path / "old.knobs"
    shutil.copy(DATA / "study_v1.knobs", old)
    assert Study.open(old, readonly=True).chosen is None


def test_a_damaged_choice_is_named(tmp_path):
    _study(tmp_path / "s.knobs").close()
    conn = sqlite3.connect(tmp_path / "s.knobs")
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('chosen', 'two')")
    conn.commit()
    conn.close()
    with pytest.raises(StudyFileError, match="the chosen trial is damaged: 'two'"):
        Study.open(tmp_path / "s.knobs", readonly=True)


def test_the_chosen_trial_is_in_show_and_in_both_exports():
    study = _study()
    study.choose(1)
    lines = front_lines(study)
    assert any(line.startswith(" *#1 ") for line in lines)
    assert lines[-1] == "Chosen: trial 1 (*), on the front."
    judged = judged_of(study)
    out = io.StringIO()
    write_csv(study.trials, study.space.names, out, judged=judged)
    rows = {r["number"]: r for r in csv.DictReader(io.StringIO(out.getvalue()))}
    assert rows["1"]["chosen"] == "true" and rows["0"]["chosen"] == "false"
    assert rows["3"]["chosen"] == "false"  # complete but outside the limits
    out = io.StringIO()
    write_json(study.trials, out, judged=judged)
    trials = json.loads(out.getvalue())["trials"]
    assert [t["number"] for t in trials if t.get("chosen")] == [1]


def test_a_chosen_trial_that_a_new_one_beats_stays_chosen_and_says_so():
    study = _study()
    study.choose(2)  # 0.8 at 0.5 s
    t = study.ask()
    study.tell(t.number, TrialState.COMPLETE, value=0.85, metrics={"fit_time": 0.4})
    assert study.chosen.number == 2
    assert front_lines(study)[-1] == ("Chosen: trial 2 (*), no longer on the front: another "
                                      "trial now beats it.")
