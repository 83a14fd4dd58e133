"""A misbehaving trial fails alone, with its reason, and the worker slot carries on."""

import threading
import time
from pathlib import Path

import pytest

from engine.executors import LocalProcessExecutor
from engine.objectives.python_function import PythonFunctionObjective
from engine.pids import alive
from engine.trial import TrialState

FAULTY = str(Path(__file__).parent / "objectives" / "faulty.py")


def objective(name: str) -> PythonFunctionObjective:
    return PythonFunctionObjective(FAULTY, name)


@pytest.fixture
def slot():
    s = LocalProcessExecutor(memory_limit_mb=1024).slot(0)
    yield s
    s.close()


def test_a_good_trial_completes_and_the_process_is_reused(slot):
    first = slot.run(objective("good"), {"x": 0.5})
    pid = slot._proc.pid
    second = slot.run(objective("good"), {"x": 0.3})
    assert first.state is TrialState.COMPLETE and first.value == pytest.approx(0.04)
    assert second.value == pytest.approx(0.0)
    assert slot._proc.pid == pid


def test_intermediate_values_and_metrics_come_back(slot):
    reports = []
    out = slot.run(objective("with_metrics"), {"x": 2}, report=lambda s, v: reports.append((s, v)))
    assert reports == [(0, 0.0), (1, 0.1), (2, 0.2)]
    assert out.value == 2.0
    assert out.metrics == {"accuracy": 0.9, "folds": [1.0, 2.0]}


@pytest.mark.parametrize(
    "name, expected",
    [
        ("raises", "RuntimeError: bad x 0.5"),
        ("segfault", "killed by SIGSEGV"),
        ("exits", "exited with code 3"),
        ("returns_nan", "returned nan"),
        ("returns_inf", "returned inf"),
        ("returns_text", "returned '0.5' (str)"),
        ("returns_dict_without_value", "without a 'value' key (keys: loss)"),
        ("allocates", "MemoryError"),
    ],
)
def test_a_bad_trial_fails_with_its_reason_and_the_next_one_runs(slot, name, expected):
    bad = slot.run(objective(name), {"x": 0.5}, timeout_s=60)
    assert bad.state is TrialState.FAILED
    assert expected in bad.error
    after = slot.run(objective("good"), {"x": 0.3})
    assert after.state is TrialState.COMPLETE


def test_the_traceback_tail_is_kept(slot):
    out = slot.run(objective("raises"), {"x": 1})
    assert "faulty.py" in out.error and "in raises" in out.error


def test_a_hang_is_killed_at_the_timeout_with_its_children(slot, tmp_path):
    pid_file = tmp_path / "child.pid"
    started = time.monotonic()
    out = slot.run(objective("hangs_with_child"), {"pid_file": str(pid_file)}, timeout_s=1.5)
    assert out.state is TrialState.FAILED and out.error == "timed out after 1.5 s"
    assert time.monotonic() - started < 10
    child = int(pid_file.read_text())
    assert _gone(child), "the trial's child process outlived the timeout"
    assert slot.run(objective("good"), {"x": 0.3}).state is TrialState.COMPLETE


def test_cancel_interrupts_a_running_trial(slot):
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    out = slot.run(objective("hangs"), {"x": 1}, cancel=cancel)
    assert out.state is TrialState.INTERRUPTED


def test_a_missing_function_fails_the_trial_not_the_slot(slot):
    out = slot.run(PythonFunctionObjective(FAULTY, "no_such_function"), {"x": 1})
    assert out.state is TrialState.FAILED and "no_such_function" in out.error


def _gone(pid: int, wait_s: float = 5.0) -> bool:
    deadline = time.monotonic() + wait_s
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)
