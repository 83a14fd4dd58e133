"""Running trials on a Dask cluster from the window: the run panel's "Run trials on" fields,
the connection test (in a thread, shown inline) and a study run through a local cluster."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from desktop import background
from desktop.run.run_panel import RunPanel
from engine import dask_executor
from engine.spec import load_spec
from engine.trial import TrialState

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


@pytest.fixture
def panel(qtbot):
    p = RunPanel()
    qtbot.addWidget(p)
    p.show()
    qtbot.mouseClick(p.more_button, Qt.LeftButton)  # these settings fold under it
    return p


def choose_cluster(qtbot, panel: RunPanel, address: str) -> None:
    panel.where.setCurrentIndex(panel.where.findData("cluster"))
    panel.address.clear()
    qtbot.keyClicks(panel.address, address)


def test_this_computer_is_the_default_and_hides_the_cluster_fields(panel):
    assert panel.where.currentText() == "This computer"
    assert panel.cluster_address() is None
    assert not panel.address.isVisible() and not panel.test_button.isVisible()


def test_choosing_a_cluster_shows_its_fields_and_gives_the_address(qtbot, panel):
    choose_cluster(qtbot, panel, " tcp://127.0.0.1:8786 ")
    assert panel.address.isVisible() and panel.test_button.isVisible()
    assert panel.cluster_address() == "tcp://127.0.0.1:8786"
    assert not panel.cluster_result.isVisible()  # nothing to say yet
    panel.where.setCurrentIndex(panel.where.findData("local"))
    assert panel.cluster_address() is None and not panel.address.isVisible()


def test_a_malformed_address_is_flagged_inline_as_it_is_typed(qtbot, panel):
    choose_cluster(qtbot, panel, "8786")
    assert panel.cluster_result.isVisible()
    assert panel.cluster_result.objectName() == "problem"
    text = panel.cluster_result.text()
    assert text.startswith("The cluster address must be tcp://HOST:PORT") and "'8786'" in text
    qtbot.keyClicks(panel.address, "x")  # still wrong
    panel.address.clear()
    qtbot.keyClicks(panel.address, "local:2")
    assert not panel.cluster_result.isVisible()


def test_the_cluster_is_not_part_of_the_spec(qtbot, panel):
    spec = load_spec(EXAMPLES / "toy_training.toml")
    panel.load(spec)
    before = panel.apply(spec)
    with qtbot.assertNotEmitted(panel.changed):  # the study is not edited
        choose_cluster(qtbot, panel, "local:2")
    assert panel.apply(spec) == before
    assert before.cluster is None


def test_a_running_study_locks_the_cluster_fields(qtbot, panel):
    choose_cluster(qtbot, panel, "local:2")
    panel.set_mode("running")
    assert not any(w.isEnabled() for w in (panel.where, panel.address, panel.test_button))
    panel.set_mode("idle")
    assert all(w.isEnabled() for w in (panel.where, panel.address, panel.test_button))


def test_a_refused_connection_is_shown_inline_without_blocking(qtbot, panel):
    choose_cluster(qtbot, panel, f"tcp://127.0.0.1:{_free_port()}")
    with qtbot.waitSignal(panel.connection_tested, timeout=15_000) as signal:
        qtbot.mouseClick(panel.test_button, Qt.LeftButton)
        assert panel.cluster_result.text().startswith("Connecting to tcp://127.0.0.1:")
        assert not panel.test_button.isEnabled()
    ok, text = signal.args
    assert not ok and text.startswith("Nothing listens at tcp://127.0.0.1:")
    assert panel.cluster_result.isVisible() and panel.cluster_result.objectName() == "problem"
    assert panel.cluster_result.text() == text
    assert panel.test_button.isEnabled()


def test_a_slow_test_runs_in_a_thread_and_reports_workers(qtbot, panel, monkeypatch):
    release = threading.Event()
    threads = []

    def slow_test(address, timeout):
        threads.append(threading.current_thread())
        release.wait(10)
        return f"Connected to {address}: 3 workers with 12 threads in all."

    monkeypatch.setattr(dask_executor, "test_connection", slow_test)
    choose_cluster(qtbot, panel, "tcp://127.0.0.1:8786")
    started = time.monotonic()
    qtbot.mouseClick(panel.test_button, Qt.LeftButton)
    assert time.monotonic() - started < 1  # the click returned while the test still runs
    qtbot.waitUntil(lambda: bool(threads))
    assert threads[0] is not threading.main_thread()
    with qtbot.waitSignal(panel.connection_tested, timeout=10_000) as signal:
        release.set()
    assert signal.args[0] is True
    assert panel.cluster_result.text() == (
        "Connected to tcp://127.0.0.1:8786: 3 workers with 12 threads in all.")
    assert panel.cluster_result.objectName() == "hint"


def test_a_result_for_an_address_since_edited_is_dropped(qtbot, panel, monkeypatch):
    release = threading.Event()
    finished = threading.Event()

    def slow_test(address, timeout):
        release.wait(10)
        finished.set()
        return "Connected: 1 worker with 1 thread in all."

    monkeypatch.setattr(dask_executor, "test_connection", slow_test)
    choose_cluster(qtbot, panel, "tcp://127.0.0.1:8786")
    qtbot.mouseClick(panel.test_button, Qt.LeftButton)
    qtbot.keyClicks(panel.address, "7")  # now tcp://127.0.0.1:87867: another address
    with qtbot.assertNotEmitted(panel.connection_tested):
        release.set()
        qtbot.waitUntil(lambda: background.pending() == 0, timeout=10_000)  # delivered
    assert finished.is_set()
    assert "Connected" not in panel.cluster_result.text()


# --- the window ------------------------------------------------------------------------


def test_the_window_runs_a_study_on_a_local_cluster(qtbot, toy_window):
    choose_cluster(qtbot, toy_window.run_panel, "local:2")
    toy_window.run_panel.trials.setValue(4)
    qtbot.mouseClick(toy_window.run_panel.run_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: toy_window.pool is None, timeout=60_000)
    toy_window.feed.flush()
    assert toy_window.errors == []
    study = toy_window.study
    assert study.counts()[TrialState.COMPLETE] == 4
    assert all(len(t.intermediate) == 10 for t in study.trials)  # learning curves came back
    assert toy_window.table.model.rowCount() == 4


def test_an_unreachable_cluster_stops_the_run_with_a_plain_message(qtbot, toy_window):
    choose_cluster(qtbot, toy_window.run_panel, f"tcp://127.0.0.1:{_free_port()}")
    toy_window.run_panel.trials.setValue(4)
    toy_window.run_study()
    qtbot.waitUntil(lambda: toy_window.pool is None, timeout=30_000)
    errors = toy_window.errors
    assert len(errors) == 1 and "nothing listens at tcp://127.0.0.1:" in errors[0]
    assert toy_window.study.trials == []  # no trial was asked for


def test_a_malformed_address_refuses_to_run(qtbot, toy_window):
    choose_cluster(qtbot, toy_window.run_panel, "localhost:8786")
    toy_window.run_study()
    assert toy_window.pool is None
    assert toy_window.errors == []  # said inline, in the cluster section
    assert "tcp://HOST:PORT" in toy_window.run_panel.cluster_result.text()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_tls_address_asks_for_the_certificate_files_and_names_a_missing_one(
        qtbot, panel, tmp_path):
    choose_cluster(qtbot, panel, "tcp://127.0.0.1:8786")
    assert not panel.tls_fields.isVisible()  # only a tls:// scheduler uses them
    choose_cluster(qtbot, panel, "tls://127.0.0.1:8786")
    assert panel.tls_fields.isVisible()
    assert not panel.check_cluster()
    assert panel.cluster_result.objectName() == "problem"
    assert "give the certificate files to use with it (CA file and Certificate" in \
        panel.cluster_result.text()
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    qtbot.keyClicks(panel.tls_fields.edits["ca_file"], str(ca))
    qtbot.keyClicks(panel.tls_fields.edits["cert_file"], str(tmp_path / "me.pem"))
    qtbot.mouseClick(panel.test_button, Qt.LeftButton)  # checked here, nothing sent
    assert f"Certificate = '{tmp_path / 'me.pem'}': no such file; expected a readable PEM " \
        "file" in panel.cluster_result.text()
    assert panel.test_button.isEnabled()
    (tmp_path / "me.pem").write_text("x")
    assert panel.check_cluster()
    tls = panel.cluster_tls()
    assert (tls.ca_file, tls.cert_file, tls.key_file) == (str(ca), str(tmp_path / "me.pem"), None)


def test_a_spec_cluster_table_fills_the_cluster_section(qtbot, panel, tmp_path):
    from engine.cluster_address import ClusterSpec, ClusterTLS

    spec = load_spec(EXAMPLES / "toy_training.toml").evolve(
        cluster=ClusterSpec("tls://10.0.0.5:8786", ClusterTLS("/c/ca.pem", "/c/me.pem", None)))
    panel.load(spec)
    assert panel.cluster_address() == "tls://10.0.0.5:8786"
    assert panel.tls_fields.isVisible()
    assert panel.tls_fields.edits["cert_file"].text() == "/c/me.pem"


def test_the_window_refuses_a_tls_run_without_certificates_inline(qtbot, toy_window):
    choose_cluster(qtbot, toy_window.run_panel, "tls://127.0.0.1:8786")
    toy_window.run_study()
    assert toy_window.pool is None and toy_window.errors == []  # no dialog: said in the panel
    assert "is a TLS scheduler" in toy_window.run_panel.cluster_result.text()
    assert toy_window.run_panel.cluster_result.isVisible()


def test_a_scheduler_that_stops_answering_stops_the_window_run_with_the_reason(
        qtbot, toy_window, tmp_path, monkeypatch):
    import os
    import signal

    import engine.runner as runner_module
    from engine.dask_executor import DaskExecutor
    from tests.engine.test_dask_hangs import QUICK, _cluster

    # The watchdog's limits shortened (the defaults are tested on the command line).
    monkeypatch.setattr(runner_module, "make_executor", lambda cluster, **k: DaskExecutor(
        cluster, memory_limit_mb=k.get("memory_limit_mb"), **QUICK))
    with _cluster(tmp_path) as (address, scheduler, _):
        choose_cluster(qtbot, toy_window.run_panel, address)
        toy_window.run_panel.trials.setValue(200)
        toy_window.run_panel.workers.setValue(1)
        toy_window.run_study()
        qtbot.waitUntil(lambda: toy_window.study is not None and
                        toy_window.study.counts()[TrialState.COMPLETE] >= 2, timeout=60_000)
        os.kill(scheduler.pid, signal.SIGSTOP)
        try:
            qtbot.waitUntil(lambda: toy_window.pool is None, timeout=60_000)
        finally:
            os.kill(scheduler.pid, signal.SIGCONT)
    assert toy_window.errors == [f"the Dask scheduler at {address} did not answer within 3 s; "
                             "the study stopped"]
    counts = toy_window.study.counts()
    assert counts[TrialState.RUNNING] == 0 and counts[TrialState.INTERRUPTED] == 1
    assert toy_window.run_panel.run_button.isEnabled()  # ready to resume
