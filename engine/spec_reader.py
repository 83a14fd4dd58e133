"""Typed reads from a spec's tables: each bad value becomes one problem sentence naming
where it is, the value found and what is accepted, so every problem is reported at once."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from engine.space import show_value


def _finite(v: int | float) -> bool:
    try:
        return math.isfinite(v)
    except OverflowError:  # a whole number beyond any float
        return False


def unknown_keys(problems: list[str], where: str, table: Mapping, accepted: tuple[str, ...]
                 ) -> None:
    for key in table:
        if key not in accepted:
            problems.append(
                f"{where}{key}: unknown setting; accepted: {', '.join(accepted)}"
            )


class Reader:
    """Typed reads from a table; each bad value becomes a problem and reads as ``None``."""

    def __init__(self, problems: list[str]):
        self.problems = problems

    def _bad(self, where: str, key: str, value: Any, accepted: str) -> None:
        self.problems.append(f"{where}{key} = {show_value(value)}: expected {accepted}")

    def text(self, t: Mapping, key: str, *, required: bool = False, where: str = "") -> str | None:
        v = t.get(key)
        if v is None:
            if required:
                self.problems.append(f"{where}{key}: missing")
            return None
        if not isinstance(v, str) or (required and not v.strip()):
            self._bad(where, key, v, "non-empty text" if required else "text")
            return None
        return v

    def choice(self, t: Mapping, key: str, accepted: tuple[str, ...], *, default: str,
               where: str = "") -> str:
        v = t.get(key, default)
        if v not in accepted:
            self._bad(where, key, v, "one of " + ", ".join(accepted))
            return default
        return v

    def integer(self, t: Mapping, key: str, *, minimum: int, maximum: int | None = None,
                where: str = "") -> int | None:
        v = t.get(key)
        if v is None:
            return None
        if (isinstance(v, bool) or not isinstance(v, int) or v < minimum
                or (maximum is not None and v > maximum)):
            accepted = (f"a whole number >= {minimum}" if maximum is None
                        else f"a whole number from {minimum} to {maximum:,}")
            self._bad(where, key, v, accepted)
            return None
        return v

    def number(self, t: Mapping, key: str, *, positive: bool, where: str = "") -> float | None:
        v = t.get(key)
        if v is None:
            return None
        if (isinstance(v, bool) or not isinstance(v, (int, float)) or not _finite(v)
                or (positive and v <= 0)):
            self._bad(where, key, v, "a number greater than 0" if positive else "a number")
            return None
        return v

    def flag(self, t: Mapping, key: str, *, where: str = "") -> bool:
        v = t.get(key, False)
        if not isinstance(v, bool):
            self._bad(where, key, v, "true or false")
            return False
        return v

    def table(self, t: Mapping, key: str, *, required: bool = False) -> dict[str, Any]:
        v = t.get(key)
        if v is None:
            if required:
                self.problems.append(f"{key}: missing; add a [{key}] table")
            return {}
        if not isinstance(v, Mapping):
            self._bad("", key, v, f"a [{key}] table")
            return {}
        return dict(v)
