"""Following a study another process runs: new trials arrive, the writer is never held up."""

import threading

from engine.follow import StudyFollower
from engine.space import FloatParam
from engine.spec import StudySpec
from engine.study import Study
from engine.trial import TrialState

SPEC = StudySpec(name="followed", params=(FloatParam("x", 0.0, 1.0),),
                 objective={"kind": "python", "path": "x.py", "function": "f"},
                 sampler="random", trials=400, seed=0)


def write(study: Study, n: int) -> None:
    for _ in range(n):
        t = study.ask(worker=0)
        study.report(t.number, 1, t.params["x"] + 1)
        study.tell(t.number, TrialState.COMPLETE, value=t.params["x"])


def test_polls_pick_up_new_and_finished_trials(tmp_path):
    path = tmp_path / "f.knobs"
    writer = Study.create(SPEC, path)
    write(writer, 3)
    running = writer.ask(worker=1)
    reader = Study.open(path, readonly=True)
    follower = StudyFollower(reader)
    assert follower.writer_running
    events = []
    reader.subscribe(lambda event, trial: events.append((event, trial.number, trial.state)))
    assert [t.state for t in reader.trials][3] is TrialState.RUNNING
    assert follower.poll() == []  # the same file as at open: nothing new... once read
    write(writer, 2)
    writer.tell(running.number, TrialState.COMPLETE, value=0.01)
    changed = follower.poll()
    assert sorted(t.number for t in changed) == [3, 4, 5]
    assert [e[1:] for e in events] == [(3, TrialState.COMPLETE), (4, TrialState.COMPLETE),
                                       (5, TrialState.COMPLETE)]
    assert reader.best_trial.number == 3 and reader.summary().n_finished == 6
    assert follower.poll() == []  # nothing committed since
    # The writer stops with a trial in flight and goes: it reads as interrupted.
    writer.ask(worker=0)
    writer.close()
    changed = follower.poll()
    assert not follower.writer_running
    assert [(t.number, t.state) for t in changed] == [(6, TrialState.INTERRUPTED)]
    reader.close()


def test_a_writer_thread_is_never_held_up_by_a_reader_polling_all_the_time(tmp_path):
    path = tmp_path / "f.knobs"
    writer = Study.create(SPEC, path)
    reader = Study.open(path, readonly=True)
    follower = StudyFollower(reader)
    done = threading.Event()
    failures = []

    def run_writer():
        try:
            write(writer, 300)
            writer.checkpoint()  # folding the WAL into the file needs no reader to leave
        except Exception as exc:  # reported by the test below
            failures.append(exc)
        finally:
            writer.close()
            done.set()

    thread = threading.Thread(target=run_writer)
    thread.start()
    seen = 0
    while not done.is_set():
        follower.poll()  # back to back, no pause: the worst case for the writer
        seen = len(reader.trials)
    thread.join()
    follower.poll()
    assert failures == []
    assert len(reader.trials) == 300 and seen <= 300
    assert all(t.state is TrialState.COMPLETE and t.intermediate for t in reader.trials)
    reader.close()


def test_the_thread_follows_until_the_writer_is_gone(tmp_path):
    path = tmp_path / "f.knobs"
    writer = Study.create(SPEC, path)
    write(writer, 2)
    reader = Study.open(path, readonly=True)
    arrived = threading.Event()
    reader.subscribe(lambda event, trial: trial.number == 4 and arrived.set())
    follower = StudyFollower(reader)
    follower.start()
    write(writer, 3)
    assert arrived.wait(30)
    assert follower.following and follower.writer_running
    writer.close()
    follower._thread.join(30)  # it ends by itself once the writer is gone
    assert not follower.following and not follower.writer_running
    follower.stop()
    assert len(reader.trials) == 5
    reader.close()
