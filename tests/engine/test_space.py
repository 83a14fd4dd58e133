import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.space import (
    CategoricalParam,
    Condition,
    FixedParam,
    FloatParam,
    IntParam,
    SearchSpace,
    SpaceError,
    find_problems,
    grid_values,
)


def mlp_space() -> SearchSpace:
    return SearchSpace.of(
        FloatParam("lr", 1e-4, 1e-1, log=True, grid_points=4),
        IntParam("units", 8, 128, log=True),
        IntParam("layers", 1, 3),
        CategoricalParam("solver", ("adam", "sgd")),
        FloatParam("momentum", 0.0, 0.9, grid_points=3, condition=Condition("solver", ("sgd",))),
        FixedParam("epochs", 10),
    )


def problems_of(*params):
    return [(p.param, p.field) for p in find_problems(list(params))]


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "param, expected",
    [
        (FloatParam("x", 1.0, 1.0), ("x", "high")),
        (FloatParam("x", 2.0, 1.0), ("x", "high")),
        (FloatParam("x", 0.0, 1.0, log=True), ("x", "low")),
        (FloatParam("x", -1.0, 1.0, log=True), ("x", "low")),
        (FloatParam("x", 0.0, 1.0, step=0.3), ("x", "step")),
        (FloatParam("x", 0.0, 1.0, step=-0.1), ("x", "step")),
        (FloatParam("x", 1.0, 10.0, log=True, step=1.0), ("x", "step")),
        (IntParam("n", 0, 10, step=3), ("n", "step")),
        (IntParam("n", 0, 10, grid=(1, 11)), ("n", "grid")),
        (IntParam("n", 0, 10, grid=()), ("n", "grid")),
        (IntParam("n", 0, 10, step=2, grid=(3,)), ("n", "grid")),
        (FloatParam("x", 0.0, 1.0, step=0.0, grid=(0.5,)), ("x", "step")),
        (FloatParam("x", 0.0, 1.0, grid_points=0), ("x", "grid_points")),
        (FloatParam("x", float("nan"), 1.0), ("x", "low")),
        (CategoricalParam("c", ()), ("c", "choices")),
        (CategoricalParam("c", ("a", "b", "a")), ("c", "choices")),
        (CategoricalParam("", ("a",)), ("", "name")),
    ],
)
def test_each_rule_names_the_parameter_and_field(param, expected):
    assert expected in problems_of(param)


def test_messages_name_parameter_field_value_and_what_is_accepted():
    [problem] = find_problems([FloatParam("lr", 0.0, 1.0, log=True)])
    text = str(problem)
    assert "'lr'" in text and "low" in text and "0.0" in text and "greater than 0" in text


def test_every_problem_is_reported_at_once():
    with pytest.raises(SpaceError) as info:
        SearchSpace.of(
            FloatParam("a", 1.0, 0.0),
            FloatParam("a", 0.0, 1.0, step=0.3),
            CategoricalParam("c", ()),
        )
    fields = [(p.param, p.field) for p in info.value.problems]
    assert fields == [("a", "high"), ("a", "name"), ("a", "step"), ("c", "choices")]


def test_duplicate_choices_treat_true_and_1_as_different():
    assert find_problems([CategoricalParam("c", (True, 1, "1"))]) == []
    assert problems_of(CategoricalParam("c", (1, 1.0))) == [("c", "choices")]


def test_condition_on_missing_parameter():
    found = find_problems([FixedParam("m", 1, condition=Condition("solver", ("sgd",)))])
    assert [(p.param, p.field, p.value) for p in found] == [("m", "condition", "solver")]


def test_condition_on_value_the_parent_never_takes():
    found = find_problems([
        CategoricalParam("solver", ("adam", "sgd")),
        FloatParam("m", 0.0, 1.0, condition=Condition("solver", ("lbfgs",))),
        IntParam("k", 1, 5),
        FloatParam("z", 0.0, 1.0, condition=Condition("k", (9,))),
    ])
    assert [(p.param, p.value) for p in found] == [("m", "lbfgs"), ("z", 9)]
    assert "adam, 'sgd'" in str(found[0]) or "'adam', 'sgd'" in str(found[0])


def test_condition_cycle_is_reported_once():
    found = find_problems([
        CategoricalParam("a", ("x",), condition=Condition("b", ("y",))),
        CategoricalParam("b", ("y",), condition=Condition("a", ("x",))),
    ])
    assert len(found) == 1 and "cycle" in found[0].message


def test_self_condition():
    assert problems_of(CategoricalParam("a", ("x",), condition=Condition("a", ("x",)))) == [
        ("a", "condition")
    ]


# --- decode / encode ----------------------------------------------------------------------


def test_decode_leaves_inactive_parameters_out():
    space = mlp_space()
    adam = space.decode([0.5, 0.5, 0.5, 0.1, 0.5])
    sgd = space.decode([0.5, 0.5, 0.5, 0.9, 0.5])
    assert adam["solver"] == "adam" and "momentum" not in adam
    assert sgd["solver"] == "sgd" and 0.0 <= sgd["momentum"] <= 0.9
    assert adam["epochs"] == 10


def test_parents_come_before_children_whatever_the_order_given():
    space = SearchSpace.of(
        FloatParam("momentum", 0.0, 0.9, condition=Condition("solver", ("sgd",))),
        CategoricalParam("solver", ("adam", "sgd")),
    )
    assert space.names == ["solver", "momentum"]
    assert "momentum" in space.decode([0.9, 0.5])


def test_log_scale_decodes_evenly_in_log_space():
    space = SearchSpace.of(FloatParam("lr", 1e-4, 1.0, log=True))
    assert space.decode([0.5])["lr"] == pytest.approx(1e-2)
    assert space.decode([0.0])["lr"] == pytest.approx(1e-4)


def test_int_ends_are_as_likely_as_the_middle():
    space = SearchSpace.of(IntParam("n", 1, 4))
    got = [space.decode([u])["n"] for u in [i / 400 + 1 / 800 for i in range(400)]]
    assert [got.count(k) for k in (1, 2, 3, 4)] == [100, 100, 100, 100]


def test_steps_snap_to_clean_values():
    space = SearchSpace.of(FloatParam("x", 0.0, 1.0, step=0.1))
    values = {space.decode([u / 100])["x"] for u in range(101)}
    assert values == {round(k / 10, 12) for k in range(11)}


@st.composite
def unit_points(draw):
    space = mlp_space()
    return space, draw(st.lists(st.floats(0, 1), min_size=space.dimension,
                                max_size=space.dimension))


@settings(max_examples=200, deadline=None)
@given(unit_points())
def test_decoded_params_are_always_legal_and_encode_back_to_the_same_params(case):
    space, u = case
    params = space.decode(u)
    assert space.contains(params)
    again = space.decode([0.5 if math.isnan(x) else x for x in space.encode(params)])
    assert again.keys() == params.keys()
    for name, value in params.items():
        if isinstance(value, float):
            assert again[name] == pytest.approx(value, rel=1e-9)
        else:
            assert again[name] == value


# --- grid ---------------------------------------------------------------------------------


def test_grid_size_adds_conditional_branches_instead_of_multiplying():
    space = mlp_space()
    # adam: 4 lr x 5 units x 3 layers; sgd: the same x 3 momentum values.
    assert space.grid_size() == 4 * 5 * 3 * (1 + 3)
    cells = list(space.iter_grid())
    assert len(cells) == space.grid_size()
    assert len({tuple(sorted(c.items())) for c in cells}) == len(cells)
    assert all(space.contains(c) for c in cells)
    assert all(("momentum" in c) == (c["solver"] == "sgd") for c in cells)


def test_grid_values_log_spaced_and_explicit():
    assert grid_values(FloatParam("lr", 1e-3, 1e-1, log=True, grid_points=3)) == pytest.approx(
        [1e-3, 1e-2, 1e-1]
    )
    assert grid_values(IntParam("n", 1, 100, grid=(1, 10, 100))) == [1, 10, 100]
    assert grid_values(IntParam("n", 1, 3, grid_points=10)) == [1, 2, 3]


def test_grid_cell_out_of_range():
    with pytest.raises(IndexError):
        SearchSpace.of(IntParam("n", 1, 3, grid_points=3)).grid_cell(3)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=4), st.integers(1, 3))
def test_grid_enumerates_exactly_the_product_of_value_lists(sizes, child_points):
    params = [IntParam(f"p{i}", 0, 10, grid=tuple(range(n))) for i, n in enumerate(sizes)]
    params.append(FloatParam("c", 0.0, 1.0, grid_points=child_points,
                             condition=Condition("p0", (0,))))
    space = SearchSpace(tuple(params))
    rest = math.prod(sizes[1:])
    expected = rest * (child_points + sizes[0] - 1)
    assert space.grid_size() == expected
    assert len({tuple(sorted(c.items())) for c in space.iter_grid()}) == expected


def test_a_condition_on_a_value_between_steps_can_never_hold():
    found = find_problems([
        IntParam("n", 0, 10, step=2),
        FixedParam("z", 1, condition=Condition("n", (3,))),
    ])
    assert [(p.param, p.value) for p in found] == [("z", 3)]


def test_stepped_floats_stay_inside_bounds_that_carry_float_noise():
    space = SearchSpace.of(FloatParam("p", 0.1 * 3, 0.4, step=0.1))
    assert all(space.contains(space.decode([u / 10])) for u in range(11))


def test_float_grid_values_are_floats_so_1_and_1_0_are_one_configuration():
    space = SearchSpace.of(FloatParam("x", 0.0, 2.0, grid=(1, 2)))
    assert [c["x"] for c in space.iter_grid()] == [1.0, 2.0]
    assert all(isinstance(c["x"], float) for c in space.iter_grid())
