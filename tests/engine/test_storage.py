"""The study file keeps every trial, refuses what is not one, and is never corrupted."""

import sqlite3

import pytest

from engine.storage import SCHEMA_VERSION, StudyFile, StudyFileError
from engine.trial import Trial, TrialState

SPEC = {"name": "s", "params": [{"name": "x", "type": "float", "low": 0.0, "high": 1.0}]}


def finished(n: int, value: float) -> Trial:
    return Trial(n, {"x": value}, TrialState.COMPLETE, value=value, started_at=1.0,
                 finished_at=2.5, worker=n % 2, metrics={"acc": 0.5},
                 intermediate=())


def test_trials_round_trip_with_intermediate_values(tmp_path):
    path = tmp_path / "a.knobs"
    f = StudyFile.create(path, SPEC)
    f.write_trial(Trial(0, {"x": 0.1}, TrialState.RUNNING, started_at=1.0, worker=0))
    f.write_intermediate(0, 1, 0.5)
    f.write_intermediate(0, 2, 0.25)
    f.write_trial(finished(0, 0.1))
    f.write_trial(Trial(1, {"x": 0.2}, TrialState.FAILED, error="boom", started_at=1.0))
    f.close()

    g = StudyFile.open(path, readonly=True)
    assert g.spec() == SPEC
    t0, t1 = g.trials()
    g.close()
    assert t0.state is TrialState.COMPLETE and t0.value == 0.1 and t0.duration == 1.5
    assert t0.metrics == {"acc": 0.5} and t0.intermediate == ((1, 0.5), (2, 0.25))
    assert t1.state is TrialState.FAILED and t1.error == "boom"


def test_running_trials_become_interrupted_when_reopened_for_writing(tmp_path):
    path = tmp_path / "a.knobs"
    f = StudyFile.create(path, SPEC)
    f.write_trial(Trial(0, {"x": 0.1}, TrialState.RUNNING, started_at=1.0))
    f.close()
    f = StudyFile.open(path)
    f.claim()  # becoming the writer (Study.open does it once the file is found good)
    [t] = f.trials()
    f.close()
    assert t.state is TrialState.INTERRUPTED and "stopped" in t.error


def test_a_second_writer_is_refused_but_a_reader_is_welcome(tmp_path):
    path = tmp_path / "a.knobs"
    f = StudyFile.create(path, SPEC)
    f.write_trial(finished(0, 0.3))
    with pytest.raises(StudyFileError, match="in use by another Knobs process"):
        StudyFile.open(path)
    reader = StudyFile.open(path, readonly=True)
    assert reader.in_use_elsewhere()
    assert [t.value for t in reader.trials()] == [0.3]
    with pytest.raises(StudyFileError, match="read-only"):
        reader.write_trial(finished(1, 0.2))
    reader.close()
    f.close()
    StudyFile.open(path).close()  # free again once the writer closed


def test_create_refuses_to_replace_an_existing_file(tmp_path):
    path = tmp_path / "a.knobs"
    path.write_text("keep me")
    with pytest.raises(StudyFileError, match="exists already"):
        StudyFile.create(path, SPEC)
    assert path.read_text() == "keep me"


def _future_version(path):
    StudyFile.create(path, SPEC).close()
    with sqlite3.connect(path) as c:
        c.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")


def _foreign(path):
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE songs (title TEXT)")


def _truncated(path):
    StudyFile.create(path, SPEC).close()
    data = path.read_bytes()
    path.write_bytes(data[:200])


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p.write_bytes(b""), "not an SQLite database"),
        (lambda p: p.write_bytes(bytes(range(256)) * 20), "not an SQLite database"),
        (lambda p: p.write_text("name = 'a spec, not a study'"), "not an SQLite database"),
        (_foreign, "another program"),
        (_future_version, "newer Knobs"),
        (_truncated, "damaged"),
    ],
)
def test_bad_files_give_a_clear_error_and_are_not_modified(tmp_path, make, message):
    path = tmp_path / "bad.knobs"
    make(path)
    before = path.read_bytes()
    for readonly in (True, False):
        with pytest.raises(StudyFileError, match=message):
            StudyFile.open(path, readonly=readonly)
    assert path.read_bytes() == before
    assert not (tmp_path / "bad.knobs.lock").exists()


def test_missing_file(tmp_path):
    with pytest.raises(StudyFileError, match="no such file"):
        StudyFile.open(tmp_path / "nope.knobs")


def test_a_read_only_file_gives_a_clear_error_on_write(tmp_path):
    path = tmp_path / "a.knobs"
    f = StudyFile.create(path, SPEC)
    f._conn.execute("PRAGMA query_only = ON")  # stands in for a file that became read-only
    with pytest.raises(StudyFileError, match="cannot save"):
        f.write_trial(finished(0, 0.5))
    f.close()


def test_save_as_copies_every_trial_and_a_changed_spec(tmp_path):
    f = StudyFile.create(tmp_path / "a.knobs", SPEC)
    f.write_trial(finished(0, 0.3))
    f.write_spec({**SPEC, "name": "renamed"})
    f.copy_to(tmp_path / "b.knobs")
    f.close()
    g = StudyFile.open(tmp_path / "b.knobs")
    assert g.spec()["name"] == "renamed"
    assert [t.value for t in g.trials()] == [0.3]
    g.close()
