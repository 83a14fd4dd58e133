"""The trials table's Pareto ranks per batch: a full non-dominated sort of every trial (what
the table did) against engine.live_ranks (only what the new trials move).

    nice python -m benchmarks.live_ranks            # docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.goals import Goal  # noqa: E402
from engine.live_ranks import LiveRanks  # noqa: E402
from engine.pareto import trial_ranks  # noqa: E402
from engine.trial import Trial, TrialState  # noqa: E402


def trials(m: int, n: int, seed: int = 0) -> list[Trial]:
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        v = rng.random(m)
        v = v / np.linalg.norm(v) * (1 + rng.random())  # around a front, as a run makes
        out.append(Trial(k, {}, TrialState.COMPLETE, value=float(v[0]),
                         values=tuple(float(x) for x in v),
                         violation=0.5 if k % 10 == 0 else 0.0))
    return out


def measure(m: int, n: int, batch: int, batches: int) -> tuple[float, float]:
    goals = tuple(Goal("value" if j == 0 else f"f{j}", "minimize") for j in range(m))
    every = trials(m, n + batch * batches)
    live = LiveRanks(goals, every[:n])
    full_s = live_s = 0.0
    for b in range(batches):
        new = every[n + b * batch: n + (b + 1) * batch]
        start = time.perf_counter()
        trial_ranks(every[: n + (b + 1) * batch], goals)
        full_s += time.perf_counter() - start
        start = time.perf_counter()
        live.add(new)
        live_s += time.perf_counter() - start
    return 1000 * full_s / batches, 1000 * live_s / batches


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--batch", type=int, default=4, help="trials completing per batch")
    args = parser.parse_args(argv)
    print("| objectives | trials | full sort ms/batch | live ms/batch | ratio |")
    print("|---|---|---|---|---|")
    for m, n in ((2, 1_000), (2, 10_000), (2, 50_000), (3, 1_000), (3, 5_000)):
        full, live = measure(m, n, args.batch, args.batches)
        print(f"| {m} | {n:,} | {full:.1f} | {live:.2f} | {full / live:.0f}x |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
