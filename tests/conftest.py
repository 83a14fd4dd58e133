"""Shared fixtures. GUI tests run offscreen; every test must leave no threads or
worker processes behind."""

import multiprocessing
import os
import threading
import time

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _our_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("knobs-")}


def _our_children() -> list:
    return [p for p in multiprocessing.active_children() if p.name.startswith("knobs-")]


@pytest.fixture(autouse=True)
def no_leftover_workers():
    """Fail a test that leaves run threads or worker processes running."""
    yield
    deadline = time.monotonic() + 5
    while (_our_threads() or _our_children()) and time.monotonic() < deadline:
        time.sleep(0.05)
    threads, children = _our_threads(), _our_children()
    assert not threads, f"threads left running: {sorted(t.name for t in threads)}"
    assert not children, f"worker processes left running: {[p.name for p in children]}"
