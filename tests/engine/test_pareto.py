"""The Pareto math: dominance, non-dominated sorting and exact hypervolume."""

import itertools

import numpy as np
import pytest

from engine.pareto import dominated, hypervolume, non_dominated, pareto_ranks


def _brute_dominated(p):
    return np.array([any(np.all(q <= r) and np.any(q < r) for q in p) for r in p])


@pytest.mark.parametrize("m", [2, 3, 4])
def test_dominance_matches_the_definition_with_ties_and_duplicates(m):
    rng = np.random.default_rng(m)
    p = rng.integers(0, 4, size=(60, m)).astype(float)  # many ties and exact duplicates
    assert np.array_equal(dominated(p), _brute_dominated(p))
    assert np.array_equal(non_dominated(p), ~_brute_dominated(p))


def test_equal_points_share_the_front():
    p = np.array([[1.0, 2.0], [1.0, 2.0], [2.0, 1.0], [2.0, 2.0]])
    assert non_dominated(p).tolist() == [True, True, True, False]


def test_ranks_peel_fronts_and_put_infeasible_points_last_by_violation():
    p = np.array([[1, 3], [3, 1], [2, 2], [2, 3], [3, 3], [0, 0], [0, 0]], dtype=float)
    violation = np.array([0, 0, 0, 0, 0, 2.0, 0.5])
    ranks = pareto_ranks(p, violation)
    assert ranks.tolist() == [0, 0, 0, 1, 2, 4, 3]


def test_hypervolume_2d_is_the_area_of_the_staircase():
    p = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0], [3.5, 3.5]])
    # strips: x from 1 (height 4-3) + from 2 (height 3-2) + from 3 (height 2-1) -> 3+2+1
    assert hypervolume(p, np.array([4.0, 4.0])) == pytest.approx(6.0)
    assert hypervolume(p, np.array([0.5, 0.5])) == 0.0


def _grid_volume(p, ref, n=40):
    # Count cells of a fine grid whose centre some point dominates.
    axes = [np.linspace(0, r, n, endpoint=False) + r / (2 * n) for r in ref]
    cells = np.array(list(itertools.product(*axes)))
    covered = np.zeros(len(cells), dtype=bool)
    for q in p:
        covered |= np.all(cells >= q, axis=1)
    return covered.mean() * np.prod(ref)


@pytest.mark.parametrize("m", [2, 3])
def test_hypervolume_matches_a_grid_count(m):
    rng = np.random.default_rng(7)
    p = rng.integers(0, 10, size=(15, m)) / 10.0  # on the grid's cell edges: counts are exact
    ref = np.ones(m)
    assert hypervolume(p, ref) == pytest.approx(_grid_volume(p, ref), abs=1e-9)


def test_hypervolume_of_a_3d_box_union():
    p = np.array([[0.0, 0.0, 0.5], [0.5, 0.5, 0.0]])
    # box 1: 1*1*0.5; box 2: 0.5*0.5*1; overlap 0.5*0.5*0.5
    assert hypervolume(p, np.ones(3)) == pytest.approx(0.5 + 0.25 - 0.125)


def test_a_reference_of_the_wrong_size_is_refused():
    with pytest.raises(ValueError, match="reference has 3 objectives"):
        hypervolume(np.zeros((2, 2)), np.ones(3))


@pytest.mark.parametrize("m", [2, 3])
def test_ranks_are_the_fronts_peeled_one_by_one(m):
    p = np.random.default_rng(m).integers(0, 5, size=(200, m)).astype(float)
    expected = np.full(len(p), -1)
    left, r = np.arange(len(p)), 0
    while left.size:
        front = ~_brute_dominated(p[left])
        expected[left[front]] = r
        left, r = left[~front], r + 1
    assert np.array_equal(pareto_ranks(p), expected)
