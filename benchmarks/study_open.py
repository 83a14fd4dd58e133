"""Time opening a study file as the window's background loader does: ``Study.open`` (through
``engine.session.open_study``), then the trial columns the table and plots read.

    python benchmarks/study_open.py STUDY.knobs [--repeat 3] [--profile]

Make a 100,000-trial file with ``benchmarks/gui_open.py`` first (it keeps it in the temp
folder). ``--profile`` prints the top of a cProfile of one open.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    import engine.objectives.registry  # noqa: F401 - imported once, as in the window
    from engine import session
    from engine.trial_columns import TrialColumns

    for _ in range(1 if args.profile else args.repeat):
        profiler = cProfile.Profile() if args.profile else None
        gc.disable()  # as the loader does while it reads
        start = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        study, _readonly = session.open_study(args.study)
        opened = time.perf_counter()
        TrialColumns(study.space, study.direction, study.trials)
        done = time.perf_counter()
        if profiler is not None:
            profiler.disable()
        gc.enable()
        study.close()
        print(f"{len(study.trials)} trials: Study.open {opened - start:.2f} s, "
              f"trial columns {done - opened:.2f} s")
        if profiler is not None:
            pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
