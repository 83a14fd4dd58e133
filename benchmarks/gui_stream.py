"""Stream a few thousand fast trials through the real window and measure its stalls.

A 10 ms timer on the GUI thread records how late each tick arrives while the worker pool
runs a no-op objective as fast as it can; the longest gap is the longest time the window
could not respond to the user. Run offscreen:

    python benchmarks/gui_stream.py [--trials 3000] [--workers 2] [--profile FILE]

``--profile`` records where the GUI thread spends its CPU (cProfile with a per-thread clock,
so waiting and the worker threads do not count), saves the stats to FILE and prints the top.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

NOOP = "def f(params):\n    return params['x'] ** 2 + params['y']\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--profile", metavar="FILE", help="save cProfile stats of the GUI thread")
    args = parser.parse_args()
    profiler = cProfile.Profile(timer=time.thread_time) if args.profile else None

    from PySide6.QtCore import QElapsedTimer, QSettings, QTimer

    import desktop.main_window as mw
    from desktop.app import make_app
    from engine.space import FloatParam
    from engine.spec import StudySpec

    app = make_app()
    folder = Path(tempfile.mkdtemp(prefix="knobs-bench-"))
    (folder / "noop.py").write_text(NOOP)
    spec = StudySpec(
        name="stream", params=(FloatParam("x", -1.0, 1.0), FloatParam("y", 0.0, 1.0)),
        objective={"kind": "python", "path": "noop.py", "function": "f"},
        sampler="random", trials=args.trials, workers=args.workers, seed=0,
    )
    window = mw.MainWindow(QSettings(str(folder / "s.ini"), QSettings.IniFormat))
    window.studies_folder = folder
    window.resize(1440, 900)
    window.show()
    window.load_spec(spec, folder, from_file=False)

    gaps: list[float] = []
    clock = QElapsedTimer()
    ticker = QTimer()
    ticker.setInterval(10)

    at: list[float] = []  # when each tick came, in s since the run started
    # The GUI thread's own CPU time between ticks: what a stall costs before the machine's
    # load stretches it (a turn of 10 ms of CPU can take 100 ms of wall time at load 10).
    cpu: list[float] = []
    cpu_at = [time.thread_time()]

    def tick() -> None:
        gaps.append(clock.restart())
        at.append(time.perf_counter() - started)
        now = time.thread_time()
        cpu.append((now - cpu_at[0]) * 1000)
        cpu_at[0] = now

    ticker.timeout.connect(tick)
    started = time.perf_counter()

    def check() -> None:
        if window.pool is None and window.study is not None and window.study.n_finished:
            elapsed = time.perf_counter() - started
            ticker.stop()
            if profiler is not None:
                profiler.disable()
            report(window, gaps, at, cpu, elapsed, args)
            if profiler is not None:
                profiler.dump_stats(args.profile)
                pstats.Stats(args.profile).sort_stats("tottime").print_stats(15)
            window.setWindowModified(False)
            window.close()
            app.quit()
        else:
            QTimer.singleShot(100, check)

    def start() -> None:
        clock.start()
        ticker.start()
        if profiler is not None:
            profiler.enable()
        window.run_study()
        check()

    QTimer.singleShot(200, start)
    app.exec()


def report(window, gaps: list[float], at: list[float], cpu: list[float], elapsed: float,
           args) -> None:
    finished = window.study.n_finished
    late = [g - 10 for g in gaps[1:]]
    print(f"trials finished:        {finished} with {args.workers} workers in {elapsed:.1f} s "
          f"({finished / elapsed:.0f} trials/s)")
    print(f"table rows shown:       {window.table.model.rowCount()}")
    print(f"event-loop ticks:       {len(late)} (10 ms timer)")
    print(f"median lateness:        {statistics.median(late):.1f} ms")
    print(f"95th pct lateness:      {sorted(late)[int(0.95 * len(late))]:.1f} ms")
    print(f"longest stall:          {max(late):.1f} ms")
    stalled = sum(g for g in gaps[1:] if g - 10 > 100) / 1000
    print(f"late by over 100 ms:    {stalled:.1f} s of the run ({100 * stalled / elapsed:.0f}%)")
    worst = sorted(zip(late, at[1:]), reverse=True)[:4]
    print("longest stalls:         " + ", ".join(f"{g:.0f} ms at {t:.1f} s" for g, t in worst))
    busy = sorted(cpu[1:])
    print(f"GUI CPU between ticks:  median {statistics.median(busy):.1f} ms, "
          f"95th pct {busy[int(0.95 * len(busy))]:.1f} ms, most {busy[-1]:.1f} ms")
    print(f"load average (1 min):   {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
