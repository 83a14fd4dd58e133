"""Window tests collect garbage as the app does: on the GUI thread only (see
desktop/gui_thread_gc.py; a collection on a worker thread crashed the suite)."""

import pytest

from desktop.gui_thread_gc import collect_on_gui_thread


@pytest.fixture(autouse=True, scope="session")
def garbage_collected_on_the_gui_thread(qapp):
    collect_on_gui_thread()
