"""Faults a long study survives: nothing that finished is ever lost.

Each test runs a real study (two worker processes) into a study file and reads the file
back: every finished trial is there as it was told, each failure says why, and either the
budget is met or the run stops with a clear error and can be resumed.

Covered elsewhere, not repeated here: one slot's failures one at a time
(tests/engine/test_executors.py), the command line killed with SIGKILL and resumed
(tests/engine/test_cli.py::test_sigkill_mid_study_loses_no_finished_trial_and_resume_meets_
the_budget), bad study files (tests/engine/test_bad_input.py).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from engine.objectives.registry import make_objective
from engine.runner import Runner
from engine.spec import spec_from_dict
from engine.storage import StudyFile, StudyFileError
from engine.study import Study
from engine.trial import Trial, TrialState
from tests.engine import processes
from tests.engine.processes import knobs, saved_trials, wait_for_complete

FAULTY = str(Path(__file__).parent / "objectives" / "faulty.py")
X_GRID = [0.1, 0.5, 0.9]


def fault_spec(fault: str, **settings) -> dict:
    """A grid of ``fault`` and a good objective, three trials each, on two workers."""
    return {
        "name": f"fault {fault}", "workers": 2, "timeout_s": 3, "memory_limit_mb": 512,
        "sampler": {"name": "grid"}, "budget": {"trials": 2 * len(X_GRID)},
        "objective": {"kind": "python", "path": FAULTY, "function": "by_name"},
        "params": [
            {"name": "fault", "type": "categorical", "choices": [fault, "good"]},
            {"name": "x", "type": "float", "low": 0.0, "high": 1.0, "grid": X_GRID},
        ],
        **settings,
    }


def run_study(spec: dict, path: Path) -> Study:
    study = Study.create(spec_from_dict(spec), path)
    Runner(study, make_objective(study.spec.objective)).run()
    return study


def by_number(trials: list[Trial]) -> dict[int, Trial]:
    return {t.number: t for t in trials}


def integrity(path: Path) -> str:
    with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


# --- a trial's code misbehaves ---------------------------------------------------------

FAULTS = [
    ("raises", "RuntimeError: bad x"),
    ("segfault", "killed by SIGSEGV"),
    ("exits", "exited with code 3"),
    ("allocates", "MemoryError"),  # stopped by memory_limit_mb
    ("killed", "killed by SIGKILL (possibly out of memory)"),  # as by the OOM killer
    ("hangs", "timed out after 3 s"),
    ("returns_nan", "returned nan"),
    ("returns_inf", "returned inf"),
    ("returns_text", "returned '0.5' (str)"),
]


@pytest.mark.parametrize("fault, reason", FAULTS, ids=[f for f, _ in FAULTS])
def test_a_faulty_trial_fails_with_its_reason_the_others_complete_and_the_budget_is_met(
        tmp_path, fault, reason):
    path = tmp_path / "s.knobs"
    study = run_study(fault_spec(fault), path)
    trials = study.trials
    study.close()

    failed = [t for t in trials if t.state is TrialState.FAILED]
    complete = [t for t in trials if t.state is TrialState.COMPLETE]
    assert len(failed) + len(complete) == len(trials) == 2 * len(X_GRID)
    assert [t.params["fault"] for t in failed] == [fault] * len(X_GRID)
    for t in failed:
        assert reason in t.error, t.error
    assert [t.params["fault"] for t in complete] == ["good"] * len(X_GRID)
    assert [t.value for t in complete] == pytest.approx([(x - 0.3) ** 2 for x in X_GRID])
    assert saved_trials(path) == trials  # the file holds each trial exactly as it was told


# --- the study file cannot be written ------------------------------------------------


def _fill_the_disk(file: StudyFile) -> None:
    # SQLite's own size cap on this connection: the next page it needs fails exactly as on
    # a full disk (SQLITE_FULL), without needing a small file system in the test.
    with file._mutex:
        pages = file._conn.execute("PRAGMA page_count").fetchone()[0]
        file._conn.execute(f"PRAGMA max_page_count = {pages}")


def _make_read_only(file: StudyFile) -> None:
    # Stands in for a file that became read-only under the app (tests run as root, so a
    # chmod would not stop the writes): SQLite refuses them with SQLITE_READONLY.
    with file._mutex:
        file._conn.execute("PRAGMA query_only = ON")


@pytest.mark.parametrize("break_file, message", [
    (_fill_the_disk, "cannot save: the disk is full"),
    (_make_read_only, "cannot save: the file or its folder is read-only"),
], ids=["disk-full", "read-only"])
def test_an_unwritable_study_file_stops_the_run_and_keeps_every_finished_trial(
        tmp_path, break_file, message):
    path = tmp_path / "s.knobs"
    spec = spec_from_dict({
        "name": "unwritable", "workers": 2, "budget": {"trials": 12},
        "objective": {"kind": "python", "path": FAULTY, "function": "bulky"},
        "params": [{"name": "x", "type": "float", "low": 0.0, "high": 1.0}],
    })
    study = Study.create(spec, path)
    told: dict[int, Trial] = {}

    def on_event(event: str, trial: Trial) -> None:
        if event == "finished":  # heard only once the trial is in the file
            told[trial.number] = trial
            if len(told) == 3:
                break_file(study.file)

    study.subscribe(on_event)
    objective = make_objective(spec.objective)
    with pytest.raises(StudyFileError, match=message) as info:
        Runner(study, objective).run()
    assert str(path) in str(info.value)
    assert len(told) < 12 and len(study.trials) < 12  # the run stopped
    study.close()

    assert integrity(path) == "ok"
    reopened = Study.open(path)  # writable again: the disk has room now
    kept = by_number(reopened.trials)
    assert all(kept[n] == t for n, t in told.items())
    assert not [t for t in reopened.trials if t.state is TrialState.RUNNING]
    Runner(reopened, objective).run()
    assert reopened.n_finished == 12
    reopened.close()


def test_a_study_opened_read_only_refuses_to_run_and_is_left_as_it_was(tmp_path):
    path = tmp_path / "s.knobs"
    run_study({
        "name": "s", "budget": {"trials": 2},
        "objective": {"kind": "python", "path": FAULTY, "function": "good"},
        "params": [{"name": "x", "type": "float", "low": 0.0, "high": 1.0}],
    }, path).close()
    before = path.read_bytes()
    study = Study.open(path, readonly=True)
    study.reconfigure(study.spec.evolve(trials=4))
    with pytest.raises(StudyFileError, match="opened read-only"):
        # Raising, not running: results of a read-only study could never be saved.
        Runner(study, make_objective(study.spec.objective)).run()
    study.close()
    assert path.read_bytes() == before
    assert len(saved_trials(path)) == 2


# --- two processes, one study file -------------------------------------------------


def spec_file(folder: Path, function: str, trials: int) -> Path:
    spec = folder / f"{function}.toml"
    spec.write_text(f"""
name = "{function}"
workers = 2
[budget]
trials = {trials}
[objective]
kind = "python"
path = "{FAULTY}"
function = "{function}"
[[params]]
name = "x"
type = "float"
low = 0.0
high = 1.0
""")
    return spec


def test_a_second_process_is_refused_as_writer_and_reads_safely_while_a_study_runs(tmp_path):
    spec = spec_file(tmp_path, "held", trials=20)
    path = tmp_path / "held.knobs"
    hold = tmp_path / "hold"  # while it exists, new trials wait: the writer surely still runs
    writer = processes.start_knobs("run", spec, "--out", path, env={"KNOBS_HOLD": str(hold)})
    seen: dict[int, Trial] = {}
    try:
        wait_for_complete(path, at_least=2, proc=writer)
        hold.touch()
        with pytest.raises(StudyFileError, match=f"in use by another Knobs process "
                                                 f"\\(pid {writer.pid}\\)"):
            Study.open(path)
        other = knobs("run", spec, "--out", path, "--resume")
        assert other.returncode == 2 and "in use by another Knobs process" in other.stderr
        reader = Study.open(path, readonly=True)
        assert reader.file.in_use_elsewhere()
        reader.close()
        hold.unlink()
        while writer.poll() is None:  # read over and over while the writer writes
            for t in saved_trials(path):
                if t.state is TrialState.COMPLETE:
                    assert seen.setdefault(t.number, t) == t  # a finished trial never changes
    finally:
        writer.kill()
        writer.wait(30)
    assert writer.returncode == 0
    final = by_number(saved_trials(path))
    assert sum(t.state is TrialState.COMPLETE for t in final.values()) == 20
    assert all(final[n] == t for n, t in seen.items()) and seen
    assert integrity(path) == "ok"


def test_a_lock_freed_between_open_and_lock_is_not_taken_twice(tmp_path, monkeypatch):
    # The holder unlinks its lock file, then unlocks. A process that opened the old file just
    # before and locks it just after must not count as the writer: a third process locks the
    # new file, and two writers would interleave their trials in one study.
    path = tmp_path / "s.knobs"
    first = StudyFile.create(path, {"name": "s"})
    import engine.study_lock as storage

    real_lock = storage._lock_fd
    calls = []

    def lock_after_the_holder_released(fd: int) -> None:
        if not calls:
            first.close()  # the holder lets go right between our open and our lock
        calls.append(fd)
        real_lock(fd)

    monkeypatch.setattr(storage, "_lock_fd", lock_after_the_holder_released)
    second = StudyFile.open(path)
    monkeypatch.setattr(storage, "_lock_fd", real_lock)
    with pytest.raises(StudyFileError, match="in use by another Knobs process"):
        StudyFile.open(path)  # the third: refused, because the second holds the real lock
    second.close()
