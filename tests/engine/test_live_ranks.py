"""Pareto ranks kept as trials complete equal the ranks sorted from scratch, and say which
trials moved."""

import numpy as np
import pytest

from engine.goals import Goal
from engine.live_ranks import LiveRanks
from engine.pareto import trial_ranks
from engine.trial import Trial, TrialState


def random_trials(m, n, seed):
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        values = tuple(float(v) for v in np.round(rng.random(m), 1))  # ties happen
        violation = float(rng.choice([0, 0, 0, 0.5, 1.0])) if k % 3 == 0 else 0.0
        out.append(Trial(k, {}, TrialState.COMPLETE, value=values[0], values=values,
                         violation=violation))
    return out


@pytest.mark.parametrize("m", [1, 2, 3])
def test_ranks_after_every_batch_equal_a_full_sort_and_only_moved_trials_are_named(m):
    goals = tuple(Goal("value" if j == 0 else f"f{j}", "minimize" if j % 2 == 0
                       else "maximize") for j in range(m))
    trials = random_trials(m, 120, seed=m)
    order = np.random.default_rng(7).permutation(len(trials))  # workers finish out of order
    live = LiveRanks(goals, trials[:10])  # a study opened with ten trials
    seen = list(trials[:10])
    before = np.full(len(trials), np.nan)
    before[: live.ranks.size] = live.ranks
    rest = [trials[i] for i in order if i >= 10]
    for start in range(0, len(rest), 4):
        batch = rest[start:start + 4]
        running = Trial(999, {})  # a started trial in the batch is skipped
        changed = live.add([*batch, running])
        seen += batch
        expected = np.full(len(trials), np.nan)
        expected[[t.number for t in seen]] = trial_ranks(seen, goals)
        got = np.full(len(trials), np.nan)
        got[: live.ranks.size] = live.ranks
        assert np.array_equal(got, expected, equal_nan=True)
        moved = np.flatnonzero(~((before == expected) | (np.isnan(before) & np.isnan(expected))))
        assert changed.tolist() == moved.tolist()
        before = expected
    assert live.add(rest[:3]).size == 0  # told again: nothing moves


def test_a_new_front_point_pushes_down_only_what_it_dominates():
    goals = (Goal("value", "minimize"), Goal("f1", "minimize"))
    pts = [(1, 5), (2, 4), (3, 3), (4, 4), (5, 5), (0.5, 9)]
    trials = [Trial(k, {}, TrialState.COMPLETE, value=a, values=(a, b))
              for k, (a, b) in enumerate(pts)]
    live = LiveRanks(goals, trials)
    assert live.ranks.tolist() == [0, 0, 0, 1, 2, 0]
    changed = live.add([Trial(6, {}, TrialState.COMPLETE, value=1.5, values=(1.5, 3.5))])
    assert live.ranks.tolist() == [0, 1, 0, 2, 3, 0, 0]
    assert changed.tolist() == [1, 3, 4, 6]  # trials 0, 2 and 5 it does not beat: unchanged
