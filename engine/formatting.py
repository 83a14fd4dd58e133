"""How numbers and durations read wherever Knobs shows them: table, plots, run panel, CLI.

One function per kind of quantity, so that "1 min 05 s" in the trials table is "1 min 05 s"
in the run panel's ETA and on the command line too.
"""

from __future__ import annotations

from typing import Any

_YEAR_S = 365 * 24 * 3600


def format_number(v: Any, digits: int = 4) -> str:
    """A value as short text: floats to ``digits`` significant digits, integers whole,
    true/false for booleans, text as it is; ``None`` and NaN are blank.

    A float that holds a whole number below 10**15 also reads whole (``3``, not ``3.0``),
    so counts stored as floats (a trial number, a worker, an int parameter) look like counts.
    """
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v != v:
            return ""
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return f"{v:.{digits}g}"
    if hasattr(v, "dtype") and getattr(v, "ndim", None) == 0:  # a numpy scalar
        return format_number(v.item(), digits)
    return str(v)


def format_duration(seconds: float | None) -> str:
    """A duration for a person: ``3.27 s``, ``42.0 s``, ``1 min 05 s``, ``2 h 05 min``;
    blank when unknown, ``over a year`` beyond (a grid of 1e308 cells, or inf)."""
    if seconds is None or seconds != seconds:
        return ""
    if not seconds < _YEAR_S:
        return "over a year"
    seconds = max(0.0, float(seconds))
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 59.95:
        return f"{seconds:.1f} s"
    minutes, s = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {s:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


__all__ = ["format_duration", "format_number"]
