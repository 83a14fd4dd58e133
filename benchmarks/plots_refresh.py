"""How long a full refresh of every plot takes at 1,000 / 10,000 / 50,000 trials.

Runs offscreen and prints, per study size: copying the trials into the plots' table; for
each plot its first draw (compute + setData of everything), a redraw of the same trials
and a paint (a grab of the widget); one live batch of 50 trials finishing while the
history tab shows; and the importance fit (which runs off the GUI thread in the app).
No asserts: the numbers are for reading.

    python benchmarks/plots_refresh.py [sizes...]
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from desktop.plots import PlotsWidget  # noqa: E402
from desktop.trial_feed import TrialFeed  # noqa: E402
from engine.analysis import param_importance  # noqa: E402
from engine.space import CategoricalParam, Condition, FloatParam, IntParam  # noqa: E402
from engine.spec import StudySpec  # noqa: E402
from engine.study import Study  # noqa: E402
from engine.trial import Trial, TrialState  # noqa: E402

SIZES = (1_000, 10_000, 50_000)
PARAMS = (
    FloatParam("learning_rate", 1e-4, 1e-1, log=True),
    IntParam("units", 16, 256, log=True),
    IntParam("layers", 1, 4),
    FloatParam("dropout", 0.0, 0.5),
    CategoricalParam("solver", ("adam", "sgd", "lbfgs")),
    FloatParam("momentum", 0.5, 0.99, condition=Condition("solver", ("sgd",))),
)
WORKERS = 8
STEPS = 10
LIVE_BATCH = 50  # the newest trials are running; the live batch finishes them


def make_trials(n: int, seed: int = 0) -> list[Trial]:
    """A finished-looking study: mostly complete, some failed and pruned, a few running."""
    rng = np.random.default_rng(seed)
    lr = 10 ** rng.uniform(-4, -1, n)
    units = np.round(10 ** rng.uniform(np.log10(16), np.log10(256), n)).astype(int)
    layers = rng.integers(1, 5, n)
    dropout = rng.uniform(0, 0.5, n)
    solver = rng.choice(["adam", "sgd", "lbfgs"], n)
    momentum = rng.uniform(0.5, 0.99, n)
    value = (np.log10(lr) + 2.5) ** 2 + 0.3 * dropout + rng.normal(0, 0.05, n)
    roll = rng.random(n)
    durations = rng.uniform(2, 30, n)
    clock = np.zeros(WORKERS)
    trials = []
    for i in range(n):
        params = {"learning_rate": float(lr[i]), "units": int(units[i]),
                  "layers": int(layers[i]), "dropout": float(dropout[i]),
                  "solver": str(solver[i])}
        if solver[i] == "sgd":
            params["momentum"] = float(momentum[i])
        w = i % WORKERS
        start = clock[w]
        clock[w] += durations[i] + 0.1
        state = (TrialState.RUNNING if i >= n - LIVE_BATCH else TrialState.FAILED
                 if roll[i] < 0.05 else TrialState.PRUNED if roll[i] < 0.15
                 else TrialState.COMPLETE)
        curve = tuple((s, float(value[i] + 1.0 / s)) for s in range(1, STEPS + 1))
        trials.append(Trial(
            number=i, params=params, state=state,
            value=float(value[i]) if state is TrialState.COMPLETE else None,
            started_at=1.7e9 + start,
            finished_at=None if state is TrialState.RUNNING else 1.7e9 + clock[w],
            worker=w, intermediate=curve if state is not TrialState.FAILED else (),
        ))
    return trials


def ms(seconds: float) -> str:
    return f"{1000 * seconds:8.1f}"


def bench(app: QApplication, n: int) -> None:
    spec = StudySpec(name=f"bench-{n}", params=PARAMS, direction="minimize",
                     objective={"kind": "python", "path": "x.py", "function": "f"},
                     sampler="random", trials=n, seed=0)
    trials = make_trials(n)
    study = Study(spec, trials=trials)
    feed = TrialFeed()
    panel = PlotsWidget(feed)
    panel.resize(1200, 800)

    start = time.perf_counter()
    feed.set_study(study)  # hidden: only builds the table; every plot is stale
    reset = time.perf_counter() - start
    print(f"\n{n:,} trials   (copy into the plots' table: {ms(reset)} ms)")
    print(f"  {'plot':<12}{'first draw':>12}{'redraw':>10}{'paint':>10}   (ms)")
    total = 0.0
    for key, plot in panel.plots.items():
        start = time.perf_counter()
        if key == "history":
            panel.show()  # the first tab draws when the window shows
        else:
            panel.show_plot(key)  # a stale tab computes and sets all its data when shown
        first = time.perf_counter() - start
        start = time.perf_counter()
        plot.refresh()  # the same trials again: items that did not change are kept
        again = time.perf_counter() - start
        start = time.perf_counter()
        plot.grab()
        painted = time.perf_counter() - start
        total += first + painted
        note = "   (the fit runs on a thread)" if key == "importance" else ""
        print(f"  {key:<12}{ms(first):>12}{ms(again):>10}{ms(painted):>10}{note}")
    print(f"  {'all six':<12}{ms(total):>12}   (first draw + paint)")

    # A live batch: the running trials finish while the history tab is showing.
    panel.show_plot("history")
    app.processEvents()
    batch = [t.evolve(state=TrialState.COMPLETE, value=1.0 + 0.01 * k,
                      finished_at=t.started_at + 5.0)
             for k, t in enumerate(trials[-LIVE_BATCH:])]
    start = time.perf_counter()
    feed.updated.emit(batch)
    history = panel.plots["history"]
    # The panel hands a live batch to the plots a turn later, and big studies defer live
    # redraws further: time the redraw itself.
    history.refresh()
    history.grab()
    print(f"  live batch: {LIVE_BATCH} trials finish, history tab redraws: "
          f"{ms(time.perf_counter() - start)} ms")

    columns = panel.columns
    start = time.perf_counter()
    result = param_importance(columns, columns.mask())
    print(f"  importance fit ({result.n_trials:,} complete trials, at most 2,000 used): "
          f"{ms(time.perf_counter() - start)} ms")
    importance = panel.plots["importance"]
    deadline = time.monotonic() + 30
    while importance.busy and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    panel.close()
    panel.deleteLater()
    feed.deleteLater()
    app.processEvents()


def main(argv: list[str]) -> None:
    sizes = [int(a.replace("_", "").replace(",", "")) for a in argv] or list(SIZES)
    app = QApplication.instance() or QApplication([])
    import sklearn.ensemble  # noqa: F401 - so the first fit does not time an import

    print("Plot refresh benchmark (offscreen, 1200 x 800 window)")
    for n in sizes:
        bench(app, n)


if __name__ == "__main__":
    main(sys.argv[1:])
