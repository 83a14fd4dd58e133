"""One writer per study, held by a lease inside the file rather than by a deletable lock file;
readers who may not write the folder still read; a study file replaced mid-run stops the CLI."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from engine.storage import StudyFile, StudyFileError
from engine.study_lock import STALE_S
from engine.trial import Trial, TrialState
from tests.engine.processes import (
    ROOT,
    knobs,
    saved_trials,
    start_knobs,
    wait_for_complete,
    write_python_spec,
)

SLOW = "import time\ndef f(params):\n    time.sleep(0.3)\n    return params['x']\n"
SPEC = {"name": "s", "objective": {"kind": "python", "path": "obj.py", "function": "f"},
        "params": [{"name": "x", "type": "float", "low": 0.0, "high": 1.0}]}


def trial(n: int) -> Trial:
    return Trial(n, {"x": 0.5}, TrialState.COMPLETE, value=0.5, started_at=1.0, finished_at=2.0)


def test_deleting_the_lock_file_mid_run_does_not_let_a_second_writer_in(tmp_path):
    spec = write_python_spec(tmp_path, SLOW, trials=200)
    out = tmp_path / "s.knobs"
    first = start_knobs("run", spec, "--out", out, "--workers", "1")
    try:
        wait_for_complete(out, at_least=2, proc=first)
        Path(str(out) + ".lock").unlink()
        second = knobs("run", spec, "--out", out, "--resume", "--workers", "1", timeout=60)
        assert second.returncode == 2, second.stdout + second.stderr
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1, second.stderr
        assert f"in use by another Knobs process (pid {first.pid} on " in lines[0]
        assert first.poll() is None  # the first run goes on, the only writer
        numbers = [t.number for t in saved_trials(out)]
        assert numbers == list(range(len(numbers)))  # no number written twice
    finally:
        first.kill()
        first.wait(30)


def test_a_writer_whose_lease_was_taken_over_stops_saving_with_the_reason(tmp_path):
    # A lease written from another host (a file moved between machines) is judged by its
    # heartbeat alone: once it is stale a writer here may take over, and the first writer
    # must then save nothing more.
    path = tmp_path / "s.knobs"
    first = StudyFile.create(path, SPEC)
    first.write_trial(trial(0))
    Path(str(path) + ".lock").unlink()
    with pytest.raises(StudyFileError, match=r"in use by another Knobs process \(pid "):
        StudyFile.open(path)  # the lease alone refuses a second writer
    _edit_the_lease(path, host="elsewhere", older_by=60)
    with pytest.raises(StudyFileError, match=r"in use by another Knobs process \(pid \d+ on "
                                             r"elsewhere, last heard from \d+ s ago\)"):
        StudyFile.open(path)  # a fresh heartbeat still holds it
    _edit_the_lease(path, older_by=STALE_S)
    second = StudyFile.open(path)
    second.write_trial(trial(1))
    with pytest.raises(StudyFileError, match="another process took over writing it"):
        first.write_trial(trial(2))
    first.close()
    second.close()
    assert [t.number for t in saved_trials(path)] == [0, 1]


def test_a_copy_of_a_running_study_opens_for_writing(tmp_path):
    path = tmp_path / "s.knobs"
    writer = StudyFile.create(path, SPEC)
    writer.write_trial(trial(0))
    writer.checkpoint()
    shutil.copy(path, tmp_path / "copy.knobs")  # the lease came along, for the original
    copy = StudyFile.open(tmp_path / "copy.knobs")
    copy.write_trial(trial(1))
    copy.close()
    writer.close()


def test_a_reader_sees_the_live_writer_by_its_lease(tmp_path):
    path = tmp_path / "s.knobs"
    writer = StudyFile.create(path, SPEC)
    writer.write_trial(trial(0))
    Path(str(path) + ".lock").unlink()
    reader = StudyFile.open(path, readonly=True)
    assert reader.in_use_elsewhere()
    writer.close()
    assert not reader.in_use_elsewhere()
    reader.close()


@pytest.mark.parametrize("writer_running", [False, True], ids=["finished", "running"])
def test_a_reader_who_may_not_write_the_folder_opens_a_study_read_only(writer_running):
    # Under /tmp, not pytest's tmp_path: another user must be able to reach the folder.
    folder = Path(tempfile.mkdtemp(prefix="knobs-ro-"))
    path = folder / "s.knobs"
    writer = StudyFile.create(path, SPEC)
    for n in range(3):
        writer.write_trial(trial(n))
    if not writer_running:
        writer.close()
    try:
        folder.chmod(0o555)
        listing = sorted(p.name for p in folder.iterdir())
        result = _as_another_user(
            "import json, sys\n"
            "from engine.storage import StudyFile\n"
            "f = StudyFile.open(sys.argv[1], readonly=True)\n"
            "print(json.dumps([t.number for t in f.trials()]))\n"
            "f.close()\n", str(path))
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == [0, 1, 2]
        assert sorted(p.name for p in folder.iterdir()) == listing  # nothing written there
    finally:
        folder.chmod(0o700)
        if writer_running:
            writer.close()
        shutil.rmtree(folder)


def test_the_cli_stops_in_one_line_with_exit_1_when_the_study_file_is_replaced(tmp_path):
    # The third trial deletes the study file and writes another in its place.
    body = ("import os, time\n"
            "def f(params):\n"
            "    time.sleep(0.05)\n"
            "    if params['x'] > 0.5 and not os.path.exists('replaced'):\n"
            "        open('replaced', 'w').close()\n"
            "        os.unlink('s.knobs')\n"
            "        open('s.knobs', 'wb').write(b'not a study')\n"
            "    return params['x']\n")
    spec = write_python_spec(tmp_path, body, trials=40)
    result = knobs("run", spec, "--out", "s.knobs", "--workers", "1", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert errors == ["knobs run: error: s.knobs: the study file was deleted "
                      "or replaced while the study ran; results from now on cannot be saved "
                      "there"], result.stderr
    assert "Done" not in result.stdout
    assert (tmp_path / "s.knobs").read_bytes() == b"not a study"  # the other file is kept


# --- helpers -----------------------------------------------------------------------


def _edit_the_lease(path: Path, older_by: float, host: str | None = None) -> None:
    with sqlite3.connect(path) as conn:
        row = json.loads(conn.execute("SELECT value FROM meta WHERE key = 'writer'").fetchone()[0])
        row["beat"] -= older_by
        row["host"] = host or row["host"]
        conn.execute("UPDATE meta SET value = ? WHERE key = 'writer'", (json.dumps(row),))
    conn.close()


def _as_another_user(code: str, *args: str) -> subprocess.CompletedProcess:
    """Run ``code`` with the engine importable, as uid 65534 when we are root (root ignores
    file permissions), else as ourselves (then the permissions already bind us)."""
    env = {"PYTHONPATH": str(ROOT), "PATH": os.environ.get("PATH", "")}
    if os.geteuid() != 0:
        return subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                              text=True, env=env, timeout=60)
    drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    assert shutil.which("setpriv"), "running the tests as root needs setpriv (util-linux)"
    # The engine's storage needs only the standard library: any Python 3.10+ the other user
    # may run will do (ours may sit in a folder only root can enter).
    for python in (sys.executable, "/usr/bin/python3"):
        probe = subprocess.run([*drop, python, "-c", "import sqlite3"], capture_output=True)
        if probe.returncode == 0:
            return subprocess.run([*drop, python, "-c", code, *args], capture_output=True,
                                  text=True, env=env, timeout=60)
    raise AssertionError("no Python that uid 65534 may run")


