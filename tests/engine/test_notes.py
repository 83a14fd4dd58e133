"""Notes on a study and on its trials: kept in the study file, exported with the trials.

``data/study_v1_notes.knobs`` was written by Knobs before notes (study file version 1, the
code of main at 7e769f2): study "v1" minimizes over ``x`` (float 0..1) and ``c`` (a/b), 4
trials, trial 2 failed.
"""

import csv
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from engine.export import write_csv, write_json
from engine.space import FloatParam
from engine.spec import StudySpec
from engine.storage import MAX_NOTE_CHARS, StudyFileError
from engine.study import Study
from engine.study_checks import SCHEMA_VERSION
from engine.trial import TrialState

V1 = Path(__file__).parent / "data" / "study_v1_notes.knobs"


def fingerprint(path: Path):
    return path.read_bytes(), sorted(p.name for p in path.parent.iterdir())


def version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def old_file(tmp_path):
    path = tmp_path / "old.knobs"
    shutil.copy(V1, path)
    return path


def test_a_version_1_file_opens_unchanged_and_takes_notes_when_written(old_file):
    before = fingerprint(old_file)
    study = Study.open(old_file, readonly=True)
    assert [t.state for t in study.trials][2] is TrialState.FAILED
    assert all(t.note == "" for t in study.trials) and study.note == ""
    study.close()
    assert fingerprint(old_file) == before  # read: not one byte
    study = Study.open(old_file)  # its writer brings it to this schema (storage._migrate)
    study.set_note(1, "  looks like luck: rerun it  ")
    study.set_study_note("Baseline before the new data loader.")
    study.close()
    assert version(old_file) == SCHEMA_VERSION
    again = Study.open(old_file, readonly=True)
    assert again.trials[1].note == "looks like luck: rerun it"
    assert again.note == "Baseline before the new data loader."
    assert [t.note for t in again.trials] == ["", "looks like luck: rerun it", "", ""]
    again.close()


def test_a_note_survives_the_trial_ending_and_empty_text_removes_it(tmp_path):
    spec = StudySpec(name="n", params=(FloatParam("x", 0.0, 1.0),),
                     objective={"kind": "python", "path": "x.py", "function": "f"},
                     sampler="random", trials=3, seed=0)
    study = Study.create(spec, tmp_path / "n.knobs")
    events = []
    study.subscribe(lambda event, trial: events.append((event, trial.number, trial.note)))
    running = study.ask()
    study.set_note(running.number, "started by hand")
    assert events[-1] == ("note", 0, "started by hand")
    done = study.tell(running.number, TrialState.COMPLETE, value=0.5)
    assert done.note == "started by hand" and study.best_trial.note == "started by hand"
    other = study.ask()
    study.tell(other.number, TrialState.COMPLETE, value=0.7)
    study.set_note(other.number, "odd")
    study.set_note(other.number, "")
    study.close()
    reopened = Study.open(tmp_path / "n.knobs", readonly=True)
    assert [t.note for t in reopened.trials] == ["started by hand", ""]
    reopened.close()


def test_notes_are_exported_with_the_trials(old_file, tmp_path):
    study = Study.open(old_file)
    study.set_note(0, "first, with a comma, and \"quotes\"")
    study.set_study_note("why this study")
    write_csv(study.trials, study.space.names, tmp_path / "t.csv")
    write_json(study.trials, tmp_path / "t.json", study_note=study.note)
    study.close()
    rows = list(csv.DictReader(open(tmp_path / "t.csv", newline="", encoding="utf-8")))
    assert rows[0]["note"] == "first, with a comma, and \"quotes\"" and rows[1]["note"] == ""
    payload = json.loads((tmp_path / "t.json").read_text())
    assert payload["study_note"] == "why this study"
    assert payload["trials"][0]["note"].startswith("first")


def test_bad_notes_are_refused_with_what_is_wrong(old_file):
    study = Study.open(old_file)
    with pytest.raises(ValueError, match=r"the note on trial 1: 10,001 characters; at most "
                                         r"10,000 are kept"):
        study.set_note(1, "x" * (MAX_NOTE_CHARS + 1))
    with pytest.raises(ValueError, match=r"trial = 9: no such trial; the study has trials 0 to 3"):
        study.set_note(9, "nope")
    study.close()
    readonly = Study.open(old_file, readonly=True)
    with pytest.raises(StudyFileError, match="opened read-only"):
        readonly.set_note(1, "cannot keep this")
    assert readonly.trials[1].note == ""
    readonly.close()
