"""CellKeys: the part of :class:`~desktop.trials.model.TrialsModel` that derives each
column's float sort keys and cell text from the trial store, and the Pareto ranks."""

from __future__ import annotations

import numpy as np

from desktop.trials.columns import (
    RANK_COLUMN,
    TrialColumn,
    column_keys,
    key_text_function,
    raw_value,
)
from desktop.trials.words import WordIndex
from engine.formatting import format_number
from engine.live_ranks import LiveRanks


class CellKeys:
    """Sort keys and text of a TrialsModel's cells (mixed into it; uses its store)."""

    def _cell_text(self, c: int, i: int) -> str:
        column = self._columns[c]
        text = self._texts[c](self._keys(column.key)[i])
        if not text and column.kind in ("param", "metric", "note"):
            return self._raw_text(column, i)
        return text

    def _raw_text(self, column: TrialColumn, i: int) -> str:
        # No key: absent, or a value with no number (a text metric, an unknown choice).
        trial = self._store.trials[i]
        raw = None if trial is None else raw_value(column, trial)
        return "" if raw is None else format_number(raw, 4)

    def _text_functions(self) -> list:
        return [key_text_function(c, self._params.get(c.name)) for c in self._columns]

    def _keys(self, key: tuple[str, str]) -> np.ndarray:
        if self._store is None:
            return np.empty(0)
        if self._key_version != self._store.version:
            self._key_cache.clear()
            self._key_version = self._store.version
        keys = self._key_cache.get(key)
        if keys is None:
            column = next(c for c in self._columns if c.key == key)
            if column is RANK_COLUMN:
                keys = np.full(self._store.n, np.nan)
                # Counted from 1, the front, as people count places (the engine's ranks,
                # like most libraries', count from 0).
                keys[: len(self._ranks)] = self._ranks[: self._store.n] + 1
            else:
                keys = column_keys(column, self._store, self._params.get(column.name))
            self._key_cache[key] = keys
        return keys

    def _reset_ranks(self) -> None:
        """Rank the study's trials at once (a study was opened or shown)."""
        study = self._study
        self._live_ranks = LiveRanks(study.spec.goals, study.trials) \
            if study is not None and study.is_multi else None
        self._ranks = self._live_ranks.ranks if self._live_ranks is not None else np.empty(0)
        self._key_cache.pop(RANK_COLUMN.key, None)

    def _update_ranks(self, batch) -> np.ndarray:
        """Rank the trials of a batch that completed; only the ranks they move change
        (engine/live_ranks.py). Returns the numbers whose rank changed."""
        if self._live_ranks is None:
            return np.empty(0, dtype=np.int64)
        moved = self._live_ranks.add(batch)
        if moved.size:
            self._ranks = self._live_ranks.ranks
            self._key_cache.pop(RANK_COLUMN.key, None)
            self._words = WordIndex()  # row texts hold ranks: searched anew when asked
        return moved
