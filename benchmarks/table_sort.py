"""How long the trials table takes at 100,000 trials: fill, sort, filter, live updates.

Runs offscreen and prints times; no asserts. ``--proxy-baseline`` also times Qt's own
QSortFilterProxyModel sort over the same model, the approach the table avoids (slow).

    python benchmarks/table_sort.py [--trials 100000] [--proxy-baseline]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from PySide6.QtCore import QSortFilterProxyModel, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from desktop.trial_feed import TrialFeed  # noqa: E402
from desktop.trials.model import SORT_ROLE  # noqa: E402
from desktop.trials.view import TrialsTableWidget  # noqa: E402
from engine.space import CategoricalParam, Condition, FloatParam, IntParam  # noqa: E402
from engine.spec import StudySpec  # noqa: E402
from engine.study import Study  # noqa: E402
from engine.trial import Trial, TrialState  # noqa: E402

SPEC = StudySpec(
    name="bench", direction="maximize", sampler="random", seed=0,
    objective={"kind": "python", "path": "x.py", "function": "f"},
    params=(
        IntParam("n_estimators", 20, 200, log=True),
        IntParam("max_depth", 2, 30, log=True),
        FloatParam("max_features", 0.1, 1.0),
        CategoricalParam("kernel", ("rbf", "linear", "poly")),
        FloatParam("gamma", 1e-4, 10.0, log=True, condition=Condition("kernel", ("rbf",))),
    ),
)


def make_trials(n: int, rng: np.random.Generator, start: int = 0) -> list[Trial]:
    """Trials shaped like a real study's: 5% failed, a few running, two metrics."""
    t0 = time.time() - n
    kernels = ("rbf", "linear", "poly")
    out = []
    for k in range(start, start + n):
        kernel = kernels[k % 3]
        params = {
            "n_estimators": int(rng.integers(20, 201)), "max_depth": int(rng.integers(2, 31)),
            "max_features": float(rng.random()), "kernel": kernel,
        }
        if kernel == "rbf":
            params["gamma"] = float(10 ** rng.uniform(-4, 1))
        failed = rng.random() < 0.05
        out.append(Trial(
            number=k, params=params,
            state=TrialState.FAILED if failed else TrialState.COMPLETE,
            value=None if failed else float(rng.random()),
            started_at=t0 + k, finished_at=t0 + k + float(rng.random() * 30), worker=k % 8,
            error="RuntimeError: diverged\nTraceback (most recent call last):" if failed else None,
            metrics={} if failed else {"fit_time": float(rng.random()), "score_std": 0.01},
        ))
    return out


def set_filter(widget: TrialsTableWidget, text: str) -> None:
    widget.filter_edit.setText(text)
    widget.apply_filter()  # at 100k rows typing is debounced; apply now to time it
    while widget.model.searching:  # words in a big table are searched on a worker thread
        QApplication.processEvents()
        time.sleep(0.001)


def timed(label: str, app: QApplication, action) -> float:
    start = time.perf_counter()
    action()
    app.processEvents()  # includes the repaint the user waits for
    seconds = time.perf_counter() - start
    print(f"  {label:<44} {seconds * 1000:9.1f} ms")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100_000)
    parser.add_argument("--proxy-baseline", action="store_true",
                        help="also time QSortFilterProxyModel's own sort (about 15 s)")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    study = Study(SPEC, trials=make_trials(args.trials, rng))
    print(f"{args.trials} trials built in {time.perf_counter() - start:.2f} s (not the table)")

    feed = TrialFeed()  # its timer only fires inside processEvents; batches flush by hand
    widget = TrialsTableWidget(feed)
    widget.resize(1200, 700)
    widget.show()
    app.processEvents()
    model = widget.model
    value = model.column_of("value")
    print("table:")
    timed("initial fill (reset, fit columns, paint)", app, lambda: feed.set_study(study))
    timed("sort by value, ascending", app, lambda: widget.sort_by(value))
    timed("sort by value, descending", app,
          lambda: widget.sort_by(value, Qt.SortOrder.DescendingOrder))
    timed("sort by param n_estimators", app,
          lambda: widget.sort_by(model.column_of("param", "n_estimators")))
    timed("sort by param gamma (conditional)", app,
          lambda: widget.sort_by(model.column_of("param", "gamma")))
    timed("sort by choice kernel", app,
          lambda: widget.sort_by(model.column_of("param", "kernel")))
    timed("filter value>0.9", app, lambda: set_filter(widget, "value>0.9"))
    timed("filter kernel=rbf max_depth<10", app,
          lambda: set_filter(widget, "kernel=rbf max_depth<10"))
    timed("filter word 'diverged' (first word: row texts)", app,
          lambda: set_filter(widget, "diverged"))
    timed("filter word 'linear' (row texts cached)", app,
          lambda: set_filter(widget, "linear"))
    timed("state filter: failed only", app,
          lambda: widget.state_buttons[TrialState.FAILED].setChecked(True))
    timed("clear filters", app, lambda: (
        widget.state_buttons[TrialState.FAILED].setChecked(False),
        set_filter(widget, ""),
    ))

    # Live: each flush brings 20 finished and 20 new trials (the feed flushes 5 times a
    # second), first in trial order, then sorted by value with a filter on.
    running = [study.ask(worker=k) for k in range(20)]
    feed.flush()
    widget.sort_by(0)  # trial order, as a study opens
    app.processEvents()
    for label in ("trial order", "sorted by value, filtered"):
        if label != "trial order":
            widget.sort_by(value)
            set_filter(widget, "value>0.2")
            app.processEvents()
        times = []
        for _ in range(5):
            for t in running:
                study.tell(t.number, TrialState.COMPLETE, value=float(rng.random()))
            running = [study.ask(worker=k) for k in range(20)]
            start = time.perf_counter()
            feed.flush()
            app.processEvents()
            times.append(time.perf_counter() - start)
        print(f"  {'live batch (20 done + 20 new), ' + label:<44} "
              f"{np.median(times) * 1000:9.1f} ms median of 5")
    # Above LIVE_RESORT_ROWS the rows move into place at most once a second:
    timed("the once-a-second live re-sort", app, model.resort)

    if args.proxy_baseline:
        print("baseline (not used by the table):")
        proxy = QSortFilterProxyModel()
        proxy.setSourceModel(model)
        proxy.setSortRole(SORT_ROLE)
        timed("QSortFilterProxyModel.sort by value", app, lambda: proxy.sort(value))
    feed.set_study(None)


if __name__ == "__main__":
    main()
