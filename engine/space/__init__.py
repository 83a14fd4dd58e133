"""Search spaces: parameter kinds, conditions, validation, unit-cube encoding and grids.

A :class:`SearchSpace` is an ordered, validated collection of parameters. Building one
checks every rule at once and raises :class:`SpaceError` listing each problem; the window
calls :func:`find_problems` instead to show them inline while the user is still typing.

One module per job: ``params`` (the kinds, as data), ``validation`` (the rules),
``encoding`` (unit-cube coordinates), ``grid`` (grid values and cells), ``search_space``.
"""

from engine.space.encoding import decode_one, encode_one, snap
from engine.space.grid import GridTree, grid_values
from engine.space.params import (
    DEFAULT_GRID_POINTS,
    MAX_GRID_POINTS,
    CategoricalParam,
    Condition,
    FixedParam,
    FloatParam,
    IntParam,
    NumericParam,
    Param,
    Problem,
    SpaceError,
    Value,
    choice_key,
    n_values,
    same_value,
    show_value,
)
from engine.space.search_space import SearchSpace
from engine.space.validation import can_take_exactly, find_problems

__all__ = [
    "DEFAULT_GRID_POINTS", "MAX_GRID_POINTS", "CategoricalParam", "Condition", "FixedParam",
    "FloatParam", "GridTree", "IntParam", "NumericParam", "Param", "Problem", "SearchSpace",
    "SpaceError", "Value", "can_take_exactly", "choice_key", "decode_one", "encode_one",
    "find_problems", "grid_values", "n_values", "same_value", "show_value", "snap",
]
