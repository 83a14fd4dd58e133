"""Open a 100,000-trial study in the real window and measure how long the window stalls.

A 10 ms timer on the GUI thread records how late each tick arrives; the longest lateness is
the longest time the window could not respond to the user. Three phases are measured, each
on its own: opening the study file (File > Open, read in the background), drawing the
Timeline tab, and typing a word into the table's filter box. Run offscreen:

    python benchmarks/gui_open.py [--trials 100000] [--study /tmp/knobs-open-100k.knobs]

The study file is made once (about a minute) and reused when it already exists. To measure
on a loaded machine, run a CPU hog beside it, e.g. ``python -c 'while 1: pass' &``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TICK_MS = 10


def make_study(path: Path, n: int) -> None:
    """A study file shaped like a long real one: 8 workers, 5% failed, two metrics."""
    import numpy as np

    from engine.space import CategoricalParam, Condition, FloatParam, IntParam
    from engine.spec import StudySpec, spec_to_dict
    from engine.storage import StudyFile

    spec = StudySpec(
        name="open 100k", direction="maximize", sampler="random", seed=0, workers=8,
        objective={"kind": "python", "path": "x.py", "function": "f"},
        params=(
            IntParam("n_estimators", 20, 200, log=True),
            IntParam("max_depth", 2, 30, log=True),
            FloatParam("max_features", 0.1, 1.0),
            CategoricalParam("kernel", ("rbf", "linear", "poly")),
            FloatParam("gamma", 1e-4, 10.0, log=True, condition=Condition("kernel", ("rbf",))),
        ),
    )
    rng = np.random.default_rng(0)
    file = StudyFile.create(path, spec_to_dict(spec), overwrite=True)
    t0 = time.time() - 4 * n
    rows = []
    for k in range(n):
        kernel = ("rbf", "linear", "poly")[k % 3]
        params = {"n_estimators": int(rng.integers(20, 201)),
                  "max_depth": int(rng.integers(2, 31)),
                  "max_features": float(0.1 + 0.9 * rng.random()), "kernel": kernel}
        if kernel == "rbf":
            params["gamma"] = float(10 ** rng.uniform(-4, 1))
        failed = rng.random() < 0.05
        worker = k % 8
        start = t0 + (k // 8) * 30.0 + rng.random()
        rows.append((
            k, "failed" if failed else "complete", json.dumps(params),
            None if failed else float(rng.random()), start, start + float(rng.random() * 29),
            worker, "RuntimeError: diverged" if failed else None,
            json.dumps({} if failed else {"fit_time": float(rng.random()), "score_std": 0.01}),
        ))
    # One transaction for all rows: the study's own writes commit one trial at a time.
    file._write("INSERT INTO trials (number, state, params, value, started_at, finished_at, "
                "worker, error, metrics) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    file.checkpoint()
    file.close()


class Stalls:
    """Lateness of a 10 ms timer, per phase."""

    def __init__(self):
        from PySide6.QtCore import QElapsedTimer, QTimer

        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.late: list[float] = []
        self.at: list[float] = []  # when each tick came, in s since the phase started

    def start(self) -> None:
        self.late = []
        self.at = []
        self._t0 = time.perf_counter()
        self.clock.start()
        self.timer.start()

    def stop(self) -> list[float]:
        self.timer.stop()
        # The time since the last tick counts too: a phase that ends in a stall shows it.
        self.late.append(max(0.0, self.clock.elapsed() - TICK_MS))
        return self.late

    def _tick(self) -> None:
        self.late.append(max(0.0, self.clock.restart() - TICK_MS))
        self.at.append(time.perf_counter() - self._t0)

    def worst(self, k: int = 3) -> str:
        """The longest stalls and when they ended, e.g. ``850 ms at 15.2 s``."""
        top = sorted(zip(self.late, self.at), reverse=True)[:k]
        return ", ".join(f"{late:.0f} ms at {at:.1f} s" for late, at in top)


def run_until(app, done, timeout: float) -> float:
    """Run the event loop until ``done()``; the seconds it took."""
    start = time.perf_counter()
    while not done() and time.perf_counter() - start < timeout:
        app.processEvents()
        time.sleep(0.001)
    return time.perf_counter() - start


def settle(app, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.001)


def line(label: str, late: list[float], took: float) -> str:
    p95 = sorted(late)[int(0.95 * (len(late) - 1))]
    return (f"{label:<26} done in {took * 1000:7.0f} ms   longest stall {max(late):6.0f} ms   "
            f"p95 {p95:5.0f} ms   median {statistics.median(late):4.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100_000)
    parser.add_argument("--study", type=Path,
                        default=Path(tempfile.gettempdir()) / "knobs-open-100k.knobs")
    args = parser.parse_args()

    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtTest import QTest

    import desktop.main_window as mw
    from desktop.app import make_app

    if not args.study.exists():
        print(f"making {args.study} with {args.trials} trials ...", flush=True)
        make_study(args.study, args.trials)

    def fail(_parent, title, text, *_args, **_kwargs):
        sys.exit(f"{title}: {text}")

    mw.show_error = fail  # a dialog would wait for a click that never comes
    app = make_app()
    folder = Path(tempfile.mkdtemp(prefix="knobs-bench-"))
    window = mw.MainWindow(QSettings(str(folder / "s.ini"), QSettings.IniFormat))
    window.resize(1440, 900)
    window.show()
    window.plots.show_plot("history")
    settle(app, 0.5)
    stalls = Stalls()

    # 1. Open, as File > Open does: the file is read off the GUI thread.
    stalls.start()
    clicked = time.perf_counter()
    window.open_path(args.study, background=True)
    feedback = time.perf_counter() - clicked
    busy_shown = window.loader.busy and bool(window.statusBar().currentMessage())
    shown = run_until(app, lambda: window.study is not None, 300)
    history = window.plots.plots["history"]
    # Until the History plot has every point (added a chunk per event-loop turn).
    took = shown + run_until(app, lambda: history.shown.size > 0 and not any(
        s.pending for s in history.scatters.values()), 120)
    settle(app, 0.3)  # the first paint of the table and the plot
    rows = window.table.model.rowCount()
    print(f"study: {rows} trials; 'Opening…' and busy cursor shown after "
          f"{feedback * 1000:.0f} ms ({'yes' if busy_shown else 'NO'}); table and plots "
          f"shown after {shown:.1f} s, every History point after {took:.1f} s")
    print(line("open (read in background)", stalls.stop(), took))
    print(f"    longest stalls while opening: {stalls.worst()} (shown at {shown:.1f} s)")

    # 2. The Timeline tab.
    settle(app, 0.3)
    stalls.start()
    start = time.perf_counter()
    window.plots.show_plot("timeline")
    settle(app, 0.5)
    print(line("timeline tab", stalls.stop(), time.perf_counter() - start - 0.5))

    # 3. Typing words into the filter box, a key at a time (debounced at 100k rows).
    for word in ("linear", "0.5"):
        window.table.filter_edit.clear()
        settle(app, 0.5)
        stalls.start()
        start = time.perf_counter()
        QTest.keyClicks(window.table.filter_edit, word, Qt.KeyboardModifier.NoModifier, 60)
        run_until(app, lambda: window.table.proxy.rowCount() < rows, 30)
        took = time.perf_counter() - start
        settle(app, 0.3)
        shown = window.table.proxy.rowCount()
        print(line(f"word filter '{word}'", stalls.stop(), took) + f"   ({shown} rows)")

    # 4. Sorting by value (a click on the header).
    window.table.filter_edit.clear()
    settle(app, 0.5)
    stalls.start()
    start = time.perf_counter()
    window.table.sort_by(window.table.model.column_of("value"), Qt.SortOrder.DescendingOrder)
    settle(app, 0.3)
    print(line("sort by value", stalls.stop(), time.perf_counter() - start - 0.3))

    window.setWindowModified(False)
    window.close()


if __name__ == "__main__":
    main()
