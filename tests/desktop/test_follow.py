"""A study run by another process, opened in the window: its trials appear as written."""

import threading

from desktop.studies.follow import FINISHED, FOLLOWING
from engine.space import FloatParam
from engine.spec import StudySpec
from engine.study import Study
from engine.trial import TrialState

SPEC = StudySpec(name="elsewhere", params=(FloatParam("x", 0.0, 1.0),),
                 objective={"kind": "python", "path": "x.py", "function": "f"},
                 sampler="random", trials=100, seed=0)


def test_the_window_follows_a_study_another_writer_runs(qtbot, window, tmp_path):

    path = tmp_path / "elsewhere.knobs"
    writer = Study.create(SPEC, path)
    for _ in range(3):
        t = writer.ask()
        writer.tell(t.number, TrialState.COMPLETE, value=t.params["x"])
    assert window.open_path(path)
    assert window.study.file.readonly and window.follow.following
    assert window.follow.label.isVisible() and window.follow.label.text() == FOLLOWING
    assert not window.run_panel.run_button.isEnabled()
    assert window.table.proxy.rowCount() == 3

    go = threading.Event()

    def write_more():
        go.wait(30)
        for _ in range(7):
            t = writer.ask()
            writer.tell(t.number, TrialState.COMPLETE, value=t.params["x"])

    thread = threading.Thread(target=write_more)
    thread.start()
    go.set()
    qtbot.waitUntil(lambda: window.table.proxy.rowCount() == 10, timeout=30_000)
    thread.join()
    plots = window.plots
    qtbot.waitUntil(lambda: plots.columns is not None and plots.columns.n == 10,
                    timeout=30_000)
    writer.close()
    qtbot.waitUntil(lambda: not window.follow.label.isVisible(), timeout=30_000)
    assert window.statusBar().currentMessage() == FINISHED
    assert window.study.file.readonly  # never taken over for writing
