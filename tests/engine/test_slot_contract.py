"""One contract, both kinds of slot: what the run loop relies on from a local worker process
and from a place on a Dask cluster (engine.slots.Slot). Each case runs against each kind."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from distributed import LocalCluster

from engine.dask_executor import DaskExecutor
from engine.executors import LocalProcessExecutor
from engine.objectives.python_function import PythonFunctionObjective
from engine.slots import Outcome
from engine.trial import TrialState

HERE = Path(__file__).parent
FAULTY = str(HERE / "objectives" / "faulty.py")
CLUSTER = str(HERE / "objectives" / "cluster_trials.py")


def faulty(name: str) -> PythonFunctionObjective:
    return PythonFunctionObjective(FAULTY, name)


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as c:
        yield c


@pytest.fixture(params=["local process", "dask"])
def slot(request):
    if request.param == "local process":
        executor = LocalProcessExecutor(memory_limit_mb=1024)
    else:
        executor = DaskExecutor(request.getfixturevalue("cluster").scheduler_address,
                                memory_limit_mb=1024)
    s = executor.slot(0)
    yield s
    s.close()
    s.close()  # closing twice is safe
    executor.close()


def test_a_good_trial_completes_with_its_value_metrics_and_reports(slot):
    heard = []
    out = slot.run(faulty("with_metrics"), {"x": 0.5}, report=lambda s, v: heard.append((s, v)))
    assert isinstance(out, Outcome)
    assert out.state is TrialState.COMPLETE and out.value == 0.5
    assert out.metrics == {"accuracy": 0.9, "folds": [1, 2]}
    assert heard == [(0, 0.0), (1, 0.1), (2, 0.2)]


@pytest.mark.parametrize("name, says", [
    ("raises", "RuntimeError: bad x 0.5"),
    ("exits", "exited with code 3"),
    ("killed", "killed by SIGKILL"),
])
def test_a_failing_trial_fails_alone_with_its_reason_and_the_next_one_runs(slot, name, says):
    out = slot.run(faulty(name), {"x": 0.5})
    assert out.state is TrialState.FAILED and says in out.error
    assert slot.run(faulty("good"), {"x": 0.5}).state is TrialState.COMPLETE


def test_a_trial_past_its_timeout_fails_and_the_next_one_runs(slot):
    out = slot.run(faulty("hangs"), {"x": 0.5}, timeout_s=1.0)
    assert out.state is TrialState.FAILED and out.error == "timed out after 1 s"
    assert slot.run(faulty("good"), {"x": 0.5}).state is TrialState.COMPLETE


def test_cancel_interrupts_the_running_trial(slot):
    cancel = threading.Event()
    threading.Timer(1.0, cancel.set).start()
    started = time.monotonic()
    out = slot.run(faulty("hangs"), {"x": 0.5}, cancel=cancel)
    assert out.state is TrialState.INTERRUPTED
    assert time.monotonic() - started < 60  # bounded: a hung trial never holds Stop
    assert slot.run(faulty("good"), {"x": 0.5}).state is TrialState.COMPLETE


def test_a_missing_function_fails_the_trial_not_the_slot(slot):
    out = slot.run(faulty("no_such_function"), {"x": 0.5})
    assert out.state is TrialState.FAILED and "no_such_function" in out.error
    assert slot.run(faulty("good"), {"x": 0.5}).state is TrialState.COMPLETE
